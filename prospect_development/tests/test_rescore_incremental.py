import random
from datetime import timedelta

from odoo import fields
from odoo.tests import tagged
from odoo.tools import SQL

from ..models.prospect_rescore_engine import ENGINE_COLUMNS
from .common import ProspectCase, age_records

# the tables whose save dates tell the night what changed
DATED_TABLES = (
    "crm_lead",
    "res_partner",
    "mail_message",
    "calendar_event",
    "prospect_feedback_card",
    "prospect_engagement_event",
)


@tagged("post_install", "-at_install")
class TestRescoreIncremental(ProspectCase):
    """A night after a completed run reads only what changed since: whatever the
    changes and however the days go by, it leaves every lead as a full pass
    would."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.engine = cls.env["prospect.rescore.engine"]
        cls.competitor_reason = cls.env.ref(
            "prospect_development.lost_reason_competitor"
        )
        cls.customers = cls.env["res.partner"].create(
            [
                {
                    "name": f"Account {i:02d}",
                    "is_company": True,
                    "email": f"buyer@account{i}.example",
                }
                for i in range(24)
            ]
        )
        cls.contacts = cls.env["res.partner"].create(
            [
                {"name": f"Buyer {i:02d}", "parent_id": customer.id}
                for i, customer in enumerate(cls.customers[:6])
            ]
        )
        # purchases all over both windows, some a day or two from their edges,
        # one not closed yet (tomorrow)
        lookback = cls.env["prospect.settings"]._get()["lookback_days"]
        ages = [1, 20, 90, 200, lookback - 1, lookback, lookback + 1, 2 * lookback - 1]
        for i, customer in enumerate(cls.customers[:18]):
            cls._won_deals(
                [(customer, 1000.0 * (18 - i))], days_ago=ages[i % len(ages)]
            )
            cls._won_deals([(customer, 300.0 + 10 * i)], days_ago=ages[(i + 3) % 8])
        cls._won_deals([(cls.contacts[0], 2500.0)], days_ago=10)
        cls._won_deals([(cls.contacts[1], 4000.0)], days_ago=lookback - 2)
        cls._won_deals([(cls.customers[19], 800.0)], days_ago=-1)
        # a super customer buying every 9 days, last 18 days ago: slipping tomorrow
        cls._won_deals([(cls.customers[20], 30000.0)], days_ago=27)
        cls._won_deals([(cls.customers[20], 30000.0)], days_ago=18)
        # open pipelines, big enough for some to make potential key customers
        cls.leads = cls.env["crm.lead"]
        today = cls.today
        for i, partner in enumerate(cls.customers + cls.contacts):
            cls.leads |= cls._open_lead(
                f"Open {partner.name}",
                partner_id=partner.id,
                user_id=cls.user_sales_salesman.id,
                expected_revenue=[0, 5000, 60000, 150000][i % 4],
                probability=[10, 50, 90][i % 3],
                need_status=["clear", "potential", "none", "clear"][i % 4],
                # closing dates around the grades' limits (30, 90, 180 days)
                date_deadline=today + timedelta(days=[29, 31, 89, 91, 179, 181][i % 6]),
            )
        cls.leads[3].key_account_colour = "red"
        cls.leads[7].key_account_colour = "black"
        cls.leads |= cls._open_lead("No partner", need_status="clear")
        # customers deleted along the nights (their leads keep no partner)
        cls.doomed = cls.env["res.partner"].create(
            [{"name": f"Gone {i}", "is_company": True} for i in range(4)]
        )
        for i, partner in enumerate(cls.doomed):
            cls._won_deals([(partner, 50000.0 * (i + 1))], days_ago=40)
            cls.leads |= cls._open_lead(
                f"Open {partner.name}",
                partner_id=partner.id,
                expected_revenue=200000,
                probability=80,
            )
        # a lead (not an opportunity: it weighs nothing in its customer's row)
        cls.walk_in = cls._open_lead("Walk-in", type="lead")
        # answers and touches at various ages: scores decay, silences grow long
        for i, lead in enumerate(cls.leads[:12]):
            cls._message(lead, days_ago=[0, 3, 15, 60][i % 4], answer=i % 3 == 0)
        for lead in cls.leads[12:15]:
            for days_ago in (200, 190, 181, 179, 100, 60, 30, 5):
                cls._message(lead, days_ago=days_ago, answer=False)
        cls.env["calendar.event"].create(
            {
                "name": "Visit tomorrow",
                "opportunity_id": cls.leads[16].id,
                "start": fields.Datetime.now() + timedelta(days=1),
                "stop": fields.Datetime.now() + timedelta(days=1, hours=1),
            }
        )

    @classmethod
    def _message(cls, lead, days_ago, answer):
        if answer:
            message = lead.message_post(
                body="Interested, send the offer",
                message_type="email",
                author_id=lead.partner_id.id,
                subtype_xmlid="mail.mt_comment",
            )
        else:
            message = lead.with_user(cls.user_sales_salesman).message_post(
                body="Called, left a message",
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
        message.date = fields.Datetime.now() - timedelta(days=days_ago)
        cls.env["prospect.engagement.event"].search(
            [("res_model", "=", "mail.message"), ("res_id", "=", message.id)]
        ).write({"date": message.date})

    def _values(self):
        """Every engine column of every lead, straight from the table."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "SELECT id, %s FROM crm_lead ORDER BY id",
                SQL(", ").join(SQL.identifier(column) for column in ENGINE_COLUMNS),
            )
        )
        return {row[0]: row[1:] for row in self.env.cr.fetchall()}

    def _state(self):
        self.env.cr.execute("SELECT state FROM prospect_rescore_state WHERE id = 1")
        return self.env.cr.fetchone()[0]

    def _settle(self, now):
        """A full pass on ``now``, after which everything already there looks
        saved before it: only what the test changes next is new to the night."""
        age_records(self.env, DATED_TABLES)
        self.engine.with_context(prospect_now=now, prospect_rescore_full=True)._run()
        self.assertTrue(self._state()["full"])

    def _history(self):
        """The tier and grade moves recorded, with what they record."""
        self.env.flush_all()
        self.env.cr.execute(
            """
            SELECT lead_id, kind, old_value, new_value, revenue, rank,
                   customer_count, days_to_close, date
              FROM prospect_lead_history
             ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9
            """
        )
        return self.env.cr.fetchall()

    def _night(self, now):
        """The incremental night on ``now`` leaves every lead, and records every
        move, as a full pass from the same state would."""
        savepoint = self.env.cr.savepoint()
        self.engine.with_context(prospect_now=now)._run()
        self.assertFalse(self._state()["full"], "the night was incremental")
        incremental, incremental_history = self._values(), self._history()
        savepoint.rollback()
        self.env.invalidate_all()
        self.engine.with_context(prospect_now=now, prospect_rescore_full=True)._run()
        full, full_history = self._values(), self._history()
        savepoint.close(rollback=False)
        differences = {
            lead_id: [
                (column, incremental[lead_id][i], values[i])
                for i, column in enumerate(ENGINE_COLUMNS)
                if incremental[lead_id][i] != values[i]
            ]
            for lead_id, values in full.items()
            if incremental.get(lead_id) != values
        }
        self.assertEqual(differences, {})
        self.assertEqual(incremental_history, full_history)

    def _change(self, rng, now):
        """A night's worth of what users do, drawn at random."""
        open_leads = self.leads.exists().filtered(
            lambda lead: lead.active and lead.partner_id
        )
        customer = rng.choice(self.customers)
        self._won_deals([(customer, rng.choice([500.0, 9000.0, 90000.0]))], 0)
        for lead in rng.sample(list(open_leads), 2):
            self._message(lead, days_ago=0, answer=rng.random() < 0.5)
        lead = rng.choice(open_leads)
        lead.probability = rng.choice([5, 40, 95])
        lead = rng.choice(open_leads)
        lead.date_deadline = fields.Date.to_date(now) + timedelta(
            days=rng.choice([30, 31, 90, 91])
        )
        # the lead turns out to come from a customer: it takes its tier
        self.walk_in.partner_id = rng.choice(self.customers)
        # a contact moves to another company, with its purchases
        contact = rng.choice(self.contacts)
        contact.parent_id = rng.choice(self.customers - contact.parent_id)
        # a deal lost to a competitor, a won deal deleted
        rng.choice(open_leads).action_set_lost(lost_reason_id=self.competitor_reason.id)
        won = self.env["crm.lead"].search(
            [
                ("stage_id", "=", self.won_stage.id),
                ("company_id", "=", self.pyramid_company.id),
            ]
        )
        rng.choice(won).unlink()
        # a customer deleted: its leads lose their partner, not their write date
        doomed = self.doomed.exists()
        if doomed:
            doomed[0].unlink()
        # a deleted answer
        message = self.env["mail.message"].search(
            [("model", "=", "crm.lead"), ("res_id", "in", open_leads.ids)], limit=1
        )
        message.unlink()

    def test_incremental_nights_match_the_full_pass(self):
        rng = random.Random(13)
        now = fields.Datetime.now()
        self._settle(now)
        for days in (0, 1, 2, 3):
            now += timedelta(days=days)
            self._change(rng, now)
            self._night(now)
            self._settle(now)

    def test_a_night_with_nothing_new_writes_nothing(self):
        now = fields.Datetime.now()
        self._settle(now)
        self.assertEqual(self.engine.with_context(prospect_now=now)._run(), 0)
        self.assertFalse(self._state()["full"])
        # days go by: the dates move grades, urgencies and scores
        later = now + timedelta(days=2)
        before = self._values()
        self._night(later)
        self.assertNotEqual(self._values(), before, "the days moved some leads")

    def test_a_settings_change_forces_a_full_pass(self):
        now = fields.Datetime.now()
        self._settle(now)
        self._set_params(tier_super_pct=20)
        self.engine.with_context(prospect_now=now)._run()
        self.assertTrue(self._state()["full"])
        # and so does a cadence rule, a week without a full pass, the predictive
        # scoring
        self.engine.with_context(prospect_now=now)._run()
        self.assertFalse(self._state()["full"])
        self.env["prospect.cadence.rule"].create({"interval_days": 3})
        self.engine.with_context(prospect_now=now)._run()
        self.assertTrue(self._state()["full"])
        self.engine.with_context(prospect_now=now + timedelta(days=6))._run()
        self.assertFalse(self._state()["full"])
        self.engine.with_context(prospect_now=now + timedelta(days=7))._run()
        self.assertTrue(self._state()["full"])
        # the predictive scoring writes probabilities behind the ORM's back
        self.engine.with_context(prospect_now=now + timedelta(days=7))._run()
        self.assertFalse(self._state()["full"])
        self.env["crm.lead"]._update_automated_probabilities()
        self.engine.with_context(prospect_now=now + timedelta(days=7))._run()
        self.assertTrue(self._state()["full"])
