from odoo import models
from odoo.tools import SQL


class ProspectRescoreEngine(models.AbstractModel):
    _inherit = "prospect.rescore.engine"

    def _prepare(self):
        """Before the scores are computed: the page views of visitors linked to an
        open lead since they browsed (a visitor who became a lead, a visitor a
        salesperson linked by hand), ``CATCH_UP_DAYS`` back at most."""
        self.env["website.track"]._prospect_record_page_views(SQL("TRUE"))
        return super()._prepare()
