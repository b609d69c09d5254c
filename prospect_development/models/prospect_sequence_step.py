from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ProspectSequenceStep(models.Model):
    _name = "prospect.sequence.step"
    _description = "Prospect Sequence Step"
    _order = "sequence_id, sequence, id"

    sequence_id = fields.Many2one(
        "prospect.sequence", required=True, ondelete="cascade", index=True
    )
    sequence = fields.Integer(string="Order", default=10)
    name = fields.Char(required=True, translate=True)
    delay_days = fields.Integer(
        string="Delay (days)",
        help="Days after the previous step; for the first step, days after the "
        "enrolment.",
    )
    template_id = fields.Many2one(
        "mail.template",
        string="Mail Template",
        domain=[("model", "=", "crm.lead")],
        ondelete="restrict",
        help="Mail sent on the lead's thread, with a personal feedback card link.",
    )
    activity_type_id = fields.Many2one(
        "mail.activity.type",
        string="Activity",
        ondelete="restrict",
        help="Activity given to the salesperson at this step, e.g. a call to ask for "
        "the prospect's opinion.",
    )
    activity_summary = fields.Char(translate=True)
    activity_delay_days = fields.Integer(
        string="Activity Due After (days)",
        help="Days after the step the activity is due.",
    )

    @api.constrains(
        "delay_days", "activity_delay_days", "template_id", "activity_type_id"
    )
    def _check_step(self):
        for step in self:
            if step.delay_days < 0 or step.activity_delay_days < 0:
                raise ValidationError(
                    self.env._("%(step)s: delays cannot be negative.", step=step.name)
                )
            if not step.template_id and not step.activity_type_id:
                raise ValidationError(
                    self.env._(
                        "%(step)s: a step sends a mail, gives an activity, or both.",
                        step=step.name,
                    )
                )

    def _get_next_step(self):
        """The step after this one in its sequence, or an empty recordset."""
        self.ensure_one()
        steps = self.sequence_id.step_ids.sorted()
        position = list(steps).index(self)
        return steps[position + 1 : position + 2]
