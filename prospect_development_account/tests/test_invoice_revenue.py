from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.addons.prospect_development.tests.common import age_records


@tagged("post_install", "-at_install")
class TestInvoiceRevenue(AccountTestInvoicingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].set_param(
            "prospect_development.revenue_source", "invoices"
        )
        cls.today = fields.Date.context_today(cls.env["crm.lead"])
        cls.whale, cls.refunded, cls.dealer = cls.env["res.partner"].create(
            [
                {"name": name, "is_company": True}
                for name in ("Whale Industries", "Refunded Ltd", "Won Deal Only")
            ]
        )
        # far above anything else in the company: the top of the pyramid
        cls.init_invoice(
            "out_invoice", cls.whale, cls.today, post=True, amounts=[900_000_000.0]
        )
        cls.init_invoice(
            "out_refund", cls.whale, cls.today, post=True, amounts=[100_000_000.0]
        )
        # bought two years ago; this year's invoice fully refunded: inactive
        cls.init_invoice(
            "out_invoice",
            cls.refunded,
            cls.today - timedelta(days=700),
            post=True,
            amounts=[500.0],
        )
        cls.init_invoice(
            "out_invoice", cls.refunded, cls.today, post=True, amounts=[800.0]
        )
        cls.init_invoice(
            "out_refund", cls.refunded, cls.today, post=True, amounts=[800.0]
        )
        # a draft invoice counts for nothing
        cls.init_invoice("out_invoice", cls.dealer, cls.today, amounts=[5000.0])
        won_stage = cls.env["crm.stage"].create({"name": "Won", "is_won": True})
        cls.env["crm.lead"].create(
            {
                "name": "Won but never invoiced",
                "partner_id": cls.dealer.id,
                "type": "opportunity",
                "expected_revenue": 7000,
                "stage_id": won_stage.id,
            }
        )
        cls.leads = cls.env["crm.lead"].create(
            [
                {"name": f"Next deal {partner.name}", "partner_id": partner.id}
                for partner in (cls.whale, cls.refunded, cls.dealer)
            ]
        )

    def test_pyramid_from_posted_invoices_net_of_refunds(self):
        self.env["crm.lead"]._action_prospect_rescore()
        whale, refunded, dealer = self.leads
        self.assertEqual(whale.pyramid_tier, "super")
        self.assertEqual(whale.pyramid_revenue, 800_000_000.0)
        self.assertEqual(refunded.pyramid_tier, "inactive")
        self.assertEqual(refunded.pyramid_revenue, 0.0)
        self.assertEqual(dealer.pyramid_tier, "suspect", "no posted invoice")

    def test_won_opportunities_when_chosen(self):
        self.env["ir.config_parameter"].set_param(
            "prospect_development.revenue_source", "won"
        )
        self.env["crm.lead"]._action_prospect_rescore()
        whale, _refunded, dealer = self.leads
        self.assertEqual(dealer.pyramid_revenue, 7000.0)
        self.assertEqual(whale.pyramid_tier, "suspect", "no won opportunity")

    def test_settings_offer_the_invoice_source(self):
        field = self.env["res.config.settings"]._fields["prospect_revenue_source"]
        self.assertIn("invoices", dict(field.selection))

    def test_slipping_measured_on_invoices(self):
        slipping = self.env["res.partner"].create(
            {"name": "Slipping Invoices", "is_company": True}
        )
        for days_ago in (100, 130, 160):
            self.init_invoice(
                "out_invoice",
                slipping,
                self.today - timedelta(days=days_ago),
                post=True,
                amounts=[1000.0],
            )
        # a refund is no purchase
        self.init_invoice(
            "out_refund",
            slipping,
            self.today - timedelta(days=10),
            post=True,
            amounts=[10.0],
        )
        lead = self.env["crm.lead"].create(
            {
                "name": "Key account",
                "partner_id": slipping.id,
                "key_account_colour": "red",
            }
        )
        self.env["crm.lead"]._action_prospect_rescore()
        self.assertEqual(lead.prospect_last_purchase, self.today - timedelta(days=100))
        self.assertEqual(lead.prospect_usual_interval, 30)
        self.assertTrue(lead.prospect_at_risk)
        # an invoice today ends the episode
        self.init_invoice(
            "out_invoice", slipping, self.today, post=True, amounts=[1000.0]
        )
        self.env["crm.lead"]._action_prospect_rescore()
        self.assertFalse(lead.prospect_at_risk)

    def test_incremental_night_follows_the_invoices(self):
        """A night after a completed run reads the invoices saved since: one
        posted, one reset to draft; it leaves the leads as a full pass would."""
        engine = self.env["prospect.rescore.engine"]
        engine._run()
        # everything so far looks saved before the last run
        age_records(
            self.env, ("crm_lead", "res_partner", "account_move", "mail_message")
        )
        engine.with_context(prospect_rescore_full=True)._run()
        dealer_invoice = self.env["account.move"].search(
            [("partner_id", "=", self.dealer.id), ("state", "=", "draft")]
        )
        dealer_invoice.action_post()
        refunded_invoice = self.env["account.move"].search(
            [
                ("partner_id", "=", self.refunded.id),
                ("move_type", "=", "out_refund"),
            ]
        )
        refunded_invoice.button_draft()
        engine._run()
        self.env.cr.execute("SELECT state->>'full' FROM prospect_rescore_state")
        self.assertEqual(self.env.cr.fetchone()[0], "false", "an incremental night")
        whale, refunded, dealer = self.leads
        self.assertEqual(dealer.pyramid_revenue, 5000.0)
        self.assertEqual(refunded.pyramid_revenue, 800.0)
        self.assertEqual(
            engine.with_context(prospect_rescore_full=True)._run(),
            0,
            "the full pass finds nothing left to write",
        )
