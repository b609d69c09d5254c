"""Fault-injection harness for the four batch crons of prospect_development.

What it proves (issue 7, "Faults"): each cron (rescore, cadence, sequence, care),
run by a real Odoo server (``python3 -m odoo --workers=2 --max-cron-threads=2``,
i.e. two HTTP workers and two cron worker processes) and killed with SIGKILL at
random points, then run again, leaves the database exactly as one clean run does:
no duplicate activity, mail, card or history line, no lead skipped. Meanwhile a
salesperson edits leads through XML-RPC (need, closing date, description): none of
the edits is lost and the grade the ORM computed from them is never overwritten by
a stale rescoring. PostgreSQL is restarted once in the middle of a run: the server
survives it (or is restarted) and the next run completes.

How:

1. A fresh database (``--db``, default ``pd_faults``) with the add-on (no demo),
   filled by SQL: customers with won deals (a third of the leads), open leads of
   every need and closing date, key accounts whose contacts have a birthday in the
   coming days (care), due cadence leads (``bench/bench_cadence.populate``),
   enrolments whose first mailing is due (``bench/bench_sequence.populate``), and
   leads that become prospects with an address, enrolled by rule in the automatic
   *Feedback* sequence. Odoo's other crons are deactivated (the mail queue above
   all: queued mails stay queued and are counted).
2. The reference: a copy (``createdb -T``) on which each cron method runs once,
   in-process, in the order of the stages below; its invariants are snapshotted.
3. The fault runs, on the original, in three stages, the order that makes "one
   clean run" well defined: the rescoring feeds the cadence and the sequences'
   rules, and a mailing or a greeting is a contact that moves the next contact
   date, so the cadence must run before them; the sequence and care crons are
   independent of each other. Stage 1: the rescoring; stage 2: the cadence; stage
   3: sequence and care together on the two cron workers. In each stage the
   stage's crons are made due (``nextcall`` now) and the workers woken (``NOTIFY
   cron_trigger``); once one has started (a new ``ir_cron_progress`` row), the
   harness waits a random fraction of its reference duration and SIGKILLs the
   server's whole process group (the kills go round the stages, stage 3 first); in
   stage 3 one more interruption is a PostgreSQL restart (``pg_ctlcluster 15 main
   restart``) with the server left running. Then the crons are made due once more
   and the server lets them finish (each ``nextcall`` pushed past the next half
   hour, no failure) before it is stopped. A cron that fails in that final run
   (e.g. a deadlock) is reported in the table and run again, up to three times;
   ``--strict`` makes it fatal. A killed job leaves a progress row counted by Odoo
   as a timeout; after three in a row Odoo skips the job once, so the harness
   resets that counter before every start (it simulates crashes, not slow jobs).
4. A salesperson (a CRM user, XML-RPC, one lead per transaction) edits random open
   leads during all three stages, kills and restart included. A call that got no answer
   (the server was killed) may or may not have been committed: both outcomes are
   accepted for that lead.
5. Two independent Odoo servers (each ``--workers=2 --max-cron-threads=2``) on a
   pristine copy of the database: each stage's crons are made due on both at once,
   and *Run Manually* is clicked on the second server meanwhile (it runs the job, or
   is refused while a cron worker holds it). The copy must end as the clean run.
6. Checks, exit status 1 with the list of failures:
   * every lead not edited by the salesperson equals the reference: engine fields
     (tier, revenue, grade, contact dates, urgency, score, ...), its activities
     (type, user, deadline, cadence flag), history lines, messages, mails, cards and
     enrolments (by lead, sequence and step: ids differ after killed transactions);
   * care logs equal the reference;
   * at most one open cadence activity per lead; no history line written twice by the
     engine (same lead, kind, date, old and new value); one card per (enrolment,
     step) and exactly one queued mail per card; no care log twice;
   * no lead skipped: every open lead has a tier and a grade;
   * every salesperson edit is there, and the grade of each edited open lead is the
     one the rules give for its need and closing date (no stale overwrite).

Usage (Odoo 18 importable by python3; PostgreSQL 15 cluster ``15/main`` local):
    python3 robustness/faults.py [--leads 10000] [--kills 6] [--seed 7]
                                 [--db pd_faults] [--keep] [--no-pg-restart]
"""

import argparse
import atexit
import importlib.util
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import xmlrpc.client
from collections import Counter
from datetime import date, timedelta
from http.client import HTTPException
from xml.parsers.expat import ExpatError

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "bench"))

import bench_cadence  # noqa: E402
import bench_sequence  # noqa: E402
import psycopg2  # noqa: E402
from benchlib import addons_path, environment, open_database  # noqa: E402

import odoo  # noqa: E402
from odoo.modules.registry import Registry  # noqa: E402
from odoo.tools import SQL  # noqa: E402

CRONS = {
    "rescore": "ir_cron_prospect_rescore",
    "cadence": "ir_cron_prospect_cadence",
    "sequence": "ir_cron_prospect_sequence",
    "care": "ir_cron_prospect_care",
}
CRON_LABELS = {
    "rescore": "rescore",
    "cadence": "plan the contacts",
    "sequence": "direct-mail",
    "care": "key-account",
}
STAGES = [["rescore"], ["cadence"], ["sequence", "care"]]
SALES_LOGIN = "faults_sales"


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# ------------------------------------------------------------
# DATASET
# ------------------------------------------------------------


def populate(env, leads):
    """About ``leads`` leads: a tenth due for the sequences, a tenth due for the
    cadence, the rest customers (a third won) and their open leads."""
    n_sequence = max(leads // 10, 10)
    n_cadence = max(leads // 10, 10)
    bench_sequence.populate(env, n_sequence)
    bench_cadence.populate(env, n_cadence)
    rest = max(leads - n_sequence - n_cadence, 30)
    n_customers = max(rest // 4, 10)
    today = date.today()
    salesman = env.ref("sales_team.group_sale_salesman_all_leads")
    env["res.users"].create(
        {
            "name": "Faults Salesperson",
            "login": SALES_LOGIN,
            "password": SALES_LOGIN,
            "email": "faults.sales@faults-company.example",
            "groups_id": [(6, 0, [salesman.id, env.ref("base.group_user").id])],
        }
    )
    users = env["res.users"].search([("login", "=like", "sequence%")]).ids
    won = env["crm.stage"].search([("is_won", "=", True)], limit=1)
    open_stage = env["crm.stage"].search([("is_won", "=", False)], limit=1)
    team = env["crm.team"].search([], limit=1)
    # care: a quarter of the customers are key accounts with a birthday to come
    env.flush_all()
    cr = env.cr
    cr.execute(
        SQL(
            """
        INSERT INTO res_partner (name, complete_name, is_company, active, type, email,
                                 email_normalized, lang, partner_share,
                                 prospect_birthday, create_date, write_date)
        SELECT 'Customer ' || i, 'Customer ' || i, TRUE, TRUE, 'contact',
               'owner' || i || '@customer' || i || '.example',
               'owner' || i || '@customer' || i || '.example', 'en_US', TRUE,
               CASE WHEN mod(i, 4) IN (2, 3)
                    THEN (%(today)s::date
                          - make_interval(years => 30 + mod(i, 20)))::date
                         + mod(i, 40) END,
               NOW(), NOW()
          FROM generate_series(1, %(customers)s) i
        """,
            today=today,
            customers=n_customers,
        )
    )
    cr.execute(
        "UPDATE res_partner SET commercial_partner_id = id"
        " WHERE commercial_partner_id IS NULL"
    )
    cr.execute(
        SQL(
            """
        INSERT INTO crm_lead (name, type, active, company_id, user_id, team_id,
                              stage_id, partner_id, need_status, date_deadline,
                              expected_revenue, probability, date_closed,
                              key_account_colour, email_from, email_normalized,
                              last_contact_date, create_date, write_date)
        SELECT 'Deal ' || i, 'opportunity', TRUE, %(company)s,
               (%(users)s::int[])[1 + mod(i, 20)], %(team)s,
               CASE WHEN mod(i, 3) = 0 THEN %(won)s ELSE %(open)s END,
               CASE WHEN mod(i, 7) = 6 THEN NULL ELSE partner.id END,
               (ARRAY['clear', 'potential', 'none', 'clear'])[1 + mod(i, 4)],
               %(today)s::date + mod(i * 37, 240) - 20,
               1000 + mod(i * 7919, 100000), CASE WHEN mod(i, 3) = 0 THEN 100
               ELSE 10 + mod(i, 80) END,
               CASE WHEN mod(i, 3) = 0
                    THEN NOW() AT TIME ZONE 'UTC' - make_interval(days => mod(i, 700))
               END,
               CASE WHEN mod(i, 3) != 0 AND mod(i / 3, 4) = 0 AND mod(i, 7) != 6
                    THEN (ARRAY['red', 'white'])[1 + mod(i, 2)] END,
               CASE WHEN mod(i, 29) = 1 THEN 'feedback' || i || '@lead.example' END,
               CASE WHEN mod(i, 29) = 1 THEN 'feedback' || i || '@lead.example' END,
               CASE WHEN mod(i, 5) = 1 THEN %(today)s::date - mod(i, 60) END,
               NOW() - make_interval(days => mod(i, 400)), NOW()
          FROM generate_series(1, %(rest)s) i
          JOIN res_partner partner
            ON partner.name = 'Customer ' || (1 + mod(i, %(customers)s))
        """,
            company=env.company.id,
            users=users,
            team=team.id,
            won=won.id,
            open=open_stage.id,
            today=today,
            customers=n_customers,
            rest=rest,
        )
    )
    # the Feedback sequence enrols by rule the prospects with an address
    env.ref("prospect_development.prospect_sequence_feedback").auto_enroll = True
    # nothing runs but what the harness makes due: Odoo's other crons (the mail
    # queue above all) are off, the four wait (the sequence cron is due at install)
    ours = [env.ref(f"prospect_development.{xmlid}").id for xmlid in CRONS.values()]
    env["ir.cron"].search([("id", "not in", ours)]).write({"active": False})
    env.flush_all()
    cr.execute(
        "UPDATE ir_cron SET nextcall = NOW() AT TIME ZONE 'UTC' + interval '30 days'"
        " WHERE id = ANY(%s)",
        (ours,),
    )
    cr.execute("ANALYZE")


def createdb_from(template, db):
    odoo.sql_db.close_all()
    subprocess.run(["dropdb", "--if-exists", "--force", db], check=True)
    subprocess.run(["createdb", "-T", template, db], check=True)


def drop(db):
    """Drop the database and its filestore."""
    odoo.sql_db.close_all()
    subprocess.run(["dropdb", "--if-exists", "--force", db], check=False)
    filestore = os.path.join(odoo.tools.config["data_dir"], "filestore", db)
    shutil.rmtree(filestore, ignore_errors=True)


def pg(db):
    conn = psycopg2.connect(dbname=db)
    conn.autocommit = True
    return conn


def query(db, sql, params=None):
    for attempt in range(30):
        try:
            with pg(db) as conn, conn.cursor() as cr:
                cr.execute(sql, params)
                return cr.fetchall() if cr.description else None
        except psycopg2.OperationalError:
            if attempt == 29:
                raise
            time.sleep(1)


# ------------------------------------------------------------
# REFERENCE
# ------------------------------------------------------------


def run_reference(db):
    """Each cron once, in-process, in stage order; returns their durations."""
    registry = Registry(db)
    durations = {}
    for stage in STAGES:
        for name in stage:
            with registry.cursor() as cr:
                env = environment(cr)
                start = time.perf_counter()
                if name == "rescore":
                    env["crm.lead"]._cron_prospect_rescore()
                elif name == "cadence":
                    env["crm.lead"]._cron_prospect_cadence()
                elif name == "sequence":
                    env["prospect.sequence.enrollment"]._cron_prospect_sequence()
                else:
                    env["prospect.care.engine"]._cron_prospect_care()
                cr.commit()
                durations[name] = time.perf_counter() - start
            log(f"reference {name}: {durations[name]:.1f} s")
    odoo.sql_db.close_all()
    return durations


def snapshot(db):
    """Per lead and global invariants, in comparable form."""
    # the columns the rescoring engine writes (importable once Odoo is set up)
    from odoo.addons.prospect_development.models.prospect_rescore_engine import (  # noqa: PLC0415
        ENGINE_COLUMNS,
    )

    snap = {}
    rows = query(db, f"SELECT id, {', '.join(ENGINE_COLUMNS)} FROM crm_lead")
    snap["lead"] = {row[0]: tuple(str(v) for v in row[1:]) for row in rows}
    per_lead = {
        "activity": """
            SELECT res_id, activity_type_id, user_id, date_deadline,
                   COALESCE(prospect_cadence, FALSE), active
              FROM mail_activity WHERE res_model = 'crm.lead'""",
        "history": """
            SELECT lead_id, kind, date, old_value, new_value, create_uid
              FROM prospect_lead_history""",
        "message": """
            SELECT res_id, message_type, subtype_id, author_id, subject
              FROM mail_message WHERE model = 'crm.lead'""",
        "mail": """
            SELECT message.res_id, mail.state, mail.email_to, message.subject
              FROM mail_mail mail
              JOIN mail_message message ON message.id = mail.mail_message_id
             WHERE message.model = 'crm.lead'""",
        "card": """
            SELECT lead_id, sequence_id, step_id FROM prospect_feedback_card""",
        "enrollment": """
            SELECT lead_id, sequence_id, state, stop_reason, next_step_id,
                   next_date IS NULL FROM prospect_sequence_enrollment""",
    }
    for key, sql in per_lead.items():
        grouped = {}
        for row in query(db, sql):
            grouped.setdefault(row[0], Counter())[tuple(map(str, row[1:]))] += 1
        snap[key] = grouped
    snap["care"] = Counter(
        query(db, "SELECT partner_id, occasion, year, lead_id FROM prospect_care_log")
    )
    return snap


# ------------------------------------------------------------
# SERVER
# ------------------------------------------------------------


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


GEVENT_STUB = """
import runpy, sys, time
if sys.argv[1:2] == ["gevent"]:
    print("faults harness: gevent is unusable here, no long-polling worker", flush=True)
    while True:
        time.sleep(3600)
sys.argv[0] = {odoo_bin!r}
runpy.run_path({odoo_bin!r}, run_name="__main__")
"""


def launcher():
    """How to start the server: odoo-bin, not ``-m odoo`` (the prefork server
    respawns its long-polling worker as ``sys.argv[0] gevent``, which fails on
    odoo/__main__.py); through a stub that idles in place of that worker when gevent
    cannot even be imported (it would be respawned, and fail, every second)."""
    odoo_bin = os.path.join(os.path.dirname(os.path.dirname(odoo.__file__)), "odoo-bin")
    if not os.path.exists(odoo_bin):
        return ["-m", "odoo"]
    probe = "import gevent.monkey; gevent.monkey.patch_all()"
    if subprocess.run([sys.executable, "-c", probe], capture_output=True).returncode:
        stub = tempfile.NamedTemporaryFile(
            "w", prefix="faults_odoo_bin_", suffix=".py", delete=False
        )
        with stub:
            stub.write(GEVENT_STUB.format(odoo_bin=odoo_bin))
        atexit.register(os.unlink, stub.name)
        return [stub.name]
    return [odoo_bin]


class Server:
    def __init__(self, db, logfile):
        self.db, self.logfile, self.proc = db, logfile, None
        self.port = free_port()

    def start(self):
        env = dict(os.environ, ODOO_NOTIFY_CRON_CHANGES="1")
        command = [sys.executable, *launcher()]
        command += [
            "-d",
            self.db,
            f"--addons-path={addons_path()}",
            "--workers=2",
            "--max-cron-threads=2",
            f"--http-port={self.port}",
            f"--gevent-port={free_port()}",
            "--http-interface=127.0.0.1",
            f"--db-filter=^{self.db}$",
            "--log-level=warn",
            "--limit-time-real-cron=0",
            "--limit-time-real=600",
            "--limit-time-cpu=600",
        ]
        with open(self.logfile, "a") as out:
            self.proc = subprocess.Popen(
                command,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env=env,
            )

    def kill(self, sig=signal.SIGKILL):
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if self.proc and sig != signal.SIGKILL:
            # a graceful stop leaves no worker behind either
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc = None

    @property
    def alive(self):
        return self.proc is not None and self.proc.poll() is None


def cron_ids(db):
    rows = query(
        db,
        "SELECT name, res_id FROM ir_model_data"
        " WHERE module = 'prospect_development' AND model = 'ir.cron'",
    )
    by_xmlid = dict(rows)
    return {name: by_xmlid[xmlid] for name, xmlid in CRONS.items()}


def arm(db, ids):
    """Make the crons due now (and forget the timeouts of killed runs)."""
    query(
        db,
        "UPDATE ir_cron SET nextcall = NOW() AT TIME ZONE 'UTC' - interval '1 minute',"
        " active = TRUE WHERE id = ANY(%s)",
        (ids,),
    )
    query(
        db,
        "UPDATE ir_cron_progress SET timed_out_counter = 0 WHERE cron_id = ANY(%s)",
        (ids,),
    )


def wake(db):
    try:
        query("postgres", "SELECT pg_notify('cron_trigger', %s)", (db,))
    except psycopg2.Error:
        pass


def last_progress(db, ids):
    rows = query(
        db,
        "SELECT DISTINCT ON (cron_id) cron_id, id, done, remaining"
        " FROM ir_cron_progress WHERE cron_id = ANY(%s) ORDER BY cron_id, id DESC",
        (ids,),
    )
    return {row[0]: row[1:] for row in rows}


def wait_started(db, ids, baseline, timeout=120):
    """The first cron of ``ids`` to start a run after ``baseline``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for cron_id, (progress_id, _done, _rem) in last_progress(db, ids).items():
            if progress_id > baseline.get(cron_id, (0,))[0]:
                return cron_id
        wake(db)
        time.sleep(0.2)
    return None


def wait_finished(db, ids, server, timeout=600):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = query(
            db,
            "SELECT id, nextcall > NOW() AT TIME ZONE 'UTC' + interval '30 minutes',"
            " failure_count FROM ir_cron WHERE id = ANY(%s)",
            (ids,),
        )
        if all(done for _id, done, _f in rows):
            return [cron for cron, _done, failures in rows if failures]
        if not server.alive:
            raise RuntimeError("the Odoo server died")
        wake(db)
        time.sleep(0.5)
    raise RuntimeError(f"crons {ids} did not finish within {timeout} s")


def failure_reason(logfile, cron):
    """The exception of the last failure of ``cron`` in the server log."""
    with open(logfile, errors="replace") as f:
        text = f.read()
    label = CRON_LABELS[cron]
    at = text.rfind(f"Job 'Prospect Development: {label}")
    if at < 0:
        return "unknown"
    pattern = r"^((?:psycopg2|odoo)[\w.]*: [^\n]*)"
    reasons = re.findall(pattern, text[at:], re.M)
    return reasons[0][:160] if reasons else "unknown"


def restart_postgres():
    subprocess.run(["pg_ctlcluster", "15", "main", "restart"], check=True)
    for _ in range(60):
        if subprocess.run(["pg_isready", "-q"], check=False).returncode == 0:
            return
        time.sleep(1)
    raise RuntimeError("PostgreSQL did not come back")


# ------------------------------------------------------------
# SALESPERSON
# ------------------------------------------------------------


class Salesperson(threading.Thread):
    """Edits open leads through XML-RPC, one lead per transaction, and records
    for each what it may now hold."""

    def __init__(self, server, lead_ids, seed):
        super().__init__(daemon=True)
        self.server, self.lead_ids = server, lead_ids
        self.rng = random.Random(seed)
        self.expected = {}  # lead id -> list of acceptable (need, deadline, desc)
        self.stop_event = threading.Event()
        self.paused = threading.Event()
        self.edits = self.unsure = self.errors = 0
        self.last_error = None
        self.crash = None

    def run(self):
        try:
            self._edit_until_stopped()
        except Exception as exc:
            self.crash = repr(exc)
            raise

    def _edit_until_stopped(self):
        uid = None
        while not self.stop_event.is_set():
            if self.paused.is_set() or not self.server.alive:
                uid = None
                time.sleep(0.2)
                continue
            url = f"http://127.0.0.1:{self.server.port}/xmlrpc/2/"
            try:
                if uid is None:
                    common = xmlrpc.client.ServerProxy(url + "common")
                    uid = common.authenticate(
                        self.server.db, SALES_LOGIN, SALES_LOGIN, {}
                    )
                    models = xmlrpc.client.ServerProxy(url + "object", allow_none=True)
            except (OSError, HTTPException, ExpatError, xmlrpc.client.Error):
                time.sleep(0.5)
                continue
            lead_id = self.rng.choice(self.lead_ids)
            values = {
                "need_status": self.rng.choice(["clear", "potential", "none"]),
                "date_deadline": str(
                    date.today() + timedelta(self.rng.randint(0, 250))
                ),
                "description": f"<p>edit {self.edits + self.unsure}</p>",
            }
            before = self.expected.get(lead_id)
            try:
                models.execute_kw(
                    self.server.db,
                    uid,
                    SALES_LOGIN,
                    "crm.lead",
                    "write",
                    [[lead_id], values],
                )
            except xmlrpc.client.Fault as fault:
                if "OperationalError" in fault.faultString or (
                    "InterfaceError" in fault.faultString
                ):
                    # the database went away (restart): maybe during the commit
                    self.unsure += 1
                    self.expected[lead_id] = (before or [None]) + [values]
                else:
                    self.errors += 1
                    self.last_error = fault.faultString[-300:]
                time.sleep(0.5)
                continue
            except (OSError, HTTPException, ExpatError, xmlrpc.client.ProtocolError):
                # no answer, or an answer cut by the kill: committed or not,
                # both are right
                self.unsure += 1
                self.expected[lead_id] = (before or [None]) + [values]
                uid = None
                continue
            self.edits += 1
            self.expected[lead_id] = [values]
            time.sleep(self.rng.uniform(0, 0.05))


# ------------------------------------------------------------
# TWO SERVERS
# ------------------------------------------------------------


class ServerPair:
    """Two independent Odoo servers on one database, each with its own HTTP and
    cron workers: four cron workers competing for the same jobs."""

    def __init__(self, db, logfile):
        self.servers = [Server(db, logfile), Server(db, logfile)]
        self.logfile = logfile

    def start(self):
        for server in self.servers:
            server.start()

    def kill(self, sig=signal.SIGKILL):
        for server in self.servers:
            server.kill(sig)

    @property
    def alive(self):
        return all(server.alive for server in self.servers)


def run_manually(server, db, cron_id):
    """'Run Manually' clicked on ``server`` (an administrator, XML-RPC): runs the
    job there unless a cron worker holds it; returns what happened."""
    url = f"http://127.0.0.1:{server.port}/xmlrpc/2/"
    for _attempt in range(120):
        try:
            uid = xmlrpc.client.ServerProxy(url + "common").authenticate(
                db, "admin", "admin", {}
            )
            break
        except (OSError, HTTPException, ExpatError, xmlrpc.client.ProtocolError):
            time.sleep(0.5)
    else:
        return "server unreachable"
    models = xmlrpc.client.ServerProxy(url + "object", allow_none=True)
    try:
        models.execute_kw(
            db, uid, "admin", "ir.cron", "method_direct_trigger", [[cron_id]]
        )
    except xmlrpc.client.Fault as fault:
        return "refused: " + fault.faultString.strip().splitlines()[-1].strip()[:80]
    return "ran"


def two_server_stages(db, args, logfile, events):
    """Each stage's crons made due at once on two independent servers, and run by
    hand on the second meanwhile; then let them finish."""
    ids = cron_ids(db)
    pair = ServerPair(db, logfile)
    pair.start()
    try:
        for stage in STAGES:
            stage_ids = [ids[name] for name in stage]
            arm(db, stage_ids)
            wake(db)
            outcomes = [
                f"{name}: {run_manually(pair.servers[1], db, ids[name])}"
                for name in stage
            ]
            failed = wait_finished(db, stage_ids, pair, timeout=args.timeout)
            if failed:
                reasons = [failure_reason(logfile, n) for n in stage]
                raise RuntimeError(f"two servers: {stage} failed: {reasons}")
            events.append(("+".join(stage), "two servers", "-", "; ".join(outcomes)))
            log(f"two servers: {'+'.join(stage)} completed ({'; '.join(outcomes)})")
    finally:
        pair.kill(signal.SIGTERM)


# ------------------------------------------------------------
# CHECKS
# ------------------------------------------------------------


def load_reference():
    """The tests' reference of the rules (``tests/reference.py``, plain Python),
    loaded by its path: importing it through the tests package would import Odoo's
    test framework outside a test run, which Odoo logs as an error."""
    path = os.path.join(
        os.path.dirname(HERE), "prospect_development", "tests", "reference.py"
    )
    spec = importlib.util.spec_from_file_location("prospect_reference", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check(db, reference, edited, salesperson, failures):
    actual = snapshot(db)
    leads = [lead for lead in reference["lead"] if lead not in edited]
    mismatches = 0
    for key in ["lead", "activity", "history", "message", "mail", "card", "enrollment"]:
        wrong = [
            lead
            for lead in leads
            if reference[key].get(lead) != actual[key].get(lead)
            and (reference[key].get(lead) or actual[key].get(lead))
        ]
        if key != "lead":
            # no lead appears on one side only (e.g. created by nobody)
            wrong += [
                lead
                for lead in actual[key]
                if lead not in reference["lead"] and lead not in edited
            ]
        if wrong:
            mismatches += len(wrong)
            lead = wrong[0]
            failures.append(
                f"{key}: {len(wrong)} leads differ from the clean run, e.g. lead"
                f" {lead}: expected {reference[key].get(lead)},"
                f" got {actual[key].get(lead)}"
            )
    if reference["care"] != actual["care"]:
        mismatches += 1
        failures.append(
            f"care logs differ: missing {reference['care'] - actual['care']},"
            f" extra {actual['care'] - reference['care']}"
        )
    absolute = {
        "leads with two open cadence activities": """
            SELECT res_id FROM mail_activity
             WHERE res_model = 'crm.lead' AND prospect_cadence AND active
             GROUP BY res_id HAVING COUNT(*) > 1""",
        "history lines written twice by the engine": """
            SELECT lead_id FROM prospect_lead_history WHERE create_uid = 1
             GROUP BY lead_id, kind, date, old_value, new_value HAVING COUNT(*) > 1""",
        "cards sent twice for one step": """
            SELECT enrollment_id FROM prospect_feedback_card
             GROUP BY enrollment_id, step_id HAVING COUNT(*) > 1""",
        "cards without exactly one queued mail": """
            SELECT card.id FROM prospect_feedback_card card
              LEFT JOIN mail_mail mail ON mail.mail_message_id = card.mail_message_id
             GROUP BY card.id HAVING COUNT(mail.id) != 1""",
        "care greetings logged twice": """
            SELECT partner_id FROM prospect_care_log
             GROUP BY partner_id, occasion, year HAVING COUNT(*) > 1""",
        "care logs with neither message nor activity": """
            SELECT id FROM prospect_care_log
             WHERE message_id IS NULL AND activity_id IS NULL""",
        "open leads skipped (no tier or grade)": """
            SELECT lead.id FROM crm_lead lead
              LEFT JOIN crm_stage stage ON stage.id = lead.stage_id
             WHERE lead.active AND NOT COALESCE(stage.is_won, FALSE)
               AND (lead.pyramid_tier IS NULL OR lead.prospect_grade IS NULL)""",
        "due enrolments left unsent": """
            SELECT id FROM prospect_sequence_enrollment
             WHERE state = 'running' AND NOT paused
               AND next_date <= NOW() AT TIME ZONE 'UTC' - interval '30 minutes'""",
    }
    for label, sql in absolute.items():
        rows = query(db, sql)
        if rows:
            mismatches += len(rows)
            failures.append(f"{label}: {len(rows)} (e.g. id {rows[0][0]})")
    # the salesperson's edits, and the grade the ORM computed from them
    from odoo.addons.prospect_development.models.prospect_settings import (  # noqa: PLC0415
        DEFAULTS,
    )

    rules_reference = load_reference()

    rows = query(
        db,
        """SELECT lead.id, lead.need_status, lead.date_deadline, lead.description,
                  lead.prospect_grade, COALESCE(stage.is_won, FALSE) OR NOT lead.active
             FROM crm_lead lead LEFT JOIN crm_stage stage ON stage.id = lead.stage_id
            WHERE lead.id = ANY(%s)""",
        (list(edited),),
    )
    settings = DEFAULTS
    lost = stale = 0
    for lead_id, need, deadline, description, grade, closed in rows:
        options = salesperson.expected.get(lead_id, [])
        held = {
            "need_status": need,
            "date_deadline": str(deadline) if deadline else False,
            "description": description,
        }
        if not any(option is None or option == held for option in options):
            lost += 1
            if lost == 1:
                failures.append(
                    f"lost update on lead {lead_id}: wrote {options}, holds {held}"
                )
        want = rules_reference.prospect_grade(
            need,
            deadline,
            date.today(),
            settings["grade_a_days"],
            settings["grade_b_days"],
            settings["grade_c_days"],
        )
        if not closed and grade != want:
            stale += 1
            if stale == 1:
                failures.append(
                    f"stale grade on edited lead {lead_id}: {grade}, rules say {want}"
                )
    if lost or stale:
        failures.append(f"salesperson: {lost} edits lost, {stale} stale grades")
    return len(leads), mismatches + lost + stale


# ------------------------------------------------------------
# MAIN
# ------------------------------------------------------------


def final_run(server, db, stage_ids, name_of, args, events, index, salesperson):
    """Make the stage's crons due again and let them finish; a cron that fails
    (e.g. a deadlock) is reported and run again, unless ``--strict``."""
    final_ids = stage_ids
    for attempt in range(3):
        arm(db, final_ids)
        if not server.alive:
            server.start()
        wake(db)
        try:
            failed = wait_finished(db, final_ids, server, timeout=args.timeout)
        except RuntimeError:
            if not events or events[-1][1] != "pg_restart":
                raise
            server.kill()
            events.append(("-", "server restarted", "-", "-"))
            arm(db, final_ids)
            server.start()
            failed = wait_finished(db, final_ids, server, timeout=args.timeout)
        if not failed:
            break
        for cron_id in failed:
            reason = failure_reason(server.logfile, name_of[cron_id])
            events.append((name_of[cron_id], "FAILED in a final run", "-", reason))
            log(f"stage {index + 1}: {name_of[cron_id]} failed: {reason}")
        if args.strict or attempt == 2:
            raise RuntimeError(f"cron(s) {failed} failed in the final run")
        final_ids = failed
        # what failed may be the salesperson's doing (a serialization failure):
        # the run again goes without her
        salesperson.paused.set()


def fault_stages(server, db, ids, durations, args, rng, salesperson, events):
    """Interrupt each stage's crons, then let them finish."""
    # the kills go round the stages, the sequences first (the longest run)
    plan = {index: [] for index in range(len(STAGES))}
    for number in range(args.kills):
        plan[(len(STAGES) - 1 - number) % len(STAGES)].append("kill")
    if not args.no_pg_restart:
        last = len(STAGES) - 1
        plan[last].insert(rng.randint(0, len(plan[last])), "pg_restart")
    for index, stage in enumerate(STAGES):
        stage_ids = [ids[name] for name in stage]
        name_of = {ids[name]: name for name in stage}
        for action in plan[index]:
            baseline = last_progress(db, stage_ids)
            arm(db, stage_ids)
            if not server.alive:
                server.start()
            wake(db)
            started = wait_started(db, stage_ids, baseline)
            if started is None:
                if action == "pg_restart" or events and events[-1][1] == "pg_restart":
                    # the server did not survive the restart: start it again
                    server.kill()
                    events.append(("-", "server restarted", "-", "-"))
                    server.start()
                    started = wait_started(db, stage_ids, baseline)
                if started is None:
                    raise RuntimeError(f"stage {stage}: no cron started")
            # anywhere in the stage's longest run (the server's cron workers are
            # niced and share the cores: slower than the reference)
            longest = max(max(durations[name] for name in stage), 0.5)
            delay = rng.uniform(0.05, 1.5) * longest
            time.sleep(delay)
            progress = last_progress(db, stage_ids)
            running = [
                f"{name_of[c]} {p[1]}/{p[1] + p[2]}"
                for c, p in progress.items()
                if p[0] > baseline.get(c, (0,))[0]
            ]
            if action == "kill":
                server.kill()
            else:
                restart_postgres()
            events.append(
                ("+".join(stage), action, f"{delay:.1f} s", ", ".join(running))
            )
            log(f"stage {index + 1}: {action} after {delay:.1f} s ({events[-1][3]})")
        # run again, to the end
        final_run(server, db, stage_ids, name_of, args, events, index, salesperson)
        salesperson.paused.clear()
        events.append(("+".join(stage), "final run", "-", "completed"))
        log(f"stage {index + 1}: final run completed")
    salesperson.paused.set()
    time.sleep(0.5)
    server.kill(signal.SIGTERM)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--kills", type=int, default=6)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--db", default="pd_faults")
    parser.add_argument("--edit-leads", type=int, default=300)
    parser.add_argument("--timeout", type=int, default=600)
    parser.add_argument("--no-pg-restart", action="store_true")
    parser.add_argument(
        "--strict",
        action="store_true",
        help="fail when a cron fails (e.g. a deadlock) in a final run, instead of"
        " reporting it and running that cron again",
    )
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    args = parser.parse_args()
    started = time.monotonic()
    first_day = date.today()
    db, ref_db, two_db = args.db, f"{args.db}_ref", f"{args.db}_two"
    logfile = tempfile.NamedTemporaryFile(
        prefix="faults_odoo_", suffix=".log", delete=False
    ).name
    server = Server(db, logfile)
    rng = random.Random(args.seed)

    def cleanup():
        server.kill()
        if not args.keep:
            drop(db)
            drop(ref_db)
            drop(two_db)

    atexit.register(cleanup)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    log(f"building {db} ({args.leads:,} leads)")
    registry = open_database(db)
    with registry.cursor() as cr:
        populate(environment(cr), args.leads)
        cr.commit()
    odoo.modules.registry.Registry.delete(db)
    createdb_from(db, ref_db)
    createdb_from(db, two_db)
    log("reference: one clean run on a copy")
    durations = run_reference(ref_db)
    reference = snapshot(ref_db)
    odoo.modules.registry.Registry.delete(ref_db)

    ids = cron_ids(db)
    open_leads = [
        row[0]
        for row in query(
            db,
            "SELECT lead.id FROM crm_lead lead JOIN crm_stage stage"
            " ON stage.id = lead.stage_id WHERE lead.name LIKE 'Deal %%'"
            " AND stage.is_won IS NOT TRUE AND lead.key_account_colour IS NULL"
            " ORDER BY lead.id",
        )
    ]
    edited = rng.sample(open_leads, min(args.edit_leads, len(open_leads)))
    log(f"salesperson: {len(edited)} of {len(open_leads)} open leads to edit")
    salesperson = Salesperson(server, edited, args.seed)
    salesperson.start()
    events = []
    failures = []
    try:
        fault_stages(server, db, ids, durations, args, rng, salesperson, events)
    finally:
        salesperson.stop_event.set()
        salesperson.join(timeout=10)
        server.kill()
    if salesperson.crash:
        failures.append(
            f"the salesperson stopped on an unexpected error: {salesperson.crash}"
            " (the lead it was editing cannot be checked)"
        )
    if date.today() != first_day:
        failures.append(
            "the run crossed midnight: the clean run's dates (grades, urgency, due"
            " contacts) no longer apply; run it again"
        )
    checked, mismatches = check(
        db, reference, set(salesperson.expected), salesperson, failures
    )
    log("two independent servers on a pristine copy")
    two_failures = []
    two_server_stages(two_db, args, logfile, events)
    two_checked, two_mismatches = check(
        two_db, reference, set(), Salesperson(None, [], 0), two_failures
    )
    failures += [f"two servers: {failure}" for failure in two_failures]
    with open(logfile) as f:
        tracebacks = f.read().count("Traceback")

    print()
    print(
        "| # | stage | event | after the start | crons running then, done/total"
        " (0/0: started, no batch committed yet) |"
    )
    print("|---:|---|---|---:|---|")
    for number, (stage, action, delay, progress) in enumerate(events, start=1):
        print(f"| {number} | {stage} | {action} | {delay} | {progress} |")
    print()
    kills = Counter(stage for stage, action, *_ in events if action == "kill")
    print("| measure | value |")
    print("|---|---:|")
    print(f"| SIGKILLs of the server | {sum(kills.values())} ({dict(kills)}) |")
    restarts = sum(1 for _c, action, *_ in events if action == "pg_restart")
    print(f"| PostgreSQL restarts | {restarts} |")
    print(f"| leads checked against the clean run | {checked:,} |")
    print(
        f"| salesperson edits (answered / unanswered / refused) |"
        f" {salesperson.edits} / {salesperson.unsure} / {salesperson.errors} |"
    )
    print(f"| leads edited (checked apart) | {len(salesperson.expected)} |")
    print(f"| tracebacks in the server log (kills, restart) | {tracebacks} |")
    print(f"| mismatches | {mismatches} |")
    print(
        f"| two servers: leads checked against the clean run / mismatches |"
        f" {two_checked:,} / {two_mismatches} |"
    )
    print(f"| duration | {time.monotonic() - started:.0f} s |")
    if salesperson.last_error:
        print(f"last refused edit: {salesperson.last_error}")
    if not salesperson.edits:
        failures.append("the salesperson could not edit any lead")
    if failures:
        print("\nFAILED:\n  " + "\n  ".join(failures))
        print(f"server log: {logfile}")
        sys.exit(1)
    os.unlink(logfile)
    print("\nOK: every interrupted run was finished by the next one, as one clean run.")


if __name__ == "__main__":
    main()
