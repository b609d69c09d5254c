from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import ProspectCase


@tagged("post_install", "-at_install")
class TestProspectSecurity(ProspectCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # three customers: ranks 1, 2, 3 are super, large, medium
        params = cls.env["ir.config_parameter"]
        params.set_param("prospect_development.tier_super_pct", 30)
        params.set_param("prospect_development.tier_large_pct", 30)
        params.set_param("prospect_development.tier_medium_pct", 40)
        cls.customers = cls.env["res.partner"].create(
            [{"name": f"Secured {i}", "is_company": True} for i in range(3)]
        )
        cls._won_deals([(p, 1000.0 * (i + 1)) for i, p in enumerate(cls.customers)])
        cls.own, cls.colleague, cls.unassigned = cls.env["crm.lead"].create(
            [
                {
                    "name": name,
                    "partner_id": partner.id,
                    "user_id": user.id,
                    "company_id": cls.pyramid_company.id,
                    "stage_id": cls.open_stage.id,
                }
                for name, partner, user in (
                    ("Own", cls.customers[0], cls.user_sales_salesman),
                    ("Colleague", cls.customers[1], cls.user_sales_leads),
                    ("Unassigned", cls.customers[2], cls.env["res.users"]),
                )
            ]
        )
        cls.env["crm.lead"]._action_prospect_rescore()
        # a new big deal makes the medium customer super: every lead moves
        cls._won_deals([(cls.customers[0], 10000.0)])
        cls.env["crm.lead"]._action_prospect_rescore()
        cls.history = cls.env["prospect.lead.history"].search(
            [("lead_id", "in", (cls.own | cls.colleague | cls.unassigned).ids)]
        )

    def test_history_follows_the_lead_rules(self):
        self.assertEqual(len(self.history.lead_id), 3, "every lead moved")
        History = self.env["prospect.lead.history"]
        own_only = History.with_user(self.user_sales_salesman).search(
            [("id", "in", self.history.ids)]
        )
        self.assertEqual(own_only.lead_id, self.own | self.unassigned)
        all_leads = History.with_user(self.user_sales_leads).search(
            [("id", "in", self.history.ids)]
        )
        self.assertEqual(all_leads, self.history)
        manager = History.with_user(self.user_sales_manager).search(
            [("id", "in", self.history.ids)]
        )
        self.assertEqual(manager, self.history)

    def test_history_of_another_company_is_hidden(self):
        self.user_sales_leads.company_ids -= self.pyramid_company
        self.assertFalse(
            self.env["prospect.lead.history"]
            .with_user(self.user_sales_leads)
            .search([("id", "in", self.history.ids)])
        )

    def test_nobody_edits_history_by_hand(self):
        for user in (self.user_sales_salesman, self.user_sales_manager):
            with self.assertRaises(AccessError):
                self.history.with_user(user).write({"new_value": "super"})
            with self.assertRaises(AccessError):
                self.env["prospect.lead.history"].with_user(user).create(
                    {"lead_id": self.own.id, "date": "2026-01-01", "kind": "tier"}
                )

    def test_scheduled_action_rescores(self):
        cron = self.env.ref("prospect_development.ir_cron_prospect_rescore")
        self.assertEqual(cron.interval_type, "days")
        self.own.need_status = "none"
        lead = self.env["crm.lead"].create(
            {
                "name": "New lead of the best customer",
                "partner_id": self.customers[0].id,
                "company_id": self.pyramid_company.id,
            }
        )
        self.assertEqual(lead.pyramid_tier, "suspect")
        cron.method_direct_trigger()
        self.assertEqual(lead.pyramid_tier, "super")
        self.assertEqual(lead.pyramid_revenue, 11000.0)
