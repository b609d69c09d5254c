import re
import secrets
import threading
from datetime import timedelta
from functools import partial
from urllib.parse import urlsplit

from odoo import SUPERUSER_ID, api, fields
from odoo.service.model import retrying
from odoo.tests import HttpCase, TransactionCase, tagged
from odoo.tools import mute_logger

from odoo.addons.prospect_development import tracking
from odoo.addons.prospect_development.controllers.tracking import PIXEL

from .common import SequenceCase

BROWSER = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like "
    "Gecko) Chrome/131.0.0.0 Safari/537.36"
)
GMAIL_PROXY = (
    "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 "
    "(via ggpht.com GoogleImageProxy)"
)
SCANNERS = {
    "a script": "python-requests/2.31.0",
    "curl": "curl/8.5.0",
    "a Go client": "Go-http-client/1.1",
    "Outlook.com previews": "Mozilla/5.0 (Windows NT 10.0) BingPreview/1.0b",
    "Barracuda": "Barracuda Sentinel (EE)",
    "a crawler": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Apple Mail Privacy Protection": "Mozilla/5.0",
    "no user agent": "",
}
WEBSITE = "https://www.pyramid-test.example.com"
PRICING = "https://shop.lotus-supplies.example.com/pricing"
HREF = re.compile(r'href="([^"]+)"')


def path_of(url):
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@tagged("post_install", "-at_install")
class TestTracking(SequenceCase, HttpCase):
    """Opens and clicks of sequence mails, through the real mail queue and real
    HTTP requests: what counts, what does not, and what the answers give away."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pyramid_company.website = WEBSITE
        cls.Event = cls.env["prospect.engagement.event"].sudo()
        cls.points = cls.Event._get_rule_points()
        cls.template = cls.env["mail.template"].create(
            {
                "name": "Tracking test: our prices",
                "model_id": cls.env["ir.model"]._get_id("crm.lead"),
                "subject": "Our prices",
                "partner_to": "{{ object.partner_id.id }}",
                "body_html": f"""<div>
<p>Hello,</p>
<p><a href="{PRICING}">Our prices</a>, on <a href="{WEBSITE}">our site</a>;
the <a href="{PRICING}">prices</a> again.</p>
<p><a t-att-href="ctx.get('prospect_feedback_urls', {{}}).get(object.id)"
>Tell us</a></p>
<p><a href="/unsubscribe_from_list">Unsubscribe</a>
<a href="mailto:sales@pyramid-test.example.com">Write to us</a>
<a href="#top">Top</a></p>
</div>""",
            }
        )

    def _mailing(self, leads=None, template=None):
        """Send the first step of the sequence to ``leads`` (a new lead by
        default), as the sequence run does: their mails wait in the queue."""
        if template:
            self.step_intro.template_id = template
        leads = leads or self._open_lead(
            "Lotus opportunity",
            partner_id=self.prospect.id,
            user_id=self.user_sales_salesman.id,
            team_id=self.sales_team_1.id,
        )
        enrollments = self.Enrollment.create(
            [{"lead_id": lead.id, "sequence_id": self.sequence.id} for lead in leads]
        )
        self.Enrollment._action_send_due()
        cards = enrollments.card_ids
        self.assertEqual(len(cards), len(leads))
        mails = (
            self.env["mail.mail"]
            .sudo()
            .search([("mail_message_id", "in", cards.mail_message_id.ids)])
        )
        return leads, cards.sudo(), mails

    def _deliver(self, mails, minutes_ago=2):
        """Hand the queued mails to the (mocked) mail server; then let
        ``minutes_ago`` minutes pass."""
        with self.mock_mail_gateway():
            mails.send()
        cards = self.env["prospect.feedback.card"].sudo()
        cards = cards.search([("mail_message_id", "in", mails.mail_message_id.ids)])
        self.assertTrue(all(cards.mapped("date_delivered")), "delivered")
        for card in cards:
            card.date_delivered -= timedelta(minutes=minutes_ago)
        return cards

    def _get(self, url, user_agent=BROWSER, head=False, headers=None):
        return self.url_open(
            path_of(url),
            headers={"User-Agent": user_agent, **(headers or {})},
            allow_redirects=False,
            head=head,
        )

    def _events(self, lead, event_type=None):
        domain = [("lead_id", "=", lead.id)]
        if event_type:
            domain.append(("event_type", "=", event_type))
        return self.Event.search(domain)

    def _tracked_links(self, mail, card):
        return [
            url for url in HREF.findall(mail.body_html) if f"/p/{card.token}" in url
        ]

    # ------------------------------------------------------------
    # THE MAIL
    # ------------------------------------------------------------

    def test_queued_mail_carries_pixel_and_tracked_links(self):
        lead, card, mail = self._mailing()
        body = mail.body_html
        self.assertEqual(mail.state, "outgoing")
        self.assertIn(f"/prospect/track/{card.token}/blank.gif", body)
        self.assertNotIn(f'href="{WEBSITE}"', body, "the website link is tracked")
        links = self._tracked_links(mail, card)
        self.assertEqual(len(links), 2, "both website links of the shipped mail")
        tracker = self.env["link.tracker"].sudo().search([("url", "=", WEBSITE)])
        self.assertEqual(len(tracker), 1)
        self.assertTrue(all(f"/r/{tracker.code}/p/{card.token}" in u for u in links))
        self.assertIn(
            f'href="{card._get_url()}"', body, "the feedback card link is untouched"
        )
        # the message on the lead's thread keeps the plain links: reading the
        # chatter is no open, clicking there no click of the prospect
        message_body = mail.mail_message_id.body
        self.assertIn(card._get_url(), message_body)
        self.assertNotIn("/prospect/track/", message_body)
        self.assertNotIn("/r/", message_body)

        # what leaves for the prospect's mail server carries them too
        with self.mock_mail_gateway():
            mail.send()
        self.assertEqual(len(self._mails), 1)
        self.assertIn(f"/prospect/track/{card.token}/blank.gif", self._mails[0]["body"])
        self.assertIn(f"/r/{tracker.code}/p/{card.token}", self._mails[0]["body"])

    def test_untracked_links_and_one_tracker_per_address(self):
        partners = self.env["res.partner"].create(
            [
                {"name": f"Buyer {i}", "email": f"buyer{i}@lotus.example.com"}
                for i in range(3)
            ]
        )
        leads = self.env["crm.lead"].browse()
        for partner in partners:
            leads |= self._open_lead(f"Lead of {partner.name}", partner_id=partner.id)
        leads, cards, mails = self._mailing(leads, template=self.template)
        self.assertEqual(len(mails), 3)
        pricing = self.env["link.tracker"].sudo().search([("url", "=", PRICING)])
        self.assertEqual(len(pricing), 1, "one tracker for the address, all mails")
        personal = set()
        for card in cards:
            mail = mails.filtered(lambda m, c=card: m.res_id == c.lead_id.id)
            hrefs = HREF.findall(mail.body_html)
            self.assertEqual(
                hrefs.count(card._get_click_url(pricing.code)), 2, "twice in the mail"
            )
            for untouched in (
                card._get_url(),
                "/unsubscribe_from_list",
                "mailto:sales@pyramid-test.example.com",
                "#top",
            ):
                self.assertTrue(
                    any(href.endswith(untouched) for href in hrefs),
                    f"{untouched} is not rewritten",
                )
            self.assertFalse([h for h in hrefs if h in (PRICING, WEBSITE)])
            self.assertEqual(len(self._tracked_links(mail, card)), 3)
            personal.add(card._get_click_url(pricing.code))
        self.assertEqual(len(personal), 3, "the same code, another token per mail")

    # ------------------------------------------------------------
    # WHAT COUNTS
    # ------------------------------------------------------------

    def test_open_and_click_count_once_and_move_score(self):
        lead, card, mail = self._mailing()
        pixel_url = card._get_open_url()
        click_url = self._tracked_links(mail, card)[0]
        self._deliver(mail)
        self.assertEqual(lead.engagement_score, 0)

        response = self._get(pixel_url)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["Content-Type"], "image/gif")
        self.assertEqual(response.content, PIXEL)
        self.assertIn("no-store", response.headers["Cache-Control"])
        opened = self._events(lead, "mail_open")
        self.assertEqual(len(opened), 1)
        self.assertEqual(
            (opened.res_model, opened.res_id, opened.sequence_id),
            ("prospect.feedback.card", card.id, self.sequence),
        )
        self.assertEqual(opened.description, mail.mail_message_id.subject)
        lead.invalidate_recordset()
        self.assertEqual(lead.engagement_score, self.points["mail_open"])

        response = self._get(click_url)
        self.assertEqual(response.status_code, 302)
        self.assertEqual(response.headers["Location"], WEBSITE)
        clicked = self._events(lead, "link_click")
        self.assertEqual(len(clicked), 1)
        self.assertEqual(clicked.description, WEBSITE)
        lead.invalidate_recordset()
        self.assertEqual(
            lead.engagement_score, self.points["mail_open"] + self.points["link_click"]
        )
        tracker = self.env["link.tracker"].sudo().search([("url", "=", WEBSITE)])
        self.assertEqual(tracker.count, 1, "counted in the link tracker too")

        # replayed within the window: the same answers, nothing more recorded
        self.assertEqual(self._get(pixel_url).content, PIXEL)
        self.assertEqual(self._get(click_url).headers["Location"], WEBSITE)
        self.assertEqual(len(self._events(lead)), 2)
        tracker.invalidate_recordset()
        self.assertEqual(tracker.count, 1)

    def test_window_slides(self):
        lead, card, mail = self._mailing()
        self._deliver(mail, minutes_ago=120)
        self._get(card._get_open_url())
        opened = self._events(lead, "mail_open")
        self.assertEqual(len(opened), 1)
        # opened half an hour ago, in the previous hour of the clock: still once
        opened.write(
            {
                "date": fields.Datetime.now() - timedelta(minutes=30),
                "dedup_key": "mail_open:previous-hour",
            }
        )
        self._get(card._get_open_url())
        self.assertEqual(len(self._events(lead, "mail_open")), 1)
        # more than an hour ago: this is another open
        opened.date = fields.Datetime.now() - timedelta(minutes=61)
        self._get(card._get_open_url())
        self.assertEqual(len(self._events(lead, "mail_open")), 2)

    def test_real_mail_clients_count(self):
        lead, card, mail = self._mailing()
        self._deliver(mail)
        # Gmail fetches the images through its proxy when the person opens
        self._get(card._get_open_url(), user_agent=GMAIL_PROXY)
        self.assertEqual(len(self._events(lead, "mail_open")), 1)

    def test_scanners_do_not_count(self):
        lead, card, mail = self._mailing()
        click_url = self._tracked_links(mail, card)[0]
        self._deliver(mail)
        for name, user_agent in SCANNERS.items():
            with self.subTest(scanner=name):
                response = self._get(card._get_open_url(), user_agent=user_agent)
                self.assertEqual(response.content, PIXEL)
                response = self._get(click_url, user_agent=user_agent)
                self.assertEqual(response.headers["Location"], WEBSITE)
        # HEAD requests and browser prefetches neither
        self._get(card._get_open_url(), head=True)
        self._get(click_url, headers={"Sec-Purpose": "prefetch"})
        self.assertFalse(self._events(lead))
        lead.invalidate_recordset()
        self.assertEqual(lead.engagement_score, 0)

    def test_too_early_after_delivery_does_not_count(self):
        lead, card, mail = self._mailing()
        click_url = self._tracked_links(mail, card)[0]
        # still in the queue: nobody can have opened it
        self._get(card._get_open_url())
        self.assertFalse(self._events(lead))
        # delivered seconds ago: the receiving gateway's scan
        self._deliver(mail, minutes_ago=0)
        card.date_delivered -= timedelta(seconds=tracking.GRACE_SECONDS - 20)
        self.assertEqual(self._get(card._get_open_url()).content, PIXEL)
        self.assertEqual(self._get(click_url).headers["Location"], WEBSITE)
        self.assertFalse(self._events(lead))
        # a minute later, the prospect
        card.date_delivered -= timedelta(seconds=30)
        self._get(card._get_open_url())
        self.assertEqual(len(self._events(lead)), 1)

    def test_expired_card_of_ended_enrolment_does_not_count(self):
        lead, card, mail = self._mailing()
        self._deliver(mail)
        card.date_expire = fields.Datetime.now() - timedelta(days=1)
        # the sequence still runs: a late reader of an old mailing counts
        self._get(card._get_open_url())
        self.assertEqual(len(self._events(lead)), 1)
        card.enrollment_id.action_stop()
        self.Event.search([("lead_id", "=", lead.id)]).unlink()
        self._get(card._get_open_url())
        self.assertFalse(self._events(lead))

    # ------------------------------------------------------------
    # BAD INPUT
    # ------------------------------------------------------------

    @mute_logger("odoo.http")
    def test_forged_token_answers_like_a_valid_one(self):
        lead, card, mail = self._mailing()
        click_url = self._tracked_links(mail, card)[0]
        self._deliver(mail)
        code = urlsplit(click_url).path.split("/")[2]
        valid = self._get(card._get_open_url())
        self._events(lead).unlink()
        for name, token in {
            "forged": secrets.token_urlsafe(32),
            "too long": "a" * 5000,
            "not ascii": "令牌" * 20,
            "not a token": "abc.def.ghi.jkl.mno.pqr",
            "too short": "abc",
        }.items():
            with self.subTest(token=name):
                forged = self._get(f"/prospect/track/{token}/blank.gif")
                self.assertEqual(forged.status_code, valid.status_code)
                self.assertEqual(forged.content, valid.content)
                self.assertEqual(
                    forged.headers["Content-Type"], valid.headers["Content-Type"]
                )
                self.assertEqual(
                    forged.headers["Cache-Control"], valid.headers["Cache-Control"]
                )
                # a click still leads where the link leads: no oracle on tokens
                response = self._get(f"/r/{code}/p/{token}")
                self.assertEqual(response.status_code, 302)
                self.assertEqual(response.headers["Location"], WEBSITE)
        self.assertFalse(self._events(lead))
        tracker = self.env["link.tracker"].sudo().search([("url", "=", WEBSITE)])
        self.assertEqual(tracker.count, 0)

    @mute_logger("odoo.http")
    def test_unknown_link_is_not_found_and_never_redirects_elsewhere(self):
        lead, card, mail = self._mailing()
        click_url = self._tracked_links(mail, card)[0]
        self._deliver(mail)
        for code in ("Zz9Zz9Zz", "令牌", "x" * 5000, "a.b~c_d-e"):
            with self.subTest(code=code):
                response = self._get(card._get_click_url(code))
                self.assertEqual(response.status_code, 404)
        # the target comes from the link tracker, never from the request
        response = self._get(
            f"{click_url}?url=https://evil.example.com&redirect=https://evil.example.com"
        )
        self.assertEqual(response.headers["Location"], WEBSITE)
        self.assertEqual(len(self._events(lead, "link_click")), 1)

    def test_malformed_token_refused_before_the_database(self):
        card_model = self.env["prospect.feedback.card"].sudo()
        for token in ("a" * 5000, "令牌" * 20, "abc", "a b c d e f g h i j k l", None):
            with self.subTest(token=token), self.assertQueryCount(0):
                self.assertFalse(card_model._track("mail_open", token))

    def test_scanner_user_agents(self):
        """The scanner list: what it stops and what it lets through."""
        for user_agent in SCANNERS.values():
            self.assertTrue(tracking.is_automated(user_agent), user_agent)
        for user_agent in (
            BROWSER,
            GMAIL_PROXY,
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; Microsoft Outlook 16.0.17928;"
            " ms-office; MSOffice rmj)",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/"
            "605.1.15 (KHTML, like Gecko) Mobile/15E148",
            "Mozilla/5.0 (Linux; Android 10; CUBOT X30) AppleWebKit/537.36 (KHTML,"
            " like Gecko) Chrome/120.0 Mobile Safari/537.36",
            "YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html",
        ):
            self.assertFalse(tracking.is_automated(user_agent), user_agent)


@tagged("post_install", "-at_install")
class TestTrackingConcurrency(TransactionCase):
    """The same open arriving twice at once, in two transactions of their own (as
    two requests of the server would): one event, one score update."""

    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            sequence = env.ref("prospect_development.prospect_sequence_direct_mail")
            lead = env["crm.lead"].create(
                {"name": "Concurrent opener", "email_from": "race@example.com"}
            )
            enrollment = env["prospect.sequence.enrollment"].create(
                {"lead_id": lead.id, "sequence_id": sequence.id}
            )
            now = fields.Datetime.now()
            card = env["prospect.feedback.card"].create(
                {
                    "enrollment_id": enrollment.id,
                    "lead_id": lead.id,
                    "sequence_id": sequence.id,
                    "step_id": sequence._get_first_step().id,
                    "date_sent": now - timedelta(hours=1),
                    "date_delivered": now - timedelta(hours=1),
                    "date_expire": now + timedelta(days=30),
                }
            )
            self.lead_id, self.token = lead.id, card.token
        self.addCleanup(self._remove_lead)

    def _remove_lead(self):
        with self.registry.cursor() as cr:
            api.Environment(cr, SUPERUSER_ID, {})["crm.lead"].browse(
                self.lead_id
            ).unlink()

    def _open_in_own_transaction(self, results, hold=None):
        """What the pixel route does, in a transaction of its own with the
        server's retry on serialization failures; ``hold``: wait for it before
        committing."""
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})

            def track():
                events = env["prospect.feedback.card"]._track("mail_open", self.token)
                results.append(len(events))
                if hold:
                    hold.wait(10)

            retrying(partial(track), env)

    @mute_logger("odoo.service.model")
    def test_same_open_twice_at_once_recorded_once(self):
        first, second, hold = [], [], threading.Event()
        one = threading.Thread(target=self._open_in_own_transaction, args=(first, hold))
        one.start()
        while not first:  # the first open is written, not committed yet
            one.join(0.05)
        other = threading.Thread(target=self._open_in_own_transaction, args=(second,))
        other.start()
        other.join(1)
        self.assertTrue(other.is_alive(), "the second waits for the first")
        hold.set()
        one.join(10)
        other.join(30)
        self.assertEqual(first, [1])
        self.assertEqual(second[-1], 0, "the second one recorded nothing")
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT COUNT(*) FROM prospect_engagement_event WHERE lead_id = %s",
                [self.lead_id],
            )
            self.assertEqual(cr.fetchone()[0], 1)
            cr.execute(
                "SELECT engagement_score FROM crm_lead WHERE id = %s", [self.lead_id]
            )
            points = self.env["prospect.engagement.event"]._get_rule_points()
            self.assertEqual(cr.fetchone()[0], points["mail_open"])
