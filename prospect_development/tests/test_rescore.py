from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from odoo.addons.prospect_development.models.prospect_settings import DEFAULTS

from . import reference
from .common import ProspectCase


@tagged("post_install", "-at_install")
class TestRescore(ProspectCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # 40 customers, revenue 40 000 down to 1 000, two of them tied at rank 2
        cls.customers = cls.env["res.partner"].create(
            [{"name": f"Customer {i:02d}", "is_company": True} for i in range(40)]
        )
        revenues = [1000.0 * (40 - i) for i in range(40)]
        revenues[2] = revenues[1]
        cls.revenue_of = dict(zip(cls.customers, revenues, strict=True))
        cls._won_deals(list(cls.revenue_of.items()), days_ago=20)
        # an open opportunity for every customer, raised by one of its contacts
        cls.contacts = cls.env["res.partner"].create(
            [{"name": f"Buyer {p.name}", "parent_id": p.id} for p in cls.customers]
        )
        cls.open_leads = cls.env["crm.lead"].create(
            [
                {
                    "name": f"Next deal {c.name}",
                    "type": "opportunity",
                    "partner_id": c.id,
                    "company_id": cls.pyramid_company.id,
                    "stage_id": cls.open_stage.id,
                }
                for c in cls.contacts
            ]
        )

    def test_tiers_follow_the_pyramid(self):
        self.env["crm.lead"]._action_prospect_rescore()
        settings = dict(DEFAULTS)
        cutoffs = reference.tier_cutoffs(
            40,
            settings["tier_super_pct"],
            settings["tier_large_pct"],
            settings["tier_medium_pct"],
        )
        ranks = reference.rank_revenues({p.id: r for p, r in self.revenue_of.items()})
        for lead in self.open_leads:
            partner = lead.partner_id.commercial_partner_id
            self.assertEqual(
                lead.pyramid_tier,
                reference.revenue_tier(ranks[partner.id], cutoffs),
                f"{lead.name} at rank {ranks[partner.id]}",
            )
            self.assertEqual(lead.pyramid_revenue, self.revenue_of[partner])
        tiers = self.open_leads.mapped("pyramid_tier")
        # n = 40: 1 super, ranks 2-2 large (tied pair: two large), up to 8 medium
        self.assertEqual(tiers.count("super"), 1)
        self.assertEqual(tiers.count("large"), 2)
        self.assertEqual(tiers.count("medium"), 5)
        self.assertEqual(tiers.count("small"), 32)

    def test_leads_of_one_partner_share_the_tier(self):
        self.env["crm.lead"]._action_prospect_rescore()
        best = self.customers[0]
        leads = (
            self.env["crm.lead"]
            .with_context(active_test=False)
            .search([("partner_id", "child_of", best.id)])
        )
        self.assertEqual(len(leads), 2)
        self.assertEqual(set(leads.mapped("pyramid_tier")), {"super"})

    def test_tiers_are_per_company(self):
        other_company = self.env["res.company"].create({"name": "Second Company"})
        small_customer = self.customers[-1]
        self._won_deals([(small_customer, 5.0)], company=other_company)
        lead_other = self.env["crm.lead"].create(
            {
                "name": "Other company lead",
                "partner_id": small_customer.id,
                "company_id": other_company.id,
            }
        )
        self.env["crm.lead"]._action_prospect_rescore()
        self.assertEqual(lead_other.pyramid_tier, "super", "sole customer there")
        self.assertEqual(lead_other.pyramid_revenue, 5.0)
        lead_here = self.open_leads.filtered(
            lambda lead: lead.partner_id.parent_id == small_customer
        )
        self.assertEqual(lead_here.pyramid_tier, "small")

    def test_non_customers(self):
        old_customer = self._customer("Bought long ago")
        self._won_deals([(old_customer, 800.0)], days_ago=500)
        inactive = self._open_lead("Inactive", partner_id=old_customer.id)
        prospect = self._open_lead(
            "Prospect", last_contact_date=self.today - timedelta(days=3)
        )
        suspect = self._open_lead("Suspect")
        other = self._open_lead("Other", need_status="none")
        self.env["crm.lead"]._action_prospect_rescore()
        self.assertEqual(inactive.pyramid_tier, "inactive")
        self.assertEqual(inactive.pyramid_revenue, 0)
        self.assertEqual(prospect.pyramid_tier, "prospect")
        self.assertEqual(suspect.pyramid_tier, "suspect")
        self.assertEqual(other.pyramid_tier, "other")

    def test_settings_are_honoured_and_second_run_writes_nothing(self):
        self._set_params(tier_super_pct=10, tier_large_pct=10, tier_medium_pct=30)
        self.env["crm.lead"]._action_prospect_rescore()
        tiers = self.open_leads.mapped("pyramid_tier")
        self.assertEqual(tiers.count("super"), 4)
        self.assertEqual(self.env["crm.lead"]._action_prospect_rescore(), 0)

    def test_grades_move_with_the_calendar(self):
        lead = self._open_lead(
            "Closing soon",
            need_status="clear",
            date_deadline=self.today + timedelta(days=60),
        )
        self.assertEqual(lead.prospect_grade, "b")
        # 40 days later, the expected closing is 20 days away: grade A, contact due
        self.env.cr.execute(
            "UPDATE crm_lead SET date_deadline = %s, create_date = %s WHERE id = %s",
            (
                self.today + timedelta(days=20),
                fields.Datetime.now() - timedelta(days=40),
                lead.id,
            ),
        )
        self.env["crm.lead"]._action_prospect_rescore()
        self.assertEqual(lead.prospect_grade, "a")
        self.assertEqual(lead.next_contact_date, self.today - timedelta(days=33))
        self.assertEqual(lead.contact_urgency, "urgent")
