from odoo import api, models
from odoo.tools import SQL


class ProspectSequenceEngine(models.AbstractModel):
    """Sending of the direct-mail and feedback sequences.

    A run enrols by the sequences' rules and stops what can no longer be sent (both
    set-based, on ``prospect.sequence.enrollment``), then sends the due steps batch
    after batch. Each batch is taken ``FOR UPDATE SKIP LOCKED`` and is one
    transaction: a second worker takes other enrolments, a run killed half-way has
    queued nothing of its current batch, and the next run picks it up."""

    _name = "prospect.sequence.engine"
    _inherit = "prospect.engine"
    _description = "Prospect sequences"

    # a composer per salesperson in each batch: the larger the batch, the more
    # mails share its fixed cost (the template checked, the companies, aliases
    # and reply-to addresses looked up)
    _batch_size = 1000

    @api.model
    def _prepare(self):
        enrollments = self.env["prospect.sequence.enrollment"]
        if not self.env.context.get("prospect_send_only"):
            enrollments._action_enroll_by_rules()
            enrollments._action_stop_unreachable()
        return self._due_batches()

    def _due_batches(self):
        """The due enrolments, a batch at a time, each taken when asked for."""
        while ids := self._take_due():
            yield ids

    def _process_batch(self, batch):
        self.env["prospect.sequence.enrollment"].browse(batch)._send_next_step()
        return len(batch)

    def _count_remaining(self, batches, done):
        return self._count_due()

    def _take_due(self):
        self.env["prospect.sequence.enrollment"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT id FROM prospect_sequence_enrollment
                 WHERE %(due)s
                 ORDER BY next_date, id
                 LIMIT %(limit)s
                   FOR UPDATE SKIP LOCKED
                """,
                due=self._due_condition(),
                limit=self._get_batch_size(),
            )
        )
        return [row[0] for row in self.env.cr.fetchall()]

    def _count_due(self):
        self.env["prospect.sequence.enrollment"].flush_model()
        self.env.cr.execute(
            SQL(
                "SELECT COUNT(*) FROM prospect_sequence_enrollment WHERE %s",
                self._due_condition(),
            )
        )
        return self.env.cr.fetchone()[0]

    def _due_condition(self):
        return SQL(
            """state = 'running' AND paused IS NOT TRUE
               AND next_step_id IS NOT NULL AND next_date <= %s""",
            self._now(),
        )
