#!/usr/bin/env bash
# Start a local demo of Prospect Development on http://localhost:8069 (admin / admin).
#
#   ./scripts/demo.sh            create the demo database if needed, then serve it
#   ./scripts/demo.sh --reset    drop and recreate the demo database first
#
# Environment: PD_DEMO_DB (default prospect_demo), PD_DEMO_PORT (default 8069),
#              ODOO_PYTHON (Python that imports Odoo 18.0, default python3).
set -euo pipefail

RESET=0
for arg in "$@"; do
    case "$arg" in
    --reset) RESET=1 ;;
    -h | --help)
        sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "unknown argument: $arg (try --help)" >&2
        exit 2
        ;;
    esac
done

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set -euo pipefail

DB="${PD_DEMO_DB:-prospect_demo}"
PORT="${PD_DEMO_PORT:-8069}"
ADDON=prospect_development

[[ "$DB" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]*$ ]] || die "invalid database name '$DB'"
[[ "$PORT" =~ ^[0-9]+$ ]] || die "invalid port '$PORT'"
[[ -f "$REPO_ROOT/$ADDON/__manifest__.py" ]] || die "$ADDON/__manifest__.py not found in $REPO_ROOT"

ensure_postgres

if ((RESET)) && db_exists "$DB"; then
    info "--reset: dropping database $DB"
    drop_db "$DB"
    db_exists "$DB" && die "could not drop database $DB (is a server still using it?)"
fi

addon_state() {
    psql -X -d "$DB" -tAc "select state from ir_module_module where name = '$ADDON'" 2>/dev/null || true
}

if db_exists "$DB" && [[ "$(addon_state)" != installed ]]; then
    die "database '$DB' exists but $ADDON is not installed in it (an interrupted creation, or another database of that name). Recreate it with: $0 --reset (drops '$DB'), or choose another name with PD_DEMO_DB=..."
fi

if ! db_exists "$DB"; then
    info "Creating demo database '$DB': installing $ADDON with demo data and the Chinese (zh_CN) translation."
    info "This takes a minute or two..."
    start=$SECONDS
    # A half-created database would only get in the way: drop it if creation fails.
    trap 'drop_db "$DB"; echo "Removed the incomplete database $DB." >&2' EXIT
    trap 'exit 130' INT TERM
    # The first language of --load-language becomes the database default when it is
    # created: keep English the default and load Chinese (zh_CN) so users can switch.
    odoo_run -d "$DB" -i "$ADDON" --load-language=en_US,zh_CN --stop-after-init --log-level=warn ||
        die "installing $ADDON into $DB failed (see the log above); retry with: $0 --reset"
    [[ "$(addon_state)" == installed ]] || die "$ADDON is not installed in $DB after the install step"
    trap - EXIT INT TERM
    info "Database '$DB' ready in $((SECONDS - start)) s."
else
    info "Using existing database '$DB' (run '$0 --reset' to recreate it)."
fi

"$PY" - "$PORT" <<'PYEOF' || die "port $PORT on 127.0.0.1 is already in use; stop that server or set PD_DEMO_PORT"
import socket
import sys

s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
finally:
    s.close()
PYEOF

cat <<MSG

==================================================================
  Prospect Development demo
  URL:      http://localhost:$PORT
  Login:    admin
  Password: admin
  Database: $DB
  Chinese:  avatar menu > My Preferences > Language > Chinese (Simplified)
  Stop:     press Ctrl+C in this terminal
  Fresh db: $0 --reset
==================================================================

MSG

exec "$PY" -m odoo --addons-path="$ADDONS_PATH" -d "$DB" --db-filter="^${DB}\$" \
    --http-interface=127.0.0.1 --http-port="$PORT"
