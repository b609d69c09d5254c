from datetime import timedelta

from odoo import fields
from odoo.tests import tagged, users

from .common import ProspectCase, SequenceCase
from .test_tier_report import read_workbook, records, rows


@tagged("post_install", "-at_install")
class TestKeyAccounts(ProspectCase):
    """Potential key customers, slipping key accounts, decision makers, referrals."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.engine = cls.env["prospect.rescore.engine"]
        # ten customers of 100 ... 1,000: one super, two large, ten in all
        cls.customers = [
            cls._customer(f"Customer {index:02d}") for index in range(1, 11)
        ]
        cls._won_deals(
            [
                (partner, 100 * index)
                for index, partner in enumerate(cls.customers, start=1)
            ]
        )
        cls.newcomer = cls._customer("Newcomer Holdings")
        cls.competitor_reason = cls.env.ref(
            "prospect_development.lost_reason_competitor"
        )

    def setUp(self):
        super().setUp()
        self._set_params(tier_super_pct=10, tier_large_pct=20, tier_medium_pct=30)

    def _opportunity(self, partner, expected, probability, **values):
        lead = self._open_lead(
            f"Pipeline {partner.name}",
            partner_id=partner.id,
            expected_revenue=expected,
            user_id=self.user_sales_salesman.id,
            team_id=self.sales_team_1.id,
            **values,
        )
        lead.write({"probability": probability})
        return lead

    def _todos(self, lead, text):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "crm.lead"),
                ("res_id", "in", self._customer_leads(lead).ids),
                ("summary", "ilike", text),
            ]
        )

    def _customer_leads(self, lead):
        return (
            self.env["crm.lead"]
            .with_context(active_test=False)
            .search(
                [
                    (
                        "partner_id.commercial_partner_id",
                        "=",
                        lead.partner_id.commercial_partner_id.id,
                    ),
                    ("company_id", "=", lead.company_id.id),
                ]
            )
        )

    # ------------------------------------------------------------
    # POTENTIAL KEY CUSTOMERS
    # ------------------------------------------------------------

    def test_pipeline_projected_on_the_same_ranking(self):
        # weighted 1,500 x 60 % = 900: ties with customer 9, ranks 2 of 10: large
        lead = self._opportunity(self.newcomer, 1500, 60)
        self.engine._run()
        self.assertEqual(lead.pyramid_tier, "suspect")
        self.assertEqual(lead.pyramid_projected_tier, "large")
        self.assertTrue(lead.prospect_potential_key)
        self.assertEqual(lead.prospect_projected_rank, 2)
        self.assertEqual(
            lead.prospect_potential_key_reason,
            "Weighted open pipeline 900 would rank it 2 of 10 customers",
        )
        # 1,001 x 100 % is more than anyone: super
        lead.write({"expected_revenue": 1001, "probability": 100})
        self.engine._run()
        self.assertEqual(lead.pyramid_projected_tier, "super")
        self.assertEqual(lead.prospect_projected_rank, 1)
        # 799: rank 4, medium: no longer a potential key customer
        lead.write({"expected_revenue": 799})
        self.engine._run()
        self.assertEqual(lead.pyramid_projected_tier, "medium")
        self.assertFalse(lead.prospect_potential_key)

    def test_a_customer_adds_its_pipeline_to_its_revenue(self):
        # customer 5 (500) with 300 weighted: 800 ties with customer 8 -> rank 3
        small = self.customers[4]
        lead = self._opportunity(small, 600, 50)
        self.engine._run()
        self.assertEqual(lead.pyramid_tier, "medium")
        self.assertEqual(lead.pyramid_projected_tier, "large")
        self.assertTrue(lead.prospect_potential_key)
        # every lead of the customer carries it
        self.assertTrue(
            all(
                self._customer_leads(lead)
                .filtered("active")
                .mapped("prospect_potential_key")
            )
        )
        # a large customer is never a potential one
        large = self._opportunity(self.customers[8], 5000, 90)
        self.engine._run()
        self.assertEqual(large.pyramid_projected_tier, "super")
        self.assertFalse(large.prospect_potential_key)

    def test_lost_and_won_deals_are_no_pipeline(self):
        lost = self._opportunity(self.newcomer, 5000, 80)
        lost.action_set_lost()
        won = self._opportunity(self._customer("Just Won"), 50, 50)
        won.write({"stage_id": self.won_stage.id})
        self.engine._run()
        self.assertFalse(lost.prospect_potential_key)
        self.assertNotEqual(lost.pyramid_projected_tier, "super")
        self.assertEqual(won.pyramid_projected_tier, won.pyramid_tier)

    def test_projection_is_per_company(self):
        other_company = self.env["res.company"].create({"name": "Other Company"})
        self.user_sales_salesman.company_ids |= other_company
        lead = self._opportunity(self.newcomer, 2000, 100)
        elsewhere = self._opportunity(
            self.newcomer, 10, 10, company_id=other_company.id
        )
        self.engine._run()
        self.assertEqual(lead.pyramid_projected_tier, "super")
        self.assertFalse(elsewhere.prospect_potential_key, "no pipeline there")
        self.assertNotEqual(elsewhere.pyramid_projected_tier, "super")

    def test_team_leader_decides_once_per_customer(self):
        self.sales_team_1.user_id = self.user_sales_manager
        first = self._opportunity(self.newcomer, 1500, 60)
        second = self._opportunity(self.newcomer, 100, 10)
        self.engine._run()
        todo = self._todos(first, "Potential key customer")
        self.assertEqual(len(todo), 1, "one to-do for the customer")
        self.assertEqual(todo.user_id, self.user_sales_manager)
        self.assertEqual(todo.res_id, second.id, "on the customer's latest lead")
        self.engine._run()
        second.write({"probability": 5})
        self.engine._run()
        self.assertEqual(len(self._todos(first, "Potential key customer")), 1)

    def test_potential_key_customers_have_their_own_cadence(self):
        self.env["prospect.cadence.rule"].create(
            {"potential_key_only": True, "interval_days": 3}
        )
        lead = self._opportunity(self.newcomer, 1500, 60)
        self.engine._run()
        start = lead.last_contact_date or lead.create_date.date()
        self.assertEqual(lead.next_contact_date, start + timedelta(days=3))
        lead.write({"probability": 1})
        self.engine._run()
        self.assertNotEqual(lead.next_contact_date, start + timedelta(days=3))

    # ------------------------------------------------------------
    # AT RISK
    # ------------------------------------------------------------

    def _buyer(self, name, days_ago_list, revenue=5000):
        """A customer buying ``revenue`` on each of those days: the biggest."""
        partner = self._customer(name)
        for days_ago in days_ago_list:
            self._won_deals([(partner, revenue)], days_ago=days_ago)
        return partner

    def test_silent_for_longer_than_usual(self):
        self._set_params(risk_recency_factor=2.0)
        # every 30 days; the last 60 days ago: at the limit, not yet
        partner = self._buyer("Regular Buyer", [60, 90, 120, 150])
        lead = self._opportunity(partner, 100, 10)
        self.engine._run()
        self.assertEqual(lead.pyramid_tier, "super")
        self.assertEqual(lead.prospect_usual_interval, 30)
        self.assertFalse(lead.prospect_at_risk)
        # a day later it is
        later = fields.Datetime.now() + timedelta(days=1)
        self.engine.with_context(prospect_now=later)._run()
        self.assertTrue(lead.prospect_at_risk)
        self.assertEqual(lead.prospect_at_risk_since, self.today + timedelta(days=1))
        self.assertIn(
            "no purchase for",
            lead.with_context(prospect_now=later).prospect_at_risk_reason,
        )

    def test_episode_opens_once_and_closes_on_the_next_purchase(self):
        partner = self._buyer("Slipping Buyer", [100, 130, 160])
        lead = self._opportunity(partner, 100, 10)
        self.engine._run()
        self.assertTrue(lead.prospect_at_risk)
        todo = self._todos(lead, "Key account at risk")
        self.assertEqual(len(todo), 1)
        self.assertEqual(todo.user_id, self.user_sales_salesman)
        self.assertIn("no purchase for 100 days (usually every 30)", todo.note)
        self.engine._run()
        self.assertEqual(len(self._todos(lead, "Key account at risk")), 1)
        # it buys again: the episode is over
        self._won_deals([(partner, 5000)], days_ago=0)
        self.engine._run()
        self.assertFalse(lead.prospect_at_risk)
        self.assertFalse(lead.prospect_at_risk_since)

    def test_falling_revenue(self):
        self._set_params(risk_revenue_drop_pct=30, lookback_days=365)
        partner = self._customer("Shrinking Buyer")
        self._won_deals([(partner, 10_000)], days_ago=400)
        self._won_deals([(partner, 7_000)], days_ago=20)
        lead = self._opportunity(partner, 100, 10)
        self.engine._run()
        self.assertFalse(lead.prospect_at_risk, "30 % down: at the limit")
        self._won_deals([(partner, -1)], days_ago=10)
        self.engine._run()
        self.assertTrue(lead.prospect_at_risk)
        self.assertIn("revenue down 30%", lead.prospect_at_risk_reason)

    def test_only_watched_customers_are_at_risk(self):
        partner = self._customer("Small Buyer")
        self._won_deals([(partner, 10)], days_ago=100)
        self._won_deals([(partner, 10)], days_ago=130)
        lead = self._opportunity(partner, 100, 10)
        self.engine._run()
        self.assertEqual(lead.pyramid_tier, "small")
        self.assertFalse(lead.prospect_at_risk)
        # unless it is a key account
        lead.key_account_colour = "red"
        self.engine._run()
        self.assertTrue(lead.prospect_at_risk)

    def test_a_deal_lost_to_a_competitor_puts_it_at_risk_at_once(self):
        partner = self._buyer("Loyal Buyer", [5, 35])
        lead = self._opportunity(partner, 100, 10)
        other = self._opportunity(partner, 800, 30)
        self.engine._run()
        self.assertFalse(lead.prospect_at_risk)
        other.with_user(self.user_sales_salesman).action_set_lost(
            lost_reason_id=self.competitor_reason.id
        )
        self.assertTrue(lead.prospect_at_risk, "at once, not the next night")
        self.assertEqual(len(self._todos(lead, "Key account at risk")), 1)
        self.engine._run()
        self.assertTrue(lead.prospect_at_risk, "the night agrees")
        self.assertIn("lost to a competitor", lead.prospect_at_risk_reason)
        self.assertEqual(len(self._todos(lead, "Key account at risk")), 1)
        # a small customer's loss is no alarm
        small = self._customer("Small One")
        self._won_deals([(small, 10)], days_ago=5)
        small_lead = self._opportunity(small, 10, 10)
        self.engine._run()
        small_lead.action_set_lost(lost_reason_id=self.competitor_reason.id)
        self.assertFalse(small_lead.prospect_at_risk)

    def test_a_reason_marked_competitor_counts_from_the_next_loss(self):
        partner = self._buyer("Fickle Buyer", [5, 35])
        lead = self._opportunity(partner, 100, 10)
        first, second = (self._opportunity(partner, 800, 30) for _index in range(2))
        self.engine._run()
        price = self.env["crm.lost.reason"].create({"name": "Cheaper elsewhere"})
        first.action_set_lost(lost_reason_id=price.id)
        self.assertFalse(lead.prospect_at_risk)
        price.prospect_competitor = True
        second.action_set_lost(lost_reason_id=price.id)
        self.assertTrue(lead.prospect_at_risk)

    def test_salesperson_sees_the_risk_of_own_customers_only(self):
        mine = self._opportunity(self._buyer("Mine", [100, 130]), 10, 10)
        theirs = self._opportunity(
            self._buyer("Theirs", [100, 130]),
            10,
            10,
        )
        theirs.user_id = self.user_sales_leads
        self.engine._run()
        domain = [("prospect_at_risk", "=", True), ("id", "in", (mine | theirs).ids)]
        Lead = self.env["crm.lead"]
        self.assertEqual(Lead.with_user(self.user_sales_salesman).search(domain), mine)
        self.assertEqual(
            Lead.with_user(self.user_sales_manager).search(domain), mine | theirs
        )

    # ------------------------------------------------------------
    # DECISION MAKERS AND REFERRALS
    # ------------------------------------------------------------

    @users("user_sales_salesman")
    def test_big_opportunities_without_decision_maker_are_flagged(self):
        partner = self.customers[9].with_user(self.env.user)
        contact = self.env["res.partner"].create(
            {"name": "Buyer of Customer 10", "parent_id": partner.id}
        )
        lead = self._opportunity(contact, 100, 10).with_user(self.env.user)
        self.engine.sudo()._run()
        self.assertEqual(lead.pyramid_tier, "super")
        self.assertTrue(lead.prospect_needs_decision_maker)
        flagged = [("prospect_needs_decision_maker", "=", True)]
        self.assertIn(lead, self.env["crm.lead"].search(flagged))
        boss = self.env["res.partner"].create(
            {
                "name": "CEO of Customer 10",
                "parent_id": partner.id,
                "prospect_contact_role": "decision_maker",
            }
        )
        lead.invalidate_recordset()
        self.assertEqual(lead.prospect_decision_maker_id, boss)
        self.assertFalse(lead.prospect_needs_decision_maker)
        self.assertNotIn(lead, self.env["crm.lead"].search(flagged))
        # the role is edited from the lead
        lead.prospect_contact_role = "influencer"
        self.assertEqual(contact.prospect_contact_role, "influencer")

    def test_referrals_start_as_prospects_and_count_for_the_customer(self):
        referrer = self.customers[2]
        referred = self._open_lead(
            "Recommended by Customer 03",
            partner_id=self._customer("Friend of Customer 03").id,
            prospect_referrer_id=referrer.id,
        )
        self.assertEqual(referred.pyramid_tier, "prospect")
        self.engine._run()
        self.assertEqual(referred.pyramid_tier, "prospect", "the night agrees")
        won = self._open_lead(
            "Second recommendation",
            partner_id=self._customer("Another Friend").id,
            prospect_referrer_id=referrer.id,
            expected_revenue=1200,
        )
        won.write({"stage_id": self.won_stage.id})
        referrer.invalidate_recordset()
        self.assertEqual(referrer.prospect_referral_count, 2)
        self.assertEqual(referrer.prospect_referral_revenue, 1200)
        action = referrer.action_view_prospect_referrals()
        self.assertEqual(self.env["crm.lead"].search(action["domain"]), referred | won)

    # ------------------------------------------------------------
    # WORKBOOK
    # ------------------------------------------------------------

    def _export_as(self, user):
        wizard = (
            self.env["prospect.tier.report.wizard"]
            .with_user(user)
            .with_context(allowed_company_ids=self.pyramid_company.ids, lang="en_US")
            .create({"company_ids": [(6, 0, self.pyramid_company.ids)]})
        )
        return read_workbook(wizard._generate_xlsx())

    def test_workbook_lists_the_slipping_and_the_potential_customers(self):
        slipping = self._buyer("Slipping Buyer", [100, 130, 160])
        self._opportunity(slipping, 100, 10)
        self._opportunity(slipping, 200, 20)
        theirs = self._opportunity(self._buyer("Their Buyer", [90, 120]), 10, 10)
        theirs.user_id = self.user_sales_leads
        self._opportunity(self.newcomer, 1500, 60)
        self.engine._run()

        workbook = self._export_as(self.user_sales_manager)
        at_risk = records(workbook["At Risk"])
        self.assertEqual(
            [line["Customer"] for line in at_risk],
            ["Slipping Buyer", "Their Buyer"],
            "one row per customer, the most valuable first",
        )
        self.assertIn("no purchase for 100 days", at_risk[0]["Reason"])
        summary = rows(workbook["Summary"])
        potential = next(row for row in summary if row[0] == "Newcomer Holdings")
        self.assertIn("would rank it 4 of 12", potential[-1])

        workbook = self._export_as(self.user_sales_salesman)
        self.assertEqual(
            [line["Customer"] for line in records(workbook["At Risk"])],
            ["Slipping Buyer"],
            "a salesperson sees the risk of their own customers",
        )


@tagged("post_install", "-at_install")
class TestDecisionMakerMailings(SequenceCase):
    def test_direct_mail_goes_to_the_decision_maker(self):
        boss = self.env["res.partner"].create(
            {
                "name": "Zhang Wei",
                "email": "zhang.wei@lotus-trading.example.com",
                "parent_id": self.prospect_company.id,
                "prospect_contact_role": "decision_maker",
            }
        )
        lead = self._lead()
        self._enrol(lead)
        self.Enrollment._action_send_due()
        mail = self._queued(lead)
        self.assertEqual(mail.recipient_ids, boss, "the person who decides")
        self.assertIn("Dear Zhang Wei", mail.body_html)
        # the chatter says to whom
        self.assertEqual(mail.mail_message_id.partner_ids, boss)

    def test_without_decision_maker_the_contact_is_mailed(self):
        lead = self._lead()
        self._enrol(lead)
        self.Enrollment._action_send_due()
        self.assertEqual(self._queued(lead).recipient_ids, self.prospect)
