"""The demo data as a newcomer sees it: two years of a living pyramid.

These tests read the demo data of the database they run on (the test database of
the CI is installed with demo data); without it they are skipped."""

import unittest
from collections import Counter

from odoo import fields
from odoo.tests import TransactionCase, tagged

from ..models.crm_lead import PROSPECT_GRADES, PYRAMID_TIERS

MARKER = "prospect_development.pd_demo_team_key_accounts"
# position in the pyramid, top first: a move to a smaller position is a move up
TIER_RANK = {tier: rank for rank, (tier, _label) in enumerate(PYRAMID_TIERS)}
GRADE_RANK = {grade: rank for rank, (grade, _label) in enumerate(PROSPECT_GRADES)}
CHINESE_SALESPEOPLE = ("margaret_lin", "jing_chen", "lei_wang")


@tagged("post_install", "-at_install")
class TestDemoData(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not cls.env.ref(MARKER, raise_if_not_found=False):
            raise unittest.SkipTest("the database has no demo data")
        cls.demo_leads = (
            cls.env["crm.lead"]
            .with_context(active_test=False)
            .browse(
                cls.env["ir.model.data"]
                .search(
                    [
                        ("module", "=", "prospect_development"),
                        ("model", "=", "crm.lead"),
                        ("name", "=like", "pd_demo_lead_%"),
                    ]
                )
                .mapped("res_id")
            )
        )

    def _moves(self, kind):
        return self.env["prospect.lead.history"].search(
            [("kind", "=", kind), ("lead_id", "in", self.demo_leads.ids)]
        )

    def test_history_covers_two_years_of_moves_up_and_down(self):
        tier_moves = self._moves("tier")
        months = {(move.date.year, move.date.month) for move in tier_moves}
        self.assertGreaterEqual(len(months), 18, "a line over the months, not a dot")
        # dated by the rescoring, in the time zone of whom ran it
        self.assertLessEqual(
            max(tier_moves.mapped("date")), self.env["prospect.engine"]._today()
        )

        directions = Counter(
            "up" if TIER_RANK[move.new_value] < TIER_RANK[move.old_value] else "down"
            for move in tier_moves
        )
        self.assertGreaterEqual(directions["up"], 50, directions)
        self.assertGreaterEqual(directions["down"], 50, directions)
        pairs = {(move.old_value, move.new_value) for move in tier_moves}
        for pair in [
            ("small", "medium"),  # a customer growing
            ("medium", "small"),  # a customer shrinking
            ("small", "inactive"),  # a customer who stopped buying
            ("suspect", "prospect"),  # a first contact
        ]:
            self.assertIn(pair, pairs)
        self.assertTrue(
            {("large", "super"), ("super", "large")} & pairs,
            "the top of the pyramid moves too",
        )

        grade_moves = self._moves("grade")
        self.assertGreaterEqual(
            len({(move.date.year, move.date.month) for move in grade_moves}), 18
        )
        grade_directions = Counter(
            "up" if GRADE_RANK[move.new_value] < GRADE_RANK[move.old_value] else "down"
            for move in grade_moves
        )
        self.assertGreaterEqual(grade_directions["up"], 50, grade_directions)
        self.assertGreaterEqual(grade_directions["down"], 10, grade_directions)
        # closing dates coming nearer (the rescoring) and needs found out (people)
        self.assertTrue(grade_moves.filtered(lambda move: not move.changed_by_id))
        self.assertTrue(grade_moves.filtered("changed_by_id"))

    def test_chatters_hold_contacts_and_mails_over_months(self):
        messages = self.env["mail.message"].search(
            [("model", "=", "crm.lead"), ("res_id", "in", self.demo_leads.ids)]
        )
        staff = self.env["res.users"].search([("share", "=", False)]).partner_id
        by_lead = {}
        for message in messages:
            entry = by_lead.setdefault(
                message.res_id, {"done": 0, "mails": 0, "months": set()}
            )
            if message.mail_activity_type_id:
                entry["done"] += 1
            elif message.message_type == "email" and message.author_id not in staff:
                entry["mails"] += 1
            else:
                continue
            entry["months"].add((message.date.year, message.date.month))
        rich = [
            lead_id
            for lead_id, entry in by_lead.items()
            if entry["done"] and entry["mails"] and len(entry["months"]) >= 3
        ]
        self.assertGreaterEqual(len(rich), 50, "leads whose chatter tells a story")
        months = {(message.date.year, message.date.month) for message in messages}
        self.assertGreaterEqual(len(months), 18)
        self.assertLessEqual(max(messages.mapped("date")), fields.Datetime.now())

        # the last contact the rescoring saw is the last one in the chatter
        lead = self.demo_leads.browse(rich[0])
        contacts = messages.filtered(
            lambda message: (
                message.res_id == lead.id
                and (message.mail_activity_type_id or message.message_type == "email")
            )
        )
        self.assertGreaterEqual(
            lead.last_contact_date, max(contacts.mapped("date")).date()
        )

    def test_chinese_salespeople_work_in_chinese(self):
        self.assertEqual(self.env["res.lang"]._get_code("zh_CN"), "zh_CN")
        users = self.env["res.users"]
        for key in CHINESE_SALESPEOPLE:
            users |= self.env.ref(f"prospect_development.pd_demo_user_{key}")
        self.assertEqual(set(users.mapped("lang")), {"zh_CN"})
        # the add-on's terms are loaded
        field = self.env["ir.model.fields"]._get("crm.lead", "pyramid_tier")
        self.assertNotEqual(
            field.with_context(lang="zh_CN").field_description,
            field.with_context(lang="en_US").field_description,
        )
        # what the cadence planned for them, and their notes, are in Chinese
        activities = self.env["mail.activity"].search(
            [("user_id", "in", users.ids), ("prospect_cadence", "=", True)]
        )
        self.assertTrue(activities)
        # ...by the cadence ("B级: ..."), or by a call outcome (a visit asked for)
        outcomes = self.env["prospect.call.outcome"].with_context(lang="zh_CN")
        outcome_names = set(outcomes.search([]).mapped("name"))
        self.assertTrue(
            all(
                "级" in summary or summary in outcome_names
                for summary in activities.mapped("summary")
            )
        )
        notes = self.env["mail.message"].search(
            [
                ("model", "=", "crm.lead"),
                ("mail_activity_type_id", "!=", False),
                ("author_id", "in", users.partner_id.ids),
            ]
        )
        self.assertTrue(notes)
        self.assertTrue(all("反馈" in note.body for note in notes))

    def test_every_tier_and_grade_at_the_end_and_a_pyramid(self):
        leads = self.demo_leads.filtered("active")
        self.assertEqual(
            set(leads.mapped("pyramid_tier")), set(TIER_RANK), "every tier populated"
        )
        self.assertEqual(set(leads.mapped("prospect_grade")), set(GRADE_RANK))
        customers = {
            tier: len(
                leads.filtered(
                    lambda lead, tier=tier: lead.pyramid_tier == tier
                ).partner_id.commercial_partner_id
            )
            for tier in ("super", "large", "medium", "small")
        }
        self.assertLess(customers["super"], customers["large"], customers)
        self.assertLess(customers["large"], customers["medium"], customers)
        self.assertLess(customers["medium"], customers["small"], customers)

    def test_signals_to_explain_and_follow(self):
        events = self.env["prospect.engagement.event"].search(
            [("lead_id", "in", self.demo_leads.ids)]
        )
        kinds = Counter(events.mapped("event_type"))
        for kind in ("reply", "activity_done", "feedback", "mail_open", "link_click"):
            self.assertTrue(kinds[kind], f"some {kind} signals")
        # a scored lead whose explanation adds up to its score
        lead = max(self.demo_leads, key=lambda lead: lead.engagement_score)
        self.assertGreaterEqual(lead.engagement_score, 30)
        action = lead.action_view_prospect_events()
        explained = self.env[action["res_model"]].search(action["domain"])
        self.assertAlmostEqual(
            sum(explained.mapped("points_today")), lead.engagement_score, delta=0.5
        )
        # a burst of interest today, and the salesperson alerted
        burst = self.env.ref("prospect_development.pd_demo_lead_interest_burst")
        self.assertTrue(burst.date_interest_alert)
        owner = burst.user_id or burst.team_id.user_id
        summary = burst.with_context(lang=owner.lang).env._(
            "Showing interest now: %(count)s signals within %(hours)s hours",
            count=3,
            hours=24,
        )
        self.assertIn(summary, burst.activity_ids.mapped("summary"))
        # a nurturing sequence at work
        nurture = self.env.ref("prospect_development.prospect_sequence_demo_nurture")
        self.assertTrue(nurture.is_nurture)
        self.assertTrue(nurture.running_count)

    def test_key_accounts_to_discover(self):
        leads = self.demo_leads.filtered("active")
        self.assertTrue(leads.filtered("prospect_potential_key"), "a big one coming")
        at_risk = leads.filtered(
            lambda lead: lead.prospect_at_risk and lead.prospect_account_lead
        )
        self.assertTrue(at_risk, "a key account slipping")
        self.assertTrue(all(at_risk.mapped("prospect_at_risk_reason")))
        self.assertTrue(leads.prospect_decision_maker_id, "decision makers known")
        referred = leads.filtered("prospect_referrer_id")
        self.assertTrue(referred, "referrals")
        self.assertTrue(
            all(referred.prospect_referrer_id.mapped("prospect_referral_count"))
        )
