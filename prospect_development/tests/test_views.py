from lxml import etree

from odoo.tests import tagged, users

from .common import ProspectCase


@tagged("post_install", "-at_install")
class TestViews(ProspectCase):
    @users("user_sales_salesman")
    def test_fields_on_the_native_screens(self):
        Lead = self.env["crm.lead"]
        expected = {
            "form": {
                "pyramid_tier",
                "prospect_grade",
                "key_account_colour",
                "need_status",
                "engagement_score",
                "pyramid_revenue",
                "last_contact_date",
                "next_contact_date",
                "contact_urgency",
                "development_cost",
                "abandon_recommended",
                "abandon_reason",
                "date_abandoned",
            },
            "list": {"pyramid_tier", "prospect_grade", "next_contact_date"},
            "kanban": {"pyramid_tier", "prospect_grade", "key_account_colour"},
        }
        for view_type, names in expected.items():
            arch = etree.fromstring(Lead.get_view(view_type=view_type)["arch"])
            shown = {node.get("name") for node in arch.iter("field")}
            self.assertLessEqual(names, shown, view_type)
        form = etree.fromstring(Lead.get_view(view_type="form")["arch"])
        self.assertTrue(form.xpath("//page[@name='prospect_development']"))
        self.assertTrue(
            form.xpath(
                "//div[@name='prospect_badges']/field[@name='prospect_grade']"
                " | //div[@name='prospect_badges']//field[@name='prospect_grade']"
            )
        )

    @users("user_sales_salesman")
    def test_search_filters_and_group_bys(self):
        for view_ref in (
            "crm.view_crm_case_opportunities_filter",
            "crm.view_crm_case_leads_filter",
        ):
            view = self.env.ref(view_ref)
            arch = etree.fromstring(
                self.env["crm.lead"].get_view(view.id, view_type="search")["arch"]
            )
            names = {node.get("name") for node in arch.iter("filter")}
            self.assertLessEqual(
                {
                    "prospect_grade_a",
                    "prospect_grade_b",
                    "prospect_grade_c",
                    "prospect_grade_d",
                    "prospect_grade_e",
                    "prospect_key_accounts",
                    "prospect_abandon_recommended",
                    "prospect_due_for_contact",
                    "groupby_pyramid_tier",
                    "groupby_prospect_grade",
                    "groupby_key_account_colour",
                    "groupby_contact_urgency",
                },
                names,
                view_ref,
            )

    def test_pivot_by_tier_and_grade(self):
        customer = self._customer("Pivot customer")
        self._won_deals([(customer, 5000.0)])
        self._open_lead(
            "Pivot A",
            partner_id=customer.id,
            need_status="clear",
            date_deadline=self.today,
            expected_revenue=300,
        )
        self._open_lead("Pivot E", need_status="none", expected_revenue=100)
        self.env["crm.lead"]._action_prospect_rescore()
        groups = self.env["crm.lead"].read_group(
            [
                ("company_id", "=", self.pyramid_company.id),
                ("stage_id", "=", self.open_stage.id),
            ],
            ["expected_revenue:sum"],
            ["pyramid_tier", "prospect_grade"],
            lazy=False,
        )
        cells = {
            (g["pyramid_tier"], g["prospect_grade"]): g["expected_revenue"]
            for g in groups
        }
        self.assertEqual(cells, {("super", "a"): 300.0, ("other", "e"): 100.0})
        for view_type in ("pivot", "graph"):
            self.assertTrue(self.env["crm.lead"].get_view(view_type=view_type)["arch"])
