"""Territories and visit rounds (issue 14): the map of customers per area and the
salesperson's round of visits planned as meetings."""

from collections import Counter
from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, TransactionCase, tagged
from odoo.tools import SQL

from odoo.addons.mail.tests.common import mail_new_test_user

from .common import ProspectCase

DEMO_MARKER = "prospect_development.pd_demo_team_key_accounts"


class TestTerritory(ProspectCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.pyramid_company

        def user(login, groups):
            return mail_new_test_user(
                cls.env,
                login=login,
                groups=groups,
                company_id=company.id,
                company_ids=[Command.set(company.ids)],
            )

        salesman = "base.group_user,sales_team.group_sale_salesman"
        cls.user_a = user("territory_a", salesman)
        cls.user_b = user("territory_b", salesman)
        cls.user_leader = user("territory_leader", salesman)
        cls.user_manager = user(
            "territory_manager", "base.group_user,sales_team.group_sale_manager"
        )
        cls.team = cls.env["crm.team"].create(
            {
                "name": "Territory East",
                "user_id": cls.user_leader.id,
                "company_id": company.id,
                "member_ids": [Command.link(cls.user_a.id)],
            }
        )
        cls.team_b = cls.env["crm.team"].create(
            {"name": "Territory North", "company_id": company.id}
        )
        cn = cls.env.ref("base.cn")
        cls.shanghai_super = cls._customer(
            "Pudong Super Co", city="Shanghai", zip="200120", country_id=cn.id,
            phone="+86 21 5555 0001", street="Century Avenue 8",
        )  # fmt: skip
        cls.shanghai_small = cls._customer(
            "Jing'an Small Co", city="Shanghai", zip="200120", country_id=cn.id,
            phone="+86 21 5555 0002",
        )  # fmt: skip
        cls.beijing_large = cls._customer(
            "Chaoyang Large Co", city="Beijing", zip="100020", country_id=cn.id,
            phone="+86 10 5555 0003",
        )  # fmt: skip
        cls.beijing_prospect = cls._customer(
            "Haidian Prospect Co", city="Beijing", zip="100080", country_id=cn.id
        )
        cls.shenzhen_medium = cls._customer(
            "Nanshan Medium Co", city="Shenzhen", zip="518000", country_id=cn.id
        )
        cls.partners = (
            cls.shanghai_super
            + cls.shanghai_small
            + cls.beijing_large
            + cls.beijing_prospect
            + cls.shenzhen_medium
        )
        today = cls.today
        # (partner, salesperson, team, tier, revenue, next contact, expected)
        specs = {
            "overdue": (cls.shanghai_super, cls.user_a, "super", 100000, -2, 5000),
            "super_soon": (cls.shanghai_super, cls.user_a, "super", 100000, 3, 9000),
            "small": (cls.shanghai_small, cls.user_a, "small", 2000, 1, 800),
            "large": (cls.beijing_large, cls.user_a, "large", 50000, 2, 3000),
            "prospect": (cls.beijing_prospect, cls.user_b, "prospect", 0, 0, 1000),
            "far": (cls.shenzhen_medium, cls.user_a, "medium", 20000, 30, 2000),
            "won": (cls.shanghai_small, cls.user_a, "small", 2000, 0, 400),
            "lost": (cls.beijing_large, cls.user_a, "large", 50000, 0, 700),
        }  # fmt: skip
        cls.leads = {}
        for key, (partner, owner, _tier, _rev, _days, expected) in specs.items():
            cls.leads[key] = cls._open_lead(
                f"{partner.name} {key}",
                partner_id=partner.id,
                user_id=owner.id,
                team_id=(cls.team if owner == cls.user_a else cls.team_b).id,
                expected_revenue=expected,
            )
        cls.leads["won"].stage_id = cls.won_stage
        cls.leads["lost"].action_set_lost()
        cls.leads["overdue"].key_account_colour = "red"
        cls.env.flush_all()
        for key, (_partner, _owner, tier, revenue, days, _exp) in specs.items():
            cls.env.cr.execute(
                SQL(
                    "UPDATE crm_lead SET pyramid_tier = %s, pyramid_revenue = %s, "
                    "next_contact_date = %s WHERE id = %s",
                    tier,
                    revenue,
                    today + timedelta(days=days),
                    cls.leads[key].id,
                )
            )
        cls.env.invalidate_all()
        cls.next_monday = today + timedelta(days=7 - today.weekday())

    # -----------------------------------------------------------------------------
    # territory report
    # -----------------------------------------------------------------------------

    def _rows(self, user=None):
        Report = self.env["prospect.territory.report"]
        if user:
            Report = Report.with_user(user)
        return Report.search([("partner_id", "in", self.partners.ids)])

    def test_report_rows_counts_revenue(self):
        rows = self._rows(self.user_manager)
        by_partner = {row.partner_id: row for row in rows}
        # one row per customer and salesperson; the lost lead's customer keeps the
        # row of its open lead, the won lead counts in its customer's row
        self.assertEqual(len(rows), 5)
        pudong = by_partner[self.shanghai_super]
        self.assertEqual(pudong.city, "Shanghai")
        self.assertEqual(pudong.zip, "200120")
        self.assertEqual(pudong.phone, "+86 21 5555 0001")
        self.assertEqual(pudong.pyramid_tier, "super")
        self.assertEqual(pudong.pyramid_revenue, 100000)
        self.assertEqual(pudong.key_account_colour, "red")
        self.assertTrue(pudong.is_key_account)
        self.assertEqual(pudong.open_leads, 2)
        self.assertEqual(pudong.due_leads, 1, "the overdue one only")
        self.assertEqual(pudong.expected_revenue, 14000)
        self.assertEqual(pudong.next_contact_date, self.today - timedelta(days=2))
        self.assertEqual(pudong.user_id, self.user_a)
        self.assertEqual(pudong.team_id, self.team)
        jingan = by_partner[self.shanghai_small]
        self.assertEqual((jingan.open_leads, jingan.due_leads), (1, 0))
        self.assertEqual(jingan.expected_revenue, 800, "the won deal is not open")
        self.assertEqual(by_partner[self.beijing_large].open_leads, 1, "lost: out")
        self.assertEqual(by_partner[self.beijing_prospect].due_leads, 1)
        self.assertEqual(by_partner[self.beijing_prospect].due_week_leads, 1)
        self.assertEqual(by_partner[self.shenzhen_medium].due_week_leads, 0)

        # the pivot: cities by tier, customers and revenue
        groups = self.env["prospect.territory.report"]._read_group(
            [("partner_id", "in", self.partners.ids)],
            ["city"],
            ["customer_count:sum", "pyramid_revenue:sum", "due_leads:sum"],
        )
        self.assertEqual(
            {city: (count, revenue, due) for city, count, revenue, due in groups},
            {
                "Shanghai": (2, 102000, 1),
                "Beijing": (2, 50000, 1),
                "Shenzhen": (1, 20000, 0),
            },
        )
        tiers = self.env["prospect.territory.report"]._read_group(
            [("partner_id", "in", self.partners.ids)], ["pyramid_tier"], ["__count"]
        )
        self.assertEqual(
            [tier for tier, _count in tiers],
            ["super", "large", "medium", "small", "prospect"],
            "tiers in the pyramid's order",
        )

    def test_customer_of_two_salespeople_counted_once(self):
        self._open_lead(
            "Second salesperson",
            partner_id=self.shanghai_super.id,
            user_id=self.user_b.id,
            team_id=self.team_b.id,
        )
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE crm_lead SET pyramid_tier = 'super', pyramid_revenue = 100000"
                " WHERE partner_id = %s",
                self.shanghai_super.id,
            )
        )
        rows = self._rows(self.user_manager).filtered(
            lambda row: row.partner_id == self.shanghai_super
        )
        self.assertEqual(rows.user_id, self.user_a + self.user_b)
        self.assertEqual(sum(rows.mapped("customer_count")), 1)
        self.assertEqual(sum(rows.mapped("pyramid_revenue")), 100000)

    def test_report_record_rules(self):
        self.assertEqual(
            self._rows(self.user_a).partner_id,
            self.shanghai_super
            + self.shanghai_small
            + self.beijing_large
            + self.shenzhen_medium,
            "a salesperson: their own customers",
        )
        self.assertEqual(self._rows(self.user_b).partner_id, self.beijing_prospect)
        self.assertEqual(
            self._rows(self.user_leader).partner_id,
            self._rows(self.user_a).partner_id,
            "a team leader: their team's customers",
        )
        self.assertEqual(self._rows(self.user_manager).partner_id, self.partners)
        other_company = mail_new_test_user(
            self.env,
            login="territory_elsewhere",
            groups="base.group_user,sales_team.group_sale_manager",
            company_id=self.env.ref("base.main_company").id,
            company_ids=[Command.set(self.env.ref("base.main_company").ids)],
        )
        self.assertFalse(self._rows(other_company), "another company: nothing")

    def test_report_pdf_per_area(self):
        rows = self._rows(self.user_manager)
        content, _kind = (
            self.env["ir.actions.report"]
            .with_user(self.user_manager)
            ._render_qweb_pdf(
                "prospect_development.report_prospect_territory", rows.ids
            )
        )
        html = content.decode()
        for text in ("Shanghai", "Beijing", "Shenzhen", "Pudong Super Co", "200120"):
            self.assertIn(text, html)
        # per area: Beijing's customers come under Beijing, before Shanghai's
        self.assertLess(html.index("Chaoyang Large Co"), html.index("Shanghai"))
        self.assertLess(html.index("Pudong Super Co"), html.index("an Small Co"))

    def test_report_views_open(self):
        Report = self.env["prospect.territory.report"].with_user(self.user_a)
        for view_type in ("pivot", "graph", "list", "search"):
            Report.get_view(view_type=view_type)
        Report.read_group(
            [], ["customer_count:sum"], ["city", "pyramid_tier"], lazy=False
        )

    # -----------------------------------------------------------------------------
    # visit round
    # -----------------------------------------------------------------------------

    def _round(self, user, **values):
        return (
            self.env["prospect.visit.round.wizard"]
            .with_user(user)
            .create({"date_start": self.next_monday, **values})
        )

    def test_round_grouped_by_area_most_valuable_first(self):
        wizard = self._round(self.user_a)
        self.assertEqual(wizard.user_id, self.user_a)
        self.assertEqual(
            [(area.name, area.lead_count) for area in wizard.area_ids],
            [("200120 Shanghai", 3), ("100020 Beijing", 1)],
            "the busiest area first; far-future, won and lost leads are out",
        )
        self.assertEqual(
            wizard.line_ids.lead_id.mapped("name"),
            [
                self.leads["super_soon"].name,  # super, highest expected revenue
                self.leads["overdue"].name,
                self.leads["small"].name,
                self.leads["large"].name,
            ],
        )
        first = wizard.line_ids[0]
        self.assertEqual(first.customer, "Pudong Super Co")
        self.assertEqual(first.street, "Century Avenue 8")
        self.assertEqual(first.phone, "+86 21 5555 0001")
        # one area per working day from the first day
        self.assertEqual(
            wizard.area_ids.mapped("visit_date"),
            [self.next_monday, self.next_monday + timedelta(days=1)],
        )
        # a longer horizon brings the far lead in
        wizard.days_ahead = 30
        self.assertIn(self.leads["far"], wizard.line_ids.lead_id)

    def test_plan_round_once(self):
        wizard = self._round(self.user_a)
        tuesday = self.next_monday + timedelta(days=1)
        wednesday = self.next_monday + timedelta(days=2)
        # the salesperson swaps the days
        shanghai, beijing = wizard.area_ids
        wizard.write(
            {
                "area_ids": [
                    Command.update(shanghai.id, {"visit_date": wednesday}),
                    Command.update(beijing.id, {"visit_date": tuesday}),
                ]
            }
        )
        action = wizard.action_plan()
        self.assertEqual(action["params"]["type"], "success")
        meeting = self.env.ref("mail.mail_activity_data_meeting")
        round_leads = (
            self.leads["overdue"]
            + self.leads["super_soon"]
            + self.leads["small"]
            + self.leads["large"]
        )
        activities = self.env["mail.activity"].search(
            [
                ("res_model", "=", "crm.lead"),
                ("res_id", "in", round_leads.ids),
                ("activity_type_id", "=", meeting.id),
            ]
        )
        self.assertEqual(len(activities), 4)
        self.assertEqual(activities.user_id, self.user_a)
        by_lead = {activity.res_id: activity for activity in activities}
        shanghai_visit = by_lead[self.leads["small"].id]
        self.assertEqual(shanghai_visit.date_deadline, wednesday)
        self.assertEqual(shanghai_visit.summary, "Visit round: Shanghai")
        self.assertEqual(by_lead[self.leads["large"].id].date_deadline, tuesday)
        self.assertEqual(
            by_lead[self.leads["large"].id].summary, "Visit round: Beijing"
        )
        # in the salesperson's activity menu
        systray = self.env["res.users"].with_user(self.user_a)._get_activity_groups()
        crm_group = next(group for group in systray if group["model"] == "crm.lead")
        self.assertGreaterEqual(crm_group["planned_count"], 4)

        # twice: nothing more
        again = self._round(self.user_a)
        activities_again, skipped = again._action_plan()
        self.assertFalse(activities_again)
        self.assertEqual(skipped, round_leads)
        self.assertEqual(
            self.env["mail.activity"].search_count(
                [
                    ("res_model", "=", "crm.lead"),
                    ("res_id", "in", round_leads.ids),
                    ("activity_type_id", "=", meeting.id),
                ]
            ),
            4,
        )

    def test_area_without_day_not_planned(self):
        wizard = self._round(self.user_a)
        wizard.area_ids[1].visit_date = False  # Beijing left out
        activities, _skipped = wizard._action_plan()
        self.assertEqual(len(activities), 3)
        self.assertNotIn(self.leads["large"].id, activities.mapped("res_id"))

    def test_only_manager_plans_for_another(self):
        with self.assertRaises(AccessError):
            self._round(self.user_a, user_id=self.user_b.id)
        wizard = self._round(self.user_manager, user_id=self.user_b.id)
        self.assertEqual(wizard.line_ids.lead_id, self.leads["prospect"])
        activities, _skipped = wizard._action_plan()
        self.assertEqual(activities.user_id, self.user_b)
        self.assertEqual(activities.res_id, self.leads["prospect"].id)
        self.assertEqual(activities.summary, "Visit round: Beijing")

    def test_round_print(self):
        wizard = self._round(self.user_a)
        content, _kind = (
            self.env["ir.actions.report"]
            .with_user(self.user_a)
            ._render_qweb_pdf(
                "prospect_development.report_prospect_visit_round", wizard.ids
            )
        )
        html = content.decode()
        for text in ("Shanghai", "Beijing", "Pudong Super Co", "+86 10 5555 0003"):
            self.assertIn(text, html)
        self.assertLess(html.index("Shanghai"), html.index("Beijing"))


@tagged("post_install", "-at_install")
class TestVisitRoundUi(HttpCase):
    def test_salesperson_plans_a_visit_round(self):
        salesman = mail_new_test_user(
            self.env,
            login="pd_round_salesman",
            name="Round Salesman",
            groups="sales_team.group_sale_salesman",
            tz="UTC",
        )
        cn = self.env.ref("base.cn")
        places = [
            ("Pudong Tour Co", "Shanghai", "200120", "+86 21 5555 0101", 90000),
            ("Xuhui Tour Co", "Shanghai", "200120", "+86 21 5555 0102", 1000),
            ("Chaoyang Tour Co", "Beijing", "100020", "+86 10 5555 0103", 5000),
        ]
        leads = self.env["crm.lead"]
        for name, city, postcode, phone, revenue in places:
            partner = self.env["res.partner"].create(
                {
                    "name": name,
                    "is_company": True,
                    "city": city,
                    "zip": postcode,
                    "phone": phone,
                    "country_id": cn.id,
                }
            )
            leads |= self.env["crm.lead"].create(
                {
                    "name": f"Visit {name}",
                    "type": "opportunity",
                    "partner_id": partner.id,
                    "user_id": salesman.id,
                    "expected_revenue": revenue,
                }
            )
        today = fields.Date.today()
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE crm_lead SET next_contact_date = %s, pyramid_revenue = "
                "expected_revenue WHERE id = ANY(%s)",
                today + timedelta(days=1),
                leads.ids,
            )
        )
        self.env.invalidate_all()
        self.start_tour(
            "/odoo", "prospect_development_visit_round_tour", login=salesman.login
        )
        meeting = self.env.ref("mail.mail_activity_data_meeting")
        activities = self.env["mail.activity"].search(
            [
                ("res_model", "=", "crm.lead"),
                ("res_id", "in", leads.ids),
                ("activity_type_id", "=", meeting.id),
            ]
        )
        self.assertEqual(len(activities), 3)
        self.assertEqual(activities.user_id, salesman)
        first_day = today + timedelta(days=1)
        while first_day.weekday() >= 5:
            first_day += timedelta(days=1)
        shanghai = activities.filtered(
            lambda act: act.summary == "Visit round: Shanghai"
        )
        self.assertEqual(len(shanghai), 2)
        self.assertEqual(set(shanghai.mapped("date_deadline")), {first_day})
        beijing = activities - shanghai
        self.assertEqual(beijing.summary, "Visit round: Beijing")
        self.assertGreater(beijing.date_deadline, first_day)


@tagged("post_install", "-at_install")
class TestTerritoryDemo(TransactionCase):
    """The demo as a salesperson sees it (skipped without demo data)."""

    def setUp(self):
        super().setUp()
        if not self.env.ref(DEMO_MARKER, raise_if_not_found=False):
            self.skipTest("the database has no demo data")

    def test_demo_visit_round_in_two_cities(self):
        lei = self.env.ref("prospect_development.pd_demo_user_lei_wang")
        wizard = self.env["prospect.visit.round.wizard"].with_user(lei).create({})
        leads_per_city = Counter(wizard.line_ids.lead_id.mapped("city"))
        busy = [city for city, count in leads_per_city.items() if city and count >= 2]
        self.assertGreaterEqual(len(busy), 2, leads_per_city)
        self.assertTrue(all(wizard.line_ids.mapped("phone")))

    def test_demo_customers_have_postcodes_and_states(self):
        customers = self.env["res.partner"].search(
            [("is_company", "=", True), ("email", "=like", "%.example")]
        )
        self.assertTrue(customers)
        self.assertTrue(all(customers.mapped("zip")))
        chinese = customers.filtered(lambda partner: partner.country_id.code == "CN")
        self.assertTrue(chinese and all(chinese.mapped("state_id")))
        manager = self.env.ref("prospect_development.pd_demo_user_margaret_lin")
        rows = self.env["prospect.territory.report"].with_user(manager).search([])
        self.assertGreaterEqual(len(set(rows.mapped("city"))), 10)
