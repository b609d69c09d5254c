from datetime import timedelta
from unittest.mock import patch

from psycopg2.errors import CheckViolation

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, tagged, users
from odoo.tools import mute_logger

from .common import ProspectCase

TRACKED_FIELDS = {
    "need_status",
    "prospect_grade",
    "key_account_colour",
    "next_contact_planned",
    "development_cost_logged",
    "abandon_reason",
    "prospect_referrer_id",
}


@tagged("post_install", "-at_install")
class TestCrmLeadProspect(ProspectCase):
    @users("user_sales_salesman")
    def test_new_lead_defaults(self):
        lead = self._salesman_lead()
        self.assertEqual(lead.pyramid_tier, "suspect")
        self.assertEqual(lead.prospect_grade, "d", "empty need counts as potential")
        self.assertEqual(lead.next_contact_date, self.today + timedelta(days=90))
        self.assertEqual(lead.contact_urgency, "later", "90 days ahead")

    @users("user_sales_salesman")
    def test_grade_follows_need_and_closing_date_at_once(self):
        lead = self._salesman_lead()
        lead.write(
            {"need_status": "clear", "date_deadline": self.today + timedelta(days=20)}
        )
        self.assertEqual(lead.prospect_grade, "a")
        self.assertEqual(lead.next_contact_date, self.today + timedelta(days=7))
        self.assertEqual(lead.contact_urgency, "urgent")
        lead.date_deadline = self.today + timedelta(days=60)
        self.assertEqual(lead.prospect_grade, "b")
        lead.date_deadline = self.today + timedelta(days=150)
        self.assertEqual(lead.prospect_grade, "c")
        lead.date_deadline = self.today + timedelta(days=400)
        self.assertEqual(lead.prospect_grade, "d")
        lead.need_status = "none"
        self.assertEqual(lead.prospect_grade, "e")
        self.assertFalse(lead.next_contact_date, "E leads are not contacted")
        self.assertFalse(lead.contact_urgency)

    @users("user_sales_salesman")
    def test_grade_changes_are_tracked(self):
        lead = self._salesman_lead(need_status="potential")
        self.flush_tracking()
        lead.write(
            {"need_status": "clear", "date_deadline": self.today + timedelta(days=10)}
        )
        self.flush_tracking()
        tracked = lead.sudo().message_ids.tracking_value_ids.filtered(
            lambda t: t.field_id.name == "prospect_grade"
        )
        self.assertEqual(tracked.old_value_char, "D")
        self.assertEqual(tracked.new_value_char, "A")

    def test_tracked_fields_are_the_add_ons(self):
        """What the tracking leaves out when unmoved: the add-on's tracked fields of
        a lead, crm's own are never left out."""
        self.assertEqual(self.env["crm.lead"]._prospect_tracked_fields, TRACKED_FIELDS)

    @users("user_sales_salesman")
    def test_tracking_describes_what_moved_only(self):
        """The chatter tracks the add-on's fields that moved, on the leads where
        they moved, emptied ones too; mail describes none of the others, so that a
        save that moves none of them pays nothing for them."""
        moved = self._salesman_lead(
            need_status="clear", date_deadline=self.today + timedelta(days=10)
        )
        still = self._salesman_lead(need_status="potential")
        self.flush_tracking()
        described = []
        fields_get = type(moved).fields_get

        def spy(model, allfields=None, attributes=None):
            described.append(set(allfields or ()))
            return fields_get(model, allfields=allfields, attributes=attributes)

        with patch.object(type(moved), "fields_get", spy):
            (moved | still).write({"date_deadline": self.today + timedelta(days=400)})
            self.flush_tracking()
            self.assertEqual(len(described), 1)
            self.assertIn("prospect_grade", described[0])
            self.assertFalse(described[0] & (TRACKED_FIELDS - {"prospect_grade"}))
            described.clear()
            moved.write({"need_status": False, "expected_revenue": 12_000})
            self.flush_tracking()
            self.assertEqual(described[0] & TRACKED_FIELDS, {"need_status"})
            described.clear()
            still.expected_revenue = 3_000
            self.flush_tracking()
            self.assertIn("expected_revenue", described[0])
            self.assertFalse(described[0] & TRACKED_FIELDS)

        def tracked(lead):
            values = lead.sudo().message_ids.tracking_value_ids
            return sorted(
                (value.field_id.name, value.old_value_char, value.new_value_char)
                for value in values
                if value.field_id.name in TRACKED_FIELDS
            )

        self.assertEqual(
            tracked(moved),
            [("need_status", "Clear need", ""), ("prospect_grade", "A", "D")],
        )
        self.assertEqual(tracked(still), [])

    @users("user_sales_salesman")
    def test_each_tracked_field_tracked_when_saved(self):
        """The add-on's tracked fields that only a save moves are read before the
        saves that write them, not before every save; each still shows in the
        chatter from its value before the transaction to its last one."""
        referrer = self.env["res.partner"].create({"name": "Referring customer"})
        lead = self._salesman_lead(need_status="potential")
        self.flush_tracking()
        lead.invalidate_recordset()
        lead.date_deadline = self.today + timedelta(days=20)
        prepared = self.env.cr.precommit.data["mail.tracking.crm.lead"][lead.id]
        self.assertEqual(prepared.keys() & TRACKED_FIELDS, {"prospect_grade"})
        planned = self.today + timedelta(days=3)
        lead.need_status = "clear"
        lead.write({"key_account_colour": "red", "next_contact_planned": planned})
        lead.write(
            {"development_cost_logged": 250, "prospect_referrer_id": referrer.id}
        )
        lead.write({"abandon_reason": "No budget this year", "need_status": "none"})
        self.flush_tracking()
        values = {
            value.field_id.name: value
            for value in lead.sudo().message_ids[0].tracking_value_ids
        }
        self.assertEqual(
            values.keys() & TRACKED_FIELDS,
            TRACKED_FIELDS,
            "every tracked field of the add-on, in one message",
        )

        def chars(name):
            return values[name].old_value_char, values[name].new_value_char

        self.assertEqual(chars("prospect_grade"), ("D", "E"))
        self.assertEqual(chars("need_status"), ("Potential need", "No need"))
        self.assertEqual(chars("key_account_colour"), ("", "Red"))
        self.assertEqual(chars("prospect_referrer_id"), ("", "Referring customer"))
        self.assertEqual(values["abandon_reason"].new_value_text, "No budget this year")
        self.assertEqual(
            values["next_contact_planned"].new_value_datetime.date(), planned
        )
        self.assertEqual(values["development_cost_logged"].new_value_float, 250)

    @users("user_sales_salesman")
    def test_form_shows_grade_before_saving(self):
        with Form(
            self.env["crm.lead"].with_context(default_type="opportunity")
        ) as form:
            form.name = "Form lead"
            form.need_status = "clear"
            form.date_deadline = self.today + timedelta(days=45)
            self.assertEqual(form.prospect_grade, "b")

    def test_closed_leads_keep_their_grade(self):
        won = self._open_lead(
            "Won", need_status="clear", date_deadline=self.today + timedelta(days=10)
        )
        won.stage_id = self.won_stage
        won.write({"date_deadline": self.today + timedelta(days=300)})
        self.assertEqual(
            won.prospect_grade, "a", "a won lead keeps the grade it won with"
        )
        self.assertFalse(won.next_contact_date)

        lost = self._open_lead(
            "Lost", need_status="clear", date_deadline=self.today + timedelta(days=60)
        )
        lost.action_set_lost()
        lost.need_status = "none"
        self.assertEqual(lost.prospect_grade, "b")
        lost.toggle_active()  # restored: graded again
        self.assertEqual(lost.prospect_grade, "e")

    @users("user_sales_salesman")
    def test_salesman_cannot_set_engine_fields(self):
        lead = self._salesman_lead()
        for values in (
            {"pyramid_tier": "super"},
            {"pyramid_revenue": 1e6},
            {"engagement_score": 99},
            {"abandon_recommended": True},
        ):
            with self.assertRaises(AccessError):
                lead.write(values)
            with self.assertRaises(AccessError):
                self._salesman_lead(**values)
        self.assertEqual(lead.pyramid_tier, "suspect")
        # reading them is fine, and so is creating with the defaults
        self.assertFalse(self._salesman_lead(pyramid_tier="suspect").pyramid_revenue)

    @users("user_sales_manager")
    def test_manager_cannot_set_engine_fields_either(self):
        lead = self.env["crm.lead"].create({"name": "Manager lead"})
        with self.assertRaises(AccessError):
            lead.write({"pyramid_tier": "large"})

    @users("user_sales_salesman")
    def test_black_key_account_needs_a_manager(self):
        lead = self._salesman_lead()
        lead.key_account_colour = "red"
        self.assertEqual(lead.key_account_colour, "red")
        with self.assertRaises(ValidationError):
            lead.key_account_colour = "black"
            lead.flush_recordset()
        with self.assertRaises(ValidationError):
            self._salesman_lead(key_account_colour="black")

        lead.with_user(self.user_sales_manager).key_account_colour = "black"
        self.assertEqual(lead.key_account_colour, "black")
        # the salesperson still works on the lead, and may drop the colour
        lead.need_status = "clear"
        lead.key_account_colour = "white"
        self.assertEqual(lead.key_account_colour, "white")

    def test_development_cost_cannot_be_negative(self):
        lead = self._open_lead("Costly")
        with (
            self.assertRaises(CheckViolation),
            mute_logger("odoo.sql_db"),
            self.cr.savepoint(),
        ):
            lead.development_cost_logged = -5
            lead.flush_recordset()

    @users("user_sales_salesman")
    def test_due_for_contact_filter(self):
        due = self._salesman_lead(name="Due")
        due.last_contact_date = self.today - timedelta(days=100)
        not_due = self._salesman_lead(name="Not due")
        domain = [
            ("next_contact_date", "<=", self.today),
            ("id", "in", (due | not_due).ids),
        ]
        self.assertEqual(self.env["crm.lead"].search(domain), due)


@tagged("post_install", "-at_install")
class TestLeadImport(ProspectCase):
    def test_import_with_unknown_selection_values(self):
        """A CSV import with values the method does not know gets Odoo's import
        errors, line by line, and imports nothing."""
        Lead = self.env["crm.lead"].with_user(self.user_sales_salesman)
        count = Lead.search_count([])
        result = Lead.load(
            ["name", "need_status", "key_account_colour"],
            [
                ["Imported fine", "clear", "red"],
                ["Unknown need", "urgent", ""],
                ["Unknown colour", "", "purple"],
            ],
        )
        self.assertFalse(result["ids"])
        errors = [
            message for message in result["messages"] if message["type"] == "error"
        ]
        self.assertEqual({message["rows"]["from"] for message in errors}, {1, 2})
        self.assertTrue(
            all("urgent" in m["message"] or "purple" in m["message"] for m in errors)
        )
        self.assertEqual(Lead.search_count([]), count)

    def test_import_with_labels(self):
        result = (
            self.env["crm.lead"]
            .with_user(self.user_sales_salesman)
            .load(
                ["name", "need_status", "key_account_colour"],
                [["Imported by label", "Clear need", "White"]],
            )
        )
        lead = self.env["crm.lead"].browse(result["ids"])
        self.assertEqual(
            (lead.need_status, lead.key_account_colour), ("clear", "white")
        )
        self.assertEqual(
            lead.prospect_grade, "d", "graded at once, without a closing date"
        )
