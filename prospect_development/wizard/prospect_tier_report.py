import io
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL, config

from .. import rules
from ..models.crm_lead import PROSPECT_GRADES, PYRAMID_TIERS
from ..report.prospect_tier_report_xlsx import TierReportWriter

# rows fetched from PostgreSQL per round trip while streaming the Leads sheet
CHUNK_SIZE = 10000
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ProspectTierReportWizard(models.TransientModel):
    """Tier report for managers, in Excel. Every number comes from SQL built on the
    query ``crm.lead._search()`` gives the exporting user, i.e. with their record
    rules (own / all leads, allowed companies) and without archived leads: the
    workbook shows what the pivot of 'Prospect Pyramid' shows them, never more, and
    never less: leads without a company, which the CRM shows in every company, come
    in a "No company" block of their own."""

    _name = "prospect.tier.report.wizard"
    _description = "Prospect Tier Report"

    def _default_company_ids(self):
        return self.env.companies

    def _default_team_ids(self):
        # Odoo's CRM scopes leads by "own documents" / "all documents" only: there is
        # no team rule. A team leader who is not a Sales manager starts from the
        # teams they lead; headquarters (Sales managers) start from every team.
        if self.env.user.has_group("sales_team.group_sale_manager"):
            return self.env["crm.team"]
        return self.env["crm.team"].search([("user_id", "=", self.env.uid)])

    def _default_date_from(self):
        return fields.Date.context_today(self) - timedelta(days=90)

    company_ids = fields.Many2many(
        "res.company",
        string="Companies",
        default=_default_company_ids,
        domain=lambda self: [("id", "in", self.env.companies.ids)],
        required=True,
        help="Each company keeps its own pyramid and currency: the sheets show one "
        "block or one column per company, never a sum across companies.",
    )
    team_ids = fields.Many2many(
        "crm.team",
        string="Sales Teams",
        default=_default_team_ids,
        help="Empty: every team you may see.",
    )
    user_ids = fields.Many2many(
        "res.users",
        string="Salespeople",
        domain=[("share", "=", False)],
        help="Empty: every salesperson whose leads you may see.",
    )
    tier_super = fields.Boolean(string="Super")
    tier_large = fields.Boolean(string="Large")
    tier_medium = fields.Boolean(string="Medium")
    tier_small = fields.Boolean(string="Small")
    tier_inactive = fields.Boolean(string="Inactive")
    tier_prospect = fields.Boolean(string="Prospect")
    tier_suspect = fields.Boolean(string="Suspect")
    tier_other = fields.Boolean(string="Other")
    grade_a = fields.Boolean(string="A")
    grade_b = fields.Boolean(string="B")
    grade_c = fields.Boolean(string="C")
    grade_d = fields.Boolean(string="D")
    grade_e = fields.Boolean(string="E")
    date_from = fields.Date(
        string="Movements From",
        required=True,
        default=_default_date_from,
        help="Tier movements of the rescoring history shown in the Movements sheet.",
    )
    date_to = fields.Date(
        string="Movements To",
        required=True,
        default=fields.Date.context_today,
    )

    _sql_constraints = [
        (
            "movement_period",
            "CHECK(date_from <= date_to)",
            "The movement period must end after it starts.",
        ),
    ]

    # ------------------------------------------------------------------ actions
    def action_export(self):
        """Download the workbook; it is streamed by the controller from a
        temporary file, never held in a binary field."""
        self.ensure_one()
        url = f"/prospect/tier_report/{self.id}"
        if config["db_replica_host"] is not False:
            # the download is read on the replica: tell it how far to catch up
            # (the client saved the wizard in an earlier, committed request; the
            # insert position covers its commit even when commits are asynchronous)
            self.env.cr.execute("SELECT pg_current_wal_insert_lsn()")
            url += f"?lsn={self.env.cr.fetchone()[0]}"
        return {"type": "ir.actions.act_url", "url": url, "target": "download"}

    def action_open_pyramid(self):
        """Leads of the report's scope, in the Prospect Pyramid pivot."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "prospect_development.action_prospect_pyramid"
        )
        action["domain"] = self._get_lead_domain()
        return action

    # ------------------------------------------------------------ scope (domain)
    def _get_companies(self):
        """Selected companies the user is working in (never another one)."""
        # raw ids: a company the user may not read is dropped, never read
        chosen = set(self.with_context(active_test=False).company_ids._ids)
        companies = self.env.companies.filtered(lambda company: company.id in chosen)
        return companies.sorted("name") or self.env.company

    def _get_tiers(self):
        return [code for code, _label in PYRAMID_TIERS if self[f"tier_{code}"]]

    def _get_grades(self):
        return [code for code, _label in PROSPECT_GRADES if self[f"grade_{code}"]]

    def _get_lead_domain(self):
        self.ensure_one()
        domain = [
            "|",
            ("company_id", "=", False),
            ("company_id", "in", self._get_companies().ids),
        ]
        if self.team_ids:
            domain.append(("team_id", "in", self.team_ids.ids))
        if self.user_ids:
            domain.append(("user_id", "in", self.user_ids.ids))
        if tiers := self._get_tiers():
            domain.append(("pyramid_tier", "in", tiers))
        if grades := self._get_grades():
            domain.append(("prospect_grade", "in", grades))
        return domain

    def _get_history_domain(self):
        """Tier moves of the period, for the same companies, teams, salespeople and
        tiers (the team and salesperson of the lead when it moved)."""
        self.ensure_one()
        domain = [
            ("kind", "=", "tier"),
            ("date", ">=", self.date_from),
            ("date", "<=", self.date_to),
            "|",
            ("company_id", "=", False),
            ("company_id", "in", self._get_companies().ids),
        ]
        if self.team_ids:
            domain.append(("team_id", "in", self.team_ids.ids))
        if self.user_ids:
            domain.append(("user_id", "in", self.user_ids.ids))
        if tiers := self._get_tiers():
            domain += ["|", ("old_value", "in", tiers), ("new_value", "in", tiers)]
        return domain

    def _lead_query(self):
        """The leads of the report as the user may read them: ``_search`` adds the
        record rules and hides archived leads."""
        lead_model = self.env["crm.lead"]
        lead_model.flush_model()
        return lead_model._search(self._get_lead_domain())

    @staticmethod
    def _where(query):
        return query.where_clause or SQL("TRUE")

    # --------------------------------------------------------------- aggregates
    def _get_tier_summary(self, query):
        """{company_id: {tier: (leads, partners, revenue)}}. Partners are distinct
        commercial partners; revenue is each partner's pyramid revenue counted once
        (a customer with several leads is not counted several times)."""
        self.env.cr.execute(
            SQL(
                """
            SELECT company_id, tier, SUM(n), COUNT(partner),
                   COALESCE(SUM(revenue) FILTER (WHERE partner IS NOT NULL), 0)
              FROM (SELECT %(lead)s.company_id, %(lead)s.pyramid_tier AS tier,
                           pd_partner.commercial_partner_id AS partner, COUNT(*) AS n,
                           MAX(%(lead)s.pyramid_revenue) AS revenue
                      FROM %(from)s
                      LEFT JOIN res_partner pd_partner
                             ON pd_partner.id = %(lead)s.partner_id
                     WHERE %(where)s
                     GROUP BY 1, 2, 3) per_partner
             GROUP BY 1, 2
            """,
                lead=SQL.identifier(query.table),
                **{"from": query.from_clause, "where": self._where(query)},
            )
        )
        result = {}
        for company_id, tier, leads, partners, revenue in self.env.cr.fetchall():
            result.setdefault(company_id, {})[tier] = (int(leads), partners, revenue)
        return result

    def _get_grade_summary(self, query):
        """{company_id: {grade: (leads, partners, expected, prorated)}}; expected
        and prorated revenues are summed per lead, as the CRM pivot does."""
        self.env.cr.execute(
            SQL(
                """
            SELECT %(lead)s.company_id, %(lead)s.prospect_grade, COUNT(*),
                   COUNT(DISTINCT pd_partner.commercial_partner_id),
                   COALESCE(SUM(%(lead)s.expected_revenue), 0),
                   COALESCE(SUM(%(lead)s.prorated_revenue), 0)
              FROM %(from)s
              LEFT JOIN res_partner pd_partner ON pd_partner.id = %(lead)s.partner_id
             WHERE %(where)s
             GROUP BY 1, 2
            """,
                lead=SQL.identifier(query.table),
                **{"from": query.from_clause, "where": self._where(query)},
            )
        )
        result = {}
        for company_id, grade, *values in self.env.cr.fetchall():
            result.setdefault(company_id, {})[grade] = tuple(values)
        return result

    def _get_matrix(self, query):
        """{company_id: {(tier, grade): (leads, expected, prorated)}}."""
        self.env.cr.execute(
            SQL(
                """
            SELECT %(lead)s.company_id, %(lead)s.pyramid_tier,
                   %(lead)s.prospect_grade, COUNT(*),
                   COALESCE(SUM(%(lead)s.expected_revenue), 0),
                   COALESCE(SUM(%(lead)s.prorated_revenue), 0)
              FROM %(from)s
             WHERE %(where)s
             GROUP BY 1, 2, 3
            """,
                lead=SQL.identifier(query.table),
                **{"from": query.from_clause, "where": self._where(query)},
            )
        )
        result = {}
        for company_id, tier, grade, *values in self.env.cr.fetchall():
            result.setdefault(company_id, {})[(tier, grade)] = tuple(values)
        return result

    def _get_salespeople(self, query, company_rows):
        """One row per company and salesperson (and 'Unassigned'): leads per tier
        and grade, contacts due today or overdue (open, not graded E), leads the
        rules advise to abandon."""
        lead = SQL.identifier(query.table)
        today = fields.Date.context_today(self)
        counts = [
            SQL("COUNT(*) FILTER (WHERE %s.pyramid_tier = %s)", lead, code)
            for code, _label in PYRAMID_TIERS
        ] + [
            SQL("COUNT(*) FILTER (WHERE %s.prospect_grade = %s)", lead, code)
            for code, _label in PROSPECT_GRADES
        ]
        self.env.cr.execute(
            SQL(
                """
            SELECT %(lead)s.company_id, %(lead)s.user_id, pd_user_partner.name,
                   COUNT(*),
                   COUNT(*) FILTER (WHERE %(lead)s.next_contact_date <= %(today)s
                                      AND %(lead)s.prospect_grade IS DISTINCT FROM 'e'
                                      AND %(is_open)s),
                   COUNT(*) FILTER (WHERE %(lead)s.abandon_recommended),
                   %(counts)s
              FROM %(from)s
              LEFT JOIN crm_stage pd_stage ON pd_stage.id = %(lead)s.stage_id
              LEFT JOIN res_users pd_user ON pd_user.id = %(lead)s.user_id
              LEFT JOIN res_partner pd_user_partner
                     ON pd_user_partner.id = pd_user.partner_id
             WHERE %(where)s
             GROUP BY 1, 2, 3
            """,
                lead=lead,
                today=today,
                is_open=rules.is_open(query.table, "pd_stage"),
                counts=SQL(", ").join(counts),
                **{"from": query.from_clause, "where": self._where(query)},
            )
        )
        names = {company_id: name for company_id, name, _currency in company_rows}
        unassigned = self.env._("Unassigned")
        rows = []
        tier_codes = [code for code, _label in PYRAMID_TIERS]
        grade_codes = [code for code, _label in PROSPECT_GRADES]
        for (
            company_id,
            user_id,
            user,
            leads,
            due,
            abandon,
            *per,
        ) in self.env.cr.fetchall():
            rows.append(
                {
                    "company": names.get(company_id, ""),
                    "no_company": not company_id,
                    "salesperson": user if user_id else unassigned,
                    "unassigned": not user_id,
                    "leads": leads,
                    "tiers": dict(zip(tier_codes, per[: len(tier_codes)])),  # noqa: B905
                    "grades": dict(zip(grade_codes, per[len(tier_codes) :])),  # noqa: B905
                    "due": due,
                    "abandon": abandon,
                }
            )
        rows.sort(
            key=lambda r: (
                r["no_company"],
                r["company"],
                r["unassigned"],
                r["salesperson"],
            )
        )
        return rows

    def _get_movement_matrix(self, query):
        self.env.cr.execute(
            SQL(
                "SELECT %(h)s.old_value, %(h)s.new_value, COUNT(*) FROM %(from)s"
                " WHERE %(where)s GROUP BY 1, 2",
                h=SQL.identifier(query.table),
                **{"from": query.from_clause, "where": self._where(query)},
            )
        )
        return {(old, new): count for old, new, count in self.env.cr.fetchall()}

    def _iter_movements(self, query, no_company):
        """Tier moves, newest first, by keyset pages; the reason is the history's
        own (translated) computed text."""
        history = SQL.identifier(query.table)
        lang = self.env.lang or "en_US"
        history_model = self.env["prospect.lead.history"]
        after = None
        while True:
            page = SQL()
            if after:
                page = SQL("AND (%s.date, %s.id) < (%s, %s)", history, history, *after)
            self.env.cr.execute(
                SQL(
                    """
                SELECT %(h)s.id, %(h)s.date, COALESCE(pd_company.name, %(no_company)s),
                       COALESCE(pd_commercial.name, pd_partner.name,
                                pd_lead.partner_name),
                       pd_lead.name, %(h)s.old_value, %(h)s.new_value,
                       pd_user_partner.name
                  FROM %(from)s
                  JOIN crm_lead pd_lead ON pd_lead.id = %(h)s.lead_id
                  LEFT JOIN res_company pd_company ON pd_company.id = %(h)s.company_id
                  LEFT JOIN res_partner pd_partner ON pd_partner.id = pd_lead.partner_id
                  LEFT JOIN res_partner pd_commercial
                         ON pd_commercial.id = pd_partner.commercial_partner_id
                  LEFT JOIN res_users pd_user ON pd_user.id = %(h)s.user_id
                  LEFT JOIN res_partner pd_user_partner
                         ON pd_user_partner.id = pd_user.partner_id
                 WHERE %(where)s %(page)s
                 ORDER BY %(h)s.date DESC, %(h)s.id DESC
                 LIMIT %(limit)s
                """,
                    h=history,
                    no_company=no_company,
                    page=page,
                    limit=CHUNK_SIZE // 5,
                    **{"from": query.from_clause, "where": self._where(query)},
                )
            )
            rows = self.env.cr.fetchall()
            if not rows:
                return
            records = history_model.browse([row[0] for row in rows]).with_context(
                lang=lang
            )
            reasons = {record.id: record.reason for record in records}
            records.invalidate_recordset()
            for row in rows:
                yield (*row[1:7], reasons.get(row[0]), row[7])
            after = (rows[-1][1], rows[-1][0])

    def _iter_lead_chunks(self, query, multi_company, no_company):
        """Leads in id order, CHUNK_SIZE at a time (keyset pagination on the record
        rules' query), names joined in SQL in the user's language."""
        lead = SQL.identifier(query.table)
        lang = self.env.lang or "en_US"
        columns = [
            SQL("%s.id", lead),
            SQL("%s.name", lead),
            SQL("COALESCE(pd_commercial.name, pd_partner.name, %s.partner_name)", lead),
            SQL("COALESCE(pd_company.name, %s)", no_company),
            SQL("COALESCE(pd_team.name->>%s, pd_team.name->>'en_US')", lang),
            SQL("pd_user_partner.name"),
            SQL("COALESCE(pd_stage.name->>%s, pd_stage.name->>'en_US')", lang),
            SQL("%s.pyramid_tier", lead),
            SQL("%s.prospect_grade", lead),
            SQL("%s.key_account_colour", lead),
            SQL("%s.pyramid_revenue", lead),
            SQL("%s.expected_revenue", lead),
            SQL("%s.probability", lead),
            SQL("%s.last_contact_date", lead),
            SQL("%s.next_contact_date", lead),
            SQL("%s.contact_urgency", lead),
            SQL("%s.engagement_score", lead),
            SQL("COALESCE(%s.abandon_recommended, FALSE)", lead),
        ]
        if not multi_company:
            del columns[3]
        last_id = 0
        while True:
            self.env.cr.execute(
                SQL(
                    """
                SELECT %(columns)s
                  FROM %(from)s
                  LEFT JOIN res_partner pd_partner
                         ON pd_partner.id = %(lead)s.partner_id
                  LEFT JOIN res_partner pd_commercial
                         ON pd_commercial.id = pd_partner.commercial_partner_id
                  LEFT JOIN res_company pd_company
                         ON pd_company.id = %(lead)s.company_id
                  LEFT JOIN crm_team pd_team ON pd_team.id = %(lead)s.team_id
                  LEFT JOIN res_users pd_user ON pd_user.id = %(lead)s.user_id
                  LEFT JOIN res_partner pd_user_partner
                         ON pd_user_partner.id = pd_user.partner_id
                  LEFT JOIN crm_stage pd_stage ON pd_stage.id = %(lead)s.stage_id
                 WHERE %(where)s AND %(lead)s.id > %(last_id)s
                 ORDER BY %(lead)s.id
                 LIMIT %(limit)s
                """,
                    columns=SQL(", ").join(columns),
                    lead=lead,
                    last_id=last_id,
                    limit=CHUNK_SIZE,
                    **{"from": query.from_clause, "where": self._where(query)},
                )
            )
            rows = self.env.cr.fetchall()
            if not rows:
                return
            yield rows
            last_id = rows[-1][0]

    def _get_key_customers(self, query, flag, no_company):
        """One row per customer (commercial partner and company) whose readable
        leads carry ``flag`` (``prospect_at_risk``, ``prospect_potential_key``),
        the most valuable first; the reason is the lead's own translated text."""
        lead = SQL.identifier(query.table)
        self.env.cr.execute(
            SQL(
                """
            SELECT DISTINCT ON (%(lead)s.company_id,
                                COALESCE(pd_partner.commercial_partner_id,
                                         -%(lead)s.id))
                   %(lead)s.id
              FROM %(from)s
              LEFT JOIN res_partner pd_partner ON pd_partner.id = %(lead)s.partner_id
             WHERE %(where)s AND %(lead)s.%(flag)s
             ORDER BY %(lead)s.company_id,
                      COALESCE(pd_partner.commercial_partner_id, -%(lead)s.id),
                      %(lead)s.id DESC
            """,
                lead=lead,
                flag=SQL.identifier(flag),
                **{"from": query.from_clause, "where": self._where(query)},
            )
        )
        leads = self.env["crm.lead"].browse(row[0] for row in self.env.cr.fetchall())
        rows = [
            {
                "customer": lead.partner_id.commercial_partner_id.name
                or lead.partner_name
                or lead.name,
                "company": lead.company_id.name or no_company,
                "tier": lead.pyramid_tier,
                "projected_tier": lead.pyramid_projected_tier,
                "weighted": lead.prospect_pipeline_weighted,
                "colour": lead.key_account_colour,
                "revenue": lead.pyramid_revenue,
                "revenue_previous": lead.prospect_revenue_previous,
                "last_purchase": lead.prospect_last_purchase,
                "usual_interval": lead.prospect_usual_interval or None,
                "since": lead.prospect_at_risk_since,
                "salesperson": lead.user_id.name,
                "reason": lead.prospect_at_risk_reason
                if flag == "prospect_at_risk"
                else lead.prospect_potential_key_reason,
            }
            for lead in leads
        ]
        key = "revenue" if flag == "prospect_at_risk" else "weighted"
        return sorted(rows, key=lambda row: -(row[key] or 0))

    # ----------------------------------------------------------------- workbook
    def _get_file_name(self):
        today = fields.Date.context_today(self)
        return f"prospect_tier_report_{today.isoformat()}.xlsx"

    def _generate_xlsx(self):
        """The workbook's bytes (tests, mail attachments). Downloads stream from a
        temporary file through the controller instead."""
        output = io.BytesIO()
        self._write_xlsx(output)
        return output.getvalue()

    def _write_xlsx(self, target):
        """Write the workbook into ``target`` (a path or a binary file object).
        Small sheets first, then the Leads sheet streamed chunk by chunk."""
        self.ensure_one()
        self.check_access("read")
        companies = self._get_companies()
        query = self._lead_query()
        history_query = self.env["prospect.lead.history"]._search(
            self._get_history_domain()
        )
        texts = self._get_texts()
        tier_summary = self._get_tier_summary(query)
        company_rows = [
            (company.id, company.name, company.currency_id.name)
            for company in companies
        ]
        if None in tier_summary:
            # amounts of leads without a company are in the current company's
            # currency, as the CRM shows them
            currency = self.env.company.currency_id.name
            company_rows.append((None, texts["no_company"], currency))
        multi_company = len(company_rows) > 1
        writer = TierReportWriter(target, texts, self._get_labels())
        try:
            writer.write_summary(
                company_rows,
                tier_summary,
                self._get_grade_summary(query),
                self._get_filter_lines(companies),
                self._get_key_customers(
                    query, "prospect_potential_key", texts["no_company"]
                ),
            )
            writer.write_at_risk(
                self._get_key_customers(query, "prospect_at_risk", texts["no_company"])
            )
            writer.write_matrix(company_rows, self._get_matrix(query))
            writer.write_salespeople(
                self._get_salespeople(query, company_rows), multi_company
            )
            writer.write_movements(
                self._iter_movements(history_query, texts["no_company"]),
                self._get_movement_matrix(history_query),
                self._get_period_text(),
                multi_company,
            )
            writer.write_leads(
                self._iter_lead_chunks(query, multi_company, texts["no_company"]),
                multi_company,
            )
        finally:
            writer.close()
        return target

    @api.model
    def _get_labels(self):
        """Selection labels in the user's language."""
        lead_fields = self.env["crm.lead"]._fields
        return {
            name: dict(lead_fields[name]._description_selection(self.env))
            for name in (
                "pyramid_tier",
                "prospect_grade",
                "key_account_colour",
                "contact_urgency",
            )
        }

    def _get_period_text(self):
        return self.env._(
            "%(date_from)s – %(date_to)s",
            date_from=self.date_from.isoformat(),
            date_to=self.date_to.isoformat(),
        )

    def _get_filter_lines(self, companies):
        _ = self.env._
        labels = self._get_labels()
        shares = self.env["prospect.settings"]._get_tier_shares()
        lines = [
            _(
                "Exported by %(user)s on %(date)s",
                user=self.env.user.name,
                date=fields.Date.context_today(self).isoformat(),
            ),
            _("Companies: %(names)s", names=", ".join(companies.mapped("name"))),
            _(
                "Sales teams: %(names)s",
                names=", ".join(self.team_ids.mapped("name")) or _("all"),
            ),
            _(
                "Salespeople: %(names)s",
                names=", ".join(self.user_ids.mapped("name")) or _("all"),
            ),
            _(
                "Tiers: %(names)s",
                names=", ".join(labels["pyramid_tier"][c] for c in self._get_tiers())
                or _("all"),
            ),
            _(
                "Grades: %(names)s",
                names=", ".join(labels["prospect_grade"][c] for c in self._get_grades())
                or _("all"),
            ),
            _(
                "Pyramid: super the top %(super)s%% of the customers by revenue, large "
                "the next %(large)s%%, medium the next %(medium)s%%, small the "
                "remaining %(small)s%%.",
                super=shares[0],
                large=shares[1],
                medium=shares[2],
                small=shares[3],
            ),
            _(
                "Revenue: each customer's pyramid revenue over the lookback window, "
                "counted once per customer (commercial partner) and company."
            ),
        ]
        return lines

    def _get_texts(self):
        _ = self.env._
        return {
            "title": _("Customer Pyramid"),
            "none": _("Undefined"),
            "tier": _("Tier"),
            "grade": _("Grade"),
            "leads": _("Leads"),
            "partners": _("Customers"),
            "revenue": _("Revenue in Window"),
            "share": _("Share of Revenue"),
            "lead_share": _("Share of Leads"),
            "total": _("Total"),
            "pareto": _(
                "Top %(share)s%% of customers (super, large, medium): share of revenue",
                share=sum(self.env["prospect.settings"]._get_tier_shares()[:3]),
            ),
            "no_company": _("No company"),
            "chart_title": _("Customer Pyramid"),
            "expected": _("Expected Revenue"),
            "prorated": _("Prorated Revenue"),
            "matrix_title": _("Tiers by Grade"),
            "company": _("Company"),
            "salesperson": _("Salesperson"),
            "unassigned": _("Unassigned"),
            "due": _("Contacts Due"),
            "abandon": _("Abandonment Advised"),
            "date": _("Date"),
            "customer": _("Customer"),
            "lead": _("Lead"),
            "from": _("From"),
            "to": _("To"),
            "reason": _("Reason"),
            "moves_matrix": _("Tier Movements"),
            "no_moves": _("No tier movement in the period."),
            "dynamic": _(
                "Dynamic management: relationships change, tiers are re-divided "
                "regularly, and a new key customer must be noticed the day it "
                "appears."
            ),
            "id": _("ID"),
            "team": _("Sales Team"),
            "stage": _("Stage"),
            "colour": _("Key Account"),
            "probability": _("Probability"),
            "last_contact": _("Last Contact"),
            "next_contact": _("Next Contact"),
            "urgency": _("Urgency"),
            "score": _("Score"),
            "abandon_flag": _("Abandonment Recommended"),
            "yes": _("Yes"),
            "no": _("No"),
            "potential_title": _("Potential Key Customers"),
            "no_potential": _("No potential key customer."),
            "projected_tier": _("Projected Tier"),
            "weighted_pipeline": _("Weighted Pipeline"),
            "revenue_previous": _("Revenue, Window Before"),
            "last_purchase": _("Last Purchase"),
            "usual_interval": _("Usual Interval (days)"),
            "at_risk_since": _("At Risk Since"),
            "no_at_risk": _("No key account at risk."),
        }
