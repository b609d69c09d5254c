from odoo import fields, models
from odoo.exceptions import UserError


class MailActivity(models.Model):
    _inherit = "mail.activity"

    prospect_cadence = fields.Boolean(
        string="Cadence Contact",
        readonly=True,
        copy=False,
        help="Planned by the contact cadence of Prospect Development.",
    )

    def init(self):
        result = super().init()
        # one open cadence contact per lead, whoever plans it and however often
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS mail_activity_prospect_cadence_uniq
                ON mail_activity (res_model, res_id)
             WHERE prospect_cadence AND active
            """
        )
        return result

    def action_prospect_log_outcome(self):
        """The call outcome form of this cadence contact's lead, opened by "Mark
        Done": it marks this activity done with the outcome."""
        self.ensure_one()
        if self.res_model != "crm.lead" or not self.prospect_cadence:
            raise UserError(
                self.env._("Only a cadence contact of a lead has an outcome.")
            )
        action = self.env["crm.lead"].browse(self.res_id).action_prospect_log_outcome()
        action["context"] = {**action["context"], "default_activity_id": self.id}
        return action
