from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .crm_lead import PROSPECT_GRADES, PYRAMID_TIERS


class ProspectCadenceRule(models.Model):
    """Overrides of the contact interval of a grade: by tier, for key accounts.

    The first matching rule (by sequence) wins; without one the grade's interval of
    the settings applies."""

    _name = "prospect.cadence.rule"
    _inherit = ["prospect.selection.order.mixin"]
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
        """{(tier, grade, is_key_account): (interval_days, activity_type_id)} of
        every combination a rule covers."""
        settings = self.env["prospect.settings"]._get()
        rules = self.sudo().search([])
        matrix = {}
        for tier, _tier_label in PYRAMID_TIERS:
            for grade, _grade_label in PROSPECT_GRADES:
                if grade == "e":
                    continue
                for is_key in (False, True):
                    rule = next(
                        (
                            rule
                            for rule in rules
                            if rule.pyramid_tier in (False, tier)
                            and rule.prospect_grade in (False, grade)
                            and (is_key or not rule.key_account_only)
                        ),
                        None,
                    )
                    matrix[tier, grade, is_key] = (
                        rule.interval_days
                        if rule
                        else settings[f"cadence_{grade}_days"],
                        rule.activity_type_id.id if rule else False,
                    )
        return matrix
