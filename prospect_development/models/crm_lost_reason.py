from odoo import api, fields, models, tools


class CrmLostReason(models.Model):
    _inherit = "crm.lost.reason"

    prospect_competitor = fields.Boolean(
        string="Lost to a Competitor",
        help="A super or large customer, or a key account, that loses a deal for "
        "this reason is at risk at once: its salesperson is warned.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        if any(vals.get("prospect_competitor") for vals in vals_list):
            self.env.registry.clear_cache()
        return super().create(vals_list)

    def write(self, vals):
        if "prospect_competitor" in vals:
            self.env.registry.clear_cache()
        return super().write(vals)

    def unlink(self):
        if any(reason.prospect_competitor for reason in self):
            self.env.registry.clear_cache()
        return super().unlink()

    @api.model
    @tools.ormcache()
    def _prospect_get_competitor_ids(self):
        """Ids of the reasons that say a competitor won: marking a lead lost reads
        them rather than its reason. Cached until one is created, deleted or
        changes."""
        return frozenset(self.sudo().search([("prospect_competitor", "=", True)]).ids)
