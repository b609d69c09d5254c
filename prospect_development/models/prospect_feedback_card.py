import re
import secrets
from datetime import date, timedelta

import lxml.html
from markupsafe import Markup

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, email_normalize, format_date, plaintext2html

from odoo.addons.link_tracker.tools.html import find_links_with_urls_and_labels

from .. import rules, tracking

INTERESTS = [("none", "Not for us"), ("later", "Maybe later"), ("now", "Yes, now")]
CALL_TIMES = [("morning", "Morning"), ("afternoon", "Afternoon"), ("any", "Any time")]
# What the prospect's interest says about the need of the lead.
NEED_OF_INTEREST = {"now": "clear", "later": "potential", "none": "none"}
CONCERN_MAX_LENGTH = 2000
CALL_DAYS_AHEAD = 365
# secrets.token_urlsafe(32) gives 43 characters of the URL-safe base64 alphabet;
# anything else is not a token of ours and never reaches the database.
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")
DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")
# Links of a mailing that must work as they are, never through a tracked redirect
# (regular expressions of paths): the feedback card (which is also how to opt
# out) and Odoo's unsubscribe and unfollow pages.
UNTRACKED_PATHS = [
    "/prospect/feedback",
    "/unsubscribe_from_list",
    "/unsubscribe",
    "/mail/unfollow",
]


class ProspectFeedbackCard(models.Model):
    """One mailing of a sequence sent to one lead, with the personal feedback card
    it carries and what came back: the answers, a reply, a bounce."""

    _name = "prospect.feedback.card"
    _description = "Prospect Feedback Card"
    _order = "date_sent desc, id desc"
    _rec_name = "step_id"

    enrollment_id = fields.Many2one(
        "prospect.sequence.enrollment", required=True, ondelete="cascade", index=True
    )
    lead_id = fields.Many2one("crm.lead", required=True, ondelete="cascade", index=True)
    sequence_id = fields.Many2one(
        "prospect.sequence", required=True, ondelete="cascade", index=True
    )
    step_id = fields.Many2one(
        "prospect.sequence.step", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one("res.company", index=True)
    user_id = fields.Many2one("res.users", string="Salesperson", index=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", index=True)
    mail_message_id = fields.Many2one(
        "mail.message", ondelete="set null", index="btree_not_null"
    )
    token = fields.Char(
        required=True,
        copy=False,
        default=lambda self: secrets.token_urlsafe(32),
        groups="sales_team.group_sale_manager",
    )
    date_sent = fields.Datetime(required=True, default=fields.Datetime.now, index=True)
    date_expire = fields.Datetime(string="Card Valid Until", required=True)
    date_answered = fields.Datetime(readonly=True, index="btree_not_null")
    interest = fields.Selection(INTERESTS, readonly=True)
    call_wanted = fields.Boolean(string="Call Asked For", readonly=True)
    call_date = fields.Date(string="Preferred Call Date", readonly=True)
    call_time = fields.Selection(
        CALL_TIMES, string="Preferred Call Time", readonly=True
    )
    proposal_wanted = fields.Boolean(string="Proposal Asked For", readonly=True)
    concern = fields.Text(string="Main Concern", readonly=True)
    opt_out = fields.Boolean(
        string="Opted Out", readonly=True, help="Asked not to receive mailings anymore."
    )
    date_replied = fields.Datetime(
        readonly=True, help="First mail of the prospect on the lead after this mailing."
    )
    bounced = fields.Boolean(readonly=True)
    date_delivered = fields.Datetime(
        string="Delivered On",
        readonly=True,
        help="When the mail server accepted the mailing; opens and clicks in the "
        "first seconds after it are mail scanners, not the prospect.",
    )

    _sql_constraints = [
        ("token_unique", "UNIQUE(token)", "A feedback card token is unique."),
        (
            "enrollment_step_unique",
            "UNIQUE(enrollment_id, step_id)",
            "A step of a sequence is sent only once per enrolment.",
        ),
    ]

    # ------------------------------------------------------------
    # CARD LIFE
    # ------------------------------------------------------------

    def _get_url(self):
        self.ensure_one()
        return f"{self.lead_id.get_base_url()}/prospect/feedback/{self.sudo().token}"

    @api.model
    def _find_by_token(self, token):
        """The card of this token, or an empty recordset (to be called as sudo: the
        token is the visitor's only credential)."""
        if not isinstance(token, str) or not TOKEN_PATTERN.fullmatch(token):
            return self.browse()
        return self.search([("token", "=", token)], limit=1)

    def _is_expired(self):
        self.ensure_one()
        return self.date_expire < fields.Datetime.now()

    # ------------------------------------------------------------
    # OPEN AND CLICK TRACKING
    # ------------------------------------------------------------

    def _get_open_url(self, base_url=None):
        """The open pixel of this mailing."""
        self.ensure_one()
        if base_url is None:
            base_url = self.lead_id.get_base_url()
        return f"{base_url}/prospect/track/{self.sudo().token}/blank.gif"

    def _get_click_url(self, code, base_url=None):
        """The tracked address of the link.tracker ``code`` in this mailing."""
        self.ensure_one()
        if base_url is None:
            base_url = self.lead_id.get_base_url()
        return f"{base_url}/r/{code}/p/{self.sudo().token}"

    @api.model
    def _add_tracking(self, mail_of_card):
        """Put the open pixel and tracked links in the queued mails of the cards
        (``{card: mail.mail}``): every web link goes through a link.tracker, but the
        feedback card and unsubscribe links, which must work as they are. The
        message on the lead's thread keeps the plain links: a salesperson reading
        the chatter opens and clicks nothing on the prospect's behalf. One
        link.tracker lookup for the distinct addresses of all the mails."""
        parsed, addresses = [], {}
        for card, mail in mail_of_card.items():
            if not mail.body_html:
                continue
            base_url = card.lead_id.get_base_url()
            root = lxml.html.fromstring(mail.body_html)
            nodes, urls_and_labels = find_links_with_urls_and_labels(
                root,
                base_url,
                # web links only, not the page itself (#anchor) or mailto:, tel:...
                skip_regex=rf"^(?!https?://)|^{re.escape(base_url)}/?#",
                skip_prefix=f"{base_url}/r/",
                skip_list=UNTRACKED_PATHS,
            )
            urls = [url_and_label["url"] for url_and_label in urls_and_labels]
            addresses.update(dict.fromkeys(urls))
            parsed.append((card, mail, base_url, root, nodes, urls))
        code_of_url = self._get_link_codes(list(addresses))
        for card, mail, base_url, root, nodes, urls in parsed:
            for node, url in zip(nodes, urls, strict=True):
                node.set("href", card._get_click_url(code_of_url[url], base_url))
            container = root.find("body") if root.tag == "html" else None
            container = root if container is None else container
            pixel = lxml.html.Element(
                "img",
                src=card._get_open_url(base_url),
                alt="",
                width="1",
                height="1",
                style="display: block; width: 1px; height: 1px; border: 0;",
            )
            container.append(pixel)
            mail.body_html = Markup(
                lxml.html.tostring(root, encoding="unicode", method="xml")
            )

    @api.model
    def _get_link_codes(self, urls):
        """``{url: code}`` of the link.tracker of each address, created if need be
        (with the address as title: no fetch of the page to find one)."""
        if not urls:
            return {}
        trackers = (
            self.env["link.tracker"]
            .sudo()
            .search_or_create([{"url": url, "title": url} for url in urls])
        )
        codes = (
            self.env["link.tracker.code"]
            .sudo()
            .search_fetch(
                [("link_id", "in", trackers.ids)], ["code", "link_id"], order="id"
            )
        )
        # the newest code of a link is its current one, as link.tracker reads it
        code_of_link = {code.link_id.id: code.code for code in codes}
        return {
            url: code_of_link[tracker.id]
            for url, tracker in zip(urls, trackers, strict=True)
        }

    @api.model
    def _set_delivered(self, messages):
        """The mails of these messages were handed to the mail server just now."""
        self.flush_model(["mail_message_id", "date_delivered"])
        self.env.cr.execute(
            SQL(
                """
                UPDATE prospect_feedback_card
                   SET date_delivered = %(now)s
                 WHERE mail_message_id = ANY(%(messages)s)
                   AND date_delivered IS NULL
                """,
                # the clock the tracking routes compare with (not the transaction's)
                now=self.env["prospect.engine"]._now(),
                messages=messages.ids,
            )
        )
        if self.env.cr.rowcount:
            self.invalidate_model(["date_delivered"])

    @api.model
    def _track(self, event_type, token, link=None):
        """Record an open (``mail_open``) or a click on ``link`` (``link_click``,
        a link.tracker) of the mailing of ``token``, if it counts: the mail was
        delivered more than a few seconds ago, the card is still valid or its
        enrolment still runs, and this mail saw no such event (on this link) in
        the last window. Anything else (unknown, forged, replayed token) records
        nothing. To be called as sudo: the token is the visitor's only credential.
        Returns the events created."""
        events = self.env["prospect.engagement.event"]
        if not isinstance(token, str) or not TOKEN_PATTERN.fullmatch(token):
            return events
        self.flush_model()
        events.flush_model()
        self.env["prospect.sequence.enrollment"].flush_model(["state"])
        now = self.env["prospect.engine"]._now()
        url = link.url if link else None
        # one indexed lookup (the token is unique) with what the checks need
        self.env.cr.execute(
            SQL(
                """
                SELECT card.id, card.lead_id, card.sequence_id, card.date_delivered,
                       card.date_expire, enrollment.state, message.subject,
                       EXISTS (
                           SELECT FROM prospect_engagement_event event
                            WHERE event.lead_id = card.lead_id
                              AND event.date > %(since)s
                              AND event.res_model = %(model)s
                              AND event.res_id = card.id
                              AND event.event_type = %(event_type)s
                              AND (%(url)s::varchar IS NULL
                                   OR event.description = %(url)s)
                       )
                  FROM prospect_feedback_card card
                  JOIN prospect_sequence_enrollment enrollment
                    ON enrollment.id = card.enrollment_id
                  LEFT JOIN mail_message message ON message.id = card.mail_message_id
                 WHERE card.token = %(token)s
                """,
                token=token,
                since=now - timedelta(seconds=tracking.WINDOW_SECONDS),
                model=self._name,
                event_type=event_type,
                url=url,
            )
        )
        row = self.env.cr.fetchone()
        if not row:
            return events
        card_id, lead_id, sequence_id, delivered, expire, state, subject, seen = row
        if seen or tracking.too_early(delivered, now):
            return events
        if state != "running" and expire < now:
            return events
        # the key of the window: two identical requests at once write one event
        return events._record(
            [
                {
                    "lead_id": lead_id,
                    "event_type": event_type,
                    "date": now,
                    "res_model": self._name,
                    "res_id": card_id,
                    "sequence_id": sequence_id,
                    "description": url or subject,
                    "dedup_key": tracking.dedup_key(
                        event_type, card_id, now, link_id=link and link.id
                    ),
                }
            ]
        )

    # ------------------------------------------------------------
    # ANSWERS
    # ------------------------------------------------------------

    @api.model
    def _get_answer_errors(self, form):
        """What is wrong with the submitted form: a dict mapping each faulty field
        to a translated message (empty when the answers can be recorded)."""
        errors = {}
        interest = form.get("interest") or ""
        opt_out = form.get("opt_out") == "yes"
        # opting out alone is enough: nobody has to answer questions to unsubscribe
        if interest not in dict(INTERESTS) and not (opt_out and not interest):
            errors["interest"] = self.env._("Tell us whether this is relevant for you.")
        if form.get("call_wanted") == "yes":
            if (
                form.get("call_date")
                and self._parse_call_date(form["call_date"]) is None
            ):
                errors["call_date"] = self.env._(
                    "Choose a call date between today and a year from now."
                )
            if (form.get("call_time") or "any") not in dict(CALL_TIMES):
                errors["call_time"] = self.env._("Choose when we may call you.")
        if len(self._clean_text(form.get("concern"))) > CONCERN_MAX_LENGTH:
            errors["concern"] = self.env._(
                "Your concern is too long: %(max)s characters at most.",
                max=CONCERN_MAX_LENGTH,
            )
        return errors

    @api.model
    def _parse_answers(self, form):
        """Values of the card from the submitted form, or a UserError listing what is
        wrong with it. ``form`` maps field names to strings, as posted."""
        errors = self._get_answer_errors(form)
        if errors:
            raise UserError("\n".join(errors.values()))
        call_wanted = form.get("call_wanted") == "yes"
        concern = self._clean_text(form.get("concern"))
        return {
            "interest": form.get("interest") or False,
            "call_wanted": call_wanted,
            "call_date": (
                call_wanted
                and form.get("call_date")
                and self._parse_call_date(form["call_date"])
            )
            or False,
            "call_time": call_wanted and (form.get("call_time") or "any"),
            "proposal_wanted": form.get("proposal_wanted") == "yes",
            "concern": concern or False,
            "opt_out": form.get("opt_out") == "yes",
        }

    @api.model
    def _parse_call_date(self, value):
        """The date of an ISO ``YYYY-MM-DD`` string when it lies between today and
        a year from now, else None."""
        if not isinstance(value, str) or not DATE_PATTERN.fullmatch(value):
            return None
        try:
            call_date = date.fromisoformat(value)
        except ValueError:
            return None
        today = fields.Date.context_today(self)
        if not today <= call_date <= today + timedelta(days=CALL_DAYS_AHEAD):
            return None
        return call_date

    @api.model
    def _clean_text(self, value):
        """Free text as stored: stripped, without the NUL characters PostgreSQL
        refuses in text columns."""
        if not isinstance(value, str):
            return ""
        return value.replace("\x00", "").strip()

    def _submit(self, answers):
        """Record the answers of the prospect, once: returns False when the card was
        already answered (or expired) meanwhile, so a repeated or concurrent
        submission changes nothing."""
        self.ensure_one()
        self.flush_recordset()
        self.env.cr.execute(
            SQL(
                """
                UPDATE prospect_feedback_card
                   SET date_answered = NOW() AT TIME ZONE 'UTC'
                 WHERE id = %(id)s
                   AND date_answered IS NULL
                   AND date_expire >= NOW() AT TIME ZONE 'UTC'
             RETURNING id
                """,
                id=self.id,
            )
        )
        if not self.env.cr.fetchone():
            return False
        self.invalidate_recordset(["date_answered"])
        self.write(answers)
        card = self
        if self.env.user._is_public():
            # answered on the public page: OdooBot updates the lead on the
            # prospect's word (not "Public user" in the chatter and notifications)
            card = self.with_user(SUPERUSER_ID)
        card._apply_to_lead()
        return True

    def _apply_to_lead(self):
        """What the answers change on the lead: need, score, last contact, a note,
        activities for the salesperson, and the end of the sequence when the
        salesperson takes over or the prospect opts out."""
        self.ensure_one()
        lead = self.lead_id
        author = lead.partner_id or self.env.ref("base.partner_root")
        values = {"last_contact_date": fields.Date.context_today(self)}
        if self.interest and lead._prospect_filter(rules.is_open()):
            values["need_status"] = NEED_OF_INTEREST[self.interest]
        # the need changed because the prospect said so, not the public user
        lead._track_set_author(author)
        lead.write(values)
        # the note and the activities are read by the sales team, in its language
        card = self.with_context(lang=self._get_staff_lang())
        # a log on the lead: the prospect must not become a follower of it
        lead.with_context(mail_create_nosubscribe=True).message_post(
            body=card._get_answers_note(),
            subtype_xmlid="mail.mt_note",
            author_id=author.id,
        )
        card._schedule_followups()
        self.env["prospect.engagement.event"]._record(
            [
                {
                    "lead_id": lead.id,
                    "event_type": event_type,
                    "date": self.date_answered,
                    "res_model": self._name,
                    "res_id": self.id,
                    "sequence_id": self.sequence_id.id,
                    "description": self.step_id.name,
                    "dedup_key": f"{self._name},{self.id},{event_type}",
                }
                for event_type in ("feedback", "opt_out")
                if event_type == "feedback" or self.opt_out
            ]
        )
        if self.opt_out:
            email = email_normalize(lead.partner_id.email or lead.email_from)
            if email:
                self.env["mail.blacklist"]._add(
                    email, message=card.env._("Opted out on a feedback card.")
                )
            lead._prospect_stop_sequences("opt_out")
        elif self.call_wanted or self.proposal_wanted or self.interest == "now":
            self.enrollment_id._stop("feedback")

    def _get_staff_lang(self):
        self.ensure_one()
        lead = self.lead_id
        owner = lead.user_id or lead.team_id.user_id
        return (
            owner.lang
            or lead.company_id.partner_id.lang
            or self.env.company.partner_id.lang
            or self.env.lang
        )

    def _get_selection_label(self, field_name):
        self.ensure_one()
        labels = dict(self._fields[field_name]._description_selection(self.env))
        return labels.get(self[field_name], "")

    def _get_answers_note(self):
        self.ensure_one()
        lines = []
        if self.interest:
            lines.append(
                (self.env._("Interest"), self._get_selection_label("interest"))
            )
        if self.call_wanted:
            when = ", ".join(
                part
                for part in (
                    self.call_date and format_date(self.env, self.call_date),
                    self._get_selection_label("call_time"),
                )
                if part
            )
            lines.append((self.env._("Call asked for"), when or self.env._("yes")))
        if self.proposal_wanted:
            lines.append((self.env._("Proposal asked for"), self.env._("yes")))
        if self.concern:
            lines.append((self.env._("Main concern"), self.concern))
        if self.opt_out:
            lines.append(
                (self.env._("Mailings"), self.env._("asked to receive no more"))
            )
        # Markup's % escapes the prospect's text: it is shown, never interpreted
        items = Markup("").join(
            Markup("<li><b>%s</b>: %s</li>") % (label, value) for label, value in lines
        )
        return Markup("<p>%s</p><ul>%s</ul>") % (
            self.env._("Feedback card answered (%(step)s):", step=self.step_id.name),
            items,
        )

    def _schedule_followups(self):
        self.ensure_one()
        lead = self.lead_id
        owner = lead.user_id or lead.team_id.user_id
        if not owner:
            return
        today = fields.Date.context_today(self)
        if self.call_wanted:
            lead.activity_schedule(
                "mail.mail_activity_data_call",
                date_deadline=self.call_date or today,
                user_id=owner.id,
                summary=self.env._(
                    "Call asked for on the feedback card (%(when)s)",
                    when=self._get_selection_label("call_time"),
                ),
            )
        if self.proposal_wanted:
            lead.activity_schedule(
                "mail.mail_activity_data_todo",
                date_deadline=today,
                user_id=owner.id,
                summary=self.env._("Proposal asked for on the feedback card"),
                # the concern is plain text: escaped, never read as HTML
                note=plaintext2html(self.concern) if self.concern else False,
            )
