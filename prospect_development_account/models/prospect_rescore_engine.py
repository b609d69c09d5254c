from odoo import api, models
from odoo.tools import SQL


class ProspectRescoreEngine(models.AbstractModel):
    _inherit = "prospect.rescore.engine"

    @api.model
    def _purchases_query(self, end):
        """Posted customer invoices (and refunds, negative), untaxed, in company
        currency, on their invoice date."""
        settings = self.env["prospect.settings"]._get()
        if settings["revenue_source"] != "invoices":
            return super()._purchases_query(end)
        return SQL(
            """
            SELECT move.company_id AS company_key,
                   move.commercial_partner_id AS commercial_id,
                   move.invoice_date AS day,
                   move.amount_untaxed_signed AS amount
              FROM account_move move
             WHERE move.state = 'posted'
               AND move.move_type IN ('out_invoice', 'out_refund')
               AND move.commercial_partner_id IS NOT NULL
               AND move.invoice_date < %(end)s
            """,
            end=end,
        )
