from odoo import api, models


class ProspectSettings(models.AbstractModel):
    _inherit = "prospect.settings"

    @api.model
    def _get_choices(self, key):
        choices = super()._get_choices(key)
        if key == "revenue_source":
            choices = choices | {"invoices"}
        return choices
