from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, tagged

from odoo.addons.mail.tests.common import mail_new_test_user


@tagged("post_install", "-at_install")
class TestProspectUi(HttpCase):
    def test_grade_badge_follows_need_and_closing_date(self):
        salesman = mail_new_test_user(
            self.env,
            login="pd_tour_salesman",
            name="Tour Salesman",
            groups="sales_team.group_sale_salesman",
            tz="UTC",
        )
        lead = self.env["crm.lead"].create(
            {
                "name": "Tour opportunity: packaging line",
                "type": "opportunity",
                "user_id": salesman.id,
                "expected_revenue": 25000,
            }
        )
        self.assertEqual(lead.prospect_grade, "d")
        self.start_tour(
            f"/odoo/action-crm.crm_lead_action_pipeline/{lead.id}",
            "prospect_development_grade_tour",
            login="pd_tour_salesman",
        )
        self.assertEqual(lead.need_status, "clear")
        self.assertEqual(lead.date_deadline, fields.Date.today() + timedelta(days=10))
        self.assertEqual(lead.prospect_grade, "a")

    def test_salesperson_works_through_due_contacts(self):
        salesman = mail_new_test_user(
            self.env,
            login="pd_cadence_salesman",
            name="Cadence Salesman",
            groups="sales_team.group_sale_salesman",
            tz="UTC",
        )
        today = fields.Date.today()
        hot, routine = self.env["crm.lead"].create(
            [
                {
                    "name": "Tour: packaging line",
                    "type": "opportunity",
                    "user_id": salesman.id,
                    "need_status": "clear",
                    "date_deadline": today + timedelta(days=10),
                },
                {
                    "name": "Tour: spare parts",
                    "type": "opportunity",
                    "user_id": salesman.id,
                },
            ]
        )
        hot.last_contact_date = today - timedelta(days=12)  # A: due 5 days ago
        routine.last_contact_date = today - timedelta(days=92)  # D: due 2 days ago
        self.env["crm.lead"]._cron_prospect_cadence()
        self.assertEqual(len(hot.activity_ids), 1)
        self.start_tour(
            "/odoo", "prospect_development_cadence_tour", login="pd_cadence_salesman"
        )
        self.assertEqual(hot.last_contact_date, today)
        self.assertEqual(hot.next_contact_date, today + timedelta(days=7))
        self.assertFalse(hot.activity_ids)
        self.assertEqual(len(routine.activity_ids), 1, "still to do")

    def test_manager_plans_a_visit_to_a_slipping_key_account(self):
        manager = mail_new_test_user(
            self.env,
            login="pd_risk_manager",
            name="Risk Manager",
            groups="sales_team.group_sale_manager",
            tz="UTC",
        )
        won = self.env["crm.stage"].create(
            {"name": "Tour Won", "is_won": True, "sequence": 999}
        )
        now = fields.Datetime.now()
        leads = self.env["crm.lead"]
        for name, revenue in (
            ("Tour Whale Trading", 5_000_000),
            ("Tour Minnow Supplies", 9000),
        ):
            customer = self.env["res.partner"].create(
                {"name": name, "is_company": True}
            )
            for days_ago in (100, 130, 160):
                deal = self.env["crm.lead"].create(
                    {
                        "name": f"{name} order",
                        "type": "opportunity",
                        "partner_id": customer.id,
                        "expected_revenue": revenue,
                        "user_id": manager.id,
                    }
                )
                deal.stage_id = won
                deal.date_closed = now - timedelta(days=days_ago)
            leads |= self.env["crm.lead"].create(
                {
                    "name": f"{name}: next order",
                    "type": "opportunity",
                    "partner_id": customer.id,
                    "user_id": manager.id,
                    "key_account_colour": "red",
                }
            )
        self.env["prospect.rescore.engine"]._run()
        self.assertTrue(all(leads.mapped("prospect_at_risk")))
        self.start_tour(
            "/odoo", "prospect_development_at_risk_tour", login="pd_risk_manager"
        )
        visit = self.env["mail.activity"].search(
            [
                ("res_model", "=", "crm.lead"),
                ("summary", "=", "Visit Tour Whale Trading"),
            ]
        )
        self.assertEqual(
            visit.activity_type_id, self.env.ref("mail.mail_activity_data_meeting")
        )
        self.assertEqual(visit.user_id, manager)
        self.assertEqual(visit.date_deadline, fields.Date.today() + timedelta(days=2))
