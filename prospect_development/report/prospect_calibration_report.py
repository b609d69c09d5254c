from odoo import api, fields, models
from odoo.tools import SQL

from .. import rules
from ..models.crm_lead import PROSPECT_GRADES, PYRAMID_TIERS
from .lead_report_sql import lead_report_columns, lead_report_from

# Bands of the engagement score at closing: (key, label, lowest score).
SCORE_BANDS = (
    ("0_19", "0-19", 0),
    ("20_39", "20-39", 20),
    ("40_59", "40-59", 40),
    ("60_79", "60-79", 60),
    ("80_100", "80-100", 80),
)


def closing_score(settings, lead="lead"):
    """A grouped query (one row per closed lead with signals: ``lead_id``,
    ``score``, ``outcome_id``): the engagement score the lead had on the day it
    closed (its signals up to then, halved every half-life up to that day, the
    nightly rule) and the outcome of its last call before closing."""
    closing_day = SQL("(%s.date_closed)::date", SQL.identifier(lead))
    return SQL(
        """
        SELECT event.lead_id,
               %(score)s AS score,
               (ARRAY_AGG(event.outcome_id ORDER BY event.date DESC, event.id DESC)
                    FILTER (WHERE event.outcome_id IS NOT NULL))[1] AS outcome_id
          FROM prospect_engagement_event event
          JOIN crm_lead %(lead)s ON %(lead)s.id = event.lead_id
         WHERE %(lead)s.date_closed IS NOT NULL
           AND event.date <= %(lead)s.date_closed
         GROUP BY event.lead_id
        """,
        lead=SQL.identifier(lead),
        score=rules.score_of_events(closing_day, settings),
    )


def score_band(score):
    """The band key of an engagement score (SQL)."""
    whens = SQL(" ").join(
        SQL("WHEN %s >= %s THEN %s", score, low, key)
        for key, _label, low in reversed(SCORE_BANDS)
    )
    return SQL("CASE %s END", whens)


class ProspectCalibrationReport(models.Model):
    """Does the method predict wins here? One row per closed lead (won or lost,
    with its closing date) with what the method said of it when it closed: its
    grade (frozen on closing), its engagement score on its closing day, its tier,
    the outcome of its last call and the sequence it followed.

    Sums of ``closed_count`` and ``won_count`` give the counts each figure rests on;
    ``win_rate`` is their ratio in every group (``_read_group_select``)."""

    _name = "prospect.calibration.report"
    _description = "Prospect Calibration"
    _auto = False
    _order = "date_closed desc, id desc"
    _rec_name = "lead_id"

    lead_id = fields.Many2one("crm.lead", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    partner_id = fields.Many2one(
        "res.partner", string="Customer", readonly=True, help="Commercial partner."
    )
    date_created = fields.Datetime(string="Created On", readonly=True)
    date_closed = fields.Datetime(string="Closed On", readonly=True)
    won = fields.Boolean(readonly=True)
    prospect_grade = fields.Selection(
        PROSPECT_GRADES,
        string="Grade at Closing",
        readonly=True,
        help="The grade the lead had when it was won or lost: grades freeze on "
        "closing.",
    )
    pyramid_tier = fields.Selection(
        PYRAMID_TIERS,
        string="Tier",
        readonly=True,
        help="Tier of the customer today (tiers follow the customer, not the deal).",
    )
    score_at_close = fields.Integer(
        string="Score at Closing",
        readonly=True,
        aggregator="avg",
        help="Engagement score of the lead on the day it closed: its signals up to "
        "then, halved every half-life of the settings.",
    )
    score_band = fields.Selection(
        [(key, label) for key, label, _low in SCORE_BANDS],
        readonly=True,
        help="Band of the score at closing.",
    )
    sales_ready = fields.Boolean(
        string="Score at Threshold",
        readonly=True,
        help="The score at closing reached the sales-ready threshold of the settings.",
    )
    outcome_id = fields.Many2one(
        "prospect.call.outcome",
        string="Last Call Outcome",
        readonly=True,
        help="Outcome of the last call logged before closing.",
    )
    sequence_id = fields.Many2one(
        "prospect.sequence",
        readonly=True,
        help="Sequence the lead was last enrolled in.",
    )
    days_left_at_close = fields.Integer(
        string="Days to Expected Closing",
        readonly=True,
        aggregator="avg",
        help="Clear needs with an expected closing date: days from the closing to "
        "the expected closing date (negative: overdue). The grade limits apply to "
        "these days.",
    )
    closed_count = fields.Integer(
        string="Closed Leads", readonly=True, aggregator="sum"
    )
    won_count = fields.Integer(string="Won Leads", readonly=True, aggregator="sum")
    win_rate = fields.Float(
        string="Win Rate (%)",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="Won leads out of the closed leads of the group.",
    )
    days_to_close = fields.Integer(
        readonly=True,
        aggregator="avg",
        help="Days from the creation of the lead to its closing.",
    )
    won_revenue = fields.Monetary(
        currency_field="currency_id",
        readonly=True,
        aggregator="sum",
        help="Expected revenue of the won leads.",
    )
    currency_id = fields.Many2one("res.currency", readonly=True)

    @property
    def _table_query(self):
        return self._query()

    @api.model
    def _query(self):
        settings = self.env["prospect.settings"]._get()
        return SQL(
            """
            SELECT %(lead_columns)s,
                   lead.create_date AS date_created,
                   lead.date_closed,
                   %(won)s AS won,
                   lead.prospect_grade,
                   lead.pyramid_tier,
                   COALESCE(signal.score, 0) AS score_at_close,
                   %(band)s AS score_band,
                   COALESCE(signal.score, 0) >= %(threshold)s AS sales_ready,
                   signal.outcome_id,
                   enrolment.sequence_id,
                   CASE WHEN lead.need_status = 'clear'
                         AND lead.prospect_grade IN ('a', 'b', 'c', 'd')
                        THEN lead.date_deadline - lead.date_closed::date
                   END AS days_left_at_close,
                   1 AS closed_count,
                   %(won)s::int AS won_count,
                   100.0 * %(won)s::int AS win_rate,
                   GREATEST(lead.date_closed::date - lead.create_date::date, 0)
                       AS days_to_close,
                   CASE WHEN %(won)s THEN COALESCE(lead.expected_revenue, 0)
                        ELSE 0 END AS won_revenue
              %(lead_from)s
              LEFT JOIN (%(signals)s) signal ON signal.lead_id = lead.id
             WHERE %(closed)s AND lead.date_closed IS NOT NULL
            """,
            won=rules.is_won(),
            band=score_band(SQL("COALESCE(signal.score, 0)")),
            threshold=settings["score_threshold"],
            signals=closing_score(settings, "closed"),
            closed=rules.is_closed(),
            lead_from=lead_report_from(),
            lead_columns=lead_report_columns(),
        )

    @api.model
    def _read_group_select(self, aggregate_spec, query):
        """The win rate of a group is its won leads over its closed leads (and not
        an average of averages, whatever the grouping)."""
        if aggregate_spec != "win_rate:avg":
            return super()._read_group_select(aggregate_spec, query)
        return SQL(
            "100.0 * SUM(%s) / NULLIF(SUM(%s), 0)",
            self._field_to_sql(self._table, "won_count", query),
            self._field_to_sql(self._table, "closed_count", query),
        )
