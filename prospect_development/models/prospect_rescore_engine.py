import logging
import threading
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from .. import rules

_logger = logging.getLogger(__name__)

# Columns of crm_lead the engine writes: they are invalidated after a run.
ENGINE_FIELDS = [
    "pyramid_tier",
    "pyramid_revenue",
    "prospect_grade",
    "last_contact_date",
    "next_contact_date",
    "contact_urgency",
    "engagement_score",
    "abandon_recommended",
    "date_sales_ready",
    "touch_count",
    "unanswered_touches",
    "date_first_unanswered",
    "development_cost",
]


class ProspectRescoreEngine(models.AbstractModel):
    """Nightly rescoring of every lead of every company, in SQL.

    Temporary tables are built once per run: the revenue tier of every customer
    (commercial partner, per company), the contact statistics of every lead, then in
    one pass over the leads the new values of those that differ from what they carry.
    Only those are written, by ranges of ids with a commit in between; so a second run
    writes nothing and a run killed half-way is finished by the next one. Tier and
    grade moves are recorded in ``prospect.lead.history`` by the same statement that
    writes them.
    """

    _name = "prospect.rescore.engine"
    _description = "Prospect rescoring engine"

    _batch_size = 50_000

    @api.model
    def _run(self, batch_size=None, auto_commit=None):
        """Rescore everything; returns the number of leads written. Commits after
        each batch unless testing, or told not to (``auto_commit=False``: the
        install hook, which is all or nothing)."""
        if auto_commit is None:
            auto_commit = not getattr(threading.current_thread(), "testing", False)
        self.env.flush_all()
        settings = self.env["crm.lead"]._prospect_settings()
        today = fields.Date.context_today(self)
        if auto_commit:
            self.env.cr.commit()  # pylint: disable=invalid-commit
            self._begin_batch_transaction()
        else:
            self.env.cr.execute("SET LOCAL work_mem = '64MB'")
        self._prepare(settings, today)
        bounds = self._batch_bounds(batch_size or self._batch_size)
        written = 0
        for done, (low, high) in enumerate(bounds, start=1):
            count, ready_ids = self._rescore_batch(low, high, today)
            written += count
            self._schedule_sales_ready(ready_ids)
            if auto_commit:
                self.env["ir.cron"]._notify_progress(
                    done=done, remaining=len(bounds) - done
                )
                # each batch is final: a kill after this loses nothing already done
                self.env.cr.commit()  # pylint: disable=invalid-commit
                self._begin_batch_transaction()
        self.env["crm.lead"].invalidate_model([*ENGINE_FIELDS, "prospect_history_ids"])
        self.env["prospect.lead.history"].invalidate_model()
        _logger.info("Prospect rescoring: %s leads written", written)
        return written

    def _begin_batch_transaction(self):
        """Start a transaction of the scheduled run in READ COMMITTED: a lead a
        salesperson saves while its batch is written is waited for, then skipped
        by the write_date guard, instead of failing the whole batch with a
        serialization error (REPEATABLE READ, Odoo's default). The passes hash every
        partner and lead once: let them do it in memory (the default is 4 MB)."""
        self.env.cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
        self.env.cr.execute("SET LOCAL work_mem = '64MB'")

    def _prepare(self, settings, today):
        """The temporary tables of a run, ending with the leads to write."""
        self._prepare_customer_tiers(settings, today)
        self._prepare_lead_contacts(settings, today)
        self._prepare_cadence_matrix()
        self._prepare_changes(settings, today)

    # ------------------------------------------------------------
    # CUSTOMERS
    # ------------------------------------------------------------

    @api.model
    def _revenue_query(self, window_start, window_end):
        """Revenue of each commercial partner per company, inside the window and
        before it: ``company_key, commercial_id, revenue, revenue_before``.

        Won opportunities by closing date; ``prospect_development_account``
        overrides it to read posted customer invoices net of refunds."""
        return SQL(
            """
            WITH won AS (
                SELECT COALESCE(lead.company_id, 0) AS company_key,
                       partner.commercial_partner_id AS commercial_id,
                       lead.expected_revenue,
                       -- won deals created straight in a won stage have no date_closed
                       COALESCE(lead.date_closed, lead.date_last_stage_update,
                                lead.create_date) AS date_won
                  FROM crm_lead lead
                  JOIN crm_stage stage ON stage.id = lead.stage_id AND stage.is_won
                  JOIN res_partner partner ON partner.id = lead.partner_id
                 WHERE lead.active
            )
            SELECT company_key, commercial_id,
                   COALESCE(SUM(expected_revenue)
                            FILTER (WHERE date_won >= %(start)s), 0) AS revenue,
                   COALESCE(SUM(expected_revenue)
                            FILTER (WHERE date_won < %(start)s), 0) AS revenue_before
              FROM won
             WHERE date_won < %(end)s
             GROUP BY 1, 2
            """,
            start=window_start,
            end=window_end,
        )

    def _prepare_customer_tiers(self, settings, today):
        super_pct = settings["tier_super_pct"]
        large_pct = super_pct + settings["tier_large_pct"]
        medium_pct = large_pct + settings["tier_medium_pct"]
        self.env.cr.execute("DROP TABLE IF EXISTS prospect_customer_tier")
        self.env.cr.execute(
            SQL(
                """
            CREATE TEMPORARY TABLE prospect_customer_tier AS
            WITH revenue AS (%(revenue)s),
            ranked AS (
                SELECT company_key, commercial_id, revenue,
                       RANK() OVER by_revenue AS rank,
                       COUNT(*) OVER company AS total
                  FROM revenue
                 WHERE revenue > 0
                WINDOW company AS (PARTITION BY company_key),
                       by_revenue AS (company ORDER BY revenue DESC)
            )
            SELECT company_key, commercial_id, revenue, rank, total,
                   CASE
                       WHEN rank <= CEIL(total * %(super)s / 100.0) THEN 'super'
                       WHEN rank <= CEIL(total * %(large)s / 100.0) THEN 'large'
                       WHEN rank <= CEIL(total * %(medium)s / 100.0) THEN 'medium'
                       ELSE 'small'
                   END AS tier
              FROM ranked
             UNION ALL
            SELECT company_key, commercial_id, 0, NULL, NULL, 'inactive'
              FROM revenue
             WHERE revenue <= 0 AND revenue_before > 0
            """,
                revenue=self._revenue_query(
                    today - timedelta(days=settings["lookback_days"]),
                    today + timedelta(days=1),
                ),
                super=super_pct,
                large=large_pct,
                medium=medium_pct,
            )
        )
        self.env.cr.execute(
            "CREATE UNIQUE INDEX ON prospect_customer_tier"
            " (commercial_id, company_key); ANALYZE prospect_customer_tier"
        )

    # ------------------------------------------------------------
    # CONTACTS AND BEHAVIOUR
    # ------------------------------------------------------------

    @api.model
    def _behaviour_events_query(self):
        """What the prospect and the salespeople did on each lead:
        ``lead_id, day, points, is_answer, is_touch``.

        An answer is a mail from outside the company, automatic replies (out of
        office) left out; a touch is an activity done or a message sent by an
        internal user to the followers. Points feed the engagement score, as do
        the answered feedback cards of the sequences."""
        return SQL(
            """
            SELECT message.res_id AS lead_id,
                   message.date::date AS day,
                   CASE
                       WHEN message.message_type = 'email' AND staff.id IS NULL
                           THEN %(answer_points)s
                       WHEN message.mail_activity_type_id IS NOT NULL
                           THEN %(activity_points)s
                       ELSE 0
                   END AS points,
                   message.message_type = 'email' AND staff.id IS NULL AS is_answer,
                   message.mail_activity_type_id IS NOT NULL
                       OR (message.message_type IN ('comment', 'email_outgoing')
                           AND message.subtype_id = %(comment)s
                           AND staff.id IS NOT NULL) AS is_touch
              FROM mail_message message
              LEFT JOIN res_users staff ON staff.partner_id = message.author_id
                                       AND NOT staff.share
             WHERE message.model = 'crm.lead'
               AND message.prospect_auto_reply IS NOT TRUE
             UNION ALL
            SELECT event.opportunity_id, event.start::date, %(meeting_points)s,
                   FALSE, TRUE
              FROM calendar_event event
             WHERE event.opportunity_id IS NOT NULL AND event.active
               AND event.start <= NOW()
             UNION ALL
            SELECT card.lead_id, card.date_answered::date, %(feedback_points)s,
                   TRUE, FALSE
              FROM prospect_feedback_card card
             WHERE card.date_answered IS NOT NULL
            """,
            comment=self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_comment"),
            answer_points=rules.SCORE_POINTS["answer"],
            activity_points=rules.SCORE_POINTS["activity_done"],
            meeting_points=rules.SCORE_POINTS["meeting"],
            feedback_points=rules.SCORE_POINTS["feedback"],
        )

    def _prepare_lead_contacts(self, settings, today):
        half_life = settings["score_half_life_days"]
        self.env.cr.execute("DROP TABLE IF EXISTS prospect_lead_contact")
        self.env.cr.execute(
            SQL(
                """
            CREATE TEMPORARY TABLE prospect_lead_contact AS
            WITH event AS (%(events)s),
            last_answer AS (
                SELECT lead_id, MAX(day) FILTER (WHERE is_answer) AS day
                  FROM event GROUP BY lead_id
            )
            SELECT event.lead_id,
                   MAX(event.day) FILTER (WHERE is_answer OR is_touch) AS last_contact,
                   COUNT(*) FILTER (WHERE is_touch) AS touches,
                   COUNT(*) FILTER (WHERE is_touch AND event.day > COALESCE(
                       last_answer.day, '-infinity')) AS unanswered,
                   MIN(event.day) FILTER (WHERE is_touch AND event.day > COALESCE(
                       last_answer.day, '-infinity')) AS first_unanswered,
                   LEAST(100, ROUND(SUM(points * POWER(0.5,
                       (%(today)s - event.day)::numeric / %(half_life)s))))::int
                       AS score
              FROM event
              JOIN last_answer ON last_answer.lead_id = event.lead_id
             GROUP BY event.lead_id
            """,
                events=self._behaviour_events_query(),
                today=today,
                half_life=half_life,
            )
        )
        self.env.cr.execute(
            "CREATE UNIQUE INDEX ON prospect_lead_contact (lead_id);"
            "ANALYZE prospect_lead_contact"
        )

    # ------------------------------------------------------------
    # LEADS
    # ------------------------------------------------------------

    def _prepare_cadence_matrix(self):
        """Contact interval of every (tier, grade, key account) from the rules."""
        matrix = self.env["prospect.cadence.rule"]._get_matrix()
        self.env.cr.execute("DROP TABLE IF EXISTS prospect_cadence_matrix")
        self.env.cr.execute(
            "CREATE TEMPORARY TABLE prospect_cadence_matrix"
            " (tier varchar, grade varchar, is_key boolean, interval_days int)"
        )
        self.env.cr.execute(
            SQL(
                "INSERT INTO prospect_cadence_matrix VALUES %s",
                SQL(", ").join(
                    SQL("(%s, %s, %s, %s)", tier, grade, is_key, interval)
                    for (tier, grade, is_key), (interval, _type) in matrix.items()
                ),
            )
        )
        self.env.cr.execute("ANALYZE prospect_cadence_matrix")

    def _prepare_changes(self, settings, today):
        """One pass over every lead: what the rules say now, kept only for the leads
        where it differs from what they carry (``prospect_lead_change``)."""
        self.env.cr.execute("DROP TABLE IF EXISTS prospect_lead_change")
        self.env.cr.execute(
            SQL(
                """
            CREATE TEMPORARY TABLE prospect_lead_change AS
            WITH lead AS (
                SELECT lead.id, lead.write_date, lead.need_status, lead.date_deadline,
                       lead.last_contact_date, lead.create_date::date AS created,
                       lead.prospect_grade, lead.development_cost,
                       lead.expected_revenue, lead.probability, lead.company_id,
                       lead.pyramid_tier, lead.pyramid_revenue,
                       lead.next_contact_date, lead.contact_urgency,
                       lead.engagement_score, lead.abandon_recommended,
                       lead.date_sales_ready, lead.key_account_colour IS NOT NULL
                           AS is_key, lead.development_cost_logged,
                       lead.touch_count, lead.unanswered_touches,
                       lead.date_first_unanswered,
                       COALESCE(stage.is_won, FALSE)
                           OR (NOT lead.active AND COALESCE(lead.probability, 0) = 0)
                           AS is_closed,
                       lead.active AND NOT COALESCE(stage.is_won, FALSE) AS is_open,
                       partner.commercial_partner_id
                  FROM crm_lead lead
                  LEFT JOIN crm_stage stage ON stage.id = lead.stage_id
                  LEFT JOIN res_partner partner ON partner.id = lead.partner_id
            ), scored AS (
                SELECT lead.*,
                       COALESCE(customer.tier, CASE
                           WHEN lead.need_status = 'none' THEN 'other'
                           WHEN COALESCE(contact.last_contact, lead.last_contact_date)
                                IS NOT NULL THEN 'prospect'
                           ELSE 'suspect'
                       END) AS new_tier,
                       COALESCE(customer.revenue, 0) AS new_revenue,
                       customer.rank, customer.total,
                       CASE
                           WHEN lead.is_closed AND lead.prospect_grade IS NOT NULL
                               THEN lead.prospect_grade
                           WHEN lead.need_status = 'none' THEN 'e'
                           WHEN lead.need_status IS DISTINCT FROM 'clear'
                                OR lead.date_deadline IS NULL THEN 'd'
                           WHEN lead.date_deadline <= %(grade_a)s THEN 'a'
                           WHEN lead.date_deadline <= %(grade_b)s THEN 'b'
                           WHEN lead.date_deadline <= %(grade_c)s THEN 'c'
                           ELSE 'd'
                       END AS new_grade,
                       GREATEST(lead.last_contact_date, contact.last_contact)
                           AS new_last_contact,
                       COALESCE(contact.score, 0) AS new_score,
                       COALESCE(contact.touches, 0) AS new_touch_count,
                       COALESCE(contact.unanswered, 0) AS new_unanswered,
                       contact.first_unanswered AS new_first_unanswered,
                       COALESCE(lead.development_cost_logged, 0)
                           + COALESCE(contact.touches, 0) * %(cost_per_touch)s
                           AS new_cost,
                       lead.is_open AND (
                           (contact.unanswered >= %(touches)s
                            AND contact.first_unanswered <= %(abandon_since)s)
                           OR COALESCE(lead.development_cost_logged, 0)
                              + COALESCE(contact.touches, 0) * %(cost_per_touch)s
                              > %(cost_factor)s
                              * COALESCE(lead.expected_revenue, 0)
                              * COALESCE(lead.probability, 0) / 100.0
                       ) AS new_abandon
                  FROM lead
                  LEFT JOIN prospect_customer_tier customer
                         ON customer.commercial_id = lead.commercial_partner_id
                        AND customer.company_key = COALESCE(lead.company_id, 0)
                  LEFT JOIN prospect_lead_contact contact ON contact.lead_id = lead.id
                -- OFFSET 0 keeps each value computed once per row, not inlined
                OFFSET 0
            ), planned AS (
                SELECT scored.*,
                       CASE WHEN is_open THEN
                           COALESCE(new_last_contact, created) + cadence.interval_days
                       END AS new_next_date
                  FROM scored
                  LEFT JOIN prospect_cadence_matrix cadence
                         ON cadence.tier = scored.new_tier
                        AND cadence.grade = scored.new_grade
                        AND cadence.is_key = scored.is_key
                OFFSET 0
            ), desired AS (
                SELECT planned.*,
                       CASE
                           WHEN new_next_date IS NULL THEN NULL
                           WHEN new_next_date - %(today)s <= 7 THEN 'urgent'
                           WHEN new_next_date - %(today)s <= 30 THEN 'soon'
                           WHEN new_next_date - %(today)s <= 90 THEN 'later'
                           ELSE 'slow'
                       END AS new_urgency,
                       date_sales_ready IS NULL AND is_open
                           AND COALESCE(new_score, 0) >= %(threshold)s AS becomes_ready
                  FROM planned
            )
            SELECT id, write_date, new_tier, new_revenue, rank, total, new_grade,
                   new_last_contact, new_next_date, new_urgency, new_score,
                   new_abandon, becomes_ready, new_touch_count, new_unanswered,
                   new_first_unanswered, new_cost
              FROM desired
             WHERE pyramid_tier IS DISTINCT FROM new_tier
                OR pyramid_revenue IS DISTINCT FROM new_revenue
                OR prospect_grade IS DISTINCT FROM new_grade
                OR last_contact_date IS DISTINCT FROM new_last_contact
                OR next_contact_date IS DISTINCT FROM new_next_date
                OR contact_urgency IS DISTINCT FROM new_urgency
                OR engagement_score IS DISTINCT FROM new_score
                OR abandon_recommended IS DISTINCT FROM new_abandon
                OR touch_count IS DISTINCT FROM new_touch_count
                OR unanswered_touches IS DISTINCT FROM new_unanswered
                OR date_first_unanswered IS DISTINCT FROM new_first_unanswered
                OR development_cost IS DISTINCT FROM new_cost
                OR becomes_ready
            """,
                today=today,
                grade_a=today + timedelta(days=settings["grade_a_days"]),
                grade_b=today + timedelta(days=settings["grade_b_days"]),
                grade_c=today + timedelta(days=settings["grade_c_days"]),
                touches=settings["abandon_touches"],
                abandon_since=today - timedelta(days=settings["abandon_days"]),
                cost_factor=settings["abandon_cost_factor"],
                cost_per_touch=settings["cost_per_touch"],
                threshold=settings["score_threshold"],
            )
        )
        self.env.cr.execute(
            "CREATE UNIQUE INDEX ON prospect_lead_change (id);"
            " ANALYZE prospect_lead_change"
        )

    def _batch_bounds(self, batch_size):
        """Ranges of ids of about ``batch_size`` leads to write each."""
        self.env.cr.execute(
            SQL(
                """
            SELECT MIN(id), MAX(id)
              FROM (SELECT id, (ROW_NUMBER() OVER (ORDER BY id) - 1) / %s AS batch
                      FROM prospect_lead_change) numbered
             GROUP BY batch ORDER BY batch
            """,
                batch_size,
            )
        )
        return self.env.cr.fetchall()

    def _rescore_batch(self, low, high, today):
        """Write the changed leads of ids ``low`` to ``high`` and record their tier
        and grade moves; returns (count, ids that became sales-ready).

        A lead edited since ``_prepare_changes`` read it (``write_date`` moved) is
        left alone: the ORM already recomputed it, and the next run sees it."""
        self.env.cr.execute(
            SQL(
                """
            WITH changed AS (
                UPDATE crm_lead lead
                   SET pyramid_tier = change.new_tier,
                       pyramid_revenue = change.new_revenue,
                       prospect_grade = change.new_grade,
                       last_contact_date = change.new_last_contact,
                       next_contact_date = change.new_next_date,
                       contact_urgency = change.new_urgency,
                       engagement_score = change.new_score,
                       abandon_recommended = change.new_abandon,
                       touch_count = change.new_touch_count,
                       unanswered_touches = change.new_unanswered,
                       date_first_unanswered = change.new_first_unanswered,
                       development_cost = change.new_cost,
                       date_sales_ready = CASE WHEN change.becomes_ready
                           THEN %(today)s ELSE old.date_sales_ready END
                  FROM prospect_lead_change change
                  JOIN crm_lead old ON old.id = change.id
                 WHERE lead.id = change.id
                   AND change.id BETWEEN %(low)s AND %(high)s
                   AND old.write_date IS NOT DISTINCT FROM change.write_date
             RETURNING lead.id, lead.company_id, lead.user_id, lead.team_id,
                       old.pyramid_revenue IS NOT NULL AS was_scored,
                       old.pyramid_tier AS old_tier, lead.pyramid_tier AS new_tier,
                       old.prospect_grade AS old_grade,
                       lead.prospect_grade AS new_grade,
                       change.new_revenue AS revenue, change.rank, change.total,
                       lead.date_deadline - %(today)s AS days_to_close,
                       change.becomes_ready
            ), history AS (
                INSERT INTO prospect_lead_history
                       (lead_id, company_id, user_id, team_id, date, kind, old_value,
                        new_value, revenue, rank, customer_count, days_to_close,
                        create_uid, create_date, write_uid, write_date)
                SELECT id, company_id, user_id, team_id, %(today)s, 'tier', old_tier,
                       new_tier, revenue, rank, total, NULL,
                       %(uid)s, NOW() AT TIME ZONE 'UTC', %(uid)s,
                       NOW() AT TIME ZONE 'UTC'
                  FROM changed
                 WHERE was_scored AND old_tier IS DISTINCT FROM new_tier
                 UNION ALL
                SELECT id, company_id, user_id, team_id, %(today)s, 'grade',
                       old_grade, new_grade, NULL, NULL, NULL, days_to_close,
                       %(uid)s, NOW() AT TIME ZONE 'UTC', %(uid)s,
                       NOW() AT TIME ZONE 'UTC'
                  FROM changed
                 WHERE was_scored AND old_grade IS DISTINCT FROM new_grade
            )
            SELECT COUNT(*), ARRAY_AGG(id) FILTER (WHERE becomes_ready) FROM changed
            """,
                low=low,
                high=high,
                today=today,
                uid=self.env.uid,
            )
        )
        count, ready_ids = self.env.cr.fetchone()
        return count, ready_ids or []

    def _schedule_sales_ready(self, lead_ids):
        """A to-do for the salesperson (or the team leader) of each lead that just
        reached the sales-ready score; once per lead (``date_sales_ready``)."""
        if not lead_ids:
            return
        leads = self.env["crm.lead"].browse(lead_ids)
        leads.invalidate_recordset(ENGINE_FIELDS)
        todo = self.env.ref("mail.mail_activity_data_todo")
        model_id = self.env["ir.model"]._get_id("crm.lead")
        self.env["mail.activity"].create(
            [
                {
                    "res_model_id": model_id,
                    "res_id": lead.id,
                    "activity_type_id": todo.id,
                    "user_id": (lead.user_id or lead.team_id.user_id).id,
                    "summary": self.env._(
                        "Sales-ready: engagement score %(score)s",
                        score=lead.engagement_score,
                    ),
                    "date_deadline": fields.Date.context_today(self),
                }
                for lead in leads
                if lead.user_id or lead.team_id.user_id
            ]
        )
