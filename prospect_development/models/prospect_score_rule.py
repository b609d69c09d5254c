from odoo import fields, models

from .prospect_engagement_event import EVENT_TYPES


class ProspectScoreRule(models.Model):
    """Points an engagement event earns, per type of signal."""

    _name = "prospect.score.rule"
    _inherit = ["prospect.cached.rules.mixin"]
    _description = "Prospect Score Rule"
    _order = "event_type"
    _rec_name = "event_type"

    event_type = fields.Selection(
        [(key, label) for key, label in EVENT_TYPES if key != "call_outcome"],
        string="Signal",
        required=True,
    )
    points = fields.Integer(
        required=True,
        help="Points one such event adds to the engagement score on its day; "
        "negative points take some away (an opt-out). Events keep the points they "
        "earned when they came. Call outcomes carry the points of their outcome.",
    )

    _sql_constraints = [
        (
            "event_type_uniq",
            "UNIQUE(event_type)",
            "There is already a score rule for this signal.",
        ),
        (
            "points_range",
            "CHECK(points BETWEEN -100 AND 100)",
            "The points of a signal go from -100 to 100.",
        ),
    ]
