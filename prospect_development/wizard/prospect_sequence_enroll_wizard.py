from odoo import api, fields, models
from odoo.exceptions import UserError

from .. import rules


class ProspectSequenceEnrollWizard(models.TransientModel):
    _name = "prospect.sequence.enroll.wizard"
    _description = "Enrol Leads in a Prospect Sequence"

    lead_ids = fields.Many2many("crm.lead", string="Leads", required=True)
    sequence_id = fields.Many2one(
        "prospect.sequence",
        required=True,
        domain="[('step_ids', '!=', False)]",
        default=lambda self: self.env.ref(
            "prospect_development.prospect_sequence_direct_mail",
            raise_if_not_found=False,
        ),
    )
    enrollable_ids = fields.Many2many(
        "crm.lead", compute="_compute_enrollable_ids", string="Leads to Enrol"
    )
    skipped_summary = fields.Text(compute="_compute_enrollable_ids")

    @api.depends("lead_ids", "sequence_id")
    def _compute_enrollable_ids(self):
        for wizard in self:
            enrollable, skipped = wizard._split_leads()
            wizard.enrollable_ids = enrollable
            wizard.skipped_summary = "\n".join(
                self.env._("%(count)s %(reason)s", count=len(leads), reason=reason)
                for reason, leads in skipped.items()
                if leads
            )

    def _split_leads(self):
        """Leads that can be enrolled, and the others grouped by why not."""
        self.ensure_one()
        running = (
            self.env["prospect.sequence.enrollment"]
            .search([("lead_id", "in", self.lead_ids.ids), ("state", "=", "running")])
            .lead_id
        )
        skipped = {
            self.env._("closed"): self.lead_ids
            - self.lead_ids._prospect_filter(rules.is_open()),
            self.env._("without an email address"): self.lead_ids.filtered(
                lambda lead: (
                    not (lead.email_normalized or lead.partner_id.email_normalized)
                )
            ),
            self.env._("already in a running sequence"): running,
        }
        if self.sequence_id.company_id:
            skipped[self.env._("of another company")] = self.lead_ids.filtered(
                lambda lead: (
                    lead.company_id and lead.company_id != self.sequence_id.company_id
                )
            )
        taken = self.env["crm.lead"]
        for reason, leads in skipped.items():
            skipped[reason] = leads - taken
            taken |= leads
        return self.lead_ids - taken, skipped

    def action_confirm(self):
        self.ensure_one()
        leads, _skipped = self._split_leads()
        if not leads:
            raise UserError(
                self.env._(
                    "None of these leads can be enrolled:\n%(why)s",
                    why=self.skipped_summary,
                )
            )
        self.env["prospect.sequence.enrollment"].create(
            [{"lead_id": lead.id, "sequence_id": self.sequence_id.id} for lead in leads]
        )
        message = self.env._(
            "%(count)s leads enrolled in %(sequence)s.",
            count=len(leads),
            sequence=self.sequence_id.name,
        )
        if self.skipped_summary:
            message += " " + self.env._(
                "Not enrolled: %(why)s", why=self.skipped_summary.replace("\n", ", ")
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": message,
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
