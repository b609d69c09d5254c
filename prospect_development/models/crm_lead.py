from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.tools import SQL

from .. import rules

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


class CrmLead(models.Model):
    _inherit = "crm.lead"

    # Written by the rescoring engine only: a salesperson may read them, not set them.
    _PROSPECT_ENGINE_FIELDS = {
        "pyramid_tier": "suspect",
        "pyramid_revenue": 0.0,
        "engagement_score": 0,
        "abandon_recommended": False,
    }

    pyramid_tier = fields.Selection(
        PYRAMID_TIERS,
        default="suspect",
        index=True,
        readonly=True,
        copy=False,
        help="Place of the customer in the revenue pyramid of this company: super "
        "(top 1%), large (next 4%), medium (next 15%) and small (remaining 80%) "
        "customers by revenue over the lookback window; inactive customers bought "
        "before the window only; prospects never bought but were contacted; suspects "
        "were never contacted; other have no need. Set by the nightly rescoring.",
    )
    pyramid_revenue = fields.Monetary(
        string="Pyramid Revenue",
        currency_field="company_currency",
        readonly=True,
        copy=False,
        aggregator="max",
        help="Revenue of the lead's commercial partner over the lookback window, in "
        "the lead's company. It ranks the customer in the pyramid.",
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
        compute="_compute_prospect_grade",
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
        compute="_compute_contact_urgency",
        store=True,
        help="Urgent: next contact within a week; soon: within a month; later: "
        "within three months; slow: beyond.",
    )
    key_account_colour = fields.Selection(
        KEY_ACCOUNT_COLOURS,
        string="Key Account",
        tracking=True,
        help="Red: high direct profit but irregular buying. Black: little profit but "
        "strategic or brand value; keeping one needs a Sales manager's approval. "
        "White: large volume at a squeezed margin. Empty: not a key account.",
    )
    last_contact_date = fields.Date(
        copy=False,
        readonly=True,
        help="Last real touch: an activity done, a mail sent to or received from the "
        "prospect.",
    )
    next_contact_date = fields.Date(
        compute="_compute_next_contact_date",
        store=True,
        help="Last contact (or creation) plus the contact interval of the grade.",
    )
    engagement_score = fields.Integer(
        readonly=True,
        copy=False,
        aggregator="avg",
        help="Behaviour score from 0 to 100: replies, feedback, meetings and "
        "activities done, fading with time. Above the threshold of the settings the "
        "lead is ready for sales.",
    )
    development_cost = fields.Monetary(
        currency_field="company_currency",
        copy=False,
        tracking=True,
        help="What developing this prospect has cost so far; compared with its "
        "expected value to recommend giving up.",
    )
    abandon_recommended = fields.Boolean(
        string="Abandonment Recommended",
        readonly=True,
        copy=False,
        help="Many touches without answer for a long time, or a development cost "
        "above the expected value: consider giving this prospect up.",
    )
    abandon_reason = fields.Text(
        string="Abandonment Reason",
        readonly=True,
        copy=False,
        tracking=True,
    )
    date_abandoned = fields.Date(string="Abandoned On", readonly=True, copy=False)

    _sql_constraints = [
        (
            "engagement_score_range",
            "CHECK(engagement_score BETWEEN 0 AND 100)",
            "The engagement score goes from 0 to 100.",
        ),
        (
            "development_cost_positive",
            "CHECK(development_cost >= 0)",
            "The development cost cannot be negative.",
        ),
    ]

    @api.constrains("key_account_colour")
    def _check_key_account_colour(self):
        if self.env.su or self.env.user.has_group("sales_team.group_sale_manager"):
            return
        if any(lead.key_account_colour == "black" for lead in self):
            raise ValidationError(
                _(
                    "Only a Sales manager may make a lead a black key account: keeping "
                    "a customer that brings little profit is a management decision."
                )
            )

    @api.depends("need_status", "date_deadline", "stage_id", "active", "probability")
    def _compute_prospect_grade(self):
        settings = self._prospect_settings()
        today = fields.Date.context_today(self)
        for lead in self:
            if lead._origin and lead._prospect_is_closed():
                lead.prospect_grade = lead._origin.prospect_grade
                continue
            lead.prospect_grade = rules.prospect_grade(
                lead.need_status,
                lead.date_deadline,
                today,
                settings["grade_a_days"],
                settings["grade_b_days"],
                settings["grade_c_days"],
            )

    @api.depends("next_contact_date")
    def _compute_contact_urgency(self):
        today = fields.Date.context_today(self)
        for lead in self:
            lead.contact_urgency = rules.contact_urgency(lead.next_contact_date, today)

    @api.depends(
        "last_contact_date", "create_date", "prospect_grade", "active", "stage_id"
    )
    def _compute_next_contact_date(self):
        settings = self._prospect_settings()
        for lead in self:
            if lead._prospect_is_closed() or not lead.active:
                lead.next_contact_date = False
                continue
            lead.next_contact_date = rules.next_contact_date(
                lead.last_contact_date,
                rules.as_date(lead.create_date) or fields.Date.context_today(self),
                rules.cadence_days(lead.prospect_grade, settings),
            )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_prospect_engine_values(vals, creating=True)
        return super().create(vals_list)

    def write(self, vals):
        self._check_prospect_engine_values(vals)
        return super().write(vals)

    def _check_prospect_engine_values(self, vals, creating=False):
        """Tier, revenue, score and advice come from the rescoring engine only."""
        if self.env.su or self.env.user.has_group("base.group_system"):
            return
        forced = [
            name
            for name, default in self._PROSPECT_ENGINE_FIELDS.items()
            if name in vals and not (creating and (vals[name] or default) == default)
        ]
        if forced:
            labels = ", ".join(
                self._fields[name].get_description(self.env)["string"]
                for name in forced
            )
            raise AccessError(
                _(
                    "%(fields)s are computed by the prospect rescoring and cannot be "
                    "set by hand.",
                    fields=labels,
                )
            )

    def _prospect_is_closed(self):
        """Won, or lost: the grade is frozen and there is nobody to contact."""
        self.ensure_one()
        return self.stage_id.is_won or (not self.active and not self.probability)

    @api.model
    def _prospect_settings(self):
        """Settings of the method, each falling back to its default when unset or
        unreadable (a parameter edited by hand in the technical menu)."""
        params = self.env["ir.config_parameter"].sudo()
        settings = {}
        for key, default in rules.DEFAULTS.items():
            raw = params.get_param(f"prospect_development.{key}")
            try:
                settings[key] = type(default)(raw) if raw else default
            except ValueError:
                settings[key] = default
        return settings

    # ------------------------------------------------------------
    # RESCORING
    # ------------------------------------------------------------

    @api.model
    def _cron_prospect_rescore(self):
        self._action_prospect_rescore()

    @api.model
    def _action_prospect_rescore(self):
        """Recompute tiers, revenue, grades, next contact dates and urgency of every
        lead of every company, set-based; rows whose values do not change are not
        written. Returns the number of leads written."""
        # the SQL below reads these models: pending ORM writes must reach the table
        self.env["crm.lead"].flush_model()
        self.env["crm.stage"].flush_model(["is_won"])
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        settings = self._prospect_settings()
        today = fields.Date.context_today(self)
        written = self._prospect_rescore_tiers(settings, today)
        written += self._prospect_rescore_grades(settings, today)
        self.env["crm.lead"].invalidate_model(
            [
                "pyramid_tier",
                "pyramid_revenue",
                "prospect_grade",
                "next_contact_date",
                "contact_urgency",
            ]
        )
        return written

    def _prospect_rescore_tiers(self, settings, today):
        window_start = today - timedelta(days=settings["lookback_days"])
        self.env.cr.execute(
            SQL(
                """
            WITH won AS (
                SELECT COALESCE(lead.company_id, 0) AS company_key,
                       partner.commercial_partner_id AS commercial_id,
                       SUM(lead.expected_revenue)
                           FILTER (WHERE lead.date_closed >= %(start)s) AS revenue,
                       SUM(lead.expected_revenue)
                           FILTER (WHERE lead.date_closed < %(start)s) AS before
                  FROM crm_lead lead
                  JOIN crm_stage stage ON stage.id = lead.stage_id AND stage.is_won
                  JOIN res_partner partner ON partner.id = lead.partner_id
                 WHERE lead.active AND lead.date_closed < %(end)s
                 GROUP BY 1, 2
            ), ranked AS (
                SELECT company_key, commercial_id, revenue,
                       RANK() OVER company_customers AS rank,
                       COUNT(*) OVER company AS total
                  FROM won
                 WHERE revenue > 0
                WINDOW company AS (PARTITION BY company_key),
                       company_customers AS (company ORDER BY revenue DESC)
            ), desired AS (
                SELECT lead.id,
                       CASE
                           WHEN rank <= CEIL(total * %(p1)s / 100.0) THEN 'super'
                           WHEN rank <= CEIL(total * %(p2)s / 100.0) THEN 'large'
                           WHEN rank <= CEIL(total * %(p3)s / 100.0) THEN 'medium'
                           WHEN rank IS NOT NULL THEN 'small'
                           WHEN won.before > 0 THEN 'inactive'
                           WHEN lead.need_status = 'none' THEN 'other'
                           WHEN lead.last_contact_date IS NOT NULL THEN 'prospect'
                           ELSE 'suspect'
                       END AS tier,
                       COALESCE(ranked.revenue, 0) AS revenue
                  FROM crm_lead lead
                  LEFT JOIN res_partner partner ON partner.id = lead.partner_id
                  LEFT JOIN won ON won.company_key = COALESCE(lead.company_id, 0)
                               AND won.commercial_id = partner.commercial_partner_id
                  LEFT JOIN ranked ON ranked.company_key = won.company_key
                                  AND ranked.commercial_id = won.commercial_id
            )
            UPDATE crm_lead lead
               SET pyramid_tier = desired.tier, pyramid_revenue = desired.revenue
              FROM desired
             WHERE lead.id = desired.id
               AND (lead.pyramid_tier IS DISTINCT FROM desired.tier
                    OR lead.pyramid_revenue IS DISTINCT FROM desired.revenue)
            """,
                start=window_start,
                end=today + timedelta(days=1),
                p1=settings["tier_super_pct"],
                p2=settings["tier_super_pct"] + settings["tier_large_pct"],
                p3=settings["tier_super_pct"]
                + settings["tier_large_pct"]
                + settings["tier_medium_pct"],
            )
        )
        return self.env.cr.rowcount

    def _prospect_rescore_grades(self, settings, today):
        """Grades move with the calendar: a B lead becomes A as its closing nears."""
        self.env.cr.execute(
            SQL(
                """
            WITH open_lead AS (
                SELECT lead.id, lead.last_contact_date,
                       lead.create_date::date AS created,
                       CASE
                           WHEN lead.need_status = 'none' THEN 'e'
                           WHEN lead.need_status IS DISTINCT FROM 'clear'
                                OR lead.date_deadline IS NULL THEN 'd'
                           WHEN lead.date_deadline <= %(a)s THEN 'a'
                           WHEN lead.date_deadline <= %(b)s THEN 'b'
                           WHEN lead.date_deadline <= %(c)s THEN 'c'
                           ELSE 'd'
                       END AS grade
                  FROM crm_lead lead
                  LEFT JOIN crm_stage stage ON stage.id = lead.stage_id
                 WHERE lead.active AND NOT COALESCE(stage.is_won, FALSE)
            ), planned AS (
                SELECT id, grade,
                       COALESCE(last_contact_date, created) + CASE grade
                           WHEN 'a' THEN %(cadence_a)s WHEN 'b' THEN %(cadence_b)s
                           WHEN 'c' THEN %(cadence_c)s WHEN 'd' THEN %(cadence_d)s
                       END AS next_date
                  FROM open_lead
            ), desired AS (
                SELECT id, grade, next_date,
                       CASE
                           WHEN next_date IS NULL THEN NULL
                           WHEN next_date - %(today)s <= 7 THEN 'urgent'
                           WHEN next_date - %(today)s <= 30 THEN 'soon'
                           WHEN next_date - %(today)s <= 90 THEN 'later'
                           ELSE 'slow'
                       END AS urgency
                  FROM planned
            )
            UPDATE crm_lead lead
               SET prospect_grade = desired.grade,
                   next_contact_date = desired.next_date,
                   contact_urgency = desired.urgency
              FROM desired
             WHERE lead.id = desired.id
               AND (lead.prospect_grade IS DISTINCT FROM desired.grade
                    OR lead.next_contact_date IS DISTINCT FROM desired.next_date
                    OR lead.contact_urgency IS DISTINCT FROM desired.urgency)
            """,
                today=today,
                a=today + timedelta(days=settings["grade_a_days"]),
                b=today + timedelta(days=settings["grade_b_days"]),
                c=today + timedelta(days=settings["grade_c_days"]),
                cadence_a=settings["cadence_a_days"],
                cadence_b=settings["cadence_b_days"],
                cadence_c=settings["cadence_c_days"],
                cadence_d=settings["cadence_d_days"],
            )
        )
        return self.env.cr.rowcount
