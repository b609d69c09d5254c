import json

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged

from odoo.addons.mail.tests.common import mail_new_test_user


@tagged("post_install", "-at_install")
class TestWebsiteSignals(HttpCase):
    """A prospect browses the website and sends the contact form, through the real
    routes (``url_open`` keeps the session, so one visitor per test)."""

    # website records page views on read-write requests only
    readonly_enabled = False

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.tz = False
        cls.salesman = mail_new_test_user(
            cls.env,
            login="pd_web_salesman",
            name="Web Salesman",
            email="web.salesman@example.com",
            groups="sales_team.group_sale_salesman",
        )
        cls.lead = cls.env["crm.lead"].create(
            {
                "name": "Pricing for 40 seats",
                "type": "opportunity",
                "user_id": cls.salesman.id,
                "contact_name": "Wendy Browser",
                "email_from": "wendy@browser.example.com",
            }
        )
        cls.page_about, cls.page_services, cls.page_pricing, cls.page_quote = (
            cls._page(name, url, hot)
            for name, url, hot in (
                ("About", "/pd-test-about", False),
                ("Services", "/pd-test-services", False),
                ("Pricing", "/pd-test-pricing", True),
                ("Quote", "/pd-test-quote", True),
            )
        )
        cls.page_view_points = (
            cls.env["prospect.score.rule"]
            .search([("event_type", "=", "page_view")])
            .points
        )

    @classmethod
    def _page(cls, name, url, hot):
        view = cls.env["ir.ui.view"].create(
            {
                "name": name,
                "type": "qweb",
                "key": f"prospect_development_website.test_{url[1:]}",
                "arch": f"""<t t-name="prospect_development_website.test_{url[1:]}">
                    <t t-call="website.layout"><p>{name}</p></t></t>""",
                "track": True,
            }
        )
        return cls.env["website.page"].create(
            {
                "view_id": view.id,
                "url": url,
                "website_published": True,
                "prospect_hot": hot,
            }
        )

    def _visit(self, page):
        """The prospect opens ``page``; returns their visitor."""
        self.assertEqual(self.url_open(page.url).status_code, 200)
        self.env.invalidate_all()
        return self.env["website.visitor"].search([], order="id desc", limit=1)

    def _events(self, lead, event_type=None):
        domain = [("lead_id", "=", lead.id)]
        if event_type:
            domain.append(("event_type", "=", event_type))
        return self.env["prospect.engagement.event"].search(domain)

    def test_views_without_lead_create_nothing(self):
        events = self.env["prospect.engagement.event"].search([])
        visitor = self._visit(self.page_about)
        self._visit(self.page_pricing)
        self.assertEqual(len(visitor.website_track_ids), 2, "website tracked both")
        after = self.env["prospect.engagement.event"].search([])
        self.assertEqual(after, events, "no lead, no event")

    def test_view_of_lead_visitor_moves_score(self):
        visitor = self._visit(self.page_about)
        self.lead.visitor_ids = [(4, visitor.id)]
        self.assertFalse(self._events(self.lead))
        self._visit(self.page_services)
        views = self._events(self.lead, "page_view")
        # the view of before the link counts too, at the next view
        self.assertEqual(
            set(views.mapped("description")),
            {f"{self.base_url()}/pd-test-about", f"{self.base_url()}/pd-test-services"},
        )
        self.assertEqual(set(views.mapped("res_model")), {"website.track"})
        tracks = visitor.website_track_ids
        self.assertEqual(set(views.mapped("res_id")), set(tracks.ids))
        self.assertEqual(views.user_id, self.salesman)
        self.assertFalse(any(views.mapped("is_hot")))
        self.assertEqual(self.lead.engagement_score, 2 * self.page_view_points)

    def test_logged_in_customer_views_count_for_their_leads(self):
        portal = mail_new_test_user(
            self.env,
            login="pd_web_portal",
            name="Carl Customer",
            email="carl@customer.example.com",
            groups="base.group_portal",
        )
        lead = self.lead.copy({"partner_id": portal.partner_id.id})
        self.authenticate("pd_web_portal", "pd_web_portal")
        visitor = self._visit(self.page_services)
        self.assertEqual(visitor.partner_id, portal.partner_id)
        self.assertFalse(visitor.lead_ids, "no link by website_crm")
        self.assertEqual(len(self._events(lead, "page_view")), 1)
        self.assertFalse(self._events(self.lead), "another contact's lead")

    def test_tracks_created_by_other_modules(self):
        """Tracks created through the ORM (``_add_tracking``, as website_sale
        does) count the same way; a track without URL (a product) does not."""
        visitor = self._visit(self.page_about)
        self.lead.visitor_ids = [(4, visitor.id)]
        url = f"{self.base_url()}/pd-test-elsewhere"
        visitor._add_tracking([("url", "=", url)], {"url": url})
        visitor._add_tracking([("page_id", "=", False)], {})
        self.assertEqual(
            set(self._events(self.lead, "page_view").mapped("description")),
            {f"{self.base_url()}/pd-test-about", url},
        )

    def test_reloads_count_once(self):
        visitor = self._visit(self.page_about)
        self.lead.visitor_ids = [(4, visitor.id)]
        for _reload in range(3):
            self._visit(self.page_services)
        self.assertEqual(len(visitor.website_track_ids), 4, "website tracked each")
        self.assertEqual(len(self._events(self.lead, "page_view")), 2)

    def test_hot_page_alerts_once(self):
        visitor = self._visit(self.page_about)
        self.lead.visitor_ids = [(4, visitor.id)]
        activities = self.lead.activity_ids
        self.assertFalse(self.lead.date_interest_alert)
        self._visit(self.page_pricing)
        hot = self._events(self.lead).filtered("is_hot")
        self.assertEqual(hot.description, f"{self.base_url()}/pd-test-pricing")
        self.assertTrue(self.lead.date_interest_alert, "the hot page alerted at once")
        alert = self.lead.activity_ids - activities
        self.assertEqual(len(alert), 1)
        self.assertEqual(alert.user_id, self.salesman)
        # more hot pages in the same burst: no second alert
        self._visit(self.page_quote)
        self._visit(self.page_pricing)
        self.assertEqual(len(self._events(self.lead).filtered("is_hot")), 2)
        self.assertEqual(self.lead.activity_ids - activities, alert)

    def test_robots_create_nothing(self):
        visitor = self._visit(self.page_about)
        self.lead.visitor_ids = [(4, visitor.id)]
        events = self._events(self.lead)
        response = self.url_open(
            self.page_pricing.url,
            headers={"User-Agent": "Mozilla/5.0 (compatible; Googlebot/2.1)"},
        )
        self.assertEqual(response.status_code, 200)
        self.env.invalidate_all()
        self.assertEqual(len(visitor.website_track_ids), 1, "website ignores robots")
        self.assertEqual(self._events(self.lead), events)

    def test_closed_lead_gets_no_view(self):
        visitor = self._visit(self.page_about)
        self.lead.visitor_ids = [(4, visitor.id)]
        self.lead.action_set_lost()
        self._visit(self.page_services)
        self.assertFalse(self._events(self.lead.with_context(active_test=False)))

    def test_form_submission(self):
        visitor = self._visit(self.page_pricing)
        self.lead.visitor_ids = [(4, visitor.id)]
        self.assertEqual(len(self._events(self.lead, "page_view")), 0)
        response = self.url_open(
            "/website/form/crm.lead",
            data={
                "contact_name": "Wendy Browser",
                "email_from": "wendy@browser.example.com",
                "partner_name": "Browser & Co",
                "name": "Quote for 60 seats",
                "description": "Can you make it 60 seats?",
            },
        )
        self.assertEqual(response.status_code, 200)
        new_lead = self.env["crm.lead"].browse(json.loads(response.text)["id"])
        self.env.invalidate_all()
        self.assertEqual(new_lead.visitor_ids, visitor)
        submitted = self._events(new_lead, "form_submit")
        self.assertEqual(len(submitted), 1)
        self.assertEqual(submitted.description, "Quote for 60 seats")
        # the pricing view before the form counts for the new lead
        self.assertEqual(len(self._events(new_lead, "page_view")), 1)
        self.assertGreater(new_lead.engagement_score, 0)
        # the salesperson already developing her hears of it too
        again = self._events(self.lead, "form_submit")
        self.assertEqual((again.res_model, again.res_id), ("crm.lead", new_lead.id))

    def test_nightly_catch_up(self):
        """A visitor linked to a lead after browsing, who comes back no more: the
        nightly rescoring records their views, once."""
        visitor = self._visit(self.page_about)
        self._visit(self.page_services)
        self.lead.visitor_ids = [(4, visitor.id)]
        self.env["crm.lead"]._action_prospect_rescore()
        views = self._events(self.lead, "page_view")
        self.assertEqual(len(views), 2)
        self.assertEqual(self.lead.engagement_score, 2 * self.page_view_points)
        self.env["crm.lead"]._action_prospect_rescore()
        self.assertEqual(self._events(self.lead, "page_view"), views)

    def test_who_marks_hot_pages(self):
        manager = mail_new_test_user(
            self.env,
            login="pd_web_manager",
            groups="sales_team.group_sale_manager",
        )
        # what the sales managers' list shows them
        action = self.env.ref(
            "prospect_development_website.action_website_page_prospect_hot"
        )
        pages = self.env["website.page"].with_user(manager)
        result = pages.get_views([(action.view_id.id, "list")])
        self.assertIn("action_prospect_mark_hot", result["views"]["list"]["arch"])
        shown = result["models"]["website.page"]["fields"]
        self.assertIn("prospect_hot", shown)
        rows = pages.web_search_read(
            [("url", "=", "/pd-test-about")], {name: {} for name in shown}
        )["records"]
        self.assertEqual([row["prospect_hot"] for row in rows], [False])
        page = self.page_about
        page.track = False
        page.with_user(manager).action_prospect_mark_hot()
        self.assertTrue(page.prospect_hot)
        self.assertTrue(page.track, "a hot page is tracked")
        with self.assertRaises(AccessError):
            page.with_user(self.salesman).action_prospect_unmark_hot()
        with self.assertRaises(AccessError):
            page.with_user(manager).write({"url": "/elsewhere"})
        page.with_user(manager).action_prospect_unmark_hot()
        self.assertFalse(page.prospect_hot)
