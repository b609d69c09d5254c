"""Benchmark of the nightly rescoring (``crm.lead._cron_prospect_rescore``).

Builds a realistic database by SQL (default: 1,000,000 leads over 300,000 partners,
two companies, a third of the leads won over two years, a few answers and touches),
then prints, from one run:

- the first full rescoring: wall time, peak extra memory of the Odoo process, leads
  written, beside the raw-SQL floor (one ``RANK()`` + one ``UPDATE`` writing the same
  tiers, rolled back) and a per-record ORM implementation timed on a sample and
  extrapolated;
- nights in a row (``--nights``, 4), about 1 % of the customers buying again before
  each, incremental (a night reads only what changed since the last run): the first
  follows the first full run, the median of the others is the steady state;
- a run with nothing changed, incremental;
- a full pass with nothing changed (what a night costs when the settings changed,
  and once a week).

Usage (Odoo 18 importable by python3 or $ODOO_PYTHON; PostgreSQL running):
    python3 bench/bench_rescore.py [--leads 1000000] [--partners 300000]
        [--nights 4] [--keep]
"""

import statistics
import time
from datetime import timedelta

from benchlib import (
    bench_arguments,
    drop_database,
    environment,
    insert_customers,
    open_database,
    print_runs,
    timed,
)

from odoo import fields
from odoo.tools import SQL


def populate(env, leads, partners):
    cr = env.cr
    company_1 = env.ref("base.main_company")
    company_2 = env["res.company"].create({"name": "Bench Company 2"})
    won = env["crm.stage"].search([("is_won", "=", True)], limit=1)
    stage_open = env["crm.stage"].search([("is_won", "=", False)], limit=1)
    users = env["res.users"].create(
        [
            {
                "name": f"Bench Seller {i}",
                "login": f"bench{i}",
                "company_ids": [(6, 0, [company_1.id, company_2.id])],
                "company_id": company_1.id,
            }
            for i in range(20)
        ]
    )
    env.flush_all()
    first_partner, last_partner = insert_customers(cr, partners)
    # a third won over two years with a heavy-tailed revenue; the rest open
    cr.execute(
        SQL(
            """
        INSERT INTO crm_lead (name, type, active, company_id, partner_id, user_id,
                              stage_id, expected_revenue, probability, need_status,
                              date_deadline, date_closed, create_date, write_date,
                              date_last_stage_update)
        SELECT 'Bench lead ' || i, 'opportunity', TRUE,
               CASE WHEN mod(i, 3) = 0 THEN %(company_2)s ELSE %(company_1)s END,
               %(first)s + mod(hashint, %(span)s),
               (%(users)s::int[])[1 + mod(i, 20)],
               CASE WHEN won THEN %(won)s ELSE %(open)s END,
               ROUND((EXP(random() * 9) * 50)::numeric, 2),
               CASE WHEN won THEN 100 ELSE (random() * 90)::int END,
               (ARRAY['clear', 'potential', 'none', NULL])[1 + mod(i, 4)],
               CURRENT_DATE + (random() * 300 - 30)::int,
               CASE WHEN won THEN NOW() - random() * 730 * INTERVAL '1 day' END,
               NOW() - random() * 900 * INTERVAL '1 day', NOW(), NOW()
          FROM (SELECT i, mod(i, 3) = 1 AS won,
                       ABS(hashint4(i)) AS hashint
                  FROM generate_series(1, %(leads)s) i) s
        """,
            company_1=company_1.id,
            company_2=company_2.id,
            first=first_partner,
            span=last_partner - first_partner + 1,
            users=users.ids,
            won=won.id,
            open=stage_open.id,
            leads=leads,
        )
    )
    # answers and touches on 5 % of the open leads
    cr.execute(
        SQL(
            """
        INSERT INTO mail_message (model, res_id, message_type, author_id, date,
                                  body, create_date, write_date)
        SELECT 'crm.lead', lead.id, 'email', lead.partner_id,
               NOW() - random() * 200 * INTERVAL '1 day', '<p>Answer</p>',
               NOW(), NOW()
          FROM crm_lead lead
         WHERE mod(lead.id, 20) = 0 AND lead.stage_id = %s
        """,
            stage_open.id,
        )
    )
    cr.execute("ANALYZE")
    return company_1, company_2


def sql_floor(env):
    """One RANK() and one UPDATE writing the same tiers, no history: the floor."""
    settings = env["prospect.settings"]._get()
    today = fields.Date.context_today(env["crm.lead"])
    start = today - timedelta(days=settings["lookback_days"])
    p1 = settings["tier_super_pct"]
    p2 = p1 + settings["tier_large_pct"]
    p3 = p2 + settings["tier_medium_pct"]
    env.cr.execute(
        SQL(
            """
        WITH revenue AS (
            SELECT lead.company_id, partner.commercial_partner_id AS commercial_id,
                   SUM(lead.expected_revenue)
                       FILTER (WHERE lead.date_closed >= %(start)s) AS revenue,
                   SUM(lead.expected_revenue)
                       FILTER (WHERE lead.date_closed < %(start)s) AS before
              FROM crm_lead lead
              JOIN crm_stage stage ON stage.id = lead.stage_id AND stage.is_won
              JOIN res_partner partner ON partner.id = lead.partner_id
             GROUP BY 1, 2
        ), ranked AS (
            SELECT *, RANK() OVER (PARTITION BY company_id ORDER BY revenue DESC) rk,
                   COUNT(*) OVER (PARTITION BY company_id) total
              FROM revenue WHERE revenue > 0
        )
        UPDATE crm_lead lead
           SET pyramid_tier = CASE
                   WHEN rk <= CEIL(total * %(p1)s / 100.0) THEN 'super'
                   WHEN rk <= CEIL(total * %(p2)s / 100.0) THEN 'large'
                   WHEN rk <= CEIL(total * %(p3)s / 100.0) THEN 'medium'
                   WHEN rk IS NOT NULL THEN 'small'
                   WHEN revenue.before > 0 THEN 'inactive'
                   WHEN lead.need_status = 'none' THEN 'other'
                   WHEN lead.last_contact_date IS NOT NULL THEN 'prospect'
                   ELSE 'suspect' END,
               pyramid_revenue = COALESCE(ranked.revenue, 0)
          FROM crm_lead src
          LEFT JOIN res_partner partner ON partner.id = src.partner_id
          LEFT JOIN revenue ON revenue.company_id = src.company_id
                           AND revenue.commercial_id = partner.commercial_partner_id
          LEFT JOIN ranked ON ranked.company_id = src.company_id
                          AND ranked.commercial_id = partner.commercial_partner_id
         WHERE src.id = lead.id
        """,
            start=start,
            p1=p1,
            p2=p2,
            p3=p3,
        )
    )
    return env.cr.rowcount


def orm_per_record(env, sample):
    """The naive way: per lead, read its customer's revenue and write its tier."""
    Lead = env["crm.lead"]
    settings = env["prospect.settings"]._get()
    start = fields.Datetime.now() - timedelta(days=settings["lookback_days"])
    groups = Lead._read_group(
        [("stage_id.is_won", "=", True), ("date_closed", ">=", start)],
        ["company_id", "partner_id"],
        ["expected_revenue:sum"],
    )
    by_company = {}
    for company, partner, revenue in groups:
        by_company.setdefault(company.id, []).append((revenue, partner.id))
    leads = Lead.search([], limit=sample, order="id")
    for lead in leads:
        revenue = sum(
            Lead.search(
                [
                    ("partner_id", "=", lead.partner_id.id),
                    ("company_id", "=", lead.company_id.id),
                    ("stage_id.is_won", "=", True),
                    ("date_closed", ">=", start),
                ]
            ).mapped("expected_revenue")
        )
        ranking = by_company.get(lead.company_id.id, [])
        rank = 1 + sum(1 for other, _partner in ranking if other > revenue)
        total = len(ranking) or 1
        tier = "small"
        if revenue and rank <= -(-total * settings["tier_super_pct"] // 100):
            tier = "super"
        lead.sudo().write({"pyramid_tier": tier, "pyramid_revenue": revenue})
    env.flush_all()
    return len(leads)


def change_one_percent(env, partners):
    """The next night: 1 % of the customers bought again."""
    won = env["crm.stage"].search([("is_won", "=", True)], limit=1)
    env.cr.execute(
        SQL(
            """
        INSERT INTO crm_lead (name, type, active, company_id, partner_id, stage_id,
                              expected_revenue, probability, date_closed, create_date,
                              write_date, date_last_stage_update)
        SELECT 'Bench repeat ' || partner.id, 'opportunity', TRUE, lead.company_id,
               partner.id, %(won)s, ROUND((EXP(random() * 10) * 50)::numeric, 2), 100,
               NOW(), NOW(), NOW(), NOW()
          FROM res_partner partner
          JOIN LATERAL (SELECT company_id FROM crm_lead
                         WHERE partner_id = partner.id LIMIT 1) lead ON TRUE
         WHERE partner.name LIKE %(pattern)s AND random() < 0.01
        """,
            won=won.id,
            pattern="Bench Customer %",
        )
    )
    return env.cr.rowcount


def main():
    args = bench_arguments(
        __doc__.splitlines()[0],
        "pd_bench_rescore",
        leads=1_000_000,
        partners=300_000,
        sample=10_000,
        nights=4,
    )

    print(f"# Rescoring benchmark: {args.leads:,} leads, {args.partners:,} partners")
    started = time.perf_counter()
    registry = open_database(args.db)
    with registry.cursor() as cr:
        env = environment(cr)
        _, build_time, _ = timed(lambda: populate(env, args.leads, args.partners))
        cr.commit()
    print(
        f"dataset built in {build_time:.0f} s "
        f"(install + data: {time.perf_counter() - started:.0f} s)"
    )

    rows = []
    with registry.cursor() as cr:
        env = environment(cr)
        floor_rows, floor_time, _ = timed(lambda: sql_floor(env))
        cr.rollback()
        engine = env["prospect.rescore.engine"]
        written, first_time, first_mem = timed(engine._run)
        cr.commit()
        rows.append(("first full run", first_time, written, first_mem))
        # nights in a row, ~1 % of the customers buying again before each: the
        # first follows the first full run, the others are the steady state
        nights = []
        for night in range(1, args.nights + 1):
            changed = change_one_percent(env, args.partners)
            cr.commit()
            written, night_time, night_mem = timed(engine._run)
            cr.commit()
            nights.append(night_time)
            rows.append(
                (
                    f"night {night} ({changed:,} new won deals, ~1 % customers)",
                    night_time,
                    written,
                    night_mem,
                )
            )
        steady = statistics.median(nights[1:] or nights)
        written, idle_time, idle_mem = timed(engine._run)
        cr.commit()
        rows.append(("nothing changed", idle_time, written, idle_mem))
        full = engine.with_context(prospect_rescore_full=True)
        written, full_time, full_mem = timed(full._run)
        cr.commit()
        rows.append(("full pass, nothing changed", full_time, written, full_mem))
        # last: its record cache would hide the engine's memory peak
        sample, orm_time, _ = timed(lambda: orm_per_record(env, args.sample))
        cr.rollback()
        orm_full = orm_time * args.leads / sample
        cr.execute("SELECT COUNT(*) FROM prospect_lead_history")
        history = cr.fetchone()[0]
        cr.execute("SELECT pyramid_tier, COUNT(*) FROM crm_lead GROUP BY 1 ORDER BY 2")
        tiers = cr.fetchall()

    print_runs(rows, "RANK + UPDATE, tiers only", floor_time, floor_rows)
    print(
        f"| steady state: median of nights 2 to {args.nights} | {steady:.1f} | - |"
        f" - | {steady / floor_time:.2f}x |"
    )
    print(
        f"| baseline: per-record ORM, {sample:,} leads measured | {orm_time:.1f} |"
        f" {sample:,} | - | - |"
    )
    print(
        f"| baseline: per-record ORM extrapolated to {args.leads:,} | {orm_full:.0f} |"
        f" - | - | {orm_full / floor_time:.1f}x |"
    )
    print()
    print(
        f"history lines: {history:,}; tiers: "
        + ", ".join(f"{tier} {count:,}" for tier, count in tiers)
    )
    if not args.keep:
        drop_database(args.db)


if __name__ == "__main__":
    main()
