import math
from datetime import datetime, time, timedelta
from fractions import Fraction
from itertools import combinations, pairwise

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..models.prospect_settings import GRADE_DAY_KEYS

# Limits the grade suggestion tries, in days to the expected closing: weeks, then
# months (the current limits are tried too).
GRADE_LIMIT_CANDIDATES = (7, 14, 21, 30, 45, 60, 75, 90, 120, 150, 180, 240, 270, 365)
# A suggested grade (A, B, C, or D for a clear need closing later) rests on at
# least this many closed leads, and this share of them.
MIN_GRADE_LEADS = 5
MIN_GRADE_SHARE = Fraction(5, 100)
# The score threshold is suggested from at least this many closed leads.
MIN_SCORE_LEADS = 10
GRADES = ("a", "b", "c", "d", "e")


def grade_of(days, limits):
    """The grade of a clear need expected to close in ``days`` (overdue: negative)
    with the limits ``(a, b, c)``: the rule of ``rules.grade``."""
    for grade, limit in zip("abc", limits, strict=True):
        if days <= limit:
            return grade
    return "d"


def suggest_grade_limits(rows, current):
    """The grade limits ``(a, b, c)`` that would have best separated wins from
    losses among closed leads with a clear need and an expected closing date.

    ``rows``: ``[(days to the expected closing when the lead closed, closed, won)]``.
    Among the limits of ``GRADE_LIMIT_CANDIDATES`` (and the current ones), keep
    those under which every grade A-D rests on enough leads and the win rate never
    rises from A to D; of these, the one whose grades explain most of the wins and
    losses (largest between-grade sum of squares of the win rate, the criterion of
    a regression tree); on a tie, the closest to the current limits, then the
    smallest. None when no limits qualify."""
    total = sum(closed for _days, closed, _won in rows)
    won_total = sum(won for _days, _closed, won in rows)
    minimum = max(MIN_GRADE_LEADS, math.ceil(total * MIN_GRADE_SHARE))
    candidates = sorted(set(GRADE_LIMIT_CANDIDATES) | set(current))
    # closed and won leads at or below each candidate
    at_most = {}
    for limit in candidates:
        at_most[limit] = (
            sum(closed for days, closed, _won in rows if days <= limit),
            sum(won for days, _closed, won in rows if days <= limit),
        )
    best, best_key = None, None
    for limits in combinations(candidates, 3):
        groups, previous = [], (0, 0)
        for limit in limits:
            closed, won = at_most[limit]
            groups.append((closed - previous[0], won - previous[1]))
            previous = (closed, won)
        groups.append((total - previous[0], won_total - previous[1]))
        if any(closed < minimum for closed, _won in groups):
            continue
        rates = [Fraction(won, closed) for closed, won in groups]
        if any(later > earlier for earlier, later in pairwise(rates)):
            continue
        explained = sum(Fraction(won * won, closed) for closed, won in groups)
        distance = sum(abs(new - old) for new, old in zip(limits, current, strict=True))
        key = (-explained, distance, limits)
        if best_key is None or key < best_key:
            best, best_key = limits, key
    return best


def suggest_score_threshold(counts, current):
    """The score threshold that would have best told wins from losses: "score at
    closing >= threshold" predicting a win, with the largest Youden's J (share of
    the wins at or above it minus share of the losses at or above it); on a tie,
    the closest to the current threshold, then the lowest. ``counts``: ``{score:
    (closed, won)}``. None without enough leads, or without both wins and losses."""
    won_total = sum(won for _closed, won in counts.values())
    lost_total = sum(closed - won for closed, won in counts.values())
    if won_total + lost_total < MIN_SCORE_LEADS or not won_total or not lost_total:
        return None
    best_key = None
    for threshold in range(1, 101):
        youden = threshold_metrics(counts, threshold)["youden"]
        key = (-youden, abs(threshold - current), threshold)
        if best_key is None or key < best_key:
            best_key = key
    return best_key[2]


def threshold_metrics(counts, threshold):
    """What "score >= threshold predicts a win" would have given: the leads at or
    above it, their win rate (precision), the share of the wins they hold (recall)
    and Youden's J, exact (``Fraction``)."""
    won_total = sum(won for _closed, won in counts.values())
    lost_total = sum(closed - won for closed, won in counts.values())
    flagged = sum(
        closed for score, (closed, _won) in counts.items() if score >= threshold
    )
    hits = sum(won for score, (_closed, won) in counts.items() if score >= threshold)
    recall = Fraction(hits, won_total) if won_total else Fraction(0)
    false_alarms = Fraction(flagged - hits, lost_total) if lost_total else Fraction(0)
    return {
        "threshold": threshold,
        "flagged": flagged,
        "won": hits,
        "precision": Fraction(hits, flagged) if flagged else None,
        "recall": recall,
        "youden": recall - false_alarms,
    }


class ProspectCalibrationWizard(models.TransientModel):
    """Thresholds the closed leads of a period suggest, beside the current
    settings, with the difference they would have made. An administrator applies
    them through the settings (and their validation) or closes the wizard."""

    _name = "prospect.calibration.wizard"
    _description = "Prospect Suggested Thresholds"

    date_from = fields.Date(
        string="Closed From",
        required=True,
        default=lambda self: fields.Date.context_today(self) - timedelta(days=365),
    )
    date_to = fields.Date(
        string="Closed To",
        required=True,
        default=lambda self: fields.Date.context_today(self),
    )
    calibration_data = fields.Json(
        compute="_compute_calibration_data",
        store=True,
        help="The closed leads of the period the user may see, aggregated: what "
        "the suggestion and the figures are computed from.",
    )
    closed_count = fields.Integer(string="Closed Leads", compute="_compute_figures")
    won_count = fields.Integer(string="Won Leads", compute="_compute_figures")
    current_grade_a_days = fields.Integer(
        string="Grade A Now", compute="_compute_current"
    )
    current_grade_b_days = fields.Integer(
        string="Grade B Now", compute="_compute_current"
    )
    current_grade_c_days = fields.Integer(
        string="Grade C Now", compute="_compute_current"
    )
    current_score_threshold = fields.Integer(
        string="Score Threshold Now", compute="_compute_current"
    )
    grade_a_days = fields.Integer(
        string="Grade A: closing within (days)",
        compute="_compute_suggestion",
        store=True,
        readonly=False,
        help="Suggested limit of grade A; you may change it before applying.",
    )
    grade_b_days = fields.Integer(
        string="Grade B: closing within (days)",
        compute="_compute_suggestion",
        store=True,
        readonly=False,
    )
    grade_c_days = fields.Integer(
        string="Grade C: closing within (days)",
        compute="_compute_suggestion",
        store=True,
        readonly=False,
    )
    score_threshold = fields.Integer(
        string="Sales-ready Score",
        compute="_compute_suggestion",
        store=True,
        readonly=False,
    )
    grade_note = fields.Char(compute="_compute_suggestion", store=True)
    score_note = fields.Char(compute="_compute_suggestion", store=True)
    changed_grade_count = fields.Integer(
        string="Leads Changing Grade",
        compute="_compute_figures",
        help="Closed leads that the suggested limits would have graded otherwise "
        "than the current ones.",
    )
    figures_html = fields.Html(
        string="Difference", compute="_compute_figures", sanitize=False
    )

    # read with the period's figures: a field the form computes on opening (a
    # compute without dependencies would show 0 there)
    @api.depends("calibration_data")
    def _compute_current(self):
        settings = self.env["prospect.settings"]._get()
        for wizard in self:
            for key in GRADE_DAY_KEYS + ("score_threshold",):
                wizard[f"current_{key}"] = settings[key]

    @api.depends("date_from", "date_to")
    def _compute_calibration_data(self):
        for wizard in self:
            wizard.calibration_data = wizard._get_calibration_data()

    @api.depends("calibration_data")
    def _compute_suggestion(self):
        _ = self.env._
        settings = self.env["prospect.settings"]._get()
        current = tuple(settings[key] for key in GRADE_DAY_KEYS)
        for wizard in self:
            data = wizard._get_data()
            limits = suggest_grade_limits(data["days_rows"], current)
            threshold = suggest_score_threshold(
                data["score_counts"], settings["score_threshold"]
            )
            wizard.grade_note = (
                False
                if limits
                else _(
                    "Not enough closed leads with a clear need and an expected "
                    "closing date to suggest grade limits: the current ones are "
                    "kept."
                )
            )
            wizard.score_note = (
                False
                if threshold is not None
                else _(
                    "Not enough closed leads, or no wins and losses both, to "
                    "suggest a score threshold: the current one is kept."
                )
            )
            limits = limits or current
            wizard.grade_a_days, wizard.grade_b_days, wizard.grade_c_days = limits
            wizard.score_threshold = (
                settings["score_threshold"] if threshold is None else threshold
            )

    @api.depends(
        "calibration_data",
        "grade_a_days",
        "grade_b_days",
        "grade_c_days",
        "score_threshold",
    )
    def _compute_figures(self):
        settings = self.env["prospect.settings"]._get()
        current = tuple(settings[key] for key in GRADE_DAY_KEYS)
        labels = dict(
            self.env["crm.lead"]
            ._fields["prospect_grade"]
            ._description_selection(self.env)
        )
        for wizard in self:
            data = wizard._get_data()
            suggested = (wizard.grade_a_days, wizard.grade_b_days, wizard.grade_c_days)
            grades = wizard._get_grade_figures(data, current, suggested)
            wizard.closed_count = sum(row["closed"] for row in grades["closing"])
            wizard.won_count = sum(row["won"] for row in grades["closing"])
            wizard.changed_grade_count = grades["changed"]
            scores = data["score_counts"]
            values = {
                "grades": [
                    {
                        "label": labels.get(grade, grade),
                        "closing": grades["closing"][index],
                        "current": grades["current"][index],
                        "suggested": grades["suggested"][index],
                    }
                    for index, grade in enumerate(GRADES)
                ],
                "thresholds": [
                    (
                        self.env._("Now"),
                        threshold_metrics(scores, settings["score_threshold"]),
                    ),
                    (
                        self.env._("Suggested"),
                        threshold_metrics(scores, wizard.score_threshold),
                    ),
                ],
                "percent": _percent,
            }
            wizard.figures_html = self.env["ir.qweb"]._render(
                "prospect_development.prospect_calibration_figures", values
            )

    def _get_domain(self):
        """The closed leads of the period, by their closing moment (UTC)."""
        self.ensure_one()
        start = datetime.combine(self.date_from, time.min)
        end = datetime.combine(self.date_to + timedelta(days=1), time.min)
        return [("date_closed", ">=", start), ("date_closed", "<", end)]

    def _get_calibration_data(self):
        """What the suggestion reads from the calibration report, as the user may
        see it (record rules apply): closed and won leads by grade at closing and
        days to the expected closing, and by score at closing (JSON)."""
        self.ensure_one()
        if not (self.date_from and self.date_to):
            return {"grades": [], "scores": []}
        Report = self.env["prospect.calibration.report"]
        domain = self._get_domain()
        grades = Report._read_group(
            domain,
            ["prospect_grade", "days_left_at_close"],
            ["closed_count:sum", "won_count:sum"],
        )
        scores = Report._read_group(
            domain, ["score_at_close"], ["closed_count:sum", "won_count:sum"]
        )
        return {
            "grades": [
                [grade or None, None if days is False else days, closed, won]
                for grade, days, closed, won in grades
            ],
            "scores": [[score or 0, closed, won] for score, closed, won in scores],
        }

    def _get_data(self):
        """The wizard's aggregates, as the suggestion reads them: ``grade_rows``
        ``[(grade, days or None, closed, won)]``, ``days_rows`` (those with days)
        and ``score_counts`` ``{score: (closed, won)}``."""
        self.ensure_one()
        data = self.calibration_data or {"grades": [], "scores": []}
        grade_rows = [tuple(row) for row in data["grades"]]
        return {
            "grade_rows": grade_rows,
            "days_rows": [
                (days, closed, won)
                for _grade, days, closed, won in grade_rows
                if days is not None
            ],
            "score_counts": {
                score: (closed, won) for score, closed, won in data["scores"]
            },
        }

    @api.model
    def _get_grade_figures(self, data, current, suggested):
        """Closed and won leads per grade: at closing, with the current limits and
        with the suggested ones (leads without a clear need and a date keep the
        grade they closed with), and how many leads change grade."""
        figures = {
            name: {grade: [0, 0] for grade in GRADES}
            for name in ("closing", "current", "suggested")
        }
        changed = 0
        for grade, days, closed, won in data["grade_rows"]:
            regradable = days is not None
            now = grade_of(days, current) if regradable else grade
            new = grade_of(days, suggested) if regradable else grade
            for name, value in (
                ("closing", grade),
                ("current", now),
                ("suggested", new),
            ):
                if value in GRADES:
                    figures[name][value][0] += closed
                    figures[name][value][1] += won
            if now != new:
                changed += closed
        result = {"changed": changed}
        for name, by_grade in figures.items():
            result[name] = [
                {
                    "closed": by_grade[grade][0],
                    "won": by_grade[grade][1],
                    "rate": Fraction(by_grade[grade][1], by_grade[grade][0])
                    if by_grade[grade][0]
                    else None,
                }
                for grade in GRADES
            ]
        return result

    def action_apply(self):
        """Save the suggested thresholds as the settings screen would: through
        ``res.config.settings`` and its validation. Administrators only."""
        self.ensure_one()
        if not self.env.user.has_group("base.group_system"):
            raise AccessError(
                self.env._("Only administrators may change the thresholds.")
            )
        if not self.date_from or not self.date_to:
            raise UserError(self.env._("Choose the period first."))
        values = {
            f"prospect_{key}": self[key]
            for key in GRADE_DAY_KEYS + ("score_threshold",)
        }
        self.env["res.config.settings"].create(values).execute()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._(
                    "The thresholds are saved: the next rescoring grades the leads "
                    "with them."
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }


def _percent(rate):
    """A rate as the report shows it: one decimal, or a dash."""
    return "-" if rate is None else f"{float(rate) * 100:.1f}%"
