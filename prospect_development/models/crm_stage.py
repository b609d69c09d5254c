from odoo import api, models, tools


class CrmStage(models.Model):
    _name = "crm.stage"
    _inherit = ["crm.stage", "prospect.cached.rules.mixin"]
    _prospect_cache_field = "is_won"

    @api.model
    @tools.ormcache()
    def _prospect_get_won_ids(self):
        """Ids of the won stages: the live rules read a lead's stage through them
        rather than with a query each time. Cached until a stage is created,
        deleted or won or not anymore."""
        return frozenset(self.sudo().search([("is_won", "=", True)]).ids)
