from itertools import product
from types import MappingProxyType

from odoo import api, fields, models, tools
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from .crm_lead import PROSPECT_GRADES, PYRAMID_TIERS


class ProspectCadenceRule(models.Model):
    """Overrides of the contact interval of a grade: by tier, for key accounts.

    The first matching rule (by sequence) wins; without one the grade's interval of
    the settings applies."""

    _name = "prospect.cadence.rule"
    _inherit = ["prospect.selection.order.mixin", "prospect.cached.rules.mixin"]
    _description = "Contact cadence rule"
    _order = "sequence, id"

    sequence = fields.Integer(default=10)
    pyramid_tier = fields.Selection(
        PYRAMID_TIERS, string="Tier", help="Empty: any tier."
    )
    prospect_grade = fields.Selection(
        PROSPECT_GRADES, string="Grade", help="Empty: any grade but E."
    )
    key_account_only = fields.Boolean(
        string="Key Accounts Only", help="Applies only to red, black or white leads."
    )
    potential_key_only = fields.Boolean(
        string="Potential Key Customers Only",
        help="Applies only to potential key customers: their open pipeline would "
        "rank them super or large.",
    )
    interval_days = fields.Integer(
        string="Contact Every (days)", required=True, default=14
    )
    activity_type_id = fields.Many2one(
        "mail.activity.type",
        string="Activity",
        help="What the salesperson is asked to do; empty: a call for A and B "
        "grades, a mail otherwise.",
    )
    active = fields.Boolean(default=True)

    @api.constrains("interval_days")
    def _check_interval_days(self):
        if any(rule.interval_days < 1 for rule in self):
            raise ValidationError(self.env._("A contact interval is at least 1 day."))

    @api.model
    def _get_matrix(self):
        """{(tier, grade, is_key_account, is_potential_key): (interval_days,
        activity_type_id)} of every combination; cached until a rule or a system
        parameter changes."""
        return self._get_matrix_cached()

    @api.model
    def _get_matrix_values(self):
        """The matrix as SQL ``VALUES`` rows ``(tier, grade, is_key, is_potential,
        interval_days)``, for the set-based queries that join it."""
        return SQL(", ").join(
            SQL("(%s, %s, %s, %s, %s)", tier, grade, is_key, is_potential, interval)
            for (tier, grade, is_key, is_potential), (
                interval,
                _type,
            ) in self._get_matrix().items()
        )

    @tools.ormcache()
    def _get_matrix_cached(self):
        settings = self.env["prospect.settings"]._get()
        rules = self.sudo().search([])
        matrix = {}
        for tier, _tier_label in PYRAMID_TIERS:
            for grade, _grade_label in PROSPECT_GRADES:
                if grade == "e":
                    continue
                for is_key, is_potential in product((False, True), repeat=2):
                    rule = next(
                        (
                            rule
                            for rule in rules
                            if rule.pyramid_tier in (False, tier)
                            and rule.prospect_grade in (False, grade)
                            and (is_key or not rule.key_account_only)
                            and (is_potential or not rule.potential_key_only)
                        ),
                        None,
                    )
                    matrix[tier, grade, is_key, is_potential] = (
                        rule.interval_days
                        if rule
                        else settings[f"cadence_{grade}_days"],
                        rule.activity_type_id.id if rule else False,
                    )
        return MappingProxyType(matrix)
