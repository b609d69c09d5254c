from odoo import api, fields, models
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
    someone to do it, no open cadence activity yet). Each batch of them is planned
    set-based, with what ``mail.activity.create`` would do for the salespeople and
    nothing more: the activities (summaries translated once per language and
    wording), the salesperson following the lead with the default subtypes, one
    "activities updated" bus notification per salesperson for their activity menu,
    and no "assigned to you" mail (as with ``mail_activity_quick_update``). The
    partial unique index on ``mail_activity`` makes a second open cadence activity
    impossible: a lead planned meanwhile by another worker is skipped
    (``ON CONFLICT DO NOTHING``)."""

    _name = "prospect.cadence.engine"
    _inherit = "prospect.engine"
    _description = "Prospect contact cadence"

    def _begin_transaction(self, fresh):
        """A scheduled run's transactions are READ COMMITTED: a lead that another
        worker planned meanwhile is waited for at the unique index, then skipped
        (``ON CONFLICT DO NOTHING``), where REPEATABLE READ (Odoo's default) would
        fail the whole batch with a serialization error."""
        if fresh:
            self.env.cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")

    @api.model
    def _prepare(self):
        """Batches of due leads, each with the cadence they follow and the
        summaries already worded (shared by the batches of the run)."""
        cadence = (
            self.env["prospect.cadence.rule"]._get_matrix(),
            {
                grade: self.env.ref(xmlid).id
                for grade, xmlid in DEFAULT_ACTIVITY.items()
            },
            {},
        )
        return [(rows, cadence) for rows in self._split(self._due_leads(self._today()))]

    def _process_batch(self, batch):
        batch, cadence = batch
        today = self._today()
        langs = {
            user.id: user.lang
            for user in self.env["res.users"].browse({row["user_id"] for row in batch})
        }
        values = [
            self._prepare_activity(row, cadence, langs[row["user_id"]], today)
            for row in batch
        ]
        created = self._insert_activities(values)
        self._subscribe_assignees(created)
        # what mail.activity.create says to the web clients, once per salesperson
        # rather than once per activity: their activity menus reload
        todo_users = {
            user_id
            for _lead_id, user_id, deadline in created
            if deadline <= fields.Date.today()
        }
        self.env["res.users"].browse(sorted(todo_users))._bus_send(
            "mail.activity/updated", {"activity_created": True}
        )
        return len(created)

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

    def _prepare_activity(self, row, cadence, lang, today):
        """(lead, activity type, assignee, deadline, summary) of the cadence
        activity of a due lead, its summary in the assignee's language ``lang``."""
        matrix, default_types, summaries = cadence
        grade = row["prospect_grade"] or "d"
        interval, activity_type_id = matrix.get(
            (row["pyramid_tier"], grade, row["is_key"], row["is_potential"]),
            (None, False),
        )
        days = row["last_contact_date"] and (today - row["last_contact_date"]).days
        key = (lang, grade, interval, days)
        if key not in summaries:
            summaries[key] = self.with_context(lang=lang)._get_summary(
                grade, interval, days
            )
        return (
            row["id"],
            activity_type_id or default_types[grade],
            row["user_id"],
            row["next_contact_date"],
            summaries[key],
        )

    @api.model
    def _get_summary(self, grade, interval, days):
        """Why the lead is to be contacted, in the language of the context (the
        salesperson's); ``days`` since the last contact, None if never."""
        if days is None:
            return self.env._(
                "Grade %(grade)s: contact every %(interval)s days; never contacted",
                grade=grade.upper(),
                interval=interval,
            )
        return self.env._(
            "Grade %(grade)s: contact every %(interval)s days; last contact "
            "%(days)s days ago",
            grade=grade.upper(),
            interval=interval,
            days=days,
        )

    def _insert_activities(self, values):
        """Insert the cadence activities ``values`` as ``mail.activity.create``
        stores them (document name, assignee's time zone, authorship); a lead that
        got an open cadence activity since it was found is left as it is. Returns
        (lead, assignee, deadline) of the activities inserted."""
        if not values:
            return []
        activities = self.env["mail.activity"]
        activities.flush_model()
        lead_ids, type_ids, user_ids, deadlines, summaries = zip(*values, strict=True)
        self.env.cr.execute(
            SQL(
                """
            INSERT INTO mail_activity (
                res_model_id, res_model, res_id, res_name, activity_type_id,
                summary, date_deadline, user_id, user_tz, automated, active,
                prospect_cadence, create_uid, create_date, write_uid, write_date)
            SELECT %(model_id)s, 'crm.lead', new.lead_id, lead.name, new.type_id,
                   new.summary, new.deadline, new.user_id, partner.tz, FALSE, TRUE,
                   TRUE, %(uid)s, %(now)s, %(uid)s, %(now)s
              FROM unnest(%(lead_ids)s::int[], %(type_ids)s::int[],
                          %(user_ids)s::int[], %(deadlines)s::date[],
                          %(summaries)s::varchar[])
                   AS new(lead_id, type_id, user_id, deadline, summary)
              JOIN crm_lead lead ON lead.id = new.lead_id
              JOIN res_users assignee ON assignee.id = new.user_id
              JOIN res_partner partner ON partner.id = assignee.partner_id
             ORDER BY new.lead_id
                ON CONFLICT (res_model, res_id) WHERE prospect_cadence AND active
                DO NOTHING
         RETURNING res_id, user_id, date_deadline
            """,
                model_id=self.env["ir.model"]._get_id("crm.lead"),
                uid=self.env.uid,
                now=self.env.cr.now(),
                lead_ids=list(lead_ids),
                type_ids=list(type_ids),
                user_ids=list(user_ids),
                deadlines=list(deadlines),
                summaries=list(summaries),
            )
        )
        created = self.env.cr.fetchall()
        activities.invalidate_model()
        self.env["crm.lead"].invalidate_model()
        return created

    def _subscribe_assignees(self, created):
        """Make each assignee follow the lead, as ``message_subscribe`` does for a
        new activity: an active partner not yet following is added with the default
        subtypes of leads (the external ones for a portal user); one already
        following keeps their subscription."""
        if not created:
            return
        followers = self.env["mail.followers"]
        followers.flush_model()
        internal, _, external = self.env["mail.message.subtype"].default_subtypes(
            "crm.lead"
        )
        lead_ids, user_ids, _deadlines = zip(*created, strict=True)
        self.env.cr.execute(
            SQL(
                """
            WITH new_follower AS (
                INSERT INTO mail_followers (res_model, res_id, partner_id)
                SELECT 'crm.lead', new.lead_id, partner.id
                  FROM unnest(%(lead_ids)s::int[], %(user_ids)s::int[])
                       AS new(lead_id, user_id)
                  JOIN res_users assignee ON assignee.id = new.user_id
                  JOIN res_partner partner ON partner.id = assignee.partner_id
                 WHERE partner.active
                 ORDER BY new.lead_id
                    ON CONFLICT (res_model, res_id, partner_id) DO NOTHING
             RETURNING id, partner_id)
            INSERT INTO mail_followers_mail_message_subtype_rel
                   (mail_followers_id, mail_message_subtype_id)
            SELECT new_follower.id, subtype.id
              FROM new_follower
              JOIN res_partner partner ON partner.id = new_follower.partner_id
             CROSS JOIN LATERAL unnest(
                   CASE WHEN partner.partner_share THEN %(external)s::int[]
                        ELSE %(internal)s::int[] END) AS subtype(id)
            """,
                lead_ids=list(lead_ids),
                user_ids=list(user_ids),
                internal=internal.ids,
                external=external.ids,
            )
        )
        followers.invalidate_model()
        self.env["crm.lead"].invalidate_model()
