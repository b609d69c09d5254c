from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError


class ResUsers(models.Model):
    _inherit = "res.users"

    prospect_weekly_capacity = fields.Integer(
        string="Weekly Contact Capacity",
        # not fetched with every user Odoo reads (the current one, on each request)
        prefetch="prospect_development",
        help="How many contacts (calls, mails, visits) this salesperson can make in "
        "a week; empty: the capacity of the CRM settings. Set by Sales managers; the "
        "workload forecast compares the cadence with it.",
    )
    prospect_effective_capacity = fields.Integer(
        string="Capacity per Week",
        compute="_compute_prospect_effective_capacity",
        help="The salesperson's own weekly capacity, or the one of the settings.",
    )

    @api.constrains("prospect_weekly_capacity")
    def _check_prospect_weekly_capacity(self):
        if any(user.prospect_weekly_capacity < 0 for user in self):
            raise ValidationError(self.env._("A weekly capacity cannot be negative."))

    @api.depends("prospect_weekly_capacity")
    @api.depends_context("uid")
    def _compute_prospect_effective_capacity(self):
        default = self.env["prospect.settings"]._get()["weekly_capacity"]
        for user in self:
            user.prospect_effective_capacity = (
                user.prospect_weekly_capacity
                if user.prospect_weekly_capacity > 0
                else default
            )

    @api.model_create_multi
    def create(self, vals_list):
        if any(vals.get("prospect_weekly_capacity") for vals in vals_list):
            self._check_prospect_capacity_rights()
        return super().create(vals_list)

    def write(self, vals):
        if "prospect_weekly_capacity" in vals:
            self._check_prospect_capacity_rights()
            if set(vals) == {"prospect_weekly_capacity"} and not self.env.su:
                # Sales managers own this one field of the users, whom only
                # administrators may otherwise edit
                return super(ResUsers, self.sudo()).write(vals)
        return super().write(vals)

    @api.model
    def _check_prospect_capacity_rights(self):
        """Only Sales managers set how much work a salesperson can carry."""
        if self.env.su or self.env.user.has_group("sales_team.group_sale_manager"):
            return
        raise AccessError(
            self.env._(
                "Only Sales managers may set the weekly capacity of salespeople."
            )
        )
