from odoo import api, models

# The context key under which the mails of a batch are created after their
# messages (see create).
MESSAGES_FIRST = "prospect_messages_first"


class MailMail(models.Model):
    _inherit = "mail.mail"

    @api.model_create_multi
    def create(self, vals_list):
        """Under the ``prospect_messages_first`` context key (the sequence run), the
        messages of the mails are created first, in one call, and the mails then
        point to them: what the ORM does for an ``_inherits`` parent, without it
        sanitizing each body a third time to cache it on the mail as well (the
        message's column and cache have it). Same records, same values."""
        if not self.env.context.get(MESSAGES_FIRST):
            return super().create(vals_list)
        inherited = {name for name, field in self._fields.items() if field.inherited}
        # with the mail's defaults first, as the ORM does (a mail's message is an
        # outgoing email unless told, where a bare message is a comment)
        vals_list = [
            dict(vals)
            if vals.get("mail_message_id")
            else self._add_missing_default_values(vals)
            for vals in vals_list
        ]
        new_vals_list = [vals for vals in vals_list if not vals.get("mail_message_id")]
        messages = self.env["mail.message"].create(
            [
                {name: value for name, value in vals.items() if name in inherited}
                for vals in new_vals_list
            ]
        )
        for vals, message in zip(new_vals_list, messages, strict=True):
            for name in inherited:
                vals.pop(name, None)
            # a mail created with its message is a notification unless told: not
            # these, as without the key
            vals.setdefault("is_notification", False)
            vals["mail_message_id"] = message.id
        return super().create(vals_list)

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
