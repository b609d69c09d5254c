from datetime import date, timedelta

from odoo.tests import BaseCase, tagged

from odoo.addons.prospect_development import rules
from odoo.addons.prospect_development.models.prospect_settings import DEFAULTS

from . import reference


@tagged("post_install", "-at_install")
class TestRules(BaseCase):
    def test_tier_cutoffs_of_a_thousand_customers(self):
        cutoffs = reference.tier_cutoffs(1000, 1, 4, 15)
        tiers = [reference.revenue_tier(rank, cutoffs) for rank in range(1, 1001)]
        self.assertEqual(tiers.count("super"), 10)
        self.assertEqual(tiers.count("large"), 40)
        self.assertEqual(tiers.count("medium"), 150)
        self.assertEqual(tiers.count("small"), 800)

    def test_small_counts_round_up(self):
        # 7 customers: ceil(0.07) = 1 super, ceil(0.35) = 1 (no large), ceil(1.4) = 2
        self.assertEqual(reference.tier_cutoffs(7, 1, 4, 15), (1, 1, 2))

    def test_ties_share_the_better_rank(self):
        ranks = reference.rank_revenues({"a": 500, "b": 300, "c": 300, "d": 100})
        self.assertEqual(ranks, {"a": 1, "b": 2, "c": 2, "d": 4})

    def test_lead_tier_without_revenue(self):
        self.assertEqual(reference.lead_tier(0, 1200, "clear", True), "inactive")
        self.assertEqual(reference.lead_tier(0, 0, "none", True), "other")
        self.assertEqual(reference.lead_tier(0, 0, "clear", True), "prospect")
        self.assertEqual(reference.lead_tier(0, 0, None, False), "suspect")
        self.assertEqual(reference.lead_tier(10, 0, "none", True, "small"), "small")

    def test_grade(self):
        today = date(2026, 6, 1)

        def grade(need, days):
            deadline = today + timedelta(days=days) if days is not None else None
            return reference.prospect_grade(need, deadline, today, 30, 90, 180)

        self.assertEqual(grade("none", 5), "e")
        self.assertEqual(grade(None, 5), "d")
        self.assertEqual(grade("potential", 5), "d")
        self.assertEqual(grade("clear", -10), "a", "overdue counts as A")
        self.assertEqual(grade("clear", 30), "a")
        self.assertEqual(grade("clear", 31), "b")
        self.assertEqual(grade("clear", 90), "b")
        self.assertEqual(grade("clear", 180), "c")
        self.assertEqual(grade("clear", 181), "d")
        self.assertEqual(grade("clear", None), "d")

    def test_urgency(self):
        today = date(2026, 6, 1)
        self.assertEqual(
            reference.contact_urgency(today - timedelta(days=3), today), "urgent"
        )
        self.assertEqual(
            reference.contact_urgency(today + timedelta(days=7), today), "urgent"
        )
        self.assertEqual(
            reference.contact_urgency(today + timedelta(days=8), today), "soon"
        )
        self.assertEqual(
            reference.contact_urgency(today + timedelta(days=90), today), "later"
        )
        self.assertEqual(
            reference.contact_urgency(today + timedelta(days=91), today), "slow"
        )
        self.assertIsNone(reference.contact_urgency(None, today))

    def test_settings_errors(self):
        values = dict(DEFAULTS)
        self.assertEqual(rules.settings_errors(values), [])
        self.assertEqual(
            rules.settings_errors({**values, "tier_medium_pct": 96}),
            [("pct_total", {"total": 101})],
        )
        self.assertIn(
            ("grade_order", {}),
            rules.settings_errors({**values, "grade_b_days": 200}),
        )
        self.assertIn(
            ("positive", {"key": "cadence_b_days"}),
            rules.settings_errors({**values, "cadence_b_days": -3}),
        )
