import re
from datetime import timedelta
from unittest.mock import patch
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odoo import fields
from odoo.tests import HttpCase, tagged
from odoo.tools import html_escape, mute_logger

from odoo.addons.mail.tests.common import mail_new_test_user

# every page of the layout carries the session's CSRF token, forms or not
CSRF_TOKEN = re.compile(r'csrf_token: "([^"]+)"')
HTML_LANG = re.compile(r"<html[^>]*\blang=\"([^\"]+)\"")


@tagged("post_install", "-at_install")
class TestFeedbackPage(HttpCase):
    """The public page of the feedback card, through real HTTP requests: what the
    prospect sees, and what their answers change on the lead (and what not)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        zh_cn = cls.env["res.lang"]._activate_lang("zh_CN")
        if "website" in cls.env:
            # with the Website app, the page offers the websites' languages only
            cls.env["website"].search([]).language_ids |= zh_cn
        cls.company = cls.env["res.company"].create(
            {
                "name": "Feedback Test Company",
                "email": "hello@feedback-test.example.com",
                "phone": "+1 555 0100",
            }
        )
        cls.salesperson = mail_new_test_user(
            cls.env,
            login="feedback_salesperson",
            name="Sally Seller",
            email="sally@feedback-test.example.com",
            groups="sales_team.group_sale_salesman",
            company_id=cls.company.id,
            company_ids=[(6, 0, cls.company.ids)],
        )
        cls.prospect_company = cls.env["res.partner"].create(
            {"name": "Lotus Trading", "is_company": True}
        )
        cls.prospect = cls.env["res.partner"].create(
            {
                "name": "Li Na",
                "email": "li.na@lotus-trading.example.com",
                "parent_id": cls.prospect_company.id,
                "lang": "zh_CN",
            }
        )
        cls.sequence = cls.env["prospect.sequence"].create(
            {
                "name": "Feedback Test Sequence",
                "company_id": cls.company.id,
                "step_ids": [
                    (
                        0,
                        0,
                        {
                            "name": "Feedback on our offer",
                            "delay_days": 0,
                            "template_id": cls.env.ref(
                                "prospect_development.mail_template_feedback_card"
                            ).id,
                        },
                    ),
                    # a next step: the enrolment still runs when the card comes back
                    (
                        0,
                        0,
                        {
                            "name": "Follow-up",
                            "delay_days": 7,
                            "template_id": cls.env.ref(
                                "prospect_development.mail_template_feedback_followup"
                            ).id,
                        },
                    ),
                ],
            }
        )
        # whatever else is due in the database (demo data) goes now, once: each
        # test then sends its own card only
        cls.env["prospect.sequence.enrollment"]._action_send_due()
        cls.sequence.step_ids[0].with_context(lang="zh_CN").name = "关于我们报价的反馈"
        # another prospect's lead: nothing of it may ever show on the page
        cls.other_lead = cls.env["crm.lead"].create(
            {
                "name": "Confidential deal of another prospect",
                "type": "opportunity",
                "company_id": cls.company.id,
                "email_from": "someone@else.example.com",
            }
        )

    def setUp(self):
        super().setUp()
        self.lead = self.env["crm.lead"].create(
            {
                "name": "Internal name: Lotus line retrofit",
                "type": "opportunity",
                "partner_id": self.prospect.id,
                "contact_name": "Li Na",
                "user_id": self.salesperson.id,
                "company_id": self.company.id,
                "expected_revenue": 987654,
                "description": "Internal note: budget is tight",
            }
        )
        self.enrollment = self.env["prospect.sequence.enrollment"].create(
            {"lead_id": self.lead.id, "sequence_id": self.sequence.id}
        )
        # the test transaction's NOW() is its start: make the step due before it
        self.enrollment.next_date = fields.Datetime.now() - timedelta(days=1)
        self.env["prospect.sequence.enrollment"]._action_send_due()
        self.card = self.env["prospect.feedback.card"].search(
            [("lead_id", "=", self.lead.id)]
        )
        self.assertEqual(len(self.card), 1, "sending the step gives the lead its card")
        self.assertEqual(self.enrollment.state, "running")
        self.url = self.card._get_url().removeprefix(self.lead.get_base_url())
        self.today = fields.Date.context_today(self.lead)

    # ------------------------------------------------------------
    # HELPERS
    # ------------------------------------------------------------

    def _get(self, url=None):
        return self.url_open(url or self.url)

    def _csrf_token(self):
        response = self._get()
        match = CSRF_TOKEN.search(response.text)
        self.assertTrue(match, "the page carries a CSRF token")
        return match.group(1)

    def _post(self, answers, url=None, csrf_token=None):
        data = dict(answers, csrf_token=csrf_token or self._csrf_token())
        return self.url_open(url or self.url, data=data, timeout=60)

    def _snapshot(self):
        """What a salesperson sees of the lead: whatever the page may change."""
        self.env.invalidate_all()
        lead = self.lead
        return {
            "need_status": lead.need_status,
            "engagement_score": lead.engagement_score,
            "last_contact_date": lead.last_contact_date,
            "messages": len(lead.message_ids),
            "activities": len(lead.activity_ids),
            "followers": lead.message_partner_ids,
            "enrollment": (self.enrollment.state, self.enrollment.stop_reason),
            "card_answered": self.card.date_answered,
            "blacklisted": self._blacklisted(),
        }

    def _read_in_english(self):
        """The prospect reads English: the texts checked are the English ones, also
        when the Chinese terms are loaded (a database with the demo data)."""
        self.prospect.lang = "en_US"

    def _blacklisted(self):
        return bool(
            self.env["mail.blacklist"].search_count(
                [("email", "=", "li.na@lotus-trading.example.com")]
            )
        )

    # ------------------------------------------------------------
    # SHOWING THE CARD
    # ------------------------------------------------------------

    def test_card_page_in_prospect_language(self):
        response = self._get()
        self.assertEqual(response.status_code, 200)
        self.assertEqual(HTML_LANG.search(response.text).group(1), "zh-CN")
        self.assertIn("关于我们报价的反馈", response.text, "the mailing in Chinese")
        for name in ("interest", "call_wanted", "call_date", "call_time"):
            self.assertIn(f'name="{name}"', response.text)
        self.assertIn('maxlength="2000"', response.text)
        self.assertRegex(response.text, r'name="csrf_token" value="[^"]+"')
        self.assertIn('name="opt_out"', response.text)
        self.assertIn("Sally Seller", response.text)
        self.assertIn("Feedback Test Company", response.text)
        self.assertEqual(response.headers.get("Cache-Control"), "no-store")
        self.assertEqual(response.headers.get("Referrer-Policy"), "no-referrer")

    def test_card_page_language_fallbacks(self):
        """Without a contact language, the lead's, else the company's."""
        self.prospect.lang = False
        self.lead.lang_id = self.env.ref("base.lang_zh_CN")
        self.assertEqual(HTML_LANG.search(self._get().text).group(1), "zh-CN")
        self.lead.lang_id = False
        self.company.partner_id.lang = "zh_CN"
        self.assertEqual(HTML_LANG.search(self._get().text).group(1), "zh-CN")
        self.company.partner_id.lang = "en_US"
        self.assertEqual(HTML_LANG.search(self._get().text).group(1), "en-US")

    def test_card_page_shows_nothing_else_of_the_lead(self):
        page = self._get().text
        for secret in (
            "Lotus line retrofit",
            "987654",
            "987,654",
            "budget is tight",
            "li.na@lotus-trading.example.com",
            "Confidential deal",
            "someone@else.example.com",
        ):
            self.assertNotIn(secret, page)

    # ------------------------------------------------------------
    # ANSWERING
    # ------------------------------------------------------------

    def test_answer_updates_the_lead_once(self):
        self._read_in_english()
        score = self.lead.engagement_score
        call_date = self.today + timedelta(days=3)
        response = self._post(
            {
                "interest": "now",
                "call_wanted": "yes",
                "call_date": fields.Date.to_string(call_date),
                "call_time": "morning",
                "proposal_wanted": "no",
                "concern": "Delivery times of the spare parts",
            }
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("o_prospect_feedback_thanks", response.text)
        self.assertIn("We will call you on", response.text)
        self.env.invalidate_all()
        self.assertEqual(self.lead.need_status, "clear")
        self.assertEqual(self.lead.engagement_score, min(100, score + 25))
        self.assertEqual(self.lead.last_contact_date, self.today)
        note = self.lead.message_ids.filtered(
            lambda m: "Delivery times of the spare parts" in m.body
        )
        self.assertEqual(len(note), 1)
        self.assertEqual(note.subtype_id, self.env.ref("mail.mt_note"))
        self.assertEqual(note.author_id, self.prospect)
        tracking = self.lead.message_ids.tracking_value_ids.filtered(
            lambda t: t.field_id.name == "need_status"
        )
        self.assertEqual(
            tracking.mail_message_id.author_id,
            self.prospect,
            "the need changed on the prospect's word, not the public user's",
        )
        self.assertNotIn(
            self.prospect,
            self.lead.message_partner_ids,
            "answering the card does not make the prospect a follower",
        )
        call = self.lead.activity_ids.filtered(
            lambda a: a.activity_type_id == self.env.ref("mail.mail_activity_data_call")
        )
        self.assertEqual(len(call), 1)
        self.assertEqual(call.user_id, self.salesperson)
        self.assertEqual(call.date_deadline, call_date)
        self.assertEqual(
            call.create_uid,
            self.env.ref("base.user_root"),
            "assigned by OdooBot on the prospect's word, not by 'Public user'",
        )
        self.assertEqual(self.enrollment.state, "stopped")
        self.assertEqual(self.enrollment.stop_reason, "feedback")
        self.assertEqual(self.card.interest, "now")

        before = self._snapshot()
        again = self._post({"interest": "none", "opt_out": "yes"})
        self.assertEqual(again.status_code, 200)
        self.assertIn("o_prospect_feedback_answered", again.text)
        self.assertEqual(self._snapshot(), before, "a second answer changes nothing")
        self.assertEqual(self.card.interest, "now")
        self.assertIn("o_prospect_feedback_answered", self._get().text)

    def test_answer_opt_out(self):
        """Opting out needs no other answer: blacklisted, the sequence stopped."""
        self._read_in_english()
        need = self.lead.need_status
        response = self._post({"opt_out": "yes"})
        self.assertEqual(response.status_code, 200)
        self.assertIn("You will receive no more mailings", response.text)
        self.env.invalidate_all()
        self.assertTrue(self._blacklisted())
        self.assertEqual(self.enrollment.state, "stopped")
        self.assertEqual(self.enrollment.stop_reason, "opt_out")
        self.assertEqual(self.lead.need_status, need, "no answer, no change of need")

    def test_answer_proposal(self):
        self._read_in_english()
        response = self._post({"interest": "later", "proposal_wanted": "yes"})
        self.assertIn("A proposal will follow", response.text)
        self.env.invalidate_all()
        self.assertEqual(self.lead.need_status, "potential")
        todo = self.lead.activity_ids.filtered(
            lambda a: a.activity_type_id == self.env.ref("mail.mail_activity_data_todo")
        )
        self.assertEqual(todo.user_id, self.salesperson)
        self.assertEqual(self.enrollment.stop_reason, "feedback")

    def test_answer_html_is_text(self):
        concern = '<script>alert("x")</script><b>urgent</b> & cheap'
        response = self._post(
            {"interest": "now", "proposal_wanted": "yes", "concern": concern}
        )
        self.assertEqual(response.status_code, 200)
        self.env.invalidate_all()
        self.assertEqual(self.card.concern, concern, "stored as typed")
        note = self.lead.message_ids.filtered(lambda m: "urgent" in m.body)
        self.assertIn("&lt;script&gt;", note.body)
        self.assertIn("&lt;b&gt;urgent&lt;/b&gt;", note.body)
        self.assertNotIn("<script", note.body)
        todo = self.lead.activity_ids.filtered(
            lambda a: a.summary and "Proposal" in a.summary
        )
        self.assertIn("&lt;b&gt;urgent&lt;/b&gt;", todo.note)

    def test_answer_racing_another_submission(self):
        """A second tab (or a double click) claims the card between the checks of
        this submission and its answer: the answer is refused politely."""
        Card = type(self.env["prospect.feedback.card"])
        submit = Card._submit

        def claimed_meanwhile(card, answers):
            card.env.cr.execute(
                "UPDATE prospect_feedback_card SET date_answered = NOW() WHERE id = %s",
                [card.id],
            )
            return submit(card, answers)

        before = self._snapshot()
        with patch.object(Card, "_submit", claimed_meanwhile):
            response = self._post({"interest": "now", "call_wanted": "yes"})
        self.assertEqual(response.status_code, 200)
        self.assertIn("o_prospect_feedback_answered", response.text)
        after = self._snapshot()
        self.assertTrue(after.pop("card_answered"))
        before.pop("card_answered")
        self.assertEqual(after, before, "the refused answer changed nothing")
        self.assertFalse(self.card.interest)

    # ------------------------------------------------------------
    # REFUSED ANSWERS
    # ------------------------------------------------------------

    def test_invalid_answers_show_errors_and_keep_input(self):
        before = self._snapshot()
        long_concern = "é" * 3000
        response = self._post(
            {
                "interest": "maybe",
                "call_wanted": "yes",
                "call_date": fields.Date.to_string(self.today - timedelta(days=3)),
                "call_time": "midnight",
                "concern": long_concern,
            }
        )
        self.assertEqual(response.status_code, 400)
        page = response.text
        self.assertIn("o_prospect_feedback_form", page)
        # the messages come in the prospect's language
        card = self.card.with_context(lang="zh_CN")
        for message in (
            card.env._("Tell us whether this is relevant for you."),
            card.env._("Choose a call date between today and a year from now."),
            card.env._("Choose when we may call you."),
            card.env._(
                "Your concern is too long: %(max)s characters at most.", max=2000
            ),
        ):
            self.assertIn(html_escape(message), page)
        self.assertIn(long_concern, page, "what the visitor typed is kept")
        self.assertIn(
            f'value="{fields.Date.to_string(self.today - timedelta(days=3))}"', page
        )
        self.assertRegex(page, r'id="call_wanted_yes"[^>]*checked')
        self.assertEqual(self._snapshot(), before, "nothing saved")

    def test_invalid_answer_html_is_escaped(self):
        response = self._post({"interest": "x", "concern": "<script>alert(1)</script>"})
        self.assertEqual(response.status_code, 400)
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt;", response.text)
        self.assertNotIn("<script>alert(1)", response.text)

    def test_oversized_input(self):
        before = self._snapshot()
        response = self._post({"interest": "now", "concern": "x" * 1_000_000})
        self.assertEqual(response.status_code, 400)
        card = self.card.with_context(lang="zh_CN")
        self.assertIn(
            html_escape(
                card.env._(
                    "Your concern is too long: %(max)s characters at most.", max=2000
                )
            ),
            response.text,
        )
        self.assertEqual(self._snapshot(), before)

    @mute_logger("odoo.http")
    def test_post_without_csrf_token(self):
        before = self._snapshot()
        response = self.url_open(self.url, data={"interest": "now"})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(self._snapshot(), before)

    # ------------------------------------------------------------
    # LINKS THAT CANNOT BE ANSWERED
    # ------------------------------------------------------------

    def test_wrong_token(self):
        before = self._snapshot()
        csrf_token = self._csrf_token()
        token = self.card.sudo().token
        for url in (
            "/prospect/feedback/" + token[:-1] + ("A" if token[-1] != "A" else "B"),
            "/prospect/feedback/" + "a" * 5000,
            "/prospect/feedback/%00" + token,
            "/prospect/feedback/" + quote("<script>é"),
        ):
            for response in (
                self._get(url),
                self._post({"interest": "now"}, url=url, csrf_token=csrf_token),
            ):
                self.assertEqual(response.status_code, 404, url[:60])
                self.assertIn("This link is not valid", response.text)
                self.assertNotIn("Sally Seller", response.text)
        self.assertEqual(self._snapshot(), before)

    def test_expired_card(self):
        self._read_in_english()
        self.card.date_expire = fields.Datetime.now() - timedelta(days=1)
        before = self._snapshot()
        page = self._get()
        self.assertEqual(page.status_code, 200)
        self.assertIn("This feedback card has expired", page.text)
        self.assertIn("hello@feedback-test.example.com", page.text)
        self.assertNotIn('name="interest"', page.text)
        # a form opened before the card expired
        response = self.url_open(
            self.url, data={"interest": "now", "csrf_token": self._csrf_token()}
        )
        self.assertIn("This feedback card has expired", response.text)
        self.assertEqual(self._snapshot(), before)

    # ------------------------------------------------------------
    # FUZZING
    # ------------------------------------------------------------

    @mute_logger("odoo.http")
    def test_fuzz_post(self):
        """Whatever is posted, the page answers politely and the lead changes at
        most once."""
        csrf_token = self._csrf_token()
        token = self.card.sudo().token
        score = self.lead.engagement_score
        statuses = set()
        weird_text = st.text(max_size=40) | st.text(
            st.characters(codec="utf-8"), min_size=100, max_size=3000
        )
        raw_bytes = st.binary(max_size=200)

        def field(*valid):
            return st.none() | st.sampled_from(valid) | weird_text | raw_bytes

        huge = st.builds(
            lambda unit, count: unit * count,
            st.text(min_size=1, max_size=2),
            st.integers(min_value=1000, max_value=250_000),
        )

        @settings(
            max_examples=60,
            deadline=None,
            database=None,
            suppress_health_check=[
                HealthCheck.too_slow,
                HealthCheck.data_too_large,
                HealthCheck.large_base_example,
            ],
        )
        @given(
            token=st.just(token)
            | st.just(token)
            | st.text(max_size=80)
            | st.binary(max_size=80),
            interest=field("now", "later", "none", ""),
            call_wanted=field("yes", "no"),
            call_date=field(
                fields.Date.to_string(self.today),
                fields.Date.to_string(self.today + timedelta(days=400)),
                "2020-02-30",
                "9999-99-99",
            ),
            call_time=field("morning", "afternoon", "any"),
            proposal_wanted=field("yes", "no"),
            concern=field("A question") | huge,
            opt_out=field("yes"),
        )
        def post(token, **answers):
            path = quote(token, safe="") if token else "x"
            data = {key: value for key, value in answers.items() if value is not None}
            data["csrf_token"] = csrf_token
            response = self.url_open(
                "/prospect/feedback/" + path, data=data, timeout=60
            )
            statuses.add(response.status_code)
            self.assertIn(response.status_code, (200, 400, 404), response.text[:500])

        post()
        self.env.invalidate_all()
        self.assertLessEqual(self.lead.engagement_score, min(100, score + 25))
        notes = self.lead.message_ids.filtered(
            lambda m: "Feedback card answered" in (m.body or "")
        )
        self.assertLessEqual(len(notes), 1, "the card is answered at most once")
        self.assertEqual(bool(notes), bool(self.card.date_answered))

    # ------------------------------------------------------------
    # BROWSER
    # ------------------------------------------------------------

    def test_tour_answer_in_browser(self):
        self._read_in_english()
        self.start_tour(self.url, "prospect_feedback_tour", login=None)
        self.env.invalidate_all()
        self.assertTrue(self.card.date_answered)
        self.assertEqual(self.card.call_time, "afternoon")
        self.assertEqual(self.lead.need_status, "clear")
        self.assertEqual(self.card.concern, "Delivery times of the spare parts")
        call = self.lead.activity_ids.filtered(
            lambda a: a.activity_type_id == self.env.ref("mail.mail_activity_data_call")
        )
        self.assertEqual(call.user_id, self.salesperson)
        self.assertEqual(self.enrollment.stop_reason, "feedback")
