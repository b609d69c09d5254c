from datetime import timedelta

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged, users
from odoo.tools.safe_eval import safe_eval

from odoo.addons.mail.tests.common import mail_new_test_user

from .common import ProspectCase


@tagged("post_install", "-at_install")
class TestCallOutcome(ProspectCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sales_team_1.company_id = False
        cls.other_salesman = mail_new_test_user(
            cls.env,
            login="pd_outcome_other",
            name="Other Salesman",
            groups="sales_team.group_sale_salesman",
        )
        cls.other_salesman.company_ids |= cls.pyramid_company
        cls.call_type = cls.env.ref("mail.mail_activity_data_call")
        cls.meeting_type = cls.env.ref("mail.mail_activity_data_meeting")
        cls.lead = cls._open_lead(
            "Packaging line for Lotus Trading",
            user_id=cls.user_sales_salesman.id,
            team_id=cls.sales_team_1.id,
            date_deadline=cls.today + timedelta(days=20),
            expected_revenue=30000,
        )
        # potential need (grade D), last called 93 days ago: due 3 days ago
        cls.lead.last_contact_date = cls.today - timedelta(days=93)
        cls.env["prospect.cadence.engine"]._run()

    def _shipped(self, name):
        return self.env.ref(f"prospect_development.call_outcome_{name}")

    def _lead(self):
        """The lead as the current (test) user sees it."""
        return self.env["crm.lead"].browse(self.lead.id)

    def _cadence(self, lead):
        return lead.activity_ids.filtered("prospect_cadence")

    def _log(self, outcome, lead=None, **values):
        """Log ``outcome`` (a shipped name) on the lead through the form."""
        lead = lead or self._lead()
        action = lead.action_prospect_log_outcome()
        form = Form(
            lead.env[action["res_model"]].with_context(
                **action["context"], **values.pop("context", {})
            )
        )
        form.outcome_id = self._shipped(outcome)
        for name, value in values.items():
            setattr(form, name, value)
        form.save().action_confirm()
        return lead

    def _events(self, lead):
        return self.env["prospect.engagement.event"].search(
            [("lead_id", "=", lead.id)], order="id"
        )

    def _logged_call(self, lead):
        return lead.message_ids.filtered("mail_activity_type_id")[:1]

    # ------------------------------------------------------------
    # THE SHIPPED OUTCOMES
    # ------------------------------------------------------------

    @users("user_sales_salesman")
    def test_interested(self):
        lead = self._lead()
        self.assertEqual(lead.prospect_grade, "d")
        self.assertEqual(lead.contact_urgency, "urgent", "overdue")
        cadence = self._cadence(lead)
        self.assertEqual(len(cadence), 1)
        cadence_type = cadence.activity_type_id
        self._log("interested", note="Wants samples\nbefore the trade fair")
        self.assertEqual(lead.need_status, "clear")
        self.assertEqual(lead.prospect_grade, "a", "clear need, closing in 20 days")
        self.assertEqual(lead.last_contact_date, self.today)
        self.assertEqual(lead.next_contact_planned, self.today + timedelta(days=7))
        self.assertEqual(lead.next_contact_date, self.today + timedelta(days=7))
        self.assertFalse(cadence.exists(), "the cadence contact is done")
        message = self._logged_call(lead)
        self.assertEqual(message.mail_activity_type_id, cadence_type)
        self.assertIn("Outcome: Interested", message.body)
        self.assertIn("Wants samples", message.body)
        self.assertIn("before the trade fair", message.body)
        event = self._events(lead)
        self.assertEqual(len(event), 1, "the outcome only, no plain activity done")
        self.assertRecordValues(
            event,
            [
                {
                    "event_type": "call_outcome",
                    "outcome_id": self._shipped("interested").id,
                    "points": 15,
                    "answered": True,
                    "res_model": "mail.message",
                    "res_id": message.id,
                    "description": "Wants samples before the trade fair",
                    "user_id": self.user_sales_salesman.id,
                }
            ],
        )
        self.assertEqual(lead.engagement_score, 15, "the score moved at once")

    @users("user_sales_salesman")
    def test_visit_requested_plans_the_visit(self):
        lead = self._lead()
        visit_day = self.today + timedelta(days=10)
        self._log("visit_requested", next_contact_date=visit_day)
        self.assertEqual(lead.need_status, "clear")
        self.assertEqual(lead.prospect_grade, "a")
        self.assertEqual(lead.last_contact_date, self.today)
        self.assertEqual(lead.next_contact_date, visit_day)
        visit = self._cadence(lead)
        self.assertRecordValues(
            visit,
            [
                {
                    "activity_type_id": self.meeting_type.id,
                    "user_id": self.user_sales_salesman.id,
                    "date_deadline": visit_day,
                    "summary": "Asks for a visit",
                }
            ],
        )
        self.assertEqual(lead.engagement_score, 25)
        # no second cadence contact while the visit is planned
        self.env["prospect.cadence.engine"].sudo()._run()
        self.assertEqual(self._cadence(lead), visit)
        # the visit done asks for its outcome in turn
        action = visit.action_prospect_log_outcome()
        self.assertEqual(action["context"]["default_activity_id"], visit.id)
        self._log("interested", context={"default_activity_id": visit.id})
        self.assertFalse(visit.exists())
        self.assertEqual(
            self._logged_call(lead).mail_activity_type_id, self.meeting_type
        )
        self.assertEqual(len(self._events(lead)), 2)
        self.assertEqual(lead.engagement_score, 40)

    @users("user_sales_salesman")
    def test_visit_without_a_date_is_refused(self):
        lead = self._lead()
        wizard = self.env["prospect.outcome.wizard"].create(
            {"lead_id": lead.id, "outcome_id": self._shipped("visit_requested").id}
        )
        self.assertEqual(wizard.next_contact_date, self.today + timedelta(days=7))
        wizard.next_contact_date = False
        with self.assertRaisesRegex(UserError, "Asks for a visit: give the date"):
            wizard.action_confirm()
        self.assertFalse(lead.need_status)
        self.assertEqual(len(self._cadence(lead)), 1, "no visit planned")

    @users("user_sales_salesman")
    def test_call_again_on_the_date_given(self):
        lead = self._lead()
        callback = self.today + timedelta(days=45)
        self._log("call_again", next_contact_date=callback)
        self.assertFalse(lead.need_status, "unchanged")
        self.assertEqual(lead.last_contact_date, self.today)
        self.assertEqual(lead.next_contact_planned, callback)
        self.assertEqual(lead.next_contact_date, callback, "not the 90 days of D")
        self.assertEqual(lead.contact_urgency, "later")
        self.assertFalse(self._cadence(lead))
        self.assertEqual(lead.engagement_score, 5)

    @users("user_sales_salesman")
    def test_future_need(self):
        lead = self._lead()
        self._log("future_need")
        self.assertEqual(lead.need_status, "potential")
        self.assertEqual(lead.prospect_grade, "d")
        self.assertEqual(lead.last_contact_date, self.today)
        self.assertEqual(lead.next_contact_date, self.today + timedelta(days=90))
        self.assertEqual(self._events(lead).points, 5)

    @users("user_sales_salesman")
    def test_no_need_ends_the_cadence(self):
        lead = self._lead()
        self._log("interested")
        self.assertEqual(lead.engagement_score, 15)
        self._log("no_need", note="Moved production abroad")
        self.assertEqual(lead.need_status, "none")
        self.assertEqual(lead.prospect_grade, "e")
        self.assertTrue(lead.active, "not lost: the salesperson decides")
        self.assertFalse(lead.next_contact_planned)
        self.assertFalse(lead.next_contact_date, "grade E: nobody to call")
        self.assertEqual(lead.engagement_score, 5, "15 - 10")
        self.env["prospect.cadence.engine"].sudo()._run()
        self.assertFalse(self._cadence(lead))

    @users("user_sales_salesman")
    def test_bought_elsewhere_keeps_the_lead(self):
        lead = self._lead()
        self._log("interested")
        self._log("bought_elsewhere", note="Signed with a competitor last week")
        self.assertTrue(lead.active, "not marked lost")
        self.assertEqual(lead.need_status, "potential")
        self.assertEqual(lead.prospect_grade, "d")
        self.assertEqual(lead.next_contact_date, self.today + timedelta(days=180))
        self.assertEqual(lead.engagement_score, 10, "15 - 5")

    @users("user_sales_salesman")
    def test_unreachable_is_a_touch_without_answer(self):
        lead = self._lead()
        last_contact = lead.last_contact_date
        cadence = self._cadence(lead)
        self._log("unreachable")
        self.assertEqual(lead.last_contact_date, last_contact, "did not move")
        self.assertFalse(lead.need_status)
        self.assertEqual(lead.next_contact_date, self.today + timedelta(days=3))
        self.assertFalse(cadence.exists(), "the call was made")
        message = self._logged_call(lead)
        self.assertIn("Outcome: Unreachable", message.body)
        self.assertRecordValues(
            self._events(lead),
            [{"res_id": message.id, "answered": False, "points": 0}],
        )
        self.assertEqual(lead.engagement_score, 0)
        # the nightly run agrees: a touch, not a contact
        self.env["prospect.rescore.engine"].sudo()._run()
        self.assertEqual(lead.last_contact_date, last_contact)
        self.assertEqual(lead.unanswered_touches, 1)
        self.assertEqual(lead.touch_count, 1)
        self.assertEqual(lead.next_contact_date, self.today + timedelta(days=3))

    @users("user_sales_salesman")
    def test_answer_after_unreachable_resets_the_silence(self):
        lead = self._lead()
        self._log("unreachable")
        self._log("future_need")
        self.env["prospect.rescore.engine"].sudo()._run()
        self.assertEqual(lead.last_contact_date, self.today)
        self.assertEqual(lead.touch_count, 2)
        self.assertEqual(lead.unanswered_touches, 0)

    # ------------------------------------------------------------
    # FROM THE LEAD, WITHOUT A PLANNED CALL
    # ------------------------------------------------------------

    @users("user_sales_salesman")
    def test_logged_call_without_activity(self):
        lead = self._lead()
        self._cadence(lead).sudo().unlink()
        self._log("interested", note="Called them on my own")
        message = self._logged_call(lead)
        self.assertEqual(message.mail_activity_type_id, self.call_type)
        self.assertIn("Call logged: Interested", message.body)
        self.assertEqual(message.author_id, self.env.user.partner_id)
        self.assertEqual(self._events(lead).res_id, message.id)
        self.assertEqual(lead.last_contact_date, self.today)

    @users("user_sales_salesman")
    def test_other_activity_done_closes_the_cadence_contact(self):
        lead = self._lead()
        cadence = self._cadence(lead)
        todo = lead.activity_schedule(
            "mail.mail_activity_data_todo", summary="Ask about the budget"
        )
        self._log("interested", context={"default_activity_id": todo.id})
        self.assertFalse(todo.exists())
        self.assertFalse(cadence.exists(), "the contact happened")
        self.assertEqual(len(lead.message_ids.filtered("mail_activity_type_id")), 1)

    @users("user_sales_salesman")
    def test_mark_done_without_outcome_still_works(self):
        """API callers (and old clients) mark a cadence contact done as before: a
        plain activity done, a contact."""
        lead = self._lead()
        self._cadence(lead).action_feedback(feedback="Spoke to the buyer")
        self.assertFalse(self._cadence(lead))
        self.assertEqual(lead.last_contact_date, self.today)
        self.assertEqual(self._events(lead).event_type, "activity_done")

    @users("user_sales_salesman")
    def test_cadence_flag_reaches_the_web_client(self):
        lead = self._lead()
        todo = lead.activity_schedule("mail.mail_activity_data_todo")
        data = (self._cadence(lead) | todo).activity_format()["mail.activity"]
        flags = {row["id"]: row["prospect_cadence"] for row in data}
        self.assertEqual(flags, {self._cadence(lead).id: True, todo.id: False})
        with self.assertRaises(UserError):
            todo.action_prospect_log_outcome()

    # ------------------------------------------------------------
    # BAD INPUT
    # ------------------------------------------------------------

    def _assert_nothing_saved(self, lead, cadence):
        self.assertTrue(cadence.exists(), "still to do")
        self.assertFalse(self._logged_call(lead))
        self.assertFalse(self._events(lead))
        self.assertFalse(lead.need_status)
        self.assertEqual(lead.last_contact_date, self.today - timedelta(days=93))

    @users("user_sales_salesman")
    def test_bad_input_saves_nothing(self):
        lead = self._lead()
        cadence = self._cadence(lead)
        wizard = self.env["prospect.outcome.wizard"].create({"lead_id": lead.id})
        with self.assertRaisesRegex(UserError, "Choose the outcome"):
            wizard.action_confirm()
        wizard.outcome_id = self._shipped("call_again")
        wizard.next_contact_date = self.today - timedelta(days=1)
        with self.assertRaisesRegex(UserError, "cannot be in the past"):
            wizard.action_confirm()
        wizard.next_contact_date = False
        with self.assertRaisesRegex(UserError, "give the date"):
            wizard.action_confirm()
        other = self._open_lead("Another lead", user_id=self.env.uid)
        other_todo = other.activity_schedule("mail.mail_activity_data_todo")
        wizard.write(
            {
                "outcome_id": self._shipped("interested").id,
                "activity_id": other_todo.id,
            }
        )
        with self.assertRaisesRegex(UserError, "another record"):
            wizard.action_confirm()
        self._assert_nothing_saved(lead, cadence)

    @users("user_sales_salesman")
    def test_closed_lead_refused(self):
        lead = self._lead()
        wizard = self.env["prospect.outcome.wizard"].create(
            {"lead_id": lead.id, "outcome_id": self._shipped("interested").id}
        )
        lead.action_set_lost()
        with self.assertRaisesRegex(UserError, "won or lost"):
            wizard.action_confirm()
        self.assertFalse(self._events(lead))
        self.assertFalse(lead.need_status)
        self.assertFalse(self._logged_call(lead))

    # ------------------------------------------------------------
    # ACCESS AND REPORT
    # ------------------------------------------------------------

    def test_report_shows_own_leads_only(self):
        other_lead = self._open_lead(
            "Spare parts for Delta", user_id=self.other_salesman.id
        )
        other_lead.last_contact_date = self.today - timedelta(days=93)
        self._log("no_need", lead=self.lead.with_user(self.user_sales_salesman))
        self._log("interested", lead=other_lead.with_user(self.other_salesman))
        self._log("unreachable", lead=other_lead.with_user(self.other_salesman))
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "prospect_development.action_prospect_call_outcome_report"
        )
        # the leads of this test (the database may hold other outcomes)
        domain = safe_eval(action["domain"]) + [
            ("lead_id", "in", (self.lead | other_lead).ids)
        ]
        Event = self.env["prospect.engagement.event"].with_user(
            self.user_sales_salesman
        )
        groups = Event.read_group(domain, ["points:sum"], ["outcome_id"], lazy=False)
        self.assertEqual(
            [(group["outcome_id"][0], group["__count"]) for group in groups],
            [(self._shipped("no_need").id, 1)],
        )
        others = self.env["prospect.engagement.event"].search(
            [("lead_id", "=", other_lead.id)]
        )
        self.assertEqual(len(others), 2)
        with self.assertRaises(AccessError):
            others.with_user(self.user_sales_salesman).read(["points"])
        manager_groups = (
            self.env["prospect.engagement.event"]
            .with_user(self.user_sales_manager)
            .read_group(domain, [], ["user_id"], lazy=False)
        )
        self.assertEqual(
            {group["user_id"][0]: group["__count"] for group in manager_groups},
            {self.user_sales_salesman.id: 1, self.other_salesman.id: 2},
        )

    def test_salesperson_cannot_log_on_a_lead_of_another(self):
        other_lead = self._open_lead("Not mine", user_id=self.other_salesman.id)
        with self.assertRaises(AccessError):
            self._log("interested", lead=other_lead.with_user(self.user_sales_salesman))
        self.assertFalse(self._events(other_lead))

    @users("user_sales_manager")
    def test_manager_edits_outcomes(self):
        outcome = self._shipped("interested")
        outcome.write({"points": 20, "next_contact_days": 14})
        self.assertEqual(outcome.points, 20)
        custom = self.env["prospect.call.outcome"].create(
            {
                "name": "Asks for a quotation",
                "need_status": "clear",
                "activity_type_id": self.env.ref("mail.mail_activity_data_todo").id,
                "activity_days": 2,
                "points": 20,
            }
        )
        self.assertTrue(custom.answered, "an answer unless told otherwise")

    @users("user_sales_salesman")
    def test_salesperson_reads_outcomes_only(self):
        outcome = self._shipped("interested")
        self.assertEqual(outcome.name, "Interested")
        with self.assertRaises(AccessError):
            outcome.write({"points": 100})
        with self.assertRaises(AccessError):
            self.env["prospect.call.outcome"].create({"name": "Made up"})

    def test_unanswered_outcome_cannot_set_the_need(self):
        with self.assertRaises(UserError):
            self._shipped("unreachable").need_status = "clear"
