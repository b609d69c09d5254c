from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from unittest.mock import patch

from psycopg2.errors import UniqueViolation

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged, users
from odoo.tools import mute_logger

from .common import SequenceCase


@tagged("post_install", "-at_install")
class TestSequence(SequenceCase):
    def _make_due(self, enrollments):
        enrollments.sudo().write(
            {"next_date": fields.Datetime.now() - timedelta(minutes=1)}
        )

    def _receive(self, lead, email_from, subject="Re: your mailing", headers=None):
        """Process a mail answering the lead's last mailing through the gateway."""
        mailing = lead.message_ids.filtered(
            lambda m: m.message_type == "email_outgoing"
        )[:1]
        message = EmailMessage()
        message["From"] = email_from
        message["To"] = "catchall@test.mycompany.com"
        message["Subject"] = subject
        message["Date"] = format_datetime(fields.Datetime.now().astimezone())
        message["Message-Id"] = make_msgid()
        message["In-Reply-To"] = mailing.message_id
        message["References"] = mailing.message_id
        for name, value in (headers or {}).items():
            message[name] = value
        message.set_content("Thank you, tell me more about your prices.")
        self.env["mail.thread"].sudo().message_process(None, message.as_string())

    # ------------------------------------------------------------
    # SENDING
    # ------------------------------------------------------------

    def test_first_step_queued_on_lead_thread(self):
        lead = self._lead()
        enrollment = self._enrol(lead)
        self.assertEqual(enrollment.next_step_id, self.step_intro)

        sent = self.Enrollment._cron_prospect_sequence()

        self.assertEqual(sent, 1)
        mail = self._queued(lead)
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.state, "outgoing", "queued, not sent inline")
        self.assertEqual(mail.recipient_ids, self.prospect)
        card = enrollment.card_ids
        self.assertEqual(card.step_id, self.step_intro)
        self.assertIn(f"/prospect/feedback/{card.sudo().token}", mail.body_html)
        self.assertEqual(card.mail_message_id, mail.mail_message_id)
        self.assertIn(
            mail.mail_message_id, lead.message_ids, "the mailing is in the chatter"
        )
        self.assertEqual(mail.author_id, self.user_sales_salesman.partner_id)
        self.assertEqual(enrollment.next_step_id, self.step_news)
        self.assertAlmostEqual(
            enrollment.next_date,
            fields.Datetime.now() + timedelta(days=10),
            delta=timedelta(minutes=1),
        )
        # a second run has nothing due: nothing is sent twice
        self.assertEqual(self.Enrollment._cron_prospect_sequence(), 0)
        self.assertEqual(len(self._queued(lead)), 1)

    def test_lead_without_partner_mailed_at_its_address(self):
        lead = self._open_lead(
            "Web form lead",
            email_from="Wang Fang <wang.fang@jade-tools.example.com>",
            contact_name="Wang Fang",
            user_id=self.user_sales_salesman.id,
        )
        partners_before = self.env["res.partner"].search_count([])
        self._enrol(lead)
        self.Enrollment._action_send_due()
        mail = self._queued(lead)
        self.assertEqual(len(mail), 1)
        self.assertIn("wang.fang@jade-tools.example.com", mail.email_to)
        self.assertFalse(mail.recipient_ids)
        self.assertEqual(
            self.env["res.partner"].search_count([]),
            partners_before,
            "no contact is created for a suspect",
        )

    def test_steps_in_order_then_done_with_call_activity(self):
        lead = self._lead()
        enrollment = self._enrol(lead)
        self.Enrollment._action_send_due()
        self._make_due(enrollment)
        self.Enrollment._action_send_due()

        self.assertEqual(enrollment.state, "done")
        self.assertFalse(enrollment.next_date)
        self.assertEqual(enrollment.card_ids.step_id, self.step_intro | self.step_news)
        self.assertEqual(len(self._queued(lead)), 2)
        call = lead.activity_ids.filtered(
            lambda a: a.activity_type_id == self.call_type
        )
        self.assertEqual(call.user_id, self.user_sales_salesman)
        self.assertEqual(call.summary, "Ask for their opinion")
        self.assertEqual(call.date_deadline, self.today + timedelta(days=3))

    def test_interrupted_run_sends_no_step_twice(self):
        """A run killed in its second batch: the first batch stays queued (it was
        committed), the second is rolled back; the next run completes the job."""
        leads = self.env["crm.lead"]
        for index in range(5):
            leads |= self._lead(f"Lead {index}")
        enrollments = self._enrol(leads)
        Enrollment = type(self.Enrollment)
        send = Enrollment._send_next_step
        batches = []

        def commit_point(model):
            # stands for the commit between batches: what came before survives
            self.env.cr.execute("RELEASE SAVEPOINT prospect_batch")
            self.env.cr.execute("SAVEPOINT prospect_batch")

        def killed_in_second_batch(records):
            batches.append(records.ids)
            result = send(records)
            if len(batches) == 2:
                raise KeyboardInterrupt("worker killed")
            return result

        self.env.flush_all()
        self.env.cr.execute("SAVEPOINT prospect_batch")
        killed = False
        with (
            patch.object(
                type(self.env["prospect.sequence.engine"]), "_commit", commit_point
            ),
            patch.object(Enrollment, "_send_next_step", killed_in_second_batch),
        ):
            try:
                self.env["prospect.sequence.engine"].with_context(
                    prospect_send_only=True
                )._run(batch_size=2, auto_commit=True)
            except KeyboardInterrupt:
                killed = True
        self.assertTrue(killed)
        # what the killed worker had in memory or pending is gone with it
        self.env.cr.execute("ROLLBACK TO SAVEPOINT prospect_batch")
        self.env.cr.clear()
        self.env.transaction.clear()
        self.assertEqual(
            len(self._queued(leads)), 2, "only the committed batch is queued"
        )

        self.Enrollment._action_send_due(batch_size=2)

        self.assertEqual(len(self._queued(leads)), 5)
        for lead in leads:
            self.assertEqual(len(self._queued(lead)), 1, "one mailing per lead")
        self.assertEqual(len(enrollments.card_ids), 5)
        self.assertEqual(set(enrollments.mapped("next_step_id")), {self.step_news})

    def test_step_sent_once_even_when_forced(self):
        lead = self._lead()
        enrollment = self._enrol(lead)
        self.Enrollment._action_send_due()
        # a stale worker that still believes step 1 is due
        enrollment.sudo().write({"next_step_id": self.step_intro.id})
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(UniqueViolation),
            self.env.cr.savepoint(),
        ):
            enrollment._send_next_step()
        self.assertEqual(len(self._queued(lead)), 1)

    def test_paused_enrolment_waits(self):
        lead = self._lead()
        enrollment = self._enrol(lead)
        enrollment.with_user(self.user_sales_salesman).action_pause()
        self.assertEqual(self.Enrollment._action_send_due(), 0)
        self.assertFalse(self._queued(lead))
        enrollment.with_user(self.user_sales_salesman).action_resume()
        self.assertEqual(self.Enrollment._action_send_due(), 1)
        self.assertEqual(len(self._queued(lead)), 1)

    # ------------------------------------------------------------
    # STOPS
    # ------------------------------------------------------------

    def test_reply_of_prospect_stops(self):
        lead = self._lead()
        enrollment = self._enrol(lead)
        self.Enrollment._action_send_due()
        self._receive(lead, '"Li Na" <li.na@lotus-trading.example.com>')
        self.assertEqual(enrollment.state, "stopped")
        self.assertEqual(enrollment.stop_reason, "reply")
        self.assertTrue(enrollment.card_ids.date_replied)
        self._make_due(enrollment)
        self.assertEqual(self.Enrollment._action_send_due(), 0)
        self.assertEqual(len(self._queued(lead)), 1)

    def test_reply_of_a_colleague_stops(self):
        lead = self._lead()
        enrollment = self._enrol(lead)
        self.Enrollment._action_send_due()
        self._receive(lead, "Chen Jie <chen.jie@lotus-trading.example.com>")
        self.assertEqual(enrollment.stop_reason, "reply")

    def test_out_of_office_does_not_stop(self):
        lead = self._lead()
        enrollment = self._enrol(lead)
        self.Enrollment._action_send_due()
        messages_before = len(lead.message_ids)
        self._receive(
            lead,
            "li.na@lotus-trading.example.com",
            subject="Automatic reply: your mailing",
            headers={"Auto-Submitted": "auto-replied"},
        )
        self._receive(
            lead, "li.na@lotus-trading.example.com", subject="自动回复: 我正在休假"
        )
        self.assertEqual(len(lead.message_ids), messages_before + 2, "both are posted")
        self.assertEqual(enrollment.state, "running")
        self.assertFalse(enrollment.card_ids.date_replied)

    def test_stranger_on_public_domain_does_not_stop(self):
        lead = self._open_lead(
            "Gmail lead",
            email_from="zhao.lei@gmail.com",
            user_id=self.user_sales_salesman.id,
        )
        enrollment = self._enrol(lead)
        self.Enrollment._action_send_due()
        self._receive(lead, "someone.else@gmail.com")
        self.assertEqual(enrollment.state, "running")

    def test_blacklisted_address_stops_without_mail(self):
        lead = self._lead()
        enrollment = self._enrol(lead)
        self.env["mail.blacklist"].sudo()._add("li.na@lotus-trading.example.com")
        self.Enrollment._cron_prospect_sequence()
        self.assertEqual(enrollment.stop_reason, "blacklist")
        self.assertFalse(self._queued(lead))
        self.assertFalse(enrollment.card_ids)

    def test_bounce_stops(self):
        lead = self._lead()
        enrollment = self._enrol(lead)
        self.Enrollment._action_send_due()
        lead.sudo()._message_receive_bounce(
            "li.na@lotus-trading.example.com", self.prospect
        )
        self.assertEqual(enrollment.stop_reason, "bounce")
        self.assertTrue(enrollment.card_ids.bounced)

    def test_won_lost_abandoned_stop(self):
        won, lost, abandoned = (
            self._lead("Won"),
            self._lead("Lost"),
            self._lead("Abandoned"),
        )
        enrollments = self._enrol(won)
        enrollments |= self.Enrollment.create(
            [
                {"lead_id": lead.id, "sequence_id": self.sequence.id}
                for lead in (lost, abandoned)
            ]
        )
        won.with_user(self.user_sales_salesman).action_set_won()
        lost.with_user(self.user_sales_salesman).action_set_lost()
        wizard = (
            self.env["prospect.abandon.wizard"]
            .with_user(self.user_sales_manager)
            .create(
                {"lead_ids": [(6, 0, abandoned.ids)], "reason": "No budget for years"}
            )
        )
        wizard.action_confirm()
        self.assertEqual(
            enrollments.mapped("stop_reason"), ["won", "lost", "abandoned"]
        )
        self.assertEqual(self.Enrollment._action_send_due(), 0)

    def test_sweep_stops_leads_closed_behind_its_back(self):
        lead = self._lead()
        enrollment = self._enrol(lead)
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE crm_lead SET active = FALSE WHERE id = %s", [lead.id]
        )
        self.env.invalidate_all()
        self.Enrollment._cron_prospect_sequence()
        self.assertEqual(enrollment.stop_reason, "lost")
        self.assertFalse(self._queued(lead))

    # ------------------------------------------------------------
    # ENROLMENT
    # ------------------------------------------------------------

    @users("user_sales_salesman")
    def test_enrol_from_lead_with_wizard(self):
        lead = self._lead().with_env(self.env)
        closed = self._lead("Closed")
        closed.action_set_won()
        no_email = self._open_lead("No email", user_id=self.env.uid)
        action = (lead | closed | no_email).action_prospect_enroll()
        wizard = Form(self.env[action["res_model"]].with_context(**action["context"]))
        wizard.sequence_id = self.sequence
        wizard = wizard.save()
        self.assertEqual(wizard.enrollable_ids, lead)
        self.assertIn("closed", wizard.skipped_summary)
        self.assertIn("without an email address", wizard.skipped_summary)
        result = wizard.action_confirm()
        self.assertEqual(result["params"]["type"], "success")
        self.assertEqual(lead.prospect_enrollment_ids.sequence_id, self.sequence)
        self.assertEqual(lead.prospect_enrollment_count, 1)
        # enrolling again: already in a running sequence
        wizard = self.env["prospect.sequence.enroll.wizard"].create(
            {"lead_ids": [(6, 0, lead.ids)], "sequence_id": self.sequence.id}
        )
        with self.assertRaises(UserError):
            wizard.action_confirm()

    def test_one_running_sequence_per_lead(self):
        lead = self._lead()
        self._enrol(lead)
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(UniqueViolation),
            self.env.cr.savepoint(),
        ):
            self._enrol(lead)
            self.env.flush_all()

    def test_closed_lead_cannot_be_enrolled(self):
        lead = self._lead()
        lead.action_set_lost()
        with self.assertRaises(UserError):
            self._enrol(lead)

    def test_auto_enrol_by_rule(self):
        self.sequence.write(
            {
                "auto_enroll": True,
                "enroll_domain": "[('pyramid_tier', '=', 'suspect')]",
                "team_ids": [(6, 0, self.sales_team_1.ids)],
            }
        )
        suspect = self._lead("Suspect of the team")
        other_team = self._lead("Suspect of another team", team_id=False)
        no_email = self._open_lead("No email", team_id=self.sales_team_1.id)
        busy = self._lead("Already in a sequence")
        other_sequence = self.sequence.copy({"name": "Other", "auto_enroll": False})
        self.Enrollment.create({"lead_id": busy.id, "sequence_id": other_sequence.id})

        self.Enrollment._cron_prospect_sequence()

        enrolled = self.Enrollment.search(
            [("sequence_id", "=", self.sequence.id), ("lead_id", "=", suspect.id)]
        )
        self.assertEqual(enrolled.lead_id, suspect)
        self.assertEqual(enrolled.user_id, self.user_sales_salesman)
        self.assertEqual(len(self._queued(suspect)), 1, "enrolled and sent in one run")
        self.assertFalse(
            self.Enrollment.search([("lead_id", "in", (other_team | no_email).ids)])
        )
        # stopped enrolments are never enrolled again by the rule
        enrolled._stop("manual")
        self.Enrollment._action_enroll_by_rules()
        self.assertEqual(
            self.Enrollment.search_count([("lead_id", "=", suspect.id)]), 1
        )

    # ------------------------------------------------------------
    # ACCESS
    # ------------------------------------------------------------

    def test_salesperson_sees_own_enrolments_only(self):
        mine = self._lead("Mine")
        theirs = self._lead("Theirs", user_id=self.user_sales_leads.id)
        self._enrol(mine | theirs)
        visible = self.Enrollment.with_user(self.user_sales_salesman).search(
            [("sequence_id", "=", self.sequence.id)]
        )
        self.assertEqual(visible.lead_id, mine)
        with self.assertRaises(AccessError):
            self.sequence.with_user(self.user_sales_salesman).write(
                {"name": "Mine now"}
            )
        with self.assertRaises(AccessError):
            self.env["prospect.sequence.enrollment"].with_user(
                self.user_sales_salesman
            ).browse(theirs.prospect_enrollment_ids.id).action_pause()

    def test_answered_card_counts_in_engagement_score(self):
        lead = self._lead()
        enrollment = self._enrol(lead)
        self.Enrollment._action_send_due()
        card = enrollment.card_ids.sudo()
        self.assertTrue(card._submit(card._parse_answers({"interest": "later"})))
        self.assertEqual(lead.engagement_score, 25)
        self.assertEqual(lead.need_status, "potential")
        self.env["crm.lead"]._action_prospect_rescore()
        self.assertEqual(lead.engagement_score, 25, "the nightly rescoring keeps it")
        self.assertEqual(enrollment.state, "running", "'later' keeps nurturing")

    def test_sequence_follows_handover(self):
        lead = self._lead()
        enrollment = self._enrol(lead)
        self.Enrollment._action_send_due()
        self.user_sales_leads.company_ids |= self.pyramid_company
        wizard = (
            self.env["prospect.handover.wizard"]
            .with_user(self.user_sales_manager)
            .create(
                {
                    "user_id": self.user_sales_salesman.id,
                    "mode": "user",
                    "target_user_id": self.user_sales_leads.id,
                }
            )
        )
        wizard.action_confirm()
        self.assertEqual(enrollment.user_id, self.user_sales_leads)
        self._make_due(enrollment)
        self.Enrollment._action_send_due()
        newsletter = self._queued(lead).filtered(
            lambda mail: (
                mail.mail_message_id
                == enrollment.card_ids.filtered(
                    lambda card: card.step_id == self.step_news
                ).mail_message_id
            )
        )
        self.assertEqual(newsletter.author_id, self.user_sales_leads.partner_id)
        call = lead.activity_ids.filtered(
            lambda a: a.activity_type_id == self.call_type
        )
        self.assertEqual(call.user_id, self.user_sales_leads)


@tagged("post_install", "-at_install")
class TestSequenceRendering(SequenceCase):
    """A batch mailing English and Chinese readers together: each mail as Odoo's
    own ``send_mail`` renders it for that lead alone, in the reader's language,
    with its own feedback card, tracked in the mail only, the blacklist kept."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("zh_CN")
        cls.env["ir.module.module"]._load_module_terms(
            ["prospect_development"], ["zh_CN"]
        )
        cls.pyramid_company.website = "https://www.pyramid-test.example.com"
        cls.prospect.lang = "en_US"
        cls.zh_prospect = cls.env["res.partner"].create(
            {
                "name": "Wang Wei",
                "email": "wang.wei@jade-tools.example.com",
                "parent_id": cls._customer("Jade Tools").id,
                "lang": "zh_CN",
            }
        )
        cls.blocked_prospect = cls.env["res.partner"].create(
            {"name": "Blocked Buyer", "email": "blocked@blocked-buyer.example.com"}
        )
        cls.env["mail.blacklist"].sudo()._add("blocked@blocked-buyer.example.com")

    def _reference(self, lead, card):
        """What Odoo's own ``send_mail`` renders for this lead alone."""
        template = self.step_intro.template_id.with_context(
            prospect_feedback_urls={lead.id: card._get_url()}
        )
        return self.env["mail.mail"].sudo().browse(template.send_mail(lead.id))

    def test_batch_in_both_languages(self):
        en_lead = self._lead("Lotus opportunity")
        zh_lead = self._lead("Jade opportunity", partner_id=self.zh_prospect.id)
        blocked_lead = self._lead(
            "Blocked opportunity", partner_id=self.blocked_prospect.id
        )
        enrollments = self._enrol(en_lead | zh_lead | blocked_lead)

        sent = self.Enrollment._action_send_due()

        self.assertEqual(sent, 3)
        en_mail, zh_mail = self._queued(en_lead), self._queued(zh_lead)
        self.assertEqual(len(en_mail), 1)
        self.assertEqual(len(zh_mail), 1)
        # the subject and the body in the reader's language
        self.assertEqual(
            en_mail.subject,
            "Pyramid Test Company: what we can do for Lotus Trading",
        )
        self.assertIn("I am writing to you on behalf of", en_mail.body_html)
        self.assertIn("Tell us in 30 seconds", en_mail.body_html)
        self.assertEqual(
            zh_mail.subject, "Pyramid Test Company简介：我们能为Jade Tools做些什么"
        )
        self.assertIn("我谨代表", zh_mail.body_html)
        self.assertIn("30秒告诉我们", zh_mail.body_html)
        self.assertNotIn("I am writing to you", zh_mail.body_html)
        for lead, mail, recipient in (
            (en_lead, en_mail, self.prospect),
            (zh_lead, zh_mail, self.zh_prospect),
        ):
            enrollment = enrollments.filtered(lambda e, lead=lead: e.lead_id == lead)
            card = enrollment.card_ids
            token = card.sudo().token
            message = mail.mail_message_id
            # in the chatter and in the outgoing queue, to the lead's contact
            self.assertEqual(mail.state, "outgoing")
            self.assertIn(message, lead.message_ids)
            self.assertEqual(message.message_type, "email_outgoing")
            self.assertEqual(card.mail_message_id, message)
            self.assertEqual(mail.recipient_ids, recipient)
            self.assertEqual(message.partner_ids, recipient)
            self.assertEqual(mail.author_id, self.user_sales_salesman.partner_id)
            # its own feedback card, and no other lead's
            self.assertIn(f"/prospect/feedback/{token}", mail.body_html)
            self.assertIn(f"/prospect/feedback/{token}", message.body)
            for other in (enrollments - enrollment).card_ids:
                self.assertNotIn(other.sudo().token, mail.body_html)
            # the open pixel and the tracked website link in the mail only
            self.assertIn(f"/prospect/track/{token}/blank.gif", mail.body_html)
            self.assertRegex(mail.body_html, rf"/r/\w+/p/{token}")
            website = 'href="https://www.pyramid-test.example.com"'
            self.assertNotIn(website, mail.body_html)
            self.assertNotIn("/prospect/track/", message.body)
            self.assertIn(website, message.body)
            # exactly what Odoo renders for this lead alone
            reference = self._reference(lead, card)
            self.assertEqual(mail.subject, reference.subject)
            # from their salesperson, as the template says
            self.assertEqual(mail.email_from, reference.email_from)
            self.assertEqual(mail.email_from, self.user_sales_salesman.email_formatted)
            self.assertEqual(message.body, reference.mail_message_id.body)
            self.assertEqual(mail.recipient_ids, reference.recipient_ids)
            self.assertEqual(mail.auto_delete, reference.auto_delete)
        # the blacklist still holds in the same batch: no mail, the enrolment stops
        blocked = enrollments.filtered(lambda e: e.lead_id == blocked_lead)
        self.assertEqual(blocked.stop_reason, "blacklist")
        self.assertFalse(blocked.card_ids)
        self.assertFalse(
            self._queued(blocked_lead).filtered(lambda m: m.state != "cancel")
        )

    def test_template_compiled_once_per_language(self):
        """Every shipped sequence template renders the same with the batch memo as
        record by record, and is compiled once per language."""
        leads = (
            self._lead("Lotus 1"),
            self._lead("Jade 1", partner_id=self.zh_prospect.id),
            self._lead("Lotus 2", contact_name="Anna Berg", partner_id=False),
            self._lead("Jade 2", partner_id=self.zh_prospect.id),
        )
        lead_ids = [lead.id for lead in leads]
        urls = {lead_id: f"https://card.example.com/{lead_id}" for lead_id in lead_ids}
        templates = self.env["prospect.sequence"].search([]).step_ids.template_id
        self.assertGreaterEqual(len(templates), 6)
        for template in templates:
            template = template.with_context(prospect_feedback_urls=urls)
            expected = template._render_field("body_html", lead_ids, compute_lang=True)
            memo = {}
            bodies = template.with_context(prospect_qweb_memo=memo)._render_field(
                "body_html", lead_ids, compute_lang=True
            )
            self.assertEqual(bodies, expected, template.name)
            langs = set(template._render_lang(lead_ids).values())
            self.assertEqual(len(langs), 3, "English, Chinese, and no language")
            self.assertEqual(len(memo), 3, f"{template.name}: once per language")
            self.assertIn(urls[lead_ids[0]], bodies[lead_ids[0]])

    def test_mail_created_after_its_message_is_the_same(self):
        lead = self._lead()
        values = {
            "model": "crm.lead",
            "res_id": lead.id,
            "message_type": "email_outgoing",
            "subject": "Hello",
            "body": "<p>Dear <b>Li Na</b>, <a href='https://example.com'>see</a></p>",
            "body_html": "<p>Dear <b>Li Na</b></p>",
            "author_id": self.user_sales_salesman.partner_id.id,
            "email_from": self.user_sales_salesman.email_formatted,
            "recipient_ids": [(4, self.prospect.id)],
            "auto_delete": True,
            "state": "outgoing",
        }
        Mail = self.env["mail.mail"].sudo()
        plain, bare = Mail.create([dict(values), {"body_html": "<p>Hi</p>"}])
        first, bare_first = Mail.with_context(prospect_messages_first=True).create(
            [dict(values), {"body_html": "<p>Hi</p>"}]
        )
        names = [
            "model",
            "res_id",
            "message_type",
            "subject",
            "body",
            "body_html",
            "author_id",
            "email_from",
            "recipient_ids",
            "auto_delete",
            "state",
            "is_notification",
            "subtype_id",
            "partner_ids",
        ]
        self.assertEqual(
            first.read(names)[0] | {"id": 0}, plain.read(names)[0] | {"id": 0}
        )
        self.assertIn(first.mail_message_id, lead.message_ids)
        # the mail's own defaults, not a bare message's
        self.assertEqual(bare_first.message_type, "email_outgoing")
        self.assertEqual(
            bare_first.read(names)[0] | {"id": 0}, bare.read(names)[0] | {"id": 0}
        )
