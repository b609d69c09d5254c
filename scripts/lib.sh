# shellcheck shell=bash
# Shared helpers for scripts/test.sh and scripts/demo.sh.  Source it, don't run it.
#
# On sourcing it:
#   * resolves the Python that has Odoo 18.0 in it: $PY (from ODOO_PYTHON, default python3)
#     and exits 2 with instructions if Odoo cannot be imported or is not 18.0;
#   * computes REPO_ROOT and ADDONS_PATH.
# It defines: die, info, stage_begin/stage_end/stage_summary, ensure_postgres, db_exists,
# drop_db, odoo_run, check_log, pip_ensure.

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    echo "scripts/lib.sh is meant to be sourced by scripts/test.sh or scripts/demo.sh" >&2
    exit 2
fi

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export REPO_ROOT

die() {
    local code=1
    if [[ "${1:-}" =~ ^[0-9]+$ ]]; then code=$1; shift; fi
    printf '\nERROR: %s\n' "$*" >&2
    exit "$code"
}

info() { printf '%s\n' "$*"; }

# ---------------------------------------------------------------------------
# Stage headers and timing
# ---------------------------------------------------------------------------
_STAGE_NAME=""
_STAGE_START=0
_STAGE_SUMMARY=()

stage_begin() {
    _STAGE_NAME="$1"
    _STAGE_START=$SECONDS
    printf '\n==================================================================\n'
    printf '== %s\n' "$_STAGE_NAME"
    printf '==================================================================\n'
}

stage_end() {
    local elapsed=$((SECONDS - _STAGE_START))
    printf -- '-- %s: OK (%ds)\n' "$_STAGE_NAME" "$elapsed"
    _STAGE_SUMMARY+=("$(printf '%5ds  %s' "$elapsed" "$_STAGE_NAME")")
}

stage_summary() {
    local line
    printf '\n== Summary (total %ds)\n' "$SECONDS"
    for line in "${_STAGE_SUMMARY[@]}"; do printf '   %s\n' "$line"; done
}

# ---------------------------------------------------------------------------
# Python with Odoo 18.0
# ---------------------------------------------------------------------------
PY="${ODOO_PYTHON:-python3}"

_odoo_missing_help() {
    cat >&2 <<MSG

ERROR: the Python '$PY' cannot import Odoo ('import odoo' failed).

This project needs Odoo 18.0 Community importable from that Python. Either:
  * point ODOO_PYTHON at a Python that has it, e.g.
        ODOO_PYTHON=/path/to/odoo-venv/bin/python ./scripts/test.sh
  * or install Odoo 18.0 Community into it, e.g. (see
    https://www.odoo.com/documentation/18.0/administration/on_premise/source.html):
        git clone --depth 1 --branch 18.0 https://github.com/odoo/odoo.git odoo18
        $PY -m pip install -r odoo18/requirements.txt
        $PY -m pip install -e odoo18
    (the Debian package 'odoo' 18.0 from nightly.odoo.com also works with
     ODOO_PYTHON=/usr/bin/python3).
MSG
}

if ! command -v "$PY" >/dev/null 2>&1 || ! "$PY" -c 'import odoo' >/dev/null 2>&1; then
    _odoo_missing_help
    exit 2
fi

_odoo_version="$("$PY" -c 'import odoo.release as r; print(r.version)' 2>/dev/null || true)"
if ! "$PY" -c 'import sys, odoo.release as r; sys.exit(0 if tuple(r.version_info[:2]) == (18, 0) else 1)' \
        >/dev/null 2>&1; then
    die 2 "the Python '$PY' imports Odoo '${_odoo_version:-unknown}', but this project needs Odoo 18.0. Set ODOO_PYTHON to a Python with Odoo 18.0 Community."
fi

# Odoo's own addons dir, a sibling addons/ dir (source checkouts), and this repository.
ADDONS_PATH="$("$PY" - "$REPO_ROOT" <<'PYEOF'
import os
import sys

import odoo

pkg = os.path.dirname(odoo.__file__) if getattr(odoo, "__file__", None) else list(odoo.__path__)[0]
paths = []
for candidate in (os.path.join(pkg, "addons"), os.path.join(os.path.dirname(pkg), "addons")):
    if os.path.isdir(candidate):
        candidate = os.path.realpath(candidate)
        if candidate not in paths:
            paths.append(candidate)
paths.append(os.path.realpath(sys.argv[1]))
print(",".join(paths))
PYEOF
)" || die 2 "could not compute the addons path with '$PY'"
export ADDONS_PATH PY

# ---------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------
_pg_wait_ready() {
    local i
    for ((i = 0; i < 60; i++)); do
        pg_isready -q && return 0
        sleep 1
    done
    return 1
}

ensure_postgres() {
    command -v pg_isready >/dev/null 2>&1 ||
        die "PostgreSQL client tools (pg_isready, psql) not found. Install PostgreSQL >= 13, e.g. 'apt-get install postgresql'."

    if ! pg_isready -q; then
        info "PostgreSQL is not accepting connections; trying to start it..."
        command -v pg_lsclusters >/dev/null 2>&1 ||
            die "PostgreSQL is not running and pg_lsclusters is missing, so it cannot be started here. Start PostgreSQL yourself (or set PGHOST/PGPORT) and retry."
        local ver="" name=""
        # The cluster on ${PGPORT:-5432}; else the highest-version 'main'; else the highest.
        read -r ver name < <(pg_lsclusters --no-header 2>/dev/null | sort -V -k1,1 |
            awk -v port="${PGPORT:-5432}" '
                $3 == port {p = $1 " " $2}
                $2 == "main" {m = $1 " " $2}
                {a = $1 " " $2}
                END {print (p != "" ? p : (m != "" ? m : a))}') || true
        [[ -n "$ver" && -n "$name" ]] ||
            die "PostgreSQL is not running and no cluster was found by pg_lsclusters. Install it ('apt-get install postgresql') or start your own server and set PGHOST/PGPORT."
        if [[ "$(id -u)" == 0 ]]; then
            pg_ctlcluster "$ver" "$name" start ||
                die "could not start PostgreSQL cluster $ver/$name (see /var/log/postgresql/postgresql-$ver-$name.log)"
        else
            pg_ctlcluster "$ver" "$name" start 2>/dev/null ||
                die "PostgreSQL cluster $ver/$name is down and this user cannot start it. Run: sudo pg_ctlcluster $ver $name start"
        fi
        _pg_wait_ready || die "PostgreSQL cluster $ver/$name did not become ready within 60 s"
        info "PostgreSQL cluster $ver/$name started."
    fi

    local me
    me="$(id -un)"
    if [[ "$me" == "postgres" && -z "${PGUSER:-}" ]]; then
        die "Odoo refuses to run with the 'postgres' database role. Run as another user (it gets its own superuser role) or set PGUSER."
    fi
    if ! psql -X -q -d postgres -tAc 'select 1' >/dev/null 2>&1; then
        if [[ "$(id -u)" == 0 && -z "${PGUSER:-}" ]]; then
            info "Creating PostgreSQL superuser role '$me'..."
            su -s /bin/sh postgres -c "createuser -s '$me'" ||
                die "could not create the PostgreSQL role '$me' (tried: su postgres -c \"createuser -s $me\")"
        fi
        psql -X -q -d postgres -tAc 'select 1' >/dev/null 2>&1 ||
            die "cannot connect to PostgreSQL as role '${PGUSER:-$me}'. Create it, e.g.: sudo -u postgres createuser -s ${PGUSER:-$me}"
    fi
    _pg_wait_ready || die "PostgreSQL is not ready"
}

db_exists() {
    [[ "$(psql -X -d postgres -tAc "select 1 from pg_database where datname = '$1'" 2>/dev/null)" == 1 ]]
}

_odoo_data_dir() {
    "$PY" -c 'from odoo.tools import config; print(config["data_dir"])' 2>/dev/null
}

# drop_db NAME: drop the database and its Odoo filestore.
drop_db() {
    local db="$1" data_dir
    dropdb --if-exists "$db" >/dev/null 2>&1 ||
        dropdb --if-exists --force "$db" >/dev/null 2>&1 ||
        printf 'WARNING: could not drop database %s\n' "$db" >&2
    data_dir="$(_odoo_data_dir || true)"
    if [[ -n "$data_dir" && -d "$data_dir/filestore/$db" ]]; then
        rm -rf -- "${data_dir:?}/filestore/$db"
    fi
}

# ---------------------------------------------------------------------------
# Odoo
# ---------------------------------------------------------------------------
odoo_run() {
    "$PY" -m odoo --addons-path="$ADDONS_PATH" "$@"
}

# check_log FILE STEP: fail if the Odoo log has a WARNING, ERROR or CRITICAL line.
check_log() {
    local file="$1" step="$2"
    [[ -f "$file" ]] || die "check_log: no log file '$file' for step '$step'"
    if grep -q -E ' (WARNING|ERROR|CRITICAL) ' "$file"; then
        printf '\nFAILED: %s: the Odoo log has warnings or errors:\n' "$step" >&2
        grep -n -E -A 12 ' (WARNING|ERROR|CRITICAL) ' "$file" | head -n 300 >&2
        exit 1
    fi
    info "log check: no WARNING/ERROR/CRITICAL lines in $step"
}

# ---------------------------------------------------------------------------
# Python packages
# ---------------------------------------------------------------------------
# pip_ensure DIST SPEC [exact]: install SPEC with pip unless distribution DIST is
# installed (and, if a third argument is given, has exactly that version).
pip_ensure() {
    local dist="$1" spec="$2" want="${3:-}" have
    have="$("$PY" -c 'import importlib.metadata as m, sys
try:
    print(m.version(sys.argv[1]))
except m.PackageNotFoundError:
    pass' "$dist" 2>/dev/null || true)"
    if [[ -n "$have" && (-z "$want" || "$have" == "$want") ]]; then
        info "  $dist $have: ok"
        return 0
    fi
    info "  $dist ${have:-missing}: installing $spec"
    "$PY" -m pip install --quiet --disable-pip-version-check "$spec" ||
        die "could not install '$spec' into '$PY' (pip failed). Install it yourself, e.g. '$PY -m pip install \"$spec\"'."
}
