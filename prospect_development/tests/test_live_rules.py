from datetime import datetime, timedelta

from odoo import fields
from odoo.tests import tagged, users

from ..expressions import LazyValues
from ..models.crm_lead import RULE_OUTPUTS
from .common import SequenceCase


@tagged("post_install", "-at_install")
class TestLiveRules(SequenceCase):
    """The grade, next contact, urgency and cost a user's change moves, evaluated
    together (in Python, from the rules the night runs in SQL), and the sequences a
    closing stops."""

    def _salesman_lead(self, **values):
        return super()._salesman_lead(**{"stage_id": self.open_stage.id, **values})

    def test_today_is_the_users_day(self):
        """The day the rules count from is the user's, as Odoo's own
        ``context_today`` gives it: half-hour zones, either side of midnight, an
        unknown zone (the UTC day)."""
        engine = self.env["prospect.engine"]
        lead = self.env["crm.lead"]
        for tz in ("Asia/Kolkata", "America/St_Johns", "Pacific/Kiritimati", "UTC"):
            for moment in (
                datetime(2026, 3, 29, 18, 29, 59),
                datetime(2026, 3, 29, 18, 30, 0),
                datetime(2026, 11, 1, 2, 59, 0),
                datetime(2026, 11, 1, 3, 31, 0),
                datetime(2026, 12, 31, 9, 59, 59),
                datetime(2026, 12, 31, 10, 0, 1),
            ):
                with self.subTest(tz=tz, moment=moment):
                    self.assertEqual(
                        engine.with_context(tz=tz)._today(moment),
                        fields.Date.context_today(
                            lead.with_context(tz=tz), timestamp=moment
                        ),
                    )
        self.assertEqual(
            engine.with_context(tz="Mars/Olympus")._today(datetime(2026, 1, 1, 23)),
            datetime(2026, 1, 1).date(),
        )

    @users("user_sales_salesman")
    def test_closing_date_moves_grade_contact_and_history_at_once(self):
        lead = self._salesman_lead(
            need_status="clear", date_deadline=self.today + timedelta(days=20)
        )
        self.assertEqual(lead.prospect_grade, "a")
        self.assertEqual(lead.next_contact_date, self.today + timedelta(days=7))
        self.flush_tracking()
        lead.date_deadline = self.today + timedelta(days=60)
        self.flush_tracking()
        self.assertEqual(lead.prospect_grade, "b")
        # the interval of the new grade, not of the one it had
        self.assertEqual(lead.next_contact_date, self.today + timedelta(days=14))
        self.assertEqual(lead.contact_urgency, "soon")
        history = lead.sudo().prospect_history_ids.filtered(
            lambda line: line.kind == "grade"
        )
        self.assertEqual(
            [(line.old_value, line.new_value) for line in history], [("a", "b")]
        )
        tracked = lead.message_ids.sudo().tracking_value_ids.filtered(
            lambda value: value.field_id.name == "prospect_grade"
        )
        self.assertEqual(len(tracked), 1, "the grade's move is in the chatter")

    @users("user_sales_salesman")
    def test_a_save_asks_the_database_nothing_more_than_its_writes(self):
        lead = self._salesman_lead(
            need_status="clear", date_deadline=self.today + timedelta(days=20)
        )
        lead.date_deadline = self.today + timedelta(days=21)  # access rights cached
        self.env.flush_all()
        # grade, next contact and urgency evaluated again, without a query: the
        # lead's row is all the save writes
        with self.assertQueryCount(1):
            lead.date_deadline = self.today + timedelta(days=22)
        self.assertEqual(lead.prospect_grade, "a")
        self.assertEqual(lead.next_contact_date, self.today + timedelta(days=7))
        lead.date_deadline = self.today + timedelta(days=70)
        self.assertEqual(lead.prospect_grade, "b")
        self.assertEqual(lead.next_contact_date, self.today + timedelta(days=14))

    def test_leads_created_together_match_leads_created_one_by_one(self):
        values = [
            {"need_status": "clear", "date_deadline": self.today + timedelta(days=10)},
            {"need_status": "none", "development_cost_logged": 250.0},
            {"next_contact_planned": self.today + timedelta(days=3)},
        ]
        together = self.env["crm.lead"].create(
            [
                {
                    "name": f"Together {index}",
                    "type": "opportunity",
                    "stage_id": self.open_stage.id,
                    **vals,
                }
                for index, vals in enumerate(values)
            ]
        )
        alone = self.env["crm.lead"]
        for index, vals in enumerate(values):
            alone |= self.env["crm.lead"].create(
                {
                    "name": f"Alone {index}",
                    "type": "opportunity",
                    "stage_id": self.open_stage.id,
                    **vals,
                }
            )
        names = [
            "prospect_grade",
            "next_contact_date",
            "contact_urgency",
            "development_cost",
        ]
        self.assertEqual(together[0].prospect_grade, "a")
        self.assertEqual(
            [[row[name] for name in names] for row in together.read(names)],
            [[row[name] for name in names] for row in alone.read(names)],
        )
        self.assertEqual(together[1].development_cost, 250.0)
        self.assertEqual(together[2].next_contact_date, self.today + timedelta(days=3))

    def test_a_stage_made_won_closes_the_leads_moved_to_it(self):
        stage = self.env["crm.stage"].create({"name": "Signed", "sequence": 500})
        lead = self._lead()
        lead.write({"need_status": "clear", "date_deadline": self.today})
        enrollment = self._enrol(lead)
        # the won stages are cached for the live rules: a stage won since counts
        stage.is_won = True
        lead.with_user(self.user_sales_salesman).stage_id = stage
        self.assertEqual(enrollment.state, "stopped")
        self.assertEqual(enrollment.stop_reason, "won")
        self.assertEqual(lead.prospect_grade, "a", "a won lead keeps its grade")
        self.assertFalse(lead.next_contact_date, "nobody to contact on a won lead")

    def test_moving_an_open_lead_keeps_its_sequence(self):
        lead = self._lead()
        enrollment = self._enrol(lead)
        other = self.env["crm.stage"].create({"name": "Visited", "sequence": 2})
        lead.with_user(self.user_sales_salesman).stage_id = other
        self.assertEqual(enrollment.state, "running")
        lead.with_user(self.user_sales_salesman).action_set_lost()
        self.assertEqual(enrollment.stop_reason, "lost")

    def test_comment_of_the_salesperson_is_a_contact_not_odoobot(self):
        lead = self._lead()
        self.assertFalse(lead.last_contact_date)
        odoobot = self.env.ref("base.user_root")
        lead.with_user(odoobot).message_post(
            body="Reminder", message_type="comment", subtype_xmlid="mail.mt_comment"
        )
        self.assertFalse(lead.last_contact_date, "OdooBot is not a salesperson")
        lead.with_user(self.user_sales_salesman).message_post(
            body="Called them", message_type="comment", subtype_xmlid="mail.mt_comment"
        )
        self.assertEqual(lead.last_contact_date, self.today)

    @users("user_sales_salesman")
    def test_every_input_saved_moves_what_it_decides(self):
        """A save evaluates again the rules that read what it writes, and only
        those: the same values as the evaluation of the whole lead."""
        lead = self._salesman_lead(
            need_status="clear", date_deadline=self.today + timedelta(days=20)
        )
        other_open = self.env["crm.stage"].sudo().create({"name": "Met", "sequence": 3})
        names = [
            "prospect_grade",
            "next_contact_date",
            "contact_urgency",
            "development_cost",
        ]

        def evaluated():
            # what the rules give for the whole lead as it is now
            readers, outputs, _won_ids = lead._prospect_live_program()
            values = LazyValues(lead, readers)
            return [
                outputs[output].evaluate(values) or False for output in RULE_OUTPUTS
            ]

        saves = [
            {"next_contact_planned": self.today + timedelta(days=40)},
            {"need_status": "potential"},
            {"development_cost_logged": 120.0},
            {"stage_id": other_open.id},
            {"date_deadline": self.today + timedelta(days=400)},
            {"need_status": "clear", "next_contact_planned": False},
            {"stage_id": self.won_stage.id},
        ]
        seen = set()
        for vals in saves:
            with self.subTest(vals=vals):
                before = [lead[name] for name in names]
                lead.write(vals)
                after = [lead[name] for name in names]
                self.assertEqual(after, evaluated())
                seen.update(
                    name
                    for name, old, new in zip(names, before, after, strict=True)
                    if old != new
                )
        self.assertEqual(seen, set(names), "each rule was moved by a save")
        self.assertFalse(lead.next_contact_date, "won: nobody to contact")
        self.assertEqual(lead.prospect_grade, "d", "won: the grade it won with")
