import logging
from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL
from odoo.tools.safe_eval import safe_eval

from .. import rules

_logger = logging.getLogger(__name__)

STOP_REASONS = [
    ("reply", "Prospect replied"),
    ("feedback", "Feedback card answered"),
    ("won", "Won"),
    ("lost", "Lost"),
    ("abandoned", "Abandoned"),
    ("bounce", "Mail bounced"),
    ("blacklist", "Address blacklisted"),
    ("opt_out", "Opted out"),
    ("no_email", "No valid email address"),
    ("manual", "Stopped by hand"),
    ("sales_ready", "Sales-ready: handed to sales"),
]
# Why the mail queue refused a mailing, as a reason to stop the enrolment.
STOP_REASON_OF_FAILURE = {
    "mail_bl": "blacklist",
    "mail_optout": "opt_out",
    "mail_email_missing": "no_email",
    "mail_email_invalid": "no_email",
}


class ProspectSequenceEnrollment(models.Model):
    _name = "prospect.sequence.enrollment"
    _description = "Prospect Sequence Enrolment"
    _order = "next_date, id"
    _rec_name = "lead_id"
    _check_company_auto = True

    lead_id = fields.Many2one("crm.lead", required=True, ondelete="cascade", index=True)
    sequence_id = fields.Many2one(
        "prospect.sequence",
        required=True,
        ondelete="cascade",
        index=True,
        check_company=True,
    )
    company_id = fields.Many2one(related="lead_id.company_id", store=True, index=True)
    user_id = fields.Many2one(
        related="lead_id.user_id", string="Salesperson", store=True, index=True
    )
    team_id = fields.Many2one(
        related="lead_id.team_id", string="Sales Team", store=True
    )
    state = fields.Selection(
        [("running", "Running"), ("done", "Done"), ("stopped", "Stopped")],
        default="running",
        required=True,
        readonly=True,
        index=True,
    )
    stop_reason = fields.Selection(STOP_REASONS, readonly=True)
    date_stopped = fields.Datetime(readonly=True)
    paused = fields.Boolean(
        default=False,
        readonly=True,
        help="A paused enrolment sends nothing until it is resumed.",
    )
    next_step_id = fields.Many2one(
        "prospect.sequence.step", readonly=True, ondelete="set null", index=True
    )
    next_date = fields.Datetime(
        readonly=True, index=True, help="When the next step is due."
    )
    last_sent_date = fields.Datetime(readonly=True)
    card_ids = fields.One2many("prospect.feedback.card", "enrollment_id")
    sent_count = fields.Integer(string="Mailings Sent", compute="_compute_sent_count")

    def init(self):
        # One running sequence per lead: the prospect never gets two at once, even
        # when two users (or a user and the nightly rules) enrol it together.
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS prospect_sequence_enrollment_running_uniq
                ON prospect_sequence_enrollment (lead_id) WHERE state = 'running'
            """
        )
        self.env.cr.execute(
            """
            CREATE INDEX IF NOT EXISTS prospect_sequence_enrollment_due_idx
                ON prospect_sequence_enrollment (next_date, id)
             WHERE state = 'running' AND paused IS NOT TRUE
            """
        )

    @api.depends("card_ids")
    def _compute_sent_count(self):
        counts = dict(
            self.env["prospect.feedback.card"]._read_group(
                [("enrollment_id", "in", self.ids)], ["enrollment_id"], ["__count"]
            )
        )
        for enrollment in self:
            enrollment.sent_count = counts.get(enrollment, 0)

    @api.depends("lead_id", "sequence_id")
    def _compute_display_name(self):
        for enrollment in self:
            enrollment.display_name = (
                f"{enrollment.lead_id.name or ''} - {enrollment.sequence_id.name or ''}"
            )

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        """Creating an enrolment enrols the lead: its first step is due after the
        first step's delay."""
        now = self.env["prospect.engine"]._now()
        for vals in vals_list:
            sequence = self.env["prospect.sequence"].browse(vals.get("sequence_id"))
            lead = self.env["crm.lead"].browse(vals.get("lead_id"))
            self._check_enrollable(lead, sequence)
            first = sequence._get_first_step()
            vals.setdefault("next_step_id", first.id)
            vals.setdefault("next_date", now + timedelta(days=first.delay_days))
        return super().create(vals_list)

    @api.model
    def _check_enrollable(self, lead, sequence):
        if not sequence.exists() or not lead.exists():
            raise UserError(self.env._("Choose a lead and a sequence to enrol it in."))
        if not sequence.step_ids:
            raise UserError(
                self.env._("%(sequence)s has no steps yet.", sequence=sequence.name)
            )
        if not lead._prospect_filter(rules.is_open()):
            raise UserError(
                self.env._(
                    "%(lead)s is closed: it cannot be enrolled in a sequence.",
                    lead=lead.display_name,
                )
            )

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_pause(self):
        self.filtered(lambda e: e.state == "running").write({"paused": True})
        return True

    def action_resume(self):
        """Resume: a step that fell due during the pause goes with the next run."""
        self.filtered(lambda e: e.state == "running" and e.paused).write(
            {"paused": False}
        )
        return True

    def action_stop(self):
        self._stop("manual")
        return True

    def _stop(self, reason):
        running = self.filtered(lambda e: e.state == "running")
        running.write(
            {
                "state": "stopped",
                "stop_reason": reason,
                "date_stopped": self.env["prospect.engine"]._now(),
                "next_date": False,
                "paused": False,
            }
        )
        return running

    # ------------------------------------------------------------
    # SCHEDULED SENDING
    # ------------------------------------------------------------

    @api.model
    def _cron_prospect_sequence(self):
        """Enrol by the sequences' rules, stop what can no longer be sent, then send
        every due step (``prospect.sequence.engine``)."""
        return self.env["prospect.sequence.engine"]._run()

    @api.model
    def _action_send_due(self, batch_size=None):
        """Send every due step, batch after batch. Returns the number of steps sent."""
        return (
            self.env["prospect.sequence.engine"]
            .with_context(prospect_send_only=True)
            ._run(batch_size=batch_size)
        )

    @api.model
    def _action_enroll_by_rules(self):
        """Enrol, in set-based SQL, the open leads with an email that match an
        automatic sequence's rule and were never in that sequence. Nurturing
        sequences take the leads under the sales-ready score only, let go of those
        that reached it, and take back those that fell under it again."""
        threshold = self.env["prospect.settings"]._get()["score_threshold"]
        self._stop_nurture_ready(threshold)
        enrolled = 0
        for sequence in self.env["prospect.sequence"].search(
            [("auto_enroll", "=", True)]
        ):
            first = sequence._get_first_step()
            if not first:
                continue
            domain = safe_eval(sequence.enroll_domain or "[]") + [
                ("active", "=", True),
                ("email_normalized", "!=", False),
                *self.env["crm.lead"]._prospect_domain(rules.is_open()),
            ]
            if sequence.company_id:
                domain += [("company_id", "in", [sequence.company_id.id, False])]
            if sequence.team_ids:
                domain += [("team_id", "in", sequence.team_ids.ids)]
            if sequence.is_nurture:
                domain += [("engagement_score", "<", threshold)]
            leads = self.env["crm.lead"].with_context(active_test=False)._search(domain)
            self.env["crm.lead"].flush_model()
            self.flush_model()
            self.env.cr.execute(
                SQL(
                    """
                    INSERT INTO prospect_sequence_enrollment (
                        lead_id, sequence_id, company_id, user_id, team_id, state,
                        paused, next_step_id, next_date,
                        create_uid, create_date, write_uid, write_date)
                    SELECT lead.id, %(sequence)s, lead.company_id, lead.user_id,
                           lead.team_id, 'running', FALSE, %(step)s,
                           %(now)s + make_interval(days => %(delay)s),
                           %(uid)s, NOW() AT TIME ZONE 'UTC',
                           %(uid)s, NOW() AT TIME ZONE 'UTC'
                      FROM crm_lead lead
                     WHERE lead.id IN %(leads)s
                       AND NOT EXISTS (
                           SELECT FROM prospect_sequence_enrollment enrollment
                            WHERE enrollment.lead_id = lead.id
                              AND ((enrollment.sequence_id = %(sequence)s
                                    AND NOT (%(nurture)s AND enrollment.stop_reason
                                             IS NOT DISTINCT FROM 'sales_ready'))
                                   OR enrollment.state = 'running'))
                    ON CONFLICT DO NOTHING
                    """,
                    sequence=sequence.id,
                    nurture=sequence.is_nurture,
                    step=first.id,
                    delay=first.delay_days,
                    now=self.env["prospect.engine"]._now(),
                    uid=self.env.uid,
                    leads=leads.subselect(),
                )
            )
            enrolled += self.env.cr.rowcount
        if enrolled:
            self.invalidate_model()
            _logger.info("Prospect sequences: %s leads enrolled by rule", enrolled)
        return enrolled

    @api.model
    def _stop_nurture_ready(self, threshold):
        """Leads nurtured to the sales-ready score leave their nurturing sequence
        (the live path is ``crm.lead._prospect_update_score``)."""
        self.flush_model()
        self.env["crm.lead"].flush_model(["engagement_score"])
        self.env.cr.execute(
            SQL(
                """
                UPDATE prospect_sequence_enrollment enrollment
                   SET state = 'stopped', stop_reason = 'sales_ready',
                       date_stopped = %(now)s, next_date = NULL, paused = FALSE,
                       write_uid = %(uid)s, write_date = NOW() AT TIME ZONE 'UTC'
                  FROM prospect_sequence sequence, crm_lead lead
                 WHERE enrollment.state = 'running'
                   AND sequence.id = enrollment.sequence_id AND sequence.is_nurture
                   AND lead.id = enrollment.lead_id
                   AND lead.engagement_score >= %(threshold)s
                """,
                now=self.env["prospect.engine"]._now(),
                uid=self.env.uid,
                threshold=threshold,
            )
        )
        if self.env.cr.rowcount:
            self.invalidate_model()

    @api.model
    def _action_stop_unreachable(self):
        """Stop, in one statement, the running enrolments whose lead was won, lost
        or abandoned, whose address bounced or is blacklisted."""
        self.env["crm.lead"].flush_model()
        self.env["mail.blacklist"].flush_model()
        self.flush_model()
        self.env.cr.execute(
            SQL(
                """
                UPDATE prospect_sequence_enrollment enrollment
                   SET state = 'stopped',
                       stop_reason = reason.stop_reason,
                       date_stopped = %(now)s,
                       next_date = NULL,
                       paused = FALSE,
                       write_uid = %(uid)s,
                       write_date = NOW() AT TIME ZONE 'UTC'
                  FROM (
                      SELECT enrollment.id,
                             CASE
                                 WHEN %(is_won)s THEN 'won'
                                 WHEN lead.date_abandoned IS NOT NULL THEN 'abandoned'
                                 WHEN NOT %(is_open)s THEN 'lost'
                                 WHEN blacklist.id IS NOT NULL THEN 'blacklist'
                                 WHEN lead.message_bounce > 0 THEN 'bounce'
                             END AS stop_reason
                        FROM prospect_sequence_enrollment enrollment
                        JOIN crm_lead lead ON lead.id = enrollment.lead_id
                        LEFT JOIN crm_stage stage ON stage.id = lead.stage_id
                        LEFT JOIN res_partner partner ON partner.id = lead.partner_id
                        LEFT JOIN mail_blacklist blacklist
                               ON blacklist.active
                              AND blacklist.email = COALESCE(partner.email_normalized,
                                                             lead.email_normalized)
                       WHERE enrollment.state = 'running'
                  ) reason
                 WHERE reason.id = enrollment.id AND reason.stop_reason IS NOT NULL
                """,
                uid=self.env.uid,
                is_won=rules.is_won(),
                is_open=rules.is_open(),
                now=self.env["prospect.engine"]._now(),
            )
        )
        stopped = self.env.cr.rowcount
        if stopped:
            self.invalidate_model()
        return stopped

    def _send_next_step(self):
        """Send the due step of each enrolment, then move it to its next step."""
        now = self.env["prospect.engine"]._now()
        by_step = defaultdict(lambda: self.browse())
        for enrollment in self:
            by_step[enrollment.next_step_id] |= enrollment
        for step, enrollments in by_step.items():
            leads = enrollments.lead_id
            closed = leads - leads._prospect_filter(rules.is_open())
            closed._prospect_stop_closed_sequences()
            enrollments = enrollments.filtered(
                lambda e, closed=closed: e.lead_id not in closed
            )
            if step.template_id:
                enrollments -= enrollments._send_step_mail(step, now)
            if step.activity_type_id:
                enrollments._schedule_step_activity(step)
            enrollments._advance(step, now)

    def _send_step_mail(self, step, now):
        """Queue the step's mail for these enrolments, on their leads' threads, each
        with its personal feedback card. Returns the enrolments stopped because the
        mail queue refused their address."""
        sequence = step.sequence_id
        cards = self.env["prospect.feedback.card"].create(
            [
                {
                    "enrollment_id": enrollment.id,
                    "lead_id": enrollment.lead_id.id,
                    "sequence_id": sequence.id,
                    "step_id": step.id,
                    "company_id": enrollment.lead_id.company_id.id,
                    "user_id": enrollment.lead_id.user_id.id,
                    "team_id": enrollment.lead_id.team_id.id,
                    "date_sent": now,
                    "date_expire": now + timedelta(days=sequence.card_valid_days),
                }
                for enrollment in self
            ]
        )
        by_author = defaultdict(lambda: self.env["prospect.feedback.card"])
        for card in cards:
            by_author[card.lead_id._prospect_sender().partner_id] |= card
        mails = self.env["mail.mail"].sudo()
        # the step's template is compiled once per language for the whole batch,
        # not once per mail (ir.qweb._compile), and each body sanitized for its
        # message only (mail.mail.create)
        queue = self.with_context(prospect_qweb_memo={}, prospect_messages_first=True)
        for author, author_cards in by_author.items():
            mails |= queue._queue_mail(author_cards, step.template_id, author)
        # the queue cancels blacklisted, opted-out and invalid addresses
        stopped = self.browse()
        card_of_lead = {card.lead_id.id: card for card in cards}
        mail_of_card = {}
        for mail in mails:
            card = card_of_lead.get(mail.res_id)
            if not card:
                continue
            reason = STOP_REASON_OF_FAILURE.get(mail.failure_type)
            if mail.state == "cancel" and reason:
                card.enrollment_id._stop(reason)
                stopped |= card.enrollment_id
                card.unlink()
            else:
                card.mail_message_id = mail.mail_message_id
                if mail.state == "outgoing":
                    mail_of_card[card] = mail
        # the open pixel and tracked links, in the mail only (not on the thread)
        cards._add_tracking(mail_of_card)
        return stopped

    @api.model
    def _queue_mail(self, cards, template, author):
        """Queue ``template`` to the leads of ``cards`` with Odoo's mass-mail
        composer: rendered in each partner's language, blacklisted and invalid
        addresses cancelled, the message kept on each lead's thread, the mail left
        in the outgoing queue, and leads without partner mailed at their address
        (no contact created for them). Returns the mails (sudo)."""
        urls = {card.lead_id.id: card._get_url() for card in cards}
        composer = (
            self.env["mail.compose.message"]
            .with_context(
                prospect_feedback_urls=urls, mail_composer_force_partners=False
            )
            .create(
                {
                    "composition_mode": "mass_mail",
                    "model": "crm.lead",
                    "res_ids": str(cards.lead_id.ids),
                    "template_id": template.id,
                    "author_id": author.id,
                    # given an author, the composer no longer takes the template's
                    # sender: the prospect would get it from the notification
                    # address instead of their salesperson's
                    "email_from": template.email_from or author.email_formatted,
                    "force_send": False,
                }
            )
        )
        mails, _messages = composer._action_send_mail()
        self._show_recipients(mails)
        return mails

    @api.model
    def _show_recipients(self, mails):
        """The chatter says to whom each mailing went (the decision maker, or the
        lead's contact): the mail's recipients become its message's, in one
        statement, without notifying them again."""
        mails.flush_recordset(["recipient_ids", "mail_message_id"])
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO mail_message_res_partner_rel
                       (mail_message_id, res_partner_id)
                SELECT mail.mail_message_id, recipient.res_partner_id
                  FROM mail_mail mail
                  JOIN mail_mail_res_partner_rel recipient
                    ON recipient.mail_mail_id = mail.id
                 WHERE mail.id = ANY(%s)
                ON CONFLICT DO NOTHING
                """,
                mails.ids,
            )
        )
        mails.mail_message_id.invalidate_recordset(["partner_ids"])

    def _schedule_step_activity(self, step):
        today = self.env["prospect.engine"]._today()
        model_id = self.env["ir.model"]._get_id("crm.lead")
        values = []
        for enrollment in self:
            owner = enrollment.lead_id._prospect_sender()
            if owner._is_public() or owner.id == self.env.ref("base.user_root").id:
                continue
            values.append(
                {
                    "res_model_id": model_id,
                    "res_id": enrollment.lead_id.id,
                    "activity_type_id": step.activity_type_id.id,
                    "summary": step.activity_summary or step.name,
                    "date_deadline": today + timedelta(days=step.activity_delay_days),
                    "user_id": owner.id,
                }
            )
        if values:
            # by lead, as the cadence does: followers are subscribed in the same
            # order by both jobs, so running together they never deadlock
            values.sort(key=lambda vals: vals["res_id"])
            self.env["mail.activity"].with_context(
                mail_activity_quick_update=True
            ).create(values)

    def _advance(self, step, now):
        next_step = step._get_next_step()
        if next_step:
            self.write(
                {
                    "next_step_id": next_step.id,
                    "next_date": now + timedelta(days=next_step.delay_days),
                    "last_sent_date": now,
                }
            )
        else:
            self.write(
                {
                    "state": "done",
                    "next_step_id": False,
                    "next_date": False,
                    "last_sent_date": now,
                }
            )
