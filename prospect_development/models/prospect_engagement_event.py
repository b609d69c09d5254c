from odoo import api, fields, models, tools
from odoo.tools import SQL

from .. import rules
from .crm_lead import PROSPECT_GRADES, PYRAMID_TIERS

EVENT_TYPES = [
    ("reply", "Reply"),
    ("feedback", "Feedback Card Answered"),
    ("meeting", "Meeting Held"),
    ("activity_done", "Activity Done"),
    ("call_outcome", "Call Outcome"),
    ("mail_open", "Mail Opened"),
    ("link_click", "Link Clicked"),
    ("page_view", "Website Page Viewed"),
    ("form_submit", "Website Form Submitted"),
    ("opt_out", "Opt-out"),
]


class ProspectEngagementEvent(models.Model):
    """One behaviour signal of a lead, with the points it earned when it came.

    Events are written by the add-on only, through ``_record()``: one statement per
    batch that skips what was already recorded (``dedup_key``), then the score, the
    hand-off to sales and the interest alert of their leads follow at once. The
    nightly rescoring sums them, halved every ``score_half_life_days``."""

    _name = "prospect.engagement.event"
    _inherit = ["prospect.selection.order.mixin"]
    _description = "Prospect Engagement Event"
    _order = "date desc, id desc"
    _rec_name = "event_type"

    lead_id = fields.Many2one(
        "crm.lead", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(
        related="lead_id.company_id", store=True, index=True, readonly=True
    )
    user_id = fields.Many2one(
        "res.users",
        string="Salesperson",
        index=True,
        readonly=True,
        help="Salesperson of the lead when the event came.",
    )
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    event_type = fields.Selection(
        EVENT_TYPES, string="Signal", required=True, index=True, readonly=True
    )
    points = fields.Integer(
        readonly=True, help="Points the event earned when it came (score rules)."
    )
    points_today = fields.Float(
        compute="_compute_points_today",
        digits=(16, 1),
        help="What the event still adds to the score: its points halved every "
        "half-life of the settings since its day.",
    )
    date = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now)
    description = fields.Char(readonly=True)
    res_model = fields.Char(string="Source Model", readonly=True)
    res_id = fields.Many2oneReference(
        string="Source", model_field="res_model", readonly=True
    )
    dedup_key = fields.Char(
        readonly=True,
        copy=False,
        help="The same signal is recorded once: a second event with this key is "
        "skipped, even when both arrive at the same moment.",
    )
    is_hot = fields.Boolean(
        string="Hot",
        readonly=True,
        help="A signal of strong interest (a hot page): the salesperson is alerted "
        "at once.",
    )
    answered = fields.Boolean(
        readonly=True, help="Call outcomes: the prospect answered the call."
    )
    outcome_id = fields.Many2one(
        "prospect.call.outcome",
        index="btree_not_null",
        readonly=True,
        help="Call outcomes: what the call gave.",
    )
    pyramid_tier = fields.Selection(
        PYRAMID_TIERS, string="Tier", readonly=True, help="Tier of the lead then."
    )
    prospect_grade = fields.Selection(
        PROSPECT_GRADES, string="Grade", readonly=True, help="Grade of the lead then."
    )
    sequence_id = fields.Many2one(
        "prospect.sequence",
        index="btree_not_null",
        readonly=True,
        help="Sequence of the mail the signal answers, or the lead's running "
        "sequence then.",
    )

    _sql_constraints = [
        (
            "dedup_key_uniq",
            "UNIQUE(dedup_key)",
            "This signal is already recorded.",
        ),
    ]

    def init(self):
        # the score of a lead sums its events; the nightly run reads outcomes by message
        self.env.cr.execute(
            """
            CREATE INDEX IF NOT EXISTS prospect_engagement_event_lead_date_idx
                ON prospect_engagement_event (lead_id, date);
            CREATE INDEX IF NOT EXISTS prospect_engagement_event_message_idx
                ON prospect_engagement_event (res_id)
             WHERE res_model = 'mail.message' AND event_type = 'call_outcome';
            """
        )

    def _compute_points_today(self):
        settings = self.env["prospect.settings"]._get()
        today = self.env["prospect.engine"]._score_day()
        decayed = {}
        if self.ids:
            self.flush_recordset(["points", "date"])
            self.env.cr.execute(
                SQL(
                    "SELECT event.id, %s FROM prospect_engagement_event event"
                    " WHERE event.id = ANY(%s)",
                    rules.decayed_points(
                        SQL("event.points"),
                        SQL("event.date"),
                        today,
                        settings["score_half_life_days"],
                    ),
                    list(self.ids),
                )
            )
            decayed = dict(self.env.cr.fetchall())
        for event in self:
            event.points_today = float(decayed.get(event.id, 0.0))

    @api.model
    def _get_rule_points(self):
        """Points of each event type, from the score rules (cached: the rules
        seldom change, signals come by the thousand; the rules clear it)."""
        return dict(self._get_rule_points_cached())

    @tools.ormcache()
    def _get_rule_points_cached(self):
        return tuple(
            (rule.event_type, rule.points)
            for rule in self.env["prospect.score.rule"].sudo().search([])
        )

    @api.model
    def _record(self, values_list):
        """Record behaviour signals; returns the events created (those whose
        ``dedup_key`` was already recorded are skipped, concurrently too).

        Each value needs ``lead_id`` and ``event_type``; points default to the
        score rule's, the date to now, the sequence to the lead's running one. The
        score, hand-off and interest alert of their leads follow at once."""
        if not values_list:
            return self.browse()
        # bookkeeping of a signal (the prospect on a public page, a scheduled
        # job): callers check what they expose; the events are not shown here
        self = self.sudo()
        leads = self.env["crm.lead"].browse({vals["lead_id"] for vals in values_list})
        # the running sequence of the leads whose values do not name one
        unsequenced = [
            vals["lead_id"] for vals in values_list if "sequence_id" not in vals
        ]
        running = (
            {
                enrollment.lead_id.id: enrollment.sequence_id.id
                for enrollment in self.env["prospect.sequence.enrollment"].search(
                    [("lead_id", "in", unsequenced), ("state", "=", "running")],
                    order="id",
                )
            }
            if unsequenced
            else {}
        )
        points = self._get_rule_points()
        now = self.env["prospect.engine"]._now()
        rows = []
        for vals in values_list:
            lead = leads.browse(vals["lead_id"])
            rows.append(
                {
                    "company_id": lead.company_id.id,
                    "user_id": lead.user_id.id,
                    "team_id": lead.team_id.id,
                    "pyramid_tier": lead.pyramid_tier,
                    "prospect_grade": lead.prospect_grade,
                    "sequence_id": running.get(lead.id),
                    "points": points.get(vals["event_type"], 0),
                    "date": now,
                    **vals,
                }
            )
        columns = sorted({name for row in rows for name in row})
        unknown = [
            name
            for name in columns
            if name not in self._fields or not self._fields[name].store
        ]
        if unknown:
            raise ValueError(f"Unknown event fields: {unknown}")
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO prospect_engagement_event
                       (%(columns)s, create_uid, create_date, write_uid, write_date)
                VALUES %(rows)s
                ON CONFLICT (dedup_key) DO NOTHING
                RETURNING id, lead_id, event_type, is_hot, description
                """,
                columns=SQL(", ").join(SQL.identifier(name) for name in columns),
                rows=SQL(", ").join(
                    SQL(
                        "(%s, %s, NOW() AT TIME ZONE 'UTC',"
                        " %s, NOW() AT TIME ZONE 'UTC')",
                        SQL(", ").join(
                            # False is NULL for a relation, but FALSE for a flag:
                            # an unanswered call is answered = FALSE, not unknown
                            None
                            if row.get(name) is False
                            and self._fields[name].type != "boolean"
                            else row.get(name)
                            for name in columns
                        ),
                        self.env.uid,
                        self.env.uid,
                    )
                    for row in rows
                ),
            )
        )
        created = self.env.cr.fetchall()
        events = self.browse(row[0] for row in created)
        # what the score and the alert read of them, as inserted (no read back)
        for index, name in enumerate(
            ("lead_id", "event_type", "is_hot", "description"), start=1
        ):
            self.env.cache.update(
                events, self._fields[name], [row[index] or False for row in created]
            )
        leads.invalidate_recordset(["prospect_event_ids"])
        if events:
            events.lead_id._prospect_apply_events(events)
        return events
