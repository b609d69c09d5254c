from odoo import api, models
from odoo.tools import SQL

from .. import rules

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
    _inherit = "prospect.engine"
    _description = "Prospect contact cadence"

    @api.model
    def _prepare(self):
        """Batches of due leads, each with the cadence they follow."""
        cadence = (
            self.env["prospect.cadence.rule"]._get_matrix(),
            {
                grade: self.env.ref(xmlid).id
                for grade, xmlid in DEFAULT_ACTIVITY.items()
            },
        )
        return [(rows, cadence) for rows in self._split(self._due_leads(self._today()))]

    def _process_batch(self, batch):
        batch, cadence = batch
        today = self._today()
        model_id = self.env["ir.model"]._get_id("crm.lead")
        langs = {
            user.id: user.lang
            for user in self.env["res.users"].browse({row["user_id"] for row in batch})
        }
        # in the salespeople's activities, not one "assigned to you" mail each
        self.env["mail.activity"].with_context(mail_activity_quick_update=True).create(
            [
                self.with_context(lang=langs[row["user_id"]])._prepare_activity(
                    row, cadence, model_id, today
                )
                for row in batch
            ]
        )
        return len(batch)

    def _due_leads(self, today):
        self.env.cr.execute(
            SQL(
                """
            SELECT lead.id, COALESCE(lead.user_id, team.user_id) AS user_id,
                   lead.prospect_grade, lead.pyramid_tier,
                   lead.key_account_colour IS NOT NULL AS is_key,
                   COALESCE(lead.prospect_potential_key, FALSE) AS is_potential,
                   lead.last_contact_date, lead.next_contact_date, lead.name
              FROM crm_lead lead
              LEFT JOIN crm_stage stage ON stage.id = lead.stage_id
              LEFT JOIN crm_team team ON team.id = lead.team_id
             WHERE %(is_open)s
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
                is_open=rules.is_open(),
                today=today,
            )
        )
        return self.env.cr.dictfetchall()

    def _prepare_activity(self, row, cadence, model_id, today):
        """The cadence activity of a due lead, its summary in the language of the
        context (the salesperson's)."""
        matrix, default_types = cadence
        grade = row["prospect_grade"] or "d"
        interval, activity_type_id = matrix.get(
            (row["pyramid_tier"], grade, row["is_key"], row["is_potential"]),
            (None, False),
        )
        activity_type_id = activity_type_id or default_types[grade]
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
