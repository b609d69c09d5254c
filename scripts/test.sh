#!/usr/bin/env bash
# The project's test command (README and CI run exactly this).
#
#   ./scripts/test.sh [extra pytest args, e.g. -k tour]
#
# Stages: lint (ruff, pylint-odoo mandatory checks) -> tools -> install without demo,
# update twice, uninstall -> install with demo -> pytest (incl. HttpCase tours) -> i18n
# (.pot and .po files match the terms Odoo exports) -> Odoo's own crm test suite on crm
# alone and with the add-ons, same outcomes -> faults (the crons SIGKILLed in a real
# server, PostgreSQL restarted mid-run).
# Environment:
#   ODOO_PYTHON=...        Python that imports Odoo 18.0 (default: python3)
#   SKIP_LINT=1            skip the lint stage (local iteration only)
#   SKIP_INSTALL_CHECKS=1  skip the no-demo install/update/uninstall stage (local only)
#   SKIP_TESTS=1           skip the install with demo, pytest and i18n stages (local only)
#   SKIP_CRM_SUITE=1       skip the crm test suite comparison stage (local only)
#   SKIP_FAULTS=1          skip the fault-injection stage (local only)
#   KEEP_DB=1              keep the test databases (names are printed)
# E.g. the crm suite stage alone:
#   SKIP_LINT=1 SKIP_INSTALL_CHECKS=1 SKIP_TESTS=1 SKIP_FAULTS=1 ./scripts/test.sh
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set -euo pipefail
cd "$REPO_ROOT"

# Pinned lint tools (both work with Python 3.10-3.13).
RUFF_VERSION=0.17.6
PYLINT_ODOO_VERSION=10.0.12
PYTEST_ODOO_VERSION=2.3.0

info "Python:      $PY ($("$PY" -c 'import sys; print(sys.version.split()[0])'))"
info "Odoo:        $("$PY" -c 'import odoo.release as r; print(r.version)') at $("$PY" -c 'import os, odoo; print(os.path.dirname(odoo.__file__))')"
info "Addons path: $ADDONS_PATH"

# Add-ons of this repository: top-level folders with a __manifest__.py.
ADDONS=()
for manifest in "$REPO_ROOT"/*/__manifest__.py; do
    [[ -f "$manifest" ]] && ADDONS+=("$(basename "$(dirname "$manifest")")")
done
((${#ADDONS[@]} > 0)) || die "no add-on found at the repository root (no */__manifest__.py in $REPO_ROOT)"
info "Add-ons:     ${ADDONS[*]}"
MAIN_ADDON=prospect_development
[[ -f "$REPO_ROOT/$MAIN_ADDON/__manifest__.py" ]] || die "$MAIN_ADDON/__manifest__.py is missing"
# What the install stages install and update: the main add-on first, then every other
# installable add-on of the repository (companion add-ons, whose tests run too; they
# bring the Odoo add-ons they extend: account, website and website_crm).
INSTALL="$("$PY" - "$REPO_ROOT" "$MAIN_ADDON" "${ADDONS[@]}" <<'PYEOF'
import ast
import os
import sys

root, main, addons = sys.argv[1], sys.argv[2], sys.argv[3:]
names = [main]
for name in addons:
    with open(os.path.join(root, name, "__manifest__.py"), encoding="utf-8") as f:
        manifest = ast.literal_eval(f.read())
    if name != main and manifest.get("installable", True):
        names.append(name)
print(",".join(names))
PYEOF
)" || die "could not read the add-ons' manifests"
info "Installs:    $INSTALL"

# ---------------------------------------------------------------------------
# Lint
# ---------------------------------------------------------------------------
if [[ "${SKIP_LINT:-0}" == 1 ]]; then
    info $'\n== Lint: skipped (SKIP_LINT=1)'
else
    stage_begin "Lint (ruff, ruff format, pylint-odoo mandatory checks)"
    pip_ensure ruff "ruff==$RUFF_VERSION" "$RUFF_VERSION"
    pip_ensure pylint-odoo "pylint-odoo==$PYLINT_ODOO_VERSION" "$PYLINT_ODOO_VERSION"
    lint_failed=()
    info $'\n-- ruff check'
    "$PY" -m ruff check --no-fix "$REPO_ROOT" || lint_failed+=("ruff check")
    info $'\n-- ruff format --check'
    "$PY" -m ruff format --check --diff "$REPO_ROOT" || lint_failed+=("ruff format (run: $PY -m ruff format .)")
    info $'\n-- pylint --rcfile=.pylintrc-mandatory'" ${ADDONS[*]}"
    "$PY" -m pylint --rcfile="$REPO_ROOT/.pylintrc-mandatory" --output-format=text \
        "${ADDONS[@]}" || lint_failed+=("pylint-odoo mandatory checks")
    if ((${#lint_failed[@]} > 0)); then
        joined="$(printf '%s; ' "${lint_failed[@]}")"
        die "lint failed: ${joined%; }"
    fi
    stage_end
fi

# ---------------------------------------------------------------------------
# Test tools, browser, PostgreSQL
# ---------------------------------------------------------------------------
stage_begin "Test tools, Chromium and PostgreSQL"
pip_ensure pytest-odoo "pytest-odoo==$PYTEST_ODOO_VERSION" "$PYTEST_ODOO_VERSION"
pip_ensure hypothesis "hypothesis==6.155.2"
# Same versions as Odoo 18.0's requirements.txt for Python 3.11.
pip_ensure openpyxl "openpyxl==3.0.9"
pip_ensure xlsxwriter "XlsxWriter==3.0.2"
# Without it Odoo's HttpCase skips the browser tours instead of running them.
pip_ensure websocket-client "websocket-client==1.9.2"
# Optional for Odoo, but without it crm's phone-formatting tests fail (crm suite stage).
pip_ensure phonenumbers "phonenumbers==9.0.43" "9.0.43"
# Reads and writes the .po files for the i18n check (Odoo itself needs it too).
pip_ensure polib "polib"

find_chrome() {
    local b
    for b in chromium chromium-browser google-chrome google-chrome-stable; do
        command -v "$b" 2>/dev/null && return 0
    done
    return 1
}
if ! chrome="$(find_chrome)"; then
    if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
        info "Chromium not found: installing it with apt-get (needed for the HttpCase tours)"
        export DEBIAN_FRONTEND=noninteractive
        if ! { apt-get update -q && apt-get install -y -q chromium; }; then
            die "apt-get could not install chromium"
        fi
        chrome="$(find_chrome)" || die "chromium was installed but is not on PATH"
    else
        die "Chromium is needed for the HttpCase tours: install chromium (or google-chrome) so that 'chromium', 'chromium-browser' or 'google-chrome' is on PATH"
    fi
fi
info "  browser: $chrome"

ensure_postgres
info "  PostgreSQL: $(pg_isready) as role $(psql -X -d postgres -tAc 'select current_user')"
stage_end

# ---------------------------------------------------------------------------
# Databases, logs, cleanup
# ---------------------------------------------------------------------------
NODEMO_DB="pd_test_nodemo_$$"
DEMO_DB="pd_test_demo_$$"
# the crm suite stage: crm alone, and crm with the add-ons (both without demo data)
CRM_DB="pd_test_crm_$$"
CRM_ADDONS_DB="pd_test_crm_addons_$$"
TEST_DBS=("$NODEMO_DB" "$DEMO_DB" "$CRM_DB" "$CRM_ADDONS_DB")
LOG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/pd_test_logs.XXXXXX")"
BG_PIDS=()

cleanup() {
    local rc=$? pid
    # background jobs of the crm suite stage (installs, pytest runs) if interrupted
    for pid in "${BG_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || continue
        for _ in {1..20}; do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.5
        done
    done
    if [[ "${KEEP_DB:-0}" == 1 ]]; then
        info "KEEP_DB=1: keeping databases ${TEST_DBS[*]} (those created), logs in $LOG_DIR"
    else
        for db in "${TEST_DBS[@]}"; do drop_db "$db"; done
        rm -rf -- "$LOG_DIR"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
for db in "${TEST_DBS[@]}"; do drop_db "$db"; done

# odoo_step NAME LOG ARGS...: run odoo with ARGS, tee the log, check exit code and log.
odoo_step() {
    local name="$1" log="$2"
    shift 2
    info "\$ python -m odoo $*"
    if ! odoo_run "$@" 2>&1 | tee "$log"; then
        die "$name: odoo exited with an error (log above)"
    fi
    check_log "$log" "$name"
}

# ---------------------------------------------------------------------------
# Install without demo, update twice, uninstall
# ---------------------------------------------------------------------------
if [[ "${SKIP_INSTALL_CHECKS:-0}" == 1 ]]; then
    info $'\n== Install/update/uninstall without demo: skipped (SKIP_INSTALL_CHECKS=1)'
else
    stage_begin "Install $INSTALL without demo data ($NODEMO_DB)"
    odoo_step "install without demo" "$LOG_DIR/install_nodemo.log" \
        -d "$NODEMO_DB" -i "$INSTALL" --without-demo=all --stop-after-init --log-level=warn
    stage_end

    for n in 1 2; do
        stage_begin "Update (-u) $INSTALL, run $n of 2"
        odoo_step "update $n" "$LOG_DIR/update_$n.log" \
            -d "$NODEMO_DB" -u "$INSTALL" --stop-after-init --log-level=warn
        stage_end
    done

    stage_begin "Uninstall $MAIN_ADDON and check crm still works"
    set +e
    "$PY" - "$NODEMO_DB" "$ADDONS_PATH" "$MAIN_ADDON" 2>&1 <<'PYEOF' | tee "$LOG_DIR/uninstall.log"
import sys

import odoo
from odoo import api

db, addons_path, module = sys.argv[1:4]
odoo.tools.config.parse_config(
    ["-d", db, f"--addons-path={addons_path}", "--log-level=warn", "--without-demo=all"]
)


def fail(msg):
    print(f"UNINSTALL CHECK FAILED: {msg}", flush=True)
    sys.exit(1)


registry = odoo.modules.registry.Registry(db)
with registry.cursor() as cr:
    env = api.Environment(cr, odoo.SUPERUSER_ID, {})
    mod = env["ir.module.module"].search([("name", "=", module)])
    if mod.state != "installed":
        fail(f"{module} is not installed (state: {mod.state!r})")
    if "pyramid_tier" not in env["crm.lead"]._fields:
        fail("crm.lead has no 'pyramid_tier' field while the add-on is installed")
    mod.button_immediate_uninstall()

odoo.modules.registry.Registry.delete(db)
registry = odoo.modules.registry.Registry(db)
with registry.cursor() as cr:
    env = api.Environment(cr, odoo.SUPERUSER_ID, {})
    mod = env["ir.module.module"].search([("name", "=", module)])
    if mod.state != "uninstalled":
        fail(f"{module} state is {mod.state!r} after uninstall, expected 'uninstalled'")
    if "pyramid_tier" in env["crm.lead"]._fields:
        fail("crm.lead still has the 'pyramid_tier' field after uninstall")
    left = env["ir.model.fields"].search_count(
        [("model", "=", "crm.lead"), ("name", "=", "pyramid_tier")]
    )
    if left:
        fail("ir.model.fields still has crm.lead.pyramid_tier after uninstall")
    cr.execute(
        "SELECT 1 FROM information_schema.columns"
        " WHERE table_name = 'crm_lead' AND column_name = 'pyramid_tier'"
    )
    if cr.fetchone():
        fail("column crm_lead.pyramid_tier still exists after uninstall")
    lead = env["crm.lead"].create({"name": "Uninstall smoke test lead"})
    found = env["crm.lead"].search([("name", "=", "Uninstall smoke test lead")])
    if lead not in found:
        fail("a crm.lead created after uninstall cannot be found by search")
    found.read(["name", "stage_id", "user_id", "partner_id", "expected_revenue"])
    cr.rollback()
print("uninstall check: OK (module uninstalled, crm.lead create/search works)", flush=True)
PYEOF
    rc=${PIPESTATUS[0]}
    set -e
    ((rc == 0)) || die "uninstall check failed (exit $rc, output above)"
    check_log "$LOG_DIR/uninstall.log" "uninstall"
    stage_end
fi

if [[ "${SKIP_TESTS:-0}" == 1 ]]; then
    info $'\n== Install with demo data, tests, i18n check: skipped (SKIP_TESTS=1)'
else
    # ---------------------------------------------------------------------------
    # Install with demo data
    # ---------------------------------------------------------------------------
    stage_begin "Install $INSTALL with demo data ($DEMO_DB)"
    odoo_step "install with demo" "$LOG_DIR/install_demo.log" \
        -d "$DEMO_DB" -i "$INSTALL" --stop-after-init --log-level=warn
    stage_end

    # ---------------------------------------------------------------------------
    # Tests
    # ---------------------------------------------------------------------------
    stage_begin "Tests (pytest-odoo on $DEMO_DB, with HTTP server for tours)"
    TEST_DIRS=()
    for addon in "${ADDONS[@]}"; do
        [[ -d "$REPO_ROOT/$addon/tests" ]] && TEST_DIRS+=("$addon/tests")
    done
    ((${#TEST_DIRS[@]} > 0)) || die "no tests/ folder in any add-on (${ADDONS[*]}): nothing to test"
    info "\$ python -m pytest ... ${TEST_DIRS[*]} $*"
    set +e
    "$PY" -m pytest \
        --odoo-database="$DEMO_DB" \
        --odoo-addons-path="$ADDONS_PATH" \
        --odoo-http \
        --odoo-log-level=warn \
        -p no:cacheprovider \
        "${TEST_DIRS[@]}" "$@"
    rc=$?
    set -e
    if ((rc == 5)); then
        die 5 "pytest collected no tests in ${TEST_DIRS[*]}${*:+ (with arguments: $*)}"
    elif ((rc != 0)); then
        die "$rc" "pytest failed (exit code $rc)"
    fi
    stage_end

    # ---------------------------------------------------------------------------
    # i18n: the committed .pot and .po files match the terms Odoo exports
    # ---------------------------------------------------------------------------
    stage_begin "i18n: .pot and .po files match the terms exported from $DEMO_DB"
    set +e
    "$PY" "$REPO_ROOT/scripts/check_i18n.py" --db "$DEMO_DB" --addons-path="$ADDONS_PATH" \
        2>&1 | tee "$LOG_DIR/i18n.log"
    rc=${PIPESTATUS[0]}
    set -e
    ((rc == 0)) || die "$rc" "i18n check failed (output above)"
    check_log "$LOG_DIR/i18n.log" "i18n export"
    stage_end
fi

# ---------------------------------------------------------------------------
# Odoo's own crm tests: the same outcome with and without the add-ons
# ---------------------------------------------------------------------------
# Both databases are installed fresh with the same settings (no demo data), in
# parallel; then crm's whole test suite (at_install and post_install tests alike:
# pytest-odoo runs them all on the full registry, the HttpCase tours included) runs on
# each, one after the other (in parallel, on two cores, tours can time out), and the
# outcome of every test is compared from the JUnit reports. Tests that differ are run
# once more on both sides, so that a tour timing out once is not taken for a change.
# The add-ons side also has what the companions depend on (account, website,
# website_crm): crm's tests must give the same outcome with those too.
if [[ "${SKIP_CRM_SUITE:-0}" == 1 ]]; then
    info $'\n== Odoo crm test suite comparison: skipped (SKIP_CRM_SUITE=1)'
else
    stage_begin "Odoo's crm test suite: crm alone ($CRM_DB) vs with $INSTALL ($CRM_ADDONS_DB)"
    CRM_TESTS="$("$PY" -c 'import os, odoo.addons.crm as m; print(os.path.join(os.path.dirname(m.__file__), "tests"))')" ||
        die "cannot locate Odoo's crm add-on"
    [[ -d "$CRM_TESTS" ]] || die "Odoo's crm tests not found at $CRM_TESTS"
    # run_bg NAME CMD...: start CMD in the background, output in $LOG_DIR/NAME.log
    declare -A CRM_JOBS=()
    run_bg() {
        local name="$1"
        shift
        "$@" >"$LOG_DIR/$name.log" 2>&1 &
        CRM_JOBS[$name]=$!
        BG_PIDS+=($!)
    }
    # wait_bg NAME: wait for job NAME; its exit code in $rc
    wait_bg() {
        rc=0
        wait "${CRM_JOBS[$1]}" || rc=$?
    }

    info "\$ python -m odoo -d $CRM_DB -i crm --without-demo=all --stop-after-init   (log: crm_install_alone.log)"
    info "\$ python -m odoo -d $CRM_ADDONS_DB -i crm,$INSTALL --without-demo=all --stop-after-init   (log: crm_install_addons.log)"
    run_bg crm_install_alone "$PY" -m odoo --addons-path="$ADDONS_PATH" -d "$CRM_DB" -i crm \
        --without-demo=all --stop-after-init --log-level=warn
    run_bg crm_install_addons "$PY" -m odoo --addons-path="$ADDONS_PATH" -d "$CRM_ADDONS_DB" \
        -i "crm,$INSTALL" --without-demo=all --stop-after-init --log-level=warn
    for job in crm_install_alone crm_install_addons; do
        wait_bg "$job"
        if ((rc != 0)); then
            cat "$LOG_DIR/$job.log" >&2
            die "$job: odoo exited with code $rc (log above)"
        fi
        check_log "$LOG_DIR/$job.log" "$job"
    done
    info "  installed in $((SECONDS - _STAGE_START))s"

    BG_PIDS=()

    # The repository's conftest.py (it silences a misleading import error of Odoo's test
    # framework) is loaded as a plugin: pytest does not see it for tests outside the repo.
    CRM_PYTEST=(env "PYTHONPATH=$REPO_ROOT${PYTHONPATH:+:$PYTHONPATH}"
        "$PY" -m pytest --odoo-addons-path="$ADDONS_PATH" --odoo-http
        --odoo-log-level=warn -p no:cacheprovider -q -rfEs)
    [[ -f "$REPO_ROOT/conftest.py" ]] && CRM_PYTEST+=(-p conftest)
    declare -A CRM_SIDE_DB=([alone]="$CRM_DB" [addons]="$CRM_ADDONS_DB")
    # crm_pytest SIDE RUN ARGS...: pytest on SIDE's database, JUnit report in
    # $LOG_DIR/RUN_SIDE.xml; pytest failing some tests is fine (compared afterwards)
    crm_pytest() {
        local side="$1" run="$2" rc start=$SECONDS
        shift 2
        info $'\n'"-- $run on ${CRM_SIDE_DB[$side]} (crm $side)"
        info "\$ python -m pytest --odoo-database=${CRM_SIDE_DB[$side]} --odoo-http ... $*"
        # pytest's summary (failures, counts) here, all of its output in the log
        set +e
        "${CRM_PYTEST[@]}" --odoo-database="${CRM_SIDE_DB[$side]}" \
            --junitxml="$LOG_DIR/${run}_$side.xml" "$@" >"$LOG_DIR/${run}_$side.log" 2>&1
        rc=$?
        set -e
        if grep -q 'short test summary info' "$LOG_DIR/${run}_$side.log"; then
            sed -n '/short test summary info/,$p' "$LOG_DIR/${run}_$side.log"
        else
            tail -n 1 "$LOG_DIR/${run}_$side.log"
        fi
        info "   (exit code $rc, $((SECONDS - start))s)"
        # 0: all passed, 1: some failed (compared below); anything else: pytest broke
        if ((rc != 0 && rc != 1)) || [[ ! -s "$LOG_DIR/${run}_$side.xml" ]]; then
            tail -n 80 "$LOG_DIR/${run}_$side.log" >&2
            die "pytest of crm's tests on ${CRM_SIDE_DB[$side]} did not run (exit code $rc, output above)"
        fi
    }
    for side in alone addons; do
        crm_pytest "$side" crm_tests "$CRM_TESTS"
    done

    info $'\n'"-- outcome of each crm test: crm alone vs with $INSTALL"
    COMPARE=("$PY" "$REPO_ROOT/scripts/compare_junit.py"
        "crm alone" "$LOG_DIR/crm_tests_alone.xml"
        "crm + add-ons" "$LOG_DIR/crm_tests_addons.xml")
    rc=0
    "${COMPARE[@]}" --write-differing "$LOG_DIR/crm_differing.txt" \
        --tests-dir "$CRM_TESTS" || rc=$?
    if ((rc == 1)) && [[ -s "$LOG_DIR/crm_differing.txt" ]]; then
        mapfile -t differing <"$LOG_DIR/crm_differing.txt"
        info $'\n'"-- running the ${#differing[@]} differing tests again on both sides"
        for side in alone addons; do
            crm_pytest "$side" crm_rerun "${differing[@]}"
        done
        info $'\n'"-- outcome of each crm test, differing tests re-run"
        rc=0
        "${COMPARE[@]}" --rerun "$LOG_DIR/crm_rerun_alone.xml" \
            "$LOG_DIR/crm_rerun_addons.xml" || rc=$?
    fi
    ((rc == 0)) ||
        die "$rc" "Odoo's crm tests do not give the same result with $INSTALL installed (differences above; pytest logs kept with KEEP_DB=1: $LOG_DIR/crm_*.log)"
    stage_end
fi

# ---------------------------------------------------------------------------
# Faults: SIGKILL and PostgreSQL restart in the middle of the crons
# ---------------------------------------------------------------------------
if [[ "${SKIP_FAULTS:-0}" == 1 ]]; then
    info $'\n== Faults: skipped (SKIP_FAULTS=1)'
else
    stage_begin "Faults (crons SIGKILLed in odoo --workers=2, PostgreSQL restarted)"
    FAULT_ARGS=()
    # the restart needs Debian's cluster tools and the 15/main cluster
    if ! command -v pg_ctlcluster >/dev/null 2>&1; then
        FAULT_ARGS+=(--no-pg-restart)
        info "pg_ctlcluster not found: PostgreSQL will not be restarted"
    fi
    "$PY" "$REPO_ROOT/robustness/faults.py" --db "pd_test_faults_$$" "${FAULT_ARGS[@]}" \
        || die "fault-injection run failed (output above)"
    stage_end
fi

stage_summary
info "All stages passed."
