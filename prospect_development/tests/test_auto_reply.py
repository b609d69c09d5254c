from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from odoo import fields
from odoo.tests import BaseCase, tagged
from odoo.tools import SQL

from odoo.addons.prospect_development import rules

from .common import SequenceCase

OUT_OF_OFFICE_SUBJECTS = (
    "Automatic reply: your mailing",
    "自动回复: 我正在休假",
    "自动答复：Lotus Trading",
    "Out of Office AutoReply: your mailing",
)


@tagged("post_install", "-at_install")
class TestAutoReplySubject(BaseCase):
    """The rules alone (PostgreSQL reads the subject pattern alike: see
    ``test_existing_automatic_replies_flagged_when_the_column_is_added``)."""

    CASES = {
        "Automatic reply: your mailing": True,
        "automatic REPLY": True,
        "Out of office": True,
        "Out of Office AutoReply: Lotus": True,
        "  Auto: back on Monday": True,
        "AUTO-REPLY: x": True,
        "Réponse automatique : votre courrier": True,
        "自动回复: 我正在休假": True,
        "自动回复：我正在休假": True,
        "自動回覆: 休假中": True,
        # a prefix must stand alone at the beginning
        "Re: Out of office furniture": False,
        "Out of office furniture catalogue": False,
        "Re: Automatic reply: your mailing": False,
        "Auto parts for your trucks": False,
        "Automatically renewed contract": False,
        "自动回复功能咨询": False,
        "Thank you, tell me more": False,
        "": False,
    }

    def test_subject_rule(self):
        for subject, expected in self.CASES.items():
            with self.subTest(subject=subject):
                self.assertEqual(rules.is_auto_reply_subject(subject), expected)
        self.assertFalse(rules.is_auto_reply_subject(None))
        self.assertFalse(rules.is_auto_reply_subject(False))

    def test_headers_rule(self):
        def headers(**values):
            values = {name.replace("_", "-"): value for name, value in values.items()}
            return values.get

        subject = "Re: your mailing"
        self.assertTrue(
            rules.is_auto_reply(headers(Auto_Submitted="auto-replied"), subject)
        )
        self.assertTrue(rules.is_auto_reply(headers(X_Autoreply="yes"), subject))
        self.assertTrue(rules.is_auto_reply(headers(Precedence="auto_reply"), subject))
        self.assertFalse(rules.is_auto_reply(headers(Auto_Submitted="no"), subject))
        self.assertFalse(rules.is_auto_reply(headers(Precedence="bulk"), subject))
        self.assertFalse(rules.is_auto_reply(headers(), subject))
        self.assertTrue(rules.is_auto_reply(headers(), "Automatic reply: x"))


@tagged("post_install", "-at_install")
class TestAutoReply(SequenceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mailed_days_ago = 20

    def _mailed_lead(self):
        """A lead enrolled in the sequence and mailed; 20 days ago, the salesperson
        wrote to the prospect: the last contact, a touch still unanswered."""
        lead = self._open_lead(
            "Lotus opportunity",
            partner_id=self.prospect.id,
            user_id=self.user_sales_salesman.id,
            team_id=self.sales_team_1.id,
        )
        enrollment = self.Enrollment.create(
            {"lead_id": lead.id, "sequence_id": self.sequence.id}
        )
        self.Enrollment._action_send_due()
        mailing = lead.message_ids.filtered(
            lambda m: m.message_type == "email_outgoing"
        )
        self.assertEqual(len(mailing), 1)
        mailed = fields.Datetime.now() - timedelta(days=self.mailed_days_ago)
        touch = lead.with_user(self.user_sales_salesman).message_post(
            body="Did you receive our introduction?",
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        (mailing + touch).sudo().date = mailed
        enrollment.card_ids.sudo().date_sent = mailed
        lead.sudo().last_contact_date = self.today - timedelta(
            days=self.mailed_days_ago
        )
        return lead, enrollment

    def _post_by_api(self, lead, subject):
        """What a mail plug-in or an integration does: the salesperson logs the
        prospect's mail on the lead with ``message_post``."""
        return lead.with_user(self.user_sales_salesman).message_post(
            subject=subject,
            body="I am out of the office until Monday.",
            message_type="email",
            email_from='"Li Na" <li.na@lotus-trading.example.com>',
            author_id=self.prospect.id,
            subtype_xmlid="mail.mt_comment",
        )

    def _receive(self, lead, subject="Re: your mailing", headers=None):
        """A mail of the prospect answering the lead's mailing, through the mail
        gateway."""
        mailing = lead.message_ids.filtered(
            lambda m: m.message_type == "email_outgoing"
        )[:1]
        message = EmailMessage()
        message["From"] = '"Li Na" <li.na@lotus-trading.example.com>'
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
        received = lead.message_ids.filtered(lambda m: m.message_type == "email")[:1]
        self.assertEqual(received.subject, subject, "posted on the lead")
        return received

    def _assert_no_answer(self, lead, enrollment, message):
        """The automatic reply changed nothing a salesperson would notice, neither
        at once nor after the nightly rescoring."""
        mailed = self.today - timedelta(days=self.mailed_days_ago)
        self.assertTrue(message.prospect_auto_reply)
        self.assertEqual(enrollment.state, "running")
        self.assertFalse(enrollment.card_ids.date_replied)
        self.assertEqual(lead.last_contact_date, mailed)
        self.env["crm.lead"]._action_prospect_rescore()
        self.assertEqual(lead.last_contact_date, mailed)
        self.assertEqual(lead.engagement_score, 0)
        self.assertEqual(lead.touch_count, 1, "the salesperson's message")
        self.assertEqual(lead.unanswered_touches, 1, "still unanswered")
        self.assertEqual(enrollment.state, "running")

    def _assert_answer(self, lead, enrollment, message):
        self.assertFalse(message.prospect_auto_reply)
        self.assertEqual(enrollment.state, "stopped")
        self.assertEqual(enrollment.stop_reason, "reply")
        self.assertTrue(enrollment.card_ids.date_replied)
        self.assertEqual(lead.last_contact_date, self.today)
        self.env["crm.lead"]._action_prospect_rescore()
        self.assertEqual(lead.last_contact_date, self.today)
        self.assertEqual(
            lead.engagement_score,
            self.env.ref("prospect_development.score_rule_reply").points,
        )
        self.assertEqual(lead.unanswered_touches, 0)

    # ------------------------------------------------------------
    # POSTED THROUGH THE API (plug-ins, integrations)
    # ------------------------------------------------------------

    def test_api_out_of_office_is_no_answer(self):
        for subject in OUT_OF_OFFICE_SUBJECTS:
            with self.subTest(subject=subject):
                lead, enrollment = self._mailed_lead()
                message = self._post_by_api(lead, subject)
                self._assert_no_answer(lead, enrollment, message)

    def test_api_reply_is_an_answer(self):
        lead, enrollment = self._mailed_lead()
        message = self._post_by_api(lead, "Re: your mailing")
        self._assert_answer(lead, enrollment, message)

    def test_api_caller_that_read_the_headers_flags_it(self):
        """A plug-in that saw the headers of the mail says so, whatever the
        subject."""
        lead, enrollment = self._mailed_lead()
        message = lead.with_user(self.user_sales_salesman).message_post(
            subject="Re: your mailing",
            body="I am on leave.",
            message_type="email",
            email_from='"Li Na" <li.na@lotus-trading.example.com>',
            author_id=self.prospect.id,
            subtype_xmlid="mail.mt_comment",
            prospect_auto_reply=True,
        )
        self._assert_no_answer(lead, enrollment, message)

    def test_reply_about_the_office_is_an_answer(self):
        """Only a prefix standing alone at the beginning makes an automatic reply."""
        lead, enrollment = self._mailed_lead()
        message = self._post_by_api(lead, "Re: Out of office furniture")
        self._assert_answer(lead, enrollment, message)

    def test_only_received_mails_are_flagged(self):
        """The salesperson's own note or message keeps counting as what it is."""
        lead, _enrollment = self._mailed_lead()
        note = lead.with_user(self.user_sales_salesman).message_post(
            subject="Out of office: I called their switchboard",
            body="Their buyer is away, I left a message.",
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        self.assertFalse(note.prospect_auto_reply)
        self.assertEqual(lead.last_contact_date, self.today, "a touch of ours")

    # ------------------------------------------------------------
    # RECEIVED THROUGH THE MAIL GATEWAY
    # ------------------------------------------------------------

    def test_gateway_headers_make_an_automatic_reply(self):
        for headers in (
            {"Auto-Submitted": "auto-replied"},
            {"Auto-Submitted": "auto-generated"},
            {"X-Autoreply": "yes"},
            {"Precedence": "auto_reply"},
        ):
            with self.subTest(headers=headers):
                lead, enrollment = self._mailed_lead()
                message = self._receive(lead, headers=headers)
                self._assert_no_answer(lead, enrollment, message)

    def test_gateway_subject_makes_an_automatic_reply(self):
        lead, enrollment = self._mailed_lead()
        message = self._receive(lead, subject="自动回复: 我正在休假")
        self._assert_no_answer(lead, enrollment, message)

    def test_gateway_reply_is_an_answer(self):
        for headers in ({}, {"Auto-Submitted": "no"}, {"Precedence": "bulk"}):
            with self.subTest(headers=headers):
                lead, enrollment = self._mailed_lead()
                message = self._receive(lead, headers=headers)
                self._assert_answer(lead, enrollment, message)

    # ------------------------------------------------------------
    # INSTALL OVER AN EXISTING DATABASE
    # ------------------------------------------------------------

    def test_existing_automatic_replies_flagged_when_the_column_is_added(self):
        """Installing (or upgrading) over a database whose leads already hold mails:
        the column has no default (adding it rewrites no row), and the automatic
        replies already there are flagged by their subject in SQL, as Python reads
        it."""
        self.env.cr.execute(
            """
            SELECT column_default, is_nullable FROM information_schema.columns
             WHERE table_name = 'mail_message' AND column_name = 'prospect_auto_reply'
            """
        )
        self.assertEqual(self.env.cr.fetchall(), [(None, "YES")])
        lead, _enrollment = self._mailed_lead()
        subjects = [subject or "-" for subject in TestAutoReplySubject.CASES]
        messages = self.env["mail.message"]
        for subject in subjects:
            messages |= self._post_by_api(lead, subject)
        self.env.flush_all()
        # as the rows of a database where the add-on was not installed yet
        self.env.cr.execute(
            SQL(
                "UPDATE mail_message SET prospect_auto_reply = NULL WHERE id IN %s",
                tuple(messages.ids),
            )
        )
        self.env.invalidate_all()
        self.assertFalse(any(messages.mapped("prospect_auto_reply")))
        self.env["mail.message"]._prospect_flag_auto_replies()
        self.env.invalidate_all()
        self.assertEqual(
            {message.subject: message.prospect_auto_reply for message in messages},
            {subject: rules.is_auto_reply_subject(subject) for subject in subjects},
        )
        self.assertEqual(
            sum(messages.mapped("prospect_auto_reply")),
            sum(TestAutoReplySubject.CASES.values()),
        )
