import io
import re
from datetime import timedelta
from unittest.mock import patch

import openpyxl

from odoo import fields
from odoo.tests import HttpCase, tagged, users
from odoo.tools import SQL, config

from odoo.addons.mail.tests.common import mail_new_test_user

from ..controllers.tier_report import ProspectTierReportController
from .common import ProspectCase

SHEETS = [
    "Summary",
    "At Risk",
    "Tier x Grade",
    "By Salesperson",
    "Movements",
    "Leads",
]


def read_workbook(data):
    return openpyxl.load_workbook(io.BytesIO(data), read_only=False)


def rows(sheet):
    return [
        [value for value in row]
        for row in sheet.iter_rows(values_only=True)
        if any(value is not None for value in row)
    ]


def records(sheet):
    """Rows of a sheet whose first row is the header, as {header: value}."""
    header, *body = sheet.iter_rows(values_only=True)
    return [dict(zip(header, row)) for row in body if row[0] is not None]  # noqa: B905


def table(sheet, header):
    """{first cell: row} of the table whose header row starts with ``header``
    (``sheet`` a worksheet, or rows of values)."""
    found, result = False, {}
    lines = sheet.iter_rows(values_only=True) if hasattr(sheet, "iter_rows") else sheet
    for row in lines:
        if not found:
            found = row[0] == header
            continue
        if row[0] is None:
            break
        result[row[0]] = row
    return result


@tagged("post_install", "-at_install")
class TestTierReport(ProspectCase):
    """The Excel tier report shows each user the pyramid of the leads they may read:
    a Sales manager every team, a team leader their team, a salesperson their own
    and unassigned leads; never another company's."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.pyramid_company
        cls.other_company = cls.env["res.company"].create({"name": "Other Region"})
        cls.team_leader = mail_new_test_user(
            cls.env,
            login="pd_team_leader",
            name="Tier Team Leader",
            groups="sales_team.group_sale_salesman_all_leads",
            company_id=cls.company.id,
            company_ids=[(6, 0, [cls.company.id, cls.env.company.id])],
        )
        cls.seller_2 = mail_new_test_user(
            cls.env,
            login="pd_seller_2",
            name="Second Seller",
            groups="sales_team.group_sale_salesman",
            company_id=cls.company.id,
            company_ids=[(6, 0, [cls.company.id, cls.env.company.id])],
        )
        cls.team_north = cls.env["crm.team"].create(
            {
                "name": "Pyramid North",
                "company_id": False,
                "user_id": cls.team_leader.id,
                "member_ids": [(6, 0, [cls.user_sales_salesman.id, cls.seller_2.id])],
            }
        )
        cls.team_south = cls.env["crm.team"].create(
            {"name": "Pyramid South", "company_id": False}
        )
        big = cls._customer("Tier Big Buyer")
        mid = cls._customer("Tier Mid Buyer")
        small = cls._customer("Tier Small Buyer")
        cls.lead_super_1 = cls._open_lead(
            "Tier super one",
            partner_id=big.id,
            user_id=cls.user_sales_salesman.id,
            team_id=cls.team_north.id,
            expected_revenue=5000,
            probability=50,
        )
        cls.lead_super_2 = cls._open_lead(
            "Tier super two",
            partner_id=big.id,
            user_id=cls.user_sales_salesman.id,
            team_id=cls.team_north.id,
            expected_revenue=3000,
            probability=10,
        )
        cls.lead_large = cls._open_lead(
            "Tier large",
            partner_id=mid.id,
            user_id=cls.seller_2.id,
            team_id=cls.team_north.id,
            expected_revenue=2000,
            probability=20,
        )
        cls.lead_small = cls._open_lead(
            "Tier small of the manager",
            partner_id=small.id,
            user_id=cls.user_sales_manager.id,
            team_id=cls.team_south.id,
            expected_revenue=700,
            probability=10,
        )
        cls.lead_unassigned = cls._open_lead(
            "Tier unassigned suspect", user_id=False, team_id=False
        )
        cls.lead_other_company = cls.env["crm.lead"].create(
            {
                "name": "Tier other region super",
                "type": "opportunity",
                "company_id": cls.other_company.id,
                "user_id": False,
                "partner_id": big.id,
            }
        )
        cls._set_pyramid(cls.lead_super_1 + cls.lead_super_2, "super", 100000, "a")
        cls._set_pyramid(cls.lead_large, "large", 30000, "b")
        cls._set_pyramid(cls.lead_small, "small", 1000, "d")
        cls._set_pyramid(cls.lead_unassigned, "suspect", 0, "d")
        cls._set_pyramid(cls.lead_other_company, "super", 999999, "a")
        history = cls.env["prospect.lead.history"]
        cls.move_large = history.create(
            {
                "lead_id": cls.lead_large.id,
                "company_id": cls.company.id,
                "user_id": cls.seller_2.id,
                "team_id": cls.team_north.id,
                "date": cls.today - timedelta(days=10),
                "kind": "tier",
                "old_value": "small",
                "new_value": "large",
                "revenue": 30000,
                "rank": 2,
                "customer_count": 3,
            }
        )
        cls.move_old = history.create(
            {
                "lead_id": cls.lead_large.id,
                "company_id": cls.company.id,
                "user_id": cls.seller_2.id,
                "date": cls.today - timedelta(days=200),
                "kind": "tier",
                "old_value": "suspect",
                "new_value": "small",
            }
        )
        cls.move_manager = history.create(
            {
                "lead_id": cls.lead_small.id,
                "company_id": cls.company.id,
                "user_id": cls.user_sales_manager.id,
                "team_id": cls.team_south.id,
                "date": cls.today - timedelta(days=5),
                "kind": "tier",
                "old_value": "medium",
                "new_value": "small",
            }
        )

    @classmethod
    def _set_pyramid(cls, leads, tier, revenue, grade):
        """Tiers are the rescoring engine's to write: set them as it does, in SQL."""
        leads.flush_recordset()
        cls.env.cr.execute(
            SQL(
                "UPDATE crm_lead SET pyramid_tier = %s, pyramid_revenue = %s,"
                " prospect_grade = %s WHERE id = ANY(%s)",
                tier,
                revenue,
                grade,
                leads.ids,
            )
        )
        leads.invalidate_recordset()

    def _export(self, **values):
        wizard = self.env["prospect.tier.report.wizard"].create(
            {"company_ids": [(6, 0, [self.company.id])], **values}
        )
        return wizard, read_workbook(wizard._generate_xlsx())

    def _lead_names(self, workbook):
        sheet = workbook["Leads"]
        header = next(sheet.iter_rows(max_row=1, values_only=True))
        column = header.index("Lead")
        return [row[column] for row in sheet.iter_rows(min_row=2, values_only=True)]

    def _visible_domain(self):
        """What the CRM shows in the company: its leads and those of no company."""
        return ["|", ("company_id", "=", False), ("company_id", "=", self.company.id)]

    def _company_domain(self):
        """The company's block of the Summary."""
        return [("company_id", "=", self.company.id)]

    def _people(self, workbook):
        """By Salesperson rows of the company, by salesperson."""
        return {
            line["Salesperson"]: line
            for line in records(workbook["By Salesperson"])
            if line.get("Company", self.company.name) == self.company.name
        }

    def _moves(self, workbook):
        """Movements of the list (not the matrix beside it)."""
        return [line for line in records(workbook["Movements"]) if line["Date"]]

    def _assert_tiers_match_odoo(self, workbook, domain):
        """Leads per tier in the Summary equal what the pivot shows the user."""
        groups = self.env["crm.lead"]._read_group(domain, ["pyramid_tier"], ["__count"])
        expected = {tier: count for tier, count in groups}
        labels = dict(
            self.env["crm.lead"]
            ._fields["pyramid_tier"]
            ._description_selection(self.env)
        )
        summary = table(workbook["Summary"], "Tier")
        for code, label in labels.items():
            self.assertEqual(summary[label][1], expected.get(code, 0), label)
        self.assertEqual(summary["Total"][1], sum(expected.values()))

    @users("user_sales_manager")
    def test_manager_sees_every_team(self):
        wizard, workbook = self._export()
        self.assertEqual(workbook.sheetnames, SHEETS)
        self.assertFalse(wizard.team_ids, "headquarters start from every team")
        self._assert_tiers_match_odoo(workbook, self._company_domain())
        summary = table(workbook["Summary"], "Tier")
        # two leads of one customer: one customer, its revenue counted once
        self.assertEqual(summary["Super"][1:4], (2, 1, 100000))
        self.assertEqual(summary["Large"][1:4], (1, 1, 30000))
        self.assertEqual(summary["Small"][1:4], (1, 1, 1000))
        self.assertEqual(summary["Suspect"][1:4], (1, 0, 0))
        self.assertAlmostEqual(summary["Super"][4], 100000 / 131000)
        self.assertEqual(summary["Total"][3], 131000)
        grades = table(workbook["Summary"], "Grade")
        self.assertEqual(grades["A"][1:5], (2, 1, 8000, 2800))
        self.assertEqual(workbook["Summary"]._charts[0].type, "bar")
        # Tier x Grade: counts, then expected revenue
        matrix = workbook["Tier x Grade"]
        counts = table(matrix, "Tier \\ Grade")
        self.assertEqual(counts["Super"][1:7], (2, 0, 0, 0, 0, 2))
        self.assertEqual(
            counts["Total"][6],
            self.env["crm.lead"].search_count(self._company_domain()),
        )
        self.assertTrue(matrix.conditional_formatting)
        # By Salesperson: every salesperson, and the unassigned leads
        people = self._people(workbook)
        self.assertEqual(
            set(people),
            {
                self.user_sales_salesman.name,
                self.seller_2.name,
                self.user_sales_manager.name,
                "Unassigned",
            },
        )
        line = people[self.user_sales_salesman.name]
        self.assertEqual((line["Leads"], line["Super"]), (2, 2))
        # Movements of the period only, with the rescoring's reason
        header = next(workbook["Movements"].iter_rows(max_row=1, values_only=True))
        self.assertEqual(
            [title for title in header[:8] if title != "Company"],
            ["Date", "Customer", "Lead", "From", "To", "Reason", "Salesperson"],
        )
        moves = self._moves(workbook)
        leads_moved = [
            move["Lead"] for move in moves if move["From"] in ("Small", "Medium")
        ]
        self.assertEqual(leads_moved, ["Tier small of the manager", "Tier large"])
        large_move = next(move for move in moves if move["Lead"] == "Tier large")
        self.assertEqual(large_move["Reason"], self.move_large.reason)
        self.assertIn("rank 2 of 3", large_move["Reason"])
        # Leads: one row per lead the manager may read
        self.assertCountEqual(
            self._lead_names(workbook),
            self.env["crm.lead"].search(self._visible_domain()).mapped("name"),
        )
        leads = workbook["Leads"]
        self.assertEqual(leads.freeze_panes, "C2")
        self.assertTrue(leads.auto_filter.ref)

    @users("pd_team_leader")
    def test_team_leader_sees_their_team(self):
        wizard, workbook = self._export()
        self.assertEqual(wizard.team_ids, self.team_north)
        domain = [*self._company_domain(), ("team_id", "=", self.team_north.id)]
        self._assert_tiers_match_odoo(workbook, domain)
        self.assertCountEqual(
            self._lead_names(workbook),
            ["Tier super one", "Tier super two", "Tier large"],
        )
        people = self._people(workbook)
        self.assertEqual(
            set(people), {self.user_sales_salesman.name, self.seller_2.name}
        )
        moves = [move["Lead"] for move in self._moves(workbook)]
        self.assertIn("Tier large", moves)
        self.assertNotIn("Tier small of the manager", moves)
        # without the team filter the leader sees what Odoo's rules give them:
        # "all documents", as in the CRM itself
        _wizard, workbook = self._export(team_ids=[(5, 0, 0)])
        self.assertEqual(
            len(self._lead_names(workbook)),
            self.env["crm.lead"].search_count(self._visible_domain()),
        )

    @users("user_sales_salesman")
    def test_salesperson_sees_own_and_unassigned(self):
        _wizard, workbook = self._export()
        visible = self.env["crm.lead"].search(self._visible_domain())
        self.assertEqual(
            visible.mapped("user_id"), self.env.user, "own (or no) salesperson"
        )
        names = self._lead_names(workbook)
        self.assertCountEqual(
            names, self.env["crm.lead"].search(self._visible_domain()).mapped("name")
        )
        self.assertCountEqual(
            self.env["crm.lead"].search(self._company_domain()).mapped("name"),
            ["Tier super one", "Tier super two", "Tier unassigned suspect"],
        )
        self._assert_tiers_match_odoo(workbook, self._company_domain())
        people = self._people(workbook)
        self.assertEqual(set(people), {self.env.user.name, "Unassigned"})
        moves = self._moves(workbook)
        self.assertFalse(
            {"Tier large", "Tier small of the manager"}
            & {move.get("Lead") for move in moves},
            "moves of other salespeople's leads",
        )
        if not self.env["prospect.lead.history"].search_count([("kind", "=", "tier")]):
            self.assertEqual(moves[0]["Date"], "No tier movement in the period.")
        # filters narrow, never widen
        _wizard, workbook = self._export(tier_suspect=True)
        suspects = [*self._visible_domain(), ("pyramid_tier", "=", "suspect")]
        self.assertIn("Tier unassigned suspect", self._lead_names(workbook))
        self.assertCountEqual(
            self._lead_names(workbook),
            self.env["crm.lead"].search(suspects).mapped("name"),
        )

    @users("user_sales_salesman")
    def test_other_company_never_appears(self):
        # even when asked for, a company the user does not work in is left out
        wizard = self.env["prospect.tier.report.wizard"].create(
            {"company_ids": [(6, 0, [self.company.id])]}
        )
        wizard.sudo().company_ids |= self.other_company
        workbook = read_workbook(wizard._generate_xlsx())
        self.assertNotIn("Tier other region super", self._lead_names(workbook))
        self.assertNotIn("Other Region", str(rows(workbook["Summary"])))
        summary = table(workbook["Summary"], "Tier")
        self.assertEqual(summary["Super"][1:4], (2, 1, 100000))

    def test_multi_company_blocks(self):
        """A manager exporting two companies gets one block per company, each in its
        own currency, and a Company column in the Leads sheet."""
        self.user_sales_manager.company_ids |= self.other_company
        wizard = (
            self.env["prospect.tier.report.wizard"]
            .with_user(self.user_sales_manager)
            .with_context(allowed_company_ids=[self.company.id, self.other_company.id])
            .create({})
        )
        workbook = read_workbook(wizard._generate_xlsx())
        titles = [row[0] for row in rows(workbook["Summary"])]
        self.assertIn("Pyramid Test Company (USD)", titles)
        self.assertIn(f"Other Region ({self.other_company.currency_id.name})", titles)
        leads = workbook["Leads"]
        header = next(leads.iter_rows(max_row=1, values_only=True))
        self.assertIn("Company", header)
        companies = {
            row[header.index("Lead")]: row[header.index("Company")]
            for row in leads.iter_rows(min_row=2, values_only=True)
        }
        self.assertEqual(companies["Tier other region super"], "Other Region")
        self.assertEqual(companies["Tier large"], "Pyramid Test Company")

    def test_chinese_labels(self):
        """Headers and labels follow the user's language; sheet names stay."""
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(
            ["prospect_development"], ["zh_CN"], overwrite=True
        )
        wizard = (
            self.env["prospect.tier.report.wizard"]
            .with_user(self.user_sales_manager)
            .with_context(lang="zh_CN")
            .create({"company_ids": [(6, 0, [self.company.id])]})
        )
        workbook = read_workbook(wizard._generate_xlsx())
        self.assertEqual(workbook.sheetnames, SHEETS)
        first_column = [row[0] for row in rows(workbook["Summary"])]
        self.assertIn("超级客户", first_column)
        leads = list(workbook["Leads"].iter_rows(min_row=2, values_only=True))
        self.assertIn("超级客户", {value for row in leads for value in row})

    @users("user_sales_salesman")
    def test_export_action_points_to_download(self):
        wizard = self.env["prospect.tier.report.wizard"].create(
            {"company_ids": [(6, 0, [self.company.id])], "tier_super": True}
        )
        action = wizard.action_export()
        self.assertEqual(action["type"], "ir.actions.act_url")
        self.assertEqual(action["url"], f"/prospect/tier_report/{wizard.id}")
        self.assertEqual(wizard._get_file_name()[-5:], ".xlsx")
        # "Show in Odoo" opens the pyramid on the same leads
        pyramid = wizard.action_open_pyramid()
        self.assertEqual(
            self.env["crm.lead"].search(pyramid["domain"]),
            self.env["crm.lead"].search(
                [*self._visible_domain(), ("pyramid_tier", "=", "super")]
            ),
        )
        self.assertEqual(
            self.env["crm.lead"].search(
                [*pyramid["domain"], ("company_id", "=", self.company.id)]
            ),
            self.lead_super_1 + self.lead_super_2,
        )

    @users("user_sales_salesman")
    def test_empty_scope_still_gives_a_workbook(self):
        _wizard, workbook = self._export(tier_other=True, grade_e=True)
        self.assertEqual(workbook.sheetnames, SHEETS)
        self.assertCountEqual(
            self._lead_names(workbook),
            self.env["crm.lead"]
            .search(
                [
                    *self._visible_domain(),
                    ("pyramid_tier", "=", "other"),
                    ("prospect_grade", "=", "e"),
                ]
            )
            .mapped("name"),
        )
        self.assertEqual(table(workbook["Summary"], "Tier")["Total"][1:4], (0, 0, 0))

    def test_leads_without_company(self):
        """The CRM shows leads without a company in every company: so does the
        workbook, in a block of their own."""
        orphan = self.env["crm.lead"].create(
            {
                "name": "Tier lead of no company",
                "type": "opportunity",
                "company_id": False,
                "user_id": self.seller_2.id,
                "expected_revenue": 1234,
            }
        )
        self.assertFalse(orphan.company_id)
        self._set_pyramid(orphan, "medium", 4321, "c")
        manager = self.user_sales_manager
        visible = self.env["crm.lead"].with_user(manager).search(self._visible_domain())
        self.assertIn(orphan, visible, "the CRM list shows it to the manager")
        wizard = (
            self.env["prospect.tier.report.wizard"]
            .with_user(manager)
            .create({"company_ids": [(6, 0, [self.company.id])]})
        )
        workbook = read_workbook(wizard._generate_xlsx())
        # Leads: every lead the manager reads, the orphan as of "No company"
        leads = records(workbook["Leads"])
        self.assertCountEqual([line["Lead"] for line in leads], visible.mapped("name"))
        line = next(line for line in leads if line["Lead"] == "Tier lead of no company")
        self.assertEqual(line["Company"], "No company")
        self.assertEqual((line["Tier"], line["Grade"]), ("Medium", "C"))
        # Summary: the company's block, then the "No company" one
        titles = [row[0] for row in rows(workbook["Summary"])]
        currency = self.env.company.currency_id.name
        self.assertLess(
            titles.index("Pyramid Test Company (USD)"),
            titles.index(f"No company ({currency})"),
        )
        summary = workbook["Summary"]
        blocks = [
            row[0] for row in summary.iter_rows(values_only=True) if row[0] == "Tier"
        ]
        self.assertEqual(len(blocks), 2)
        no_company = table(
            summary.iter_rows(
                min_row=titles.index(f"No company ({currency})") + 1,
                values_only=True,
            ),
            "Tier",
        )
        orphans = (
            self.env["crm.lead"].with_user(manager).search([("company_id", "=", False)])
        )
        self.assertEqual(no_company["Total"][1], len(orphans))
        self.assertEqual(
            no_company["Medium"][1],
            len(orphans.filtered(lambda lead: lead.pyramid_tier == "medium")),
        )
        # Tier x Grade and By Salesperson
        matrix_titles = [row[0] for row in rows(workbook["Tier x Grade"])]
        self.assertIn("No company — Leads", matrix_titles)
        people = [
            (line["Company"], line["Salesperson"])
            for line in records(workbook["By Salesperson"])
        ]
        self.assertIn(("No company", self.seller_2.name), people)
        self.assertEqual(people[-1][0], "No company", "after the companies")

    def test_print_setup(self):
        """Every sheet prints on A4 landscape, one page wide, its header repeated
        on every page."""
        wizard = (
            self.env["prospect.tier.report.wizard"]
            .with_user(self.user_sales_manager)
            .create({"company_ids": [(6, 0, [self.company.id])]})
        )
        workbook = read_workbook(wizard._generate_xlsx())
        for sheet in workbook.worksheets:
            with self.subTest(sheet=sheet.title):
                self.assertEqual(sheet.page_setup.orientation, "landscape")
                self.assertEqual(int(sheet.page_setup.paperSize), 9)
                self.assertTrue(sheet.sheet_properties.pageSetUpPr.fitToPage)
                # one page wide: 1 is the format's default, which xlsxwriter omits
                self.assertEqual(int(sheet.page_setup.fitToWidth or 1), 1)
                self.assertEqual(int(sheet.page_setup.fitToHeight), 0)
                self.assertEqual(str(sheet.print_title_rows), "$1:$1")

    def test_tiers_in_pyramid_order(self):
        """Every sheet lists the tiers from the top of the pyramid, in English and
        in Chinese."""
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(
            ["prospect_development"], ["zh_CN"], overwrite=True
        )
        self.env["prospect.lead.history"].create(
            {
                "lead_id": self.lead_small.id,
                "company_id": self.company.id,
                "date": self.today - timedelta(days=3),
                "kind": "tier",
                "old_value": "suspect",
                "new_value": "prospect",
            }
        )
        for lang in ("en_US", "zh_CN"):
            with self.subTest(lang=lang):
                env = self.env(user=self.user_sales_manager, context={"lang": lang})
                labels = [
                    label
                    for _key, label in env["crm.lead"]
                    ._fields["pyramid_tier"]
                    ._description_selection(env)
                ]
                grades = ["A", "B", "C", "D", "E"]
                wizard = env["prospect.tier.report.wizard"].create(
                    {"company_ids": [(6, 0, [self.company.id])]}
                )
                workbook = read_workbook(wizard._generate_xlsx())
                texts = wizard._get_texts()
                summary = workbook["Summary"]
                tiers = list(table(summary.iter_rows(values_only=True), texts["tier"]))
                self.assertEqual(tiers[: len(labels)], labels)
                self.assertEqual(
                    list(table(summary.iter_rows(values_only=True), texts["grade"]))[
                        :5
                    ],
                    grades,
                )
                matrix = workbook["Tier x Grade"]
                corner = f"{texts['tier']} \\ {texts['grade']}"
                self.assertEqual(
                    list(table(matrix.iter_rows(values_only=True), corner))[:8],
                    labels,
                )
                header = next(
                    workbook["By Salesperson"].iter_rows(max_row=1, values_only=True)
                )
                self.assertEqual([title for title in header if title in labels], labels)
                corner = f"{texts['from']} \\ {texts['to']}"
                moves = [
                    row[9:]
                    for row in workbook["Movements"].iter_rows(values_only=True)
                    if len(row) > 9
                ]
                matrix = table(moves, corner)
                self.assertEqual(list(matrix)[:8], labels)
                header = next(row for row in moves if row[0] == corner)
                self.assertEqual(list(header[1:9]), labels)

    def test_percentages_follow_the_settings(self):
        """A pyramid cut at 2 / 8 / 20 %: the workbook's 80/20 check and the tier's
        tooltip quote these shares, not the method's defaults."""
        self._set_params(tier_super_pct=2, tier_large_pct=8, tier_medium_pct=20)
        leads = self.env["crm.lead"].with_user(self.user_sales_salesman)
        help_text = leads.fields_get(["pyramid_tier"], ["help"])["pyramid_tier"]["help"]
        for quoted in ("top 2%", "next 8%", "next 20%", "remaining 70%"):
            self.assertIn(quoted, help_text)
        self.assertNotIn("1%", help_text)
        # the web client gets its tooltips from get_views
        views = leads.get_views([(False, "form")])
        field = views["models"]["crm.lead"]["fields"]["pyramid_tier"]
        self.assertIn("top 2%", field["help"])
        wizard = (
            self.env["prospect.tier.report.wizard"]
            .with_user(self.user_sales_manager)
            .create({"company_ids": [(6, 0, [self.company.id])]})
        )
        workbook = read_workbook(wizard._generate_xlsx())
        first_column = [row[0] for row in rows(workbook["Summary"])]
        self.assertIn(
            "Top 30% of customers (super, large, medium): share of revenue",
            first_column,
        )
        self.assertNotIn(
            "Top 20% of customers (super, large, medium): share of revenue",
            first_column,
        )
        self.assertTrue(
            any(
                "the top 2%" in line and "remaining 70%" in line
                for line in first_column
            )
        )


@tagged("post_install", "-at_install")
class TestTierReportDownload(HttpCase):
    """The workbook streams over HTTP to its owner; the tour exports from the menu."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = mail_new_test_user(
            cls.env,
            login="pd_tier_manager",
            name="Tier Manager",
            groups="sales_team.group_sale_manager",
        )
        cls.other = mail_new_test_user(
            cls.env,
            login="pd_tier_other",
            name="Tier Other",
            groups="sales_team.group_sale_salesman",
        )
        lead = cls.env["crm.lead"].create(
            {"name": "Download lead", "type": "opportunity", "user_id": cls.manager.id}
        )
        # the oldest moves reach Small, then Super: a graph that orders its lines
        # by first appearance would list Small above Super
        today = fields.Date.today()
        cls.env["prospect.lead.history"].create(
            [
                {
                    "lead_id": lead.id,
                    "company_id": lead.company_id.id,
                    "date": today - timedelta(days=days),
                    "kind": "tier",
                    "old_value": old,
                    "new_value": new,
                }
                for days, old, new in [
                    (900, "suspect", "small"),
                    (870, "small", "super"),
                ]
            ]
        )

    def test_download_route(self):
        wizard = (
            self.env["prospect.tier.report.wizard"].with_user(self.manager).create({})
        )
        self.authenticate("pd_tier_manager", "pd_tier_manager")
        response = self.url_open(f"/prospect/tier_report/{wizard.id}", timeout=60)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            response.headers["Content-Type"],
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        self.assertIn("prospect_tier_report_", response.headers["Content-Disposition"])
        workbook = read_workbook(response.content)
        self.assertEqual(workbook.sheetnames, SHEETS)
        self.assertIn("Download lead", str(rows(workbook["Leads"])))
        # another user's wizard is not theirs to download
        self.authenticate("pd_tier_other", "pd_tier_other")
        response = self.url_open(f"/prospect/tier_report/{wizard.id}")
        self.assertEqual(response.status_code, 404)

    def test_download_reads_only(self):
        """The download only reads: with a read replica (``db_replica_host``) it is
        served there, and its link carries the primary's WAL position, up to which
        the replica catches up before reading the wizard saved a moment ago."""
        wizard = (
            self.env["prospect.tier.report.wizard"].with_user(self.manager).create({})
        )
        self.assertNotIn("lsn", wizard.action_export()["url"])
        with patch.dict(config.options, {"db_replica_host": "replica.example"}):
            url = wizard.action_export()["url"]
        self.assertTrue(
            re.fullmatch(
                rf"/prospect/tier_report/{wizard.id}\?lsn=[0-9A-F]+/[0-9A-F]+", url
            ),
            url,
        )
        route = ProspectTierReportController.prospect_tier_report.original_routing
        self.assertIs(route["readonly"], True)
        self.authenticate("pd_tier_manager", "pd_tier_manager")
        # a write would fail on the read-only cursor and be retried read/write,
        # with this warning
        with self.assertNoLogs("odoo.http", "WARNING"):
            response = self.url_open(url, timeout=60)
        self.assertEqual(response.status_code, 200)
        self.assertIn(
            "Download lead", str(rows(read_workbook(response.content)["Leads"]))
        )

    def test_tour_export_from_menu(self):
        self.start_tour("/odoo", "prospect_tier_report_tour", login="pd_tier_manager")
        wizard = self.env["prospect.tier.report.wizard"].search(
            [("create_uid", "=", self.manager.id)]
        )
        self.assertEqual(len(wizard), 1, "the tour exported once")
