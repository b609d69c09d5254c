"""The rules of the customer-development method, each defined once.

Every function returns an SQL expression over the columns of a lead (alias ``lead``,
the columns of ``crm_lead``) and of its stage (alias ``stage``, ``crm_stage``). The
nightly engines put them in their set-based statements over whole tables. The rules
a save recomputes (grade, next contact, urgency, cost, closed or open) are built of
``expressions``: the live computes of ``crm.lead`` evaluate the very same
definitions in Python over the values of the records at hand, without a query; the
others they evaluate in SQL over those values (``crm.lead._prospect_evaluate``).
Thresholds come from the settings (``prospect.settings._get()``). The plain-Python
reference implementations the rules are checked against live in
``tests/reference.py``."""

import re
from datetime import timedelta

from odoo.tools import SQL

from .expressions import (
    all_of,
    any_of,
    case,
    coalesce,
    column,
    distinct,
    equal,
    greater,
    is_not_null,
    is_null,
    less_equal,
    minus,
    negation,
    plus,
    times,
)

# Engagement events of the prospect's own doing: together they make a burst of
# interest.
PROSPECT_SIGNALS = (
    "reply",
    "feedback",
    "mail_open",
    "link_click",
    "page_view",
    "form_submit",
)

# Urgency of the next contact: at most this many days away.
URGENCY_LIMITS = (("urgent", 7), ("soon", 30), ("later", 90))

# Grades of a clear need by the days left to the expected closing, then D.
GRADE_LIMITS = (("a", "grade_a_days"), ("b", "grade_b_days"), ("c", "grade_c_days"))


def is_won(stage="stage"):
    """The lead is in a won stage."""
    return coalesce(column(stage, "is_won"), False)


def is_lost(lead="lead"):
    """The lead was marked lost (archived at 0 %), or abandoned."""
    return all_of(
        negation(column(lead, "active")),
        equal(coalesce(column(lead, "probability"), 0), 0),
    )


def is_closed(lead="lead", stage="stage"):
    """Won or lost: the grade is frozen and there is nobody to contact."""
    return any_of(is_won(stage), is_lost(lead))


def is_open(lead="lead", stage="stage"):
    """Still to develop: active and not won."""
    return all_of(column(lead, "active"), negation(is_won(stage)))


def grade(today, settings, lead="lead", stage="stage"):
    """A-E grade: E without need, D with a potential (or unknown) need; a clear
    need is graded by the days left to the expected closing date (overdue
    included). Closed leads keep the grade they closed with."""
    saved = column(lead, "prospect_grade")
    need = column(lead, "need_status")
    deadline = column(lead, "date_deadline")
    return case(
        (all_of(is_closed(lead, stage), is_not_null(saved)), saved),
        (equal(need, "none"), "e"),
        (any_of(distinct(need, "clear"), is_null(deadline)), "d"),
        *(
            (less_equal(deadline, today + timedelta(days=settings[key])), value)
            for value, key in GRADE_LIMITS
        ),
        default="d",
    )


def next_contact_date(is_open_expr, last_contact, created, interval, planned):
    """A date agreed with the prospect ("call again on") while it lies after the
    last contact, else last contact (or creation) plus the cadence interval; none
    when closed."""
    since = coalesce(last_contact, created)
    return case(
        (
            is_open_expr,
            case((greater(planned, since), planned), default=plus(since, interval)),
        )
    )


def urgency(next_date, today):
    """urgent / soon / later / slow by the days left until the next contact."""
    return case(
        (is_null(next_date), None),
        *(
            (less_equal(minus(next_date, today), limit), value)
            for value, limit in URGENCY_LIMITS
        ),
        default="slow",
    )


def decayed_points(points, date, today, half_life):
    """Points of an event today: halved every ``half_life`` days since its day."""
    return SQL(
        "(%s * POWER(0.5, GREATEST(%s - (%s)::date, 0)::numeric / %s))",
        points,
        today,
        date,
        half_life,
    )


def engagement_score(decayed_sum):
    """The engagement score of a lead from the sum of its decayed points: 0-100."""
    return SQL("LEAST(100, GREATEST(0, ROUND(COALESCE(%s, 0))))::int", decayed_sum)


def score_of_events(day, settings, event="event"):
    """The engagement score of a group of events (an aggregate): their points
    decayed to ``day``, summed, bounded."""
    return engagement_score(
        SQL(
            "SUM(%s)",
            decayed_points(
                SQL("%s.points", SQL.identifier(event)),
                SQL("%s.date", SQL.identifier(event)),
                day,
                settings["score_half_life_days"],
            ),
        )
    )


def development_cost(logged, touches, settings):
    """Costs logged by hand plus every touch at the cost per touch."""
    return plus(
        coalesce(logged, 0), times(coalesce(touches, 0), settings["cost_per_touch"])
    )


def abandon_for_silence(unanswered, first_unanswered, today, settings):
    """Touched N times without any answer over at least M days."""
    return SQL(
        "COALESCE(%s >= %s AND %s <= %s, FALSE)",
        unanswered,
        settings["abandon_touches"],
        first_unanswered,
        today - timedelta(days=settings["abandon_days"]),
    )


def expected_value(lead="lead"):
    """Expected revenue weighted by the probability."""
    return SQL(
        "(COALESCE(%(lead)s.expected_revenue, 0)"
        " * COALESCE(%(lead)s.probability, 0) / 100.0)",
        lead=SQL.identifier(lead),
    )


def abandon_for_cost(cost, expected, settings):
    """The development cost exceeds the expected value by the settings' factor."""
    return SQL("(%s > %s * %s)", cost, settings["abandon_cost_factor"], expected)


def abandon(is_open_expr, silence, cost):
    """Abandonment is advised for an open lead silent too long, or too costly."""
    return SQL("(%s AND (%s OR %s))", is_open_expr, silence, cost)


def revenue_tier(rank, total, settings):
    """Tier of the customer at ``rank`` among ``total`` (1 = best, ties share the
    best rank): super up to ceil(total x p1 %), large up to ceil(total x (p1 + p2)
    %), medium up to ceil(total x (p1 + p2 + p3) %), else small."""
    super_pct = settings["tier_super_pct"]
    large_pct = super_pct + settings["tier_large_pct"]
    medium_pct = large_pct + settings["tier_medium_pct"]
    return SQL(
        """CASE
            WHEN %(rank)s <= CEIL(%(total)s * %(super)s / 100.0) THEN 'super'
            WHEN %(rank)s <= CEIL(%(total)s * %(large)s / 100.0) THEN 'large'
            WHEN %(rank)s <= CEIL(%(total)s * %(medium)s / 100.0) THEN 'medium'
            ELSE 'small'
        END""",
        rank=rank,
        total=total,
        super=super_pct,
        large=large_pct,
        medium=medium_pct,
    )


def tier_reached(value, super_min, large_min, medium_min):
    """Tier a customer earning ``value`` would take among the ranked customers,
    from the least any of them earns in each tier and above (``*_min``, by
    ``revenue_tier``): ranked one more than those that earn strictly more, it
    reaches a tier exactly when it earns at least that much (a tier holds at least
    as many customers as its cut-off rank, ties share the best rank)."""
    return SQL(
        """CASE WHEN %(value)s >= %(super)s THEN 'super'
                WHEN %(value)s >= %(large)s THEN 'large'
                WHEN %(value)s >= %(medium)s THEN 'medium'
                ELSE 'small' END""",
        value=value,
        super=super_min,
        large=large_min,
        medium=medium_min,
    )


def potential_key(projected_tier, tier):
    """Its weighted open pipeline would rank the customer super or large, while its
    revenue ranks it below large."""
    return SQL(
        "COALESCE(%s IN ('super', 'large') AND %s NOT IN ('super', 'large'), FALSE)",
        projected_tier,
        tier,
    )


def slipping_by_recency(last_purchase, usual_interval, today, settings):
    """No purchase for longer than the usual interval times the settings' factor."""
    return SQL(
        "COALESCE(%s - %s > %s * %s, FALSE)",
        today,
        last_purchase,
        settings["risk_recency_factor"],
        usual_interval,
    )


def slipping_by_revenue(revenue, revenue_previous, settings):
    """Revenue in the window fell by more than the settings' share against the
    window of the same length before it."""
    return SQL(
        "COALESCE(%s > 0 AND %s < %s * (100 - %s) / 100.0, FALSE)",
        revenue_previous,
        revenue,
        revenue_previous,
        settings["risk_revenue_drop_pct"],
    )


def slipping_to_competitor(lost_day, last_purchase):
    """A deal was lost to a competitor since the last purchase."""
    return SQL(
        "COALESCE(%s >= COALESCE(%s, '-infinity'::date), FALSE)",
        lost_day,
        last_purchase,
    )


def key_account(lead="lead"):
    """The lead marks its customer as a key account (any colour, not archived)."""
    return SQL(
        "(%s.key_account_colour IS NOT NULL AND %s.active)",
        SQL.identifier(lead),
        SQL.identifier(lead),
    )


def account_lead_first(lead="lead", stage="stage"):
    """Order of a customer's active leads, the one that stands for the customer
    first (in the key-account lists, carrying its to-dos): its latest open lead,
    else its latest won one."""
    return SQL("%s DESC, %s.id DESC", is_open(lead, stage), SQL.identifier(lead))


def watched_customer(tier, is_key):
    """The customers whose slipping is watched: super, large, or a key account."""
    return SQL("COALESCE(%s IN ('super', 'large') OR %s, FALSE)", tier, is_key)


def needs_decision_maker(decision_maker_known, lead="lead", stage="stage"):
    """An open super, large, potential-key or grade A opportunity whose customer's
    decision maker is not known yet."""
    return SQL(
        """(%(is_open)s AND %(lead)s.type = 'opportunity'
            AND (%(lead)s.pyramid_tier IN ('super', 'large')
                 OR %(lead)s.prospect_potential_key
                 OR %(lead)s.prospect_grade = 'a')
            AND NOT %(known)s)""",
        is_open=is_open(lead, stage),
        lead=SQL.identifier(lead),
        known=decision_maker_known,
    )


def at_risk(watched, slipping, since, last_purchase):
    """A watched customer (super, large, or a key account) is at risk from the day
    it slips until it buys again: the episode ``since`` goes on until a purchase
    on or after its first day."""
    return SQL(
        """(CASE WHEN %(since)s IS NOT NULL
                      AND COALESCE(%(last)s < %(since)s, TRUE) THEN TRUE
                 ELSE COALESCE(%(watched)s AND %(slipping)s, FALSE) END)""",
        since=since,
        last=last_purchase,
        watched=watched,
        slipping=slipping,
    )


def lead_tier(customer_tier, contacted, lead="lead"):
    """A customer's tier (ranked, or inactive), else other without need, prospect
    once contacted or when an existing customer referred it, suspect before."""
    return SQL(
        """COALESCE(%(customer_tier)s, CASE
            WHEN %(lead)s.need_status = 'none' THEN 'other'
            WHEN %(contacted)s OR %(lead)s.prospect_referrer_id IS NOT NULL
                THEN 'prospect'
            ELSE 'suspect'
        END)""",
        customer_tier=customer_tier,
        contacted=contacted,
        lead=SQL.identifier(lead),
    )


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
