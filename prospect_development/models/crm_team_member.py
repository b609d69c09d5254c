from odoo import api, fields, models


class CrmTeamMember(models.Model):
    _inherit = "crm.team.member"

    prospect_weekly_capacity = fields.Integer(
        string="Weekly Contact Capacity",
        compute="_compute_prospect_weekly_capacity",
        inverse="_inverse_prospect_weekly_capacity",
        help="Contacts this salesperson can make in a week; empty: the capacity of "
        "the CRM settings. Set by Sales managers.",
    )

    @api.depends("user_id.prospect_weekly_capacity")
    def _compute_prospect_weekly_capacity(self):
        for member in self:
            member.prospect_weekly_capacity = member.user_id.prospect_weekly_capacity

    def _inverse_prospect_weekly_capacity(self):
        for member in self:
            member.user_id.prospect_weekly_capacity = member.prospect_weekly_capacity
