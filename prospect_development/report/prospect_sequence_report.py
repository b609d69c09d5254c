from odoo import api, fields, models, tools
from odoo.tools import SQL


class ProspectSequenceReport(models.Model):
    """Effect of the direct-mail and feedback sequences: one row per mailing sent to
    a lead (one feedback card), with what came back within the sequence's effect
    window. Sums give counts, averages of the ``*_rate`` fields give percentages."""

    _name = "prospect.sequence.report"
    _description = "Prospect Sequence Effect"
    _auto = False
    _order = "date_sent desc, id desc"
    _rec_name = "step_id"

    sequence_id = fields.Many2one("prospect.sequence", readonly=True)
    step_id = fields.Many2one("prospect.sequence.step", string="Mailing", readonly=True)
    lead_id = fields.Many2one("crm.lead", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    user_id = fields.Many2one(
        "res.users",
        string="Salesperson",
        readonly=True,
        help="Salesperson of the lead when the mailing was sent.",
    )
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    date_sent = fields.Datetime(string="Sent On", readonly=True)
    measuring = fields.Boolean(
        string="Still Measuring",
        readonly=True,
        help="The effect window of this mailing is not over yet: its figures may "
        "still grow.",
    )
    interest = fields.Selection(
        selection="_selection_interest",
        string="Interest Stated",
        readonly=True,
        help="Interest the prospect stated on the feedback card, whenever answered.",
    )
    stop_reason = fields.Selection(
        selection="_selection_stop_reason",
        readonly=True,
        help="Why the sequence stopped, on the last mailing the lead received.",
    )
    sent = fields.Integer(string="Mailings Sent", readonly=True, aggregator="sum")
    bounced = fields.Integer(
        readonly=True,
        aggregator="sum",
        help="Mailings returned as undeliverable.",
    )
    replied = fields.Integer(
        string="Replied by Mail",
        readonly=True,
        aggregator="sum",
        help="Mailings the prospect (or someone of their company) answered by mail "
        "within the effect window.",
    )
    feedback = fields.Integer(
        string="Feedback Received",
        readonly=True,
        aggregator="sum",
        help="Mailings whose feedback card was answered within the effect window.",
    )
    questions = fields.Integer(
        string="Came Back with Questions",
        readonly=True,
        aggregator="sum",
        help="Mailings after which the prospect wrote back, or wrote a concern on the "
        "feedback card, within the effect window.",
    )
    call_agreed = fields.Integer(
        string="Agreed to a Call",
        readonly=True,
        aggregator="sum",
        help="Feedback cards asking for a phone call, answered within the effect "
        "window.",
    )
    proposal_asked = fields.Integer(
        string="Asked for a Proposal",
        readonly=True,
        aggregator="sum",
        help="Feedback cards asking for a proposal, answered within the effect window.",
    )
    opted_out = fields.Integer(
        readonly=True,
        aggregator="sum",
        help="Feedback cards on which the prospect asked to receive no more mailings.",
    )
    stopped = fields.Integer(
        string="Sequences Stopped",
        readonly=True,
        aggregator="sum",
        help="1 on the last mailing of a lead whose sequence stopped (reply, "
        "feedback, won, lost, bounce, opt-out...); see the stop reason.",
    )
    bounce_rate = fields.Float(
        string="Bounce Rate (%)", readonly=True, aggregator="avg", digits=(16, 1)
    )
    reply_rate = fields.Float(
        string="Reply Rate (%)", readonly=True, aggregator="avg", digits=(16, 1)
    )
    feedback_rate = fields.Float(
        string="Feedback Rate (%)", readonly=True, aggregator="avg", digits=(16, 1)
    )
    questions_rate = fields.Float(
        string="Questions Rate (%)", readonly=True, aggregator="avg", digits=(16, 1)
    )
    call_agreed_rate = fields.Float(
        string="Call Rate (%)", readonly=True, aggregator="avg", digits=(16, 1)
    )
    proposal_asked_rate = fields.Float(
        string="Proposal Rate (%)", readonly=True, aggregator="avg", digits=(16, 1)
    )
    stopped_rate = fields.Float(
        string="Stop Rate (%)", readonly=True, aggregator="avg", digits=(16, 1)
    )

    @api.model
    def _selection_interest(self):
        return (
            self.env["prospect.feedback.card"]
            ._fields["interest"]
            ._description_selection(self.env)
        )

    @api.model
    def _selection_stop_reason(self):
        return (
            self.env["prospect.sequence.enrollment"]
            ._fields["stop_reason"]
            ._description_selection(self.env)
        )

    def _query(self):
        """One row per feedback card. ``effect`` holds each measure as a boolean:
        the counts are its 0/1 value, the rates 100 times it."""
        return SQL(
            """
            SELECT card.id,
                   card.sequence_id,
                   card.step_id,
                   card.lead_id,
                   card.company_id,
                   card.user_id,
                   card.team_id,
                   card.date_sent,
                   card.interest,
                   window_end.date_end > NOW() AT TIME ZONE 'UTC' AS measuring,
                   CASE WHEN effect.stopped THEN enrollment.stop_reason END
                       AS stop_reason,
                   1 AS sent,
                   effect.bounced::int AS bounced,
                   effect.replied::int AS replied,
                   effect.feedback::int AS feedback,
                   effect.questions::int AS questions,
                   effect.call_agreed::int AS call_agreed,
                   effect.proposal_asked::int AS proposal_asked,
                   effect.opted_out::int AS opted_out,
                   effect.stopped::int AS stopped,
                   100.0 * effect.bounced::int AS bounce_rate,
                   100.0 * effect.replied::int AS reply_rate,
                   100.0 * effect.feedback::int AS feedback_rate,
                   100.0 * effect.questions::int AS questions_rate,
                   100.0 * effect.call_agreed::int AS call_agreed_rate,
                   100.0 * effect.proposal_asked::int AS proposal_asked_rate,
                   100.0 * effect.stopped::int AS stopped_rate
              FROM prospect_feedback_card card
              JOIN prospect_sequence sequence ON sequence.id = card.sequence_id
              JOIN prospect_sequence_enrollment enrollment
                ON enrollment.id = card.enrollment_id
             CROSS JOIN LATERAL (
                   SELECT card.date_sent
                          + make_interval(days => sequence.measure_days) AS date_end
             ) window_end
             CROSS JOIN LATERAL (
                   SELECT COALESCE(card.date_answered <= window_end.date_end, FALSE)
                              AS answered,
                          COALESCE(card.date_replied <= window_end.date_end, FALSE)
                              AS replied
             ) timely
             CROSS JOIN LATERAL (
                   SELECT COALESCE(card.bounced, FALSE) AS bounced,
                          timely.replied,
                          timely.answered AS feedback,
                          timely.replied
                              OR (timely.answered
                                  AND COALESCE(BTRIM(card.concern), '') != '')
                              AS questions,
                          timely.answered AND COALESCE(card.call_wanted, FALSE)
                              AS call_agreed,
                          timely.answered AND COALESCE(card.proposal_wanted, FALSE)
                              AS proposal_asked,
                          COALESCE(card.opt_out, FALSE) AS opted_out,
                          enrollment.state = 'stopped'
                              AND NOT EXISTS (
                                  SELECT FROM prospect_feedback_card later
                                   WHERE later.enrollment_id = card.enrollment_id
                                     AND (later.date_sent, later.id)
                                         > (card.date_sent, card.id)
                              ) AS stopped
             ) effect
            """
        )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                "CREATE OR REPLACE VIEW %s AS (%s)",
                SQL.identifier(self._table),
                self._query(),
            )
        )
