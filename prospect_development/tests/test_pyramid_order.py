from datetime import timedelta

from odoo.tests import tagged, users
from odoo.tools import SQL

from .common import ProspectCase

PYRAMID = ["super", "large", "medium", "small", "inactive", "prospect", "suspect"]
PYRAMID += ["other"]
GRADES = ["a", "b", "c", "d", "e"]


@tagged("post_install", "-at_install")
class TestPyramidOrder(ProspectCase):
    """The Prospect Pyramid reads from the top: Super, Large, Medium, Small, Inactive,
    Prospect, Suspect, Other, in the pivot, the graph, grouped lists and kanbans, and
    the tier movements; grades A to E; in every language. The groups are asked the
    way the web client asks them: the pivot and the graph with ``lazy=False``, lists
    and kanbans with ``web_read_group`` (lazy)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("zh_CN")
        cls.env["ir.module.module"]._load_module_terms(
            ["prospect_development"], ["zh_CN"], overwrite=True
        )
        cls.leads = cls.env["crm.lead"]
        # created in alphabetical order of the tier keys, grades backwards: the
        # order of the groups cannot come from the ids
        for tier in sorted(PYRAMID):
            for grade in reversed(GRADES[: 1 + PYRAMID.index(tier) % 5]):
                lead = cls._open_lead(
                    f"Order {tier} {grade}", user_id=cls.user_sales_salesman.id
                )
                lead.flush_recordset()
                cls.env.cr.execute(
                    SQL(
                        "UPDATE crm_lead SET pyramid_tier = %s, prospect_grade = %s"
                        " WHERE id = %s",
                        tier,
                        grade,
                        lead.id,
                    )
                )
                cls.leads |= lead
        cls.leads.invalidate_recordset()
        history = cls.env["prospect.lead.history"]
        for months_ago, (old, new) in enumerate(
            [("suspect", "small"), ("small", "large"), ("prospect", "medium")]
        ):
            for lead in cls.leads[:3]:
                history.create(
                    {
                        "lead_id": lead.id,
                        "company_id": cls.pyramid_company.id,
                        "user_id": cls.user_sales_salesman.id,
                        "date": cls.today - timedelta(days=31 * months_ago),
                        "kind": "tier",
                        "old_value": old,
                        "new_value": new,
                    }
                )

    def _domain(self):
        return [("id", "in", self.leads.ids)]

    def _languages(self):
        return [self.env["crm.lead"], self.env["crm.lead"].with_context(lang="zh_CN")]

    @users("user_sales_salesman")
    def test_pivot_and_graph_groups(self):
        for leads in self._languages():
            lang = leads.env.lang
            with self.subTest(lang=lang):
                # pivot: the rows, then the columns, then each cell, lazy=False
                rows = leads.read_group(
                    self._domain(),
                    ["expected_revenue:sum"],
                    ["pyramid_tier"],
                    lazy=False,
                )
                self.assertEqual([row["pyramid_tier"] for row in rows], PYRAMID)
                cols = leads.read_group(
                    self._domain(), ["__count"], ["prospect_grade"], lazy=False
                )
                self.assertEqual([col["prospect_grade"] for col in cols], GRADES)
                cells = leads.read_group(
                    self._domain(),
                    ["__count"],
                    ["pyramid_tier", "prospect_grade"],
                    lazy=False,
                )
                pairs = [
                    (cell["pyramid_tier"], cell["prospect_grade"]) for cell in cells
                ]
                self.assertEqual(
                    pairs,
                    sorted(pairs, key=lambda p: (PYRAMID.index(p[0]), p[1])),
                )
                self.assertEqual(len(pairs), len(self.leads))
                # graph: web_read_group, lazy=False, fill_temporal as it sends it
                graph = leads.with_context(fill_temporal=True).web_read_group(
                    self._domain(),
                    ["__count"],
                    ["pyramid_tier", "prospect_grade"],
                    lazy=False,
                )
                self.assertEqual(
                    list(dict.fromkeys(g["pyramid_tier"] for g in graph["groups"])),
                    PYRAMID,
                )
                # the labels the views show come in the same order
                selection = leads.fields_get(["pyramid_tier"])["pyramid_tier"]
                self.assertEqual([key for key, _ in selection["selection"]], PYRAMID)
        labels = self._languages()[1].fields_get(["pyramid_tier"])["pyramid_tier"]
        self.assertEqual(labels["selection"][0], ("super", "超级客户"))

    @users("user_sales_salesman")
    def test_list_and_kanban_groups(self):
        for leads in self._languages():
            with self.subTest(lang=leads.env.lang):
                groups = leads.web_read_group(
                    self._domain(), ["__count"], ["pyramid_tier", "prospect_grade"]
                )["groups"]
                self.assertEqual([g["pyramid_tier"] for g in groups], PYRAMID)
                grades = leads.web_read_group(
                    self._domain(), ["__count"], ["prospect_grade"]
                )["groups"]
                self.assertEqual([g["prospect_grade"] for g in grades], GRADES)
                # a click on the column header of a grouped list reverses them
                groups = leads.web_read_group(
                    self._domain(),
                    ["__count"],
                    ["pyramid_tier"],
                    orderby="pyramid_tier desc",
                )["groups"]
                self.assertEqual([g["pyramid_tier"] for g in groups], PYRAMID[::-1])
                # and a list sorted on the tier column (no grouping)
                found = leads.search(self._domain(), order="pyramid_tier, id")
                self.assertEqual(
                    list(dict.fromkeys(found.mapped("pyramid_tier"))), PYRAMID
                )

    @users("user_sales_salesman")
    def test_urgency_groups(self):
        groups = self.env["crm.lead"].read_group(
            [("contact_urgency", "!=", False)],
            ["__count"],
            ["contact_urgency"],
            lazy=False,
        )
        order = ["urgent", "soon", "later", "slow"]
        found = [g["contact_urgency"] for g in groups]
        self.assertEqual(found, sorted(found, key=order.index))

    @users("user_sales_salesman")
    def test_movements_graph_and_pivot(self):
        history = self.env["prospect.lead.history"]
        domain = [("kind", "=", "tier"), ("lead_id", "in", self.leads.ids)]
        for model in (history, history.with_context(lang="zh_CN")):
            for field in ("new_value", "old_value"):
                with self.subTest(lang=model.env.lang, field=field):
                    groups = model.read_group(domain, ["__count"], [field], lazy=False)
                    found = [g[field] for g in groups]
                    self.assertEqual(found, sorted(found, key=PYRAMID.index))
                    self.assertEqual(len(found), 3)
            # the graph: month, then the tier, each month in pyramid order
            groups = model.web_read_group(
                domain,
                ["__count"],
                ["date:month", "old_value", "new_value"],
                lazy=False,
            )["groups"]
            pairs = [(g["old_value"], g["new_value"]) for g in groups]
            self.assertEqual(len(pairs), 3)
            rows = model.read_group(
                domain, ["__count"], ["old_value", "new_value"], lazy=False
            )
            self.assertEqual(
                [(r["old_value"], r["new_value"]) for r in rows],
                [("small", "large"), ("prospect", "medium"), ("suspect", "small")],
            )
