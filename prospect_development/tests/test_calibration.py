from datetime import datetime, time, timedelta

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, tagged, users
from odoo.tools import SQL

from odoo.addons.mail.tests.common import mail_new_test_user

from ..wizard.prospect_calibration_wizard import (
    grade_of,
    suggest_grade_limits,
    suggest_score_threshold,
)
from .common import ProspectCase

MEASURES = ["closed_count", "won_count", "win_rate", "days_to_close", "won_revenue"]


@tagged("post_install", "-at_install")
class TestCalibration(ProspectCase):
    """The calibration report tells whether grades, score, outcomes and sequences
    predicted the wins, on figures a manager can check by hand; the suggested
    thresholds follow from them and are saved only by an administrator through the
    settings' validation; the cost report weighs development cost against result."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._set_params_cls(cost_per_touch=10)
        cls.leader, cls.seller, cls.admin = (
            mail_new_test_user(
                cls.env,
                login=f"calibration_{login}",
                name=name,
                company_id=cls.pyramid_company.id,
                groups=groups,
            )
            for login, name, groups in (
                ("leader", "Team Leader", "sales_team.group_sale_salesman"),
                ("seller", "Other Seller", "sales_team.group_sale_salesman"),
                (
                    "admin",
                    "Settings Admin",
                    "base.group_system,sales_team.group_sale_manager",
                ),
            )
        )
        cls.user_sales_salesman.company_ids |= cls.pyramid_company
        cls.led_team = cls.env["crm.team"].create(
            {
                "name": "Led Team",
                "user_id": cls.leader.id,
                "company_id": cls.pyramid_company.id,
            }
        )
        cls.sequence = cls.env["prospect.sequence"].create(
            {
                "name": "Calibration Mailings",
                "auto_enroll": False,
                "step_ids": [
                    (
                        0,
                        0,
                        {
                            "name": "Introduction",
                            "delay_days": 0,
                            "template_id": cls.env.ref(
                                "prospect_development.mail_template_dm_company_intro"
                            ).id,
                        },
                    )
                ],
            }
        )
        cls.interested = cls.env.ref("prospect_development.call_outcome_interested")
        cls.unreachable = cls.env.ref("prospect_development.call_outcome_unreachable")
        # long ago: no closing of the demo data on that day
        cls.closing_day = cls.today - timedelta(days=2000)
        customers = [cls._customer(f"Calibration Customer {i}") for i in range(5)]
        salesman, seller, other = (
            cls.user_sales_salesman,
            cls.seller,
            cls.user_sales_leads,
        )
        # (grade, won, revenue, days to close, score at closing, outcome,
        #  sequence, salesperson, customer, touches, other costs)
        cls.plan = [
            ("a", True, 1000, 10, 70, cls.interested, True, salesman, 0, 5, 100),
            ("a", True, 3000, 20, 50, cls.interested, False, salesman, 1, 2, 0),
            ("a", False, 0, 30, 10, cls.unreachable, True, salesman, 0, 8, 200),
            ("b", True, 2000, 40, 65, None, False, seller, 2, 1, 0),
            ("b", False, 0, 50, 20, None, False, seller, 3, 4, 140),
            ("d", False, 0, 60, 0, None, False, other, 4, 0, 0),
            ("e", False, 0, 90, 0, None, False, other, 4, 0, 0),
            *[("c", False, 0, 70, 30, None, False, other, 4, 0, 0)] * 3,
        ]
        cls.leads = cls.env["crm.lead"]
        for index, (*closing, customer, touches, logged) in enumerate(cls.plan):
            cls.leads |= cls._closed_lead(
                index, *closing, customers[customer], touches, logged
            )
        # still open: in the cost report, not in the calibration
        cls.open_lead = cls._open_lead(
            "Calibration open",
            user_id=salesman.id,
            team_id=cls.led_team.id,
            partner_id=customers[0].id,
            development_cost_logged=50,
        )
        cls.open_lead.touch_count = 3
        cls.env.flush_all()

    @classmethod
    def _set_params_cls(cls, **values):
        params = cls.env["ir.config_parameter"].sudo()
        for key, value in values.items():
            params.set_param(f"prospect_development.{key}", value)

    @classmethod
    def _closed_lead(
        cls,
        index,
        grade,
        won,
        revenue,
        days,
        score,
        outcome,
        enrol,
        user,
        customer,
        touches,
        logged,
    ):
        need, deadline = {
            "a": ("clear", cls.today + timedelta(days=5)),
            "b": ("clear", cls.today + timedelta(days=50)),
            "c": ("clear", cls.today + timedelta(days=120)),
            "d": ("potential", False),
            "e": ("none", False),
        }[grade]
        team = cls.sales_team_1 if user == cls.user_sales_leads else cls.led_team
        lead = cls._open_lead(
            f"Calibration {index}",
            user_id=user.id,
            team_id=team.id,
            partner_id=customer.id,
            need_status=need,
            date_deadline=deadline,
            expected_revenue=revenue,
            development_cost_logged=logged,
        )
        lead.touch_count = touches
        if enrol:
            cls.env["prospect.sequence.enrollment"].create(
                {"lead_id": lead.id, "sequence_id": cls.sequence.id}
            )
        if won:
            lead.stage_id = cls.won_stage
        else:
            lead.action_set_lost()
        closed = datetime.combine(cls.closing_day, time(12, 0))
        cls.env.flush_all()
        cls.env.cr.execute(
            SQL(
                "UPDATE crm_lead SET date_closed = %s, create_date = %s WHERE id = %s",
                closed,
                closed - timedelta(days=days),
                lead.id,
            )
        )
        lead.invalidate_recordset(["date_closed", "create_date"])
        Event = cls.env["prospect.engagement.event"].sudo()
        if score:
            Event.create(
                {
                    "lead_id": lead.id,
                    "event_type": "reply",
                    "points": score,
                    "date": closed - timedelta(hours=2),
                }
            )
        if outcome:
            Event.create(
                {
                    "lead_id": lead.id,
                    "event_type": "call_outcome",
                    "outcome_id": outcome.id,
                    "points": 0,
                    "date": closed - timedelta(hours=1),
                }
            )
        # after the closing: counts neither in the score nor as the last call
        Event.create(
            {
                "lead_id": lead.id,
                "event_type": "call_outcome",
                "outcome_id": cls.unreachable.id,
                "points": 40,
                "date": closed + timedelta(days=1),
            }
        )
        return lead

    def _figures(self, groupby, model="prospect.calibration.report", measures=None):
        """{group value: {measure: value}} of the report as the pivot reads it."""
        measures = measures or MEASURES
        rows = self.env[model].read_group(
            [("company_id", "=", self.pyramid_company.id)],
            [groupby, *measures],
            [groupby],
            lazy=False,
        )
        result = {}
        for row in rows:
            key = row[groupby]
            if isinstance(key, tuple):
                key = key[0]
            result[key] = {
                name: round(row[name], 2) if isinstance(row[name], float) else row[name]
                for name in measures
            }
        return result

    # ------------------------------------------------------------
    # the calibration figures
    # ------------------------------------------------------------

    @users("user_sales_manager")
    def test_by_grade_at_closing(self):
        """Won and lost leads per grade they closed with: A 2 of 3 won (66.7 %),
        20 days on average, 4,000 won; open leads are not in it."""
        self.assertEqual(
            self._figures("prospect_grade"),
            {
                "a": {
                    "closed_count": 3,
                    "won_count": 2,
                    "win_rate": 66.67,
                    "days_to_close": 20.0,
                    "won_revenue": 4000.0,
                },
                "b": {
                    "closed_count": 2,
                    "won_count": 1,
                    "win_rate": 50.0,
                    "days_to_close": 45.0,
                    "won_revenue": 2000.0,
                },
                "c": {
                    "closed_count": 3,
                    "won_count": 0,
                    "win_rate": 0.0,
                    "days_to_close": 70.0,
                    "won_revenue": 0.0,
                },
                "d": {
                    "closed_count": 1,
                    "won_count": 0,
                    "win_rate": 0.0,
                    "days_to_close": 60.0,
                    "won_revenue": 0.0,
                },
                "e": {
                    "closed_count": 1,
                    "won_count": 0,
                    "win_rate": 0.0,
                    "days_to_close": 90.0,
                    "won_revenue": 0.0,
                },
            },
        )
        total = self.env["prospect.calibration.report"].read_group(
            [("company_id", "=", self.pyramid_company.id)], MEASURES, []
        )[0]
        # 3 won of 10 closed, not the mean of the grades' rates
        self.assertAlmostEqual(total["win_rate"], 30.0, places=2)
        self.assertEqual(total["won_revenue"], 6000)

    @users("user_sales_manager")
    def test_by_score_band_outcome_and_sequence(self):
        """The score each lead had on its closing day (signals after it do not
        count), the last call before closing, and the sequence followed."""
        bands = self._figures("score_band")
        self.assertEqual(
            {
                band: (row["closed_count"], row["won_count"])
                for band, row in bands.items()
            },
            {"60_79": (2, 2), "40_59": (1, 1), "20_39": (4, 0), "0_19": (3, 0)},
        )
        self.assertEqual(bands["60_79"]["won_revenue"], 3000)
        self.assertEqual(bands["60_79"]["days_to_close"], 25.0)
        ready = self._figures("sales_ready")
        # threshold 60: the two leads at 70 and 65, both won
        self.assertEqual(
            (ready[True]["closed_count"], ready[True]["win_rate"]), (2, 100.0)
        )
        self.assertEqual(
            (ready[False]["closed_count"], ready[False]["won_count"]), (8, 1)
        )

        outcomes = self._figures("outcome_id")
        self.assertEqual(
            outcomes[self.interested.id],
            {
                "closed_count": 2,
                "won_count": 2,
                "win_rate": 100.0,
                "days_to_close": 15.0,
                "won_revenue": 4000.0,
            },
        )
        self.assertEqual(
            (
                outcomes[self.unreachable.id]["closed_count"],
                outcomes[False]["closed_count"],
            ),
            (1, 7),
        )
        sequences = self._figures("sequence_id")
        self.assertEqual(
            sequences[self.sequence.id],
            {
                "closed_count": 2,
                "won_count": 1,
                "win_rate": 50.0,
                "days_to_close": 20.0,
                "won_revenue": 1000.0,
            },
        )

    # ------------------------------------------------------------
    # record rules
    # ------------------------------------------------------------

    def _visible(self, model="prospect.calibration.report"):
        return set(
            self.env[model]
            .search([("company_id", "=", self.pyramid_company.id)])
            .lead_id.sudo()  # the names, to compare: a team leader may not open them
            .mapped("name")
        )

    def test_record_rules(self):
        """A salesperson sees their own closed leads, a team leader those of the
        team they lead, a manager all; a company the user is not in, none."""
        names = {f"Calibration {index}" for index in range(10)}
        own = {"Calibration 0", "Calibration 1", "Calibration 2"}
        team = own | {"Calibration 3", "Calibration 4"}
        for user, expected in (
            (self.user_sales_salesman, own),
            (self.leader, team),
            (self.user_sales_manager, names),
        ):
            with self.with_user(user.login):
                self.assertEqual(self._visible(), expected, user.name)
                self.assertEqual(
                    self._visible("prospect.cost.result.report"),
                    expected | {"Calibration open"},
                    user.name,
                )
        self.user_sales_manager.company_ids -= self.pyramid_company
        with self.with_user("user_sales_manager"):
            self.assertFalse(
                self.env["prospect.calibration.report"].search(
                    [("lead_id", "in", self.leads.ids)]
                )
            )

    # ------------------------------------------------------------
    # cost against result
    # ------------------------------------------------------------

    @users("user_sales_manager")
    def test_cost_against_result(self):
        """Touches, cost (touches at 10 plus other costs), won revenue and won
        customers per salesperson; the cost per won customer of a group is its
        cost over its distinct won customers, at every level."""
        measures = [
            "lead_count",
            "touch_count",
            "development_cost",
            "won_revenue",
            "won_customer_id",
            "cost_per_won_customer",
        ]
        figures = self._figures("user_id", "prospect.cost.result.report", measures)
        # leads 0, 1, 2 and the open one: 5+2+8+3 touches; 150 + 20 + 280 + 80
        self.assertEqual(
            figures[self.user_sales_salesman.id],
            {
                "lead_count": 4,
                "touch_count": 18,
                "development_cost": 530.0,
                "won_revenue": 4000.0,
                "won_customer_id": 2,
                "cost_per_won_customer": 265.0,
            },
        )
        # leads 3 and 4: 10 + 180, one won customer
        self.assertEqual(
            figures[self.seller.id],
            {
                "lead_count": 2,
                "touch_count": 5,
                "development_cost": 190.0,
                "won_revenue": 2000.0,
                "won_customer_id": 1,
                "cost_per_won_customer": 190.0,
            },
        )
        self.assertFalse(figures[self.user_sales_leads.id]["cost_per_won_customer"])
        teams = self._figures("team_id", "prospect.cost.result.report", measures)
        # 720 over 3 won customers, not the mean of 265 and 190
        self.assertEqual(teams[self.led_team.id]["cost_per_won_customer"], 240.0)
        sequences = self._figures(
            "sequence_id", "prospect.cost.result.report", measures
        )
        self.assertEqual(
            (
                sequences[self.sequence.id]["development_cost"],
                sequences[self.sequence.id]["won_customer_id"],
            ),
            (430.0, 1),
        )

    # ------------------------------------------------------------
    # suggested thresholds
    # ------------------------------------------------------------

    def test_suggest_score_threshold(self):
        """Wins all score 55 or more and losses 40 or less: any threshold in 41-55
        separates them perfectly; the one closest to the current 60 is 55."""
        counts = {70: (4, 4), 55: (3, 3), 40: (3, 0), 20: (5, 1), 10: (4, 0)}
        self.assertEqual(suggest_score_threshold(counts, 60), 55)
        self.assertEqual(suggest_score_threshold(counts, 30), 41)
        # only wins: nothing to separate
        self.assertIsNone(suggest_score_threshold({70: (12, 12)}, 60))

    def test_suggest_grade_limits(self):
        """All won when they closed up to 14 days before the expected date, half
        won from 21 to 45 days, a quarter from 60 to 90, none beyond 120: the
        limits that separate them are 14, 45 and 90 days (the current 30, 90 and
        180 would have mixed them)."""
        rows = [
            (-5, 10, 10),
            (14, 10, 10),
            (21, 10, 5),
            (45, 10, 5),
            (60, 10, 3),
            (90, 10, 2),
            (120, 10, 0),
            (300, 10, 0),
        ]
        self.assertEqual(suggest_grade_limits(rows, (30, 90, 180)), (14, 45, 90))
        self.assertEqual(grade_of(-5, (14, 45, 90)), "a")
        self.assertEqual(grade_of(46, (14, 45, 90)), "c")
        self.assertEqual(grade_of(91, (14, 45, 90)), "d")
        # too few leads for four grades
        self.assertIsNone(suggest_grade_limits(rows[:3], (30, 90, 180)))

    def _wizard(self):
        return self.env["prospect.calibration.wizard"].create(
            {"date_from": self.closing_day, "date_to": self.closing_day}
        )

    @users("calibration_admin")
    def test_wizard_suggestion_and_apply(self):
        """Over these ten leads the best threshold is known: the wins scored 50,
        65 and 70 at closing, the losses 30 at most; of 31-50, all perfect, the
        closest to the current 60 is 50. Too few leads for four grades: the grade
        limits stay. An administrator saves the suggestion through the settings."""
        wizard = self._wizard()
        self.assertEqual((wizard.closed_count, wizard.won_count), (10, 3))
        self.assertEqual(wizard.score_threshold, 50)
        self.assertFalse(wizard.score_note)
        self.assertTrue(wizard.grade_note)
        self.assertEqual(
            (wizard.grade_a_days, wizard.grade_b_days, wizard.grade_c_days),
            (30, 90, 180),
        )
        self.assertEqual(wizard.changed_grade_count, 0)
        # A won 2 of 3 at closing; the threshold now (60) catches 2 of 3 wins
        self.assertIn("66.7%", wizard.figures_html)
        wizard.write({"grade_a_days": 20, "grade_b_days": 60, "grade_c_days": 150})
        wizard.action_apply()
        settings = self.env["prospect.settings"]._get()
        self.assertEqual(
            [settings[key] for key in ("grade_a_days", "grade_b_days", "grade_c_days")],
            [20, 60, 150],
        )
        self.assertEqual(settings["score_threshold"], 50)

    @users("calibration_admin")
    def test_apply_invalid_refused(self):
        """Limits out of order are refused with the settings' own message, and
        nothing is saved."""
        wizard = self._wizard()
        wizard.write({"grade_a_days": 90, "grade_b_days": 60, "score_threshold": 10})
        with self.assertRaisesRegex(ValidationError, "Grade thresholds must grow"):
            wizard.action_apply()
        settings = self.env["prospect.settings"]._get()
        self.assertEqual(
            (settings["grade_a_days"], settings["score_threshold"]), (30, 60)
        )

    @users("user_sales_manager")
    def test_apply_refused_to_non_admin(self):
        """A Sales manager sees the suggestion but cannot save it."""
        wizard = self._wizard()
        wizard.score_threshold = 5
        with self.assertRaisesRegex(AccessError, "Only administrators"):
            wizard.action_apply()
        self.assertEqual(self.env["prospect.settings"]._get()["score_threshold"], 60)

    @users("user_sales_manager")
    def test_wizard_form_follows_the_period(self):
        """Choosing the period in the form recomputes the suggestion: a period
        without closed leads keeps the current settings and says why."""
        with Form(self.env["prospect.calibration.wizard"]) as form:
            # the settings in force, beside the suggestion, from the opening
            settings = self.env["prospect.settings"]._get()
            self.assertEqual(form.current_grade_a_days, settings["grade_a_days"])
            self.assertEqual(form.current_grade_c_days, settings["grade_c_days"])
            self.assertEqual(form.current_score_threshold, settings["score_threshold"])
            form.date_from = self.closing_day
            form.date_to = self.closing_day
            self.assertEqual(form.score_threshold, 50)
            self.assertEqual(form.closed_count, 10)
            form.date_from = self.closing_day - timedelta(days=3)
            form.date_to = self.closing_day - timedelta(days=1)
            self.assertEqual(form.closed_count, 0)
            self.assertEqual(form.score_threshold, 60)
            self.assertTrue(form.score_note)

    @users("user_sales_salesman")
    def test_views_open_for_a_salesperson(self):
        """The two reports open in every view for a salesperson; the suggestion is
        for Sales managers."""
        for xmlid in (
            "prospect_development.action_prospect_calibration_report",
            "prospect_development.action_prospect_cost_result_report",
        ):
            action = self.env.ref(xmlid).sudo()
            Report = self.env[action.res_model]
            views = Report.get_views(
                [(False, mode) for mode in action.view_mode.split(",")]
                + [(action.search_view_id.id, "search")]
            )
            self.assertEqual(
                set(views["views"]), {"pivot", "graph", "list", "search"}, xmlid
            )
            Report.web_read_group([], ["lead_id"], ["user_id"])
        with self.assertRaises(AccessError):
            self.env["prospect.calibration.wizard"].create({})

    def test_demo_grades_predict_wins(self):
        """The demo's closed deals tell a manager what the method promises: the
        better the grade at closing, the likelier the win, on enough leads."""
        if not self.env.ref(
            "prospect_development.pd_demo_team_key_accounts", raise_if_not_found=False
        ):
            self.skipTest("without the demo data")
        rows = self.env["prospect.calibration.report"]._read_group(
            [("company_id", "=", self.env.ref("base.main_company").id)],
            ["prospect_grade"],
            ["closed_count:sum", "won_count:sum"],
        )
        closed = {grade: count for grade, count, _won in rows}
        rate = {grade: won / count for grade, count, won in rows}
        self.assertGreaterEqual(
            min(closed.get(grade, 0) for grade in "abcd"), 20, closed
        )
        self.assertGreater(rate["a"], rate["b"], rate)
        self.assertGreater(rate["b"], rate["c"] + 0.2, rate)
        self.assertGreater(rate["c"], rate["d"], rate)
