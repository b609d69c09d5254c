from odoo import api, fields, models
from odoo.exceptions import AccessError


class WebsitePage(models.Model):
    _inherit = "website.page"

    prospect_hot = fields.Boolean(
        "Hot Page",
        help="A view of this page by a lead's visitor (pricing, a quote request) "
        "alerts the lead's salesperson at once. A hot page is tracked.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("prospect_hot"):
                vals["track"] = True
        return super().create(vals_list)

    def write(self, vals):
        # website records the views of tracked pages only
        if vals.get("prospect_hot"):
            vals = {**vals, "track": True}
        return super().write(vals)

    def action_prospect_mark_hot(self):
        return self._prospect_set_hot(True)

    def action_prospect_unmark_hot(self):
        return self._prospect_set_hot(False)

    def _prospect_set_hot(self, hot):
        """Sales managers may mark pages hot without being website designers:
        they may read the pages, and write this flag and nothing else."""
        user = self.env.user
        if not (
            user.has_group("website.group_website_designer")
            or user.has_group("sales_team.group_sale_manager")
        ):
            raise AccessError(
                self.env._("Only sales managers and website designers mark hot pages.")
            )
        self.check_access("read")
        self.sudo().write({"prospect_hot": hot})
        return True
