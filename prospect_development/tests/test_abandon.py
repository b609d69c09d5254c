from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from .common import ProspectCase


@tagged("post_install", "-at_install")
class TestAbandon(ProspectCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sales_team_1.company_id = False
        cls.lead = cls._open_lead(
            "Endless prospect",
            user_id=cls.user_sales_salesman.id,
            team_id=cls.sales_team_1.id,
            expected_revenue=1000,
            probability=10,
            development_cost_logged=900,
        )

    def _wizard(self, user, reason="Two years of visits, no budget"):
        action = self.lead.with_user(user).action_prospect_abandon()
        form = Form(
            self.env[action["res_model"]]
            .with_user(user)
            .with_context(**action["context"])
        )
        form.reason = reason
        return form.save()

    def test_advice_says_why(self):
        self.env["crm.lead"]._action_prospect_rescore()
        self.assertTrue(self.lead.abandon_recommended)
        self.assertEqual(
            self.lead.abandon_advice,
            "development cost 900 above the expected value 100",
        )

    def test_manager_abandons(self):
        self.lead.last_contact_date = "2020-01-01"
        self.env["prospect.cadence.engine"]._run()
        self.assertTrue(self.lead.activity_ids.filtered("prospect_cadence"))
        self._wizard(self.user_sales_manager).action_confirm()
        self.assertFalse(self.lead.active)
        self.assertEqual(
            self.lead.lost_reason_id,
            self.env.ref("prospect_development.lost_reason_abandoned"),
        )
        self.assertEqual(self.lead.abandon_reason, "Two years of visits, no budget")
        self.assertEqual(self.lead.date_abandoned, self.today)
        self.assertFalse(
            self.lead.activity_ids.filtered("prospect_cadence"),
            "open cadence activities cancelled",
        )
        self.assertEqual(self.lead.probability, 0, "lost")

    def test_salesperson_asks_the_manager(self):
        action = self._wizard(self.user_sales_salesman).action_confirm()
        self.assertEqual(action["params"]["type"], "info")
        self.assertTrue(self.lead.active, "not abandoned by a salesperson")
        request = self.lead.activity_ids.filtered(
            lambda a: a.summary == "Abandonment requested"
        )
        self.assertEqual(request.user_id, self.sales_team_1.user_id)
        self.assertIn("no budget", request.note)

    def test_reason_is_required(self):
        wizard = self.env["prospect.abandon.wizard"].create(
            {"lead_ids": [(6, 0, self.lead.ids)], "reason": "   "}
        )
        with self.assertRaisesRegex(UserError, "Say why"):
            wizard.with_user(self.user_sales_manager).action_confirm()
        self.assertTrue(self.lead.active)

    def test_recycle_brings_back_a_suspect(self):
        self.lead.last_contact_date = "2026-01-01"
        self._wizard(self.user_sales_manager).action_confirm()
        with self.assertRaises(AccessError):
            self.lead.with_user(self.user_sales_salesman).action_prospect_recycle()
        self.lead.with_user(self.user_sales_manager).action_prospect_recycle()
        self.assertTrue(self.lead.active)
        self.assertFalse(self.lead.date_abandoned)
        self.assertFalse(self.lead.lost_reason_id)
        self.assertEqual(self.lead.pyramid_tier, "suspect")
        self.env["crm.lead"]._action_prospect_rescore()
        self.assertEqual(self.lead.pyramid_tier, "suspect")
