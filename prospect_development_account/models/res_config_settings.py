from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    prospect_revenue_source = fields.Selection(
        selection_add=[("invoices", "Posted invoices net of refunds")],
        ondelete={"invoices": "set default"},
    )
