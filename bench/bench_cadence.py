"""Benchmark of the daily contact cadence (``crm.lead._cron_prospect_cadence``).

Builds, by SQL, open leads whose next contact has come (default 100,000, over 20
salespeople, grades A to D), then prints from one run: the cadence run (one activity
per due lead) with its time and peak extra memory, a second run (nothing to do),
beside Odoo's own way — ``activity_schedule`` called lead by lead — timed on a sample
and extrapolated.

Usage (Odoo 18 importable by python3 or $ODOO_PYTHON; PostgreSQL running):
    python3 bench/bench_cadence.py [--leads 100000] [--sample 2000] [--keep]
"""

from benchlib import (
    build_dataset,
    drop_database,
    environment,
    open_database,
    parse_arguments,
    timed,
)

from odoo import fields
from odoo.tools import SQL


def populate(env, leads):
    users = env["res.users"].create(
        [{"name": f"Cadence Seller {i}", "login": f"cadence{i}"} for i in range(20)]
    )
    stage = env["crm.stage"].search([("is_won", "=", False)], limit=1)
    env.flush_all()
    env.cr.execute(
        SQL(
            """
        INSERT INTO crm_lead (name, type, active, company_id, user_id, stage_id,
                              need_status, prospect_grade, pyramid_tier,
                              last_contact_date, next_contact_date, contact_urgency,
                              create_date, write_date)
        SELECT 'Due lead ' || i, 'opportunity', TRUE, %(company)s,
               (%(users)s::int[])[1 + mod(i, 20)], %(stage)s, 'clear',
               (ARRAY['a', 'b', 'c', 'd'])[1 + mod(i, 4)], 'prospect',
               CURRENT_DATE - 100, CURRENT_DATE - mod(i, 10), 'urgent', NOW(), NOW()
          FROM generate_series(1, %(leads)s) i
        """,
            company=env.company.id,
            users=users.ids,
            stage=stage.id,
            leads=leads,
        )
    )
    env.cr.execute("ANALYZE crm_lead")


def per_lead(env, sample):
    """Odoo's way: one ``activity_schedule`` per lead (no assignment mails either)."""
    leads = (
        env["crm.lead"]
        .with_context(mail_activity_quick_update=True)
        .search([], limit=sample, order="id desc")
    )
    today = fields.Date.context_today(leads)
    for lead in leads:
        lead.activity_schedule(
            "mail.mail_activity_data_call",
            date_deadline=lead.next_contact_date or today,
            summary="Contact",
            user_id=lead.user_id.id,
        )
    env.flush_all()
    return len(leads)


def main():
    args = parse_arguments(__doc__.splitlines()[0], 100_000, 2_000, "pd_bench_cadence")

    print(f"# Cadence benchmark: {args.leads:,} due leads")
    registry = open_database(args.db)
    build_dataset(registry, populate, args.leads)

    with registry.cursor() as cr:
        env = environment(cr)
        engine = env["prospect.cadence.engine"]
        created, first_time, first_mem = timed(engine._run)
        cr.commit()
        again, again_time, again_mem = timed(engine._run)
        cr.commit()
        env.cr.execute(
            "SELECT COUNT(*), COUNT(DISTINCT res_id) FROM mail_activity"
            " WHERE prospect_cadence"
        )
        activities, leads_with_one = env.cr.fetchone()
        # last: its record cache would hide the engine's memory peak
        env.cr.execute("DELETE FROM mail_activity WHERE prospect_cadence")
        sample, loop_time, loop_mem = timed(lambda: per_lead(env, args.sample))
        cr.rollback()

    loop_full = loop_time * args.leads / sample
    print()
    print("| run | time (s) | activities created | peak extra RSS (MB) | vs per-lead |")
    print("|---|---:|---:|---:|---:|")
    print(
        f"| cadence run | {first_time:.1f} | {created:,} | {first_mem:.0f} |"
        f" {first_time / loop_full:.2f}x |"
    )
    print(
        f"| second run (nothing due) | {again_time:.1f} | {again:,} | {again_mem:.0f} |"
        " - |"
    )
    print(
        f"| baseline: activity_schedule per lead, {sample:,} measured |"
        f" {loop_time:.1f} | {sample:,} | {loop_mem:.0f} | - |"
    )
    print(
        f"| baseline: activity_schedule per lead, extrapolated to {args.leads:,} |"
        f" {loop_full:.0f} | - | - | 1.00x |"
    )
    print()
    print(f"cadence activities: {activities:,} on {leads_with_one:,} leads")
    if not args.keep:
        drop_database(args.db)


if __name__ == "__main__":
    main()
