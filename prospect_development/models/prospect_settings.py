import math
from collections import namedtuple
from types import MappingProxyType

from odoo import api, models, tools

# A setting: its type and default, and the smallest and largest values it may take.
Setting = namedtuple("Setting", "type default minimum maximum")

# A century of days: beyond, dates overflow and the method means nothing.
MAX_DAYS = 36500

# Every setting of the method: system parameter ``prospect_development.<key>``,
# field ``prospect_<key>`` of the settings screen.
SETTINGS = {
    "tier_super_pct": Setting(int, 1, 0, 100),
    "tier_large_pct": Setting(int, 4, 0, 100),
    "tier_medium_pct": Setting(int, 15, 0, 100),
    "lookback_days": Setting(int, 365, 1, MAX_DAYS),
    "grade_a_days": Setting(int, 30, 1, MAX_DAYS),
    "grade_b_days": Setting(int, 90, 1, MAX_DAYS),
    "grade_c_days": Setting(int, 180, 1, MAX_DAYS),
    "cadence_a_days": Setting(int, 7, 1, MAX_DAYS),
    "cadence_b_days": Setting(int, 14, 1, MAX_DAYS),
    "cadence_c_days": Setting(int, 30, 1, MAX_DAYS),
    "cadence_d_days": Setting(int, 90, 1, MAX_DAYS),
    "abandon_touches": Setting(int, 8, 1, 100_000),
    "abandon_days": Setting(int, 180, 1, MAX_DAYS),
    "abandon_cost_factor": Setting(float, 1.0, 0.001, 1_000),
    "score_threshold": Setting(int, 60, 0, 100),
    "score_half_life_days": Setting(int, 30, 1, MAX_DAYS),
    "burst_events": Setting(int, 3, 1, 1000),
    "burst_hours": Setting(int, 24, 1, 24 * 31),
    "risk_recency_factor": Setting(float, 2.0, 1.0, 100.0),
    "risk_revenue_drop_pct": Setting(int, 30, 1, 100),
    "revenue_source": Setting(str, "won", None, None),
    "cost_per_touch": Setting(float, 0.0, 0, 1_000_000_000),
    "care_days_ahead": Setting(int, 7, 0, 366),
    "care_mode": Setting(str, "mail", None, None),
    "weekly_capacity": Setting(int, 40, 1, 10_000),
}
DEFAULTS = MappingProxyType({key: spec.default for key, spec in SETTINGS.items()})
TIER_PCT_KEYS = ("tier_super_pct", "tier_large_pct", "tier_medium_pct")
GRADE_DAY_KEYS = ("grade_a_days", "grade_b_days", "grade_c_days")


class ProspectSettings(models.AbstractModel):
    """The one accessor of the method's settings.

    ``_get()`` reads every key, types, bounds and defaults it; ``_get_problems()``
    is the one validation, which the settings screen raises and ``_get()`` applies
    by falling back to the default of whatever could not have been saved (a
    parameter edited by hand never stops a scheduled job). The settings stay
    global system parameters, which scripts and other add-ons may set."""

    _name = "prospect.settings"
    _description = "Prospect Development settings"

    @api.model
    def _get(self):
        """Every setting, valid, as a read-only mapping; cached until a system
        parameter changes (``ir.config_parameter`` clears the cache)."""
        return self._get_cached()

    @tools.ormcache()
    def _get_cached(self):
        params = self.env["ir.config_parameter"].sudo()
        values = {
            key: self._parse(key, params.get_param(f"prospect_development.{key}"))
            for key in SETTINGS
        }
        for keys, _message in self._get_problems(values):
            values.update({key: SETTINGS[key].default for key in keys})
        return MappingProxyType(values)

    @api.model
    def _get_tier_shares(self):
        """Shares of the customers, in percent, of the super, large, medium and
        small tiers, as saved (labels quote them)."""
        settings = self._get()
        shares = [settings[key] for key in TIER_PCT_KEYS]
        return [*shares, max(100 - sum(shares), 0)]

    @api.model
    def _parse(self, key, raw):
        """``raw`` as the setting's type; the default when unset or unreadable."""
        spec = SETTINGS[key]
        if raw in (None, False, ""):
            return spec.default
        try:
            value = spec.type(raw)
        except (TypeError, ValueError):
            return spec.default
        if isinstance(value, float) and not math.isfinite(value):
            return spec.default
        return value

    @api.model
    def _get_choices(self, key):
        """Allowed values of a text setting (companion add-ons add theirs)."""
        return {"revenue_source": {"won"}, "care_mode": {"mail", "activity"}}[key]

    @api.model
    def _get_label(self, key):
        field = self.env["res.config.settings"]._fields[f"prospect_{key}"]
        return field.get_description(self.env)["string"]

    @api.model
    def _get_problems(self, values):
        """Why ``values`` (every key) cannot be saved: ``[(keys, message)]``, the
        keys at fault and a translated message."""
        _ = self.env._
        problems = []
        for key, spec in SETTINGS.items():
            value = values[key]
            if spec.type is str:
                if value not in self._get_choices(key):
                    problems.append(
                        ((key,), _("%(setting)s: unknown value.", setting=key))
                    )
            elif spec.minimum is not None and value < spec.minimum:
                label = self._get_label(key)
                if spec.minimum == 0:
                    message = _("%(setting)s cannot be negative.", setting=label)
                elif spec.type is int or spec.minimum >= 1:
                    message = _(
                        "%(setting)s must be at least %(min)s.",
                        setting=label,
                        min=spec.minimum,
                    )
                else:
                    message = _("%(setting)s must be above 0.", setting=label)
                problems.append(((key,), message))
            elif spec.maximum is not None and value > spec.maximum:
                problems.append(
                    (
                        (key,),
                        _(
                            "%(setting)s cannot exceed %(max)s.",
                            setting=self._get_label(key),
                            max=spec.maximum,
                        ),
                    )
                )
        total = sum(values[key] for key in TIER_PCT_KEYS)
        if total > 100:
            problems.append(
                (
                    TIER_PCT_KEYS,
                    _(
                        "Super, large and medium customers add up to %(total)s%%: "
                        "they cannot exceed 100%%.",
                        total=total,
                    ),
                )
            )
        a_days, b_days, c_days = (values[key] for key in GRADE_DAY_KEYS)
        if not a_days < b_days < c_days:
            problems.append(
                (
                    GRADE_DAY_KEYS,
                    _(
                        "Grade thresholds must grow from A to C: A (%(a)s days) < "
                        "B (%(b)s days) < C (%(c)s days).",
                        a=a_days,
                        b=b_days,
                        c=c_days,
                    ),
                )
            )
        return problems
