import re

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import TransactionCase, tagged, users
from odoo.tools import mute_logger

from odoo.addons.mail.tests.common import mail_new_test_user
from odoo.addons.prospect_development import rules


@tagged("post_install", "-at_install")
class TestSettings(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin = mail_new_test_user(
            cls.env,
            login="pd_settings_admin",
            groups="base.group_system,sales_team.group_sale_manager",
        )

    def _params(self):
        params = self.env["ir.config_parameter"].sudo()
        return {
            key: params.get_param(f"prospect_development.{key}")
            for key in rules.DEFAULTS
        }

    @users("pd_settings_admin")
    def test_defaults_shown(self):
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.prospect_tier_super_pct, 1)
        self.assertEqual(settings.prospect_tier_large_pct, 4)
        self.assertEqual(settings.prospect_tier_medium_pct, 15)
        self.assertEqual(settings.prospect_lookback_days, 365)
        self.assertEqual(settings.prospect_cadence_b_days, 14)
        self.assertEqual(settings.prospect_score_threshold, 60)

    @users("pd_settings_admin")
    def test_valid_values_are_saved_and_used(self):
        self.env["res.config.settings"].create(
            {"prospect_grade_a_days": 20, "prospect_cadence_a_days": 3}
        ).execute()
        self.assertEqual(self._params()["grade_a_days"], "20")
        settings = self.env["crm.lead"]._prospect_settings()
        self.assertEqual(settings["grade_a_days"], 20)
        self.assertEqual(settings["cadence_a_days"], 3)

    @users("pd_settings_admin")
    def test_invalid_values_are_refused_and_nothing_saved(self):
        before = self._params()
        invalid = [
            (
                {
                    "prospect_tier_super_pct": 50,
                    "prospect_tier_large_pct": 40,
                    "prospect_tier_medium_pct": 20,
                },
                "cannot exceed 100%",
            ),
            ({"prospect_tier_large_pct": -4}, "cannot be negative"),
            (
                {"prospect_lookback_days": -1},
                "Revenue Window (days) must be at least 1",
            ),
            ({"prospect_cadence_c_days": 0}, "must be at least 1"),
            ({"prospect_abandon_days": -10}, "must be at least 1"),
            ({"prospect_grade_a_days": 100}, "must grow from A to C"),
            (
                {"prospect_grade_b_days": 200, "prospect_grade_c_days": 150},
                "must grow from A to C",
            ),
            ({"prospect_score_threshold": 120}, "from 0 to 100"),
            ({"prospect_abandon_cost_factor": 0}, "above 0"),
        ]
        for values, message in invalid:
            with self.subTest(values=values):
                # valid keys given together with a bad one are not saved either
                settings = self.env["res.config.settings"].create(
                    {"prospect_cadence_d_days": 45, **values}
                )
                with (
                    self.assertRaisesRegex(ValidationError, re.escape(message)),
                    mute_logger("odoo.sql_db"),
                ):
                    settings.execute()
                self.assertEqual(self._params(), before)

    def test_unreadable_parameter_falls_back_to_default(self):
        self.env["ir.config_parameter"].set_param(
            "prospect_development.cadence_a_days", "seven"
        )
        self.assertEqual(self.env["crm.lead"]._prospect_settings()["cadence_a_days"], 7)

    def test_rescore_now_is_for_managers(self):
        salesman = mail_new_test_user(
            self.env,
            login="pd_settings_salesman",
            groups="base.group_user,base.group_system",
        )
        with self.assertRaises(AccessError):
            self.env["res.config.settings"].with_user(salesman).create(
                {}
            ).action_prospect_rescore_now()
        action = (
            self.env["res.config.settings"]
            .with_user(self.admin)
            .create({})
            .action_prospect_rescore_now()
        )
        self.assertEqual(action["params"]["type"], "success")
