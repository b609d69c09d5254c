from datetime import timedelta
from itertools import product
from unittest.mock import patch

from lxml import etree
from psycopg2.errors import UniqueViolation

from odoo import fields
from odoo.tests import tagged, users
from odoo.tools import SQL, mute_logger
from odoo.tools.safe_eval import safe_eval

from .common import ProspectCase, age_records


@tagged("post_install", "-at_install")
class TestCadence(ProspectCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sales_team_1.company_id = False
        cls.engine = cls.env["prospect.cadence.engine"]

    def _due_lead(self, name, days_overdue=3, **values):
        values.setdefault("user_id", self.user_sales_salesman.id)
        lead = self._open_lead(name, **values)
        lead.last_contact_date = self.today - timedelta(days=90 + days_overdue)
        return lead

    def _cadence_activities(self, leads):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "crm.lead"),
                ("res_id", "in", leads.ids),
                ("prospect_cadence", "=", True),
            ]
        )

    def test_one_activity_per_due_lead_never_twice(self):
        due = self._due_lead("Due D lead")
        self.assertEqual(due.prospect_grade, "d")
        self.assertEqual(due.next_contact_date, self.today - timedelta(days=3))
        not_yet = self._open_lead(
            "Contacted yesterday",
            user_id=self.user_sales_salesman.id,
            last_contact_date=self.today - timedelta(days=1),
        )
        self.engine._run()
        activity = self._cadence_activities(due | not_yet)
        self.assertEqual(activity.res_id, due.id)
        self.assertEqual(activity.user_id, self.user_sales_salesman)
        self.assertEqual(activity.date_deadline, due.next_contact_date, "overdue")
        self.assertEqual(
            activity.activity_type_id, self.env.ref("mail.mail_activity_data_email")
        )
        self.assertEqual(
            activity.summary, "Grade D: contact every 90 days; last contact 93 days ago"
        )
        self.assertEqual(self.engine._run(), 0, "running again creates nothing")
        self.assertEqual(len(self._cadence_activities(due)), 1)

    def test_nobody_to_call_for_closed_or_dead_leads(self):
        won = self._due_lead("Won")
        won.stage_id = self.won_stage
        lost = self._due_lead("Lost")
        lost.action_set_lost()
        dead = self._due_lead("Dead", need_status="none")
        self.assertEqual(dead.prospect_grade, "e")
        self.engine._run()
        self.assertFalse(self._cadence_activities(won | lost | dead))

    def test_team_leader_without_salesperson(self):
        lead = self._due_lead("Unassigned", team_id=self.sales_team_1.id)
        lead.user_id = False
        self.engine._run()
        self.assertEqual(
            self._cadence_activities(lead).user_id, self.sales_team_1.user_id
        )

    def test_grade_a_is_a_call_and_summary_when_never_contacted(self):
        lead = self._open_lead(
            "Hot",
            user_id=self.user_sales_salesman.id,
            need_status="clear",
            date_deadline=self.today,
        )
        self.env.cr.execute(
            "UPDATE crm_lead SET create_date = %s WHERE id = %s",
            (fields.Datetime.now() - timedelta(days=10), lead.id),
        )
        lead.invalidate_recordset(["create_date"])
        lead._compute_prospect_rules()
        self.assertEqual(lead.next_contact_date, self.today - timedelta(days=3))
        self.engine._run()
        activity = self._cadence_activities(lead)
        self.assertEqual(
            activity.activity_type_id, self.env.ref("mail.mail_activity_data_call")
        )
        self.assertEqual(
            activity.summary, "Grade A: contact every 7 days; never contacted"
        )

    def test_rules_override_grades_for_tiers_and_key_accounts(self):
        meeting = self.env.ref("mail.mail_activity_data_meeting")
        self.env["prospect.cadence.rule"].create(
            [
                {
                    "sequence": 1,
                    "prospect_grade": "d",
                    "key_account_only": True,
                    "interval_days": 20,
                    "activity_type_id": meeting.id,
                },
                {
                    "sequence": 2,
                    "pyramid_tier": "suspect",
                    "prospect_grade": "d",
                    "interval_days": 60,
                },
            ]
        )
        lead = self._open_lead(
            "Rule", user_id=self.user_sales_salesman.id, last_contact_date=self.today
        )
        self.assertEqual(lead.next_contact_date, self.today + timedelta(days=60))
        lead.with_user(self.user_sales_manager).key_account_colour = "black"
        self.assertEqual(
            lead.next_contact_date, self.today + timedelta(days=20), "follows at once"
        )
        lead.last_contact_date = self.today - timedelta(days=25)
        self.engine._run()
        self.assertEqual(self._cadence_activities(lead).activity_type_id, meeting)
        # the nightly SQL agrees with the form
        before = lead.next_contact_date
        self.env["crm.lead"]._action_prospect_rescore()
        self.assertEqual(lead.next_contact_date, before)

    @users("user_sales_salesman")
    def test_contacts_move_the_cadence_at_once(self):
        lead = self._due_lead("Touched")
        lead = lead.with_user(self.env.user)
        lead.message_post(body="Internal remark", subtype_xmlid="mail.mt_note")
        self.assertEqual(
            lead.last_contact_date,
            self.today - timedelta(days=93),
            "a note is not a contact",
        )
        lead.message_post(
            body="Our offer", message_type="comment", subtype_xmlid="mail.mt_comment"
        )
        self.assertEqual(lead.last_contact_date, self.today)
        self.assertEqual(lead.next_contact_date, self.today + timedelta(days=90))
        self.assertEqual(lead.contact_urgency, "later")

    @users("user_sales_salesman")
    def test_a_contact_is_saved_for_the_night(self):
        """The contact a message records reaches the table with a new write date:
        the night's incremental rescoring sees the lead changed, and nothing of it
        is tracked in the chatter."""
        lead = self._due_lead("Saved").with_user(self.env.user)
        age_records(self.env, ["crm_lead"])
        aged = lead.write_date
        lead.message_post(
            body="Our offer", message_type="comment", subtype_xmlid="mail.mt_comment"
        )
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """SELECT last_contact_date, next_contact_date, contact_urgency,
                          write_date
                     FROM crm_lead WHERE id = %s""",
                lead.id,
            )
        )
        last, planned, urgency, write_date = self.env.cr.fetchone()
        self.assertEqual(
            (last, planned, urgency),
            (self.today, self.today + timedelta(days=90), "later"),
        )
        self.assertGreater(write_date, aged)
        self.assertFalse(lead.sudo().message_ids.tracking_value_ids)

    @users("user_sales_salesman")
    def test_a_contact_reads_the_lead_once(self):
        """A message reads the lead, the cadence's inputs with it, in one query; a
        save that plans nothing anew does not read them at all."""
        lead = self._due_lead("Read once").with_user(self.env.user)
        cadence = {
            name
            for name, field in lead._fields.items()
            if field.prefetch == "prospect_cadence"
        }
        self.assertIn("last_contact_date", cadence)
        fetched = []
        fetch_query = type(lead)._fetch_query

        def spy(model, query, fields):
            if model._name == "crm.lead":
                fetched.append({field.name for field in fields})
            return fetch_query(model, query, fields)

        self.env.invalidate_all()
        with patch.object(type(lead), "_fetch_query", spy):
            lead.message_post(
                body="Our offer",
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
        self.assertEqual(len(fetched), 1, "one query reads the lead")
        self.assertLessEqual(cadence | {"name", "stage_id"}, fetched[0])
        self.assertEqual(lead.next_contact_date, self.today + timedelta(days=90))
        self.flush_tracking()
        self.env.invalidate_all()
        fetched.clear()
        with patch.object(type(lead), "_fetch_query", spy):
            lead.date_deadline = self.today + timedelta(days=200)
            self.flush_tracking()
        self.assertTrue(fetched)
        self.assertFalse(set().union(*fetched) & cadence)

    def test_a_contact_plans_as_the_rules_do(self):
        """A contact, saved as bookkeeping, plans what a save of the last contact
        date plans, for every tier, grade, key account, potential key, agreed date
        and state."""
        Rule = self.env["prospect.cadence.rule"]
        Rule.search([]).sequence = 100
        Rule.create(
            [
                {"sequence": 1, "potential_key_only": True, "interval_days": 11},
                {"sequence": 2, "key_account_only": True, "interval_days": 17},
                {
                    "sequence": 3,
                    "pyramid_tier": "super",
                    "prospect_grade": "a",
                    "interval_days": 5,
                },
                {"sequence": 4, "prospect_grade": "c", "interval_days": 45},
            ]
        )
        grades = {
            "a": {"need_status": "clear", "date_deadline": self.today + timedelta(10)},
            "c": {"need_status": "clear", "date_deadline": self.today + timedelta(150)},
            "e": {"need_status": "none"},
        }
        pairs = []
        for tier, potential, colour, grade, planned, won in product(
            ("super", "small"),
            (False, True),
            (False, "red"),
            grades,
            (False, self.today + timedelta(days=4)),
            (False, True),
        ):
            values = {
                "pyramid_tier": tier,
                "prospect_potential_key": potential,
                "key_account_colour": colour,
                "next_contact_planned": planned,
                "last_contact_date": self.today - timedelta(days=30),
                **grades[grade],
            }
            if won:
                values["stage_id"] = self.won_stage.id
            pairs.append(
                (self._open_lead("Saved", **values), self._open_lead("Met", **values))
            )
        saved = self.env["crm.lead"].concat(*(pair[0] for pair in pairs))
        met = self.env["crm.lead"].concat(*(pair[1] for pair in pairs))
        saved.write({"last_contact_date": self.today})
        met._prospect_register_contact(self.today)
        self.env.invalidate_all()
        planned = {lead.next_contact_date for lead in saved}
        self.assertTrue({False, self.today + timedelta(days=4)} < planned)
        self.assertTrue(
            {self.today + timedelta(days=days) for days in (5, 11, 17, 45)} < planned
        )
        for saved_lead, met_lead in pairs:
            with self.subTest(lead=saved_lead.read(list(values))[0]):
                self.assertEqual(met_lead.last_contact_date, self.today)
                self.assertEqual(
                    (met_lead.next_contact_date, met_lead.contact_urgency),
                    (saved_lead.next_contact_date, saved_lead.contact_urgency),
                )

    def test_activity_done_and_answer_are_contacts(self):
        lead = self._due_lead("Called")
        self.engine._run()
        activity = self._cadence_activities(lead)
        activity.with_user(self.user_sales_salesman).action_feedback(
            feedback="Spoke to the buyer"
        )
        self.assertEqual(lead.last_contact_date, self.today)
        self.assertFalse(self._cadence_activities(lead), "done")
        answered = self._due_lead("Answered")
        answered.partner_id = self._customer("Prospect Co")
        answered.message_post(
            body="Interested",
            message_type="email",
            author_id=answered.partner_id.id,
            subtype_xmlid="mail.mt_comment",
        )
        self.assertEqual(answered.last_contact_date, self.today)

    def test_due_contacts_menu(self):
        """The menu's action and its default filter: my due leads, most overdue
        first, nobody else's."""
        action = self.env.ref("prospect_development.action_prospect_to_contact")
        later = self._due_lead("Mine, due 2 days ago", days_overdue=2)
        first = self._due_lead("Mine, due 9 days ago", days_overdue=9)
        self._due_lead("Mine, not due yet", days_overdue=-20)
        self._due_lead("Colleague's", user_id=self.user_sales_leads.id)
        search_view = self.env.ref("crm.view_crm_case_opportunities_filter")
        arch = etree.fromstring(
            self.env["crm.lead"].get_view(search_view.id, "search")["arch"]
        )
        due_filter = arch.xpath("//filter[@name='prospect_due_for_contact']")[0]
        user = self.user_sales_salesman
        eval_context = {"uid": user.id, "context_today": lambda: self.today}
        domain = safe_eval(action.domain, eval_context) + safe_eval(
            due_filter.get("domain"), {"context_today": lambda: self.today}
        )
        self.assertTrue(
            safe_eval(action.context, eval_context)[
                "search_default_prospect_due_for_contact"
            ]
        )
        list_arch = etree.fromstring(action.view_ids.view_id.arch)
        leads = (
            self.env["crm.lead"]
            .with_user(user)
            .search(
                domain + [("company_id", "=", self.pyramid_company.id)],
                order=list_arch.get("default_order"),
            )
        )
        self.assertEqual(leads, first + later)

    def test_development_cost_adds_touches(self):
        self._set_params(cost_per_touch=25)
        lead = self._due_lead("Costly", development_cost_logged=100)
        self.assertEqual(lead.development_cost, 100)
        for _i in range(3):
            lead.with_user(self.user_sales_salesman).message_post(
                body="Call", message_type="comment", subtype_xmlid="mail.mt_comment"
            )
        self.env["crm.lead"]._action_prospect_rescore()
        self.assertEqual(lead.touch_count, 3)
        self.assertEqual(lead.development_cost, 175)

    def test_the_database_refuses_a_second_cadence_activity(self):
        lead = self._due_lead("Guarded")
        self.engine._run()
        activity = self._cadence_activities(lead)
        with (
            self.assertRaises(UniqueViolation),
            mute_logger("odoo.sql_db"),
            self.cr.savepoint(),
        ):
            activity.copy({"prospect_cadence": True})
            self.env.flush_all()

    def test_summary_in_the_salespersons_language(self):
        """The cron runs as OdooBot; each salesperson reads the reason of the
        contact in their own language."""
        self.env["res.lang"]._activate_lang("zh_CN")
        chinese = self.user_sales_leads
        chinese.lang = "zh_CN"
        self.user_sales_salesman.lang = "en_US"
        english_lead = self._due_lead("English reader")
        chinese_lead = self._due_lead("Chinese reader", user_id=chinese.id)
        never = self._due_lead("Never contacted", user_id=chinese.id)
        never.sudo().last_contact_date = False
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE crm_lead SET create_date = create_date - interval '200 days'"
            " WHERE id = %s",
            (never.id,),
        )
        self.env["prospect.rescore.engine"]._run()
        self.engine.with_user(self.env.ref("base.user_root"))._run()
        summaries = {
            activity.res_id: activity.summary
            for activity in self._cadence_activities(
                english_lead + chinese_lead + never
            )
        }
        self.assertEqual(
            summaries[english_lead.id],
            "Grade D: contact every 90 days; last contact 93 days ago",
        )
        self.assertEqual(
            summaries[chinese_lead.id], "D级：每 90 天联系一次；最近联系为 93 天前"
        )
        self.assertEqual(summaries[never.id], "D级：每 90 天联系一次；从未联系")
