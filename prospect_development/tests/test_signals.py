from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged, users

from . import reference
from .common import SequenceCase


@tagged("post_install", "-at_install")
class TestSignals(SequenceCase):
    """Engagement events: the score they make, explained; the hand-off to sales,
    the nurturing and the interest alert they drive."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Event = cls.env["prospect.engagement.event"]
        cls.points = cls.Event._get_rule_points()

    def _signal(self, lead, event_type, days_ago=0, **values):
        return self.Event._record(
            [
                {
                    "lead_id": lead.id,
                    "event_type": event_type,
                    "date": fields.Datetime.now() - timedelta(days=days_ago),
                    **values,
                }
            ]
        )

    def _alerts(self, lead):
        return lead.activity_ids.filtered(
            lambda activity: "interest" in (activity.summary or "")
        )

    # ------------------------------------------------------------
    # SCORE
    # ------------------------------------------------------------

    def test_score_is_the_decayed_sum_of_the_signals(self):
        self._set_params(score_half_life_days=30)
        lead = self._lead()
        self._signal(lead, "link_click")
        self.assertEqual(lead.engagement_score, 8, "moved at once")
        self._signal(lead, "form_submit", days_ago=30)
        self._signal(lead, "reply", days_ago=60)
        # 8 + 30 / 2 + 20 / 4
        self.assertEqual(lead.engagement_score, 28)
        expected = reference.engagement_score(
            [
                (event.points, fields.Date.to_date(event.date))
                for event in lead.prospect_event_ids
            ],
            self.today,
            30,
        )
        self.assertEqual(expected, 28, "the reference agrees")
        self.env["prospect.rescore.engine"]._run()
        self.assertEqual(lead.engagement_score, 28, "the night agrees")
        by_type = {event.event_type: event for event in lead.prospect_event_ids}
        self.assertEqual(by_type["form_submit"].points, 30)
        self.assertAlmostEqual(by_type["form_submit"].points_today, 15.0)
        self.assertAlmostEqual(by_type["reply"].points_today, 5.0)

    def test_score_stays_within_0_and_100(self):
        lead = self._lead()
        self._signal(lead, "opt_out")
        self.assertEqual(self.points["opt_out"], -50)
        self.assertEqual(lead.engagement_score, 0)
        self._signal(lead, "form_submit")
        self.assertEqual(lead.engagement_score, 0, "30 - 50 is still nothing")
        for _i in range(5):
            self._signal(lead, "form_submit")
        self.assertEqual(lead.engagement_score, 100)
        self.env["prospect.rescore.engine"]._run()
        self.assertEqual(lead.engagement_score, 100)

    def test_rule_points_apply_to_new_signals_only(self):
        lead = self._lead()
        self._signal(lead, "page_view")
        self.env.ref("prospect_development.score_rule_page_view").points = 5
        self._signal(lead, "page_view")
        self.assertEqual(
            sorted(lead.prospect_event_ids.mapped("points")), [2, 5], "as earned"
        )
        self.assertEqual(lead.engagement_score, 7)

    def test_same_signal_is_recorded_once(self):
        lead = self._lead()
        first = self._signal(lead, "mail_open", dedup_key="open:42:1")
        again = self._signal(lead, "mail_open", dedup_key="open:42:1")
        self.assertEqual(len(first), 1)
        self.assertFalse(again)
        self.assertEqual(len(lead.prospect_event_ids), 1)
        self.assertEqual(lead.engagement_score, self.points["mail_open"])

    def test_replies_and_activities_are_signals_live_and_caught_up_at_night(self):
        lead = self._lead()
        reply = lead.message_post(
            body="Please call me",
            message_type="email",
            author_id=self.prospect.id,
            subtype_xmlid="mail.mt_comment",
        )
        event = lead.prospect_event_ids
        self.assertEqual(event.event_type, "reply")
        self.assertEqual((event.res_model, event.res_id), ("mail.message", reply.id))
        self.assertEqual(lead.engagement_score, self.points["reply"])
        # a mail imported by a script, without the live hooks
        imported = self.env["mail.message"].create(
            {
                "model": "crm.lead",
                "res_id": lead.id,
                "message_type": "email",
                "author_id": self.prospect.id,
                "body": "Imported",
                "date": fields.Datetime.now() - timedelta(days=1),
            }
        )
        engine = self.env["prospect.rescore.engine"]
        engine._run()
        self.assertEqual(
            lead.prospect_event_ids.filtered(
                lambda e: e.res_id == imported.id
            ).event_type,
            "reply",
        )
        engine._run()
        self.assertEqual(len(lead.prospect_event_ids), 2, "caught up once")
        # an automatic reply is no signal
        self.env["mail.message"].create(
            {
                "model": "crm.lead",
                "res_id": lead.id,
                "message_type": "email",
                "author_id": self.prospect.id,
                "subject": "Out of office",
                "body": "Away",
            }
        )
        engine._run()
        self.assertEqual(len(lead.prospect_event_ids), 2)

    def test_a_signal_makes_a_suspect_a_prospect(self):
        lead = self._lead()
        self.env["prospect.rescore.engine"]._run()
        self.assertEqual(lead.pyramid_tier, "suspect")
        self._signal(lead, "mail_open")
        self.env["prospect.rescore.engine"]._run()
        self.assertEqual(lead.pyramid_tier, "prospect")

    # ------------------------------------------------------------
    # WHY THIS SCORE
    # ------------------------------------------------------------

    @users("user_sales_salesman")
    def test_why_this_score_lists_the_signals_newest_first(self):
        lead = self._lead().with_user(self.env.user)
        self._signal(lead, "reply", days_ago=3)
        self._signal(lead, "link_click", days_ago=1)
        self._signal(lead, "page_view")
        action = lead.action_view_prospect_events()
        self.assertIn(str(lead.engagement_score), action["display_name"])
        events = self.env[action["res_model"]].search(action["domain"])
        self.assertEqual(
            events.mapped("event_type"), ["page_view", "link_click", "reply"]
        )
        self.assertEqual(
            round(sum(events.mapped("points_today"))), lead.engagement_score
        )

    def test_salesperson_sees_the_signals_of_own_leads_only(self):
        mine = self._lead("Mine")
        theirs = self._lead("Theirs", user_id=self.user_sales_leads.id)
        self._signal(mine, "page_view")
        self._signal(theirs, "page_view")
        Event = self.Event.with_user(self.user_sales_salesman)
        self.assertEqual(
            Event.search([("lead_id", "in", (mine | theirs).ids)]).lead_id, mine
        )
        with self.assertRaises(AccessError):
            theirs.prospect_event_ids.with_user(self.user_sales_salesman).read(
                ["points"]
            )
        with self.assertRaises(AccessError):
            mine.prospect_event_ids.with_user(self.user_sales_salesman).unlink()
        manager = self.Event.with_user(self.user_sales_manager)
        self.assertEqual(
            manager.search([("lead_id", "in", (mine | theirs).ids)]).lead_id,
            mine | theirs,
        )

    def test_only_managers_change_the_score_rules(self):
        rule = self.env.ref("prospect_development.score_rule_link_click")
        with self.assertRaises(AccessError):
            rule.with_user(self.user_sales_salesman).points = 50
        rule.with_user(self.user_sales_manager).points = 12
        self.assertEqual(rule.points, 12)

    # ------------------------------------------------------------
    # HAND-OFF AND NURTURING
    # ------------------------------------------------------------

    def test_threshold_hands_over_once_and_ends_nurturing(self):
        self._set_params(score_threshold=40)
        self.sequence.is_nurture = True
        lead = self._lead()
        enrollment = self._enrol(lead)
        self._signal(lead, "reply")
        self.assertFalse(lead.date_sales_ready)
        self.assertEqual(enrollment.state, "running")
        self._signal(lead, "feedback")
        self.assertEqual(lead.engagement_score, 45)
        self.assertEqual(lead.date_sales_ready, self.today)
        self.assertEqual(enrollment.state, "stopped")
        self.assertEqual(enrollment.stop_reason, "sales_ready")
        todo = lead.activity_ids.filtered(lambda a: "Sales-ready" in a.summary)
        self.assertEqual(todo.user_id, self.user_sales_salesman)
        self._signal(lead, "reply")
        self.assertEqual(
            len(lead.activity_ids.filtered(lambda a: "Sales-ready" in a.summary)), 1
        )

    def test_threshold_leaves_other_sequences_running(self):
        self._set_params(score_threshold=20)
        lead = self._lead()
        enrollment = self._enrol(lead)
        self._signal(lead, "feedback")
        self.assertEqual(lead.date_sales_ready, self.today)
        self.assertEqual(enrollment.state, "running", "not a nurturing sequence")

    def test_nurturing_takes_cold_leads_and_takes_them_back_when_they_cool(self):
        self._set_params(score_threshold=40, score_half_life_days=10)
        self.sequence.write(
            {
                "is_nurture": True,
                "auto_enroll": True,
                "enroll_domain": f"[('team_id', '=', {self.sales_team_1.id})]",
            }
        )
        cold = self._lead("Cold")
        warm = self._lead("Warm")
        self._signal(warm, "form_submit")
        self._signal(warm, "reply")
        self.assertGreaterEqual(warm.engagement_score, 40)
        self.Enrollment._action_enroll_by_rules()
        enrolled = self.Enrollment.search(
            [
                ("sequence_id", "=", self.sequence.id),
                ("lead_id", "in", (cold | warm).ids),
            ]
        )
        self.assertEqual(enrolled.lead_id, cold, "only leads under the threshold")
        # the cold lead warms up: it leaves the nurturing for sales
        self._signal(cold, "form_submit")
        self._signal(cold, "feedback")
        self.assertEqual(enrolled.state, "stopped")
        self.assertEqual(enrolled.stop_reason, "sales_ready")
        # a month of silence: the score falls under the threshold, nurtured again
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE prospect_engagement_event SET date = date - interval '30 days'"
            " WHERE lead_id = %s",
            (cold.id,),
        )
        self.env["prospect.rescore.engine"]._run()
        self.assertLess(cold.engagement_score, 40)
        self.Enrollment._action_enroll_by_rules()
        again = self.Enrollment.search(
            [("lead_id", "=", cold.id), ("state", "=", "running")]
        )
        self.assertEqual(again.sequence_id, self.sequence)
        # warm again at night (a meeting held): out of nurturing, no second to-do
        self._signal(cold, "form_submit")
        self._signal(cold, "reply")
        self.assertEqual(again.stop_reason, "sales_ready")
        todos = cold.activity_ids.filtered(lambda a: "Sales-ready" in a.summary)
        self.assertEqual(len(todos), 1, "handed to sales once")

    def test_nightly_run_ends_nurturing_of_leads_over_the_threshold(self):
        self._set_params(score_threshold=30)
        self.sequence.is_nurture = True
        lead = self._lead()
        enrollment = self._enrol(lead)
        self.env.flush_all()
        # a score raised outside the live hooks (an import)
        self.env.cr.execute(
            "UPDATE crm_lead SET engagement_score = 35 WHERE id = %s", (lead.id,)
        )
        self.Enrollment._action_enroll_by_rules()
        enrollment.invalidate_recordset()
        self.assertEqual(enrollment.stop_reason, "sales_ready")

    # ------------------------------------------------------------
    # INTEREST ALERT
    # ------------------------------------------------------------

    def test_a_burst_of_interest_alerts_the_salesperson_once(self):
        self._set_params(burst_events=3, burst_hours=24, score_threshold=100)
        lead = self._lead()
        self._signal(lead, "mail_open", days_ago=2)  # outside the window
        self._signal(lead, "mail_open")
        self._signal(lead, "activity_done")  # the salesperson's, not the prospect's
        self._signal(lead, "link_click")
        self.assertFalse(self._alerts(lead))
        self.assertFalse(lead.date_interest_alert)
        self._signal(lead, "page_view")
        alert = self._alerts(lead)
        self.assertEqual(len(alert), 1)
        self.assertEqual(alert.user_id, self.user_sales_salesman)
        self.assertEqual(alert.date_deadline, self.today)
        self.assertIn("3 signals within 24 hours", alert.summary)
        notified = lead.message_ids.filtered(
            lambda m: self.user_sales_salesman.partner_id in m.partner_ids
        )
        self.assertEqual(len(notified), 1, "a Discuss notification")
        self.assertTrue(notified.notification_ids)
        for _i in range(3):
            self._signal(lead, "page_view")
        self.assertEqual(len(self._alerts(lead)), 1, "once per burst")

    def test_a_hot_page_alerts_at_once(self):
        self._set_params(burst_events=3, score_threshold=100)
        lead = self._lead()
        self._signal(lead, "page_view", is_hot=True, description="/pricing")
        alert = self._alerts(lead)
        self.assertEqual(len(alert), 1)
        self.assertIn("/pricing", alert.summary)

    def test_no_alert_on_closed_leads(self):
        self._set_params(burst_events=1, score_threshold=100)
        lead = self._lead()
        lead.action_set_lost()
        self._signal(lead, "link_click")
        self.assertFalse(lead.date_interest_alert)

    def test_burst_settings_are_validated(self):
        settings = Form(self.env["res.config.settings"])
        settings.prospect_burst_events = 0
        with self.assertRaises(UserError):
            settings.save().execute()
        self.assertEqual(self.env["prospect.settings"]._get()["burst_events"], 3)

    # ------------------------------------------------------------
    # AGREED NEXT CONTACT
    # ------------------------------------------------------------

    def test_an_agreed_date_wins_until_it_is_reached(self):
        lead = self._lead()
        lead.write({"need_status": "clear"})
        last = lead.last_contact_date or lead.create_date.date()
        agreed = self.today + timedelta(days=45)
        lead.next_contact_planned = agreed
        self.assertEqual(lead.next_contact_date, agreed)
        self.env["prospect.rescore.engine"]._run()
        self.assertEqual(lead.next_contact_date, agreed, "the night agrees")
        self.assertEqual(reference.next_contact_date(last, None, 90, agreed), agreed)
        # a contact after the agreed date: the cadence takes over again
        lead.sudo().last_contact_date = agreed + timedelta(days=1)
        self.assertEqual(lead.next_contact_date, agreed + timedelta(days=91))
