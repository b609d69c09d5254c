from odoo import models
from odoo.tools import SQL


class WebsiteVisitor(models.Model):
    _inherit = "website.visitor"

    def _upsert_visitor(self, access_token, force_track_values=None):
        """A tracked page was viewed (``website`` inserts the track in SQL, with
        the visitor): record it, and the views of this visitor not recorded yet
        (a visitor linked to a lead since), for the visitor's open leads."""
        result = super()._upsert_visitor(access_token, force_track_values)
        if force_track_values:
            self.env["website.track"]._prospect_record_page_views(
                SQL("track.visitor_id = %s", result[0])
            )
        return result
