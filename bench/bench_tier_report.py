"""Benchmark of the Excel tier report (``prospect.tier.report.wizard``).

Builds a database by SQL (default: 100,000 leads over two companies, a third as many
customers, every tier and grade, 2 % of the leads with a tier move in the last 90
days), then exports, each run in a fresh process so that its peak memory is its own:

- our export, as a Sales manager (record rules applied), streamed to a file the way
  the download route does it: five sheets, the Leads sheet in constant-memory mode;
- the floor: the same Leads rows, already fetched into a Python list with their
  labels, written with xlsxwriter alone (constant_memory off, then on) — only the
  writing is timed;
- Odoo's own list export to xlsx of the same leads and columns (``search`` +
  ``export_data`` + ``web``'s ``ExcelExport``), up to ``--odoo-max`` leads; beyond
  that it is extrapolated linearly from a run on ``--odoo-max`` leads and marked so
  (``--odoo-max 1000000`` measures it for real at a million: about 5.4 GB).

Usage (Odoo 18 importable by python3; PostgreSQL running):
    python3 bench/bench_tier_report.py [--leads 100000] [--keep]
    python3 bench/bench_tier_report.py --leads 1000000
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from types import SimpleNamespace

from benchlib import (
    addons_path,
    drop_database,
    environment,
    insert_customers,
    open_database,
    rss_mb,
)

from odoo import api
from odoo.tools import SQL, config

LEAD_FIELDS = [
    "name",
    "partner_id",
    "team_id",
    "user_id",
    "stage_id",
    "pyramid_tier",
    "prospect_grade",
    "key_account_colour",
    "pyramid_revenue",
    "expected_revenue",
    "probability",
    "last_contact_date",
    "next_contact_date",
    "contact_urgency",
    "engagement_score",
    "abandon_recommended",
]


def populate(env, leads):
    cr = env.cr
    company_1 = env.ref("base.main_company")
    company_2 = env["res.company"].create({"name": "Bench Company 2"})
    won = env["crm.stage"].search([("is_won", "=", True)], limit=1)
    stage_open = env["crm.stage"].search([("is_won", "=", False)], limit=1)
    both = [(6, 0, [company_1.id, company_2.id])]
    users = env["res.users"].create(
        [
            {
                "name": f"Bench Seller {i}",
                "login": f"bench{i}",
                "company_ids": both,
                "company_id": company_1.id,
                "groups_id": [(6, 0, [env.ref("sales_team.group_sale_salesman").id])],
            }
            for i in range(20)
        ]
    )
    manager = env["res.users"].create(
        {
            "name": "Bench Manager",
            "login": "bench_manager",
            "company_ids": both,
            "company_id": company_1.id,
            "groups_id": [
                (4, env.ref("sales_team.group_sale_manager").id),
                # Odoo's own list export is for users allowed to export
                (4, env.ref("base.group_allow_export").id),
            ],
        }
    )
    teams = env["crm.team"].create(
        [{"name": f"Bench Team {i}", "company_id": False} for i in range(4)]
    )
    env.flush_all()
    partners = max(leads // 3, 100)
    first_partner, _last = insert_customers(cr, partners)
    cr.execute(
        SQL(
            """
        INSERT INTO crm_lead (name, type, active, company_id, partner_id, user_id,
                              team_id, stage_id, expected_revenue, prorated_revenue,
                              probability, need_status, date_deadline, create_date,
                              write_date, date_last_stage_update, pyramid_tier,
                              pyramid_revenue, prospect_grade, key_account_colour,
                              last_contact_date, next_contact_date, contact_urgency,
                              engagement_score, abandon_recommended)
        SELECT 'Bench lead ' || i || ': ' || md5(i::text), 'opportunity', TRUE,
               CASE WHEN mod(i, 3) = 0 THEN %(company_2)s ELSE %(company_1)s END,
               %(first)s + mod(h, %(partners)s),
               CASE WHEN mod(i, 25) = 0 THEN NULL
                    ELSE (%(users)s::int[])[1 + mod(i, 20)] END,
               (%(teams)s::int[])[1 + mod(i, 4)],
               CASE WHEN mod(i, 10) = 0 THEN %(won)s ELSE %(open)s END,
               rev, rev * prob / 100, prob,
               (ARRAY['clear', 'potential', 'none', NULL])[1 + mod(i, 4)],
               CURRENT_DATE + mod(h, 300) - 30,
               NOW(), NOW(), NOW(),
               CASE WHEN bucket < 1 THEN 'super' WHEN bucket < 5 THEN 'large'
                    WHEN bucket < 20 THEN 'medium' WHEN bucket < 60 THEN 'small'
                    WHEN bucket < 70 THEN 'inactive' WHEN bucket < 85 THEN 'prospect'
                    WHEN bucket < 95 THEN 'suspect' ELSE 'other' END,
               CASE WHEN bucket < 60 THEN ROUND((100000.0 / (bucket + 1))::numeric, 2)
                    ELSE 0 END,
               (ARRAY['a', 'b', 'c', 'd', 'e'])[1 + mod(h / 7, 5)],
               CASE mod(i, 50) WHEN 0 THEN 'red' WHEN 1 THEN 'black' WHEN 2 THEN 'white'
               END,
               CURRENT_DATE - mod(h, 200), CURRENT_DATE + mod(h, 120) - 20,
               (ARRAY['urgent', 'soon', 'later', 'slow'])[1 + mod(h / 11, 4)],
               mod(h, 101), mod(i, 17) = 0
          FROM (SELECT i, ABS(hashint4(i)) AS h,
                       mod(ABS(hashint4(i * 7)), 100) AS bucket,
                       ROUND((EXP(random() * 9) * 50)::numeric, 2) AS rev,
                       (random() * 90)::int AS prob
                  FROM generate_series(1, %(leads)s) i) s
        """,
            company_1=company_1.id,
            company_2=company_2.id,
            first=first_partner,
            partners=partners,
            users=users.ids,
            teams=teams.ids,
            won=won.id,
            open=stage_open.id,
            leads=leads,
        )
    )
    cr.execute(
        """
        INSERT INTO prospect_lead_history (lead_id, company_id, user_id, team_id, date,
                                           kind, old_value, new_value, revenue, rank,
                                           customer_count, create_date, write_date)
        SELECT id, company_id, user_id, team_id, CURRENT_DATE - mod(id, 90), 'tier',
               'small', pyramid_tier, pyramid_revenue, 1 + mod(id, 500), 10000,
               NOW(), NOW()
          FROM crm_lead WHERE mod(id, 50) = 0
        """
    )
    cr.execute("ANALYZE")
    return manager


# ------------------------------------------------------------------ child runs
def child_environment(db):
    config.parse_config(
        ["-d", db, f"--addons-path={addons_path()}", "--log-level=warn"]
    )
    from odoo.modules.registry import Registry

    return Registry(db)


def manager_env(cr):
    env = environment(cr)
    manager = env["res.users"].search([("login", "=", "bench_manager")])
    return api.Environment(
        cr,
        manager.id,
        {"lang": "en_US", "tz": "UTC", "allowed_company_ids": manager.company_ids.ids},
    )


def run_ours(env):
    wizard = env["prospect.tier.report.wizard"].create({})
    with tempfile.NamedTemporaryFile(suffix=".xlsx") as target:
        start = time.perf_counter()
        wizard._write_xlsx(target.name)
        seconds = time.perf_counter() - start
        size = os.path.getsize(target.name)
    rows = env["crm.lead"].search_count(wizard._get_lead_domain())
    return {"seconds": seconds, "rows": rows, "size": size}


def floor_rows(env):
    """The Leads rows of our export, labels and all, in one Python list."""
    wizard = env["prospect.tier.report.wizard"].create({})
    query = wizard._lead_query()
    labels = wizard._get_labels()
    from odoo.addons.prospect_development.report.prospect_tier_report_xlsx import (
        TierReportWriter,
    )

    texts = SimpleNamespace(texts=wizard._get_texts())
    columns = TierReportWriter.leads_columns(texts, True)
    kinds = [kind for _header, kind, _width in columns]
    rows = []
    for chunk in wizard._iter_lead_chunks(query, True, texts.texts["no_company"]):
        for row in chunk:
            rows.append(
                tuple(
                    labels[kind].get(value, value) if kind in labels else value
                    for kind, value in zip(kinds, row)  # noqa: B905
                )
            )
    return rows, kinds


def run_floor(env, constant_memory):
    import xlsxwriter

    rows, kinds = floor_rows(env)
    with tempfile.NamedTemporaryFile(suffix=".xlsx") as target:
        start = time.perf_counter()
        book = xlsxwriter.Workbook(target.name, {"constant_memory": constant_memory})
        sheet = book.add_worksheet("Leads")
        money = book.add_format({"num_format": "#,##0.00"})
        day = book.add_format({"num_format": "yyyy-mm-dd"})
        writers = []
        for kind in kinds:
            if kind in ("money", "int", "pct100"):
                writers.append(lambda r, c, v: sheet.write_number(r, c, v, money))
            elif kind == "date":
                writers.append(lambda r, c, v: sheet.write_datetime(r, c, v, day))
            elif kind == "bool":
                writers.append(
                    lambda r, c, v: sheet.write_string(r, c, "Yes" if v else "No")
                )
            else:
                writers.append(sheet.write_string)
        for index, row in enumerate(rows, start=1):
            for col, value in enumerate(row):
                if value is not None:
                    writers[col](index, col, value)
        book.close()
        seconds = time.perf_counter() - start
        size = os.path.getsize(target.name)
    return {"seconds": seconds, "rows": len(rows), "size": size}


def run_odoo(env):
    from odoo.http import _request_stack

    from odoo.addons.web.controllers.export import ExcelExport

    lead_model = env["crm.lead"]
    _request_stack.push(SimpleNamespace(env=env))
    try:
        start = time.perf_counter()
        records = lead_model.search([])
        datas = records.export_data(LEAD_FIELDS)["datas"]
        fields = [
            {"name": name, "type": lead_model._fields[name].type}
            for name in LEAD_FIELDS
        ]
        headers = [lead_model._fields[name].string for name in LEAD_FIELDS]
        content = ExcelExport().from_data(fields, headers, datas)
        seconds = time.perf_counter() - start
    finally:
        _request_stack.pop()
    return {"seconds": seconds, "rows": len(datas), "size": len(content)}


def child(args):
    registry = child_environment(args.db)
    with registry.cursor() as cr:
        env = manager_env(cr)
        env["crm.lead"].search_count([])  # warm the registry and caches
        baseline = rss_mb()
        if args.measure == "ours":
            result = run_ours(env)
        elif args.measure == "floor":
            result = run_floor(env, constant_memory=False)
        elif args.measure == "floor_cm":
            result = run_floor(env, constant_memory=True)
        else:
            result = run_odoo(env)
        cr.rollback()
    result.update(peak=rss_mb(), baseline=baseline)
    print("RESULT " + json.dumps(result))


def measure(db, kind):
    command = [sys.executable, os.path.abspath(__file__), "--db", db, "--measure", kind]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("RESULT "))
    return json.loads(line[len("RESULT ") :])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument(
        "--odoo-max",
        type=int,
        default=100_000,
        help="above this, Odoo's own export is measured on a database of this size "
        "and extrapolated linearly",
    )
    parser.add_argument("--db", default="pd_bench_tier")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure == "build":
        registry = open_database(args.db)
        with registry.cursor() as cr:
            populate(environment(cr), args.leads)
            cr.commit()
        return None
    if args.measure:
        return child(args)

    print(f"# Tier report benchmark: {args.leads:,} leads")
    started = time.perf_counter()
    registry = open_database(args.db)
    with registry.cursor() as cr:
        populate(environment(cr), args.leads)
        cr.commit()
    print(f"install + dataset: {time.perf_counter() - started:.0f} s")
    registry = None
    results = {}
    for kind in ("ours", "floor_cm", "floor"):
        results[kind] = measure(args.db, kind)
        print(f"{kind}: {results[kind]}", flush=True)
    odoo_note = ""
    if args.leads <= args.odoo_max:
        results["odoo"] = measure(args.db, "odoo")
    else:
        # Odoo's export holds every record and cell in memory: measured on a
        # database of --odoo-max leads and extrapolated linearly
        small_db = f"{args.db}_small"
        # in a child: Odoo's configuration cannot be parsed twice in one process
        subprocess.run(
            [
                sys.executable,
                os.path.abspath(__file__),
                "--db",
                small_db,
                "--leads",
                str(args.odoo_max),
                "--measure",
                "build",
            ],
            check=True,
        )
        small = measure(small_db, "odoo")
        factor = args.leads / args.odoo_max
        results["odoo"] = {
            "seconds": small["seconds"] * factor,
            "rows": args.leads,
            "size": small["size"] * factor,
            "peak": small["baseline"] + (small["peak"] - small["baseline"]) * factor,
            "baseline": small["baseline"],
        }
        odoo_note = f" (extrapolated ×{factor:.0f} from {args.odoo_max:,} leads)"
        if not args.keep:
            drop_database(small_db)
    print(f"odoo: {results['odoo']}{odoo_note}", flush=True)

    # the floor is the faster of the two pure-xlsxwriter runs
    floor = min(results["floor_cm"]["seconds"], results["floor"]["seconds"])
    labels = {
        "ours": "our export, 5 sheets, as a Sales manager (record rules)",
        "floor_cm": "floor: xlsxwriter from a list, constant_memory on (write only)",
        "floor": "floor: xlsxwriter from a list, constant_memory off (write only)",
        "odoo": f"Odoo list export to xlsx{odoo_note}",
    }
    print()
    print(
        "| run | rows | time (s) | vs floor | peak RSS (MB) | RSS above registry (MB)"
        " | file (MB) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for kind in ("ours", "floor_cm", "floor", "odoo"):
        result = results[kind]
        print(
            f"| {labels[kind]} | {result['rows']:,} | {result['seconds']:.1f} |"
            f" {result['seconds'] / floor:.2f}x | {result['peak']:.0f} |"
            f" {result['peak'] - result['baseline']:.0f} |"
            f" {result['size'] / 1e6:.1f} |"
        )
    if not args.keep:
        drop_database(args.db)


if __name__ == "__main__":
    main()
