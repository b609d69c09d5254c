"""Benchmark of a read replica: the managers' heavy reads served by a PostgreSQL
streaming replica, the primary left to the salespeople.

In a throw-away PostgreSQL cluster of its own (``initdb``, its own port and socket
directory, removed at the end), builds the tier report's database (default
1,000,000 leads, ``bench_tier_report.populate``), starts a hot-standby streaming
replica of it (``pg_basebackup -R``), and runs Odoo on both
(``--db_replica_host``/``--db_replica_port``). Then, as a Sales manager and through
the HTTP calls the web client makes:

- the Excel tier report: the wizard saved, *Export* clicked, the file downloaded at
  once (the replica has to catch up with the wizard saved a moment before);
- the Prospect Pyramid pivot (``web_read_group`` of ``crm.lead`` by tier), the
  workload graph and the calibration pivot;
- the export again with replication lag: replay paused on the replica and resumed
  one second after the download started (it waits, then reads on the replica), and
  paused for good (after 5 s the download is handed to the primary, still right).

For each it prints the time and the rows of ``crm_lead`` read on the primary and on
the replica (``pg_stat_user_tables``: sequential plus index tuples).

Usage (Odoo 18 importable by python3; PostgreSQL 15 server binaries installed; run
as root, the clusters run as ``postgres``):
    python3 bench/bench_replica.py [--leads 1000000] [--keep]
"""

import functools
import getpass
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import bench_tier_report
import psycopg2
from benchlib import (
    OdooServer,
    WebClient,
    addons_path,
    bench_arguments,
    environment,
    free_port,
)

import odoo
from odoo.modules.registry import Registry
from odoo.tools import config

STAT_FLUSH_WAIT = 11  # PostgreSQL flushes an idle backend's counters every 10 s


def pg_bin(name):
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


class Cluster:
    """A PostgreSQL cluster in a directory of ours, its socket in that directory."""

    def __init__(self, root, name):
        self.dir = os.path.join(root, name)
        self.port = free_port()

    def run(self, *command):
        # PostgreSQL refuses to run as root: its files and processes are postgres'
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run(prefix + list(command), check=True, capture_output=True)

    def configure(self, **settings):
        with open(os.path.join(self.dir, "postgresql.conf"), "a") as conf:
            for key, value in settings.items():
                conf.write(f"{key} = {value}\n")

    def init_primary(self):
        self.run(pg_bin("initdb"), "-D", self.dir, "-U", "postgres", "--auth=trust")
        self.configure(
            port=self.port,
            unix_socket_directories=f"'{self.dir}'",
            listen_addresses="''",
            # a throw-away cluster: durability is not what is measured
            fsync="off",
            synchronous_commit="off",
            full_page_writes="off",
            shared_buffers="'512MB'",
            wal_level="replica",
            max_wal_senders=4,
            hot_standby="on",
        )

    def init_replica(self, primary):
        self.run(
            pg_bin("pg_basebackup"), "-D", self.dir, "-h", primary.dir,
            "-p", str(primary.port), "-U", "postgres", "-R", "-X", "stream",
            "-c", "fast",
        )  # fmt: skip
        self.configure(
            port=self.port,
            unix_socket_directories=f"'{self.dir}'",
            # a replica serving long reports: the primary's vacuum must not remove
            # rows their snapshots still read (the query would be cancelled)
            hot_standby_feedback="on",
        )

    def start(self):
        log = os.path.join(self.dir, "server.log")
        self.run(pg_bin("pg_ctl"), "-D", self.dir, "-l", log, "-w", "start")

    def stop(self):
        if os.path.exists(os.path.join(self.dir, "postmaster.pid")):
            self.run(pg_bin("pg_ctl"), "-D", self.dir, "-m", "fast", "-w", "stop")

    def connect(self, db="postgres"):
        connection = psycopg2.connect(
            host=self.dir, port=self.port, user="postgres", dbname=db
        )
        connection.autocommit = True
        return connection

    def lead_reads(self, db):
        """Rows of crm_lead read so far on this cluster (sequential + by index)."""
        with self.connect(db) as connection, connection.cursor() as cr:
            cr.execute(
                "SELECT COALESCE(seq_tup_read, 0) + COALESCE(idx_tup_fetch, 0)"
                " FROM pg_stat_user_tables WHERE relname = 'crm_lead'"
            )
            return cr.fetchone()[0]

    def sql(self, db, query):
        with self.connect(db) as connection, connection.cursor() as cr:
            cr.execute(query)
            return cr.fetchone() if cr.description else None


def build(primary, db, leads):
    """The tier report's dataset in the primary; the manager gets a password."""
    with primary.connect() as connection, connection.cursor() as cr:
        cr.execute(f'CREATE ROLE "{getpass.getuser()}" SUPERUSER LOGIN')
    db_options = ["--db_host", primary.dir, "--db_port", str(primary.port)]
    subprocess.run(
        [sys.executable, "-m", "odoo", "-d", db, *db_options,
         f"--addons-path={addons_path()}", "-i", "prospect_development",
         "--without-demo=all", "--stop-after-init", "--log-level=warn"],
        check=True,
    )  # fmt: skip
    config.parse_config(
        ["-d", db, *db_options, f"--addons-path={addons_path()}", "--log-level=warn"]
    )
    threading.current_thread().testing = False
    with Registry(db).cursor() as cr:
        env = environment(cr)
        start = time.perf_counter()
        manager = bench_tier_report.populate(env, leads)
        manager.password = "bench"
        cr.commit()
    odoo.sql_db.close_all()
    print(f"dataset built in {time.perf_counter() - start:.0f} s")


class ExportClient(WebClient):
    def export(self):
        """Save the wizard, click Export, download: (bytes, the link)."""
        [wizard] = self.call(
            "prospect.tier.report.wizard", "web_save", [], {}, specification={}
        )
        action = self.call(
            "prospect.tier.report.wizard", "action_export", [wizard["id"]]
        )
        response = self.session.get(self.url + action["url"], timeout=900)
        response.raise_for_status()
        return len(response.content), action["url"]


def measure(label, primary, replica, db, function):
    before = primary.lead_reads(db), replica.lead_reads(db)
    start = time.perf_counter()
    result = function()
    seconds = time.perf_counter() - start
    time.sleep(STAT_FLUSH_WAIT)
    on_primary = primary.lead_reads(db) - before[0]
    on_replica = replica.lead_reads(db) - before[1]
    print(f"| {label} | {seconds:.1f} | {on_primary:,} | {on_replica:,} | {result} |")
    return on_primary, on_replica


def run_requests(client, primary, replica, db):
    """The managers' requests, each measured; returns what went wrong."""
    failures = []

    def export():
        size, link = client.export()
        return f"{size:,} bytes, link {link}"

    def open_view(model, groupby):
        groups = client.call(model, "web_read_group", [], ["__count"], groupby)
        return f"{len(groups['groups'])} groups"

    print()
    print("| request | time (s) | crm_lead rows read on the primary |"
          " on the replica | result |")  # fmt: skip
    print("|---|---:|---:|---:|---|")
    label = "tier report export (saved, then downloaded at once)"
    if measure(label, primary, replica, db, export)[0]:
        failures.append(f"{label}: read on the primary")
    views = [
        ("Prospect Pyramid pivot (leads by tier)", "crm.lead", "pyramid_tier"),
        ("workload graph (by week)", "prospect.workload.report", "week_start:week"),
        ("calibration pivot (by grade)", "prospect.calibration.report",
         "prospect_grade"),
    ]  # fmt: skip
    for label, model, groupby in views:
        view = functools.partial(open_view, model, [groupby])
        if measure(label, primary, replica, db, view)[0]:
            failures.append(f"{label}: read on the primary")

    # lag: replay paused, resumed one second after the download started
    replica.sql(db, "SELECT pg_wal_replay_pause()")
    threading.Timer(1.0, replica.sql, [db, "SELECT pg_wal_replay_resume()"]).start()
    label = "export, replica 1 s behind (waits, then reads there)"
    if measure(label, primary, replica, db, export)[0]:
        failures.append(f"{label}: read on the primary")
    # lag beyond the wait: handed to the primary
    replica.sql(db, "SELECT pg_wal_replay_pause()")
    label = "export, replica paused (after 5 s, served by the primary)"
    reads = measure(label, primary, replica, db, export)
    replica.sql(db, "SELECT pg_wal_replay_resume()")
    if not reads[0]:
        failures.append(f"{label}: not served by the primary")
    return failures


def main():
    args = bench_arguments(__doc__.splitlines()[0], "pd_bench_replica", leads=1_000_000)
    if not (pg_bin("initdb") and pg_bin("pg_basebackup")):
        sys.exit("PostgreSQL's server binaries (initdb, pg_basebackup) are needed")

    root = tempfile.mkdtemp(prefix="pd_bench_replica_")
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    primary, replica = Cluster(root, "primary"), Cluster(root, "replica")
    server, failures = None, []
    try:
        print(f"# Read replica benchmark: {args.leads:,} leads ({root})")
        primary.init_primary()
        primary.start()
        build(primary, args.db, args.leads)
        start = time.perf_counter()
        replica.init_replica(primary)
        replica.start()
        print(f"replica started in {time.perf_counter() - start:.0f} s")
        server = OdooServer(
            args.db,
            *("--db_host", primary.dir, "--db_port", str(primary.port)),
            *("--db_replica_host", replica.dir, "--db_replica_port", str(replica.port)),
            # a million leads take minutes to export: more than Odoo's 120 s
            "--limit-time-real=1800",
            logfile=os.path.join(root, "odoo.log"),
        )
        client = ExportClient(server, "bench_manager", "bench")

        failures = run_requests(client, primary, replica, args.db)
    finally:
        if server:
            server.stop()
        odoo.sql_db.close_all()
        replica.stop()
        primary.stop()
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print()
    if failures:
        sys.exit("FAILED: " + "; ".join(failures))
    print("OK: the primary served none of the report reads.")


if __name__ == "__main__":
    main()
