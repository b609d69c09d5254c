from odoo import models
from odoo.tools.mail import decode_message_header

from .. import rules


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    def _message_route_process(self, message, message_dict, routes):
        """Flag automatic replies (out of office...) for the records they are posted
        on: they are not answers of the prospect and do not stop a sequence."""
        if rules.is_auto_reply(
            lambda name: (
                decode_message_header(message, name) if message.get(name) else None
            ),
            message_dict.get("subject"),
        ):
            flagged = self.with_context(prospect_auto_reply=True)
            return super(MailThread, flagged)._message_route_process(
                message, message_dict, routes
            )
        return super()._message_route_process(message, message_dict, routes)
