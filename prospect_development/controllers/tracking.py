import base64

from werkzeug.exceptions import NotFound

from odoo import http
from odoo.http import request

from .. import tracking

# 1x1 transparent GIF
PIXEL = base64.b64decode(b"R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
# Nothing of a tracking answer may be cached (a cached pixel hides the next open,
# a cached redirect the next click), indexed, or passed on in a Referer header.
NO_CACHE_HEADERS = {
    "Cache-Control": "no-store, no-cache, must-revalidate, max-age=0",
    "Pragma": "no-cache",
    "Expires": "0",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
}


class ProspectTrackingController(http.Controller):
    """Opens and clicks of sequence mails. The token of the feedback card in the
    address says which mailing; a request with a forged, replayed or malformed
    token records nothing and is answered exactly like a valid one (the same
    pixel, the same redirect), so the answer tells nothing about tokens."""

    @http.route(
        "/prospect/track/<string:token>/blank.gif",
        type="http",
        auth="public",
        methods=["GET"],
        csrf=False,
        save_session=False,
        sitemap=False,
    )
    def prospect_track_open(self, token, **kwargs):
        if self._counts():
            request.env["prospect.feedback.card"].sudo()._track("mail_open", token)
        return request.make_response(
            PIXEL, headers={"Content-Type": "image/gif", **NO_CACHE_HEADERS}
        )

    @http.route(
        "/r/<string:code>/p/<string:token>",
        type="http",
        auth="public",
        methods=["GET"],
        csrf=False,
        save_session=False,
        sitemap=False,
    )
    def prospect_track_click(self, code, token, **kwargs):
        """Redirect to the link of ``code`` (a link.tracker: its address comes from
        the database, never from the request), and count the click."""
        if not tracking.LINK_CODE_PATTERN.fullmatch(code):
            raise NotFound()
        link = (
            request.env["link.tracker.code"]
            .sudo()
            .search([("code", "=", code)], limit=1)
            .link_id
        )
        if not link:
            raise NotFound()
        if self._counts() and (
            request.env["prospect.feedback.card"]
            .sudo()
            ._track("link_click", token, link=link)
        ):
            # the click counts in the link tracker's statistics too
            request.env["link.tracker.click"].sudo().add_click(
                code, country_code=request.geoip.country_code
            )
        response = request.redirect(link.redirected_url, code=302, local=False)
        response.headers.update(NO_CACHE_HEADERS)
        return response

    def _counts(self):
        """The request may be a person's: not a HEAD, a prefetch or an automated
        client (what comes from a person is still checked against the mailing)."""
        httprequest = request.httprequest
        return (
            httprequest.method == "GET"
            and not tracking.is_prefetch(httprequest.headers)
            and not tracking.is_automated(httprequest.user_agent.string)
        )
