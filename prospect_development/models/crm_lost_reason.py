from odoo import fields, models


class CrmLostReason(models.Model):
    _inherit = "crm.lost.reason"

    prospect_competitor = fields.Boolean(
        string="Lost to a Competitor",
        help="A super or large customer, or a key account, that loses a deal for "
        "this reason is at risk at once: its salesperson is warned.",
    )
