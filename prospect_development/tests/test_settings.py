import re

from hypothesis import given, settings
from hypothesis import strategies as st

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import TransactionCase, tagged, users
from odoo.tools import mute_logger

from odoo.addons.mail.tests.common import mail_new_test_user
from odoo.addons.prospect_development.models.prospect_settings import DEFAULTS


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
            key: params.get_param(f"prospect_development.{key}") for key in DEFAULTS
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
        settings = self.env["prospect.settings"]._get()
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
            ({"prospect_score_threshold": 120}, "Sales-ready Score cannot exceed 100"),
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

    @users("pd_settings_admin")
    def test_huge_and_wrong_values_are_refused(self):
        before = self._params()
        invalid = [
            ({"prospect_lookback_days": 10**12}, "cannot exceed 36500"),
            ({"prospect_cadence_a_days": 40_000}, "cannot exceed 36500"),
            ({"prospect_abandon_touches": 2**31}, "cannot exceed 100000"),
            ({"prospect_cost_per_touch": 1e300}, "cannot exceed 1000000000"),
            ({"prospect_cost_per_touch": float("inf")}, "cannot exceed"),
            ({"prospect_abandon_cost_factor": float("nan")}, "cannot exceed"),
            ({"prospect_care_days_ahead": "soon"}, "must be a number"),
            ({"prospect_score_threshold": [60]}, "must be a number"),
        ]
        for values, message in invalid:
            with self.subTest(values=values):
                with (
                    self.assertRaisesRegex(ValidationError, re.escape(message)),
                    mute_logger("odoo.sql_db"),
                ):
                    self.env["res.config.settings"].create(values).execute()
                self.assertEqual(self._params(), before)

    @settings(max_examples=80, deadline=None)
    @given(
        st.dictionaries(
            st.sampled_from(sorted(DEFAULTS.keys() - {"revenue_source", "care_mode"})),
            st.one_of(
                st.integers(-(2**40), 2**40),
                st.sampled_from([-1, 0, 1, 99, 100, 101, 36_500, 36_501, 2**31]),
            ),
            min_size=1,
            max_size=4,
        )
    )
    def test_settings_fuzz(self, values):
        """Any mix of values: refused with a message and nothing saved, or saved and
        the nightly jobs run with it."""
        before = self._params()
        vals = {f"prospect_{key}": value for key, value in values.items()}
        try:
            with mute_logger("odoo.sql_db"), self.env.cr.savepoint():
                self.env["res.config.settings"].create(vals).execute()
        except ValidationError as error:
            self.assertTrue(str(error))
            self.assertEqual(self._params(), before, "nothing saved")
            return
        saved = self.env["prospect.settings"]._get()
        for key, value in values.items():
            self.assertEqual(saved[key], value)
        self.assertIsInstance(self.env["crm.lead"]._action_prospect_rescore(), int)

    def test_parameters_edited_by_hand_never_stop_the_jobs(self):
        params = self.env["ir.config_parameter"]
        for key, raw in (
            ("lookback_days", "999999999"),
            ("grade_b_days", "10"),
            ("abandon_cost_factor", "nan"),
            ("tier_super_pct", "90"),
            ("tier_large_pct", "90"),
        ):
            params.set_param(f"prospect_development.{key}", raw)
        settings = self.env["prospect.settings"]._get()
        for key in (
            "lookback_days",
            "grade_a_days",
            "grade_b_days",
            "grade_c_days",
            "abandon_cost_factor",
            "tier_super_pct",
            "tier_large_pct",
        ):
            self.assertEqual(settings[key], DEFAULTS[key], key)
        self.assertIsInstance(self.env["crm.lead"]._action_prospect_rescore(), int)

    def test_unreadable_parameter_falls_back_to_default(self):
        self.env["ir.config_parameter"].set_param(
            "prospect_development.cadence_a_days", "seven"
        )
        self.assertEqual(self.env["prospect.settings"]._get()["cadence_a_days"], 7)

    def test_rescore_now_is_for_managers(self):
        """Sales managers (who cannot open the Settings) schedule the nightly run
        at once; it runs in the background, not in their request."""
        cron = self.env.ref("prospect_development.ir_cron_prospect_rescore")
        Trigger = self.env["ir.cron.trigger"]
        salesman = mail_new_test_user(
            self.env,
            login="pd_settings_salesman",
            groups="sales_team.group_sale_salesman",
        )
        with self.assertRaises(AccessError):
            self.env["crm.lead"].with_user(salesman).action_prospect_rescore_now()
        self.assertFalse(Trigger.search([("cron_id", "=", cron.id)]))
        manager = mail_new_test_user(
            self.env,
            login="pd_settings_manager",
            groups="sales_team.group_sale_manager",
        )
        lead = self.env["crm.lead"].create(
            {"name": "Rescore me", "need_status": "none"}
        )
        self.env.cr.execute(
            "UPDATE crm_lead SET pyramid_tier = 'suspect' WHERE id = %s", (lead.id,)
        )
        lead.invalidate_recordset()
        action = self.env["crm.lead"].with_user(manager).action_prospect_rescore_now()
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(len(Trigger.search([("cron_id", "=", cron.id)])), 1)
        self.assertEqual(lead.pyramid_tier, "suspect", "nothing ran in the request")
        # the scheduled job, when it runs, applies the rules
        cron.method_direct_trigger()
        lead.invalidate_recordset()
        self.assertEqual(lead.pyramid_tier, "other")
        # the settings screen's button does the same
        self.env["res.config.settings"].with_user(self.admin).create(
            {}
        ).action_prospect_rescore_now()
        self.assertEqual(len(Trigger.search([("cron_id", "=", cron.id)])), 2)
