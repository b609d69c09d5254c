from odoo import fields, models


class ProspectCareLog(models.Model):
    """One greeting (mail or gift to-do) planned for a key account: at most one
    per customer, occasion and year, whatever runs the care job and how often."""

    _name = "prospect.care.log"
    _description = "Key-account greeting sent"
    _order = "date desc, id desc"
    _rec_name = "label"

    partner_id = fields.Many2one(
        "res.partner",
        required=True,
        ondelete="cascade",
        help="Commercial partner (the customer company) that was greeted.",
    )
    occasion = fields.Char(
        required=True,
        help="Technical key of the occasion: birthday, founding, partnership or "
        "holiday_<id>.",
    )
    year = fields.Integer(
        required=True, help="Year of the occasion (not of the day it was planned)."
    )
    date = fields.Date(required=True, help="Day of the occasion.")
    label = fields.Char(
        help="Occasion as written to the customer (mail) or the salesperson (gift)."
    )
    lead_id = fields.Many2one(
        "crm.lead",
        ondelete="set null",
        index="btree_not_null",
        help="Opportunity on which the greeting was posted or the gift planned.",
    )
    message_id = fields.Many2one(
        "mail.message",
        ondelete="set null",
        help="Greeting posted on the opportunity (mail mode).",
    )
    activity_id = fields.Many2one(
        "mail.activity",
        ondelete="set null",
        help="Gift to-do planned for the salesperson (activity mode).",
    )

    _sql_constraints = [
        (
            "partner_occasion_year_uniq",
            "UNIQUE(partner_id, occasion, year)",
            "A customer is greeted only once per occasion and year.",
        ),
    ]
