from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools.safe_eval import safe_eval


class ProspectSequence(models.Model):
    _name = "prospect.sequence"
    _description = "Prospect Mailing Sequence"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        index=True,
        help="Leave empty to use the sequence in every company.",
    )
    description = fields.Text(translate=True)
    step_ids = fields.One2many("prospect.sequence.step", "sequence_id", copy=True)
    step_count = fields.Integer(compute="_compute_step_count")
    measure_days = fields.Integer(
        string="Effect Window (days)",
        default=30,
        help="Feedback, replies, calls agreed and proposals asked for count for a "
        "mailing when they come within this many days after it was sent.",
    )
    card_valid_days = fields.Integer(
        string="Feedback Card Valid (days)",
        default=90,
        help="The feedback card link of a mailing can be used this many days after "
        "it was sent.",
    )
    auto_enroll = fields.Boolean(
        string="Enrol Automatically",
        help="Every night, enrol the open leads that match the rule below and were "
        "never in this sequence.",
    )
    is_nurture = fields.Boolean(
        string="Nurturing",
        help="Nurture the leads that are not ready for sales yet: enrol the leads of "
        "the rule below whose engagement score is under the sales-ready threshold; "
        "a lead reaching the threshold leaves the sequence and goes to its "
        "salesperson, and is enrolled again if its score falls back.",
    )
    enroll_domain = fields.Char(
        string="Enrolment Rule",
        default="[('pyramid_tier', '=', 'suspect')]",
        help="Leads this sequence enrols automatically.",
    )
    team_ids = fields.Many2many(
        "crm.team",
        string="Sales Teams",
        help="Enrol automatically only the leads of these teams (all when empty).",
    )
    enrollment_ids = fields.One2many("prospect.sequence.enrollment", "sequence_id")
    running_count = fields.Integer(compute="_compute_enrollment_counts")
    enrollment_count = fields.Integer(compute="_compute_enrollment_counts")

    @api.constrains("measure_days", "card_valid_days")
    def _check_days(self):
        for sequence in self:
            if sequence.measure_days < 1 or sequence.card_valid_days < 1:
                raise ValidationError(
                    self.env._(
                        "%(sequence)s: the effect window and the validity of the "
                        "feedback card must be at least one day.",
                        sequence=sequence.name,
                    )
                )

    @api.constrains("enroll_domain")
    def _check_enroll_domain(self):
        for sequence in self:
            try:
                domain = safe_eval(sequence.enroll_domain or "[]")
                self.env["crm.lead"]._search(domain)
            except Exception as error:
                raise ValidationError(
                    self.env._(
                        "%(sequence)s: the enrolment rule is not a valid filter on "
                        "leads (%(error)s).",
                        sequence=sequence.name,
                        error=error,
                    )
                ) from error

    def _compute_step_count(self):
        for sequence in self:
            sequence.step_count = len(sequence.step_ids)

    def _compute_enrollment_counts(self):
        counts = {
            (sequence.id, state): count
            for sequence, state, count in self.env[
                "prospect.sequence.enrollment"
            ]._read_group(
                [("sequence_id", "in", self.ids)],
                ["sequence_id", "state"],
                ["__count"],
            )
        }
        for sequence in self:
            sequence.running_count = counts.get((sequence.id, "running"), 0)
            sequence.enrollment_count = sum(
                count
                for (seq_id, _state), count in counts.items()
                if seq_id == sequence.id
            )

    def action_view_enrollments(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "prospect_development.action_prospect_sequence_enrollment"
        )
        action["domain"] = [("sequence_id", "=", self.id)]
        action["context"] = {"default_sequence_id": self.id}
        return action

    def _get_first_step(self):
        self.ensure_one()
        return self.step_ids.sorted()[:1]
