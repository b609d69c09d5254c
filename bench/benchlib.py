"""What the benchmarks share: arguments, a fresh database, the registry, timers."""

import argparse
import os
import resource
import socket
import subprocess
import sys
import threading
import time

import requests

import odoo
from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry
from odoo.tools import SQL, config

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def addons_path():
    return ",".join([os.path.join(os.path.dirname(odoo.__file__), "addons"), REPO])


def rss_mb():
    """Peak resident memory of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(function):
    """(result, seconds, growth of the peak memory in MB) of ``function()``."""
    start, rss = time.perf_counter(), rss_mb()
    result = function()
    return result, time.perf_counter() - start, rss_mb() - rss


def install(db, modules="prospect_development"):
    """A fresh database with the add-on (or ``modules``), without demo data."""
    subprocess.run(["dropdb", "--if-exists", db], check=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "odoo",
            "-d",
            db,
            f"--addons-path={addons_path()}",
            "-i",
            modules,
            "--without-demo=all",
            "--stop-after-init",
            "--log-level=warn",
        ],
        check=True,
    )


def open_database(db):
    """A fresh database with the add-on (no demo); its registry, scheduler-like."""
    install(db)
    config.parse_config(
        ["-d", db, f"--addons-path={addons_path()}", "--log-level=warn"]
    )
    threading.current_thread().testing = False  # commit between batches, as a cron
    return Registry(db)


def environment(cr):
    return api.Environment(cr, SUPERUSER_ID, {})


def psql(db, sql):
    """Run ``sql`` with ``psql`` on ``db`` (outside any transaction, as ``VACUUM``
    needs): its output."""
    result = subprocess.run(
        ["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", sql],
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout.strip()


def drop_database(db):
    odoo.sql_db.close_all()
    subprocess.run(["dropdb", "--if-exists", db], check=False)


def bench_arguments(description, db, **sizes):
    """The options of a benchmark: its sizes (``--name``: integers, ``sizes`` gives
    their defaults), its database, and whether to keep it."""
    parser = argparse.ArgumentParser(description=description)
    for name, default in sizes.items():
        parser.add_argument(f"--{name}", type=int, default=default)
    parser.add_argument("--db", default=db)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    return parser.parse_args()


def parse_arguments(description, leads, sample, db):
    """The options of a benchmark measured against a sampled baseline."""
    return bench_arguments(description, db, leads=leads, sample=sample)


def build_dataset(registry, populate, *args):
    """Run ``populate(env, *args)`` in its own committed transaction, timed."""
    with registry.cursor() as cr:
        _, build_time, _ = timed(lambda: populate(environment(cr), *args))
        cr.commit()
    print(f"dataset built in {build_time:.0f} s")


def insert_customers(cr, count):
    """``count`` customer companies by SQL (their own commercial partner); returns
    the first and last of their ids."""
    cr.execute(
        SQL(
            """
            INSERT INTO res_partner (name, is_company, active, type, create_date,
                                     write_date, email)
            SELECT 'Bench Customer ' || i, TRUE, TRUE, 'contact', NOW(), NOW(),
                   'buyer' || i || '@bench.example'
              FROM generate_series(1, %s) i
            """,
            count,
        )
    )
    # the foreign-key checks of the update plan their look-ups on these statistics
    cr.execute("ANALYZE res_partner")
    cr.execute(
        "UPDATE res_partner SET commercial_partner_id = id"
        " WHERE commercial_partner_id IS NULL"
    )
    cr.execute("SELECT MIN(id), MAX(id) FROM res_partner WHERE name LIKE 'Bench %%'")
    return cr.fetchone()


def print_runs(rows, floor_label, floor_time, floor_rows, floor_mem=None):
    """The runs of an engine as a markdown table, each against the raw-SQL floor:
    ``rows`` of ``(label, seconds, leads written, peak extra RSS in MB)``."""
    print()
    print("| run | time (s) | leads written | peak extra RSS (MB) | vs SQL floor |")
    print("|---|---:|---:|---:|---:|")
    for label, seconds, written, memory in rows:
        print(
            f"| {label} | {seconds:.1f} | {written:,} | {memory:.0f} |"
            f" {seconds / floor_time:.2f}x |"
        )
    memory = "-" if floor_mem is None else f"{floor_mem:.0f}"
    print(
        f"| baseline: raw-SQL floor ({floor_label}) | {floor_time:.1f} |"
        f" {floor_rows:,} | {memory} | 1.00x |"
    )


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OdooServer:
    """``python3 -m odoo`` serving ``db`` over HTTP (threaded, no cron), started
    and waited for; ``options`` are more command-line options."""

    def __init__(self, db, *options, logfile=None):
        self.db, self.port = db, free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "odoo", "-d", db, f"--db-filter=^{db}$",
             f"--addons-path={addons_path()}", "--http-port", str(self.port),
             "--workers=0", "--max-cron-threads=0", "--log-level=info",
             f"--logfile={logfile or os.devnull}", *options],
        )  # fmt: skip
        self.url = f"http://127.0.0.1:{self.port}"
        for _attempt in range(120):
            try:
                requests.get(f"{self.url}/web/login", timeout=5)
                return
            except requests.ConnectionError:
                time.sleep(1)
        raise RuntimeError("the Odoo server did not start")

    def stop(self):
        self.process.terminate()
        self.process.wait(30)


class WebClient:
    """The JSON-RPC calls the web client makes, in one logged-in session."""

    def __init__(self, server, login, password):
        self.url, self.session = server.url, requests.Session()
        self.rpc(
            "/web/session/authenticate",
            {"db": server.db, "login": login, "password": password},
        )

    def rpc(self, path, params):
        response = self.session.post(
            self.url + path,
            json={"jsonrpc": "2.0", "method": "call", "params": params},
            timeout=900,
        )
        response.raise_for_status()
        body = response.json()
        if "error" in body:
            raise RuntimeError(body["error"]["data"]["message"])
        return body["result"]

    def call(self, model, method, *args, **kwargs):
        route = "call_button" if method.startswith("action_") else "call_kw"
        return self.rpc(
            f"/web/dataset/{route}/{model}/{method}",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )
