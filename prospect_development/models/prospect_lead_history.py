from odoo import api, fields, models

from .crm_lead import PROSPECT_GRADES, PYRAMID_TIERS

HISTORY_VALUES = PYRAMID_TIERS + PROSPECT_GRADES


class ProspectLeadHistory(models.Model):
    _name = "prospect.lead.history"
    _inherit = ["prospect.selection.order.mixin"]
    _description = "Prospect tier and grade history"
    _order = "date desc, id desc"
    _rec_name = "lead_id"

    lead_id = fields.Many2one(
        "crm.lead", required=True, index=True, ondelete="cascade", readonly=True
    )
    company_id = fields.Many2one("res.company", index=True, readonly=True)
    user_id = fields.Many2one(
        "res.users",
        string="Salesperson",
        readonly=True,
        help="Salesperson of the lead when it moved.",
    )
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    date = fields.Date(required=True, index=True, readonly=True)
    kind = fields.Selection(
        [("tier", "Tier"), ("grade", "Grade")], required=True, readonly=True
    )
    old_value = fields.Selection(HISTORY_VALUES, string="From", readonly=True)
    new_value = fields.Selection(HISTORY_VALUES, string="To", readonly=True)
    revenue = fields.Monetary(
        currency_field="currency_id",
        readonly=True,
        help="Revenue of the customer over the window when the tier moved.",
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    rank = fields.Integer(readonly=True, help="Rank of the customer by revenue.")
    customer_count = fields.Integer(
        string="Customers", readonly=True, help="Customers ranked in the company."
    )
    days_to_close = fields.Integer(
        readonly=True, help="Days left until the expected closing date."
    )
    changed_by_id = fields.Many2one(
        "res.users",
        readonly=True,
        help="Who changed the need or the closing date; empty when the nightly "
        "rescoring moved the lead.",
    )
    reason = fields.Char(compute="_compute_reason")

    @api.depends(
        "kind", "revenue", "rank", "customer_count", "days_to_close", "changed_by_id"
    )
    def _compute_reason(self):
        for entry in self:
            if entry.kind == "tier" and entry.rank:
                revenue = f"{entry.revenue:,.0f}"
                count = f"{entry.customer_count:,}"
                entry.reason = self.env._(
                    "revenue %(revenue)s → rank %(rank)s of %(count)s",
                    revenue=revenue,
                    rank=entry.rank,
                    count=count,
                )
            elif entry.kind == "tier":
                entry.reason = self.env._("no revenue in the window")
            elif entry.changed_by_id:
                user = entry.changed_by_id.name
                entry.reason = self.env._("changed by %(user)s", user=user)
            else:
                days = entry.days_to_close
                entry.reason = self.env._(
                    "expected closing in %(days)s days", days=days
                )
