from odoo import api, models
from odoo.tools.mail import decode_message_header

from .. import rules


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    @api.model
    def message_parse(self, message, save_original=False):
        """Recognise automatic replies (out of office...) by their headers: the flag
        goes with the other values of the message to the ``mail.message`` the
        gateway posts (see ``mail.message.prospect_auto_reply``)."""
        msg_dict = super().message_parse(message, save_original=save_original)
        if rules.is_auto_reply(
            lambda name: (
                decode_message_header(message, name) if message.get(name) else None
            ),
            msg_dict.get("subject"),
        ):
            msg_dict["prospect_auto_reply"] = True
        return msg_dict

    def _get_message_create_valid_field_names(self):
        """The gateway, and an API caller that knows better than the subject (a
        plug-in that read the headers), may flag the message they post."""
        return super()._get_message_create_valid_field_names() | {"prospect_auto_reply"}
