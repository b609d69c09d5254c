from odoo import api, models
from odoo.tools import SQL


class ProspectRescoreEngine(models.AbstractModel):
    _inherit = "prospect.rescore.engine"

    @api.model
    def _revenue_query(self, window_start, window_end):
        """Posted customer invoices minus refunds, untaxed, in company currency."""
        settings = self.env["prospect.settings"]._get()
        if settings["revenue_source"] != "invoices":
            return super()._revenue_query(window_start, window_end)
        return SQL(
            """
            SELECT move.company_id AS company_key,
                   move.commercial_partner_id AS commercial_id,
                   COALESCE(SUM(move.amount_untaxed_signed)
                            FILTER (WHERE move.invoice_date >= %(start)s), 0)
                       AS revenue,
                   COALESCE(SUM(move.amount_untaxed_signed)
                            FILTER (WHERE move.invoice_date < %(start)s), 0)
                       AS revenue_before
              FROM account_move move
             WHERE move.state = 'posted'
               AND move.move_type IN ('out_invoice', 'out_refund')
               AND move.commercial_partner_id IS NOT NULL
               AND move.invoice_date < %(end)s
             GROUP BY 1, 2
            """,
            start=window_start,
            end=window_end,
        )
