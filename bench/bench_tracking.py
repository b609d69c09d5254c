"""Benchmark of the open pixel of sequence mails (``/prospect/track/.../blank.gif``).

Builds, by SQL, sequence mailings already delivered (default 10,000 leads enrolled in
the shipped *Direct Mail* sequence, each with the message of its first mailing on its
thread and its feedback card, delivered an hour ago), plus a few mailings queued by
the sequence run itself (their pixel address is read from the queued mail); starts
an Odoo server (``python3 -m odoo``, threaded: ``--workers 0``) on the benchmark
database; then fires from a local load generator (threads, each with an HTTP/1.1
``http.client`` connection, opened again whenever the server closes it: Odoo's
werkzeug server closes every connection) the open requests, one per mailing, and
prints the
median and p99 latency beside baselines measured in the same run on the same server:

- link_tracker's ``/r/<code>``: Odoo's own counterpart of a tracked request (public
  route, one lookup of the code, one click inserted, the click count recomputed, a
  redirect), spread over 100 links;
- ``/web/health`` (no database): the floor of the HTTP stack itself;
- the same opens replayed (within the window: one lookup, nothing written).

It then fires the same new open from 16 threads at once and checks that one event
was recorded, and checks the database: one event per opened mailing, every lead
scored.

Usage (Odoo 18 importable by python3 or $ODOO_PYTHON; PostgreSQL running):
    python3 bench/bench_tracking.py [--opens 10000] [--threads 4] [--keep]
"""

import argparse
import http.client
import re
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time

from benchlib import (
    addons_path,
    build_dataset,
    drop_database,
    environment,
    open_database,
)

from odoo.tools import SQL

BROWSER = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like "
    "Gecko) Chrome/131.0.0.0 Safari/537.36"
)
HEADERS = {"User-Agent": BROWSER, "Accept": "image/avif,image/webp,*/*"}
PIXEL_PATH = re.compile(r"/prospect/track/[A-Za-z0-9_-]+/blank\.gif")
CONCURRENT = 16
WARM_UP = 200


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opens", type=int, default=10_000, help="measured opens")
    parser.add_argument("--threads", type=int, default=2, help="load generator")
    parser.add_argument(
        "--baseline", type=int, default=2_000, help="requests of each baseline"
    )
    parser.add_argument("--workers", type=int, default=0, help="of the Odoo server")
    parser.add_argument("--queued", type=int, default=20, help="sent by the run")
    parser.add_argument("--db", default="pd_bench_tracking")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    return parser.parse_args()


def populate(env, mails, queued):
    users = env["res.users"].create(
        [
            {
                "name": f"Tracking Seller {i}",
                "login": f"tracking{i}",
                "email": f"seller{i}@bench-company.example",
            }
            for i in range(20)
        ]
    )
    stage = env["crm.stage"].search([("is_won", "=", False)], limit=1)
    team = env["crm.team"].search([], limit=1)
    sequence = env.ref("prospect_development.prospect_sequence_direct_mail")
    first, second = sequence.step_ids.sorted()[:2]
    env.company.website = "https://www.bench-company.example"
    env.flush_all()
    cr = env.cr
    cr.execute(
        SQL(
            """
        INSERT INTO crm_lead (name, type, active, company_id, user_id, team_id,
                              stage_id, contact_name, email_from, email_normalized,
                              pyramid_tier, need_status, engagement_score,
                              create_date, write_date)
        SELECT 'Reader ' || i, 'lead', TRUE, %(company)s,
               (%(users)s::int[])[1 + mod(i, 20)], %(team)s, %(stage)s,
               'Buyer ' || i, 'buyer' || i || '@reader' || i || '.example',
               'buyer' || i || '@reader' || i || '.example', 'suspect', 'potential',
               0, NOW(), NOW()
          FROM generate_series(1, %(leads)s) i
        """,
            company=env.company.id,
            users=users.ids,
            team=team.id,
            stage=stage.id,
            leads=mails + queued,
        )
    )
    # the mailings sent a day ago: enrolments waiting for step 2, their messages
    cr.execute(
        SQL(
            """
        INSERT INTO prospect_sequence_enrollment (
            lead_id, sequence_id, company_id, user_id, team_id, state, paused,
            next_step_id, next_date, last_sent_date,
            create_uid, create_date, write_uid, write_date)
        SELECT lead.id, %(sequence)s, lead.company_id, lead.user_id, lead.team_id,
               'running', FALSE, %(second)s,
               NOW() AT TIME ZONE 'UTC' + interval '9 days',
               NOW() AT TIME ZONE 'UTC' - interval '1 day',
               %(uid)s, NOW() AT TIME ZONE 'UTC', %(uid)s, NOW() AT TIME ZONE 'UTC'
          FROM crm_lead lead
         WHERE lead.name LIKE %(pattern)s
         ORDER BY lead.id
         LIMIT %(mails)s
        """,
            pattern="Reader %",
            sequence=sequence.id,
            second=second.id,
            uid=env.uid,
            mails=mails,
        )
    )
    cr.execute(
        SQL(
            """
        INSERT INTO mail_message (model, res_id, record_name, message_type, subject,
                                  body, date, author_id, create_date, write_date)
        SELECT 'crm.lead', enrollment.lead_id, 'Reader', 'email_outgoing',
               'What we can do for you', '<p>...</p>',
               NOW() AT TIME ZONE 'UTC' - interval '1 day', %(author)s, NOW(), NOW()
          FROM prospect_sequence_enrollment enrollment
        """,
            author=env.user.partner_id.id,
        )
    )
    tokens = [secrets.token_urlsafe(32) for _ in range(mails)]
    cr.execute(
        SQL(
            """
        INSERT INTO prospect_feedback_card (
            enrollment_id, lead_id, sequence_id, step_id, company_id, user_id,
            team_id, mail_message_id, token, date_sent, date_delivered, date_expire,
            create_uid, create_date, write_uid, write_date)
        SELECT enrollment.id, enrollment.lead_id, enrollment.sequence_id, %(first)s,
               enrollment.company_id, enrollment.user_id, enrollment.team_id,
               message.id, token.token,
               NOW() AT TIME ZONE 'UTC' - interval '1 day',
               NOW() AT TIME ZONE 'UTC' - interval '1 day',
               NOW() AT TIME ZONE 'UTC' + interval '29 days',
               %(uid)s, NOW() AT TIME ZONE 'UTC', %(uid)s, NOW() AT TIME ZONE 'UTC'
          FROM (SELECT *, ROW_NUMBER() OVER (ORDER BY id) AS i
                  FROM prospect_sequence_enrollment) enrollment
          JOIN mail_message message
            ON message.model = 'crm.lead' AND message.res_id = enrollment.lead_id
          JOIN UNNEST(%(tokens)s::varchar[]) WITH ORDINALITY AS token(token, i)
            ON token.i = enrollment.i
        """,
            first=first.id,
            uid=env.uid,
            tokens=tokens,
        )
    )
    # the sequence run queues the last ones itself: pixel and tracked links
    leads = env["crm.lead"].search(
        [("name", "like", "Reader "), ("prospect_enrollment_ids", "=", False)]
    )
    enrollments = env["prospect.sequence.enrollment"].create(
        [{"lead_id": lead.id, "sequence_id": sequence.id} for lead in leads]
    )
    enrollments.write({"next_date": enrollments[0].create_date})
    env["prospect.sequence.enrollment"]._action_send_due()
    # 100 links for link_tracker's own route
    env["link.tracker"].create(
        [
            {"url": f"https://www.bench-company.example/page{i}", "title": f"Page {i}"}
            for i in range(100)
        ]
    )
    env.flush_all()
    cr.execute("ANALYZE")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(db, port, workers):
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "odoo",
            "-d",
            db,
            f"--db-filter=^{db}$",
            f"--addons-path={addons_path()}",
            "--http-interface=127.0.0.1",
            f"--http-port={port}",
            f"--workers={workers}",
            "--max-cron-threads=0",
            "--log-level=warn",
        ],
        stderr=subprocess.DEVNULL,
    )
    for _ in range(600):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/web/health")
            if connection.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("the Odoo server did not start")


def fire(port, paths, threads, expect):
    """Latencies (ms) of GET ``paths``, spread over ``threads`` connections;
    every answer must have the status ``expect``."""
    latencies, errors = [], []

    def worker(chunk):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        for path in chunk:
            start = time.perf_counter()
            connection.request("GET", path, headers=HEADERS)
            response = connection.getresponse()
            response.read()
            mine.append((time.perf_counter() - start) * 1000)
            if response.status != expect:
                errors.append((path, response.status))
            if response.will_close:
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.close()
        latencies.extend(mine)

    workers = [
        threading.Thread(target=worker, args=(paths[i::threads],))
        for i in range(threads)
    ]
    start = time.perf_counter()
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    elapsed = time.perf_counter() - start
    assert not errors, errors[:5]
    return latencies, elapsed


def all_at_once(port, path, count):
    """``count`` threads GET ``path`` at the same moment; their statuses."""
    barrier, statuses = threading.Barrier(count), []

    def worker():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        barrier.wait()
        connection.request("GET", path, headers=HEADERS)
        response = connection.getresponse()
        statuses.append((response.status, response.read()))
        connection.close()

    workers = [threading.Thread(target=worker) for _ in range(count)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    return statuses


def p99(latencies):
    return statistics.quantiles(latencies, n=100)[98]


def main():
    args = parse_arguments()
    print(
        f"# Tracking benchmark: {args.opens:,} opens, {args.threads} client threads,"
        f" Odoo server with --workers={args.workers}"
    )
    registry = open_database(args.db)
    # the measured opens, the warm-up's and the one opened from many threads at once
    build_dataset(registry, populate, args.opens + WARM_UP + 1, args.queued)
    with registry.cursor() as cr:
        env = environment(cr)
        cards = env["prospect.feedback.card"].search([], order="id")
        queued = env["mail.mail"].search([("model", "=", "crm.lead")])
        from_mails = {PIXEL_PATH.search(mail.body_html).group() for mail in queued}
        codes = [link.code for link in env["link.tracker"].search([], order="id")[:100]]
        # what the mail server does when it sends the queued ones, a minute ago
        queued_cards = cards.filtered(
            lambda card: card.mail_message_id in queued.mail_message_id
        )
        env["prospect.feedback.card"]._set_delivered(queued.mail_message_id)
        cr.execute(
            "UPDATE prospect_feedback_card SET date_delivered = date_delivered"
            " - interval '2 minutes' WHERE id = ANY(%s)",
            [queued_cards.ids],
        )
        paths = [card._get_open_url(base_url="") for card in cards - queued_cards]
        queued_paths = [card._get_open_url(base_url="") for card in queued_cards]
        cr.commit()
    assert from_mails == set(queued_paths), "the queued mails carry their pixel"
    warm, concurrent, paths = paths[:WARM_UP], paths[WARM_UP], paths[WARM_UP + 1 :]

    port = free_port()
    server = start_server(args.db, port, args.workers)
    try:
        # warm-up: the server's registry and caches, and its database connections
        fire(port, warm, args.threads, 200)
        fire(port, ["/web/health"] * 200, args.threads, 200)
        fire(port, [f"/r/{code}" for code in codes] * 2, args.threads, 301)
        health, health_time = fire(
            port, ["/web/health"] * args.baseline, args.threads, 200
        )
        links = [f"/r/{codes[i % len(codes)]}" for i in range(args.baseline)]
        clicks, clicks_time = fire(port, links, args.threads, 301)
        opens, opens_time = fire(port, paths, args.threads, 200)
        replays, replays_time = fire(port, paths[: args.baseline], args.threads, 200)
        # the mailings the sequence run queued, by the pixel of their mail
        fire(port, queued_paths, args.threads, 200)
        statuses = all_at_once(port, concurrent, CONCURRENT)
    finally:
        server.terminate()
        server.wait(30)

    with registry.cursor() as cr:
        cr.execute(
            """
            SELECT COUNT(*), COUNT(DISTINCT event.res_id),
                   COUNT(*) FILTER (WHERE card.token = %s)
              FROM prospect_engagement_event event
              JOIN prospect_feedback_card card ON card.id = event.res_id
             WHERE event.event_type = 'mail_open'
            """,
            [concurrent.split("/")[3]],
        )
        events, cards_opened, concurrent_events = cr.fetchone()
        cr.execute("SELECT COUNT(*) FROM crm_lead WHERE engagement_score > 0")
        (scored,) = cr.fetchone()
    opened = len(warm) + 1 + len(paths) + len(queued_paths)
    assert {status for status, _ in statuses} == {200}, statuses
    assert concurrent_events == 1, concurrent_events
    assert events == cards_opened == scored == opened, (events, cards_opened, scored)

    print()
    print("| request | requests | median (ms) | p99 (ms) | per second |")
    print("|---|---:|---:|---:|---:|")
    for name, latencies, elapsed in (
        ("open pixel, first open (lookup, event, score)", opens, opens_time),
        ("open pixel, replayed in the window (lookup only)", replays, replays_time),
        (
            "baseline: link_tracker `/r/<code>` (lookup, click, redirect)",
            clicks,
            clicks_time,
        ),
        ("floor: `/web/health` (no database)", health, health_time),
    ):
        print(
            f"| {name} | {len(latencies):,} | {statistics.median(latencies):.1f} |"
            f" {p99(latencies):.1f} | {len(latencies) / elapsed:.0f} |"
        )
    print()
    print(
        f"checked: {events:,} opens recorded for {cards_opened:,} mailings (one each,"
        f" replays none), {scored:,} leads scored; the same open from {CONCURRENT}"
        f" threads at once: {concurrent_events} event; the {len(queued_paths)}"
        " mailings queued by the sequence run carry their pixel"
    )
    if not args.keep:
        drop_database(args.db)


if __name__ == "__main__":
    main()
