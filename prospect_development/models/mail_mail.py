from odoo import models


class MailMail(models.Model):
    _inherit = "mail.mail"

    def _postprocess_sent_message(
        self, success_pids, failure_reason=False, failure_type=None
    ):
        """Note when the mail server took each sequence mailing: the open and click
        tracking ignores what the receiving side's scanners fetch right then.
        Before super(), which deletes the mails set to auto-delete."""
        sent = self.filtered(
            lambda mail: (
                mail.state == "sent"
                and mail.model == "crm.lead"
                and mail.mail_message_id
            )
        )
        if sent:
            self.env["prospect.feedback.card"].sudo()._set_delivered(
                sent.mail_message_id
            )
        return super()._postprocess_sent_message(
            success_pids, failure_reason=failure_reason, failure_type=failure_type
        )
