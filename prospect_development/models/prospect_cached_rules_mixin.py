from odoo import api, models


class ProspectCachedRulesMixin(models.AbstractModel):
    """Records the live rules read from the registry's caches (won stages,
    competitor reasons, cadence matrix, score points): creating, changing or
    deleting one clears them. ``_prospect_cache_field``: only when that field is
    set, written, or true on a deleted record (any change when empty)."""

    _name = "prospect.cached.rules.mixin"
    _description = "Prospect Development cached rules"

    _prospect_cache_field = None

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        field = self._prospect_cache_field
        if not field or any(vals.get(field) for vals in vals_list):
            self.env.registry.clear_cache()
        return records

    def write(self, vals):
        result = super().write(vals)
        if not self._prospect_cache_field or self._prospect_cache_field in vals:
            self.env.registry.clear_cache()
        return result

    def unlink(self):
        field = self._prospect_cache_field
        cached = not field or any(record[field] for record in self)
        result = super().unlink()
        if cached:
            self.env.registry.clear_cache()
        return result
