from odoo import api, fields, models, tools


class CrmLostReason(models.Model):
    _name = "crm.lost.reason"
    _inherit = ["crm.lost.reason", "prospect.cached.rules.mixin"]
    _prospect_cache_field = "prospect_competitor"

    prospect_competitor = fields.Boolean(
        string="Lost to a Competitor",
        help="A super or large customer, or a key account, that loses a deal for "
        "this reason is at risk at once: its salesperson is warned.",
    )

    @api.model
    @tools.ormcache()
    def _prospect_get_competitor_ids(self):
        """Ids of the reasons that say a competitor won: marking a lead lost reads
        them rather than its reason. Cached until one is created, deleted or
        changes."""
        return frozenset(self.sudo().search([("prospect_competitor", "=", True)]).ids)
