from collections import defaultdict
from datetime import date, timedelta
from typing import NamedTuple

from odoo import SUPERUSER_ID, api, fields, models, tools
from odoo.exceptions import AccessError, MissingError, ValidationError
from odoo.tools import SQL, email_domain_extract, email_normalize, lazy_classproperty

from .. import rules
from ..expressions import LazyValues, case, coalesce, column, equal
from .prospect_rescore_engine import ENGINE_COLUMNS

PYRAMID_TIERS = [
    ("super", "Super"),
    ("large", "Large"),
    ("medium", "Medium"),
    ("small", "Small"),
    ("inactive", "Inactive"),
    ("prospect", "Prospect"),
    ("suspect", "Suspect"),
    ("other", "Other"),
]
NEED_STATUSES = [
    ("clear", "Clear need"),
    ("potential", "Potential need"),
    ("none", "No need"),
]
PROSPECT_GRADES = [("a", "A"), ("b", "B"), ("c", "C"), ("d", "D"), ("e", "E")]
CONTACT_URGENCIES = [
    ("urgent", "Urgent"),
    ("soon", "Soon"),
    ("later", "Later"),
    ("slow", "Slow"),
]
KEY_ACCOUNT_COLOURS = [("red", "Red"), ("black", "Black"), ("white", "White")]
# whether a lead is won, and open, evaluated on every closing: built once
CLOSING_RULES = (rules.is_won(), rules.is_open())
# What the live rules set (``_compute_prospect_rules``), and the fields of a lead
# whose save moves each (``write``), as their edit in the form does
# (``_onchange_prospect_rules``). ``probability`` only counts once the lead is
# archived (lost); crm moves it with the stage or the archiving, which a save also
# writes. A grade that moves moves the next contact and urgency with it.
RULE_OUTPUTS = {
    "grade": "prospect_grade",
    "next_date": "next_contact_date",
    "urgency": "contact_urgency",
    "cost": "development_cost",
}
_CONTACT_INPUTS = frozenset(
    {
        "stage_id",
        "active",
        "last_contact_date",
        "next_contact_planned",
        "pyramid_tier",
        "key_account_colour",
        "prospect_potential_key",
    }
)
RULE_OUTPUT_INPUTS = {
    "grade": frozenset(
        {"need_status", "date_deadline", "stage_id", "active", "probability"}
    ),
    "next_date": _CONTACT_INPUTS,
    "urgency": _CONTACT_INPUTS,
    "cost": frozenset({"development_cost_logged", "touch_count"}),
}
RULE_INPUTS = frozenset().union(*RULE_OUTPUT_INPUTS.values())


class RulesProgram(NamedTuple):
    """The live rules of a day (``crm.lead._prospect_rules_program``)."""

    readers: dict  # how ``LazyValues`` reads a lead's values
    outputs: dict  # the expressions of ``RULE_OUTPUTS``
    won_ids: frozenset  # the won stages, which the rules read


def lost_probability(lead, values=None):
    """The probability "lost" reads: an archived lead's only. Reading an active
    lead's from another compute would make crm compute it out of turn (its
    automated probability follows stage changes)."""
    return 0.0 if lead.active else lead.probability


class CrmLead(models.Model):
    _name = "crm.lead"
    _inherit = ["crm.lead", "prospect.selection.order.mixin"]

    # Values of a lead the rules read, with their SQL types (_prospect_evaluate).
    _PROSPECT_RULE_INPUTS = {
        "active": "boolean",
        "probability": "float8",
        "expected_revenue": "numeric",
        "need_status": "varchar",
        "date_deadline": "date",
        "prospect_grade": "varchar",
        "last_contact_date": "date",
        "create_date": "timestamp",
        "next_contact_date": "date",
        "next_contact_planned": "date",
        "development_cost_logged": "numeric",
        "development_cost": "numeric",
        "touch_count": "int4",
        "unanswered_touches": "int4",
        "date_first_unanswered": "date",
        "pyramid_revenue": "numeric",
        "prospect_last_purchase": "date",
        "prospect_usual_interval": "int4",
        "prospect_revenue_previous": "numeric",
        "prospect_lost_to_competitor": "date",
        "type": "varchar",
        "pyramid_tier": "varchar",
        "prospect_potential_key": "boolean",
        "key_account_colour": "varchar",
    }

    # Odoo reads a lead's default prefetch group for its own work: of the add-on's
    # columns, only the need and the grade, which every save reads, are in it. What
    # a contact's next date reads is group ``prospect_cadence`` (read with the lead
    # by ``message_post``), the other rule fields ``prospect_live``.
    pyramid_tier = fields.Selection(
        PYRAMID_TIERS,
        default="suspect",
        index=True,
        readonly=True,
        copy=False,
        # the shares of the settings are quoted by fields_get(), which users see
        help="Place of the customer in the revenue pyramid of this company: super, "
        "large, medium and small customers by revenue over the lookback window, in "
        "the shares of the CRM settings; inactive customers bought before the window "
        "only; prospects never bought but were contacted; suspects were never "
        "contacted; other have no need. Set by the nightly rescoring.",
        prefetch="prospect_cadence",
    )
    # The figures of the nightly rescoring are read together, apart from the lead:
    # saving a lead reads none of them (prefetch group ``prospect_engine``).
    pyramid_revenue = fields.Monetary(
        currency_field="company_currency",
        readonly=True,
        copy=False,
        aggregator="max",
        help="Revenue of the lead's commercial partner over the lookback window, in "
        "the lead's company. It ranks the customer in the pyramid.",
        prefetch="prospect_engine",
    )
    need_status = fields.Selection(
        NEED_STATUSES,
        string="Need",
        tracking=True,
        help="Clear: the prospect has expressed a need. Potential: a need may come "
        "(empty counts as potential). No need: nothing to sell, the lead is graded E.",
    )
    prospect_grade = fields.Selection(
        PROSPECT_GRADES,
        string="Grade",
        compute="_compute_prospect_rules",
        store=True,
        tracking=True,
        help="A: clear need, expected to close within a month; B: within three "
        "months; C: within six months; D: potential need, or a clear need that will "
        "not close within six months; E: no need. Won and lost leads keep the grade "
        "they closed with.",
    )
    contact_urgency = fields.Selection(
        CONTACT_URGENCIES,
        string="Urgency",
        compute="_compute_prospect_rules",
        store=True,
        help="Urgent: next contact within a week; soon: within a month; later: "
        "within three months; slow: beyond.",
        prefetch="prospect_live",
    )
    key_account_colour = fields.Selection(
        KEY_ACCOUNT_COLOURS,
        string="Key Account",
        tracking=True,
        help="Red: high direct profit but irregular buying. Black: little profit but "
        "strategic or brand value; keeping one needs a Sales manager's approval. "
        "White: large volume at a squeezed margin. Empty: not a key account.",
        prefetch="prospect_cadence",
    )
    last_contact_date = fields.Date(
        copy=False,
        readonly=True,
        help="Last real touch: an activity done, a mail sent to or received from the "
        "prospect.",
        prefetch="prospect_cadence",
    )
    next_contact_date = fields.Date(
        compute="_compute_prospect_rules",
        store=True,
        help="Last contact (or creation) plus the contact interval of the grade.",
        prefetch="prospect_live",
    )
    next_contact_planned = fields.Date(
        string="Next Contact Agreed",
        copy=False,
        tracking=True,
        help='A date agreed with the prospect ("call again on"): the next contact '
        "until it is reached, whatever the cadence says.",
        prefetch="prospect_cadence",
    )
    engagement_score = fields.Integer(
        readonly=True,
        copy=False,
        aggregator="avg",
        help="Behaviour score from 0 to 100: the points of the prospect's signals "
        "(replies, feedback, calls, mail opens, clicks, website visits...), each "
        "halved every half-life of the settings. At the threshold of the settings "
        "the lead goes to sales.",
        prefetch="prospect_engine",
    )
    prospect_event_ids = fields.One2many(
        "prospect.engagement.event", "lead_id", string="Engagement Events"
    )
    date_interest_alert = fields.Datetime(
        string="Interest Alert",
        readonly=True,
        copy=False,
        help="When the salesperson was last alerted of a burst of interest.",
        prefetch="prospect_engine",
    )
    development_cost = fields.Monetary(
        currency_field="company_currency",
        compute="_compute_prospect_rules",
        store=True,
        copy=False,
        help="What developing this prospect has cost so far: every touch at the cost "
        "per touch of the settings, plus the other costs logged. Compared with the "
        "expected value to recommend giving up.",
        prefetch="prospect_live",
    )
    development_cost_logged = fields.Monetary(
        string="Other Development Costs",
        currency_field="company_currency",
        copy=False,
        tracking=True,
        help="Costs spent on this prospect besides the touches: visits, samples, "
        "gifts...",
        prefetch="prospect_live",
    )
    touch_count = fields.Integer(
        string="Touches",
        readonly=True,
        copy=False,
        help="Activities done and messages sent to the prospect.",
        prefetch="prospect_live",
    )
    unanswered_touches = fields.Integer(
        readonly=True,
        copy=False,
        help="Touches since the prospect last answered (or ever).",
        prefetch="prospect_engine",
    )
    date_first_unanswered = fields.Date(
        string="Unanswered Since",
        readonly=True,
        copy=False,
        help="First touch the prospect has not answered.",
        prefetch="prospect_engine",
    )
    abandon_advice = fields.Char(compute="_compute_abandon_advice")
    abandon_recommended = fields.Boolean(
        string="Abandonment Recommended",
        readonly=True,
        copy=False,
        help="Many touches without answer for a long time, or a development cost "
        "above the expected value: consider giving this prospect up.",
        prefetch="prospect_engine",
    )
    abandon_reason = fields.Text(
        string="Abandonment Reason",
        readonly=True,
        copy=False,
        tracking=True,
        prefetch="prospect_live",
    )
    date_abandoned = fields.Date(
        string="Abandoned On", readonly=True, copy=False, prefetch="prospect_live"
    )
    date_sales_ready = fields.Date(
        string="Sales-ready Since",
        readonly=True,
        copy=False,
        help="When the engagement score first reached the sales-ready threshold; "
        "the salesperson was given a to-do then.",
        prefetch="prospect_engine",
    )
    pyramid_projected_tier = fields.Selection(
        PYRAMID_TIERS,
        string="Projected Tier",
        readonly=True,
        copy=False,
        help="The tier the customer would have if its weighted open pipeline "
        "(expected revenue x probability of its open opportunities) were added to "
        "its revenue in the window, on the same ranking. Set by the nightly "
        "rescoring.",
        prefetch="prospect_engine",
    )
    pyramid_customer_count = fields.Integer(
        readonly=True, copy=False, prefetch="prospect_engine"
    )
    prospect_projected_rank = fields.Integer(
        string="Projected Rank",
        readonly=True,
        copy=False,
        prefetch="prospect_engine",
    )
    prospect_pipeline_weighted = fields.Monetary(
        string="Weighted Pipeline",
        currency_field="company_currency",
        readonly=True,
        copy=False,
        help="Expected revenue x probability of the customer's open opportunities.",
        prefetch="prospect_engine",
    )
    prospect_potential_key = fields.Boolean(
        string="Potential Key Customer",
        readonly=True,
        copy=False,
        help="Its open pipeline would rank the customer super or large while its "
        "revenue ranks it below: a big customer in the making. Its team leader "
        "decides a key-account colour and a development plan.",
        prefetch="prospect_cadence",
    )
    prospect_potential_key_reason = fields.Char(
        string="Why a Potential Key Customer",
        compute="_compute_prospect_potential_key_reason",
    )
    date_potential_key = fields.Date(
        string="Potential Key Since",
        readonly=True,
        copy=False,
        prefetch="prospect_engine",
    )
    prospect_last_purchase = fields.Date(
        string="Last Purchase",
        readonly=True,
        copy=False,
        help="Last purchase of the customer in this company.",
        prefetch="prospect_engine",
    )
    prospect_usual_interval = fields.Integer(
        string="Usual Interval (days)",
        readonly=True,
        copy=False,
        help="Average number of days between two purchases of the customer.",
        prefetch="prospect_engine",
    )
    prospect_revenue_previous = fields.Monetary(
        string="Revenue, Window Before",
        currency_field="company_currency",
        readonly=True,
        copy=False,
        help="Revenue of the customer over the window of the same length before the "
        "current one.",
        prefetch="prospect_engine",
    )
    prospect_lost_to_competitor = fields.Date(
        string="Lost to a Competitor On",
        readonly=True,
        copy=False,
        prefetch="prospect_engine",
    )
    prospect_at_risk = fields.Boolean(
        string="At Risk",
        readonly=True,
        copy=False,
        help="A super or large customer, or a key account, whose buying slipped "
        "(silent for longer than usual, revenue falling, a deal lost to a "
        "competitor): at risk until it buys again.",
        prefetch="prospect_engine",
    )
    prospect_at_risk_since = fields.Date(
        string="At Risk Since",
        readonly=True,
        copy=False,
        prefetch="prospect_engine",
    )
    prospect_account_lead = fields.Boolean(
        string="Customer's Latest Lead",
        readonly=True,
        copy=False,
        help="The customer's most recent open lead in this company (else its most "
        "recent won one): the one that stands for the customer in the key-account "
        "lists and carries its to-dos.",
        prefetch="prospect_engine",
    )
    prospect_at_risk_reason = fields.Char(
        string="Why at Risk", compute="_compute_prospect_at_risk_reason"
    )
    prospect_referrer_id = fields.Many2one(
        "res.partner",
        string="Referring Customer",
        index="btree_not_null",
        tracking=True,
        help="The existing customer who recommended this lead: it starts as a "
        "prospect, not a suspect, and counts for the customer's referrals.",
        prefetch="prospect_live",
    )
    prospect_contact_role = fields.Selection(
        related="partner_id.prospect_contact_role", readonly=False
    )
    prospect_decision_maker_id = fields.Many2one(
        "res.partner",
        string="Decision Maker",
        compute="_compute_prospect_decision_maker_id",
        search="_search_prospect_decision_maker_id",
        help="The person who decides the purchases of the customer company: mailings "
        "and key-account care go to them.",
    )
    prospect_recipient_id = fields.Many2one(
        "res.partner",
        string="Mailings To",
        compute="_compute_prospect_decision_maker_id",
        help="Whom direct mail and key-account care are addressed to: the decision "
        "maker of the customer when known, else the lead's contact.",
    )
    prospect_needs_decision_maker = fields.Boolean(
        string="Decision Maker Unknown",
        compute="_compute_prospect_decision_maker_id",
        search="_search_prospect_needs_decision_maker",
        help="A super, large, potential key or grade A opportunity whose decision "
        "maker is not known yet.",
    )
    prospect_history_ids = fields.One2many(
        "prospect.lead.history", "lead_id", string="Tier and Grade History"
    )
    prospect_enrollment_ids = fields.One2many(
        "prospect.sequence.enrollment", "lead_id", string="Sequence Enrolments"
    )
    prospect_enrollment_count = fields.Integer(
        string="Sequences", compute="_compute_prospect_enrollment_count"
    )

    _sql_constraints = [
        (
            "engagement_score_range",
            "CHECK(engagement_score BETWEEN 0 AND 100)",
            "The engagement score goes from 0 to 100.",
        ),
        (
            "development_cost_logged_positive",
            "CHECK(development_cost_logged >= 0)",
            "Development costs cannot be negative.",
        ),
    ]

    def init(self):
        result = super().init()
        # the few potential key customers and accounts at risk, for their lists: a
        # full index would be rewritten with every lead the night rescores
        for flag in ("prospect_potential_key", "prospect_at_risk"):
            self.env.cr.execute(
                SQL(
                    "CREATE INDEX IF NOT EXISTS %s ON crm_lead (id) WHERE %s",
                    SQL.identifier(f"crm_lead_{flag}_idx"),
                    SQL.identifier(flag),
                )
            )
        return result

    @api.constrains("key_account_colour")
    def _check_key_account_colour(self):
        if self.env.su or self.env.user.has_group("sales_team.group_sale_manager"):
            return
        if any(lead.key_account_colour == "black" for lead in self):
            raise ValidationError(
                self.env._(
                    "Only a Sales manager may make a lead a black key account: keeping "
                    "a customer that brings little profit is a management decision."
                )
            )

    @api.depends("create_date")
    def _compute_prospect_rules(self):
        """Grade, next contact, urgency and development cost: the rules the night
        runs in SQL, evaluated together in Python (no query). Computed when a lead
        is created; a save of one of their inputs (``RULE_INPUTS``) evaluates them
        again in ``write``, the form in ``_onchange_prospect_rules``: the lead work
        that moves none of them (a salesperson, a message) pays nothing for them."""
        readers, outputs, _won_ids = self._prospect_live_program()
        for lead in self:
            values = LazyValues(lead, readers)
            for output, name in RULE_OUTPUTS.items():
                lead[name] = outputs[output].evaluate(values)

    @api.onchange(*RULE_INPUTS)
    def _onchange_prospect_rules(self):
        self._compute_prospect_rules()

    @api.depends(
        "prospect_potential_key",
        "prospect_pipeline_weighted",
        "prospect_projected_rank",
        "pyramid_customer_count",
    )
    @api.depends_context("lang")
    def _compute_prospect_potential_key_reason(self):
        for lead in self:
            if not lead.prospect_potential_key:
                lead.prospect_potential_key_reason = False
                continue
            pipeline = f"{lead.prospect_pipeline_weighted:,.0f}"
            rank = f"{lead.prospect_projected_rank:,}"
            total = f"{lead.pyramid_customer_count:,}"
            lead.prospect_potential_key_reason = self.env._(
                "Weighted open pipeline %(pipeline)s would rank it %(rank)s of "
                "%(total)s customers",
                pipeline=pipeline,
                rank=rank,
                total=total,
            )

    @api.depends(
        "prospect_at_risk",
        "prospect_last_purchase",
        "prospect_usual_interval",
        "pyramid_revenue",
        "prospect_revenue_previous",
        "prospect_lost_to_competitor",
    )
    @api.depends_context("lang")
    def _compute_prospect_at_risk_reason(self):
        """Which slip of the rules holds, in words (the rules of the night)."""
        at_risk = self.filtered("prospect_at_risk")
        (self - at_risk).prospect_at_risk_reason = False
        if not at_risk:
            return
        settings = self.env["prospect.settings"]._get()
        today = self.env["prospect.engine"]._today()
        rows = at_risk._prospect_evaluate(
            [
                "prospect_last_purchase",
                "prospect_usual_interval",
                "pyramid_revenue",
                "prospect_revenue_previous",
                "prospect_lost_to_competitor",
            ],
            recency=rules.slipping_by_recency(
                SQL("lead.prospect_last_purchase"),
                SQL("lead.prospect_usual_interval"),
                today,
                settings,
            ),
            revenue=rules.slipping_by_revenue(
                SQL("lead.pyramid_revenue"),
                SQL("lead.prospect_revenue_previous"),
                settings,
            ),
            competitor=rules.slipping_to_competitor(
                SQL("lead.prospect_lost_to_competitor"),
                SQL("lead.prospect_last_purchase"),
            ),
        )
        _ = self.env._
        for lead, row in zip(at_risk, rows, strict=True):
            reasons = []
            if row["recency"]:
                reasons.append(
                    _(
                        "no purchase for %(days)s days (usually every %(usual)s)",
                        days=(today - lead.prospect_last_purchase).days,
                        usual=lead.prospect_usual_interval,
                    )
                )
            if row["revenue"]:
                previous = lead.prospect_revenue_previous
                drop = round(100 - 100 * lead.pyramid_revenue / previous)
                revenue = f"{lead.pyramid_revenue:,.0f}"
                before = f"{previous:,.0f}"
                reasons.append(
                    _(
                        "revenue down %(drop)s%% (%(revenue)s against %(previous)s "
                        "the window before)",
                        drop=drop,
                        revenue=revenue,
                        previous=before,
                    )
                )
            if row["competitor"]:
                reasons.append(
                    _(
                        "a deal lost to a competitor on %(date)s",
                        date=lead.prospect_lost_to_competitor,
                    )
                )
            lead.prospect_at_risk_reason = "; ".join(reasons) or _(
                "slipped on %(date)s, no purchase since",
                date=lead.prospect_at_risk_since,
            )

    @api.depends(
        "partner_id.commercial_partner_id",
        "pyramid_tier",
        "prospect_potential_key",
        "prospect_grade",
        "type",
        "active",
        "stage_id",
    )
    def _compute_prospect_decision_maker_id(self):
        commercials = self.partner_id.commercial_partner_id
        makers = self.env["res.partner"].search(
            [
                ("commercial_partner_id", "in", commercials.ids),
                ("prospect_contact_role", "=", "decision_maker"),
            ],
            order="id",
        )
        by_company = {}
        for maker in makers:
            by_company.setdefault(maker.commercial_partner_id, maker)
        for lead in self:
            partner = lead.partner_id
            maker = (
                partner
                if partner.prospect_contact_role == "decision_maker"
                else by_company.get(partner.commercial_partner_id)
            )
            lead.prospect_decision_maker_id = maker
            lead.prospect_recipient_id = maker or partner
        # the rule only holds where no decision maker is known: evaluate those
        unknown = self.filtered(lambda lead: not lead.prospect_decision_maker_id)
        rows = unknown._prospect_evaluate(
            ["active", "type", "pyramid_tier", "prospect_potential_key"]
            + ["prospect_grade"],
            extra={"maker_known": ("boolean", [False] * len(unknown))},
            needs=rules.needs_decision_maker(SQL("lead.maker_known")),
        )
        needing = unknown.browse(
            lead.id for lead, row in zip(unknown, rows, strict=True) if row["needs"]
        )
        needing.prospect_needs_decision_maker = True
        (self - needing).prospect_needs_decision_maker = False

    @api.model
    def _prospect_decision_maker_known(self):
        """SQL: the lead's customer company has a known decision maker."""
        return SQL(
            """EXISTS (SELECT 1 FROM res_partner contact
                         JOIN res_partner maker
                           ON maker.commercial_partner_id
                                  = contact.commercial_partner_id
                          AND maker.prospect_contact_role = 'decision_maker'
                          AND maker.active
                        WHERE contact.id = lead.partner_id)"""
        )

    def _search_prospect_decision_maker_id(self, operator, value):
        if operator not in ("=", "!=") or value is not False:
            raise NotImplementedError(operator)
        known = self._prospect_decision_maker_known()
        return self._prospect_domain(
            known if operator == "!=" else SQL("NOT %s", known)
        )

    def _search_prospect_needs_decision_maker(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise NotImplementedError(operator)
        needs = rules.needs_decision_maker(self._prospect_decision_maker_known())
        positive = (operator == "=") == value
        return self._prospect_domain(needs if positive else SQL("NOT %s", needs))

    @api.depends("prospect_enrollment_ids")
    def _compute_prospect_enrollment_count(self):
        counts = dict(
            self.env["prospect.sequence.enrollment"]._read_group(
                [("lead_id", "in", self.ids)], ["lead_id"], ["__count"]
            )
        )
        for lead in self:
            lead.prospect_enrollment_count = counts.get(lead, 0)

    @api.depends(
        "abandon_recommended",
        "unanswered_touches",
        "date_first_unanswered",
        "development_cost",
        "expected_revenue",
        "probability",
    )
    def _compute_abandon_advice(self):
        """Which rule of the abandonment advice holds, in words."""
        settings = self.env["prospect.settings"]._get()
        today = self.env["prospect.engine"]._today()
        rows = self._prospect_evaluate(
            [
                "unanswered_touches",
                "date_first_unanswered",
                "development_cost",
                "expected_revenue",
                "probability",
            ],
            silence=rules.abandon_for_silence(
                SQL("lead.unanswered_touches"),
                SQL("lead.date_first_unanswered"),
                today,
                settings,
            ),
            costly=rules.abandon_for_cost(
                SQL("lead.development_cost"), rules.expected_value(), settings
            ),
            expected_value=rules.expected_value(),
        )
        for lead, row in zip(self, rows, strict=True):
            reasons = []
            if lead.abandon_recommended and row["silence"]:
                reasons.append(
                    self.env._(
                        "%(touches)s touches without answer since %(date)s",
                        touches=lead.unanswered_touches,
                        date=lead.date_first_unanswered,
                    )
                )
            if lead.abandon_recommended and row["costly"]:
                cost = f"{lead.development_cost:,.0f}"
                value = f"{row['expected_value']:,.0f}"
                reasons.append(
                    self.env._(
                        "development cost %(cost)s above the expected value %(value)s",
                        cost=cost,
                        value=value,
                    )
                )
            lead.abandon_advice = "; ".join(reasons)

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_prospect_engine_values(vals, creating=True)
            # a customer's recommendation: a prospect from the start
            if vals.get("prospect_referrer_id") and not vals.get("pyramid_tier"):
                vals["pyramid_tier"] = "prospect"
        return super().create(vals_list)

    def write(self, vals):
        self._check_prospect_engine_values(vals)
        self._prospect_track_prepare_written(vals)
        written = set(RULE_INPUTS.intersection(vals))
        if not written:
            return super().write(vals)
        # the day's rules, looked up once for the whole save
        program = self._prospect_live_program()
        if "stage_id" in written and self._prospect_same_kind_of_stage(
            vals["stage_id"], program.won_ids
        ):
            # from an open stage to another, or a won one to another: the rules
            # only read whether the stage is won
            written.discard("stage_id")
            if not written:
                return super().write(vals)
        result = super().write(vals)
        self._prospect_apply_rules(written, program)
        if "active" in written or "stage_id" in written:
            self._prospect_stop_closed_sequences(program)
        return result

    def _prospect_same_kind_of_stage(self, stage_id, won_ids):
        """Whether the stage ``stage_id`` is won exactly when these leads' stages
        are (``won_ids``: the won stages)."""
        won = stage_id in won_ids
        return all((lead.stage_id.id in won_ids) == won for lead in self)

    def _prospect_apply_rules(self, written, program):
        """Evaluate again, over these saved leads, the live rules (``program``)
        whose inputs were ``written`` (``RULE_OUTPUT_INPUTS``), and set what moved
        the way a compute sets its fields (no business logic; the grade's move is
        tracked). A grade moved by the user's change goes to the lead's history."""
        moved, grade_moves = self._prospect_rule_moves(written, program)
        for (name, value), ids in moved.items():
            leads = self.browse(ids)
            with self.env.protecting([self._fields[name]], leads):
                leads[name] = value if value is not None else False
            leads.modified([name])
        if grade_moves:
            self._record_grade_moves(grade_moves)

    def _prospect_rule_moves(self, written, program, known=None):
        """What the live rules (``program``) whose inputs were ``written`` move on
        these leads: ``{(field name, value or None): lead ids}``, a field not read
        yet counting as moved, and the grades' moves ``[(lead, old, new)]``.
        ``known``: input values the leads do not hold yet ``{name: value}``."""
        readers, outputs, _won_ids = program
        wanted = {
            output
            for output, inputs in RULE_OUTPUT_INPUTS.items()
            if not inputs.isdisjoint(written)
        }
        cache = self.env.cache
        moved = defaultdict(list)  # {(field name, new value): lead ids}
        grade_moves = []
        for lead in self:
            values = LazyValues(lead, readers)
            if known:
                values.update(known)
            todo = wanted
            for output, name in RULE_OUTPUTS.items():
                if output not in todo:
                    continue
                value = outputs[output].evaluate(values)
                if output != "grade" and not cache.contains(lead, self._fields[name]):
                    # not read yet: set it, the row's update writes it if it moved
                    moved[name, value].append(lead.id)
                    continue
                old = lead[name]
                if value == (None if old is False else old):
                    continue
                moved[name, value].append(lead.id)
                if output == "grade":
                    # the contact interval follows the grade
                    todo = todo | {"next_date", "urgency"}
                    if old:
                        grade_moves.append((lead, old, value))
        return moved, grade_moves

    def unlink(self):
        # the nightly rescoring takes them out of their customers' sums
        self.env["prospect.rescore.engine"]._mark_dirty(self.ids)
        return super().unlink()

    def _update_automated_probabilities(self):
        # probabilities written by SQL, without write_date: a full pass reads them
        self.env["prospect.rescore.engine"]._request_full_pass()
        return super()._update_automated_probabilities()

    def _check_prospect_engine_values(self, vals, creating=False):
        """Tier, revenue, score and advice come from the rescoring engine only: the
        engine's columns that no compute and no message move."""
        if not ENGINE_COLUMNS.keys() & vals.keys() or self.env.su:
            return
        if self.env.user.has_group("base.group_system"):
            return
        forced = []
        for name in ENGINE_COLUMNS:
            field = self._fields[name]
            if name not in vals or field.compute or name == "last_contact_date":
                continue
            default = field.default(self) if field.default else False
            if not (creating and (vals[name] or default) == default):
                forced.append(name)
        if forced:
            labels = ", ".join(
                self._fields[name].get_description(self.env)["string"]
                for name in forced
            )
            raise AccessError(
                self.env._(
                    "%(fields)s are computed by the prospect rescoring and cannot be "
                    "set by hand.",
                    fields=labels,
                )
            )

    # ------------------------------------------------------------
    # RULES
    # ------------------------------------------------------------

    @api.model
    @tools.ormcache("today", "day")
    def _prospect_rules_program(self, today, day):
        """The live rules, built once a day and whenever the settings, the cadence
        rules or the won stages change (they clear this cache): a ``RulesProgram``.
        ``day``: the day in UTC, as leads' creation dates."""
        settings = self.env["prospect.settings"]._get()
        won_ids = self.env["crm.stage"]._prospect_get_won_ids()
        matrix = self.env["prospect.cadence.rule"]._get_matrix()
        graded = column("graded", "grade")
        interval = case(
            *(
                (equal(graded, value), column("lead", f"interval_{value}"))
                for value, _label in PROSPECT_GRADES
            )
        )
        grade = rules.grade(today, settings)
        next_date = rules.next_contact_date(
            rules.is_open(),
            column("lead", "last_contact_date"),
            coalesce(column("lead", "created"), day),
            interval,
            column("lead", "next_contact_planned"),
        )

        def is_won(lead, values):
            stage = lead.stage_id
            return stage._origin.id in won_ids if stage._origin else stage.is_won

        def interval_reader(grade_value):
            def read(lead, values):
                key = (
                    lead.pyramid_tier,
                    grade_value,
                    bool(lead.key_account_colour),
                    lead.prospect_potential_key,
                )
                return matrix.get(key, (None,))[0]

            return read

        readers = {
            "is_won": is_won,
            # a closed lead keeps its saved grade: read it, not a new one
            "prospect_grade": lambda lead, values: lead._origin.prospect_grade or None,
            "probability": lost_probability,
            "created": lambda lead, values: (
                lead.create_date.date() if lead.create_date else None
            ),
            "grade": lambda lead, values: grade.evaluate(values),
            "next_date": lambda lead, values: next_date.evaluate(values),
            **{
                f"interval_{value}": interval_reader(value)
                for value, _label in PROSPECT_GRADES
            },
        }
        planned = column("planned", "next_date")
        outputs = {
            "grade": graded,
            "next_date": planned,
            "urgency": rules.urgency(planned, today),
            "cost": rules.development_cost(
                column("lead", "development_cost_logged"),
                column("lead", "touch_count"),
                settings,
            ),
        }
        return RulesProgram(readers, outputs, won_ids)

    def _prospect_live_program(self):
        """``_prospect_rules_program`` of now, looked up in its cache directly (as
        ``ir.model.data`` fills its own): every save of a lead asks for it, and the
        decorator's binding of the arguments costs as much as the lookup itself."""
        engine = self.env["prospect.engine"]
        now = engine._now()
        today = engine._today(now)
        program = self._prospect_rules_program
        cache = getattr(program, "__cache__", None)
        if cache is None:  # overridden without a cache
            return program(today, now.date())
        # read without the LRU's lock, a dict read being atomic; a miss (or an
        # entry evicted meanwhile) goes through the lookup, which fills it
        lru, key, _counter = cache.lru(self)
        found = lru.d.get((*key, today, now.date()))
        return (
            found if found is not None else cache.lookup(None, self, today, now.date())
        )

    def _prospect_rule_values(self, inputs, program=None):
        """What the rules read of each of these leads, in order: whether its stage
        is won (``is_won``) and the fields ``inputs`` (``None`` when empty).
        ``program``: the live rules, when the caller has them already."""
        readers = (program or self._prospect_live_program()).readers
        # the fields as they are (the probability too, active or not)
        readers = {name: readers[name] for name in ("is_won", "prospect_grade")}
        for lead in self:
            values = LazyValues(lead, readers)
            yield {name: values[name] for name in ("is_won", *inputs)}

    def _prospect_evaluate(self, inputs, extra=None, steps=(), **expressions):
        """Evaluate rule expressions of ``rules`` over the current values of these
        leads (saved or not), the way the nightly SQL evaluates them over the table:
        one row ``{name: value}`` per lead, in order.

        ``inputs`` are the fields the expressions read (``lead.<field>``; the stage
        is ``stage.is_won``); ``extra`` adds columns ``{name: (sql type, values)}``;
        ``steps``, intermediate results ``[(alias, {name: expression})]`` that the
        expressions (and the later steps) read as ``<alias>.<name>``: a value used
        several times is evaluated once, and the query stays short to plan."""
        if not self:
            return []
        extra = extra or {}
        types = [
            ("is_won", "boolean"),
            *((name, self._PROSPECT_RULE_INPUTS[name]) for name in inputs),
            *((name, sql_type) for name, (sql_type, _values) in extra.items()),
        ]
        # the types are our own constants: the row's code holds no value
        row = "(" + ", ".join(f"%s::{sql_type}" for _name, sql_type in types) + ")"
        rows = [
            SQL(
                row,
                *values.values(),
                *(given[index] for _type, given in extra.values()),
            )
            for index, values in enumerate(self._prospect_rule_values(inputs))
        ]
        names = list(expressions)
        self.env.cr.execute(
            SQL(
                """
                SELECT %(expressions)s
                  FROM (VALUES %(rows)s) AS lead(%(columns)s)
                 CROSS JOIN LATERAL (SELECT lead.is_won) AS stage
                 %(steps)s
                """,
                expressions=SQL(", ").join(expressions[name] for name in names),
                rows=SQL(", ").join(rows),
                columns=SQL(", ").join(SQL.identifier(name) for name, _t in types),
                steps=SQL(" ").join(
                    SQL(
                        "CROSS JOIN LATERAL (SELECT %s) AS %s",
                        SQL(", ").join(
                            SQL("%s AS %s", expression, SQL.identifier(name))
                            for name, expression in step.items()
                        ),
                        SQL.identifier(alias),
                    )
                    for alias, step in steps
                ),
            )
        )
        return [dict(zip(names, row, strict=True)) for row in self.env.cr.fetchall()]

    def _prospect_filter(self, rule, inputs=()):
        """These leads for which ``rule`` (an expression of ``rules``) holds;
        ``inputs``: the fields it reads besides the state of the lead."""
        rows = self._prospect_evaluate(
            ["active", *inputs],
            extra={
                "probability": ("float8", [lost_probability(lead) for lead in self])
            },
            holds=rule,
        )
        return self.browse(
            lead.id for lead, row in zip(self, rows, strict=True) if row["holds"]
        )

    @api.model
    def _prospect_domain(self, rule):
        """Domain of the leads for which ``rule`` (an expression of ``rules``)
        holds."""
        return [
            (
                "id",
                "in",
                SQL(
                    """(SELECT lead.id FROM crm_lead lead
                        LEFT JOIN crm_stage stage ON stage.id = lead.stage_id
                        WHERE %s)""",
                    rule,
                ),
            )
        ]

    def message_post(self, **kwargs):
        self._prospect_fetch_with_cadence()
        return super().message_post(**kwargs)

    def _prospect_fetch_with_cadence(self):
        """A message may be a contact, whose next date reads the cadence's inputs
        (prefetch group ``prospect_cadence``): read them with the lead's own fields,
        in the query mail makes for its name (as the superuser), not in a query of
        their own. A lead already read is left as it is."""
        leads = self.sudo()
        if not any(self.env.cache.get_missing_ids(leads, self._fields["name"])):
            return
        leads.fetch(self._prospect_fields_with_cadence)

    @lazy_classproperty
    def _prospect_fields_with_cadence(cls):
        """The lead's own fields (prefetched together) and the cadence's inputs."""
        return [
            name
            for name, field in cls._fields.items()
            if field.prefetch is True or field.prefetch == "prospect_cadence"
        ]

    def _message_post_after_hook(self, message, msg_vals):
        """A touch or an answer is a contact: the cadence restarts from today. An
        automatic reply is neither (``mail.message.prospect_auto_reply``)."""
        result = super()._message_post_after_hook(message, msg_vals)
        if message.message_type == "email" and not message.prospect_auto_reply:
            answered = self.filtered(
                lambda lead: lead._prospect_is_from_prospect(message)
            )
            answered._prospect_register_reply(message)
        self._prospect_record_message_event(message)
        if self.env.context.get("prospect_no_contact"):
            return result
        if self._prospect_is_contact(message):
            # the author may be the prospect, who cannot write the lead
            self.sudo()._prospect_register_contact(self.env["prospect.engine"]._today())
        return result

    def _prospect_register_contact(self, day):
        """A contact on ``day``: the last contact date of these leads, and the next
        contact and urgency the live rules derive from it, saved at once as the
        message's bookkeeping: no save of the lead (no business logic, nothing
        tracked), but a new write date, which the night reads. One statement, the
        cache left as a flush would leave it: a flush of the lead through the ORM
        cost a message more than all the rest of the add-on (``bench_overhead``)."""
        leads = self.filtered(lambda lead: (lead.last_contact_date or date.min) < day)
        if not leads:
            return
        known = {"last_contact_date": day}
        moved, _grade_moves = leads._prospect_rule_moves(
            set(known), self._prospect_live_program(), known
        )
        changes = {lead_id: dict(known) for lead_id in leads.ids}
        for (name, value), ids in moved.items():
            for lead_id in ids:
                changes[lead_id][name] = value
        leads._prospect_save_as_computed(changes)

    def _prospect_save_as_computed(self, changes):
        """Save ``changes`` ``{lead id: {field name: value or None}}`` of stored
        fields of these leads that no save moves (rule outputs, bookkeeping) the way
        a flush of computed fields does: their columns and the write date, the
        cache updated, what depends on them invalidated, nothing tracked."""
        names = {name for values in changes.values() for name in values}
        self.flush_recordset([*names, "write_date", "write_uid"])
        groups = defaultdict(list)  # {((name, value), ...): lead ids}
        for lead_id, values in changes.items():
            groups[tuple(sorted(values.items()))].append(lead_id)
        now = self.env.cr.now()
        for items, ids in groups.items():
            assignments = [
                SQL("%s = %s", SQL.identifier(name), value) for name, value in items
            ]
            self.env.cr.execute(
                SQL(
                    "UPDATE crm_lead SET %s, write_uid = %s, write_date = %s "
                    "WHERE id IN %s",
                    SQL(", ").join(assignments),
                    self.env.uid,
                    now,
                    tuple(ids),
                )
            )
            leads = self.browse(ids)
            for name, value in (
                *items,
                ("write_uid", self.env.uid),
                ("write_date", now),
            ):
                field = self._fields[name]
                self.env.cache.update(
                    leads, field, [field.convert_to_cache(value, leads)] * len(ids)
                )
        fields_ = [self._fields[name] for name in names]
        with self.env.protecting(fields_, self):
            self.modified(names)

    def _prospect_record_message_event(self, message):
        """A reply of the prospect or an activity done is an engagement event (the
        rules of ``_get_event_sources`` of the nightly run, which catches up what
        did not come through here). A call logged with its outcome is recorded as
        that outcome instead (context ``prospect_call_outcome``)."""
        event_type = False
        if message.prospect_auto_reply:
            return
        if message.mail_activity_type_id:
            if not self.env.context.get("prospect_call_outcome"):
                event_type = "activity_done"
        elif message.message_type == "email":
            staff = message.author_id.user_ids.filtered(lambda user: not user.share)
            event_type = not staff and "reply"
        if event_type:
            self.env["prospect.engagement.event"]._record(
                [
                    {
                        "lead_id": lead.id,
                        "event_type": event_type,
                        "date": message.date,
                        "res_model": "mail.message",
                        "res_id": message.id,
                        "description": message.subject or False,
                        "dedup_key": f"mail.message,{message.id},{event_type}",
                    }
                    for lead in self
                ]
            )

    def _prospect_is_contact(self, message):
        """Activity done, mail from the prospect (not an automatic reply), or
        message to the followers."""
        if message.prospect_auto_reply:
            return False
        if message.mail_activity_type_id:
            return True
        if message.message_type == "email":
            return not self._prospect_is_staff(message.author_id)
        comment = self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_comment")
        return (
            message.message_type in ("comment", "email_outgoing")
            and message.subtype_id.id == comment
            and self._prospect_is_staff(message.author_id)
        )

    def _prospect_is_staff(self, partner):
        """``partner`` is an active internal user (the current user, mostly: known
        without a query)."""
        user = self.env.user
        if partner == user.partner_id and user.active and not user.share:
            return True
        return bool(partner.user_ids.filtered(lambda user: not user.share))

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_prospect_abandon(self):
        """Open the abandonment wizard: managers confirm, salespeople ask them."""
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Abandon Prospects"),
            "res_model": "prospect.abandon.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_lead_ids": self.ids},
        }

    def action_view_prospect_events(self):
        """ "Why this score": the lead's signals, newest first, with what each
        still adds to the score today."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "prospect_development.action_prospect_engagement_event_lead"
        )
        action["domain"] = [("lead_id", "=", self.id)]
        action["display_name"] = self.env._(
            "Why this score: %(score)s", score=self.engagement_score
        )
        return action

    def action_prospect_recycle(self):
        """Bring abandoned leads back, as suspects to develop anew."""
        if not self.env.user.has_group("sales_team.group_sale_manager"):
            raise AccessError(
                self.env._("Only Sales managers may recycle abandoned prospects.")
            )
        abandoned = self.filtered("date_abandoned")
        abandoned.write(
            {
                "active": True,
                "lost_reason_id": False,
                "abandon_reason": False,
                "date_abandoned": False,
                "need_status": False,
            }
        )
        abandoned.sudo().write({"pyramid_tier": "suspect", "last_contact_date": False})
        for lead in abandoned:
            lead.message_post(body=self.env._("Recycled: developed anew as a suspect."))
        return True

    def action_prospect_log_outcome(self):
        """Open the call outcome form on this lead."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Log Call Outcome"),
            "res_model": "prospect.outcome.wizard",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_lead_id": self.id},
        }

    def action_prospect_enroll(self):
        """Open the enrolment wizard on these leads."""
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Enrol in a Sequence"),
            "res_model": "prospect.sequence.enroll.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_lead_ids": self.ids},
        }

    def action_view_prospect_enrollments(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "prospect_development.action_prospect_sequence_enrollment"
        )
        action["domain"] = [("lead_id", "=", self.id)]
        action["context"] = {"default_lead_id": self.id}
        return action

    # ------------------------------------------------------------
    # SEQUENCES
    # ------------------------------------------------------------

    def _prospect_sender(self):
        """Who mails the prospect and gets the sequence's activities: the
        salesperson, else the team leader, else OdooBot."""
        self.ensure_one()
        return self.user_id or self.team_id.user_id or self.env.ref("base.user_root")

    def _prospect_stop_sequences(self, reason):
        """Stop the running direct-mail and feedback sequences of these leads."""
        if not self:
            return self.env["prospect.sequence.enrollment"]
        # bookkeeping of an event the user (or the prospect) caused on these leads
        return (
            self.env["prospect.sequence.enrollment"]
            .sudo()
            .search([("lead_id", "in", self.ids), ("state", "=", "running")])
            ._stop(reason)
        )

    def _prospect_stop_closed_sequences(self, program=None):
        """Won or archived (lost, abandoned) leads are mailed no more. ``program``:
        the live rules, when the caller has them already."""
        is_won, is_open = CLOSING_RULES
        closed = {
            lead.id: is_won.evaluate(values)
            for lead, values in zip(
                self, self._prospect_rule_values(["active"], program), strict=True
            )
            if lead.id and not is_open.evaluate(values)
        }
        if not closed:
            return
        # bookkeeping of the closing the user just recorded; most leads are in none
        Enrollment = self.env["prospect.sequence.enrollment"].sudo()
        Enrollment.flush_model(["lead_id", "state"])
        self.env.cr.execute(
            SQL(
                """SELECT id FROM prospect_sequence_enrollment
                    WHERE lead_id = ANY(%s) AND state = 'running'""",
                list(closed),
            )
        )
        running = Enrollment.browse(row[0] for row in self.env.cr.fetchall())
        if not running:
            return
        won = running.filtered(lambda enrollment: closed[enrollment.lead_id.id])
        abandoned = (running - won).filtered("lead_id.date_abandoned")
        won._stop("won")
        abandoned._stop("abandoned")
        (running - won - abandoned)._stop("lost")

    def _prospect_is_from_prospect(self, message):
        """The message comes from the prospect or someone of the prospect's company."""
        self.ensure_one()
        if message.author_id.user_ids.filtered(lambda user: not user.share):
            return False
        sender = (
            email_normalize(message.email_from or "")
            or message.author_id.email_normalized
        )
        prospect_emails = {
            email
            for email in (self.email_normalized, self.partner_id.email_normalized)
            if email
        }
        if sender and sender in prospect_emails:
            return True
        company = self.partner_id.commercial_partner_id
        if company and message.author_id.commercial_partner_id == company:
            return True
        domain = email_domain_extract(sender or "")
        return bool(
            domain
            and domain not in rules.PUBLIC_MAIL_DOMAINS
            and domain in {email_domain_extract(email) for email in prospect_emails}
        )

    def _prospect_register_reply(self, message):
        """A reply stops the running sequence and counts for the mailing it
        answers."""
        cards = (
            self.env["prospect.feedback.card"]
            .sudo()
            .search(
                [
                    ("lead_id", "in", self.ids),
                    ("date_replied", "=", False),
                    ("date_sent", "<=", message.date),
                ],
                order="date_sent desc, id desc",
            )
        )
        latest = {}
        for card in cards:
            latest.setdefault(card.enrollment_id, card)
        for card in latest.values():
            card.date_replied = message.date
        self._prospect_stop_sequences("reply")

    def _message_receive_bounce(self, email, partner):
        """A bounce stops the sequence and counts for the last mailing."""
        result = super()._message_receive_bounce(email, partner)
        cards = (
            self.env["prospect.feedback.card"]
            .sudo()
            .search([("lead_id", "in", self.ids)], order="date_sent desc, id desc")
        )
        latest = {}
        for card in cards:
            latest.setdefault(card.lead_id, card)
        for card in latest.values():
            card.bounced = True
        self._prospect_stop_sequences("bounce")
        return result

    # ------------------------------------------------------------
    # SIGNALS
    # ------------------------------------------------------------

    def _merge_dependences(self, opportunities):
        """Merged leads' signals follow them into the lead kept, with its score."""
        result = super()._merge_dependences(opportunities)
        events = (
            self.env["prospect.engagement.event"]
            .sudo()
            .search([("lead_id", "in", (opportunities - self).ids)])
        )
        if events:
            events.write({"lead_id": self.id})
            self._prospect_update_score()
        return result

    def _prospect_apply_events(self, events):
        """What new ``events`` change on these leads at once: the score, the
        hand-off to sales, the interest alert."""
        recent = self._prospect_update_score()
        self._prospect_alert_interest(events, recent)

    def _prospect_update_score(self):
        """The engagement score of these leads from their events, by the rule the
        nightly run applies; leads reaching the threshold go to sales. Returns, in
        the same read, the prospect's signals of each lead within the window of the
        interest alert: ``{lead id: count}``."""
        settings = self.env["prospect.settings"]._get()
        self.env["prospect.engagement.event"].flush_model()
        since = self.env["prospect.engine"]._now() - timedelta(
            hours=settings["burst_hours"]
        )
        self.env.cr.execute(
            SQL(
                """
                SELECT event.lead_id, %(score)s,
                       COUNT(*) FILTER (WHERE event.event_type = ANY(%(signals)s)
                                          AND event.date >= %(since)s)
                  FROM prospect_engagement_event event
                 WHERE event.lead_id = ANY(%(ids)s)
                 GROUP BY event.lead_id
                """,
                signals=list(rules.PROSPECT_SIGNALS),
                since=since,
                score=rules.score_of_events(
                    self.env["prospect.engine"]._score_day(), settings
                ),
                ids=list(self.ids),
            )
        )
        rows = self.env.cr.fetchall()
        scores = {lead_id: score for lead_id, score, _recent in rows}
        recent = {lead_id: count for lead_id, _score, count in rows}
        # the engine's column, moved by a signal (maybe the prospect's own): one
        # statement for the leads it moved; write_date moves too, so that a
        # nightly batch prepared before the signal leaves them alone
        leads = self.sudo()
        moved = [
            (lead.id, scores.get(lead.id, 0))
            for lead in leads
            if lead.engagement_score != scores.get(lead.id, 0)
        ]
        if moved:
            leads.flush_recordset(["engagement_score"])
            self.env.cr.execute(
                SQL(
                    """
                    UPDATE crm_lead lead
                       SET engagement_score = moved.score,
                           write_date = NOW() AT TIME ZONE 'UTC', write_uid = %s
                      FROM (VALUES %s) AS moved(id, score)
                     WHERE lead.id = moved.id
                    """,
                    self.env.uid,
                    SQL(", ").join(SQL("(%s, %s)", *row) for row in moved),
                )
            )
            leads.browse(lead_id for lead_id, _score in moved).invalidate_recordset(
                ["engagement_score", "write_date", "write_uid"]
            )
        over = leads.filtered(
            lambda lead: lead.engagement_score >= settings["score_threshold"]
        )
        ready = over.filtered(lambda lead: not lead.date_sales_ready)
        ready = ready._prospect_filter(rules.is_open())
        if ready:
            ready.date_sales_ready = self.env["prospect.engine"]._today()
            ready._prospect_hand_to_sales()
        # back over the threshold after falling under it: out of nurturing again
        (over - ready)._prospect_stop_nurture()
        return recent

    def _prospect_hand_to_sales(self):
        """These leads just reached the sales-ready score: a to-do for their
        salesperson (or team leader), and out of nurturing."""
        self._prospect_schedule_todo(
            lambda lead: lead.user_id or lead.team_id.user_id,
            lambda lead: lead.env._(
                "Sales-ready: engagement score %(score)s",
                score=lead.engagement_score,
            ),
        )
        self._prospect_stop_nurture()

    def _prospect_schedule_todo(self, owner_of, summary_of, note_of=None):
        """A to-do due today on each of these leads for ``owner_of(lead)`` (none
        without an owner), its summary ``summary_of(lead)`` written in the owner's
        language. The night's and the signals' to-dos: automated, in the activity
        menu, without an "assigned to you" mail each, whoever triggered them."""
        model_id = self.env["ir.model"]._get_id("crm.lead")
        todo = self.env.ref("mail.mail_activity_data_todo")
        today = self.env["prospect.engine"]._today()
        values = []
        for lead in self:
            owner = owner_of(lead)
            if not owner:
                continue
            lead = lead.with_context(lang=owner.lang)
            values.append(
                {
                    "res_model_id": model_id,
                    "res_id": lead.id,
                    "activity_type_id": todo.id,
                    "automated": True,
                    "user_id": owner.id,
                    "summary": summary_of(lead),
                    "note": note_of(lead) if note_of else False,
                    "date_deadline": today,
                }
            )
        self.env["mail.activity"].sudo().with_context(
            mail_activity_quick_update=True
        ).create(values)

    def _prospect_stop_nurture(self):
        """The nurturing is over: the salesperson takes these leads from here."""
        if self:
            self.env["prospect.sequence.enrollment"].sudo().search(
                [
                    ("lead_id", "in", self.ids),
                    ("state", "=", "running"),
                    ("sequence_id.is_nurture", "=", True),
                ]
            )._stop("sales_ready")

    def _prospect_alert_interest(self, events, recent):
        """Alert the salesperson at once of a burst of interest: at least
        ``burst_events`` signals of the prospect within ``burst_hours`` (``recent``:
        ``{lead id: count}``), or one hot signal (a hot page); once per burst."""
        settings = self.env["prospect.settings"]._get()
        now = self.env["prospect.engine"]._now()
        since = now - timedelta(hours=settings["burst_hours"])
        signals = events.filtered(
            lambda event: event.event_type in rules.PROSPECT_SIGNALS or event.is_hot
        )
        # alerted within the window already: no second alert (most signals)
        leads = signals.lead_id.filtered(
            lambda lead: (lead.date_interest_alert or since) <= since
        )
        if not leads:
            return
        hot = signals.filtered("is_hot").lead_id
        threshold = settings["burst_events"]
        bursting = leads.filtered(
            lambda lead: lead in hot or recent.get(lead.id, 0) >= threshold
        )
        for lead in bursting.sudo()._prospect_filter(rules.is_open()):
            lead._prospect_send_interest_alert(
                recent.get(lead.id, 0),
                signals.filtered(lambda event, lead=lead: event.lead_id == lead),
            )

    def _prospect_send_interest_alert(self, count, events):
        """An activity and a Discuss notification for the salesperson."""
        self.ensure_one()
        self.date_interest_alert = self.env["prospect.engine"]._now()
        owner = self.user_id or self.team_id.user_id
        if not owner:
            return
        hot = events.filtered("is_hot")[:1]
        # OdooBot tells: the signal may come from the prospect on a public page
        lead = self.with_user(SUPERUSER_ID).with_context(lang=owner.lang)
        if hot:
            summary = lead.env._(
                "Hot interest: %(what)s", what=hot.description or hot.event_type
            )
        else:
            summary = lead.env._(
                "Showing interest now: %(count)s signals within %(hours)s hours",
                count=count,
                hours=self.env["prospect.settings"]._get()["burst_hours"],
            )
        lead.activity_schedule(
            "mail.mail_activity_data_call",
            date_deadline=self.env["prospect.engine"]._today(),
            user_id=owner.id,
            summary=summary,
        )
        lead.message_post(
            body=summary,
            partner_ids=owner.partner_id.ids,
            subtype_xmlid="mail.mt_note",
        )

    # ------------------------------------------------------------
    # KEY ACCOUNTS
    # ------------------------------------------------------------

    def _prospect_owner(self):
        self.ensure_one()
        return self.user_id or self.team_id.user_id

    def action_prospect_plan_visit(self):
        """Plan a visit to the customer: a meeting activity for the salesperson
        (the user without one) in two days, to adjust from the chatter."""
        self.ensure_one()
        self.activity_schedule(
            "mail.mail_activity_data_meeting",
            date_deadline=self.env["prospect.engine"]._today() + timedelta(days=2),
            summary=self.env._(
                "Visit %(customer)s",
                customer=self.partner_id.commercial_partner_id.display_name
                or self.name,
            ),
            user_id=(self.user_id or self.env.user).id,
        )
        return True

    def _prospect_warn_at_risk(self):
        """One to-do per risk episode for the salesperson (or the team leader) of
        these leads, one lead per customer."""
        self._prospect_schedule_todo(
            lambda lead: lead._prospect_owner(),
            lambda lead: lead.env._(
                "Key account at risk: %(customer)s",
                customer=lead.partner_id.commercial_partner_id.display_name,
            ),
            lambda lead: lead.prospect_at_risk_reason,
        )

    def _prospect_propose_key_account(self):
        """Their team leader (or the salesperson) decides a key-account colour and
        a development plan for a potential key customer; once per customer."""
        self._prospect_schedule_todo(
            lambda lead: lead.team_id.user_id or lead.user_id,
            lambda lead: lead.env._(
                "Potential key customer: decide a key-account colour and a "
                "development plan"
            ),
            lambda lead: lead.prospect_potential_key_reason,
        )

    def action_set_lost(self, **additional_values):
        """A watched customer that loses a deal to a competitor is at risk at once,
        not the next night."""
        result = super().action_set_lost(**additional_values)
        competitor_ids = self.env["crm.lost.reason"]._prospect_get_competitor_ids()
        lost = self.filtered(
            lambda lead: lead.lost_reason_id.id in competitor_ids and lead.partner_id
        )
        if lost:
            lost._prospect_flag_lost_to_competitor()
        return result

    @api.model
    def _prospect_account_leads_query(self, customers):
        """SQL: the lead that stands for each customer of ``customers`` (a query
        of ``company_key, commercial_id``), by ``rules.account_lead_first``:
        ``company_key, commercial_id, lead_id``."""
        return SQL(
            """
            SELECT DISTINCT ON (customer.company_key, customer.commercial_id)
                   customer.company_key, customer.commercial_id, lead.id AS lead_id
              FROM (%(customers)s) customer
              JOIN res_partner partner
                ON partner.commercial_partner_id = customer.commercial_id
              JOIN crm_lead lead
                ON lead.partner_id = partner.id AND lead.active
               AND COALESCE(lead.company_id, 0) = customer.company_key
              LEFT JOIN crm_stage stage ON stage.id = lead.stage_id
             ORDER BY customer.company_key, customer.commercial_id, %(first)s
            """,
            customers=customers,
            first=rules.account_lead_first(),
        )

    def _prospect_flag_lost_to_competitor(self):
        """The night's risk rule on the customers of these lost leads, today."""
        today = self.env["prospect.engine"]._today()
        # the customer's risk is bookkeeping of the loss the user just recorded
        Lead = self.env["crm.lead"].sudo().with_context(active_test=False)
        for company, commercial in {
            (lead.company_id, lead.partner_id.commercial_partner_id) for lead in self
        }:
            leads = Lead.search(
                [
                    ("partner_id.commercial_partner_id", "=", commercial.id),
                    ("company_id", "=", company.id),
                ],
                order="id desc",
            )
            current = leads[:1]
            is_key = bool(
                leads._prospect_filter(rules.key_account(), ["key_account_colour"])
            )
            row = current._prospect_evaluate(
                ["prospect_last_purchase", "pyramid_tier"],
                extra={
                    "is_key": ("boolean", [is_key]),
                    "lost_day": ("date", [today]),
                    "since": ("date", [current.prospect_at_risk_since or None]),
                },
                at_risk=rules.at_risk(
                    rules.watched_customer(
                        SQL("lead.pyramid_tier"), SQL("lead.is_key")
                    ),
                    rules.slipping_to_competitor(
                        SQL("lead.lost_day"), SQL("lead.prospect_last_purchase")
                    ),
                    SQL("lead.since"),
                    SQL("lead.prospect_last_purchase"),
                ),
            )[0]
            if not row["at_risk"] or current.prospect_at_risk:
                leads.prospect_lost_to_competitor = today
                continue
            leads.write(
                {
                    "prospect_at_risk": True,
                    "prospect_at_risk_since": today,
                    "prospect_lost_to_competitor": today,
                }
            )
            self.env.cr.execute(
                self._prospect_account_leads_query(
                    SQL(
                        "SELECT %s AS company_key, %s AS commercial_id",
                        company.id or 0,
                        commercial.id,
                    )
                )
            )
            account_lead = Lead.browse(row[2] for row in self.env.cr.fetchall())
            account_lead.prospect_account_lead = True
            (account_lead or leads[:1])._prospect_warn_at_risk()

    # ------------------------------------------------------------
    # RESCORING
    # ------------------------------------------------------------

    @api.model
    def _cron_prospect_cadence(self):
        self.env["prospect.cadence.engine"]._run()

    @api.model
    def _cron_prospect_rescore(self):
        self._action_prospect_rescore()

    @api.model
    def _action_prospect_rescore(self):
        """Tiers, revenue, grades, contact dates, urgency, score and abandonment
        advice of every lead of every company. Returns the number of leads written."""
        return self.env["prospect.rescore.engine"]._run()

    @api.model
    def action_prospect_rescore_now(self):
        """Sales managers' "Rescore now": the nightly rescoring is scheduled at once
        (with the saved settings) and runs in the background, not in the request."""
        if not self.env.user.has_group("sales_team.group_sale_manager"):
            raise AccessError(
                self.env._("Only Sales managers may rescore the prospects.")
            )
        # scheduling a run of the job, not reading or changing anyone's data
        self.env.ref("prospect_development.ir_cron_prospect_rescore").sudo()._trigger()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "message": self.env._(
                    "The rescoring is scheduled: tiers, grades and advice will be "
                    "up to date within a few minutes."
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def _record_grade_moves(self, moves):
        """History of the grades a user's change moved (need, closing date):
        ``moves`` are ``(lead, old grade, new grade)``."""
        today = self.env["prospect.engine"]._today()
        # bookkeeping of the change the user just made, not data shown to them
        self.env["prospect.lead.history"].sudo().create(
            [
                {
                    "lead_id": lead.id,
                    "company_id": lead.company_id.id,
                    "user_id": lead.user_id.id,
                    "team_id": lead.team_id.id,
                    "date": today,
                    "kind": "grade",
                    "old_value": old,
                    "new_value": new,
                    "changed_by_id": self.env.uid,
                }
                for lead, old, new in moves
            ]
        )

    def _track_prepare(self, fields_iter):
        """A save (mail's ``write`` prepares all fields) leaves out the add-on's
        tracked fields that only a save of their own moves: ``write`` prepares
        those it saves (``_prospect_track_prepare_written``). The others' values
        before the save are read at every save of a lead, moved or not."""
        if fields_iter is self._fields:
            fields_iter = self._prospect_prepared_by_any_save
        return super()._track_prepare(fields_iter)

    def _prospect_track_prepare_written(self, vals):
        """Prepare the tracking of the add-on's tracked fields saved by ``vals``
        that no compute moves, as mail's ``write`` would have."""
        names = self._prospect_tracked_when_written.intersection(vals)
        context = self.env.context
        if names and not (
            context.get("tracking_disable") or context.get("mail_notrack")
        ):
            self._track_prepare(names)

    def _message_track(self, fields_iter, initial_values_dict):
        """Leave out the add-on's tracked fields that moved on none of these leads:
        mail describes every tracked field it is given (``fields_get``, translated
        labels and selections) on each commit of a save, which cost a save of the
        closing date more than all the rest of the add-on (``bench_overhead``).
        What is tracked is the same: ``_mail_track`` skips unmoved fields."""
        names = set(fields_iter)
        ours = self._prospect_tracked_fields & names
        still = ours - self._prospect_tracked_fields_moved(ours, initial_values_dict)
        return super()._message_track(names - still, initial_values_dict)

    @lazy_classproperty
    def _prospect_tracked_fields(cls):
        """The add-on's tracked fields (as this registry's model has them)."""
        return frozenset(
            name
            for name, field in cls._fields.items()
            if getattr(field, "tracking", None) and field._module == CrmLead._module
        )

    @lazy_classproperty
    def _prospect_tracked_when_written(cls):
        """The add-on's tracked fields that only a save of their own moves: no
        compute sets them (the crons' SQL is not tracked)."""
        return frozenset(
            name
            for name in cls._prospect_tracked_fields
            if not cls._fields[name].compute
        )

    @lazy_classproperty
    def _prospect_prepared_by_any_save(cls):
        """The fields whose tracking any save of a lead prepares."""
        return frozenset(cls._fields) - cls._prospect_tracked_when_written

    def _prospect_tracked_fields_moved(self, names, initial_values_dict):
        """The fields of ``names`` that moved on one of these leads, compared as
        ``_mail_track`` compares them (a lead deleted since counts for nothing)."""
        moved = set()
        for lead in self:
            initial_values = initial_values_dict.get(lead.id) or {}
            try:
                for name in names - moved:
                    if name not in initial_values:
                        continue
                    old, new = initial_values[name], lead[name]
                    if not (new == old or (not new and not old)):
                        moved.add(name)
            except MissingError:
                continue
        return moved

    @api.model
    def fields_get(self, allfields=None, attributes=None):
        """The tier's tooltip quotes the shares of the pyramid actually saved."""
        res = super().fields_get(allfields=allfields, attributes=attributes)
        if "help" in res.get("pyramid_tier", {}):
            shares = self.env["prospect.settings"]._get_tier_shares()
            res["pyramid_tier"]["help"] = self.env._(
                "Place of the customer in the revenue pyramid of this company: super "
                "(top %(super)s%%), large (next %(large)s%%), medium (next "
                "%(medium)s%%) and small (remaining %(small)s%%) customers by revenue "
                "over the lookback window; inactive customers bought before the "
                "window only; prospects never bought but were contacted; suspects "
                "were never contacted; other have no need. Set by the nightly "
                "rescoring.",
                super=shares[0],
                large=shares[1],
                medium=shares[2],
                small=shares[3],
            )
        return res
