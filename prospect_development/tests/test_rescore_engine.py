from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from odoo import fields
from odoo.tests import tagged

from . import reference
from .common import ProspectCase


@tagged("post_install", "-at_install")
class TestRescoreEngine(ProspectCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.engine = cls.env["prospect.rescore.engine"]
        cls.customers = cls.env["res.partner"].create(
            [
                {
                    "name": f"Client {i:02d}",
                    "is_company": True,
                    "email": f"buyer{i}@client{i}.example",
                }
                for i in range(20)
            ]
        )
        # revenue 20 000 down to 1 000: n = 20 gives 1 super, no large (ceil(20 x 5 %)
        # = 1), 3 medium, 16 small
        cls.deals = cls._won_deals(
            [(p, 1000.0 * (20 - i)) for i, p in enumerate(cls.customers)]
        )
        cls.leads = cls.env["crm.lead"].create(
            [
                {
                    "name": f"Open {p.name}",
                    "type": "opportunity",
                    "partner_id": p.id,
                    "company_id": cls.pyramid_company.id,
                    "stage_id": cls.open_stage.id,
                    "user_id": cls.user_sales_salesman.id,
                }
                for p in cls.customers
            ]
        )

    def _snapshot(self):
        self.env.invalidate_all()
        leads = (
            self.env["crm.lead"]
            .with_context(active_test=False)
            .search([("company_id", "=", self.pyramid_company.id)])
        )
        names = [
            "pyramid_tier",
            "pyramid_revenue",
            "prospect_grade",
            "next_contact_date",
            "contact_urgency",
            "engagement_score",
            "abandon_recommended",
            "last_contact_date",
        ]
        history = self.env["prospect.lead.history"].search_count(
            [("lead_id", "in", leads.ids)]
        )
        return {lead.id: tuple(lead[n] for n in names) for lead in leads}, history

    def _backdate(self, lead, message, days_ago, previous_contact):
        """As if the message had been posted ``days_ago`` days ago."""
        message.date = fields.Datetime.now() - timedelta(days=days_ago)
        # and so the signal it gave
        self.env["prospect.engagement.event"].search(
            [("res_model", "=", "mail.message"), ("res_id", "=", message.id)]
        ).write({"date": message.date})
        day = self.today - timedelta(days=days_ago)
        lead.last_contact_date = max(filter(None, [previous_contact, day]))
        return message

    def _post_answer(self, lead, days_ago=0, author=None):
        previous = lead.last_contact_date
        message = lead.message_post(
            body="Thanks, can you send a proposal?",
            message_type="email",
            author_id=(author or lead.partner_id).id,
            subtype_xmlid="mail.mt_comment",
        )
        return self._backdate(lead, message, days_ago, previous)

    def _log_touch(self, lead, days_ago):
        previous = lead.last_contact_date
        message = lead.with_user(self.user_sales_salesman).message_post(
            body="Sent our brochure",
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        return self._backdate(lead, message, days_ago, previous)

    def test_a_tier_move_is_recorded_with_its_reason_once(self):
        self.engine._run()
        self.assertFalse(
            self.env["prospect.lead.history"].search(
                [("lead_id", "in", self.leads.ids)]
            ),
            "the first classification is not a move",
        )
        riser = self.customers[-1]  # smallest customer
        self._won_deals([(riser, 50000.0)])
        self.engine._run()
        lead = self.leads.filtered(lambda lead: lead.partner_id == riser)
        self.assertEqual(lead.pyramid_tier, "super")
        moves = lead.prospect_history_ids
        self.assertEqual(len(moves), 1)
        self.assertEqual(
            (moves.kind, moves.old_value, moves.new_value), ("tier", "small", "super")
        )
        self.assertEqual(moves.reason, "revenue 51,000 → rank 1 of 20")
        self.assertEqual(moves.user_id, self.user_sales_salesman)
        # the former super customer went down to medium
        former = self.leads.filtered(lambda lead: lead.partner_id == self.customers[0])
        self.assertEqual(former.prospect_history_ids.new_value, "medium")
        # nothing changed: nothing written, no new history
        before = self._snapshot()
        self.assertEqual(self.engine._run(), 0)
        self.assertEqual(self._snapshot(), before)

    def test_grade_moves_by_users_and_by_the_calendar(self):
        lead = self.leads[5]
        self.engine._run()
        lead.with_user(self.user_sales_salesman).write(
            {"need_status": "clear", "date_deadline": self.today + timedelta(days=60)}
        )
        user_move = lead.prospect_history_ids
        self.assertEqual((user_move.old_value, user_move.new_value), ("d", "b"))
        self.assertEqual(user_move.changed_by_id, self.user_sales_salesman)
        self.assertIn("changed by", user_move.reason)
        # a month later the closing date is 25 days away: the night moves it to A
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE crm_lead SET date_deadline = %s WHERE id = %s",
            (self.today + timedelta(days=25), lead.id),
        )
        self.engine._run()
        night_move = lead.prospect_history_ids.filtered(lambda h: not h.changed_by_id)
        self.assertEqual((night_move.old_value, night_move.new_value), ("b", "a"))
        self.assertEqual(night_move.reason, "expected closing in 25 days")

    def test_answers_score_with_decay_and_sales_ready_once(self):
        self._set_params(score_threshold=30, score_half_life_days=10)
        lead = self.leads[3]
        self._post_answer(lead, days_ago=0)
        self._post_answer(lead, days_ago=10)
        self.engine._run()
        # 20 points today + 20 halved after one half-life = 30
        self.assertEqual(lead.engagement_score, 30)
        self.assertEqual(lead.last_contact_date, self.today)
        self.assertEqual(lead.date_sales_ready, self.today)
        todo = lead.activity_ids.filtered(lambda a: "Sales-ready" in (a.summary or ""))
        self.assertEqual(len(todo), 1)
        self.assertEqual(todo.user_id, self.user_sales_salesman)
        # next nights: no second to-do, even if the score stays high
        self._post_answer(lead, days_ago=0)
        self.engine._run()
        self.assertEqual(lead.engagement_score, 50)
        todo = lead.activity_ids.filtered(lambda a: "Sales-ready" in (a.summary or ""))
        self.assertEqual(len(todo), 1)
        # a prospect who only wrote long ago is not sales-ready
        quiet = self.leads[4]
        self._post_answer(quiet, days_ago=40)
        self.engine._run()
        self.assertEqual(quiet.engagement_score, 1)
        self.assertFalse(quiet.date_sales_ready)

    def test_team_leader_gets_the_to_do_without_salesperson(self):
        self._set_params(score_threshold=15)
        lead = self.leads[6]
        lead.write({"user_id": False, "team_id": self.sales_team_1.id})
        self._post_answer(lead)
        self.engine._run()
        todo = lead.activity_ids
        self.assertEqual(todo.user_id, self.sales_team_1.user_id)

    def test_abandonment_advice(self):
        self._set_params(abandon_touches=3, abandon_days=60)
        silent, answered, recent = self.leads[7], self.leads[8], self.leads[9]
        for days in (90, 70, 30):
            self._log_touch(silent, days)
            self._log_touch(answered, days)
        self._post_answer(answered, days_ago=20)
        for days in (20, 10, 5):
            self._log_touch(recent, days)
        self.engine._run()
        self.assertTrue(silent.abandon_recommended, "3 touches over 90 days, no answer")
        self.assertFalse(answered.abandon_recommended, "the prospect answered")
        self.assertFalse(recent.abandon_recommended, "too recent to give up")
        self.assertEqual(silent.last_contact_date, self.today - timedelta(days=30))
        # cost above the expected value
        costly = self.leads[10]
        costly.write(
            {
                "expected_revenue": 10000,
                "probability": 10,
                "development_cost_logged": 1500,
            }
        )
        self.engine._run()
        self.assertTrue(costly.abandon_recommended, "1 500 spent on 1 000 expected")
        costly.probability = 20
        self.engine._run()
        self.assertFalse(costly.abandon_recommended)

    def test_manual_values_are_never_overwritten(self):
        lead = self.leads[11]
        lead.with_user(self.user_sales_manager).write(
            {
                "need_status": "clear",
                "key_account_colour": "black",
                "date_deadline": self.today + timedelta(days=10),
                "development_cost_logged": 300,
            }
        )
        self.engine._run()
        self.assertEqual(
            (
                lead.need_status,
                lead.key_account_colour,
                lead.date_deadline,
                lead.development_cost,
            ),
            ("clear", "black", self.today + timedelta(days=10), 300),
        )

    def test_batches_and_an_interrupted_run_give_the_clean_result(self):
        for lead in self.leads[:5]:
            self._post_answer(lead, days_ago=3)
        self.env.flush_all()
        savepoint = self.env.cr.savepoint()
        self.engine._run()
        clean = self._snapshot()
        savepoint.rollback()
        # same data, batches of 3 leads
        self.engine._run(batch_size=3)
        self.assertEqual(self._snapshot(), clean)
        savepoint.rollback()
        # a run that stopped after two batches, then a full run
        engine = self.engine
        for low, high in engine._prepare()[:2]:
            engine._rescore_batch(low, high, self.today)
        engine._run()
        self.assertEqual(self._snapshot(), clean)
        savepoint.close()

    @settings(max_examples=12, deadline=None)
    @given(
        revenues=st.lists(
            st.sampled_from([0, 100, 250, 250, 900, 4000, 70000]),
            min_size=1,
            max_size=30,
        ),
        percentages=st.tuples(
            st.integers(0, 40), st.integers(0, 30), st.integers(0, 30)
        ),
    )
    def test_sql_tiers_match_the_reference(self, revenues, percentages):
        with self.env.cr.savepoint(flush=False) as savepoint:
            self._set_params(
                tier_super_pct=percentages[0],
                tier_large_pct=percentages[1],
                tier_medium_pct=percentages[2],
            )
            company = self.env["res.company"].create({"name": "Hypothesis Co"})
            partners = self.env["res.partner"].create(
                [{"name": f"H{i}", "is_company": True} for i in range(len(revenues))]
            )
            self._won_deals(
                [(p, r) for p, r in zip(partners, revenues, strict=True) if r],
                company=company,
            )
            leads = self.env["crm.lead"].create(
                [
                    {"name": p.name, "partner_id": p.id, "company_id": company.id}
                    for p in partners
                ]
            )
            self.engine._run()
            earning = {p.id: r for p, r in zip(partners, revenues, strict=True) if r}
            ranks = reference.rank_revenues(earning)
            cutoffs = reference.tier_cutoffs(len(earning), *percentages)
            for lead in leads:
                expected = reference.lead_tier(
                    earning.get(lead.partner_id.id, 0),
                    0,
                    None,
                    False,
                    reference.revenue_tier(ranks[lead.partner_id.id], cutoffs)
                    if lead.partner_id.id in ranks
                    else None,
                )
                self.assertEqual(lead.pyramid_tier, expected)
            savepoint.rollback()

    def test_an_edit_during_the_run_is_not_overwritten(self):
        lead = self.leads[12]
        self.engine._run()
        # a touch: the night will have something to write
        lead.message_post(
            body="Any news?", message_type="comment", subtype_xmlid="mail.mt_comment"
        )
        self.env.flush_all()
        bounds = self.engine.with_context(prospect_batch_size=1000)._prepare()
        # the salesperson saves the lead after the rescoring read it
        lead.with_user(self.user_sales_salesman).need_status = "none"
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE crm_lead SET write_date = write_date + interval '1 second'"
            " WHERE id = %s",
            (lead.id,),
        )
        for low, high in bounds:
            self.engine._rescore_batch(low, high, self.today)
        lead.invalidate_recordset()
        self.assertEqual(lead.prospect_grade, "e", "the salesperson's change stands")
        self.assertEqual(lead.touch_count, 0, "left for the next run")
        self.engine._run()
        self.assertEqual(lead.prospect_grade, "e")
        self.assertEqual(lead.touch_count, 1)

    def test_run_leaves_no_temporary_table(self):
        self.engine._run()
        for table in self.engine._temp_tables:
            self.env.cr.execute("SELECT to_regclass(%s)", (f"pg_temp.{table}",))
            self.assertIsNone(self.env.cr.fetchone()[0], table)

    def test_run_as_of_another_day(self):
        """The engines read the date through the skeleton: the demo rescores the
        past day by day, and the moves carry the day they happened."""
        lead = self.leads[3]
        lead.write({"need_status": "clear"})
        lead.date_deadline = self.today + timedelta(days=100)
        self.engine._run()
        self.assertEqual(lead.prospect_grade, "c")
        past = fields.Datetime.now() - timedelta(days=100)
        self.engine.with_context(prospect_now=past)._run()
        self.assertEqual(lead.prospect_grade, "d", "closing 200 days after that day")
        move = lead.prospect_history_ids.filtered(
            lambda move: (
                (move.kind, move.old_value, move.new_value) == ("grade", "c", "d")
            )
        )
        self.assertEqual(move.date, fields.Date.to_date(past))
