from odoo import api, models, tools


class CrmStage(models.Model):
    _inherit = "crm.stage"

    @api.model_create_multi
    def create(self, vals_list):
        if any(vals.get("is_won") for vals in vals_list):
            self.env.registry.clear_cache()
        return super().create(vals_list)

    def write(self, vals):
        if "is_won" in vals:
            self.env.registry.clear_cache()
        return super().write(vals)

    def unlink(self):
        if any(stage.is_won for stage in self):
            self.env.registry.clear_cache()
        return super().unlink()

    @api.model
    @tools.ormcache()
    def _prospect_get_won_ids(self):
        """Ids of the won stages: the live rules read a lead's stage through them
        rather than with a query each time. Cached until a stage is created,
        deleted or won or not anymore."""
        return frozenset(self.sudo().search([("is_won", "=", True)]).ids)
