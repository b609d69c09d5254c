import math

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .prospect_settings import DEFAULTS, SETTINGS

# Largest value a PostgreSQL integer column holds.
MAX_INTEGER = 2**31 - 1


def _param(key):
    return f"prospect_development.{key}"


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    prospect_tier_super_pct = fields.Integer(
        string="Super Customers (%)",
        config_parameter=_param("tier_super_pct"),
        default=DEFAULTS["tier_super_pct"],
        help="Share of the customers, best revenue first, ranked super.",
    )
    prospect_tier_large_pct = fields.Integer(
        string="Large Customers (%)",
        config_parameter=_param("tier_large_pct"),
        default=DEFAULTS["tier_large_pct"],
        help="Share of the customers ranked large, after the super ones.",
    )
    prospect_tier_medium_pct = fields.Integer(
        string="Medium Customers (%)",
        config_parameter=_param("tier_medium_pct"),
        default=DEFAULTS["tier_medium_pct"],
        help="Share of the customers ranked medium; all the others are small.",
    )
    prospect_lookback_days = fields.Integer(
        string="Revenue Window (days)",
        config_parameter=_param("lookback_days"),
        default=DEFAULTS["lookback_days"],
        help="Revenue earned in this many days ranks the customers; customers who "
        "bought only before it are inactive.",
    )
    prospect_grade_a_days = fields.Integer(
        string="Grade A: closing within (days)",
        config_parameter=_param("grade_a_days"),
        default=DEFAULTS["grade_a_days"],
        help="A clear need expected to close within this many days is graded A.",
    )
    prospect_grade_b_days = fields.Integer(
        string="Grade B: closing within (days)",
        config_parameter=_param("grade_b_days"),
        default=DEFAULTS["grade_b_days"],
        help="A clear need expected to close within this many days is graded B.",
    )
    prospect_grade_c_days = fields.Integer(
        string="Grade C: closing within (days)",
        config_parameter=_param("grade_c_days"),
        default=DEFAULTS["grade_c_days"],
        help="A clear need expected to close within this many days is graded C; "
        "later, D.",
    )
    prospect_cadence_a_days = fields.Integer(
        string="Contact A leads every (days)",
        config_parameter=_param("cadence_a_days"),
        default=DEFAULTS["cadence_a_days"],
    )
    prospect_cadence_b_days = fields.Integer(
        string="Contact B leads every (days)",
        config_parameter=_param("cadence_b_days"),
        default=DEFAULTS["cadence_b_days"],
    )
    prospect_cadence_c_days = fields.Integer(
        string="Contact C leads every (days)",
        config_parameter=_param("cadence_c_days"),
        default=DEFAULTS["cadence_c_days"],
    )
    prospect_cadence_d_days = fields.Integer(
        string="Contact D leads every (days)",
        config_parameter=_param("cadence_d_days"),
        default=DEFAULTS["cadence_d_days"],
    )
    prospect_abandon_touches = fields.Integer(
        string="Abandon after (touches)",
        config_parameter=_param("abandon_touches"),
        default=DEFAULTS["abandon_touches"],
        help="Recommend giving up an open lead touched this many times without any "
        "answer from the prospect...",
    )
    prospect_abandon_days = fields.Integer(
        string="...over at least (days)",
        config_parameter=_param("abandon_days"),
        default=DEFAULTS["abandon_days"],
        help="...over at least this many days.",
    )
    prospect_abandon_cost_factor = fields.Float(
        string="Abandon when cost exceeds expected value by (factor)",
        config_parameter=_param("abandon_cost_factor"),
        default=DEFAULTS["abandon_cost_factor"],
        help="Also recommend giving up when the development cost is more than this "
        "factor times the expected value (expected revenue x probability).",
    )
    prospect_score_threshold = fields.Integer(
        string="Sales-ready Score",
        config_parameter=_param("score_threshold"),
        default=DEFAULTS["score_threshold"],
        help="A lead whose engagement score reaches this threshold (0-100) goes to "
        "its salesperson at once; below it, it is nurtured.",
    )

    prospect_score_half_life_days = fields.Integer(
        string="Score Half-life (days)",
        config_parameter=_param("score_half_life_days"),
        default=DEFAULTS["score_half_life_days"],
        help="A signal of the prospect (an answer, a click, a visit...) counts half "
        "as much after this many days.",
    )
    prospect_risk_recency_factor = fields.Float(
        string="At Risk: Silent for (times the usual interval)",
        config_parameter=_param("risk_recency_factor"),
        default=DEFAULTS["risk_recency_factor"],
        help="A super or large customer, or a key account, is at risk when its last "
        "purchase is older than its usual interval between purchases times this "
        "factor.",
    )
    prospect_risk_revenue_drop_pct = fields.Integer(
        string="At Risk: Revenue Drop (%)",
        config_parameter=_param("risk_revenue_drop_pct"),
        default=DEFAULTS["risk_revenue_drop_pct"],
        help="... or when its revenue over the window fell by more than this share "
        "against the window of the same length before it.",
    )
    prospect_burst_events = fields.Integer(
        string="Interest Alert: Signals",
        config_parameter=_param("burst_events"),
        default=DEFAULTS["burst_events"],
        help="The salesperson is alerted at once when the prospect gives this many "
        "signals (opens, clicks, visits, answers) within the hours below.",
    )
    prospect_burst_hours = fields.Integer(
        string="Interest Alert: Within (hours)",
        config_parameter=_param("burst_hours"),
        default=DEFAULTS["burst_hours"],
        help="The window of the interest alert, in hours; one alert per window.",
    )
    prospect_revenue_source = fields.Selection(
        [("won", "Won opportunities")],
        string="Revenue Source",
        config_parameter=_param("revenue_source"),
        default=DEFAULTS["revenue_source"],
        help="What ranks the customers: the expected revenue of opportunities won in "
        "the window, or, with Invoicing, posted customer invoices net of refunds.",
    )

    prospect_cost_per_touch = fields.Float(
        string="Cost per Touch",
        config_parameter=_param("cost_per_touch"),
        default=DEFAULTS["cost_per_touch"],
        help="What one call, mail or visit costs, in company currency: it adds up "
        "in the development cost of the lead.",
    )
    prospect_care_days_ahead = fields.Integer(
        string="Greet Key Accounts (days ahead)",
        config_parameter=_param("care_days_ahead"),
        default=DEFAULTS["care_days_ahead"],
        help="Birthdays, founding and partnership anniversaries and holidays of key "
        "accounts are prepared this many days before the date.",
    )
    prospect_weekly_capacity = fields.Integer(
        string="Contacts per Salesperson and Week",
        config_parameter=_param("weekly_capacity"),
        default=DEFAULTS["weekly_capacity"],
        help="How many contacts (calls, mails, visits) a salesperson can make in a "
        "week, unless their own capacity is set on their user: the workload "
        "forecast compares the cadence with it.",
    )
    prospect_care_mode = fields.Selection(
        [
            ("mail", "Send a greeting mail"),
            ("activity", "Ask the salesperson for a gift"),
        ],
        string="Key-Account Care",
        config_parameter=_param("care_mode"),
        default=DEFAULTS["care_mode"],
    )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_prospect_numbers(vals)
        return super().create(vals_list)

    @api.model
    def _check_prospect_numbers(self, vals):
        """Refuse what is not a number, or does not fit the database, with a clear
        message instead of a database error."""
        messages = []
        for key, spec in SETTINGS.items():
            name = f"prospect_{key}"
            if spec.type is str or vals.get(name) in (None, False):
                continue
            label = self.env["prospect.settings"]._get_label(key)
            try:
                number = float(vals[name])
            except (TypeError, ValueError):
                messages.append(
                    self.env._("%(setting)s must be a number.", setting=label)
                )
                continue
            if not math.isfinite(number) or abs(number) > MAX_INTEGER:
                messages.append(
                    self.env._(
                        "%(setting)s cannot exceed %(max)s.",
                        setting=label,
                        max=spec.maximum,
                    )
                )
        if messages:
            raise ValidationError("\n".join(messages))

    def set_values(self):
        values = {
            key: self[f"prospect_{key}"] or (spec.default if spec.type is str else 0)
            for key, spec in SETTINGS.items()
        }
        problems = self.env["prospect.settings"]._get_problems(values)
        if problems:
            raise ValidationError("\n".join(message for _keys, message in problems))
        result = super().set_values()
        # Odoo drops a parameter set to 0 (it reads as "unset"): keep our zeros,
        # which mean something (no super customers, greetings on the day itself)
        params = self.env["ir.config_parameter"].sudo()
        for key, spec in SETTINGS.items():
            value = values[key]
            if spec.type is not str and value == 0 and spec.default != 0:
                params.set_param(f"prospect_development.{key}", repr(value))
        return result

    def action_prospect_rescore_now(self):
        """ "Rescore now" of the settings screen: the nightly run, scheduled at once
        with the saved settings."""
        return self.env["crm.lead"].action_prospect_rescore_now()
