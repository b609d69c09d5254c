"""What makes an open or a click of a sequence mail count: plain functions, no ORM.

A sequence mail carries an open pixel and tracked links holding the token of its
feedback card (``controllers/tracking.py``). Mail security gateways, link scanners
and privacy proxies fetch those too, often within seconds of delivery, so a request
counts only when it comes from a person's mail client or browser: not a HEAD or a
prefetch, not a known scanner, not in the first seconds after delivery, once per
mail, kind (and link) and window. The README section "What the open and click
tracking filters" says the same for users.
"""

import re
from datetime import datetime

# Requests within this many seconds of the mail's delivery (the SMTP hand-off) are
# the receiving gateway's scanners (Safe Links, Defender, Proofpoint...), which
# fetch every image and link at delivery, whatever the user agent they show.
GRACE_SECONDS = 60
# An open (or a click on one link) of one mail counts once within this many seconds.
WINDOW_SECONDS = 3600

# User agents of what fetches mail content without a person behind it (regular
# expressions, searched anywhere in the User-Agent header). Deliberately absent: the
# image proxies of webmails that fetch when the person opens the mail (Gmail's
# "GoogleImageProxy", Yahoo's "YahooMailProxy"): those are real opens.
SCANNER_USER_AGENTS = (
    # crawlers and link previews: Googlebot, bingbot, AhrefsBot, Slackbot...
    # (case-sensitive on purpose: not the CUBOT phones of Android user agents)
    r"[a-z](?:bot|Bot)\b",
    r"(?i:crawler|spider|slurp|facebookexternalhit|whatsapp|skypeuripreview)",
    # mail security gateways and link scanners
    r"(?i:bingpreview|safe ?links|barracuda|proofpoint|mimecast|ironport)",
    r"(?i:symantec|messagelabs|trend ?micro|sophos|fireeye|forcepoint|zscaler)",
    # Office checking that a link exists before the browser opens it
    r"(?i:microsoft office (?:existence|protocol) discovery)",
    # scripts and headless browsers
    r"(?i:python-requests|python-urllib|python-httpx|aiohttp|\bcurl/|\bwget\b)",
    r"(?i:go-http-client|\bjava/|okhttp|apache-httpclient|libwww-perl|node-fetch)",
    r"(?i:\baxios/|headlesschrome|phantomjs)",
)
_SCANNER = re.compile("|".join(SCANNER_USER_AGENTS))
# Apple Mail Privacy Protection downloads the images of every mail received, opened
# or not, through Apple's proxies, which say nothing but this.
PRIVACY_PREFETCH_USER_AGENT = "Mozilla/5.0"
# Longer User-Agent headers are no mail client's: not worth a regular expression.
USER_AGENT_MAX_LENGTH = 1024

# The code of a link.tracker (letters and digits, other characters when edited by
# hand): anything else is refused before any database lookup, like a malformed card
# token (``prospect_feedback_card.TOKEN_PATTERN``).
LINK_CODE_PATTERN = re.compile(r"[A-Za-z0-9_.~-]{1,64}")

_EPOCH = datetime(1970, 1, 1)


def is_automated(user_agent):
    """The request comes from a scanner, a bot or a privacy prefetch, or says
    nothing about its client: it is not a person opening or clicking."""
    user_agent = (user_agent or "").strip()
    if not user_agent or len(user_agent) > USER_AGENT_MAX_LENGTH:
        return True
    if user_agent == PRIVACY_PREFETCH_USER_AGENT:
        return True
    return bool(_SCANNER.search(user_agent))


def is_prefetch(headers):
    """A browser fetching a page ahead of a click that may never come."""
    return any(
        "prefetch" in (headers.get(name) or "").lower()
        for name in ("Purpose", "Sec-Purpose", "X-Moz", "X-Purpose")
    )


def too_early(date_delivered, now):
    """The mail was not delivered yet, or only seconds ago (the gateway's scan)."""
    return not date_delivered or (now - date_delivered).total_seconds() < GRACE_SECONDS


def dedup_key(event_type, card_id, now, link_id=None):
    """The key of an open or a click of one mail in the window of clock time
    ``now`` falls in: two identical requests at the same moment, each unaware of
    the other, write one event (the window itself slides: a request is first
    checked against the events of the last ``WINDOW_SECONDS``)."""
    window = int((now - _EPOCH).total_seconds()) // WINDOW_SECONDS
    if link_id:
        return f"{event_type}:card{card_id}:link{link_id}:{window}"
    return f"{event_type}:card{card_id}:{window}"
