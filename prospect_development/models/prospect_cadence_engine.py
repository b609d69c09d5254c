import logging
import threading

from odoo import api, fields, models
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

# Default activity of a grade when no cadence rule names one.
DEFAULT_ACTIVITY = {
    "a": "mail.mail_activity_data_call",
    "b": "mail.mail_activity_data_call",
    "c": "mail.mail_activity_data_email",
    "d": "mail.mail_activity_data_email",
}


class ProspectCadenceEngine(models.AbstractModel):
    """Daily "whom to contact next": one open cadence activity per due lead.

    Due leads are found in one query (open, not graded E, next contact date come,
    someone to do it, no open cadence activity yet); their activities are created in
    batches with the ORM, so that assignees are notified as usual. The partial unique
    index on ``mail_activity`` makes a second activity impossible, even with two
    workers."""

    _name = "prospect.cadence.engine"
    _description = "Prospect contact cadence"

    _batch_size = 1000

    @api.model
    def _run(self):
        """Plan every due contact; returns the number of activities created."""
        auto_commit = not getattr(threading.current_thread(), "testing", False)
        self.env.flush_all()
        today = fields.Date.context_today(self)
        due = self._due_leads(today)
        matrix = self.env["prospect.cadence.rule"]._get_matrix()
        defaults = {
            grade: self.env.ref(xmlid).id for grade, xmlid in DEFAULT_ACTIVITY.items()
        }
        model_id = self.env["ir.model"]._get_id("crm.lead")
        created = 0
        for start in range(0, len(due), self._batch_size):
            batch = due[start : start + self._batch_size]
            # in the salespeople's activities, not one "assigned to you" mail each
            self.env["mail.activity"].with_context(
                mail_activity_quick_update=True
            ).create(
                [
                    self._prepare_activity(row, matrix, defaults, model_id, today)
                    for row in batch
                ]
            )
            created += len(batch)
            if auto_commit:
                self.env["ir.cron"]._notify_progress(
                    done=created, remaining=len(due) - created
                )
                # each batch is final: a kill after this plans nothing twice
                self.env.cr.commit()  # pylint: disable=invalid-commit
                self.env.invalidate_all()  # keep memory flat over the batches
        _logger.info("Prospect cadence: %s contacts planned", created)
        return created

    def _due_leads(self, today):
        self.env.cr.execute(
            SQL(
                """
            SELECT lead.id, COALESCE(lead.user_id, team.user_id) AS user_id,
                   lead.prospect_grade, lead.pyramid_tier,
                   lead.key_account_colour IS NOT NULL AS is_key,
                   lead.last_contact_date, lead.next_contact_date, lead.name
              FROM crm_lead lead
              LEFT JOIN crm_stage stage ON stage.id = lead.stage_id
              LEFT JOIN crm_team team ON team.id = lead.team_id
             WHERE lead.active
               AND NOT COALESCE(stage.is_won, FALSE)
               AND lead.next_contact_date <= %(today)s
               AND lead.prospect_grade IS DISTINCT FROM 'e'
               AND COALESCE(lead.user_id, team.user_id) IS NOT NULL
               AND NOT EXISTS (
                   SELECT 1 FROM mail_activity activity
                    WHERE activity.res_model = 'crm.lead'
                      AND activity.res_id = lead.id
                      AND activity.prospect_cadence AND activity.active)
             ORDER BY lead.id
            """,
                today=today,
            )
        )
        return self.env.cr.dictfetchall()

    def _prepare_activity(self, row, matrix, defaults, model_id, today):
        grade = row["prospect_grade"] or "d"
        interval, activity_type_id = matrix.get(
            (row["pyramid_tier"], grade, row["is_key"]), (None, False)
        )
        activity_type_id = activity_type_id or defaults[grade]
        grade_label = grade.upper()
        if row["last_contact_date"]:
            days = (today - row["last_contact_date"]).days
            summary = self.env._(
                "Grade %(grade)s: contact every %(interval)s days; last contact "
                "%(days)s days ago",
                grade=grade_label,
                interval=interval,
                days=days,
            )
        else:
            summary = self.env._(
                "Grade %(grade)s: contact every %(interval)s days; never contacted",
                grade=grade_label,
                interval=interval,
            )
        return {
            "res_model_id": model_id,
            "res_id": row["id"],
            "activity_type_id": activity_type_id,
            "user_id": row["user_id"],
            "date_deadline": row["next_contact_date"],
            "summary": summary,
            "prospect_cadence": True,
        }
