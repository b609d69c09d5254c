from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    # The add-on's columns are fetched only when one of them is read (prefetch
    # group ``prospect_development``): not with every partner Odoo reads.

    prospect_birthday = fields.Date(
        string="Birthday",
        prefetch="prospect_development",
        help="Birthday of this person: key accounts are greeted (mail or gift) a few "
        "days before it every year. Only the day and month are used.",
    )
    prospect_founding_date = fields.Date(
        string="Founding Date",
        prefetch="prospect_development",
        help="Day the company was founded: key accounts are greeted on every "
        "anniversary of it.",
    )
    prospect_contact_role = fields.Selection(
        [
            ("decision_maker", "Decision Maker"),
            ("influencer", "Influencer"),
            ("user", "User"),
            ("gatekeeper", "Gatekeeper"),
        ],
        string="Buying Role",
        index="btree_not_null",
        prefetch="prospect_development",
        help="Role of this person in the purchases of their company. Direct mail "
        "and key-account care go to the decision maker when one is known.",
    )
    prospect_referral_ids = fields.One2many(
        "crm.lead",
        "prospect_referrer_id",
        string="Referred Leads",
        groups="sales_team.group_sale_salesman",
    )
    prospect_referral_count = fields.Integer(
        string="Referrals",
        compute="_compute_prospect_referrals",
        groups="sales_team.group_sale_salesman",
        help="Leads this customer recommended to us.",
    )
    prospect_referral_revenue = fields.Monetary(
        string="Referred Revenue",
        compute="_compute_prospect_referrals",
        currency_field="prospect_currency_id",
        groups="sales_team.group_sale_salesman",
        help="Revenue won from the leads this customer recommended.",
    )

    prospect_currency_id = fields.Many2one(
        "res.currency", compute="_compute_prospect_currency_id"
    )

    def _compute_prospect_currency_id(self):
        # leads' revenues are in their company's currency: the current one's
        for partner in self:
            partner.prospect_currency_id = (
                partner.company_id.currency_id or self.env.company.currency_id
            )

    def _compute_prospect_referrals(self):
        """Referred leads (open, won or lost) and the revenue won from them, as
        far as the user may read them (record rules apply)."""
        Lead = self.env["crm.lead"].with_context(active_test=False)
        counts = dict(
            Lead._read_group(
                [("prospect_referrer_id", "in", self.ids)],
                ["prospect_referrer_id"],
                ["__count"],
            )
        )
        won = dict(
            Lead._read_group(
                [
                    ("prospect_referrer_id", "in", self.ids),
                    ("stage_id.is_won", "=", True),
                ],
                ["prospect_referrer_id"],
                ["expected_revenue:sum"],
            )
        )
        for partner in self:
            partner.prospect_referral_count = counts.get(partner, 0)
            partner.prospect_referral_revenue = won.get(partner, 0.0)

    def action_view_prospect_referrals(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm.crm_lead_opportunities"
        )
        action["domain"] = [("prospect_referrer_id", "=", self.id)]
        action["context"] = {
            "default_prospect_referrer_id": self.id,
            "active_test": False,
        }
        return action
