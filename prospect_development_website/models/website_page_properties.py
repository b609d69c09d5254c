from odoo import fields, models


class WebsitePageProperties(models.TransientModel):
    _inherit = "website.page.properties"

    prospect_hot = fields.Boolean(
        related="target_model_id.prospect_hot", readonly=False
    )
