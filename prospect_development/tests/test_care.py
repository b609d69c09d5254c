from datetime import date, datetime

from psycopg2 import IntegrityError

from odoo.exceptions import ValidationError
from odoo.tests import freeze_time, tagged
from odoo.tools import mute_logger

from odoo.addons.prospect_development.tests.common import ProspectCase

NOON = "12:00:00"  # frozen at noon: today is the same day in every timezone


@tagged("post_install", "-at_install")
class TestCare(ProspectCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the default holidays would add greetings depending on the frozen day,
        cls.env["prospect.care.holiday"].search([]).action_archive()
        # nor would key accounts of the database (demo data): counts must be ours
        cls.env["crm.lead"].search([("key_account_colour", "!=", False)]).write(
            {"key_account_colour": False}
        )
        cls.customer = cls._customer(
            "Great Wall Trading", email="office@greatwall.example.com"
        )
        cls.contact = cls.env["res.partner"].create(
            {
                "name": "Li Wei",
                "parent_id": cls.customer.id,
                "email": "li.wei@greatwall.example.com",
            }
        )
        cls.engine = cls.env["prospect.care.engine"]
        cls.log_model = cls.env["prospect.care.log"]

    def setUp(self):
        super().setUp()
        self._set_params(care_days_ahead=7, care_mode="mail")

    def _key_lead(self, name="Key deal", **values):
        return self._open_lead(
            name,
            **{
                "partner_id": self.contact.id,
                "key_account_colour": "red",
                "user_id": self.user_sales_salesman.id,
                **values,
            },
        )

    def _greeting_mails(self, lead):
        """Greetings queued for the customer's contact on ``lead``."""
        return self.env["mail.mail"].search(
            [
                ("model", "=", "crm.lead"),
                ("res_id", "=", lead.id),
                ("recipient_ids", "in", self.contact.ids),
            ]
        )

    def _logs(self):
        return self.log_model.search([("partner_id", "=", self.customer.id)])

    def _days_ago(self, day, today):
        return (datetime.fromisoformat(f"{today} {NOON}").date() - day).days

    # ------------------------------------------------------------
    # Birthdays, once
    # ------------------------------------------------------------

    @freeze_time(f"2026-06-10 {NOON}")
    def test_birthday_queues_one_greeting_once(self):
        self.contact.prospect_birthday = date(1980, 6, 13)
        lead = self._key_lead()

        self.assertEqual(self.engine._cron_prospect_care(), 1)

        mail = self._greeting_mails(lead)
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.state, "outgoing", "queued, not sent from the job")
        self.assertIn("Birthday", mail.subject)
        self.assertIn("Li Wei", str(mail.body_html))
        self.assertIn("birthday", str(mail.body_html))
        message = lead.message_ids.filtered(lambda m: m.mail_ids == mail)
        self.assertEqual(message.subtype_id, self.env.ref("mail.mt_comment"))
        self.assertEqual(message.author_id, self.user_sales_salesman.partner_id)
        log = self._logs()
        self.assertRecordValues(
            log,
            [
                {
                    "partner_id": self.customer.id,
                    "occasion": "birthday",
                    "year": 2026,
                    "date": date(2026, 6, 13),
                    "lead_id": lead.id,
                    "message_id": message.id,
                }
            ],
        )

        self.assertEqual(self.engine._cron_prospect_care(), 0)
        self.assertEqual(len(self._greeting_mails(lead)), 1)
        self.assertEqual(len(self._logs()), 1)

    @freeze_time(f"2026-06-10 {NOON}")
    def test_birthday_outside_window(self):
        self.contact.prospect_birthday = date(1980, 6, 18)  # in 8 days
        self._key_lead()
        self.assertEqual(self.engine._cron_prospect_care(), 0)
        self._set_params(care_days_ahead=8)
        self.assertEqual(self.engine._cron_prospect_care(), 1)

    @freeze_time(f"2026-06-10 {NOON}")
    def test_only_open_key_accounts(self):
        self.contact.prospect_birthday = date(1980, 6, 13)
        self._open_lead("Not a key account", partner_id=self.contact.id)
        self._key_lead("Lost").action_set_lost()
        won = self._key_lead("Won")
        won.stage_id = self.won_stage
        self.assertEqual(self.engine._cron_prospect_care(), 0)
        self.assertFalse(self._logs())

    @freeze_time(f"2026-06-10 {NOON}")
    def test_one_greeting_per_customer(self):
        """Several open leads of the customer: the most recent one is greeted."""
        self.customer.prospect_birthday = date(1975, 6, 12)
        other_contact = self.env["res.partner"].create(
            {"name": "Zhang Min", "parent_id": self.customer.id}
        )
        self._key_lead("Older deal")
        newest = self._open_lead(
            "Newest deal",
            partner_id=other_contact.id,
            key_account_colour="white",
            user_id=self.user_sales_salesman.id,
        )
        self._set_params(care_mode="activity")
        self.assertEqual(self.engine._cron_prospect_care(), 1)
        self.assertEqual(self._logs().lead_id, newest)

    # ------------------------------------------------------------
    # Founding and partnership anniversaries, holidays
    # ------------------------------------------------------------

    @freeze_time(f"2026-06-10 {NOON}")
    def test_founding_anniversary(self):
        self.customer.prospect_founding_date = date(2001, 6, 15)
        lead = self._key_lead()
        self.assertEqual(self.engine._cron_prospect_care(), 1)
        self.assertRecordValues(
            self._logs(),
            [{"occasion": "founding", "date": date(2026, 6, 15), "year": 2026}],
        )
        self.assertIn("founding", str(self._greeting_mails(lead).body_html))

    @freeze_time(f"2026-06-10 {NOON}")
    def test_founding_in_the_window_year_itself(self):
        """A company founded in a few days has no anniversary yet."""
        self.customer.prospect_founding_date = date(2026, 6, 15)
        self._key_lead()
        self.assertEqual(self.engine._cron_prospect_care(), 0)

    @freeze_time(f"2026-06-10 {NOON}")
    def test_partnership_anniversary_from_first_won_deal(self):
        today = "2026-06-10"
        self._won_deals(
            [(self.contact, 1000)], days_ago=self._days_ago(date(2024, 6, 15), today)
        )
        # later deals, and deals won for another company, do not move it
        self._won_deals(
            [(self.customer, 500)], days_ago=self._days_ago(date(2025, 6, 12), today)
        )
        self._won_deals(
            [(self.customer, 500)],
            days_ago=self._days_ago(date(2023, 6, 11), today),
            company=self.env.ref("base.main_company"),
        )
        lead = self._key_lead()

        self.assertEqual(self.engine._cron_prospect_care(), 1)
        self.assertRecordValues(
            self._logs(),
            [
                {
                    "occasion": "partnership",
                    "date": date(2026, 6, 15),
                    "label": "Partnership anniversary (2 years)",
                }
            ],
        )
        self.assertIn("2 years", self._greeting_mails(lead).subject)

    @freeze_time(f"2026-06-10 {NOON}")
    def test_holiday(self):
        holiday = self.env["prospect.care.holiday"].create(
            {"name": "Dragon Boat Festival", "month": 6, "day": 14}
        )
        self.env["prospect.care.holiday"].create(
            {"name": "Archived Day", "month": 6, "day": 11, "active": False}
        )
        lead = self._key_lead()
        self._open_lead("No key account", partner_id=self._customer("Other").id)

        self.assertEqual(self.engine._cron_prospect_care(), 1)
        self.assertRecordValues(
            self._logs(),
            [
                {
                    "occasion": f"holiday_{holiday.id}",
                    "date": date(2026, 6, 14),
                    "label": "Dragon Boat Festival",
                }
            ],
        )
        self.assertIn("Dragon Boat Festival", str(self._greeting_mails(lead).body_html))
        self.assertEqual(self.engine._cron_prospect_care(), 0)

    def test_holiday_must_be_a_date(self):
        Holiday = self.env["prospect.care.holiday"]
        for month, day in ((2, 30), (4, 31), (13, 1), (0, 10), (5, 0)):
            with self.subTest(month=month, day=day), self.assertRaises(ValidationError):
                Holiday.create({"name": "Wrong", "month": month, "day": day})
        self.assertTrue(Holiday.create({"name": "Leap", "month": 2, "day": 29}))

    # ------------------------------------------------------------
    # Activity mode
    # ------------------------------------------------------------

    @freeze_time(f"2026-06-10 {NOON}")
    def test_activity_mode_plans_a_gift(self):
        self._set_params(care_mode="activity")
        self.contact.prospect_birthday = date(1980, 6, 13)
        lead = self._key_lead()

        self.assertEqual(self.engine._cron_prospect_care(), 1)
        activity = lead.activity_ids
        self.assertRecordValues(
            activity,
            [
                {
                    "activity_type_id": self.env.ref("mail.mail_activity_data_todo").id,
                    "user_id": self.user_sales_salesman.id,
                    "date_deadline": date(2026, 6, 13),
                    "summary": "Send a gift: Birthday",
                }
            ],
        )
        self.assertEqual(self._logs().activity_id, activity)
        self.assertFalse(self._greeting_mails(lead))

        self.assertEqual(self.engine._cron_prospect_care(), 0)
        self.assertEqual(len(lead.activity_ids), 1)

    @freeze_time(f"2026-06-10 {NOON}")
    def test_activity_mode_team_leader_without_salesperson(self):
        self._set_params(care_mode="activity")
        self.contact.prospect_birthday = date(1980, 6, 13)
        lead = self._key_lead(user_id=False, team_id=self.sales_team_1.id)
        self.assertEqual(self.engine._cron_prospect_care(), 1)
        self.assertEqual(lead.activity_ids.user_id, self.user_sales_manager)

    @freeze_time(f"2026-06-10 {NOON}")
    def test_mail_mode_without_email_plans_a_gift(self):
        self.contact.write({"email": False, "prospect_birthday": date(1980, 6, 13)})
        lead = self._key_lead()
        self.assertEqual(self.engine._cron_prospect_care(), 1)
        self.assertEqual(lead.activity_ids.user_id, self.user_sales_salesman)
        self.assertFalse(self._greeting_mails(lead))

    # ------------------------------------------------------------
    # Calendar edges
    # ------------------------------------------------------------

    @freeze_time(f"2026-12-28 {NOON}")
    def test_year_boundary(self):
        self.env["prospect.care.holiday"].create(
            {"name": "New Year", "month": 1, "day": 1}
        )
        self.contact.prospect_birthday = date(1975, 1, 2)
        self._key_lead()

        self.assertEqual(self.engine._cron_prospect_care(), 2)
        self.assertEqual(
            sorted(self._logs().mapped(lambda log: (log.date, log.year))),
            [(date(2027, 1, 1), 2027), (date(2027, 1, 2), 2027)],
        )

    @freeze_time(f"2026-12-28 {NOON}")
    def test_year_boundary_greeted_last_year(self):
        """Last year's greeting does not stop next January's."""
        self.contact.prospect_birthday = date(1975, 1, 2)
        self.log_model.create(
            {
                "partner_id": self.customer.id,
                "occasion": "birthday",
                "year": 2026,
                "date": date(2026, 1, 2),
            }
        )
        self._key_lead()
        self.assertEqual(self.engine._cron_prospect_care(), 1)

    @freeze_time(f"2027-02-24 {NOON}")
    def test_february_29_common_year(self):
        self.contact.prospect_birthday = date(1988, 2, 29)
        self._key_lead()
        self.assertEqual(self.engine._cron_prospect_care(), 1)
        self.assertEqual(self._logs().date, date(2027, 2, 28))

    @freeze_time(f"2027-02-20 {NOON}")
    def test_february_29_common_year_out_of_window(self):
        self.contact.prospect_birthday = date(1988, 2, 29)
        self._key_lead()
        self.assertEqual(self.engine._cron_prospect_care(), 0)  # up to Feb 27

    @freeze_time(f"2028-02-24 {NOON}")
    def test_february_29_leap_year(self):
        self.contact.prospect_birthday = date(1988, 2, 29)
        self._key_lead()
        self.assertEqual(self.engine._cron_prospect_care(), 1)
        self.assertEqual(self._logs().date, date(2028, 2, 29))

    @mute_logger("odoo.sql_db")
    def test_log_unique_per_occasion_and_year(self):
        values = {
            "partner_id": self.customer.id,
            "occasion": "birthday",
            "year": 2026,
            "date": date(2026, 6, 13),
        }
        self.log_model.create(values)
        with self.assertRaises(IntegrityError), self.cr.savepoint():
            self.log_model.create(values)
            self.log_model.flush_model()
