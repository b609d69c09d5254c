from odoo import fields, models


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
