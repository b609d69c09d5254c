from datetime import timedelta

from odoo import fields
from odoo.tools import SQL

from odoo.addons.crm.tests.common import TestCrmCommon


def age_records(env, tables, days=2):
    """Make every row of ``tables`` look saved ``days`` days ago: an incremental
    night of the rescoring then sees only what a test changes next."""
    env.flush_all()
    for table in tables:
        env.cr.execute(
            SQL(
                "UPDATE %s SET write_date = write_date - make_interval(days => %s),"
                " create_date = create_date - make_interval(days => %s)",
                SQL.identifier(table),
                days,
                days,
            )
        )
    env.invalidate_all()


class ProspectCase(TestCrmCommon):
    """CRM test users and teams, plus a company of our own so that rankings are not
    mixed with whatever else the database holds (tiers are per company)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # one "today" for everyone: crm's test users have no time zone (UTC), while
        # the superuser of a demo database lives in Brussels, a day ahead at night
        cls.env.user.tz = False
        cls.today = fields.Date.context_today(cls.env["crm.lead"])
        cls.pyramid_company = cls.env["res.company"].create(
            {"name": "Pyramid Test Company", "currency_id": cls.env.ref("base.USD").id}
        )
        (
            cls.user_sales_salesman + cls.user_sales_leads + cls.user_sales_manager
        ).company_ids |= cls.pyramid_company
        cls.won_stage = cls.env["crm.stage"].create(
            {"name": "Pyramid Won", "is_won": True, "sequence": 1000}
        )
        cls.open_stage = cls.env["crm.stage"].create(
            {"name": "Pyramid Open", "sequence": 1}
        )

    @classmethod
    def _customer(cls, name, **values):
        return cls.env["res.partner"].create(
            {"name": name, "is_company": True, **values}
        )

    @classmethod
    def _won_deals(cls, partner_revenues, days_ago=30, company=None):
        """One won opportunity per (partner, revenue), closed ``days_ago`` days ago."""
        company = company or cls.pyramid_company
        leads = cls.env["crm.lead"].create(
            [
                {
                    "name": f"Deal {partner.name}",
                    "type": "opportunity",
                    "partner_id": partner.id,
                    "expected_revenue": revenue,
                    "company_id": company.id,
                    "stage_id": cls.open_stage.id,
                }
                for partner, revenue in partner_revenues
            ]
        )
        leads.write({"stage_id": cls.won_stage.id})
        leads.write({"date_closed": fields.Datetime.now() - timedelta(days=days_ago)})
        return leads

    @classmethod
    def _open_lead(cls, name, **values):
        return cls.env["crm.lead"].create(
            {
                "name": name,
                "type": "opportunity",
                "company_id": cls.pyramid_company.id,
                "stage_id": cls.open_stage.id,
                **values,
            }
        )

    def _salesman_lead(self, **values):
        """An opportunity the salesperson creates for themselves."""
        return (
            self.env["crm.lead"]
            .with_user(self.user_sales_salesman)
            .create(
                {
                    "name": "Salesman lead",
                    "type": "opportunity",
                    "user_id": self.user_sales_salesman.id,
                    **values,
                }
            )
        )

    def _set_params(self, **values):
        params = self.env["ir.config_parameter"].sudo()
        for key, value in values.items():
            params.set_param(f"prospect_development.{key}", value)


class SequenceCase(ProspectCase):
    """A two-step direct-mail sequence and a prospect of a customer company."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Enrollment = cls.env["prospect.sequence.enrollment"]
        # the demo's sequences enrol by their own rules: not in these tests
        cls.env["prospect.sequence"].search([]).auto_enroll = False
        cls.call_type = cls.env.ref("mail.mail_activity_data_call")
        cls.sequence = cls.env["prospect.sequence"].create(
            {
                "name": "Test Direct Mail",
                "step_ids": [
                    (
                        0,
                        0,
                        {
                            "sequence": 1,
                            "name": "Introduction",
                            "delay_days": 0,
                            "template_id": cls.env.ref(
                                "prospect_development.mail_template_dm_company_intro"
                            ).id,
                        },
                    ),
                    (
                        0,
                        0,
                        {
                            "sequence": 2,
                            "name": "Newsletter",
                            "delay_days": 10,
                            "template_id": cls.env.ref(
                                "prospect_development.mail_template_dm_newsletter"
                            ).id,
                            "activity_type_id": cls.call_type.id,
                            "activity_summary": "Ask for their opinion",
                            "activity_delay_days": 3,
                        },
                    ),
                ],
            }
        )
        cls.step_intro, cls.step_news = cls.sequence.step_ids.sorted()
        cls.prospect_company = cls._customer(
            "Lotus Trading", email="info@lotus-trading.example.com"
        )
        cls.prospect = cls.env["res.partner"].create(
            {
                "name": "Li Na",
                "email": "li.na@lotus-trading.example.com",
                "parent_id": cls.prospect_company.id,
            }
        )

    def _lead(self, name="Lotus opportunity", **values):
        return self._open_lead(
            name,
            **{
                "partner_id": self.prospect.id,
                "user_id": self.user_sales_salesman.id,
                "team_id": self.sales_team_1.id,
                **values,
            },
        )

    def _enrol(self, leads):
        return self.Enrollment.create(
            [{"lead_id": lead.id, "sequence_id": self.sequence.id} for lead in leads]
        )

    def _queued(self, leads):
        return (
            self.env["mail.mail"]
            .sudo()
            .search(
                [
                    ("model", "=", "crm.lead"),
                    ("res_id", "in", leads.ids),
                    ("mail_message_id.message_type", "=", "email_outgoing"),
                ]
            )
        )
