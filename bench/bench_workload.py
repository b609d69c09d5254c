"""Benchmark of the workload forecast (``prospect.workload.report``).

Builds a database by SQL (default: 1,000,000 leads of 200 salespeople in 20 sales
teams, two companies, a fifth won or lost, every grade, tiers, key accounts and
potential key customers, 100,000 planned activities), then prints, from one run:

- the raw-SQL floor: the report's own query run on the cursor and grouped by
  salesperson and week (no ORM, no record rules), and, for scale, the same forecast
  expanded lead by lead (one ``generate_series`` per lead instead of per run of
  identical leads);
- what the views ask through the ORM as a Sales manager (record rules applied):
  the graph (``web_read_group`` by week and salesperson, plus the capacity by week
  for its line), the pivot (salesperson x week, three measures), the list (first
  80 rows), a ``read_group`` by salesperson; each with its peak extra memory and
  its ratio to the floor;
- the Rebalance proposal of one team.

Usage (Odoo 18 importable by python3 or $ODOO_PYTHON; PostgreSQL running):
    python3 bench/bench_workload.py [--leads 1000000] [--users 200] [--keep]
"""

import time

from benchlib import (
    bench_arguments,
    build_dataset,
    drop_database,
    environment,
    open_database,
    timed,
)

from odoo import api
from odoo.tools import SQL

TEAM_SIZE = 10


def populate(env, leads, users):
    cr = env.cr
    company_1 = env.ref("base.main_company")
    company_2 = env["res.company"].create({"name": "Bench Company 2"})
    stages = env["crm.stage"].search([])
    won = stages.filtered("is_won")[:1]
    stage_open = (stages - won)[:1]
    sellers = env["res.users"].create(
        [
            {
                "name": f"Bench Seller {i:03d}",
                "login": f"bench{i}",
                "company_ids": [(6, 0, [company_1.id, company_2.id])],
                "company_id": company_1.id,
                "groups_id": [(4, env.ref("sales_team.group_sale_salesman").id)],
                # a third on the settings' capacity, the others 20 to 60 a week
                "prospect_weekly_capacity": 0 if i % 3 == 0 else 20 + (i * 7) % 41,
            }
            for i in range(users)
        ]
    )
    teams = env["crm.team"].create(
        [
            {
                "name": f"Bench Team {t:02d}",
                "user_id": sellers[t * TEAM_SIZE].id,
                "member_ids": [
                    (6, 0, sellers[t * TEAM_SIZE : (t + 1) * TEAM_SIZE].ids)
                ],
            }
            for t in range(-(-users // TEAM_SIZE))
        ]
    )
    env["res.users"].create(
        {
            "name": "Bench Manager",
            "login": "bench_manager",
            "company_ids": [(6, 0, [company_1.id, company_2.id])],
            "company_id": company_1.id,
            "groups_id": [(4, env.ref("sales_team.group_sale_manager").id)],
        }
    )
    env.flush_all()
    # leads as the nightly engines leave them: tier, grade, next contact date
    cr.execute(
        SQL(
            """
        INSERT INTO crm_lead (name, type, active, company_id, user_id, team_id,
                              stage_id, probability, expected_revenue, pyramid_tier,
                              prospect_grade, key_account_colour,
                              prospect_potential_key, next_contact_date,
                              create_date, write_date)
        SELECT 'Bench lead ' || i, 'opportunity', NOT lost,
               CASE WHEN mod(i, 3) = 0 THEN %(company_2)s ELSE %(company_1)s END,
               (%(users)s::int[])[1 + seller],
               (%(teams)s::int[])[1 + seller / %(team_size)s],
               CASE WHEN won THEN %(won)s ELSE %(open)s END,
               CASE WHEN won THEN 100 WHEN lost THEN 0 ELSE 50 END,
               ROUND((EXP(random() * 9) * 50)::numeric, 2),
               (ARRAY['super', 'large', 'medium', 'small', 'inactive', 'prospect',
                      'suspect', 'other'])[1 + mod(hash / 7, 8)],
               (ARRAY['a', 'b', 'b', 'c', 'c', 'c', 'd', 'd', 'd', 'd', 'e'])
                   [1 + mod(hash / 11, 11)],
               CASE WHEN mod(hash / 13, 50) = 0 THEN 'red' END,
               mod(hash / 17, 100) = 0,
               CURRENT_DATE + (mod(hash / 19, 150) - 45),
               NOW(), NOW()
          FROM (SELECT i, mod(i, 10) = 1 AS won, mod(i, 10) = 2 AS lost,
                       mod(i, %(user_count)s) AS seller,
                       ABS(hashint4(i)) AS hash
                  FROM generate_series(1, %(leads)s) i) s
        """,
            company_1=company_1.id,
            company_2=company_2.id,
            users=sellers.ids,
            teams=teams.ids,
            team_size=TEAM_SIZE,
            user_count=users,
            won=won.id,
            open=stage_open.id,
            leads=leads,
        )
    )
    # planned activities on a tenth of the open leads, for their salesperson
    cr.execute(
        SQL(
            """
        INSERT INTO mail_activity (res_model_id, res_model, res_id, user_id,
                                   activity_type_id, date_deadline, active,
                                   summary, create_date, write_date)
        SELECT %(model)s, 'crm.lead', lead.id, lead.user_id, %(type)s,
               CURRENT_DATE + mod(lead.id, 60) - 10, TRUE, 'Bench call',
               NOW(), NOW()
          FROM crm_lead lead
         WHERE mod(lead.id, 10) = 5 AND lead.active
        """,
            model=env["ir.model"]._get_id("crm.lead"),
            type=env.ref("mail.mail_activity_data_call").id,
        )
    )
    cr.execute("ANALYZE")


def sql_floor(env):
    """The report's query on the cursor, grouped by salesperson and week (in the
    transaction settings the report reads it with)."""
    env["prospect.workload.report"]._prepare_session()
    query = env["prospect.workload.report"]._get_query()
    env.cr.execute(
        SQL(
            "SELECT user_id, week_start, SUM(planned_contacts), SUM(capacity)"
            " FROM (%s) report GROUP BY user_id, week_start",
            query,
        )
    )
    return len(env.cr.fetchall())


def sql_per_lead(env):
    """The same forecast, each lead's contacts expanded on their own (without
    grouping the identical runs of leads first)."""
    report = env["prospect.workload.report"]
    report._prepare_session()
    _today, week0, end = report._get_horizon()
    env.cr.execute(
        SQL(
            """
            WITH %(streams)s
            SELECT user_id, (day - %(week0)s) / 7 AS week, COUNT(*)
              FROM (
                SELECT stream.user_id,
                       part.start + k * COALESCE(stream.step, 0) AS day
                  FROM stream
                 CROSS JOIN LATERAL (
                       VALUES (stream.start1, stream.stop1),
                              (stream.start2, %(end)s)
                 ) part (start, stop)
                 CROSS JOIN generate_series(
                       0, CASE WHEN stream.step IS NULL THEN 0
                               ELSE (part.stop - 1 - part.start) / stream.step
                          END) k
                 WHERE part.start < part.stop
                UNION ALL
                SELECT user_id, day FROM activity WHERE day < %(end)s
              ) contact
             GROUP BY 1, 2
            """,
            streams=report._streams_query(),
            week0=week0,
            end=end,
        )
    )
    return len(env.cr.fetchall())


def open_graph(report):
    """What the workload graph asks: planned contacts (and the capacity of its
    line) by week and salesperson."""
    groups = report.web_read_group(
        [],
        ["__count", "planned_contacts:sum", "capacity:sum"],
        ["week_start:week", "user_id"],
        lazy=False,
    )
    return groups["length"]


def open_pivot(report):
    groups = report.read_group(
        [],
        ["planned_contacts:sum", "capacity:sum", "overload:sum"],
        ["user_id", "week_start:week"],
        lazy=False,
    )
    return len(groups)


def open_list(report):
    return len(
        report.web_search_read([], {"user_id": {}, "planned_contacts": {}}, limit=80)[
            "records"
        ]
    )


def by_user(report):
    return len(
        report.read_group(
            [], ["planned_contacts:sum", "capacity:sum"], ["user_id"], lazy=False
        )
    )


def main():
    args = bench_arguments(
        __doc__.splitlines()[0], "workload_bench", leads=1_000_000, users=200
    )

    print(
        f"# Workload forecast benchmark: {args.leads:,} leads, {args.users} salespeople"
    )
    started = time.perf_counter()
    registry = open_database(args.db)
    build_dataset(registry, populate, args.leads, args.users)
    print(f"install + data: {time.perf_counter() - started:.0f} s")

    rows = []
    with registry.cursor() as cr:
        env = environment(cr)
        cr.execute("SELECT COUNT(*) FILTER (WHERE active), COUNT(*) FROM crm_lead;")
        active, total = cr.fetchone()
        cr.execute("SELECT COUNT(*) FROM mail_activity WHERE active")
        activities = cr.fetchone()[0]
        # fresh data, measured first: the floor, then the naive expansion
        floor_rows, floor_time, floor_mem = timed(lambda: sql_floor(env))
        naive_rows, naive_time, naive_mem = timed(lambda: sql_per_lead(env))
        manager = env["res.users"].search([("login", "=", "bench_manager")])
        menv = api.Environment(
            cr,
            manager.id,
            {"allowed_company_ids": manager.company_ids.ids, "tz": "UTC"},
        )
        for label, function in (
            (
                "open the graph (web_read_group week x salesperson)",
                open_graph,
            ),
            ("pivot (read_group salesperson x week, 3 measures)", open_pivot),
            ("list (first 80 rows)", open_list),
            ("read_group by salesperson", by_user),
        ):
            report = menv["prospect.workload.report"]
            report.invalidate_model()
            count, seconds, memory = timed(lambda f=function, r=report: f(r))
            rows.append((label, seconds, count, memory))
        team = env["crm.team"].search([("name", "=", "Bench Team 00")])
        wizard = menv["prospect.rebalance.wizard"].create({"team_id": team.id})
        _, propose_time, propose_mem = timed(wizard._propose)
        proposed = len(wizard.line_ids)
        cr.rollback()
        cr.execute(
            SQL(
                "SELECT COUNT(*) FILTER (WHERE is_overloaded), SUM(planned_contacts)"
                " FROM (%s) report",
                env["prospect.workload.report"]._get_query(),
            )
        )
        overloaded, planned = cr.fetchone()

    print()
    print(
        f"{total:,} leads ({active:,} active), {activities:,} planned activities; "
        f"forecast: {planned:,} contacts, {overloaded:,} over-loaded salesperson-weeks"
    )
    print()
    print("| run | time (s) | rows | peak extra RSS (MB) | vs SQL floor |")
    print("|---|---:|---:|---:|---:|")
    print(
        f"| raw-SQL floor: the report's query grouped by salesperson and week |"
        f" {floor_time:.2f} | {floor_rows:,} | {floor_mem:.0f} | 1.00x |"
    )
    print(
        f"| for scale: the same forecast expanded lead by lead |"
        f" {naive_time:.2f} | {naive_rows:,} | {naive_mem:.0f} |"
        f" {naive_time / floor_time:.2f}x |"
    )
    for label, seconds, count, memory in rows:
        print(
            f"| {label} | {seconds:.2f} | {count:,} | {memory:.0f} |"
            f" {seconds / floor_time:.2f}x |"
        )
    print(
        f"| Rebalance proposal of one team ({TEAM_SIZE} salespeople,"
        f" {proposed:,} moves) | {propose_time:.2f} | - | {propose_mem:.0f} | - |"
    )
    if not args.keep:
        drop_database(args.db)


if __name__ == "__main__":
    main()
