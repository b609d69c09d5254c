from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from .. import rules

# Weeks of the forecast, the current one included.
HORIZON_WEEKS = 12


class ProspectWorkloadReport(models.Model):
    """The contacts the cadence will ask of each salesperson, week by week, over
    the next twelve weeks (the current one included), against their capacity.

    Forecast rule (SPEC, "Planning"), per open lead of a salesperson (or of its
    team leader when unassigned, as the cadence does):

    - not graded E, with a next contact date: one contact on that date (today when
      overdue), then one every interval of its cadence rule (tier, grade,
      key-account and potential-key overrides of ``prospect.cadence.rule``);
    - every open activity planned on it counts once, for its assignee, on its due
      date (today when overdue);
    - a planned activity of the lead's own salesperson *is* the contact the cadence
      asks for (marking it done restarts the cadence from that day): the cadence
      contacts of the lead run until its first planned activity and start again
      one interval after its last one. So an open cadence activity replaces the
      contact of the next contact date, and a meeting planned in three weeks on a
      weekly lead leaves the two weekly contacts before it and the ones from a
      week after it.

    One row per salesperson and week, with the salesperson's main sales team and
    company: the salesperson's time is one, whatever the companies of the leads.
    Rows exist for every member of a sales team (a colleague with nothing planned
    has room) and for whoever has contacts planned. The query reads today, the
    settings and the cadence rules each time it runs (``_table_query``)."""

    _name = "prospect.workload.report"
    _description = "Prospect Workload Forecast"
    _auto = False
    _order = "week_start, user_id"
    _rec_name = "user_id"
    _depends = {
        "crm.lead": [
            "active",
            "stage_id",
            "user_id",
            "team_id",
            "pyramid_tier",
            "prospect_grade",
            "key_account_colour",
            "prospect_potential_key",
            "next_contact_date",
        ],
        "crm.stage": ["is_won"],
        "crm.team": ["user_id", "active"],
        "crm.team.member": ["user_id", "crm_team_id", "active"],
        "mail.activity": ["res_model", "res_id", "user_id", "date_deadline", "active"],
        "res.users": ["prospect_weekly_capacity", "sale_team_id", "company_id"],
    }

    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    team_id = fields.Many2one(
        "crm.team",
        string="Sales Team",
        readonly=True,
        help="The salesperson's main sales team.",
    )
    company_id = fields.Many2one(
        "res.company",
        readonly=True,
        help="The salesperson's main company.",
    )
    week_start = fields.Date(string="Week", readonly=True, help="Monday of the week.")
    planned_contacts = fields.Integer(
        readonly=True,
        aggregator="sum",
        help="Contacts the cadence asks for in the week, planned activities included.",
    )
    capacity = fields.Integer(
        readonly=True,
        aggregator="sum",
        help="Contacts the salesperson can make in the week: their own weekly "
        "capacity, or the one of the settings.",
    )
    overload = fields.Integer(
        string="Over Capacity",
        readonly=True,
        aggregator="sum",
        help="Planned contacts beyond the capacity of the week.",
    )
    room = fields.Integer(
        readonly=True,
        aggregator="sum",
        help="Contacts the salesperson could still take on in the week.",
    )
    is_overloaded = fields.Boolean(
        string="Over-loaded",
        readonly=True,
        help="More contacts planned than the salesperson can make this week.",
    )

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_prospect_rebalance(self):
        """The Rebalance proposal for the team of the selected over-loaded rows
        (without a selection: the team of the most over-loaded salesperson)."""
        wizard = self.env["prospect.rebalance.wizard"]._create_for_rows(self)
        return wizard._get_action()

    # ------------------------------------------------------------
    # QUERY
    # ------------------------------------------------------------

    @property
    def _table_query(self):
        self._prepare_session()
        return self._get_query()

    @api.model
    def _prepare_session(self):
        """Settings of the transaction that reads the forecast. PostgreSQL's JIT
        compiler would spend longer compiling its plan than running it (2.4 of
        4.1 s at 1,000,000 leads), and grouping the leads into runs needs more
        than the default 4 MB of memory (it spilled to disk): both for the
        current transaction only, as the nightly engines do."""
        self.env.cr.execute("SET LOCAL jit = off; SET LOCAL work_mem = '64MB'")

    @api.model
    def _get_horizon(self):
        """(today, Monday of this week, first day after the horizon)."""
        today = self.env["prospect.engine"]._today()
        week0 = today - timedelta(days=today.weekday())
        return today, week0, week0 + timedelta(weeks=HORIZON_WEEKS)

    @api.model
    def _streams_query(self, lead_filter=None):
        """The common part of the forecast, as CTEs:

        - ``activity``: every open activity on an open lead, for its assignee, on
          its day (today when overdue);
        - ``stream``: per open lead with a cadence, its salesperson, its interval
          ``step`` and its two runs of cadence contacts: ``start1`` (its next
          contact) up to ``stop1`` (its first planned activity, or the end of the
          horizon), and from ``start2`` (one interval after its last planned
          activity) to the end of the horizon; a run holds one contact on its start,
          then one every ``step`` days (``step`` empty: the start only).

        The planned activities of the lead's own salesperson (``owned``) are read
        apart from ``activity``, so that PostgreSQL may scan the leads in parallel
        (a CTE read twice is materialized, and its scan is not)."""
        today, _week0, end = self._get_horizon()
        return SQL(
            """
            cadence (tier, grade, is_key, is_potential, interval_days) AS (
                VALUES %(cadence)s
            ),
            activity AS (
                SELECT activity.res_id AS lead_id, activity.user_id,
                       GREATEST(activity.date_deadline, %(today)s) AS day
                  FROM mail_activity activity
                  JOIN crm_lead lead ON lead.id = activity.res_id
                  LEFT JOIN crm_stage stage ON stage.id = lead.stage_id
                 WHERE activity.res_model = 'crm.lead'
                   AND activity.active
                   AND activity.user_id IS NOT NULL
                   AND %(is_open)s AND %(lead_filter)s
            ),
            owned AS (
                SELECT res_id AS lead_id, user_id,
                       GREATEST(MIN(date_deadline), %(today)s) AS first_day,
                       GREATEST(MAX(date_deadline), %(today)s) AS last_day
                  FROM mail_activity
                 WHERE res_model = 'crm.lead' AND active AND user_id IS NOT NULL
                 GROUP BY res_id, user_id
            ),
            stream AS (
                SELECT lead.id AS lead_id,
                       COALESCE(lead.user_id, team.user_id) AS user_id,
                       cadence.interval_days AS step,
                       GREATEST(lead.next_contact_date, %(today)s) AS start1,
                       LEAST(owned.first_day, %(end)s) AS stop1,
                       owned.last_day + cadence.interval_days AS start2
                  FROM crm_lead lead
                  LEFT JOIN crm_stage stage ON stage.id = lead.stage_id
                  LEFT JOIN crm_team team ON team.id = lead.team_id
                  LEFT JOIN cadence
                         ON cadence.tier = lead.pyramid_tier
                        AND cadence.grade = COALESCE(lead.prospect_grade, 'd')
                        AND cadence.is_key = (lead.key_account_colour IS NOT NULL)
                        AND cadence.is_potential
                            = COALESCE(lead.prospect_potential_key, FALSE)
                  LEFT JOIN owned
                         ON owned.lead_id = lead.id
                        AND owned.user_id = COALESCE(lead.user_id, team.user_id)
                 WHERE %(is_open)s AND %(lead_filter)s
                   AND COALESCE(lead.prospect_grade, 'd') != 'e'
                   AND lead.next_contact_date IS NOT NULL
                   AND COALESCE(lead.user_id, team.user_id) IS NOT NULL
            )
            """,
            cadence=self.env["prospect.cadence.rule"]._get_matrix_values(),
            is_open=rules.is_open(),
            lead_filter=lead_filter or SQL("TRUE"),
            today=today,
            end=end,
        )

    @api.model
    def _run_count(self, start, stop, step, low, high):
        """SQL: how many contacts of the run (one on ``start``, then every ``step``
        days before ``stop``; ``step`` empty: ``start`` only) fall in [``low``,
        ``high``): the k >= 0 with start + k * step in [lo, hi) number
        ceil((hi - start) / step) - ceil((lo - start) / step)."""
        return SQL(
            """CASE WHEN %(start)s IS NOT NULL
                 AND GREATEST(%(low)s, %(start)s) < LEAST(%(high)s, %(stop)s)
                THEN CASE WHEN %(step)s IS NULL
                          THEN (%(low)s <= %(start)s)::int
                          ELSE (LEAST(%(high)s, %(stop)s) - %(start)s + %(step)s - 1)
                                   / %(step)s
                               - (GREATEST(%(low)s, %(start)s) - %(start)s
                                  + %(step)s - 1) / %(step)s
                     END
                ELSE 0 END""",
            start=start,
            stop=stop,
            step=step,
            low=low,
            high=high,
        )

    @api.model
    def _get_query(self):
        """One row per salesperson and week of the horizon."""
        _today, week0, end = self._get_horizon()
        default_capacity = self.env["prospect.settings"]._get()["weekly_capacity"]
        low, high = SQL("bounds.low"), SQL("bounds.high")
        return SQL(
            """
            WITH %(streams)s,
            -- leads of a salesperson with the same runs and interval, counted once
            run AS (
                SELECT user_id, step, start1, stop1, start2, COUNT(*) AS leads
                  FROM stream
                 GROUP BY user_id, step, start1, stop1, start2
            ),
            load AS (
                SELECT user_id, week, SUM(contacts) AS contacts
                  FROM (
                    SELECT run.user_id, week.week,
                           run.leads * (%(first_run)s + %(second_run)s) AS contacts
                      FROM run
                     CROSS JOIN generate_series(0, %(last_week)s) week (week)
                     CROSS JOIN LATERAL (
                           SELECT %(week0)s + 7 * week.week AS low,
                                  %(week0)s + 7 * week.week + 7 AS high
                     ) bounds
                    UNION ALL
                    SELECT user_id, (day - %(week0)s) / 7, 1
                      FROM activity
                     WHERE day < %(end)s
                  ) contact
                 GROUP BY user_id, week
            ),
            salesperson AS (
                SELECT user_id FROM load
                UNION
                SELECT member.user_id
                  FROM crm_team_member member
                  JOIN crm_team team ON team.id = member.crm_team_id AND team.active
                  JOIN res_users member_user
                    ON member_user.id = member.user_id AND member_user.active
                 WHERE member.active
            )
            SELECT salesperson.user_id * %(weeks)s + week.week AS id,
                   salesperson.user_id,
                   users.sale_team_id AS team_id,
                   users.company_id,
                   %(week0)s + 7 * week.week AS week_start,
                   COALESCE(load.contacts, 0)::int AS planned_contacts,
                   capacity.capacity,
                   GREATEST(COALESCE(load.contacts, 0) - capacity.capacity, 0)::int
                       AS overload,
                   GREATEST(capacity.capacity - COALESCE(load.contacts, 0), 0)::int
                       AS room,
                   COALESCE(load.contacts, 0) > capacity.capacity AS is_overloaded
              FROM salesperson
              JOIN res_users users ON users.id = salesperson.user_id
             CROSS JOIN LATERAL (
                   SELECT COALESCE(NULLIF(users.prospect_weekly_capacity, 0),
                                   %(default_capacity)s) AS capacity
             ) capacity
             CROSS JOIN generate_series(0, %(last_week)s) week (week)
              LEFT JOIN load
                     ON load.user_id = salesperson.user_id AND load.week = week.week
            """,
            streams=self._streams_query(),
            first_run=self._run_count(
                SQL("run.start1"), SQL("run.stop1"), SQL("run.step"), low, high
            ),
            second_run=self._run_count(
                SQL("run.start2"), end, SQL("run.step"), low, high
            ),
            end=end,
            week0=week0,
            weeks=HORIZON_WEEKS,
            last_week=HORIZON_WEEKS - 1,
            default_capacity=default_capacity,
        )

    @api.model
    def _get_lead_loads(self, user_ids):
        """{lead id: contacts over the horizon} of the open leads of these
        salespeople that move with the lead when it is handed over: its cadence
        contacts and the activities its salesperson planned on it."""
        if not user_ids:
            return {}
        self.env.flush_all()
        today, _week0, end = self._get_horizon()
        self.env.cr.execute(
            SQL(
                """
                WITH %(streams)s,
                contact AS (
                    SELECT lead_id, %(first_run)s + %(second_run)s AS contacts
                      FROM stream
                    UNION ALL
                    SELECT activity.lead_id, 1
                      FROM activity
                      JOIN crm_lead lead ON lead.id = activity.lead_id
                     WHERE activity.day < %(end)s
                       AND activity.user_id = lead.user_id
                )
                SELECT lead_id, SUM(contacts)::int FROM contact GROUP BY lead_id
                """,
                streams=self._streams_query(
                    SQL("lead.user_id = ANY(%s)", list(user_ids))
                ),
                first_run=self._run_count(
                    SQL("start1"), SQL("stop1"), SQL("step"), today, end
                ),
                second_run=self._run_count(SQL("start2"), end, SQL("step"), today, end),
                end=end,
            )
        )
        return dict(self.env.cr.fetchall())
