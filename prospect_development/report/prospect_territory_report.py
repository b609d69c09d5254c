from datetime import timedelta
from itertools import groupby

from odoo import api, fields, models
from odoo.tools import SQL

from .. import rules
from ..models.crm_lead import KEY_ACCOUNT_COLOURS, PYRAMID_TIERS

TIER_KEYS = [key for key, _label in PYRAMID_TIERS]


class ProspectTerritoryReport(models.Model):
    """The manager's map of the pyramid: one row per customer account (commercial
    partner, company) and salesperson, where it lies (country, state, city) with
    its tier, revenue and the contacts due. Leads without a customer make a row of
    their own, at the lead's address. Archived (lost) leads are left out.

    A customer worked by two salespeople has two rows; its revenue and its count
    of customers sit on one of them only (its account salesperson's, else the one
    with the most open leads), so that sums per area never count it twice."""

    _name = "prospect.territory.report"
    _inherit = ["prospect.selection.order.mixin"]
    _description = "Prospect Territories"
    _auto = False
    _order = "country_id, state_id, city, pyramid_revenue desc, id"
    _rec_name = "name"
    # flushed before the report is read
    _depends = {
        "crm.lead": [
            "active",
            "company_id",
            "user_id",
            "team_id",
            "partner_id",
            "partner_name",
            "contact_name",
            "name",
            "stage_id",
            "country_id",
            "state_id",
            "city",
            "zip",
            "street",
            "phone",
            "mobile",
            "pyramid_tier",
            "pyramid_revenue",
            "key_account_colour",
            "expected_revenue",
            "next_contact_date",
        ],
        "crm.stage": ["is_won"],
        "res.partner": [
            "commercial_partner_id",
            "name",
            "country_id",
            "state_id",
            "city",
            "zip",
            "street",
            "phone",
            "mobile",
            "user_id",
        ],
    }

    name = fields.Char(string="Customer", readonly=True)
    partner_id = fields.Many2one(
        "res.partner", string="Customer Account", readonly=True
    )
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    team_id = fields.Many2one(
        "crm.team",
        string="Sales Team",
        readonly=True,
        help="Team of the salesperson's most recent lead for this customer.",
    )
    country_id = fields.Many2one("res.country", readonly=True)
    state_id = fields.Many2one("res.country.state", readonly=True)
    city = fields.Char(readonly=True)
    zip = fields.Char(string="Postcode", readonly=True)
    street = fields.Char(readonly=True)
    phone = fields.Char(readonly=True)
    pyramid_tier = fields.Selection(
        PYRAMID_TIERS,
        string="Tier",
        readonly=True,
        help="The customer's place in the pyramid (the best tier among its leads).",
    )
    key_account_colour = fields.Selection(
        KEY_ACCOUNT_COLOURS, string="Key Account", readonly=True
    )
    is_key_account = fields.Boolean(string="Is a Key Account", readonly=True)
    customer_count = fields.Integer(
        string="Customers",
        readonly=True,
        aggregator="sum",
        help="1 per customer account: a customer worked by two salespeople counts "
        "once, on its account salesperson's row.",
    )
    pyramid_revenue = fields.Monetary(
        string="Revenue",
        readonly=True,
        aggregator="sum",
        help="Revenue of the customer over the lookback window of the pyramid, in "
        "the company's currency; on one row per customer.",
    )
    expected_revenue = fields.Monetary(
        string="Open Pipeline",
        readonly=True,
        aggregator="sum",
        help="Expected revenue of the open leads of this row.",
    )
    open_leads = fields.Integer(readonly=True, aggregator="sum")
    due_leads = fields.Integer(
        string="Due Contacts",
        readonly=True,
        aggregator="sum",
        help="Open leads whose next contact is today or overdue.",
    )
    due_week_leads = fields.Integer(
        string="Due This Week",
        readonly=True,
        aggregator="sum",
        help="Open leads whose next contact falls before the end of this week "
        "(overdue included).",
    )
    next_contact_date = fields.Date(
        string="Next Contact",
        readonly=True,
        aggregator="min",
        help="Earliest next contact among the open leads of this row.",
    )

    @property
    def _table_query(self):
        today = fields.Date.context_today(self)
        return self._query(today, today + timedelta(days=6 - today.weekday()))

    @api.model
    def _query(self, today, week_end):
        """Rows grouped in SQL; the row id is the smallest lead id of the row, so it
        stays the same from one query to the next."""
        return SQL(
            """
            WITH lead_row AS (
                SELECT lead.id,
                       lead.company_id,
                       lead.user_id,
                       lead.team_id,
                       account.id AS partner_id,
                       CASE WHEN account.id IS NULL THEN lead.id END AS lone_lead_id,
                       COALESCE(account.name, NULLIF(lead.partner_name, ''),
                                NULLIF(lead.contact_name, ''), lead.name) AS name,
                       CASE WHEN account.id IS NULL THEN lead.country_id
                            ELSE account.country_id END AS country_id,
                       CASE WHEN account.id IS NULL THEN lead.state_id
                            ELSE account.state_id END AS state_id,
                       CASE WHEN account.id IS NULL THEN lead.city
                            ELSE account.city END AS city,
                       CASE WHEN account.id IS NULL THEN lead.zip
                            ELSE account.zip END AS zip,
                       CASE WHEN account.id IS NULL THEN lead.street
                            ELSE account.street END AS street,
                       COALESCE(NULLIF(account.phone, ''), NULLIF(lead.phone, ''),
                                NULLIF(account.mobile, ''), lead.mobile) AS phone,
                       account.user_id AS account_user_id,
                       lead.pyramid_tier,
                       lead.pyramid_revenue,
                       lead.key_account_colour,
                       %(is_open)s AS is_open,
                       lead.expected_revenue,
                       lead.next_contact_date
                  FROM crm_lead lead
                  LEFT JOIN crm_stage stage ON stage.id = lead.stage_id
                  LEFT JOIN res_partner contact ON contact.id = lead.partner_id
                  LEFT JOIN res_partner account
                    ON account.id = contact.commercial_partner_id
                 WHERE lead.active
            ),
            grouped AS (
                SELECT MIN(id) AS id,
                       company_id,
                       user_id,
                       (ARRAY_AGG(team_id ORDER BY id DESC))[1] AS team_id,
                       partner_id,
                       MIN(name) AS name,
                       MIN(country_id) AS country_id,
                       MIN(state_id) AS state_id,
                       MIN(city) AS city,
                       MIN(zip) AS zip,
                       MIN(street) AS street,
                       MIN(phone) AS phone,
                       BOOL_OR(account_user_id = user_id) AS is_account_user,
                       (ARRAY_AGG(pyramid_tier
                                  ORDER BY ARRAY_POSITION(%(tiers)s::varchar[],
                                                          pyramid_tier::varchar))
                       )[1] AS pyramid_tier,
                       MAX(COALESCE(pyramid_revenue, 0)) AS revenue,
                       MAX(key_account_colour) AS key_account_colour,
                       COALESCE(SUM(expected_revenue) FILTER (WHERE is_open), 0)
                           AS expected_revenue,
                       COUNT(*) FILTER (WHERE is_open) AS open_leads,
                       COUNT(*) FILTER (
                           WHERE is_open AND next_contact_date <= %(today)s
                       ) AS due_leads,
                       COUNT(*) FILTER (
                           WHERE is_open AND next_contact_date <= %(week_end)s
                       ) AS due_week_leads,
                       MIN(next_contact_date) FILTER (WHERE is_open)
                           AS next_contact_date
                  FROM lead_row
                 GROUP BY company_id, partner_id, lone_lead_id, user_id
            ),
            ranked AS (
                SELECT grouped.*,
                       ROW_NUMBER() OVER (
                           PARTITION BY company_id, partner_id,
                                        CASE WHEN partner_id IS NULL THEN id END
                           ORDER BY COALESCE(is_account_user, FALSE) DESC,
                                    open_leads DESC, user_id NULLS LAST, id
                       ) = 1 AS is_first
                  FROM grouped
            )
            SELECT ranked.id,
                   ranked.company_id,
                   COALESCE(company.currency_id, %(currency_id)s) AS currency_id,
                   ranked.user_id,
                   ranked.team_id,
                   ranked.partner_id,
                   ranked.name,
                   ranked.country_id,
                   ranked.state_id,
                   ranked.city,
                   ranked.zip,
                   ranked.street,
                   ranked.phone,
                   ranked.pyramid_tier,
                   ranked.key_account_colour,
                   ranked.key_account_colour IS NOT NULL AS is_key_account,
                   ranked.is_first::int AS customer_count,
                   CASE WHEN ranked.is_first THEN ranked.revenue ELSE 0 END
                       AS pyramid_revenue,
                   ranked.expected_revenue,
                   ranked.open_leads,
                   ranked.due_leads,
                   ranked.due_week_leads,
                   ranked.next_contact_date
              FROM ranked
              LEFT JOIN res_company company ON company.id = ranked.company_id
            """,
            is_open=rules.is_open(),
            tiers=TIER_KEYS,
            today=today,
            week_end=week_end,
            # leads without a company: in the current company's currency
            currency_id=self.env.company.currency_id.id,
        )

    def _prospect_areas(self):
        """The rows grouped by area (country, state, city) for the printed list:
        [(area label, rows best tier and highest revenue first)]."""
        tier_rank = {key: rank for rank, key in enumerate(TIER_KEYS)}

        def area_key(row):
            return (
                row.country_id.name or "",
                row.state_id.name or "",
                (row.city or "").strip(),
            )

        def row_key(row):
            return (
                tier_rank.get(row.pyramid_tier, len(tier_rank)),
                -row.pyramid_revenue,
                -row.expected_revenue,
                row.name or "",
            )

        areas = []
        for (country, state, city), rows in groupby(
            self.sorted(area_key), key=area_key
        ):
            label = ", ".join(
                part for part in (city or self.env._("No city"), state, country) if part
            )
            areas.append((label, self.browse().union(*rows).sorted(row_key)))
        return areas
