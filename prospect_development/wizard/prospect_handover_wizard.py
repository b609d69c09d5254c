from odoo import fields, models


class ProspectHandoverWizard(models.TransientModel):
    _name = "prospect.handover.wizard"
    _description = "Hand a salesperson's prospects over"

    user_id = fields.Many2one("res.users", string="From", required=True)
