"""Plain-Python reference implementations of the method's rules.

The add-on defines each rule once, in SQL (``rules``); the tests check that SQL,
evaluated by the live computes and by the nightly engine, against these readable
versions written straight from the method."""

import math
from datetime import timedelta


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


def next_contact_date(last_contact, created, interval, planned=None):
    """A date agreed after the last contact, else last contact (or creation) plus
    the cadence interval."""
    start = last_contact or created
    if planned and start and planned > start:
        return planned
    if interval is None or not start:
        return None
    return start + timedelta(days=interval)


def engagement_score(events, today, half_life):
    """Sum of ``(points, day)`` halved every ``half_life`` days, bounded to 0-100."""
    total = sum(
        points * 0.5 ** (max((today - day).days, 0) / half_life)
        for points, day in events
    )
    return min(100, max(0, math.floor(total + 0.5)))


def contact_urgency(next_date, today):
    """urgent / soon / later / slow from the days left until the next contact."""
    if not next_date:
        return None
    days_left = (next_date - today).days
    for urgency, limit in (("urgent", 7), ("soon", 30), ("later", 90)):
        if days_left <= limit:
            return urgency
    return "slow"


def development_cost(logged, touches, cost_per_touch):
    return (logged or 0) + (touches or 0) * cost_per_touch


def abandon_recommended(
    is_open, unanswered, first_unanswered, cost, expected_value, today, settings
):
    """N touches without answer over at least M days, or a cost above the expected
    value times the factor; open leads only."""
    silent = bool(
        unanswered is not None
        and first_unanswered
        and unanswered >= settings["abandon_touches"]
        and first_unanswered <= today - timedelta(days=settings["abandon_days"])
    )
    costly = cost > settings["abandon_cost_factor"] * expected_value
    return is_open and (silent or costly)
