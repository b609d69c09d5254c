from odoo import models
from odoo.tools import SQL


class ProspectRescoreEngine(models.AbstractModel):
    _inherit = "prospect.rescore.engine"

    def _sync_events(self, today):
        """Also the page views of visitors linked to an open lead since they
        browsed (a visitor who became a lead, one a salesperson linked by hand),
        ``CATCH_UP_DAYS`` back at most. Not a source of ``_get_event_sources``: a
        view is recorded per lead, page and half hour (one track may be several
        leads' view, a reload none), the same way as live."""
        res = super()._sync_events(today)
        self.env["website.track"]._prospect_record_page_views(SQL("TRUE"))
        return res
