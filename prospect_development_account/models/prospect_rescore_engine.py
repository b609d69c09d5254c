from odoo import api, models
from odoo.tools import SQL


class ProspectRescoreEngine(models.AbstractModel):
    _inherit = "prospect.rescore.engine"

    def _invoices_are_the_source(self):
        settings = self.env["prospect.settings"]._get()
        return settings["revenue_source"] == "invoices"

    @api.model
    def _purchases_query(self, end=None, sources=None):
        """Posted customer invoices (and refunds, negative), untaxed, in company
        currency, on their invoice date."""
        if not self._invoices_are_the_source():
            return super()._purchases_query(end, sources)
        return SQL(
            """
            SELECT move.id AS source_id,
                   move.company_id AS company_key,
                   move.commercial_partner_id AS commercial_id,
                   move.invoice_date AS day,
                   move.amount_untaxed_signed AS amount
              FROM account_move move
             WHERE move.state = 'posted'
               AND move.move_type IN ('out_invoice', 'out_refund')
               AND move.commercial_partner_id IS NOT NULL
               AND move.invoice_date < %(end)s
               AND %(sources)s
            """,
            end=end or "infinity",
            sources=self._among("move.id", sources),
        )

    @api.model
    def _purchases_changed_query(self, since):
        """The invoices saved since ``since`` (posted, reset, cancelled, their
        partner's company moved: each writes the invoice)."""
        if not self._invoices_are_the_source():
            return super()._purchases_changed_query(since)
        return SQL(
            "SELECT id FROM account_move"
            " WHERE write_date >= %(since)s OR create_date >= %(since)s",
            since=since,
        )
