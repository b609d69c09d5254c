"""Benchmark of the direct-mail sequences (``_action_send_due`` of
``prospect.sequence.enrollment``, called by the sequence cron).

Builds, by SQL, leads enrolled in the shipped *Direct Mail* sequence whose first
mailing is due (default 10,000, over 20 salespeople; most with a contact in English
or Chinese, a tenth without contact, mailed at the lead's address), and beside them
a sample of fresh leads of the same shape for the baseline. The baseline is measured
first, before the run touches anything: Odoo's own way, ``mail.template.send_mail(
res_id, force_send=False)`` called lead by lead (the mail queued, its message on the
lead's thread), in the same context and committed every batch as the run is, in a
forked process of its own (so its memory does not hide the run's), and
extrapolated. Then the sending run (a feedback card, a message on the lead's thread
and a mail in the outgoing queue per lead) with its time and peak extra memory, and
a second run (nothing due). The figures are checked against the database: cards,
queued mails, no step twice, the Chinese readers mailed in Chinese.

Usage (Odoo 18 importable by python3 or $ODOO_PYTHON; PostgreSQL running):
    python3 bench/bench_sequence.py [--leads 10000] [--sample 1000] [--keep]
"""

import json
import os
import sys
import traceback

from benchlib import (
    build_dataset,
    drop_database,
    environment,
    open_database,
    parse_arguments,
    timed,
)

import odoo
from odoo.tools import SQL

BASELINE_PREFIX = "Baseline"


def populate(env, leads):
    env["res.lang"]._activate_lang("zh_CN")
    # the add-on's Chinese templates only: all of Odoo's terms would raise the
    # memory peak of this process above the one the run is measured against
    env["ir.module.module"]._load_module_terms(["prospect_development"], ["zh_CN"])
    users = env["res.users"].create(
        [
            {
                "name": f"Sequence Seller {i}",
                "login": f"sequence{i}",
                "email": f"seller{i}@bench-company.example",
            }
            for i in range(20)
        ]
    )
    sequence = env.ref("prospect_development.prospect_sequence_direct_mail")
    first_step = sequence._get_first_step()
    insert_leads(env, leads, "Suspect", "Prospect", "prospect", users)
    # every lead enrolled an hour ago: the first mailing is due
    env.cr.execute(
        SQL(
            """
        INSERT INTO prospect_sequence_enrollment (
            lead_id, sequence_id, company_id, user_id, team_id, state, paused,
            next_step_id, next_date, create_uid, create_date, write_uid, write_date)
        SELECT lead.id, %(sequence)s, lead.company_id, lead.user_id, lead.team_id,
               'running', FALSE, %(step)s,
               NOW() AT TIME ZONE 'UTC' - interval '1 hour',
               %(uid)s, NOW() AT TIME ZONE 'UTC', %(uid)s, NOW() AT TIME ZONE 'UTC'
          FROM crm_lead lead
         WHERE lead.name LIKE %(pattern)s
        """,
            pattern="Suspect %",
            sequence=sequence.id,
            step=first_step.id,
            uid=env.uid,
        )
    )
    env.cr.execute("ANALYZE")


def populate_baseline(env, sample):
    """``sample`` fresh leads of the same shape as ``populate``'s (same salespeople,
    contacts and languages in the same proportions), for the baseline: not
    enrolled, the run never sees them."""
    users = env["res.users"].search([("login", "=like", "sequence%")], order="id")
    insert_leads(env, sample, BASELINE_PREFIX, "Baseline prospect", "baseline", users)
    env.cr.execute("ANALYZE")


def insert_leads(env, leads, name, partner_name, domain, users):
    """``leads`` open leads named ``name i``, over ``users``: nine in ten with a
    contact (one in four of them reading Chinese), the tenth mailed at its own
    address."""
    stage = env["crm.stage"].search([("is_won", "=", False)], limit=1)
    team = env["crm.team"].search([], limit=1)
    langs = env["res.lang"].search([("code", "in", ("en_US", "zh_CN"))])
    lang_ids = {lang.code: lang.id for lang in langs}
    env.flush_all()
    cr = env.cr
    # a contact for nine leads in ten, one in four of them reading Chinese
    cr.execute(
        SQL(
            """
        INSERT INTO res_partner (name, complete_name, is_company, active, type,
                                 email, email_normalized, lang, partner_share,
                                 create_date, write_date)
        SELECT %(partner)s || ' ' || i, %(partner)s || ' ' || i, TRUE, TRUE,
               'contact',
               'buyer' || i || '@' || %(domain)s || i || '.example',
               'buyer' || i || '@' || %(domain)s || i || '.example',
               CASE WHEN mod(i, 4) = 0 THEN 'zh_CN' ELSE 'en_US' END, TRUE,
               NOW(), NOW()
          FROM generate_series(1, %(leads)s) i
         WHERE mod(i, 10) != 0
        """,
            partner=partner_name,
            domain=domain,
            leads=leads,
        )
    )
    cr.execute(
        "UPDATE res_partner SET commercial_partner_id = id"
        " WHERE commercial_partner_id IS NULL"
    )
    cr.execute(
        SQL(
            """
        INSERT INTO crm_lead (name, type, active, company_id, user_id, team_id,
                              stage_id, partner_id, contact_name, email_from,
                              email_normalized, lang_id, pyramid_tier, need_status,
                              create_date, write_date)
        SELECT %(name)s || ' ' || i, 'lead', TRUE, %(company)s,
               (%(users)s::int[])[1 + mod(i, 20)], %(team)s, %(stage)s, partner.id,
               'Buyer ' || i,
               'buyer' || i || '@' || %(domain)s || i || '.example',
               'buyer' || i || '@' || %(domain)s || i || '.example',
               CASE WHEN mod(i, 4) = 0 THEN %(zh)s ELSE %(en)s END,
               'suspect', 'potential', NOW(), NOW()
          FROM generate_series(1, %(leads)s) i
          LEFT JOIN res_partner partner ON partner.name = %(partner)s || ' ' || i
        """,
            name=name,
            partner=partner_name,
            domain=domain,
            company=env.company.id,
            users=users.ids,
            team=team.id,
            stage=stage.id,
            zh=lang_ids["zh_CN"],
            en=lang_ids["en_US"],
            leads=leads,
        )
    )


def per_lead(env, template, batch_size):
    """Odoo's way: one ``send_mail`` per lead, queued (the mail and its message on
    the lead's thread; no card), committed every ``batch_size`` leads as the
    run commits its batches."""
    leads = env["crm.lead"].search([("name", "=like", f"{BASELINE_PREFIX} %")])
    for start in range(0, len(leads), batch_size):
        for lead in leads[start : start + batch_size]:
            template.send_mail(lead.id, force_send=False)
        env.flush_all()
        env.cr.commit()
        env.invalidate_all()
    return len(leads)


def in_child(function):
    """``function()`` in a forked process, so that what it keeps in memory does not
    raise the peak measured afterwards here; returns its JSON result."""
    odoo.sql_db.close_all()  # the child opens its own connections
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        code = 0
        try:
            with os.fdopen(write_end, "w") as output:
                json.dump(function(), output)
        except Exception:  # noqa: BLE001 - reported, then the parent fails
            traceback.print_exc()
            code = 1
        finally:
            sys.stdout.flush()
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end) as output:
        result = output.read()
    _, status = os.waitpid(pid, 0)
    assert status == 0 and result, "the baseline failed"
    return json.loads(result)


def check(env, sequence):
    """What the runs really left in the database."""
    cr = env.cr
    first, second = sequence.step_ids.sorted()[:2]
    cr.execute(
        SQL(
            """
        SELECT COUNT(*),
               COUNT(mail.id) FILTER (WHERE mail.state = 'outgoing'),
               COUNT(mail.id) FILTER (WHERE mail.email_to IS NOT NULL),
               COUNT(DISTINCT card.lead_id)
          FROM prospect_feedback_card card
          LEFT JOIN mail_mail mail ON mail.mail_message_id = card.mail_message_id
         WHERE card.step_id = %(step)s
        """,
            step=first.id,
        )
    )
    cards, queued, to_address, leads = cr.fetchone()
    cr.execute(
        """
        SELECT COUNT(*) FROM (
            SELECT enrollment_id, step_id FROM prospect_feedback_card
             GROUP BY 1, 2 HAVING COUNT(*) > 1) twice
        """
    )
    (twice,) = cr.fetchone()
    cr.execute(
        SQL(
            """
        SELECT COUNT(*) FROM (
            SELECT message.res_id FROM mail_message message
              JOIN mail_mail mail ON mail.mail_message_id = message.id
             WHERE message.model = 'crm.lead'
             GROUP BY 1 HAVING COUNT(*) > 1) twice
        """
        )
    )
    (leads_mailed_twice,) = cr.fetchone()
    cr.execute(
        SQL(
            """
        SELECT COUNT(*) FILTER (WHERE next_step_id = %(second)s
                                  AND next_date > NOW() AT TIME ZONE 'UTC'),
               COUNT(*)
          FROM prospect_sequence_enrollment WHERE state = 'running'
        """,
            second=second.id,
        )
    )
    moved_on, running = cr.fetchone()
    # rendered in the prospect's language: the subject of the Chinese ones is
    cr.execute(
        """
        SELECT COUNT(*) FILTER (WHERE message.subject ~ '[\u4e00-\u9fff]'),
               COUNT(*) FILTER (WHERE COALESCE(partner.lang, lang.code) = 'zh_CN')
          FROM prospect_feedback_card card
          JOIN mail_message message ON message.id = card.mail_message_id
          JOIN crm_lead lead ON lead.id = card.lead_id
          LEFT JOIN res_partner partner ON partner.id = lead.partner_id
          LEFT JOIN res_lang lang ON lang.id = lead.lang_id
        """
    )
    in_chinese, chinese_readers = cr.fetchone()
    return {
        "cards": cards,
        "queued": queued,
        "to_address": to_address,
        "leads": leads,
        "twice": twice,
        "leads_mailed_twice": leads_mailed_twice,
        "moved_on": moved_on,
        "running": running,
        "in_chinese": in_chinese,
        "chinese_readers": chinese_readers,
    }


def report_pivot(env):
    """What the Sequence Effect pivot asks for: every measure by sequence and step."""
    measures = ["sent", "feedback", "questions", "call_agreed", "proposal_asked"]
    measures += ["bounced", "replied", "stopped", "feedback_rate"]
    return env["prospect.sequence.report"].read_group(
        [], measures, ["sequence_id", "step_id"], lazy=False
    )


def main():
    args = parse_arguments(__doc__.splitlines()[0], 10_000, 1_000, "pd_bench_sequence")

    print(f"# Sequence benchmark: {args.leads:,} enrolments due")
    registry = open_database(args.db)
    build_dataset(registry, populate, args.leads)
    build_dataset(registry, populate_baseline, args.sample)

    with registry.cursor() as cr:
        env = environment(cr)
        batch_size = env["prospect.sequence.engine"]._batch_size
        sequence = env.ref("prospect_development.prospect_sequence_direct_mail")
        template_id = sequence._get_first_step().template_id.id

    def baseline():
        with registry.cursor() as cr:
            env = environment(cr)
            template = env["mail.template"].browse(template_id)
            return timed(lambda: per_lead(env, template, batch_size))

    # first, on fresh leads: nothing of the run is in the database or the caches
    sample, loop_time, loop_mem = in_child(baseline)

    with registry.cursor() as cr:
        env = environment(cr)
        Enrollment = env["prospect.sequence.enrollment"]
        sequence = env.ref("prospect_development.prospect_sequence_direct_mail")
        sent, first_time, first_mem = timed(Enrollment._action_send_due)
        cr.commit()
        again, again_time, again_mem = timed(Enrollment._action_send_due)
        cr.commit()
        figures = check(env, sequence)
        _, report_time, _ = timed(lambda: report_pivot(env))

    assert sample == args.sample, (sample, args.sample)
    assert sent == args.leads and again == 0, (sent, again)
    assert figures["cards"] == figures["queued"] == figures["leads"] == args.leads, (
        figures
    )
    assert figures["twice"] == figures["leads_mailed_twice"] == 0, figures
    assert figures["moved_on"] == figures["running"] == args.leads, figures
    assert figures["in_chinese"] == figures["chinese_readers"] > 0, figures

    loop_full = loop_time * args.leads / sample
    print()
    print(
        "| run | time (s) | mailings queued | ms a mailing | peak extra RSS (MB)"
        " | speed-up vs per-lead |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    print(
        f"| sequence run (card + message on the thread + queued mail per lead,"
        f" batches of {batch_size}) | {first_time:.1f} | {sent:,} |"
        f" {first_time * 1000 / sent:.2f} | {first_mem:.0f} |"
        f" {loop_full / first_time:.2f}x |"
    )
    print(
        f"| second run (nothing due) | {again_time:.2f} | {again:,} | - |"
        f" {again_mem:.0f} | - |"
    )
    print(
        f"| baseline: send_mail per lead, {sample:,} fresh leads measured first |"
        f" {loop_time:.1f} | {sample:,} | {loop_time * 1000 / sample:.2f} |"
        f" {loop_mem:.0f} | - |"
    )
    print(
        f"| baseline: send_mail per lead, extrapolated to {args.leads:,} |"
        f" {loop_full:.0f} | - | - | - | 1.00x |"
    )
    print()
    print(
        f"checked: {figures['cards']:,} cards, {figures['queued']:,} mails in the"
        f" outgoing queue ({figures['to_address']:,} to a lead's address without"
        f" contact), {figures['leads']:,} leads mailed once, steps sent twice:"
        f" {figures['twice']}, enrolments waiting for step 2: {figures['moved_on']:,},"
        f" mailings in Chinese: {figures['in_chinese']:,}"
        f" (to the {figures['chinese_readers']:,} Chinese readers)"
    )
    print(f"Sequence Effect pivot, every measure by step: {report_time:.2f} s")
    if not args.keep:
        drop_database(args.db)


if __name__ == "__main__":
    main()
