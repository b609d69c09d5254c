import json
import threading
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from .. import rules

# The columns of crm_lead the engine writes, with their SQL types: the install hook
# creates them, the engine computes each under the same name in its change table.
ENGINE_COLUMNS = {
    "pyramid_tier": "varchar",
    "pyramid_revenue": "numeric",
    "prospect_grade": "varchar",
    "last_contact_date": "date",
    "next_contact_date": "date",
    "contact_urgency": "varchar",
    "engagement_score": "int4",
    "abandon_recommended": "bool",
    "date_sales_ready": "date",
    "touch_count": "int4",
    "unanswered_touches": "int4",
    "date_first_unanswered": "date",
    "development_cost": "numeric",
    "pyramid_customer_count": "int4",
    "pyramid_projected_tier": "varchar",
    "prospect_projected_rank": "int4",
    "prospect_pipeline_weighted": "numeric",
    "prospect_potential_key": "bool",
    "date_potential_key": "date",
    "prospect_last_purchase": "date",
    "prospect_usual_interval": "int4",
    "prospect_revenue_previous": "numeric",
    "prospect_lost_to_competitor": "date",
    "prospect_at_risk": "bool",
    "prospect_at_risk_since": "date",
    "prospect_account_lead": "bool",
}

# What a lead takes from its customer's row of the customer table (``alias`` the
# row): a customer whose values stay the same leaves its leads alone at night.
CUSTOMER_OUTCOME = (
    "revenue",
    "tier",
    "projected_tier",
    "potential_key",
    "potential_since",
    "last_purchase",
    "usual_interval",
    "revenue_previous",
    "lost_day",
    "at_risk",
    "risk_since",
    "lead_id",
    "opens_risk",
    "becomes_potential",
)
# read only for the potential key customers
CUSTOMER_POTENTIAL_OUTCOME = ("projected_rank", "customer_count", "weighted")

# The tables the engine keeps from one night to the next, so that a night redoes
# only what changed (``_prepare_state``); dropped on uninstall (``hooks.py``).
STATE_TABLES = (
    "prospect_rescore_state",
    "prospect_rescore_dirty",
    "prospect_rescore_partner",
    "prospect_rescore_purchase",
    "prospect_rescore_pipeline",
    "prospect_rescore_revenue",
    "prospect_rescore_account",
    "prospect_rescore_value",
    "prospect_rescore_customer",
    # what a run saves when it completes (``_save_state``)
    "prospect_rescore_customer_next",
    "prospect_rescore_customer_gone",
    "prospect_rescore_partner_moved",
)
# Raised when what the kept tables hold changes: the next night is a full pass.
STATE_VERSION = 1
# A full pass at least this often (days), whatever changed.
FULL_PASS_DAYS = 7


class ProspectRescoreEngine(models.AbstractModel):
    """Nightly rescoring of every lead of every company, in SQL.

    Temporary tables are built once per run: the revenue tier of every customer
    (commercial partner, per company), the contact statistics of every lead, then in
    one pass over the leads the new values of those that differ from what they carry.
    Only those are written, by ranges of ids, a batch per transaction; so a second
    run writes nothing and a run killed half-way is finished by the next one. Tier and
    grade moves are recorded in ``prospect.lead.history`` by the same statement that
    writes them. Every value comes from the rules of ``rules``, which the live
    computes of ``crm.lead`` evaluate too.

    A night after a completed run is incremental: the per-customer sums are kept
    from night to night (``STATE_TABLES``) and refreshed where their sources
    changed, only the customers whose row may move are judged, and only the leads
    that may have changed are passed over (``_prepare_state``); it leaves every
    lead as a full pass would, which runs on the first night, weekly, and when the
    rules or settings changed.
    """

    _name = "prospect.rescore.engine"
    _inherit = "prospect.engine"
    _description = "Prospect rescoring"

    _batch_size = 50_000
    _temp_tables = (
        "prospect_customer_tier",
        "prospect_lead_contact",
        "prospect_cadence_matrix",
        "prospect_lead_change",
        "prospect_rescore_touched",
        "prospect_rescore_source",
        "prospect_rescore_dirty_customer",
        "prospect_rescore_changed_customer",
        "prospect_rescore_candidate",
        "prospect_rescore_ranked",
        "prospect_rescore_floor",
        "prospect_rescore_scope",
    )

    def init(self):
        """The state a night leaves to the next one (``_prepare_state``) and the
        leads that changed in ways their ``write_date`` does not tell (deleted,
        messages deleted, values the engine itself wrote)."""
        self.env.cr.execute(
            """
            CREATE TABLE IF NOT EXISTS prospect_rescore_state
                (id int4 PRIMARY KEY, state jsonb, pending jsonb);
            CREATE TABLE IF NOT EXISTS prospect_rescore_dirty
                (id bigserial PRIMARY KEY, lead_id int4 NOT NULL);
            CREATE TABLE IF NOT EXISTS prospect_rescore_partner
                (partner_id int4 PRIMARY KEY, commercial_id int4)
            """
        )

    def _begin_transaction(self, fresh):
        """A scheduled run's transactions are READ COMMITTED: a lead a salesperson
        saves while its batch is written is waited for, then skipped by the
        write_date guard, instead of failing the whole batch with a serialization
        error (REPEATABLE READ, Odoo's default). The passes hash every partner and
        lead once: let them do it in memory (the default is 4 MB)."""
        if fresh:
            self.env.cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
        self.env.cr.execute("SET LOCAL work_mem = '64MB'; SET LOCAL jit = off")
        # the passes read every lead: worth the workers PostgreSQL may start
        self.env.cr.execute(
            "SET LOCAL parallel_setup_cost = 10; SET LOCAL parallel_tuple_cost = 0.001"
        )

    @api.model
    def _run(self, batch_size=None, auto_commit=None):
        """The night; once every batch is written, the state it leaves to the
        next night (``_save_state``): a run killed before redoes the same work."""
        if auto_commit is None:
            auto_commit = not getattr(threading.current_thread(), "testing", False)
        processed = super()._run(batch_size=batch_size, auto_commit=auto_commit)
        self._save_state()
        if auto_commit:
            self._commit()
        return processed

    def _prepare(self):
        """The temporary tables of a run, ending with the leads to write; returns
        the ranges of ids to write, a batch each.

        A full pass reads every lead; a night after a completed run reads only the
        customers and leads that may have changed since (``_prepare_state``)."""
        settings = self.env["prospect.settings"]._get()
        today = self._today()
        self._sync_events(today)
        self._prepare_cadence_matrix()
        state = self._prepare_state(settings, today)
        self._prepare_customer_sums(state, settings, today)
        self._prepare_customer_tiers(settings, today, state)
        leads = self._prepare_candidates(state, settings, today)
        self._prepare_lead_contacts(settings, today, leads=leads)
        self._prepare_changes(settings, today, leads=leads)
        return self._batch_bounds(self._get_batch_size())

    def _process_batch(self, batch):
        low, high = batch
        count, to_act = self._rescore_batch(low, high, self._today())
        # the night's follow-ups on the leads it rescored, whoever runs it
        Lead = self.env["crm.lead"].sudo()
        Lead.invalidate_model([*ENGINE_COLUMNS, "prospect_history_ids"])
        self.env["prospect.lead.history"].invalidate_model()
        Lead.browse(to_act["ready"])._prospect_hand_to_sales()
        Lead.browse(to_act["at_risk"])._prospect_warn_at_risk()
        Lead.browse(to_act["potential_key"])._prospect_propose_key_account()
        return count

    # ------------------------------------------------------------
    # CUSTOMERS
    # ------------------------------------------------------------

    @api.model
    def _among(self, column, ids):
        """SQL: ``column`` is one of the ids the query ``ids`` returns (TRUE
        without a query). The ids are read first, into an array: the planner then
        fetches those rows by index, rather than scanning a whole table to join
        them."""
        if not ids:
            return SQL("TRUE")
        return SQL("%s = ANY(ARRAY(%s))", SQL(column), ids)

    @api.model
    def _purchases_query(self, end=None, sources=None):
        """Every purchase of a customer (before ``end`` when given): ``source_id,
        company_key, commercial_id, day, amount`` (refunds negative).

        Won opportunities on their closing day; ``prospect_development_account``
        overrides it to read posted customer invoices and refunds. ``sources``, an
        SQL query of source ids, keeps only those (the night refreshes the
        purchases that may have changed, ``_purchases_changed_query``)."""
        return SQL(
            """
            SELECT lead.id AS source_id,
                   COALESCE(lead.company_id, 0) AS company_key,
                   partner.commercial_partner_id AS commercial_id,
                   -- won deals created straight in a won stage have no date_closed
                   COALESCE(lead.date_closed, lead.date_last_stage_update,
                            lead.create_date)::date AS day,
                   COALESCE(lead.expected_revenue, 0) AS amount
              FROM crm_lead lead
              JOIN crm_stage stage ON stage.id = lead.stage_id AND stage.is_won
              JOIN res_partner partner ON partner.id = lead.partner_id
             WHERE lead.active
               AND COALESCE(lead.date_closed, lead.date_last_stage_update,
                            lead.create_date) < %(end)s
               AND %(sources)s
            """,
            end=end or "infinity",
            sources=self._among("lead.id", sources),
        )

    @api.model
    def _purchases_changed_query(self, since):
        """The ids of the purchase sources that may have changed since ``since``
        (of ``_purchases_query``): the leads touched since
        (``prospect_rescore_touched``)."""
        return SQL("SELECT id FROM prospect_rescore_touched")

    def _prepare_customer_tiers(self, settings, today, state=None):
        """Every customer (commercial partner, per company) that bought, has an
        open pipeline, is a key account or lost a deal to a competitor: its revenue
        tier, the tier its weighted open pipeline would give it on the same
        ranking, and how its buying goes (last purchase, usual interval, revenue
        against the window before), from the per-customer sums the night keeps
        (``_prepare_customer_sums``).

        A night that is not a full pass (``state``) ranks every customer but
        judges only those whose row may differ from the last night's
        (``_prepare_scope``); ``_prepare_candidates`` adds the last night's rows
        its leads need."""
        self._prepare_ranking(settings)
        scope = None
        if state and not state["full"]:
            self._prepare_scope(state, today)
            scope = "prospect_rescore_scope"
        watched = rules.watched_customer(SQL("tier"), SQL("is_key"))
        slipping = SQL(
            "(%s OR %s OR %s)",
            rules.slipping_by_recency(
                SQL("last_purchase"), SQL("usual_interval"), today, settings
            ),
            rules.slipping_by_revenue(
                SQL("revenue"), SQL("revenue_previous"), settings
            ),
            rules.slipping_to_competitor(SQL("lost_day"), SQL("last_purchase")),
        )
        self.env.cr.execute(
            SQL(
                """
            CREATE TEMPORARY TABLE prospect_customer_tier AS
            WITH revenue AS (
                SELECT * FROM prospect_rescore_revenue WHERE %(scope)s
            ),
            ranked AS (SELECT * FROM prospect_rescore_ranked),
            tier_floor AS (SELECT * FROM prospect_rescore_floor),
            account AS (
                SELECT * FROM prospect_rescore_account WHERE %(scope)s
            ),
            tiered AS (
                SELECT COALESCE(revenue.company_key, account.company_key)
                           AS company_key,
                       COALESCE(revenue.commercial_id, account.commercial_id)
                           AS commercial_id,
                       COALESCE(revenue.revenue, 0) AS revenue,
                       COALESCE(revenue.revenue_previous, 0) AS revenue_previous,
                       revenue.last_purchase, revenue.usual_interval,
                       ranked.rank, ranked.total,
                       CASE WHEN ranked.rank IS NOT NULL THEN ranked.tier
                            WHEN COALESCE(revenue.revenue, 0) <= 0
                                 AND revenue.revenue_before > 0 THEN 'inactive'
                       END AS tier,
                       COALESCE(tier_floor.total, 0) AS customer_count,
                       COALESCE(account.weighted, 0) AS weighted,
                       CASE WHEN account.weighted > 0 THEN %(projected_tier)s
                       END AS projected_tier,
                       COALESCE(account.is_key, FALSE) AS is_key,
                       account.lost_day, account.at_risk_since,
                       account.date_potential_key
                  FROM revenue
                  LEFT JOIN ranked USING (company_key, commercial_id)
                  FULL JOIN account USING (company_key, commercial_id)
                  LEFT JOIN tier_floor
                         ON tier_floor.company_key
                            = COALESCE(revenue.company_key, account.company_key)
                -- OFFSET 0 keeps each value computed once per row, not inlined
                OFFSET 0
            ),
            risk AS (
                SELECT tiered.*,
                       %(at_risk)s AS at_risk,
                       %(potential_key)s AS potential_key,
                       at_risk_since IS NOT NULL
                           AND COALESCE(last_purchase < at_risk_since, TRUE)
                           AS risk_goes_on
                  FROM tiered
                OFFSET 0
            )
            SELECT risk.*,
                   NULL::int8 AS projected_rank,
                   NULL::int4 AS lead_id,
                   CASE WHEN at_risk THEN CASE WHEN risk_goes_on THEN at_risk_since
                                               ELSE %(today)s END
                   END AS risk_since,
                   at_risk AND NOT risk_goes_on AS opens_risk,
                   COALESCE(date_potential_key,
                            CASE WHEN potential_key THEN %(today)s END)
                       AS potential_since,
                   potential_key AND date_potential_key IS NULL AS becomes_potential
              FROM risk
            """,
                scope=self._customer_filter(scope),
                projected_tier=rules.tier_reached(
                    SQL("COALESCE(revenue.revenue, 0) + account.weighted"),
                    SQL("tier_floor.super_min"),
                    SQL("tier_floor.large_min"),
                    SQL("tier_floor.medium_min"),
                ),
                at_risk=rules.at_risk(
                    watched, slipping, SQL("at_risk_since"), SQL("last_purchase")
                ),
                potential_key=rules.potential_key(
                    SQL("projected_tier"), SQL("COALESCE(tier, '')")
                ),
                today=today,
            )
        )
        self.env.cr.execute(
            "CREATE UNIQUE INDEX ON prospect_customer_tier"
            " (commercial_id, company_key); ANALYZE prospect_customer_tier"
        )
        self._prepare_potential_ranks()
        # the lead standing for each customer of the key-account lists
        self.env.cr.execute(
            SQL(
                """
            UPDATE prospect_customer_tier customer
               SET lead_id = chosen.lead_id
              FROM (%s) chosen
             WHERE chosen.company_key = customer.company_key
               AND chosen.commercial_id = customer.commercial_id
            """,
                self.env["crm.lead"]._prospect_account_leads_query(
                    SQL(
                        "SELECT company_key, commercial_id FROM prospect_customer_tier"
                        " WHERE at_risk OR potential_key"
                    )
                ),
            )
        )

    def _prepare_ranking(self, settings):
        """Every customer that earned in the window, ranked per company
        (``prospect_rescore_ranked``: rank, total, tier), and what the ranked
        customers earn at least in each tier and above (``prospect_rescore_floor``):
        the cut-offs a pipeline is placed by."""
        self.env.cr.execute(
            SQL(
                """
            CREATE TEMPORARY TABLE prospect_rescore_ranked AS
            SELECT company_key, commercial_id, revenue, rank, total,
                   %(tier)s AS tier
              FROM (SELECT company_key, commercial_id, revenue,
                           RANK() OVER by_revenue AS rank,
                           COUNT(*) OVER company AS total
                      FROM prospect_rescore_revenue
                     WHERE revenue > 0
                    WINDOW company AS (PARTITION BY company_key),
                           by_revenue AS (company ORDER BY revenue DESC)) ranked
            """,
                tier=rules.revenue_tier(
                    SQL("ranked.rank"), SQL("ranked.total"), settings
                ),
            )
        )
        self.env.cr.execute(
            """
            ANALYZE prospect_rescore_ranked;
            CREATE TEMPORARY TABLE prospect_rescore_floor AS
            SELECT company_key, MAX(total) AS total,
                   MIN(revenue) FILTER (WHERE tier = 'super') AS super_min,
                   MIN(revenue) FILTER (WHERE tier IN ('super', 'large'))
                       AS large_min,
                   MIN(revenue) FILTER (WHERE tier IN ('super', 'large', 'medium'))
                       AS medium_min
              FROM prospect_rescore_ranked
             GROUP BY 1;
            -- the next night tells by them whose projected tier may move
            UPDATE prospect_rescore_state
               SET pending = pending || JSONB_BUILD_OBJECT('floors', (
                   SELECT COALESCE(JSONB_OBJECT_AGG(company_key::text,
                              JSONB_BUILD_ARRAY(total, super_min::text,
                                                large_min::text, medium_min::text)),
                                   '{}'::jsonb)
                     FROM prospect_rescore_floor))
             WHERE id = 1
            """
        )

    def _prepare_scope(self, state, today):
        """The customers whose row of the customer table may differ from the last
        night's (``prospect_rescore_scope``): those whose sums changed; the
        at-risk and potential key customers of the last night (their ranks and
        standing leads move with the others); those a moved cut-off may move (a
        ranked customer's tier is the highest whose cut-off its revenue reaches,
        its projected tier the same for its revenue plus pipeline: those between a
        cut-off's old and new value); and, when the day moved, the customers whose
        slipping is watched (recency counts in days)."""
        cr = self.env.cr
        cr.execute(
            """
            WITH old AS (
                SELECT floor.key::int4 AS company_key,
                       (floor.value->>1)::numeric AS super_min,
                       (floor.value->>2)::numeric AS large_min,
                       (floor.value->>3)::numeric AS medium_min
                  FROM prospect_rescore_state state,
                       JSONB_EACH(state.state->'floors') floor
                 WHERE state.id = 1
            )
            SELECT COALESCE(new.company_key, old.company_key),
                   old.super_min, new.super_min, old.large_min, new.large_min,
                   old.medium_min, new.medium_min
              FROM prospect_rescore_floor new
              FULL JOIN old ON old.company_key = new.company_key
            """
        )
        # a cut-off none reaches (no customer in the tier) is infinite
        revenue_bands, value_bands = [], []
        for company_key, *values in cr.fetchall():
            for old, new in zip(values[0::2], values[1::2], strict=True):
                if old == new:
                    continue
                known = [value for value in (old, new) if value is not None]
                low = min(known)
                high = max(known) if len(known) == 2 else None
                for column, bands in (
                    ("revenue", revenue_bands),
                    ("value", value_bands),
                ):
                    bands.append(
                        SQL(
                            "(company_key = %s AND %s >= %s AND %s < %s)",
                            company_key,
                            SQL.identifier(column),
                            low,
                            SQL.identifier(column),
                            high if high is not None else SQL("'infinity'"),
                        )
                    )
        day_moved = today != state["last_today"]
        cr.execute(
            SQL(
                """
            CREATE TEMPORARY TABLE prospect_rescore_scope AS
            SELECT company_key, commercial_id FROM prospect_rescore_dirty_customer
             UNION
            SELECT company_key, commercial_id FROM prospect_rescore_customer
             WHERE at_risk OR potential_key
             UNION
            SELECT company_key, commercial_id FROM prospect_rescore_revenue
             WHERE revenue > 0 AND (%(revenue_bands)s)
             UNION
            SELECT company_key, commercial_id FROM prospect_rescore_value
             WHERE %(value_bands)s
             UNION
            SELECT company_key, commercial_id FROM prospect_rescore_ranked
             WHERE %(day_moved)s AND tier IN ('super', 'large')
             UNION
            SELECT company_key, commercial_id FROM prospect_rescore_account
             WHERE %(day_moved)s AND is_key;
            CREATE UNIQUE INDEX ON prospect_rescore_scope (commercial_id, company_key);
            ANALYZE prospect_rescore_scope
            """,
                revenue_bands=SQL(" OR ").join(revenue_bands) or SQL("FALSE"),
                value_bands=SQL(" OR ").join(value_bands) or SQL("FALSE"),
                day_moved=day_moved,
            )
        )

    def _prepare_potential_ranks(self):
        """The rank each potential key customer's pipeline would reach among the
        ranked customers: one more than those that earned strictly more (those
        that earned as much or more, less those that earned as much: running
        counts, a frame excluding the peers would be counted row by row)."""
        self.env.cr.execute(
            """
            UPDATE prospect_customer_tier customer
               SET projected_rank = counted.rank
              FROM (SELECT company_key, commercial_id, is_ranked,
                           1 + COUNT(*) FILTER (WHERE is_ranked) OVER (
                                   PARTITION BY company_key ORDER BY value DESC)
                             - COUNT(*) FILTER (WHERE is_ranked) OVER (
                                   PARTITION BY company_key, value) AS rank
                      FROM (SELECT company_key, commercial_id, revenue AS value,
                                   TRUE AS is_ranked
                              FROM prospect_rescore_ranked
                             UNION ALL
                            SELECT company_key, commercial_id, revenue + weighted, FALSE
                              FROM prospect_customer_tier
                             WHERE potential_key) ranking) counted
             WHERE NOT counted.is_ranked
               AND counted.company_key = customer.company_key
               AND counted.commercial_id = customer.commercial_id
            """
        )

    # ------------------------------------------------------------
    # WHAT CHANGED SINCE THE LAST NIGHT
    # ------------------------------------------------------------

    @api.model
    def _mark_dirty(self, lead_ids):
        """Have the next night look at these leads again, for a change their
        ``write_date`` does not tell (the lead or one of its messages deleted).
        Without the table (code newer than the database) there is no state either:
        the next night is a full pass."""
        if not lead_ids:
            return
        self.env.cr.execute("SELECT to_regclass('prospect_rescore_dirty')")
        if self.env.cr.fetchone()[0]:
            self.env.cr.execute(
                SQL(
                    "INSERT INTO prospect_rescore_dirty (lead_id)"
                    " SELECT UNNEST(%s::int4[])",
                    list(lead_ids),
                )
            )

    @api.model
    def _request_full_pass(self):
        """Make the next night a full pass (data changed behind the ORM's back)."""
        self.env.cr.execute("SELECT to_regclass('prospect_rescore_state')")
        if self.env.cr.fetchone()[0]:
            self.env.cr.execute(
                "UPDATE prospect_rescore_state SET state = state - 'hash'"
            )

    def _state_hash(self, settings):
        """A digest of everything a value of every lead depends on besides the
        records: the settings, the cadence matrix, the score rules, which stages
        are won, which lost reasons are a competitor's, who is staff."""
        self.env.cr.execute(
            SQL(
                """
            SELECT MD5(CONCAT_WS('|', %(settings)s, %(version)s,
                (SELECT STRING_AGG(CONCAT_WS(',', tier, grade, is_key, is_potential,
                                             interval_days), ';'
                                   ORDER BY tier, grade, is_key, is_potential)
                   FROM prospect_cadence_matrix),
                (SELECT STRING_AGG(CONCAT_WS(',', id, event_type, points), ';'
                                   ORDER BY id)
                   FROM prospect_score_rule),
                (SELECT STRING_AGG(CONCAT_WS(',', id, is_won), ';' ORDER BY id)
                   FROM crm_stage),
                (SELECT STRING_AGG(CONCAT_WS(',', id, prospect_competitor), ';'
                                   ORDER BY id)
                   FROM crm_lost_reason),
                (SELECT STRING_AGG(partner_id::text, ',' ORDER BY partner_id)
                   FROM res_users WHERE NOT share)))
            """,
                settings=json.dumps(dict(settings), sort_keys=True, default=str),
                version=STATE_VERSION,
            )
        )
        return self.env.cr.fetchone()[0]

    def _prepare_state(self, settings, today):
        """What the last completed night left (``prospect_rescore_state``), and
        whether this night is a full pass: the first one, one a week, and one
        whenever the rules changed, the state is missing or the clock went back
        (or when asked, ``prospect_rescore_full`` in the context). The state this
        run will leave is saved as pending, made current by ``_save_state``."""
        cr = self.env.cr
        self.init()  # code newer than the database: no state, a full pass
        cr.execute("SELECT state FROM prospect_rescore_state WHERE id = 1")
        row = cr.fetchone()
        last = (row and row[0]) or {}
        # leads saved by a transaction older than this run may not be visible to
        # it: the next night looks from the oldest transaction open now
        cr.execute(
            """
            SELECT LEAST(NOW(), (SELECT MIN(xact_start) FROM pg_stat_activity
                                  WHERE datname = current_database()))
                       AT TIME ZONE 'UTC',
                   (SELECT COALESCE(MAX(id), 0) FROM prospect_rescore_dirty),
                   to_regclass('prospect_rescore_customer') IS NOT NULL
            """
        )
        run_start, dirty_id, has_tables = cr.fetchone()
        digest = self._state_hash(settings)
        now = self._now()
        state = {
            "start": fields.Datetime.to_string(run_start),
            "today": fields.Date.to_string(today),
            "score_day": fields.Date.to_string(self._score_day()),
            "now": fields.Datetime.to_string(now),
            "hash": digest,
            "dirty_id": dirty_id,
            "full_day": last.get("full_day"),
        }
        full = (
            not has_tables
            or self.env.context.get("prospect_rescore_full")
            or last.get("hash") != digest
            or not last.get("full_day")
            or last["today"] > state["today"]
            or last["score_day"] > state["score_day"]
            or last["now"] > state["now"]
            or (today - fields.Date.to_date(last["full_day"])).days >= FULL_PASS_DAYS
        )
        if full:
            state["full_day"] = state["today"]
        state["full"] = bool(full)
        cr.execute(
            SQL(
                """
            INSERT INTO prospect_rescore_state (id, pending) VALUES (1, %(pending)s)
            ON CONFLICT (id) DO UPDATE SET pending = EXCLUDED.pending
            """,
                pending=json.dumps(state),
            )
        )
        return {
            **state,
            "since": last.get("start"),
            "last_today": last.get("today") and fields.Date.to_date(last["today"]),
            "last_score_day": last.get("score_day"),
            "last_now": last.get("now"),
        }

    @api.model
    def _pipeline_query(self, leads=None):
        """The leads that weigh in their customer's row (open pipeline and the
        rare flags), each with what it brings: ``lead_id, company_key,
        commercial_id, weighted, is_key, lost_day, at_risk_since,
        date_potential_key``; only the leads of ``leads`` (a query) when given."""
        return SQL(
            """
            SELECT lead.id AS lead_id,
                   COALESCE(lead.company_id, 0) AS company_key,
                   partner.commercial_partner_id AS commercial_id,
                   CASE WHEN %(is_open)s AND lead.type = 'opportunity'
                        THEN lead.expected_revenue * lead.probability / 100.0
                   END AS weighted,
                   %(key_account)s AS is_key,
                   CASE WHEN reason.prospect_competitor AND %(is_lost)s
                        THEN COALESCE(lead.date_closed, lead.write_date)::date
                   END AS lost_day,
                   lead.prospect_at_risk_since AS at_risk_since,
                   lead.date_potential_key
              FROM crm_lead lead
              JOIN res_partner partner ON partner.id = lead.partner_id
              LEFT JOIN crm_stage stage ON stage.id = lead.stage_id
              LEFT JOIN crm_lost_reason reason ON reason.id = lead.lost_reason_id
             WHERE ((lead.type = 'opportunity' AND %(is_open)s)
                    OR lead.key_account_colour IS NOT NULL
                    OR lead.lost_reason_id IS NOT NULL
                    OR lead.prospect_at_risk_since IS NOT NULL
                    OR lead.date_potential_key IS NOT NULL)
               AND %(leads)s
            """,
            is_open=rules.is_open(),
            is_lost=rules.is_lost(),
            key_account=rules.key_account(),
            leads=self._among("lead.id", leads),
        )

    def _customer_filter(self, customers):
        """SQL: the row's customer is one of ``customers`` (a table of
        ``company_key, commercial_id``), or TRUE for all."""
        if not customers:
            return SQL("TRUE")
        table = SQL.identifier(customers)
        # the commercial partners first, as an array: fetched by index
        return SQL(
            "(%s AND (company_key, commercial_id) IN"
            " (SELECT company_key, commercial_id FROM %s))",
            self._among("commercial_id", SQL("SELECT commercial_id FROM %s", table)),
            table,
        )

    def _revenue_query(self, settings, today, customers=None):
        """What each customer bought, from the kept purchases
        (``prospect_rescore_purchase``): revenue in the window and in the window
        before, last purchase, usual interval."""
        start = today - timedelta(days=settings["lookback_days"])
        return SQL(
            """
            -- per day first: every aggregate below can then be hashed
            WITH purchase_day AS (
                SELECT company_key, commercial_id, day, SUM(amount) AS amount,
                       BOOL_OR(amount > 0) AS bought
                  FROM prospect_rescore_purchase
                 WHERE day < %(end)s AND %(customers)s
                 GROUP BY 1, 2, 3
            )
            SELECT company_key, commercial_id,
                   SUM(amount) FILTER (WHERE day >= %(start)s) AS revenue,
                   SUM(amount) FILTER (WHERE day < %(start)s) AS revenue_before,
                   SUM(amount) FILTER (WHERE day >= %(previous)s
                                         AND day < %(start)s) AS revenue_previous,
                   MAX(day) FILTER (WHERE bought) AS last_purchase,
                   ROUND((MAX(day) FILTER (WHERE bought)
                          - MIN(day) FILTER (WHERE bought))::numeric
                         / NULLIF(COUNT(*) FILTER (WHERE bought) - 1, 0))::int
                       AS usual_interval
              FROM purchase_day
             GROUP BY 1, 2
            """,
            end=today + timedelta(days=1),
            start=start,
            previous=start - timedelta(days=settings["lookback_days"]),
            customers=self._customer_filter(customers),
        )

    def _account_query(self, customers=None):
        """What each customer's leads weigh, from the kept
        ``prospect_rescore_pipeline``: weighted open pipeline, key account, last
        deal lost to a competitor, the risk and potential-key days they carry."""
        return SQL(
            """
            SELECT company_key, commercial_id,
                   -- in cents, as stored: a float sum would differ each night
                   ROUND(SUM(weighted)::numeric, 2) AS weighted,
                   BOOL_OR(is_key) AS is_key,
                   MAX(lost_day) AS lost_day,
                   MAX(at_risk_since) AS at_risk_since,
                   MIN(date_potential_key) AS date_potential_key
              FROM prospect_rescore_pipeline
             WHERE %(customers)s
             GROUP BY 1, 2
            """,
            customers=self._customer_filter(customers),
        )

    def _prepare_customer_sums(self, state, settings, today):
        """The per-customer sums the customer table ranks and judges, kept from
        night to night: every purchase (``prospect_rescore_purchase``, by
        source), every lead that weighs in (``prospect_rescore_pipeline``), and
        their sums per customer (``prospect_rescore_revenue``,
        ``prospect_rescore_account``).

        A full pass rebuilds them; another night refreshes only the purchases and
        leads that may have changed since the last one, then the sums of the
        customers they belonged or belong to, and of those one of whose purchase
        days left or entered a window as the day moved."""
        cr = self.env.cr
        cr.execute("DROP TABLE IF EXISTS prospect_rescore_partner_moved")
        if state["full"]:
            # every partner's company as of this night, kept when the run ends
            cr.execute(
                "CREATE TABLE prospect_rescore_partner_moved AS"
                " SELECT id AS partner_id, NULL::int4 AS old_commercial,"
                " commercial_partner_id AS commercial_id FROM res_partner"
            )
            cr.execute(
                SQL(
                    """
                DROP TABLE IF EXISTS prospect_rescore_purchase;
                CREATE TABLE prospect_rescore_purchase AS
                SELECT source_id, company_key, commercial_id, day, amount
                  FROM (%(purchases)s) purchase;
                CREATE INDEX ON prospect_rescore_purchase (source_id);
                CREATE INDEX ON prospect_rescore_purchase (commercial_id, company_key);
                CREATE INDEX ON prospect_rescore_purchase (day);
                DROP TABLE IF EXISTS prospect_rescore_pipeline;
                CREATE TABLE prospect_rescore_pipeline AS %(pipeline)s;
                CREATE INDEX ON prospect_rescore_pipeline (lead_id);
                CREATE INDEX ON prospect_rescore_pipeline (commercial_id, company_key);
                DROP TABLE IF EXISTS prospect_rescore_revenue;
                CREATE TABLE prospect_rescore_revenue AS %(revenue)s;
                CREATE UNIQUE INDEX ON prospect_rescore_revenue
                       (commercial_id, company_key);
                DROP TABLE IF EXISTS prospect_rescore_account;
                CREATE TABLE prospect_rescore_account AS %(account)s;
                CREATE UNIQUE INDEX ON prospect_rescore_account
                       (commercial_id, company_key);
                CREATE INDEX ON prospect_rescore_revenue (company_key, revenue);
                -- the ranking, read in its order: no sort
                CREATE INDEX ON prospect_rescore_revenue
                       (company_key, revenue DESC) INCLUDE (commercial_id)
                 WHERE revenue > 0;
                DROP TABLE IF EXISTS prospect_rescore_value;
                CREATE TABLE prospect_rescore_value AS %(value)s;
                CREATE UNIQUE INDEX ON prospect_rescore_value
                       (commercial_id, company_key);
                CREATE INDEX ON prospect_rescore_value (company_key, value);
                ANALYZE prospect_rescore_value;
                ANALYZE prospect_rescore_purchase;
                ANALYZE prospect_rescore_pipeline;
                ANALYZE prospect_rescore_revenue;
                ANALYZE prospect_rescore_account
                """,
                    purchases=self._purchases_query(),
                    pipeline=self._pipeline_query(),
                    revenue=self._revenue_query(settings, today),
                    account=self._account_query(),
                    value=self._value_query(),
                )
            )
            return
        since = state["since"]
        # partners that came, went or changed company since the last night
        cr.execute(
            SQL(
                """
            CREATE TABLE prospect_rescore_partner_moved AS
            SELECT partner.id AS partner_id, seen.commercial_id AS old_commercial,
                   partner.commercial_partner_id AS commercial_id
              FROM res_partner partner
              LEFT JOIN prospect_rescore_partner seen ON seen.partner_id = partner.id
             WHERE (partner.write_date >= %(since)s OR partner.create_date >= %(since)s)
               AND seen.commercial_id IS DISTINCT FROM partner.commercial_partner_id
             UNION ALL
            SELECT seen.partner_id, seen.commercial_id, NULL
              FROM prospect_rescore_partner seen
             WHERE NOT EXISTS (SELECT 1 FROM res_partner partner
                                WHERE partner.id = seen.partner_id)
            """,
                since=since,
            )
        )
        # the leads that may have changed: saved since, of a moved partner, or
        # marked (deleted, or their risk or potential-key day written by the night)
        cr.execute(
            SQL(
                """
            CREATE TEMPORARY TABLE prospect_rescore_touched AS
            SELECT id FROM crm_lead
             WHERE write_date >= %(since)s OR create_date >= %(since)s
             UNION
            SELECT lead.id FROM crm_lead lead
              JOIN prospect_rescore_partner_moved moved
                ON moved.partner_id = lead.partner_id
             UNION
            SELECT lead_id FROM prospect_rescore_dirty WHERE id <= %(dirty_id)s
             UNION
            SELECT pipeline.lead_id FROM prospect_rescore_pipeline pipeline
              JOIN prospect_rescore_partner_moved moved
                ON moved.old_commercial = pipeline.commercial_id;
            CREATE UNIQUE INDEX ON prospect_rescore_touched (id);
            ANALYZE prospect_rescore_touched
            """,
                since=since,
                dirty_id=state["dirty_id"],
            )
        )
        cr.execute(
            SQL(
                """
            CREATE TEMPORARY TABLE prospect_rescore_source AS
            SELECT id FROM (%(changed)s) changed
             UNION
            SELECT purchase.source_id FROM prospect_rescore_purchase purchase
              JOIN prospect_rescore_partner_moved moved
                ON moved.old_commercial = purchase.commercial_id;
            ANALYZE prospect_rescore_source
            """,
                changed=self._purchases_changed_query(since),
            )
        )
        # refresh those rows; their customers, before and after, are dirty
        cr.execute(
            SQL(
                """
            CREATE TEMPORARY TABLE prospect_rescore_dirty_customer AS
            WITH purchase_gone AS (
                DELETE FROM prospect_rescore_purchase
                 WHERE source_id IN (SELECT id FROM prospect_rescore_source)
             RETURNING company_key, commercial_id
            ), purchase_came AS (
                INSERT INTO prospect_rescore_purchase
                       (source_id, company_key, commercial_id, day, amount)
                SELECT source_id, company_key, commercial_id, day, amount
                  FROM (%(purchases)s) purchase
             RETURNING company_key, commercial_id
            ), pipeline_gone AS (
                DELETE FROM prospect_rescore_pipeline
                 WHERE lead_id IN (SELECT id FROM prospect_rescore_touched)
             RETURNING company_key, commercial_id
            ), pipeline_came AS (
                INSERT INTO prospect_rescore_pipeline %(pipeline)s
             RETURNING company_key, commercial_id
            )
            SELECT * FROM purchase_gone UNION SELECT * FROM purchase_came
             UNION SELECT * FROM pipeline_gone UNION SELECT * FROM pipeline_came
            """,
                purchases=self._purchases_query(
                    sources=SQL("SELECT id FROM prospect_rescore_source")
                ),
                pipeline=self._pipeline_query(
                    leads=SQL("SELECT id FROM prospect_rescore_touched")
                ),
            )
        )
        # purchase days that left or entered a window since the last night
        last_today, lookback = state["last_today"], settings["lookback_days"]
        if today > last_today:
            windows = [
                (last_today + timedelta(days=1), today + timedelta(days=1)),
                (
                    last_today - timedelta(days=lookback),
                    today - timedelta(days=lookback),
                ),
                (
                    last_today - timedelta(days=2 * lookback),
                    today - timedelta(days=2 * lookback),
                ),
            ]
            cr.execute(
                SQL(
                    """
                INSERT INTO prospect_rescore_dirty_customer
                SELECT DISTINCT company_key, commercial_id
                  FROM prospect_rescore_purchase
                 WHERE %s
                """,
                    SQL(" OR ").join(
                        SQL("(day >= %s AND day < %s)", low, high)
                        for low, high in windows
                    ),
                )
            )
        cr.execute(
            SQL(
                """
            ANALYZE prospect_rescore_dirty_customer;
            DELETE FROM prospect_rescore_revenue
             WHERE %(customers)s;
            INSERT INTO prospect_rescore_revenue %(revenue)s;
            DELETE FROM prospect_rescore_account
             WHERE %(customers)s;
            INSERT INTO prospect_rescore_account %(account)s;
            DELETE FROM prospect_rescore_value
             WHERE %(customers)s;
            INSERT INTO prospect_rescore_value %(value)s
            """,
                customers=self._customer_filter("prospect_rescore_dirty_customer"),
                revenue=self._revenue_query(
                    settings, today, "prospect_rescore_dirty_customer"
                ),
                account=self._account_query("prospect_rescore_dirty_customer"),
                value=self._value_query("prospect_rescore_dirty_customer"),
            )
        )

    def _value_query(self, customers=None):
        """What each customer with an open pipeline would earn with it (revenue
        plus weighted pipeline, ``prospect_rescore_value``): the value its
        projected tier is placed by, indexed to find those a moved cut-off may
        move."""
        return SQL(
            """
            SELECT account.company_key, account.commercial_id,
                   COALESCE(revenue.revenue, 0) + account.weighted AS value
              FROM prospect_rescore_account account
              LEFT JOIN prospect_rescore_revenue revenue
                     ON revenue.company_key = account.company_key
                    AND revenue.commercial_id = account.commercial_id
             WHERE account.weighted > 0 AND %(customers)s
            """,
            customers=SQL(
                "(%s AND (account.company_key, account.commercial_id) IN"
                " (SELECT company_key, commercial_id FROM %s))",
                self._among(
                    "account.commercial_id",
                    SQL("SELECT commercial_id FROM %s", SQL.identifier(customers)),
                ),
                SQL.identifier(customers),
            )
            if customers
            else SQL("TRUE"),
        )

    def _customer_outcome(self, alias):
        """SQL: the values of a row of the customer table (``alias``) its leads
        take (``CUSTOMER_OUTCOME``)."""
        table = SQL.identifier(alias)
        return SQL(", ").join(
            [SQL("%s.%s", table, SQL.identifier(name)) for name in CUSTOMER_OUTCOME]
            + [
                SQL(
                    "CASE WHEN %s.potential_key THEN %s.%s END",
                    table,
                    table,
                    SQL.identifier(name),
                )
                for name in CUSTOMER_POTENTIAL_OUTCOME
            ]
        )

    def _prepare_candidates(self, state, settings, today):
        """The leads a night that is not a full pass looks at; returns the SQL
        query of their ids, or None for every lead (a full pass).

        They are the leads of every customer whose row of the customer table
        changed, the leads touched since the last night, those with a new or
        changed message, meeting, feedback card or event since, every lead with
        events when the score's day moved, and those a date rule may move between
        the last night's day and today: the closing date crossing a grade's limit,
        the next contact an urgency's, the first unanswered touch the silence
        limit; and the leads whose partner was deleted."""
        cr = self.env.cr
        # the new customer table is the state the next night compares to
        cr.execute(
            "DROP TABLE IF EXISTS prospect_rescore_customer_next;"
            " DROP TABLE IF EXISTS prospect_rescore_customer_gone"
        )
        if state["full"]:
            cr.execute(
                "CREATE TABLE prospect_rescore_customer_next AS"
                " SELECT * FROM prospect_customer_tier"
            )
            return None
        cr.execute(
            SQL(
                """
            CREATE TEMPORARY TABLE prospect_rescore_changed_customer AS
            SELECT COALESCE(new.company_key, old.company_key) AS company_key,
                   COALESCE(new.commercial_id, old.commercial_id) AS commercial_id
              FROM prospect_customer_tier new
              -- the customer table holds the customers of the scope only
              FULL JOIN (SELECT customer.*
                           FROM prospect_rescore_customer customer
                           JOIN prospect_rescore_scope scope
                             ON scope.company_key = customer.company_key
                            AND scope.commercial_id = customer.commercial_id
                          WHERE %(in_scope)s) old
                     ON old.company_key = new.company_key
                    AND old.commercial_id = new.commercial_id
             WHERE new.commercial_id IS NULL OR old.commercial_id IS NULL
                OR ROW(%(new)s) IS DISTINCT FROM ROW(%(old)s);
            ANALYZE prospect_rescore_changed_customer;
            CREATE TABLE prospect_rescore_customer_gone AS
            SELECT * FROM prospect_rescore_changed_customer;
            CREATE TABLE prospect_rescore_customer_next AS
            SELECT new.* FROM prospect_customer_tier new
              JOIN prospect_rescore_changed_customer changed
                ON changed.company_key = new.company_key
               AND changed.commercial_id = new.commercial_id
            """,
                new=self._customer_outcome("new"),
                old=self._customer_outcome("old"),
                in_scope=self._among(
                    "customer.commercial_id",
                    SQL("SELECT commercial_id FROM prospect_rescore_scope"),
                ),
            )
        )
        since, last_today = state["since"], state["last_today"]
        dated = []
        if today > last_today:
            for _grade, key in rules.GRADE_LIMITS:
                days = settings[key]
                dated.append(
                    SQL(
                        "lead.date_deadline > %s AND lead.date_deadline <= %s",
                        last_today + timedelta(days=days),
                        today + timedelta(days=days),
                    )
                )
            for _urgency, days in rules.URGENCY_LIMITS:
                dated.append(
                    SQL(
                        "lead.next_contact_date > %s AND lead.next_contact_date <= %s",
                        last_today + timedelta(days=days),
                        today + timedelta(days=days),
                    )
                )
            days = settings["abandon_days"]
            dated.append(
                SQL(
                    "lead.date_first_unanswered > %s"
                    " AND lead.date_first_unanswered <= %s",
                    last_today - timedelta(days=days),
                    today - timedelta(days=days),
                )
            )
        # a lead whose partner was deleted still carries its customer's values
        dated.append(
            SQL(
                """lead.partner_id IS NULL AND (
                    COALESCE(lead.pyramid_revenue, 0) <> 0
                    OR lead.pyramid_tier IN ('super', 'large', 'medium', 'small',
                                             'inactive')
                    OR lead.pyramid_projected_tier IS DISTINCT FROM lead.pyramid_tier
                    OR lead.prospect_last_purchase IS NOT NULL
                    OR lead.prospect_usual_interval IS NOT NULL
                    OR lead.prospect_revenue_previous IS NOT NULL
                    OR lead.prospect_lost_to_competitor IS NOT NULL
                    OR lead.prospect_at_risk OR lead.prospect_at_risk_since IS NOT NULL
                    OR lead.prospect_potential_key
                    OR lead.date_potential_key IS NOT NULL
                    OR lead.prospect_account_lead
                    OR lead.pyramid_customer_count IS NOT NULL
                    OR lead.prospect_projected_rank IS NOT NULL
                    OR lead.prospect_pipeline_weighted IS NOT NULL)"""
            )
        )
        scored = SQL("FALSE")
        if state["score_day"] != state["last_score_day"]:
            # the score decays every day: every lead with events may move
            scored = SQL("TRUE")
        cr.execute(
            SQL(
                """
            CREATE TEMPORARY TABLE prospect_rescore_candidate AS
            SELECT lead.id FROM crm_lead lead WHERE %(dated)s
             UNION
            SELECT id FROM prospect_rescore_touched
             UNION
            SELECT message.res_id FROM mail_message message
             WHERE message.model = 'crm.lead'
               AND (message.create_date >= %(since)s
                    OR message.write_date >= %(since)s)
             UNION
            SELECT event.opportunity_id FROM calendar_event event
             WHERE event.opportunity_id IS NOT NULL
               AND (event.create_date >= %(since)s OR event.write_date >= %(since)s
                    OR (event.start > %(last_now)s AND event.start <= %(now)s))
             UNION
            SELECT card.lead_id FROM prospect_feedback_card card
             WHERE card.create_date >= %(since)s OR card.write_date >= %(since)s
             UNION
            SELECT event.lead_id FROM prospect_engagement_event event
             WHERE %(scored)s OR event.create_date >= %(since)s
                OR event.write_date >= %(since)s;
            CREATE UNIQUE INDEX ON prospect_rescore_candidate (id)
            """,
                dated=SQL(" OR ").join(SQL("(%s)", condition) for condition in dated),
                since=since,
                last_now=state["last_now"],
                now=self._now(),
                scored=scored,
            )
        )
        # the customers of those leads out of the scope: as the last night left
        # them; then the leads of the customers whose row changed
        cr.execute(
            """
            INSERT INTO prospect_customer_tier
            SELECT customer.* FROM prospect_rescore_customer customer
             WHERE (customer.company_key, customer.commercial_id) IN (
                   SELECT COALESCE(lead.company_id, 0), partner.commercial_partner_id
                     FROM prospect_rescore_candidate candidate
                     JOIN crm_lead lead ON lead.id = candidate.id
                     JOIN res_partner partner ON partner.id = lead.partner_id)
               AND NOT EXISTS (
                   SELECT 1 FROM prospect_rescore_scope scope
                    WHERE scope.company_key = customer.company_key
                      AND scope.commercial_id = customer.commercial_id);
            -- their rank on tonight's ranking, which a tier move records
            UPDATE prospect_customer_tier customer
               SET rank = ranked.rank, total = ranked.total
              FROM prospect_rescore_ranked ranked
             WHERE ranked.company_key = customer.company_key
               AND ranked.commercial_id = customer.commercial_id
               AND (customer.rank, customer.total)
                   IS DISTINCT FROM (ranked.rank, ranked.total)
            """
        )
        cr.execute(
            """
            ANALYZE prospect_customer_tier;
            INSERT INTO prospect_rescore_candidate
            SELECT lead.id
              FROM prospect_rescore_changed_customer customer
              JOIN res_partner partner
                ON partner.commercial_partner_id = customer.commercial_id
              JOIN crm_lead lead ON lead.partner_id = partner.id
               AND COALESCE(lead.company_id, 0) = customer.company_key
             -- their leads by their partners, not a scan of every lead
             WHERE lead.partner_id = ANY(ARRAY(
                   SELECT partner.id
                     FROM prospect_rescore_changed_customer customer
                     JOIN res_partner partner
                       ON partner.commercial_partner_id = customer.commercial_id))
                ON CONFLICT DO NOTHING;
            ANALYZE prospect_rescore_candidate
            """
        )
        return SQL("SELECT id FROM prospect_rescore_candidate")

    def _save_state(self):
        """The run completed: what it prepared becomes the state the next night
        starts from (the customer table, the partners' companies, the day and
        moment it ran, the leads it consumed from ``prospect_rescore_dirty``)."""
        cr = self.env.cr
        cr.execute("SELECT pending FROM prospect_rescore_state WHERE id = 1")
        row = cr.fetchone()
        pending = row and row[0]
        if not pending:
            return
        if pending["full"]:
            cr.execute(
                """
                DROP TABLE IF EXISTS prospect_rescore_customer;
                ALTER TABLE prospect_rescore_customer_next
                      RENAME TO prospect_rescore_customer;
                CREATE UNIQUE INDEX ON prospect_rescore_customer
                       (commercial_id, company_key);
                ANALYZE prospect_rescore_customer;
                TRUNCATE prospect_rescore_partner
                """
            )
        else:
            cr.execute(
                """
                DELETE FROM prospect_rescore_customer customer
                 USING prospect_rescore_customer_gone gone
                 WHERE gone.company_key = customer.company_key
                   AND gone.commercial_id = customer.commercial_id;
                INSERT INTO prospect_rescore_customer
                SELECT * FROM prospect_rescore_customer_next;
                DELETE FROM prospect_rescore_partner seen
                 USING prospect_rescore_partner_moved moved
                 WHERE moved.partner_id = seen.partner_id
                """
            )
        cr.execute(
            SQL(
                """
            INSERT INTO prospect_rescore_partner (partner_id, commercial_id)
            SELECT partner_id, commercial_id FROM prospect_rescore_partner_moved
             WHERE commercial_id IS NOT NULL;
            DELETE FROM prospect_rescore_dirty WHERE id <= %(dirty_id)s;
            UPDATE prospect_rescore_state SET state = pending, pending = NULL
             WHERE id = 1;
            DROP TABLE IF EXISTS prospect_rescore_customer_next;
            DROP TABLE IF EXISTS prospect_rescore_customer_gone;
            DROP TABLE IF EXISTS prospect_rescore_partner_moved
            """,
                dirty_id=pending["dirty_id"],
            )
        )

    # ------------------------------------------------------------
    # CONTACTS AND BEHAVIOUR
    # ------------------------------------------------------------

    @api.model
    def _behaviour_events_query(self, leads=None):
        """Contacts of every lead (of the leads of ``leads``, a query, when
        given): ``lead_id, day, is_answer, is_touch, is_contact``.

        An answer is a mail from outside the company (automatic replies left out),
        an answered feedback card, or a call whose outcome says the prospect
        answered; a touch is an activity done or a message sent by an internal user
        to the followers. A call nobody answered is a touch but no contact: the
        last contact date stays where it was."""
        return SQL(
            """
            SELECT message.res_id AS lead_id,
                   message.date::date AS day,
                   (message.message_type = 'email' AND staff.id IS NULL)
                       OR COALESCE(outcome.answered, FALSE) AS is_answer,
                   message.mail_activity_type_id IS NOT NULL
                       OR (message.message_type IN ('comment', 'email_outgoing')
                           AND message.subtype_id = %(comment)s
                           AND staff.id IS NOT NULL) AS is_touch,
                   outcome.answered IS NOT FALSE AS is_contact
              FROM mail_message message
              LEFT JOIN res_users staff ON staff.partner_id = message.author_id
                                       AND NOT staff.share
              LEFT JOIN prospect_engagement_event outcome
                     ON outcome.res_model = 'mail.message'
                    AND outcome.res_id = message.id
                    AND outcome.event_type = 'call_outcome'
             WHERE message.model = 'crm.lead'
               AND message.prospect_auto_reply IS NOT TRUE
               AND %(messages)s
             UNION ALL
            SELECT event.opportunity_id, event.start::date, FALSE, TRUE, TRUE
              FROM calendar_event event
             WHERE event.opportunity_id IS NOT NULL AND event.active
               AND event.start <= %(now)s AND %(events)s
             UNION ALL
            SELECT card.lead_id, card.date_answered::date, TRUE, FALSE, TRUE
              FROM prospect_feedback_card card
             WHERE card.date_answered IS NOT NULL AND %(cards)s
            """,
            comment=self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_comment"),
            now=self._now(),
            messages=self._among("message.res_id", leads),
            events=self._among("event.opportunity_id", leads),
            cards=self._among("card.lead_id", leads),
        )

    @api.model
    def _get_event_sources(self, since):
        """The signals other records hold, as engagement events: ``lead_id,
        event_type, date, res_model, res_id, description``, from ``since`` (all
        when None). The nightly run records those that did not come through the
        live hooks; companion add-ons add their sources."""
        since = since or "-infinity"
        return [
            SQL(
                """
                SELECT message.res_id AS lead_id,
                       CASE WHEN message.mail_activity_type_id IS NOT NULL
                            THEN 'activity_done' ELSE 'reply' END AS event_type,
                       message.date, 'mail.message' AS res_model,
                       message.id AS res_id, message.subject AS description
                  FROM mail_message message
                 WHERE message.model = 'crm.lead' AND message.date >= %(since)s
                   AND message.prospect_auto_reply IS NOT TRUE
                   AND (message.mail_activity_type_id IS NOT NULL
                        OR (message.message_type = 'email' AND NOT EXISTS (
                            SELECT 1 FROM res_users staff
                             WHERE staff.partner_id = message.author_id
                               AND NOT staff.share)))
                   -- a call logged with its outcome is recorded as that outcome
                   AND NOT EXISTS (
                       SELECT 1 FROM prospect_engagement_event outcome
                        WHERE outcome.res_model = 'mail.message'
                          AND outcome.res_id = message.id
                          AND outcome.event_type = 'call_outcome')
                """,
                since=since,
            ),
            SQL(
                """
                SELECT event.opportunity_id, 'meeting', event.start,
                       'calendar.event', event.id, event.name
                  FROM calendar_event event
                 WHERE event.opportunity_id IS NOT NULL AND event.active
                   AND event.start <= %(now)s AND event.start >= %(since)s
                """,
                now=self._now(),
                since=since,
            ),
            SQL(
                """
                SELECT card.lead_id, kind.event_type, card.date_answered,
                       'prospect.feedback.card', card.id, NULL
                  FROM prospect_feedback_card card
                  JOIN (VALUES ('feedback', FALSE), ('opt_out', TRUE))
                       AS kind(event_type, opt_out)
                    ON NOT kind.opt_out OR card.opt_out
                 WHERE card.date_answered >= %(since)s
                """,
                since=since,
            ),
        ]

    def _sync_events(self, today):
        """Record, in one statement, the signals of the last days (of all time on
        the first run) that are not events yet: replies and activities done posted
        without the live hooks (imports, scripts), meetings that were held."""
        self.env["prospect.engagement.event"].flush_model()
        self.env.cr.execute("SELECT EXISTS (SELECT 1 FROM prospect_engagement_event)")
        since = today - timedelta(days=7) if self.env.cr.fetchone()[0] else None
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO prospect_engagement_event
                       (lead_id, company_id, user_id, team_id, pyramid_tier,
                        prospect_grade, event_type, points, date, res_model, res_id,
                        description, dedup_key,
                        create_uid, create_date, write_uid, write_date)
                SELECT lead.id, lead.company_id, lead.user_id, lead.team_id,
                       lead.pyramid_tier, lead.prospect_grade, source.event_type,
                       rule.points, source.date, source.res_model, source.res_id,
                       LEFT(source.description, 200),
                       source.res_model || ',' || source.res_id || ','
                           || source.event_type,
                       %(uid)s, NOW() AT TIME ZONE 'UTC', %(uid)s,
                       NOW() AT TIME ZONE 'UTC'
                  FROM (%(sources)s) AS source
                  JOIN crm_lead lead ON lead.id = source.lead_id
                  JOIN prospect_score_rule rule ON rule.event_type = source.event_type
                ON CONFLICT (dedup_key) DO NOTHING
                """,
                sources=SQL(" UNION ALL ").join(self._get_event_sources(since)),
                uid=self.env.uid,
            )
        )
        self.env["prospect.engagement.event"].invalidate_model()

    def _prepare_lead_contacts(self, settings, today, leads=None):
        """Contact statistics and engagement score of every lead that has any
        (of the leads of ``leads``, a query, when given)."""
        self.env.cr.execute(
            SQL(
                """
            CREATE TEMPORARY TABLE prospect_lead_contact AS
            WITH event AS (%(events)s),
            last_answer AS (
                SELECT lead_id, MAX(day) FILTER (WHERE is_answer) AS day
                  FROM event GROUP BY lead_id
            ),
            contact AS (
                SELECT event.lead_id,
                       MAX(event.day) FILTER (WHERE (is_answer OR is_touch)
                                                AND is_contact) AS last_contact,
                       COUNT(*) FILTER (WHERE is_touch) AS touches,
                       COUNT(*) FILTER (WHERE is_touch AND event.day > COALESCE(
                           last_answer.day, '-infinity')) AS unanswered,
                       MIN(event.day) FILTER (WHERE is_touch AND event.day > COALESCE(
                           last_answer.day, '-infinity')) AS first_unanswered
                  FROM event
                  JOIN last_answer ON last_answer.lead_id = event.lead_id
                 GROUP BY event.lead_id
            ),
            score AS (
                SELECT event.lead_id, %(score)s AS score
                  FROM prospect_engagement_event event
                 WHERE %(leads)s
                 GROUP BY event.lead_id
            )
            SELECT COALESCE(contact.lead_id, score.lead_id) AS lead_id,
                   contact.last_contact, contact.touches, contact.unanswered,
                   contact.first_unanswered, score.score,
                   score.lead_id IS NOT NULL AS has_events
              FROM contact
              FULL JOIN score ON score.lead_id = contact.lead_id
            """,
                events=self._behaviour_events_query(leads),
                score=rules.score_of_events(self._score_day(), settings),
                leads=self._among("event.lead_id", leads),
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
        self.env.cr.execute(
            "CREATE TEMPORARY TABLE prospect_cadence_matrix"
            " (tier varchar, grade varchar, is_key boolean, is_potential boolean,"
            " interval_days int)"
        )
        self.env.cr.execute(
            SQL(
                "INSERT INTO prospect_cadence_matrix VALUES %s",
                self.env["prospect.cadence.rule"]._get_matrix_values(),
            )
        )
        self.env.cr.execute("ANALYZE prospect_cadence_matrix")

    def _prepare_changes(self, settings, today, leads=None):
        """One pass over every lead (over the leads of ``leads``, a query, when
        given): what the rules say now, under the names of the columns, kept only
        for the leads where it differs from what they carry
        (``prospect_lead_change``)."""
        silence = rules.abandon_for_silence(
            SQL("planned.unanswered_touches"),
            SQL("planned.date_first_unanswered"),
            today,
            settings,
        )
        too_costly = rules.abandon_for_cost(
            SQL("planned.development_cost"), SQL("planned.expected_value"), settings
        )
        self.env.cr.execute(
            SQL(
                """
            CREATE TEMPORARY TABLE prospect_lead_change AS
            WITH scored AS (
                SELECT lead.id, lead.write_date, %(old_values)s,
                       lead.create_date::date AS created,
                       lead.next_contact_planned,
                       lead.key_account_colour IS NOT NULL AS is_key,
                       %(is_open)s AS is_open,
                       %(expected_value)s AS expected_value,
                       %(tier)s AS pyramid_tier,
                       COALESCE(customer.revenue, 0) AS pyramid_revenue,
                       customer.rank, customer.total,
                       %(grade)s AS prospect_grade,
                       GREATEST(lead.last_contact_date, contact.last_contact)
                           AS last_contact_date,
                       COALESCE(contact.score, 0) AS engagement_score,
                       COALESCE(contact.touches, 0) AS touch_count,
                       COALESCE(contact.unanswered, 0) AS unanswered_touches,
                       contact.first_unanswered AS date_first_unanswered,
                       %(cost)s AS development_cost,
                       customer.projected_tier AS customer_projected_tier,
                       customer.projected_rank AS customer_rank,
                       customer.customer_count,
                       customer.weighted AS customer_weighted,
                       COALESCE(customer.potential_key, FALSE)
                           AS prospect_potential_key,
                       customer.potential_since AS date_potential_key,
                       customer.last_purchase AS prospect_last_purchase,
                       customer.usual_interval AS prospect_usual_interval,
                       customer.revenue_previous AS prospect_revenue_previous,
                       customer.lost_day AS prospect_lost_to_competitor,
                       COALESCE(customer.at_risk, FALSE) AS prospect_at_risk,
                       customer.risk_since AS prospect_at_risk_since,
                       COALESCE(customer.lead_id = lead.id, FALSE)
                           AS prospect_account_lead,
                       COALESCE(customer.lead_id = lead.id AND customer.opens_risk,
                                FALSE) AS opens_risk,
                       COALESCE(customer.lead_id = lead.id
                                AND customer.becomes_potential, FALSE)
                           AS becomes_potential
                  FROM crm_lead lead
                  LEFT JOIN crm_stage stage ON stage.id = lead.stage_id
                  LEFT JOIN res_partner partner ON partner.id = lead.partner_id
                  LEFT JOIN prospect_customer_tier customer
                         ON customer.commercial_id = partner.commercial_partner_id
                        AND customer.company_key = COALESCE(lead.company_id, 0)
                  LEFT JOIN prospect_lead_contact contact ON contact.lead_id = lead.id
                 WHERE %(leads)s
                -- OFFSET 0 keeps each value computed once per row, not inlined
                OFFSET 0
            ), planned AS (
                SELECT scored.*, %(next_date)s AS next_contact_date
                  FROM scored
                  LEFT JOIN prospect_cadence_matrix cadence
                         ON cadence.tier = scored.pyramid_tier
                        AND cadence.grade = scored.prospect_grade
                        AND cadence.is_key = scored.is_key
                        AND cadence.is_potential = scored.prospect_potential_key
                OFFSET 0
            ), desired AS (
                SELECT planned.*,
                       COALESCE(customer_projected_tier, pyramid_tier)
                           AS pyramid_projected_tier,
                       CASE WHEN prospect_potential_key THEN customer_rank END
                           AS prospect_projected_rank,
                       CASE WHEN prospect_potential_key THEN customer_count END
                           AS pyramid_customer_count,
                       CASE WHEN prospect_potential_key THEN customer_weighted END
                           AS prospect_pipeline_weighted,
                       %(urgency)s AS contact_urgency,
                       %(abandon)s AS abandon_recommended,
                       CASE WHEN old_date_sales_ready IS NULL AND planned.is_open
                                 AND planned.engagement_score >= %(threshold)s
                            THEN %(today)s ELSE old_date_sales_ready
                       END AS date_sales_ready,
                       old_date_sales_ready IS NULL AND planned.is_open
                           AND planned.engagement_score >= %(threshold)s
                           AS becomes_ready
                  FROM planned
            )
            SELECT desired.*
              FROM desired
             WHERE %(differs)s
            """,
                is_open=rules.is_open(),
                expected_value=rules.expected_value(),
                tier=rules.lead_tier(
                    SQL("customer.tier"),
                    SQL(
                        "(COALESCE(contact.last_contact, lead.last_contact_date)"
                        " IS NOT NULL OR COALESCE(contact.has_events, FALSE))"
                    ),
                ),
                grade=rules.grade(today, settings),
                cost=rules.development_cost(
                    SQL("lead.development_cost_logged"),
                    SQL("contact.touches"),
                    settings,
                ),
                next_date=rules.next_contact_date(
                    SQL("scored.is_open"),
                    SQL("scored.last_contact_date"),
                    SQL("scored.created"),
                    SQL("cadence.interval_days"),
                    SQL("scored.next_contact_planned"),
                ),
                urgency=rules.urgency(SQL("planned.next_contact_date"), today),
                abandon=rules.abandon(SQL("planned.is_open"), silence, too_costly),
                threshold=settings["score_threshold"],
                today=today,
                leads=self._among("lead.id", leads),
                old_values=SQL(", ").join(
                    SQL(
                        "lead.%s AS %s",
                        SQL.identifier(column),
                        SQL.identifier(f"old_{column}"),
                    )
                    for column in ENGINE_COLUMNS
                ),
                differs=SQL(" OR ").join(
                    SQL(
                        "desired.%s IS DISTINCT FROM desired.%s",
                        SQL.identifier(column),
                        SQL.identifier(f"old_{column}"),
                    )
                    for column in ENGINE_COLUMNS
                ),
            )
        )
        # the statistics of the ids are all the batches need
        self.env.cr.execute(
            "CREATE UNIQUE INDEX ON prospect_lead_change (id);"
            " ANALYZE prospect_lead_change (id)"
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
        and grade moves; returns the count and the ids of the leads to act on:
        ``ready`` (became sales-ready), ``at_risk`` (their customer's risk episode
        opened) and ``potential_key`` (their customer became a potential key
        customer for the first time), one lead per customer.

        A lead edited since ``_prepare_changes`` read it (``write_date`` moved) is
        left alone: the ORM already recomputed it, and the next run sees it."""
        self.env.cr.execute(
            SQL(
                """
            WITH changed AS (
                UPDATE crm_lead lead
                   SET %(assignments)s
                  FROM prospect_lead_change change
                  JOIN crm_lead old ON old.id = change.id
                 WHERE lead.id = change.id
                   AND change.id BETWEEN %(low)s AND %(high)s
                   AND old.write_date IS NOT DISTINCT FROM change.write_date
                   -- the batch's leads by their ids, not a scan of every lead
                   AND old.id = ANY(ARRAY(
                       SELECT id FROM prospect_lead_change
                        WHERE id BETWEEN %(low)s AND %(high)s))
             RETURNING lead.id, lead.company_id, lead.user_id, lead.team_id,
                       old.pyramid_revenue IS NOT NULL AS was_scored,
                       old.pyramid_tier AS old_tier, lead.pyramid_tier AS new_tier,
                       old.prospect_grade AS old_grade,
                       lead.prospect_grade AS new_grade,
                       change.pyramid_revenue AS revenue, change.rank,
                       change.total,
                       lead.date_deadline - %(today)s AS days_to_close,
                       change.becomes_ready, change.opens_risk,
                       change.becomes_potential,
                       change.prospect_at_risk_since
                           IS DISTINCT FROM change.old_prospect_at_risk_since
                       OR change.date_potential_key
                           IS DISTINCT FROM change.old_date_potential_key
                           AS weighs_anew
            ), weighs_anew AS (
                -- what a lead weighs in its customer's row: the next night
                -- reads it again (``_prepare_customer_sums``)
                INSERT INTO prospect_rescore_dirty (lead_id)
                SELECT id FROM changed WHERE weighs_anew
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
            SELECT COUNT(*), ARRAY_AGG(id) FILTER (WHERE becomes_ready),
                   ARRAY_AGG(id) FILTER (WHERE opens_risk),
                   ARRAY_AGG(id) FILTER (WHERE becomes_potential)
              FROM changed
            """,
                assignments=SQL(", ").join(
                    SQL(
                        "%s = change.%s", SQL.identifier(column), SQL.identifier(column)
                    )
                    for column in ENGINE_COLUMNS
                ),
                low=low,
                high=high,
                today=today,
                uid=self.env.uid,
            )
        )
        count, ready_ids, risk_ids, potential_ids = self.env.cr.fetchone()
        return count, {
            "ready": ready_ids or [],
            "at_risk": risk_ids or [],
            "potential_key": potential_ids or [],
        }
