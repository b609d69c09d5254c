from datetime import timedelta
from textwrap import shorten

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import plaintext2html

from .. import rules


class ProspectOutcomeWizard(models.TransientModel):
    """Log what a call (or a visit) gave: the chatter, the score, the need, the
    next contact and the cadence activity follow in one go."""

    _name = "prospect.outcome.wizard"
    _description = "Log a call outcome"

    lead_id = fields.Many2one("crm.lead", required=True, ondelete="cascade")
    activity_id = fields.Many2one(
        "mail.activity",
        string="Activity Done",
        ondelete="set null",
        help="The planned activity this call carries out; it is marked done with "
        "the outcome. Empty: the lead's open cadence contact, if any.",
    )
    outcome_id = fields.Many2one("prospect.call.outcome")
    outcome_description = fields.Text(related="outcome_id.description")
    ask_date = fields.Boolean(related="outcome_id.ask_date")
    note = fields.Text(help="What the prospect said, in a few words.")
    next_contact_date = fields.Date(
        compute="_compute_next_contact_date",
        store=True,
        readonly=False,
        precompute=True,
        help="When to contact the prospect again; proposed from the outcome. Empty: "
        "the cadence of the grade decides.",
    )

    @api.depends("outcome_id")
    def _compute_next_contact_date(self):
        today = self.env["prospect.engine"]._today()
        for wizard in self:
            days = wizard.outcome_id.next_contact_days
            wizard.next_contact_date = today + timedelta(days=days) if days else False

    def action_confirm(self):
        """Record the outcome: a logged call in the chatter (the activity done),
        one ``call_outcome`` event, the need, the last and next contact, and the
        activity the outcome plans. All or nothing: one transaction."""
        self.ensure_one()
        self._check_confirm()
        lead, outcome = self.lead_id, self.outcome_id
        today = self.env["prospect.engine"]._today()
        message = self._post_call()
        self.env["prospect.engagement.event"]._record(
            [
                {
                    "lead_id": lead.id,
                    "event_type": "call_outcome",
                    "points": outcome.points,
                    "res_model": "mail.message",
                    "res_id": message.id,
                    "answered": outcome.answered,
                    # what the prospect said; the outcome is outcome_id,
                    # shown in each user's language
                    "description": shorten(" ".join((self.note or "").split()), 200)
                    or False,
                    "outcome_id": outcome.id,
                    "dedup_key": f"mail.message,{message.id},call_outcome",
                }
            ]
        )
        values = {"next_contact_planned": self.next_contact_date}
        if outcome.need_status:
            values["need_status"] = outcome.need_status
        if outcome.answered and (lead.last_contact_date or today) <= today:
            values["last_contact_date"] = today
        lead.write(values)
        if outcome.activity_type_id:
            self._plan_activity(today)
        return {"type": "ir.actions.act_window_close"}

    def _check_confirm(self):
        """Refuse what cannot be recorded, before anything is written."""
        if not self.outcome_id:
            raise UserError(self.env._("Choose the outcome of the call."))
        if not self.lead_id._prospect_filter(rules.is_open()):
            raise UserError(
                self.env._(
                    "%(lead)s is won or lost: there is no call to log any more.",
                    lead=self.lead_id.display_name,
                )
            )
        today = self.env["prospect.engine"]._today()
        if self.outcome_id.ask_date and not self.next_contact_date:
            raise UserError(
                self.env._(
                    "%(outcome)s: give the date of the next contact.",
                    outcome=self.outcome_id.name,
                )
            )
        if self.next_contact_date and self.next_contact_date < today:
            raise UserError(
                self.env._(
                    "The next contact cannot be in the past (%(date)s).",
                    date=self.next_contact_date,
                )
            )
        activity = self.activity_id
        if activity and (
            not activity.exists()
            or not activity.active
            or activity.res_model != "crm.lead"
            or activity.res_id != self.lead_id.id
        ):
            raise UserError(
                self.env._(
                    "This activity is already done, or belongs to another record."
                )
            )

    def _post_call(self):
        """The logged call in the chatter: the activity done with the outcome as
        feedback, or a message of the Call type when no activity was planned. The
        open cadence contact is done either way: the contact happened."""
        outcome = self.outcome_id
        # recorded as this outcome, not as a plain activity done; unanswered, a
        # touch without answer: the last contact does not move
        context = {"prospect_call_outcome": True}
        if not outcome.answered:
            context["prospect_no_contact"] = True
        lead = self.lead_id.with_context(**context)
        cadence = lead.activity_ids.filtered("prospect_cadence")
        activity = (self.activity_id or cadence[:1]).with_context(**context)
        if activity:
            feedback = self.env._("Outcome: %(outcome)s", outcome=outcome.name)
            if self.note:
                feedback = f"{feedback}\n{self.note}"
            message_id = activity.action_feedback(feedback=feedback)
            # the contact the cadence asked for happened with this one
            (cadence - activity).exists().unlink()
            return self.env["mail.message"].browse(message_id)
        body = Markup("<p>%s</p>") % self.env._(
            "Call logged: %(outcome)s", outcome=outcome.name
        )
        if self.note:
            body += plaintext2html(self.note)
        return lead.message_post(
            body=body,
            message_type="notification",
            subtype_xmlid="mail.mt_activities",
            mail_activity_type_id=self.env.ref("mail.mail_activity_data_call").id,
        )

    def _plan_activity(self, today):
        """The activity the outcome plans (a visit...), as the lead's next cadence
        contact: marking it done asks for its outcome in turn."""
        lead, outcome = self.lead_id, self.outcome_id
        deadline = self.next_contact_date or today + timedelta(
            days=outcome.activity_days
        )
        lead.activity_schedule(
            activity_type_id=outcome.activity_type_id.id,
            date_deadline=deadline,
            summary=outcome.name,
            note=plaintext2html(self.note) if self.note else False,
            user_id=(lead.user_id or self.env.user).id,
            prospect_cadence=True,
        )
