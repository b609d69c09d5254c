"""Benchmark of the engagement score: 1,000,000 events over 200,000 leads.

Builds by SQL a database of open leads and their behaviour signals (the ten event
types, points from the shipped score rules, dates over a year), then prints:

- the raw-SQL floor of the same decayed sum: one aggregate over the events and one
  ``UPDATE`` of the scores, measured first, on the fresh data, then rolled back;
- the nightly rescoring that recomputes it (every rule of the night, the score among
  them): the first night after the events came, the next night (one day of decay:
  most scores move), and a night with nothing to change; wall time and the growth
  of the process's peak memory;
- the live recomputation when one event arrives (``_record``): median and p99 over
  1,000 events on random leads.

Usage (Odoo 18 importable by python3 or $ODOO_PYTHON; PostgreSQL running):
    python3 bench/bench_score.py [--leads 200000] [--events 1000000] [--keep]
"""

import random
import statistics
import time
from datetime import timedelta

from benchlib import (
    bench_arguments,
    drop_database,
    environment,
    open_database,
    print_runs,
    timed,
)

from odoo import fields
from odoo.tools import SQL


def populate(env, leads, events):
    cr = env.cr
    stage = env["crm.stage"].search([("is_won", "=", False)], limit=1)
    users = env["res.users"].create(
        [{"name": f"Bench Seller {i}", "login": f"bench{i}"} for i in range(20)]
    )
    env.flush_all()
    cr.execute(
        SQL(
            """
        INSERT INTO crm_lead (name, type, active, company_id, user_id, stage_id,
                              expected_revenue, probability, need_status,
                              date_deadline, email_from, create_date, write_date)
        SELECT 'Bench lead ' || i, 'opportunity', TRUE, %(company)s,
               (%(users)s::int[])[1 + mod(i, 20)], %(stage)s,
               ROUND((random() * 50000)::numeric, 2), (random() * 90)::int,
               (ARRAY['clear', 'potential', 'none', NULL])[1 + mod(i, 4)],
               CURRENT_DATE + (random() * 300 - 30)::int,
               'prospect' || i || '@bench.example',
               NOW() - random() * 400 * INTERVAL '1 day', NOW()
          FROM generate_series(1, %(leads)s) i
        """,
            company=env.company.id,
            users=users.ids,
            stage=stage.id,
            leads=leads,
        )
    )
    # first night: tiers and grades settled before the signals come
    env["prospect.rescore.engine"]._run()
    # the add-on is importable once the registry is loaded
    from odoo.addons.prospect_development import rules

    points = env["prospect.engagement.event"]._get_rule_points()
    types = [*rules.PROSPECT_SIGNALS, "meeting", "activity_done", "opt_out"]
    cr.execute(
        SQL(
            """
        INSERT INTO prospect_engagement_event
               (lead_id, company_id, user_id, event_type, points, date,
                create_uid, create_date, write_uid, write_date)
        SELECT lead.id, lead.company_id, lead.user_id, kind.event_type, kind.points,
               NOW() AT TIME ZONE 'UTC' - make_interval(secs => random() * 365 * 86400),
               1, NOW(), 1, NOW()
          FROM (SELECT i, (SELECT MIN(id) FROM crm_lead WHERE name LIKE %(pattern)s)
                          + mod(ABS(hashint4(i)), %(leads)s) AS lead_id,
                       1 + mod(ABS(hashint4(i * 7)), %(types)s) AS kind_index
                  FROM generate_series(1, %(events)s) i) s
          JOIN crm_lead lead ON lead.id = s.lead_id
          JOIN (SELECT ROW_NUMBER() OVER () AS kind_index, event_type, points
                  FROM (VALUES %(kinds)s) AS k(event_type, points)) kind
            ON kind.kind_index = s.kind_index
        """,
            pattern="Bench lead %",
            leads=leads,
            events=events,
            types=len(types),
            kinds=SQL(", ").join(
                SQL("(%s, %s)", key, points.get(key, 0)) for key in types
            ),
        )
    )
    cr.execute("ANALYZE")


def sql_floor(env):
    """One aggregate of the decayed points and one UPDATE of the scores."""
    settings = env["prospect.settings"]._get()
    today = fields.Date.context_today(env["crm.lead"])
    env.cr.execute(
        SQL(
            """
        UPDATE crm_lead lead SET engagement_score = score.score
          FROM (SELECT lead_id,
                       LEAST(100, GREATEST(0, ROUND(SUM(points * POWER(0.5,
                           (%(today)s - date::date)::numeric / %(half_life)s)))))::int
                           AS score
                  FROM prospect_engagement_event GROUP BY lead_id) score
         WHERE lead.id = score.lead_id
        """,
            today=today,
            half_life=settings["score_half_life_days"],
        )
    )
    return env.cr.rowcount


def live_events(env, count):
    """``_record`` of one event at a time on random leads: seconds per call."""
    env.cr.execute("SELECT id FROM crm_lead WHERE name LIKE 'Bench lead %%'")
    lead_ids = [row[0] for row in env.cr.fetchall()]
    Event = env["prospect.engagement.event"]
    durations = []
    for _i in range(count):
        lead_id = random.choice(lead_ids)
        start = time.perf_counter()
        Event._record([{"lead_id": lead_id, "event_type": "link_click"}])
        env.flush_all()
        durations.append(time.perf_counter() - start)
        env.invalidate_all()
    return durations


def main():
    args = bench_arguments(
        __doc__.splitlines()[0],
        "pd_bench_score",
        leads=200_000,
        events=1_000_000,
        live=1_000,
    )

    print(f"# Score benchmark: {args.events:,} events over {args.leads:,} leads")
    registry = open_database(args.db)
    with registry.cursor() as cr:
        env = environment(cr)
        _, build_time, _ = timed(lambda: populate(env, args.leads, args.events))
        cr.commit()
    print(f"dataset built in {build_time:.0f} s")

    rows = []
    with registry.cursor() as cr:
        env = environment(cr)
        floor_rows, floor_time, floor_mem = timed(lambda: sql_floor(env))
        cr.rollback()
        engine = env["prospect.rescore.engine"]
        written, first_time, first_mem = timed(engine._run)
        cr.commit()
        rows.append(("first night with the events", first_time, written, first_mem))
        tomorrow = fields.Datetime.now() + timedelta(days=1)
        night = engine.with_context(prospect_now=tomorrow)
        written, next_time, next_mem = timed(night._run)
        cr.commit()
        rows.append(("next night (one day of decay)", next_time, written, next_mem))
        written, idle_time, idle_mem = timed(night._run)
        cr.commit()
        rows.append(("nothing changed", idle_time, written, idle_mem))
        durations = live_events(env, args.live)
        cr.rollback()
        cr.execute(
            "SELECT COUNT(*), AVG(engagement_score)::numeric(5,1),"
            " COUNT(*) FILTER (WHERE engagement_score >= 60)"
            " FROM crm_lead WHERE name LIKE 'Bench lead %%'"
        )
        leads, average, ready = cr.fetchone()

    print_runs(
        rows, "decayed sum + UPDATE", floor_time, floor_rows, floor_mem=floor_mem
    )
    durations.sort()
    median = statistics.median(durations) * 1000
    p99 = durations[int(len(durations) * 0.99) - 1] * 1000
    print()
    print(
        f"live recomputation of one lead's score on a new event ({len(durations):,}"
        f" events): median {median:.1f} ms, p99 {p99:.1f} ms"
    )
    print(f"{leads:,} leads, average score {average}, {ready:,} at 60 or more")
    if not args.keep:
        drop_database(args.db)


if __name__ == "__main__":
    main()
