"""Benchmark of the add-on's overhead on Odoo's own lead work.

Builds two databases without demo data, one with ``crm`` alone and one with
``crm`` and ``prospect_development``, and the same data on each (default 2,000
opportunities of 10 salespeople, each with a contact of a customer company; on the
add-on's side the night's rescoring has run and one lead in twenty is in a running
sequence, as in a company using the add-on). Then runs the same script on both,
round after round, and prints the median of each line with the overhead of the
add-on:

- create: leads created one by one, as from the form;
- write stage / expected closing date / salesperson: one lead at a time;
- message_post: a message to the followers of each lead (mails queued, not sent);
- action_set_won / action_set_lost: one lead at a time;
- CSV import: a file of ``--import-rows`` leads through ``base_import`` (the
  Import button), in one batch.

Every lead action is a request of its own by a salesperson who sees every lead: a
transaction of its own that ends as a commit does, its flush and the hooks that run
before the commit (the chatter's tracking messages, written then), and is then
rolled back rather than committed, so that every request starts from the same
committed data with empty caches, and nothing a request leaves (messages, mails,
history, imported leads) weighs on the next. The two sides take turns request by
request, so that a change in the machine's other load weighs on both alike.
The tables start compact on both sides (the add-on's set-up rescoring rewrites every
lead, which a crm-alone database never did), and each line starts vacuumed: the rows
a rolled-back line left dead weigh on neither side, whenever autovacuum happens to
pass.

Usage (Odoo 18 importable by python3 or $ODOO_PYTHON; PostgreSQL running):
    python3 bench/bench_overhead.py [--leads 2000] [--sample 500]
        [--import-rows 10000] [--rounds 5] [--keep]
"""

import argparse
import csv
import io
import random
import statistics
import threading
import time
from contextlib import ExitStack
from datetime import date, timedelta

from benchlib import (
    addons_path,
    build_dataset,
    drop_database,
    environment,
    install,
    psql,
)

from odoo import api
from odoo.modules.registry import Registry
from odoo.tools import config

SELLERS = 10
START = date(2026, 1, 5)
# the two sides: modules installed
SIDES = {"crm alone": "crm", "with the add-on": "prospect_development"}
# line of the table: method of ``Script``
LINES = {
    "create": "create",
    "write stage": "write_stage",
    "write expected closing": "write_deadline",
    "write salesperson": "write_salesperson",
    "message_post": "message_post",
    "action_set_won": "set_won",
    "action_set_lost": "set_lost",
    "CSV import": "csv_import",
}


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=2_000, help="in the database")
    parser.add_argument("--sample", type=int, default=500, help="leads per line")
    parser.add_argument("--import-rows", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--db", default="pd_bench_overhead", help="name prefix")
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument(
        "--reuse", action="store_true", help="run on the databases --keep left"
    )
    parser.add_argument(
        "--lines", nargs="*", choices=list(LINES), default=list(LINES), metavar="LINE"
    )
    return parser.parse_args()


def populate(env, leads):
    """The same salespeople, customers and opportunities on both sides."""
    rng = random.Random(15)
    group = env.ref("sales_team.group_sale_salesman_all_leads")
    users = (
        env["res.users"]
        .with_context(no_reset_password=True)
        .create(
            [
                {
                    "name": f"Overhead Seller {i}",
                    "login": f"overhead{i}",
                    "email": f"seller{i}@bench-company.example",
                    "tz": "Europe/Brussels",
                    "groups_id": [(4, group.id)],
                }
                for i in range(SELLERS + 1)
            ]
        )
    )
    team = env["crm.team"].search([], limit=1, order="id")
    team.member_ids = [(4, user.id) for user in users]
    companies = env["res.partner"].create(
        [
            {"name": f"Customer {i}", "is_company": True}
            for i in range(max(leads // 4, 1))
        ]
    )
    contacts = env["res.partner"].create(
        [
            {
                "name": f"Buyer {i}",
                "parent_id": companies[i % len(companies)].id,
                "email": f"buyer{i}@customer{i % len(companies)}.example",
            }
            for i in range(leads)
        ]
    )
    stages = env["crm.stage"].search([("is_won", "=", False)], order="sequence, id")
    env["crm.lead"].with_context(tracking_disable=True).create(
        [
            {
                "name": f"Opportunity {i}",
                "type": "opportunity",
                "partner_id": contact.id,
                "user_id": users[i % SELLERS].id,
                "team_id": team.id,
                "stage_id": stages[i % 2].id,
                "expected_revenue": rng.randrange(1_000, 100_000),
                "date_deadline": START + timedelta(days=rng.randrange(0, 200)),
            }
            for i, contact in enumerate(contacts)
        ]
    )
    if "prospect.rescore.engine" in env:
        # the add-on as a company runs it: rescored, some leads in a sequence
        env["crm.lead"]._action_prospect_rescore()
        sequence = env.ref("prospect_development.prospect_sequence_direct_mail")
        enrolled = env["crm.lead"].search([], order="id")[::20]
        env["prospect.sequence.enrollment"].create(
            [{"lead_id": lead.id, "sequence_id": sequence.id} for lead in enrolled]
        )
    env.flush_all()
    env.cr.execute("ANALYZE")


class Script:
    """The lines of the benchmark, the same on both sides."""

    def __init__(self, env, sample, import_rows):
        """``env``: the seller's (``seller_environment``)."""
        self.env = env
        self.sample = sample
        self.import_rows = import_rows
        Lead = self.env["crm.lead"]
        self.lead_ids = Lead.search([], order="id", limit=sample).ids
        self.partner_ids = (
            self.env["res.partner"]
            .search([("name", "=like", "Buyer %")], order="id", limit=sample)
            .ids
        )
        self.user_ids = (
            self.env["res.users"]
            .search([("login", "=like", "overhead%")], order="id")
            .ids[:SELLERS]
        )
        stages = self.env["crm.stage"].search(
            [("is_won", "=", False)], order="sequence, id"
        )
        self.stage_ids = stages.ids
        self.reason_id = self.env.ref("crm.lost_reason_1").id
        self.csv = self._csv(import_rows)

    def request(self, key, index):
        """Step ``index`` of the line ``key``, as a request of its own, up to its
        commit: the flush and the precommit hooks, where mail writes the tracking
        of the request's saves (``end_request`` then ends its transaction)."""
        getattr(self, LINES[key])(index)
        self.env.cr.flush()

    def end_request(self):
        """End the request's transaction without keeping anything of it; the next
        one starts afresh, as with a new cursor (the user, company and language of
        the environment read again)."""
        self.env.cr.rollback()
        self.env.cr.reset()

    def _lead(self, index):
        return self.env["crm.lead"].browse(self.lead_ids[index])

    def create(self, index):
        self.env["crm.lead"].create(
            {
                "name": f"New opportunity {index}",
                "type": "opportunity",
                "partner_id": self.partner_ids[index],
                "user_id": self.user_ids[index % SELLERS],
                "expected_revenue": 5_000 + index,
                "date_deadline": START + timedelta(days=index % 150),
            }
        )

    def write_stage(self, index):
        lead, stages = self._lead(index), self.stage_ids
        lead.write({"stage_id": stages[(stages.index(lead.stage_id.id) + 1) % 3]})

    def write_deadline(self, index):
        self._lead(index).write(
            {"date_deadline": START + timedelta(days=20 + index % 300)}
        )

    def write_salesperson(self, index):
        lead, users = self._lead(index), self.user_ids
        lead.write({"user_id": users[(users.index(lead.user_id.id) + 1) % SELLERS]})

    def message_post(self, index):
        self._lead(index).with_context(mail_notify_force_send=False).message_post(
            body=f"Called, sent the offer {index}.",
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )

    def set_won(self, index):
        self._lead(index).action_set_won()

    def set_lost(self, index):
        self._lead(index).action_set_lost(lost_reason_id=self.reason_id)

    def _csv(self, rows):
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(
            [
                "Opportunity",
                "Contact Name",
                "Email",
                "Salesperson",
                "Stage",
                "Expected Revenue",
                "Expected Closing",
            ]
        )
        sellers = [f"Overhead Seller {i}" for i in range(SELLERS)]
        stages = self.env["crm.stage"].browse(self.stage_ids).mapped("name")
        for i in range(rows):
            writer.writerow(
                [
                    f"Imported lead {i}",
                    f"Contact {i}",
                    f"contact{i}@imported{i % 997}.example",
                    sellers[i % SELLERS],
                    stages[i % len(stages)],
                    1_000 + i % 50_000,
                    (START + timedelta(days=i % 365)).isoformat(),
                ]
            )
        return buffer.getvalue().encode()

    def csv_import(self, index):
        wizard = self.env["base_import.import"].create(
            {
                "res_model": "crm.lead",
                "file": self.csv,
                "file_name": "leads.csv",
                "file_type": "text/csv",
            }
        )
        fields = [
            "name",
            "contact_name",
            "email_from",
            "user_id",
            "stage_id",
            "expected_revenue",
            "date_deadline",
        ]
        result = wizard.execute_import(
            fields,
            fields,
            {
                "has_headers": True,
                "separator": ",",
                "quoting": '"',
                "encoding": "utf-8",
                "date_format": "%Y-%m-%d",
                "float_thousand_separator": "",
                "float_decimal_separator": ".",
            },
        )
        errors = [m for m in result["messages"] if m.get("type") == "error"]
        assert not errors and len(result["ids"]) == self.import_rows, errors[:3]
        self.env.flush_all()


def seller_environment(registry, cr):
    """The environment of the seller's requests on ``cr``, as a request of the web
    client has it: the seller's id and context (language, zone), and the first of
    its transaction, which runs the flush before the commit with it."""
    with registry.cursor() as session_cr:
        seller = environment(session_cr)["res.users"].search(
            [("login", "=", f"overhead{SELLERS}")]
        )
        uid, context = seller.id, dict(seller.with_user(seller).context_get())
    return api.Environment(cr, uid, context)


def run_round(registries, key, sample, import_rows, round_=0):
    """One round of the line ``key`` on both sides, request after request, the two
    sides taking turns at going first: the seconds of each side. Interleaved this
    finely, both sides run under the same load of the machine, whatever else it
    does meanwhile."""
    sides = list(registries)
    seconds = dict.fromkeys(sides, 0.0)
    with ExitStack() as stack:
        scripts = {
            side: Script(
                seller_environment(registry, stack.enter_context(registry.cursor())),
                sample,
                import_rows,
            )
            for side, registry in registries.items()
        }
        for script in scripts.values():
            script.end_request()
        for index in range(1 if key == "CSV import" else sample):
            for side in sides[:: -1 if (index + round_) % 2 else 1]:
                start = time.perf_counter()
                scripts[side].request(key, index)
                seconds[side] += time.perf_counter() - start
                scripts[side].end_request()
    return seconds


def open_sides(dbs, args):
    """The registries of the two sides' databases: built anew, or as ``--keep``
    left them."""
    if not args.reuse:
        for side, db in dbs.items():
            install(db, SIDES[side])
    config.parse_config(
        [
            "-d",
            ",".join(dbs.values()),
            f"--addons-path={addons_path()}",
            "--log-level=warn",
        ]
    )
    threading.current_thread().testing = False  # the rescoring commits, as a cron
    registries = {side: Registry(db) for side, db in dbs.items()}
    if not args.reuse:
        for registry in registries.values():
            build_dataset(registry, populate, args.leads)
    for db in dbs.values():
        psql(db, "VACUUM FULL ANALYZE")
    return registries


def main():
    args = parse_arguments()
    sides = list(SIDES)
    dbs = {
        side: f"{args.db}_{suffix}"
        for side, suffix in zip(sides, ("crm", "addon"), strict=True)
    }
    print(
        f"# Overhead benchmark: {args.leads:,} leads, {args.sample} per line, "
        f"CSV import of {args.import_rows:,} leads, {args.rounds} rounds"
    )
    registries = open_sides(dbs, args)
    keys = args.lines
    # warm-up: every line once on a few leads (code paths, caches), not counted
    for key in keys:
        run_round(registries, key, 20, 200)
    times = {(key, side): [] for key in keys for side in sides}
    for round_ in range(args.rounds):
        for key in keys:
            for db in dbs.values():
                psql(db, "VACUUM")
            seconds = run_round(registries, key, args.sample, args.import_rows, round_)
            for side in sides:
                times[key, side].append(seconds[side])
        print(
            f"round {round_ + 1}:",
            ", ".join(
                f"{key} {times[key, sides[0]][-1]:.2f}/{times[key, sides[1]][-1]:.2f} s"
                for key in keys
            ),
            flush=True,
        )
    print()
    # the overhead of each round, then its median: steadier than the ratio of the
    # medians
    print(
        "| line | crm alone (s) | with the add-on (s) | overhead (median of rounds) |"
    )
    print("|---|---:|---:|---:|")
    for key in keys:
        count = args.import_rows if key == "CSV import" else args.sample
        base, addon = (statistics.median(times[key, side]) for side in sides)
        ratio = statistics.median(
            with_addon / alone
            for alone, with_addon in zip(
                *(times[key, side] for side in sides), strict=True
            )
        )
        print(
            f"| {key} ({count:,} leads) | {base:.2f} | {addon:.2f} |"
            f" {100 * (ratio - 1):+.1f} % |"
        )
    print()
    print("every round (s), crm alone / with the add-on:")
    for key in keys:
        print(
            f"  {key}: "
            + " / ".join(
                " ".join(f"{seconds:.2f}" for seconds in times[key, side])
                for side in sides
            )
        )
    if not args.keep:
        for db in dbs.values():
            drop_database(db)


if __name__ == "__main__":
    main()
