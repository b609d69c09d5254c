from datetime import timedelta

from odoo import fields, http
from odoo.http import request
from odoo.tools import format_date

from ..models.prospect_feedback_card import CALL_DAYS_AHEAD, CONCERN_MAX_LENGTH

FEEDBACK_ROUTE = "/prospect/feedback/<string:token>"
# What a refused form sends back to the visitor: enough to keep what they typed,
# never megabytes of it.
ECHO_MAX_LENGTH = 10000
# The page is personal (the token in its address is the visitor's credential):
# no caching, no indexing, and no Referer header carrying the token elsewhere.
PRIVATE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
}


class ProspectFeedbackController(http.Controller):
    """The public page of the feedback card a mailing carries: the prospect tells
    us whether the offer is relevant, asks for a call or a proposal, or asks for
    no more mailings. The token of the link is the visitor's only credential."""

    @http.route(
        FEEDBACK_ROUTE,
        type="http",
        auth="public",
        website=True,
        sitemap=False,
        methods=["GET"],
    )
    def prospect_feedback(self, token, **kwargs):
        card_sudo, refusal = self._open_card(token)
        return refusal or self._render_form(card_sudo)

    @http.route(
        FEEDBACK_ROUTE,
        type="http",
        auth="public",
        website=True,
        sitemap=False,
        methods=["POST"],
    )
    def prospect_feedback_submit(self, token, **post):
        card_sudo, refusal = self._open_card(token)
        if refusal:
            return refusal
        # uploaded files or anything else than text are no answers
        form = {key: value for key, value in post.items() if isinstance(value, str)}
        errors = card_sudo._get_answer_errors(form)
        if errors:
            return self._render_form(card_sudo, form=form, errors=errors, status=400)
        if not card_sudo._submit(card_sudo._parse_answers(form)):
            # answered by another submission meanwhile (double click, second tab),
            # or expired between the checks above and the answer
            card_sudo.invalidate_recordset()
            return self._render_closed(card_sudo, refused=True)
        return self._render_card("prospect_development.feedback_page_thanks", card_sudo)

    # ------------------------------------------------------------
    # TOOLS
    # ------------------------------------------------------------

    def _open_card(self, token):
        """``(card, None)`` for a card that takes answers, in the prospect's
        language; else ``(card or None, the polite page to show instead)``."""
        card_sudo = self._get_card(token)
        if not card_sudo:
            return None, self._render_invalid()
        card_sudo = self._set_card_lang(card_sudo)
        return card_sudo, self._render_closed(card_sudo)

    def _get_card(self, token):
        """The card of the token, sudo-ed (the token is the credential), or an empty
        recordset for an unknown, forged or malformed token."""
        return request.env["prospect.feedback.card"].sudo()._find_by_token(token)

    def _get_card_lang(self, card_sudo):
        """The language the prospect reads: the contact's, else the lead's, else
        the company's, provided the site offers it (else the visitor's own)."""
        lead = card_sudo.lead_id
        langs = request.env["res.lang"]
        offered = (
            langs._get_frontend()
            if hasattr(langs, "_get_frontend")
            else langs._get_active_by("code")
        )
        company = card_sudo.company_id or lead.company_id or request.env.company
        for code in (lead.partner_id.lang, lead.lang_id.code, company.partner_id.lang):
            if code and code in offered:
                return code
        return None

    def _set_card_lang(self, card_sudo):
        lang = self._get_card_lang(card_sudo)
        if lang:
            request.update_context(lang=lang)
        return card_sudo.with_context(lang=request.env.lang)

    def _get_company(self, card_sudo=None):
        company = card_sudo and (card_sudo.company_id or card_sudo.lead_id.company_id)
        return (company or request.env.company).sudo()

    def _prepare_card_values(self, card_sudo, **values):
        """What the page may show of the card: our company, the salesperson's name,
        the mailing, and the prospect's own contact name; nothing else of the lead."""
        lead = card_sudo.lead_id
        partner = lead.partner_id
        company = self._get_company(card_sudo)
        return {
            "token": card_sudo.token,
            "company": company,
            # the layout's logo and name are those of the company that wrote
            "res_company": company,
            "salesperson_name": (lead.user_id or card_sudo.user_id).name or "",
            "mailing_name": card_sudo.step_id.name or "",
            "contact_name": lead.contact_name
            or (partner.name if partner and not partner.is_company else ""),
            "answers": self._prepare_answers_values(card_sudo),
            **values,
        }

    def _prepare_answers_values(self, card_sudo):
        """What the thank-you page repeats of the answers."""
        if not card_sudo.date_answered:
            return {}
        call_time = dict(
            card_sudo._fields["call_time"]._description_selection(card_sudo.env)
        ).get(card_sudo.call_time, "")
        return {
            "call_wanted": card_sudo.call_wanted,
            "call_date": card_sudo.call_date
            and format_date(card_sudo.env, card_sudo.call_date),
            "call_time": call_time,
            "proposal_wanted": card_sudo.proposal_wanted,
            "opt_out": card_sudo.opt_out,
        }

    def _render_card(self, template, card_sudo, status=200, **values):
        return self._render(
            template, self._prepare_card_values(card_sudo, **values), status
        )

    def _render_closed(self, card_sudo, refused=False):
        """The page of a card that takes no more answers, or None. ``refused``:
        the card refused an answer, so it is closed one way or the other."""
        if card_sudo.date_answered:
            return self._render_card(
                "prospect_development.feedback_page_answered", card_sudo
            )
        if card_sudo._is_expired() or refused:
            return self._render_card(
                "prospect_development.feedback_page_expired", card_sudo
            )
        return None

    def _render_form(self, card_sudo, form=None, errors=None, status=200):
        today = fields.Date.context_today(card_sudo)
        form = {key: value[:ECHO_MAX_LENGTH] for key, value in (form or {}).items()}
        return self._render_card(
            "prospect_development.feedback_page_form",
            card_sudo,
            status=status,
            form=form,
            errors=errors or {},
            call_date_min=fields.Date.to_string(today),
            call_date_max=fields.Date.to_string(
                today + timedelta(days=CALL_DAYS_AHEAD)
            ),
            concern_max_length=CONCERN_MAX_LENGTH,
        )

    def _render_invalid(self):
        company = self._get_company()
        return self._render(
            "prospect_development.feedback_page_invalid",
            {"company": company, "res_company": company},
            status=404,
        )

    def _render(self, template, values, status):
        response = request.render(template, values, status=status)
        response.headers.update(PRIVATE_HEADERS)
        return response
