from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .crm_lead import NEED_STATUSES


class ProspectCallOutcome(models.Model):
    """What a call (or a visit) gave, and what follows from it for the lead: its
    need, whether the prospect answered, when to contact it again, what to plan and
    how much it weighs in the engagement score (``prospect.outcome.wizard``)."""

    _name = "prospect.call.outcome"
    _description = "Call outcome"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    need_status = fields.Selection(
        NEED_STATUSES,
        string="Sets Need",
        help="Need the outcome gives the lead (and so its grade); empty leaves the "
        "need as it is.",
    )
    answered = fields.Boolean(
        default=True,
        help="The prospect answered: the call is a contact and the cadence restarts "
        "from the day of the call. Unticked (nobody picked up), the call is a touch "
        "without answer: the last contact does not move and the touch counts toward "
        "the abandonment advice.",
    )
    next_contact_days = fields.Integer(
        string="Next Contact In (days)",
        help="Next contact this outcome implies, in days from the call, when the "
        "salesperson gives no date; 0: the cadence of the lead's grade decides.",
    )
    ask_date = fields.Boolean(
        string="Asks for a Date",
        help="The salesperson must give the date of the next contact (e.g. call "
        "again on the date the prospect asked for).",
    )
    activity_type_id = fields.Many2one(
        "mail.activity.type",
        string="Activity to Plan",
        domain="['|', ('res_model', '=', False), ('res_model', '=', 'crm.lead')]",
        help="Activity planned for the salesperson, e.g. a meeting when the prospect "
        "asks for a visit. It is the lead's next cadence contact: marking it done "
        "asks for its outcome in turn.",
    )
    activity_days = fields.Integer(
        string="Activity In (days)",
        help="Deadline of the planned activity, in days from the call, unless the "
        "salesperson gives a date.",
    )
    points = fields.Integer(
        help="Points the outcome adds to the lead's engagement score (negative "
        "points lower it); they fade like any other event's."
    )
    description = fields.Text(translate=True)

    _sql_constraints = [
        (
            "days_positive",
            "CHECK(next_contact_days >= 0 AND activity_days >= 0)",
            "Days until the next contact or the activity cannot be negative.",
        ),
    ]

    @api.constrains("answered", "need_status")
    def _check_unanswered_keeps_need(self):
        if any(not outcome.answered and outcome.need_status for outcome in self):
            raise ValidationError(
                self.env._(
                    "An outcome without answer cannot set the need: nobody told it."
                )
            )
