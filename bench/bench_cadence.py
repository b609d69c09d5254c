"""Benchmark of the daily contact cadence (``crm.lead._cron_prospect_cadence``).

Fair by construction: each side plans its own fresh set of due leads of the same
shape (open leads with a customer, grades A to D, next contact come, over 20 new
salespeople, a quarter of them reading Chinese, who follow none of the leads yet),
with the same context (no "assigned to you" mail), the same batches and the same
commit after each batch. Odoo's own way, ``activity_schedule`` lead by lead, is
measured FIRST, on a sample, before the cadence run has touched anything; then the
cadence run plans its set (default 100,000 leads), then runs again (nothing to do).
Then the same run on a smaller fresh set inside one transaction (as under tests)
and its one commit, to compare the cost of an activity with and without the batch
commits (a test that stops the clock before the commit misses what the ORM defers
to the flush: with ``mail.activity.create``, the document name of each activity,
read lead by lead). Last, two workers plan one more fresh set at the same time:
each lead must end with one open cadence activity, and neither worker fail.

Usage (Odoo 18 importable by python3 or $ODOO_PYTHON; PostgreSQL running):
    python3 bench/bench_cadence.py [--leads 100000] [--sample 5000]
                                   [--transaction 10000] [--keep]
"""

import sys
import threading
import time

from benchlib import (
    build_dataset,
    drop_database,
    environment,
    open_database,
    parse_arguments,
    timed,
)

from odoo.tools import SQL

SELLERS = 20


def populate(env, leads):
    """``leads`` due leads over 20 salespeople (cadence0..19), no customer: the
    cadence stage of robustness/faults.py."""
    users = env["res.users"].create(
        [
            {"name": f"Cadence Seller {i}", "login": f"cadence{i}"}
            for i in range(SELLERS)
        ]
    )
    _insert_leads(env, users, leads, "Due lead", customers=False)


def populate_set(env, leads, label):
    """A fresh set of ``leads`` due leads, each with its own customer, over 20 new
    salespeople (every fourth reads Chinese) who follow none of them; returns the
    ids of the leads."""
    env["res.lang"]._activate_lang("zh_CN")
    users = env["res.users"].create(
        [
            {
                "name": f"{label} Seller {i}",
                "login": f"{label.lower()}{i}",
                "lang": "zh_CN" if i % 4 == 0 else "en_US",
            }
            for i in range(SELLERS)
        ]
    )
    return _insert_leads(env, users, leads, f"{label} lead", customers=True)


def _insert_leads(env, users, leads, name, customers):
    stage = env["crm.stage"].search([("is_won", "=", False)], limit=1)
    env.flush_all()
    customer_ids = []
    if customers:
        env.cr.execute(
            SQL(
                """
            INSERT INTO res_partner (name, is_company, active, type, partner_share,
                                     create_date, write_date)
            SELECT %(name)s || ' customer ' || i, TRUE, TRUE, 'contact', TRUE,
                   NOW(), NOW()
              FROM generate_series(1, %(leads)s) i
         RETURNING id
            """,
                name=name,
                leads=leads,
            )
        )
        customer_ids = sorted(row[0] for row in env.cr.fetchall())
        env.cr.execute(
            SQL(
                "UPDATE res_partner SET commercial_partner_id = id WHERE id = ANY(%s)",
                customer_ids,
            )
        )
    env.cr.execute(
        SQL(
            """
        INSERT INTO crm_lead (name, type, active, company_id, user_id, stage_id,
                              partner_id, need_status, prospect_grade, pyramid_tier,
                              last_contact_date, next_contact_date, contact_urgency,
                              create_date, write_date)
        SELECT %(name)s || ' ' || i, 'opportunity', TRUE, %(company)s,
               (%(users)s::int[])[1 + mod(i, %(sellers)s)], %(stage)s,
               (%(customers)s::int[])[i], 'clear',
               (ARRAY['a', 'b', 'c', 'd'])[1 + mod(i, 4)], 'prospect',
               CURRENT_DATE - 100, CURRENT_DATE - mod(i, 10), 'urgent', NOW(), NOW()
          FROM generate_series(1, %(leads)s) i
     RETURNING id
        """,
            name=name,
            company=env.company.id,
            users=users.ids,
            sellers=SELLERS,
            stage=stage.id,
            customers=customer_ids,
            leads=leads,
        )
    )
    lead_ids = sorted(row[0] for row in env.cr.fetchall())
    env.cr.execute("ANALYZE crm_lead")
    env.cr.execute("ANALYZE res_partner")
    return lead_ids


def per_lead(env, lead_ids):
    """Odoo's way, the same job: ``activity_schedule`` lead by lead (no "assigned
    to you" mail either), each summary worded in its salesperson's language, in
    the run's batches with the run's commit after each; returns (activities,
    seconds). The leads are found outside the time measured."""
    from odoo.addons.prospect_development.models.prospect_cadence_engine import (
        DEFAULT_ACTIVITY,
    )

    engine = env["prospect.cadence.engine"]
    today = engine._today()
    matrix = env["prospect.cadence.rule"]._get_matrix()
    default_types = {
        grade: env.ref(xmlid).id for grade, xmlid in DEFAULT_ACTIVITY.items()
    }
    wanted = set(lead_ids)
    rows = [row for row in engine._due_leads(today) if row["id"] in wanted]
    leads = env["crm.lead"].with_context(mail_activity_quick_update=True)

    def schedule():
        for batch in engine._split(rows):
            for row in batch:
                lead = leads.browse(row["id"])
                grade = row["prospect_grade"] or "d"
                interval, type_id = matrix.get(
                    (row["pyramid_tier"], grade, row["is_key"], row["is_potential"]),
                    (None, False),
                )
                days = row["last_contact_date"] and (
                    (today - row["last_contact_date"]).days
                )
                lead.activity_schedule(
                    activity_type_id=type_id or default_types[grade],
                    date_deadline=row["next_contact_date"],
                    summary=engine.with_context(lang=lead.user_id.lang)._get_summary(
                        grade, interval, days
                    ),
                    user_id=row["user_id"],
                    automated=False,
                    prospect_cadence=True,
                )
            engine._commit()
        return len(rows)

    return timed(schedule)


def two_workers(registry, leads):
    """Two workers plan the same fresh set of due leads at once, as two cron
    servers would: A inserts first and holds its transaction 2 s; B finds the same
    leads, waits at the unique index, then skips them. Returns (created by A,
    created by B, seconds B waited and worked, open cadence activities, leads
    having one)."""
    with registry.cursor() as cr:
        lead_ids = populate_set(environment(cr), leads, "Twin")
        cr.commit()
    found, created, seconds = threading.Barrier(2), {}, {}

    def worker(name):
        with registry.cursor() as cr:
            engine = environment(cr)["prospect.cadence.engine"]
            engine._begin_transaction(fresh=True)  # as _run() after its first commit
            batches = engine._prepare()
            found.wait()
            if name == "B":
                time.sleep(0.5)  # A inserts first
            start = time.perf_counter()
            created[name] = sum(engine._process_batch(batch) for batch in batches)
            if name == "A":
                time.sleep(2)
            cr.commit()
            seconds[name] = time.perf_counter() - start

    threads = [threading.Thread(target=worker, args=(name,)) for name in "AB"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with registry.cursor() as cr:
        cr.execute(
            SQL(
                """
            SELECT COUNT(*), COUNT(DISTINCT res_id) FROM mail_activity
             WHERE prospect_cadence AND active AND res_model = 'crm.lead'
               AND res_id = ANY(%s)
            """,
                lead_ids,
            )
        )
        activities, planned = cr.fetchone()
    return created.get("A"), created.get("B"), seconds.get("B"), activities, planned


def count_planned(env, lead_ids):
    env.cr.execute(
        SQL(
            """
        SELECT COUNT(*), COUNT(DISTINCT res_id),
               (SELECT COUNT(*) FROM mail_followers follower
                  JOIN res_users assignee ON assignee.partner_id = follower.partner_id
                  JOIN crm_lead lead ON lead.id = follower.res_id
                 WHERE follower.res_model = 'crm.lead'
                   AND lead.id = ANY(%(leads)s) AND assignee.id = lead.user_id)
          FROM mail_activity
         WHERE prospect_cadence AND res_model = 'crm.lead' AND res_id = ANY(%(leads)s)
        """,
            leads=lead_ids,
        )
    )
    return env.cr.fetchone()


def main():
    transaction = 10_000
    if "--transaction" in sys.argv:  # not an option every benchmark takes
        at = sys.argv.index("--transaction")
        transaction = int(sys.argv[at + 1])
        del sys.argv[at : at + 2]
    args = parse_arguments(__doc__.splitlines()[0], 100_000, 5_000, "pd_bench_cadence")

    print(
        f"# Cadence benchmark: {args.leads:,} due leads"
        f" (baseline on {args.sample:,} others)"
    )
    registry = open_database(args.db)
    sets = {}

    def build(env, baseline, run):
        sets["baseline"] = populate_set(env, baseline, "Baseline")
        sets["run"] = populate_set(env, run, "Run")

    build_dataset(registry, build, args.sample, args.leads)

    with registry.cursor() as cr:
        env = environment(cr)
        engine = env["prospect.cadence.engine"]
        # Odoo's way first, before the cadence run touches anything
        (baseline, baseline_time, baseline_mem) = per_lead(env, sets["baseline"])
        cr.commit()
        created, run_time, run_mem = timed(engine._run)
        cr.commit()
        again, again_time, again_mem = timed(engine._run)
        cr.commit()
        planned = count_planned(env, sets["run"])
        baseline_planned = count_planned(env, sets["baseline"])
        cr.commit()
        one = []
        if transaction:
            sets["transaction"] = populate_set(env, transaction, "Transaction")
            cr.commit()
            # with its commit: the ORM flushes (and recomputes) what it deferred
            one = timed(lambda: (engine._run(auto_commit=False), cr.commit())[0])

    twins = two_workers(registry, 2_000)
    per_activity = run_time / created * 1000 if created else 0
    baseline_per = baseline_time / baseline * 1000
    baseline_full = baseline_per * args.leads / 1000
    print()
    print(
        "| run | time (s) | activities | ms per activity | peak extra RSS (MB) |"
        " vs per-lead |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    print(
        f"| cadence run (batches of {engine._batch_size:,}, commit after each) |"
        f" {run_time:.1f} | {created:,} | {per_activity:.3f} | {run_mem:.0f} |"
        f" {per_activity / baseline_per:.3f}x ({baseline_per / per_activity:.1f}"
        " times faster) |"
    )
    print(
        f"| second run (nothing left to plan) | {again_time:.1f} | {again:,} | - |"
        f" {again_mem:.0f} | - |"
    )
    if one:
        count, seconds, memory = one
        print(
            f"| cadence run on {transaction:,} other leads in one transaction"
            " (and its commit) |"
            f" {seconds:.1f} | {count:,} | {seconds / count * 1000:.3f} |"
            f" {memory:.0f} | - |"
        )
    print(
        f"| baseline: activity_schedule lead by lead, {baseline:,} measured"
        f" (same batches and commits) | {baseline_time:.1f} | {baseline:,} |"
        f" {baseline_per:.3f} | {baseline_mem:.0f} | 1.00x |"
    )
    print(
        f"| baseline extrapolated to {args.leads:,} | {baseline_full:.0f} | - |"
        f" {baseline_per:.3f} | - | - |"
    )
    print()
    print(
        "run's set: {:,} cadence activities on {:,} leads, {:,} leads followed by"
        " their salesperson".format(*planned)
    )
    print(
        "baseline's set: {:,} cadence activities on {:,} leads, {:,} leads followed"
        " by their salesperson".format(*baseline_planned)
    )
    print(
        "two workers at once on 2,000 fresh due leads: A planned {}, B planned {}"
        " (waited at the unique index, then skipped them: {:.1f} s);"
        " {:,} open cadence activities on {:,} leads".format(*twins)
    )
    if not args.keep:
        drop_database(args.db)


if __name__ == "__main__":
    main()
