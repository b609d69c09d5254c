"""Benchmark of the calibration report and the suggested thresholds.

Builds a database by SQL (default: 1,000,000 leads, 200 salespeople in 20 teams,
two companies; a third of the leads closed over two years, 40 % of those won; a
scoring signal on most closed leads, a call outcome on a fifth, a sequence
enrolment on a tenth), then, as a Sales manager (record rules applied), times and
measures the peak extra memory of:

- the calibration pivot over the last 12 months grouped by grade at closing, by
  salesperson and by score band at closing (``read_group``, as the pivot calls it,
  with its default measures);
- the cost-against-result pivot by salesperson;
- the suggested thresholds (the wizard opened and read, as the form does);

each beside the raw-SQL floor of the same aggregates, hand-written and measured in
the same run on the same data (cold runs first: each query is run once before).

Usage (Odoo 18 importable by python3; PostgreSQL running):
    python3 bench/bench_calibration.py [--leads 1000000] [--users 200] [--keep]
"""

from datetime import datetime, time, timedelta

from benchlib import (
    bench_arguments,
    drop_database,
    environment,
    insert_customers,
    open_database,
    timed,
)

from odoo import fields
from odoo.tools import SQL

MEASURES = [
    "closed_count:sum",
    "won_count:sum",
    "win_rate:avg",
    "days_to_close:avg",
    "won_revenue:sum",
]


def populate(env, leads, user_count):
    cr = env.cr
    company_1 = env.ref("base.main_company")
    company_2 = env["res.company"].create({"name": "Bench Company 2"})
    won = env["crm.stage"].search([("is_won", "=", True)], limit=1)
    stage_open = env["crm.stage"].search([("is_won", "=", False)], limit=1)
    salesman = env.ref("sales_team.group_sale_salesman")
    users = env["res.users"].create(
        [
            {
                "name": f"Bench Seller {i}",
                "login": f"bench{i}",
                "company_ids": [(6, 0, [company_1.id, company_2.id])],
                "company_id": company_1.id,
                "groups_id": [(6, 0, [salesman.id])],
            }
            for i in range(user_count)
        ]
    )
    teams = env["crm.team"].create(
        [
            {"name": f"Bench Team {i}", "user_id": users[i * 10].id}
            for i in range(max(1, user_count // 10))
        ]
    )
    manager = env["res.users"].create(
        {
            "name": "Bench Manager",
            "login": "bench_manager",
            "company_ids": [(6, 0, [company_1.id, company_2.id])],
            "company_id": company_1.id,
            "groups_id": [(6, 0, [env.ref("sales_team.group_sale_manager").id])],
        }
    )
    env.flush_all()
    first_partner, last_partner = insert_customers(cr, max(1000, leads // 4))
    # a third closed over two years (40 % of them won), the rest open
    cr.execute(
        SQL(
            """
        INSERT INTO crm_lead (name, type, active, company_id, partner_id, user_id,
                              team_id, stage_id, expected_revenue, probability,
                              need_status, prospect_grade, pyramid_tier,
                              date_deadline, date_closed, create_date, write_date,
                              date_last_stage_update, touch_count, development_cost)
        SELECT 'Bench lead ' || i, 'opportunity', NOT lost,
               CASE WHEN mod(i, 3) = 1 THEN %(company_2)s ELSE %(company_1)s END,
               %(first)s + mod(hashint, %(span)s),
               (%(users)s::int[])[1 + mod(i, %(user_count)s)],
               (%(teams)s::int[])[1 + mod(i, %(user_count)s) / 10],
               CASE WHEN won THEN %(won)s ELSE %(open)s END,
               ROUND((EXP(random() * 9) * 50)::numeric, 2),
               CASE WHEN won THEN 100 WHEN lost THEN 0 ELSE (random() * 90)::int END,
               CASE WHEN grade = 'e' THEN 'none'
                    WHEN grade = 'd' THEN 'potential' ELSE 'clear' END,
               grade,
               (ARRAY['small', 'medium', 'large', 'prospect', 'suspect'])
                   [1 + mod(hashint / 7, 5)],
               closed::date + (random() * 200 - 20)::int,
               closed,
               COALESCE(closed, NOW()) - (random() * 300 || ' days')::interval,
               NOW(), NOW(), mod(hashint, 12), mod(hashint, 12) * 25
          FROM (SELECT i, hashint, won, lost, closed,
                       -- the better the grade, the likelier the win
                       CASE WHEN NOT (won OR lost) THEN
                                (ARRAY['a', 'b', 'c', 'd', 'e'])[1 + mod(hashint, 5)]
                            WHEN won THEN
                                (ARRAY['a', 'a', 'a', 'b', 'b', 'c', 'd'])
                                    [1 + mod(hashint, 7)]
                            ELSE (ARRAY['a', 'b', 'c', 'c', 'd', 'd', 'e'])
                                    [1 + mod(hashint, 7)] END AS grade
                  FROM (SELECT i, ABS(hashint4(i)) AS hashint,
                               mod(i, 3) = 0 AND mod(ABS(hashint4(i)), 5) < 2 AS won,
                               mod(i, 3) = 0 AND mod(ABS(hashint4(i)), 5) >= 2
                                   AS lost,
                               CASE WHEN mod(i, 3) = 0 THEN
                                   NOW() - (random() * 730 || ' days')::interval
                               END AS closed
                          FROM generate_series(1, %(leads)s) i) s) t
        """,
            company_1=company_1.id,
            company_2=company_2.id,
            first=first_partner,
            span=last_partner - first_partner + 1,
            users=users.ids,
            user_count=user_count,
            teams=teams.ids,
            won=won.id,
            open=stage_open.id,
            leads=leads,
        )
    )
    # signals before the closing: a score on 80 % of the closed leads (the wins
    # score higher), a call outcome on a fifth
    outcomes = env["prospect.call.outcome"].search([]).ids
    cr.execute(
        SQL(
            """
        INSERT INTO prospect_engagement_event (lead_id, company_id, user_id,
                                               event_type, points, date)
        SELECT lead.id, lead.company_id, lead.user_id, 'reply',
               CASE WHEN lead.active THEN 30 + mod(lead.id, 60)
                    ELSE mod(lead.id, 50) END,
               lead.date_closed - (mod(lead.id, 40) || ' days')::interval
          FROM crm_lead lead
         WHERE lead.date_closed IS NOT NULL AND mod(lead.id, 5) <> 0
        """
        )
    )
    cr.execute(
        SQL(
            """
        INSERT INTO prospect_engagement_event (lead_id, company_id, user_id,
                                               event_type, points, date, outcome_id)
        SELECT lead.id, lead.company_id, lead.user_id, 'call_outcome', 5,
               lead.date_closed - interval '2 days',
               (%(outcomes)s::int[])[1 + mod(lead.id / 5, %(count)s)]
          FROM crm_lead lead
         WHERE lead.date_closed IS NOT NULL AND mod(lead.id, 5) = 1
        """,
            outcomes=outcomes,
            count=len(outcomes),
        )
    )
    sequence = env.ref("prospect_development.prospect_sequence_direct_mail")
    cr.execute(
        SQL(
            """
        INSERT INTO prospect_sequence_enrollment (lead_id, sequence_id, company_id,
                                                  state, create_date, write_date)
        SELECT lead.id, %(sequence)s, lead.company_id, 'done', lead.create_date,
               NOW()
          FROM crm_lead lead
         WHERE mod(lead.id, 10) = 3
        """,
            sequence=sequence.id,
        )
    )
    cr.execute("ANALYZE")
    return manager


def period(env):
    """The pivot's default filter: closed in the last 12 months."""
    today = fields.Date.context_today(env["crm.lead"])
    return datetime.combine(today - timedelta(days=365), time.min)


def floor_by(env, group_sql, start):
    """The calibration figures by one lead column, by hand: the floor."""
    env.cr.execute(
        SQL(
            """
        SELECT %(group)s, COUNT(*), SUM(stage.is_won::int),
               100.0 * SUM(stage.is_won::int) / COUNT(*),
               AVG(GREATEST(lead.date_closed::date - lead.create_date::date, 0)),
               SUM(CASE WHEN stage.is_won THEN lead.expected_revenue ELSE 0 END)
          FROM crm_lead lead
          JOIN crm_stage stage ON stage.id = lead.stage_id
         WHERE (stage.is_won OR (NOT lead.active AND lead.probability = 0))
           AND lead.date_closed >= %(start)s
         GROUP BY 1
        """,
            group=group_sql,
            start=start,
        )
    )
    return env.cr.fetchall()


def floor_scores(env, start, half_life):
    """Closed and won leads by score at closing (the signals up to the closing
    day, halved every half-life), by hand: the floor of the score band and of
    the threshold suggestion."""
    env.cr.execute(
        SQL(
            """
        WITH closed AS (
            SELECT lead.id, lead.date_closed, stage.is_won
              FROM crm_lead lead
              JOIN crm_stage stage ON stage.id = lead.stage_id
             WHERE (stage.is_won OR (NOT lead.active AND lead.probability = 0))
               AND lead.date_closed >= %(start)s
        ), score AS (
            SELECT event.lead_id,
                   LEAST(100, ROUND(SUM(event.points * POWER(0.5,
                       GREATEST(closed.date_closed::date - event.date::date, 0)
                       ::numeric / %(half_life)s))))::int AS score
              FROM prospect_engagement_event event
              JOIN closed ON closed.id = event.lead_id
             WHERE event.date <= closed.date_closed
             GROUP BY event.lead_id
        )
        SELECT COALESCE(score.score, 0), COUNT(*), SUM(closed.is_won::int)
          FROM closed LEFT JOIN score ON score.lead_id = closed.id
         GROUP BY 1
        """,
            start=start,
            half_life=half_life,
        )
    )
    return env.cr.fetchall()


def floor_suggestion(env, start, half_life):
    """The suggestion's two aggregates by hand: by grade and days to the expected
    closing, and by score at closing."""
    env.cr.execute(
        SQL(
            """
        SELECT lead.prospect_grade,
               CASE WHEN lead.need_status = 'clear'
                    THEN lead.date_deadline - lead.date_closed::date END,
               COUNT(*), SUM(stage.is_won::int)
          FROM crm_lead lead
          JOIN crm_stage stage ON stage.id = lead.stage_id
         WHERE (stage.is_won OR (NOT lead.active AND lead.probability = 0))
           AND lead.date_closed >= %(start)s
         GROUP BY 1, 2
        """,
            start=start,
        )
    )
    return env.cr.fetchall(), floor_scores(env, start, half_life)


def best_of(function, runs=3):
    """(result, best time, largest memory growth) over ``runs`` runs."""
    best, memory, result = None, 0.0, None
    for _run in range(runs):
        result, seconds, grown = timed(function)
        best = seconds if best is None else min(best, seconds)
        memory = max(memory, grown)
    return result, best, memory


def main():
    args = bench_arguments(
        __doc__.splitlines()[0], "calibration_bench", leads=1_000_000, users=200
    )

    print(
        f"# Calibration benchmark: {args.leads:,} leads, {args.users} salespeople, "
        "a third closed"
    )
    registry = open_database(args.db)
    with registry.cursor() as cr:
        env = environment(cr)
        (manager, build_time, _) = timed(lambda: populate(env, args.leads, args.users))
        manager_id = manager.id
        cr.commit()
    print(f"dataset built in {build_time:.0f} s")

    rows = []
    with registry.cursor() as cr:
        env = environment(cr)(user=manager_id)
        start = period(env)
        half_life = env["prospect.settings"]._get()["score_half_life_days"]
        domain = [("date_closed", ">=", start)]
        Report = env["prospect.calibration.report"]
        Cost = env["prospect.cost.result.report"]

        def pivot(model, groupby, measures):
            def read():
                model.invalidate_model()
                return model.read_group(
                    domain if model is Report else [],
                    [*measures, groupby],
                    [groupby],
                    lazy=False,
                )

            return read

        cases = [
            (
                "calibration pivot by grade at closing",
                pivot(Report, "prospect_grade", MEASURES),
                lambda: floor_by(env, SQL("lead.prospect_grade"), start),
            ),
            (
                "calibration pivot by salesperson",
                pivot(Report, "user_id", MEASURES),
                lambda: floor_by(env, SQL("lead.user_id"), start),
            ),
            (
                "calibration pivot by score band at closing",
                pivot(Report, "score_band", MEASURES),
                lambda: floor_scores(env, start, half_life),
            ),
            (
                "cost against result pivot by salesperson",
                pivot(
                    Cost,
                    "user_id",
                    [
                        "touch_count:sum",
                        "development_cost:sum",
                        "won_revenue:sum",
                        "won_customer_id:count_distinct",
                        "cost_per_won_customer:avg",
                    ],
                ),
                lambda: (
                    env.cr.execute(
                        """
                    SELECT lead.user_id, SUM(lead.touch_count),
                           SUM(lead.development_cost),
                           SUM(CASE WHEN stage.is_won THEN lead.expected_revenue
                                    ELSE 0 END),
                           COUNT(DISTINCT CASE WHEN stage.is_won
                                               THEN partner.commercial_partner_id
                                          END),
                           SUM(lead.development_cost) / NULLIF(COUNT(DISTINCT
                               CASE WHEN stage.is_won
                                    THEN partner.commercial_partner_id END), 0)
                      FROM crm_lead lead
                      JOIN crm_stage stage ON stage.id = lead.stage_id
                      LEFT JOIN res_partner partner ON partner.id = lead.partner_id
                     WHERE lead.active OR lead.probability = 0
                     GROUP BY 1
                    """
                    )
                    or env.cr.fetchall()
                ),
            ),
        ]

        def suggestion():
            wizard = env["prospect.calibration.wizard"].create({})
            return (
                wizard.score_threshold,
                wizard.grade_a_days,
                wizard.grade_b_days,
                wizard.grade_c_days,
                len(wizard.figures_html),
            )

        cases.append(
            (
                "suggested thresholds (wizard opened and read)",
                suggestion,
                lambda: floor_suggestion(env, start, half_life),
            )
        )
        for label, orm, floor in cases:
            floor()  # warm both: the same pages in the same cache
            orm()
            _, floor_time, _ = best_of(floor)
            result, orm_time, orm_mem = best_of(orm)
            rows.append((label, orm_time, orm_mem, floor_time, result))
            cr.rollback()
        cr.execute(
            "SELECT COUNT(*) FILTER (WHERE date_closed IS NOT NULL),"
            " COUNT(*) FILTER (WHERE date_closed >= %s) FROM crm_lead",
            [start],
        )
        closed, in_period = cr.fetchone()
        cr.execute("SELECT COUNT(*) FROM prospect_engagement_event")
        events = cr.fetchone()[0]

    print()
    print(
        f"{closed:,} closed leads, {in_period:,} in the last 12 months; "
        f"{events:,} signals"
    )
    print()
    print("| read | time (s) | peak extra RSS (MB) | raw-SQL floor (s) | vs floor |")
    print("|---|---:|---:|---:|---:|")
    for label, seconds, memory, floor_time, _result in rows:
        print(
            f"| {label} | {seconds:.2f} | {memory:.0f} | {floor_time:.2f} |"
            f" {seconds / floor_time:.2f}x |"
        )
    threshold, a_days, b_days, c_days, _html = rows[-1][4]
    print()
    print(
        f"suggestion: grade limits A {a_days}, B {b_days}, C {c_days} days; "
        f"score threshold {threshold}"
    )
    if not args.keep:
        drop_database(args.db)


if __name__ == "__main__":
    main()
