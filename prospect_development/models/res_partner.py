from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    prospect_birthday = fields.Date(
        string="Birthday",
        help="Birthday of this person: key accounts are greeted (mail or gift) a few "
        "days before it every year. Only the day and month are used.",
    )
    prospect_founding_date = fields.Date(
        string="Founding Date",
        help="Day the company was founded: key accounts are greeted on every "
        "anniversary of it.",
    )
