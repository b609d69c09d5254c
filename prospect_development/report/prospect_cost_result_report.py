from odoo import api, fields, models
from odoo.tools import SQL

from .. import rules
from ..models.crm_lead import PYRAMID_TIERS
from .lead_report_sql import lead_report_columns, lead_report_from

RESULTS = [("open", "Open"), ("won", "Won"), ("lost", "Lost")]


class ProspectCostResultReport(models.Model):
    """Development cost against result: one row per lead (open, won or lost) with
    the touches and the cost spent developing it and what it brought.

    ``won_customer_id`` is the customer of a won lead: counted distinct, it gives
    the won customers of a group, and ``cost_per_won_customer`` is the cost of the
    group over them (``_read_group_select``), right at every level of a pivot."""

    _name = "prospect.cost.result.report"
    _description = "Prospect Development Cost against Result"
    _auto = False
    _order = "date_created desc, id desc"
    _rec_name = "lead_id"

    lead_id = fields.Many2one("crm.lead", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    pyramid_tier = fields.Selection(PYRAMID_TIERS, string="Tier", readonly=True)
    sequence_id = fields.Many2one(
        "prospect.sequence",
        readonly=True,
        help="Sequence the lead was last enrolled in.",
    )
    result = fields.Selection(RESULTS, readonly=True)
    date_created = fields.Datetime(string="Created On", readonly=True)
    date_closed = fields.Datetime(string="Closed On", readonly=True)
    lead_count = fields.Integer(string="Leads", readonly=True, aggregator="sum")
    won_count = fields.Integer(string="Won Leads", readonly=True, aggregator="sum")
    touch_count = fields.Integer(
        string="Touches",
        readonly=True,
        aggregator="sum",
        help="Activities done and messages sent to the prospects.",
    )
    development_cost = fields.Monetary(
        currency_field="currency_id",
        readonly=True,
        aggregator="sum",
        help="Touches at the cost per touch of the settings plus the other costs "
        "logged on the leads.",
    )
    won_revenue = fields.Monetary(
        currency_field="currency_id",
        readonly=True,
        aggregator="sum",
        help="Expected revenue of the won leads.",
    )
    won_customer_id = fields.Many2one(
        "res.partner",
        string="Won Customers",
        readonly=True,
        aggregator="count_distinct",
        help="Customers who bought: the customer of each won lead, counted once.",
    )
    cost_per_won_customer = fields.Monetary(
        string="Cost per Won Customer",
        currency_field="currency_id",
        readonly=True,
        aggregator="avg",
        help="Development cost of the group divided by its won customers.",
    )

    @property
    def _table_query(self):
        return self._query()

    @api.model
    def _query(self):
        return SQL(
            """
            SELECT %(lead_columns)s,
                   lead.pyramid_tier,
                   enrolment.sequence_id,
                   CASE WHEN %(won)s THEN 'won'
                        WHEN %(lost)s THEN 'lost'
                        ELSE 'open' END AS result,
                   lead.create_date AS date_created,
                   lead.date_closed,
                   1 AS lead_count,
                   %(won)s::int AS won_count,
                   COALESCE(lead.touch_count, 0) AS touch_count,
                   COALESCE(lead.development_cost, 0) AS development_cost,
                   CASE WHEN %(won)s THEN COALESCE(lead.expected_revenue, 0)
                        ELSE 0 END AS won_revenue,
                   CASE WHEN %(won)s THEN partner.commercial_partner_id
                   END AS won_customer_id,
                   COALESCE(lead.development_cost, 0) AS cost_per_won_customer
              %(lead_from)s
             WHERE lead.active OR %(lost)s
            """,
            won=rules.is_won(),
            lost=rules.is_lost(),
            lead_from=lead_report_from(),
            lead_columns=lead_report_columns(),
        )

    @api.model
    def _read_group_select(self, aggregate_spec, query):
        """Cost per won customer of a group: its whole development cost over its
        distinct won customers (empty without any)."""
        if aggregate_spec != "cost_per_won_customer:avg":
            return super()._read_group_select(aggregate_spec, query)
        return SQL(
            "SUM(%s) / NULLIF(COUNT(DISTINCT %s), 0)",
            self._field_to_sql(self._table, "development_cost", query),
            self._field_to_sql(self._table, "won_customer_id", query),
        )
