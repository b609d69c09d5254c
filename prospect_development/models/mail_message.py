from odoo import api, fields, models
from odoo.tools import SQL
from odoo.tools.sql import column_exists, create_column

from .. import rules


class MailMessage(models.Model):
    _inherit = "mail.message"

    prospect_auto_reply = fields.Boolean(
        string="Automatic Reply",
        readonly=True,
        copy=False,
        help="Automatic reply received (out of office, vacation): not an answer of "
        "the prospect. It stops no sequence, marks no feedback card replied, and is "
        "neither a contact nor a touch of the lead.",
    )

    def _auto_init(self):
        """Add the column without rewriting a large ``mail_message`` table (no
        default: the rows there read as False), then flag the automatic replies
        already received on leads."""
        field = self._fields["prospect_auto_reply"]
        if not column_exists(self.env.cr, self._table, field.name):
            # as the ORM would, before it: no default, no NOT NULL
            create_column(
                self.env.cr, self._table, field.name, field.column_type[1], field.string
            )
            self._prospect_flag_auto_replies()
        return super()._auto_init()

    @api.model
    def _prospect_flag_auto_replies(self):
        """Flag, in one statement, the automatic replies received on leads before
        the add-on was installed, by their subject (their headers are gone), so that
        the rescoring does not count them as answers."""
        self.env.cr.execute(
            SQL(
                """
                UPDATE mail_message SET prospect_auto_reply = TRUE
                 WHERE model = 'crm.lead' AND message_type = 'email'
                   AND subject ~* %s AND prospect_auto_reply IS NOT TRUE
                """,
                rules.AUTO_REPLY_SUBJECT_PATTERN,
            )
        )

    @api.model_create_multi
    def create(self, vals_list):
        """Decide on every received mail, wherever it comes from: the mail gateway
        has already read the headers (``mail.thread.message_parse``); a mail posted
        through the API or a mail plug-in has only its subject to tell."""
        for vals in vals_list:
            if (
                not vals.get("prospect_auto_reply")
                and vals.get("message_type") == "email"
                and rules.is_auto_reply_subject(vals.get("subject"))
            ):
                vals["prospect_auto_reply"] = True
        return super().create(vals_list)

    def unlink(self):
        # the nightly rescoring counts the contacts of their leads again (read as
        # superuser: bookkeeping, whoever may delete the message)
        self.env["prospect.rescore.engine"]._mark_dirty(
            {
                message.res_id
                for message in self.sudo()
                if message.model == "crm.lead" and message.res_id
            }
        )
        return super().unlink()
