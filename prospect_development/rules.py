"""Pure rules of the customer-development method, without the ORM.

They are the reference the SQL of the rescoring engine is tested against, and what the
stored computes of ``crm.lead`` use for the record at hand.
"""

import math
import re
from datetime import timedelta

# Settings keys (``prospect_development.<key>``) with their defaults.
DEFAULTS = {
    "tier_super_pct": 1,
    "tier_large_pct": 4,
    "tier_medium_pct": 15,
    "lookback_days": 365,
    "grade_a_days": 30,
    "grade_b_days": 90,
    "grade_c_days": 180,
    "cadence_a_days": 7,
    "cadence_b_days": 14,
    "cadence_c_days": 30,
    "cadence_d_days": 90,
    "abandon_touches": 8,
    "abandon_days": 180,
    "abandon_cost_factor": 1.0,
    "score_threshold": 60,
    "score_half_life_days": 30,
    "revenue_source": "won",
    "cost_per_touch": 0.0,
    "care_days_ahead": 7,
    "care_mode": "mail",
}

# Engagement points of one event, halved every ``score_half_life_days``.
SCORE_POINTS = {"answer": 20, "meeting": 15, "activity_done": 10, "feedback": 25}

URGENCY_LIMITS = (("urgent", 7), ("soon", 30), ("later", 90))


def tier_cutoffs(count, super_pct, large_pct, medium_pct):
    """Last rank of the super, large and medium tiers among ``count`` customers."""
    return (
        math.ceil(count * super_pct / 100),
        math.ceil(count * (super_pct + large_pct) / 100),
        math.ceil(count * (super_pct + large_pct + medium_pct) / 100),
    )


def revenue_tier(rank, cutoffs):
    """Tier of the customer at ``rank`` (1 = best; ties share the best rank)."""
    super_cut, large_cut, medium_cut = cutoffs
    if rank <= super_cut:
        return "super"
    if rank <= large_cut:
        return "large"
    if rank <= medium_cut:
        return "medium"
    return "small"


def rank_revenues(revenues):
    """SQL ``RANK()`` over revenues, descending: {key: rank}."""
    ordered = sorted(revenues.items(), key=lambda item: item[1], reverse=True)
    ranks, previous, previous_rank = {}, None, 0
    for position, (key, revenue) in enumerate(ordered, start=1):
        if revenue != previous:
            previous, previous_rank = revenue, position
        ranks[key] = previous_rank
    return ranks


def lead_tier(revenue, revenue_before, need_status, contacted, cutoff_tier=None):
    """Tier of one lead; ``cutoff_tier`` is its partner's revenue tier, if any."""
    if revenue > 0:
        return cutoff_tier
    if revenue_before > 0:
        return "inactive"
    if need_status == "none":
        return "other"
    return "prospect" if contacted else "suspect"


def prospect_grade(need_status, date_deadline, today, a_days, b_days, c_days):
    """A-E grade from the need and the expected closing date."""
    if need_status == "none":
        return "e"
    if need_status != "clear" or not date_deadline:
        return "d"
    days_left = (date_deadline - today).days
    if days_left <= a_days:
        return "a"
    if days_left <= b_days:
        return "b"
    if days_left <= c_days:
        return "c"
    return "d"


def cadence_days(grade, settings):
    """Contact interval in days for a grade; ``None`` for E (no cadence)."""
    if grade not in ("a", "b", "c", "d"):
        return None
    return settings[f"cadence_{grade}_days"]


def next_contact_date(last_contact, created, interval):
    """Last contact (or creation) plus the cadence interval."""
    start = last_contact or created
    if interval is None or not start:
        return None
    return start + timedelta(days=interval)


def contact_urgency(next_date, today):
    """urgent / soon / later / slow from the days left until the next contact."""
    if not next_date:
        return None
    days_left = (next_date - today).days
    for urgency, limit in URGENCY_LIMITS:
        if days_left <= limit:
            return urgency
    return "slow"


def settings_errors(values):
    """Reasons why ``values`` (every key of ``DEFAULTS``) cannot be saved.

    Returns message ids, translated by the caller: (code, params).
    """
    errors = []
    percentages = ("tier_super_pct", "tier_large_pct", "tier_medium_pct")
    if any(values[key] < 0 for key in percentages):
        errors.append(("pct_negative", {}))
    elif sum(values[key] for key in percentages) > 100:
        errors.append(("pct_total", {"total": sum(values[key] for key in percentages)}))
    for key in (
        "lookback_days",
        "grade_a_days",
        "cadence_a_days",
        "cadence_b_days",
        "cadence_c_days",
        "cadence_d_days",
        "abandon_touches",
        "abandon_days",
        "score_half_life_days",
    ):
        if values[key] < 1:
            errors.append(("positive", {"key": key}))
    if not values["grade_a_days"] < values["grade_b_days"] < values["grade_c_days"]:
        errors.append(("grade_order", {}))
    for key in ("cost_per_touch", "care_days_ahead"):
        if values[key] < 0:
            errors.append(("not_negative", {"key": key}))
    if values["abandon_cost_factor"] <= 0:
        errors.append(("cost_factor", {}))
    if not 0 <= values["score_threshold"] <= 100:
        errors.append(("score_threshold", {}))
    for key, maximum in SETTINGS_MAXIMA.items():
        if values[key] > maximum:
            errors.append(("too_large", {"key": key, "max": maximum}))
    return errors


# Largest sensible value of the settings: a century of days, and so on. Beyond,
# dates overflow and the method means nothing.
MAX_DAYS = 36500
SETTINGS_MAXIMA = {
    **dict.fromkeys(
        (
            "lookback_days",
            "grade_a_days",
            "grade_b_days",
            "grade_c_days",
            "cadence_a_days",
            "cadence_b_days",
            "cadence_c_days",
            "cadence_d_days",
            "abandon_days",
            "score_half_life_days",
        ),
        MAX_DAYS,
    ),
    "abandon_touches": 100_000,
    "care_days_ahead": 366,
    "abandon_cost_factor": 1_000,
    "cost_per_touch": 1_000_000_000,
}


def sane_settings(values):
    """``values`` where the settings that could not be saved through the settings
    screen (edited by hand in the system parameters) are back to their defaults, so
    that a bad parameter never stops the scheduled jobs."""
    values = dict(values)
    for code, params in settings_errors(values):
        keys = {
            "pct_negative": ("tier_super_pct", "tier_large_pct", "tier_medium_pct"),
            "pct_total": ("tier_super_pct", "tier_large_pct", "tier_medium_pct"),
            "grade_order": ("grade_a_days", "grade_b_days", "grade_c_days"),
            "cost_factor": ("abandon_cost_factor",),
            "score_threshold": ("score_threshold",),
        }.get(code, (params.get("key"),))
        for key in keys:
            values[key] = DEFAULTS[key]
    return values


# Public mail providers: two people with an address there are not colleagues.
PUBLIC_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "yahoo.com",
        "yahoo.com.cn",
        "icloud.com",
        "me.com",
        "aol.com",
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "mail.com",
        "protonmail.com",
        "proton.me",
        "yandex.ru",
        "qq.com",
        "foxmail.com",
        "163.com",
        "126.com",
        "yeah.net",
        "sina.com",
        "sina.cn",
        "sohu.com",
        "aliyun.com",
        "139.com",
    }
)

# How the subject of an automatic reply begins (lowercase), in the languages of the
# mail clients the prospects use: Outlook, Gmail, Lotus Notes, QQ and NetEase mail.
AUTO_REPLY_SUBJECT_PREFIXES = (
    "automatic reply",
    "autoreply",
    "auto-reply",
    "auto reply",
    "auto",
    "out of office",
    "out of the office",
    "away from the office",
    "automatische antwort",
    "réponse automatique",
    "respuesta automática",
    "自动回复",
    "自动答复",
    "自動回覆",
    "自動回復",
    "自動応答",
)
# The subject of an automatic reply: one prefix or more at its very beginning ("Out of
# Office AutoReply"), then a colon or nothing. Python and PostgreSQL (``~*``) read it
# alike; a mail about the office ("Out of office furniture", "Re: Out of office") is
# not an automatic reply.
AUTO_REPLY_SUBJECT_PATTERN = r"^\s*(?:(?:{})\s*)+(?:[:：]|$)".format(
    "|".join(re.escape(prefix) for prefix in AUTO_REPLY_SUBJECT_PREFIXES)
)


def is_auto_reply_subject(subject):
    """Whether ``subject`` is that of an automatic reply
    (``AUTO_REPLY_SUBJECT_PATTERN``)."""
    return bool(re.match(AUTO_REPLY_SUBJECT_PATTERN, subject or "", re.IGNORECASE))


def is_auto_reply(get_header, subject=""):
    """Whether a received mail is an automatic reply (out of office, vacation), by
    its headers (RFC 3834 ``Auto-Submitted``, the ``X-Autoreply`` family,
    ``Precedence: auto_reply``) or, failing those, its subject.

    ``get_header(name)`` returns a header's value or None. Mails that reach Odoo
    otherwise than through the mail gateway (``message_post``, a mail plug-in) carry no
    headers: ``mail.message`` then decides on the subject alone."""
    auto_submitted = (get_header("Auto-Submitted") or "").strip().lower()
    if auto_submitted and auto_submitted != "no":
        return True
    if any(
        get_header(name) for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponse")
    ):
        return True
    precedence = (get_header("Precedence") or get_header("X-Precedence") or "").lower()
    if "auto_reply" in precedence:
        return True
    return is_auto_reply_subject(subject)
