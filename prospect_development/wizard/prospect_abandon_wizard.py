from odoo import api, fields, models
from odoo.exceptions import UserError

from .. import rules


class ProspectAbandonWizard(models.TransientModel):
    """Give prospects up: a Sales manager's decision, with a reason.

    A salesperson may ask for it: their manager gets an activity to decide."""

    _name = "prospect.abandon.wizard"
    _description = "Abandon prospects"

    lead_ids = fields.Many2many("crm.lead", string="Leads", required=True)
    reason = fields.Text(required=True, help="Why the development stops here.")
    is_manager = fields.Boolean(compute="_compute_is_manager")

    @api.depends_context("uid")
    def _compute_is_manager(self):
        self.is_manager = self.env.user.has_group("sales_team.group_sale_manager")

    def action_confirm(self):
        """Abandon the leads (managers), or ask a manager to (salespeople)."""
        self.ensure_one()
        if not (self.reason or "").strip():
            raise UserError(self.env._("Say why these prospects are abandoned."))
        if not self.is_manager:
            return self._request_abandonment()
        leads = self.lead_ids._prospect_filter(rules.is_open())
        if not leads:
            raise UserError(self.env._("These leads are already closed."))
        leads.write(
            {
                "abandon_reason": self.reason,
                "date_abandoned": fields.Date.context_today(self),
            }
        )
        leads.action_set_lost(
            lost_reason_id=self.env.ref("prospect_development.lost_reason_abandoned").id
        )
        leads._prospect_stop_sequences("abandoned")
        leads.activity_ids.filtered("prospect_cadence").unlink()
        return {"type": "ir.actions.act_window_close"}

    def _request_abandonment(self):
        for lead in self.lead_ids:
            manager = lead.team_id.user_id
            if not manager:
                raise UserError(
                    self.env._(
                        "%(lead)s has no sales team leader to decide: ask a Sales "
                        "manager.",
                        lead=lead.display_name,
                    )
                )
            lead.activity_schedule(
                "mail.mail_activity_data_todo",
                user_id=manager.id,
                summary=self.env._("Abandonment requested"),
                note=self.reason,
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "message": self.env._("Your manager was asked to decide."),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
