import calendar
import logging
from datetime import date, timedelta

from odoo import api, models
from odoo.tools import SQL, format_date

from .. import rules

_logger = logging.getLogger(__name__)


def occasion_date(year, month, day):
    """``month``/``day`` in ``year``; February 29 falls on the 28th in common
    years."""
    if month == 2 and day == 29 and not calendar.isleap(year):
        day = 28
    return date(year, month, day)


def occurrences(month, day, start, end, after_year=0):
    """Dates of the yearly occasion ``month``/``day`` within [start, end] (both
    included), in years after ``after_year`` (a birthday or a founding date is
    celebrated from the next year on). Across New Year, the date belongs to the
    next year."""
    dates = []
    for year in range(max(start.year, after_year + 1), end.year + 1):
        day_in_year = occasion_date(year, month, day)
        if start <= day_in_year <= end:
            dates.append(day_in_year)
    return dates


def window_month_days(start, end):
    """``MM-DD`` of every day in [start, end], with ``02-29`` when a common
    year's February 28 is in: a cheap SQL pre-filter on anniversary dates."""
    keys = set()
    day = start
    while day <= end and len(keys) < 366:
        keys.add(day.strftime("%m-%d"))
        if (day.month, day.day) == (2, 28) and not calendar.isleap(day.year):
            keys.add("02-29")
        day += timedelta(days=1)
    return sorted(keys)


class ProspectCareEngine(models.AbstractModel):
    """Daily key-account care: greetings (or a gift to-do for the salesperson)
    a few days before birthdays, founding and partnership anniversaries and the
    company's holidays.

    Key accounts are found in one query: the most recent open key-account lead
    of each commercial partner, with the dates to celebrate. What was already
    planned is read from ``prospect.care.log``, one row per customer, occasion and
    year; each greeting claims its row (``INSERT ... ON CONFLICT DO NOTHING``) in
    the transaction that posts the mail or plans the activity, so that even two
    runs at the same time greet a customer only once."""

    _name = "prospect.care.engine"
    _inherit = "prospect.engine"
    _description = "Key-account care"

    _batch_size = 100

    @api.model
    def _cron_prospect_care(self):
        """Plan every greeting due; returns the number of greetings planned."""
        return self._run()

    def _prepare(self):
        """The greetings due and not planned yet, in batches: the greetings of a
        batch and their logs are committed together."""
        settings = self.env["prospect.settings"]._get()
        today = self._today()
        end = today + timedelta(days=settings["care_days_ahead"])
        holiday_dates = [
            (holiday, day)
            for holiday in self.env["prospect.care.holiday"].search([])
            for day in occurrences(holiday.month, holiday.day, today, end)
        ]
        rows = self._get_key_accounts(today, end, all_accounts=bool(holiday_dates))
        return self._split(
            self._filter_planned(
                self._prepare_greetings(
                    rows, holiday_dates, today, end, settings["care_mode"]
                )
            )
        )

    def _process_batch(self, batch):
        # mails go to the queue, never out from inside the job
        return self.with_context(mail_notify_force_send=False)._plan_greetings(batch)

    def _get_key_accounts(self, start, end, all_accounts=False):
        """One row per commercial partner with an open key-account lead (the most
        recent one), with its dates to celebrate. Unless ``all_accounts`` (a
        holiday is coming), only partners with a date in [start, end]."""
        if all_accounts:
            date_filter = SQL("TRUE")
        else:
            month_days = window_month_days(start, end)
            date_filter = SQL(
                """
                to_char(contact.prospect_birthday, 'MM-DD') = ANY(%(days)s)
                OR to_char(commercial.prospect_birthday, 'MM-DD') = ANY(%(days)s)
                OR to_char(commercial.prospect_founding_date, 'MM-DD') = ANY(%(days)s)
                OR to_char(first_won.date_won, 'MM-DD') = ANY(%(days)s)
                """,
                days=month_days,
            )
        self.env.cr.execute(
            SQL(
                """
            WITH key_lead AS (
                SELECT DISTINCT ON (partner.commercial_partner_id)
                       lead.id AS lead_id,
                       lead.partner_id AS contact_id,
                       partner.commercial_partner_id AS commercial_id,
                       COALESCE(lead.company_id, 0) AS company_key,
                       COALESCE(salesperson.id, leader.id) AS user_id
                  FROM crm_lead lead
                  JOIN res_partner partner ON partner.id = lead.partner_id
                  LEFT JOIN crm_stage stage ON stage.id = lead.stage_id
                  LEFT JOIN crm_team team ON team.id = lead.team_id
                  LEFT JOIN res_users salesperson
                         ON salesperson.id = lead.user_id AND salesperson.active
                  LEFT JOIN res_users leader
                         ON leader.id = team.user_id AND leader.active
                 WHERE %(is_open)s
                   AND lead.key_account_colour IS NOT NULL
                 ORDER BY partner.commercial_partner_id,
                          lead.create_date DESC, lead.id DESC
            ),
            first_won AS (
                SELECT key_lead.lead_id,
                       -- won deals created straight in a won stage have no date_closed
                       MIN(COALESCE(won.date_closed, won.date_last_stage_update,
                                    won.create_date))::date AS date_won
                  FROM key_lead
                  JOIN res_partner won_partner
                    ON won_partner.commercial_partner_id = key_lead.commercial_id
                  JOIN crm_lead won
                    ON won.partner_id = won_partner.id AND won.active
                   AND COALESCE(won.company_id, 0) = key_lead.company_key
                  JOIN crm_stage won_stage
                    ON won_stage.id = won.stage_id AND %(won)s
                 GROUP BY key_lead.lead_id
            )
            SELECT key_lead.lead_id, key_lead.commercial_id, key_lead.user_id,
                   contact.prospect_birthday AS contact_birthday,
                   commercial.prospect_birthday AS commercial_birthday,
                   commercial.prospect_founding_date AS founding_date,
                   first_won.date_won,
                   contact.lang,
                   contact.email IS NOT NULL AND contact.email != '' AS has_email
              FROM key_lead
              JOIN res_partner contact ON contact.id = key_lead.contact_id
              JOIN res_partner commercial ON commercial.id = key_lead.commercial_id
              LEFT JOIN first_won ON first_won.lead_id = key_lead.lead_id
             WHERE contact.active AND commercial.active AND (%(date_filter)s)
             ORDER BY key_lead.lead_id
            """,
                date_filter=date_filter,
                is_open=rules.is_open(),
                won=rules.is_won("won_stage"),
            )
        )
        return self.env.cr.dictfetchall()

    def _prepare_greetings(self, rows, holiday_dates, start, end, mode):
        """Occasions of each key account within [start, end], as dicts. In mail
        mode, customers without an email address get a to-do instead; without a
        salesperson or team leader for it, nothing can be planned."""
        greetings = []
        for row in rows:
            occasions = []
            birthday = row["contact_birthday"] or row["commercial_birthday"]
            if birthday:
                occasions += [
                    ("birthday", "birthday", day, {})
                    for day in occurrences(
                        birthday.month, birthday.day, start, end, birthday.year
                    )
                ]
            founded = row["founding_date"]
            if founded:
                occasions += [
                    ("founding", "founding", day, {})
                    for day in occurrences(
                        founded.month, founded.day, start, end, founded.year
                    )
                ]
            won = row["date_won"]
            if won:
                occasions += [
                    ("partnership", "partnership", day, {"years": day.year - won.year})
                    for day in occurrences(won.month, won.day, start, end, won.year)
                ]
            occasions += [
                (f"holiday_{holiday.id}", "holiday", day, {"holiday_id": holiday.id})
                for holiday, day in holiday_dates
            ]
            if not occasions:
                continue
            if mode == "mail" and row["has_email"]:
                channel = "mail"
            elif row["user_id"]:
                channel = "activity"
            else:
                _logger.info(
                    "Key-account care: nobody to plan a gift for lead %s",
                    row["lead_id"],
                )
                continue
            for occasion, kind, day, values in occasions:
                greetings.append(
                    {
                        **row,
                        **values,
                        "occasion": occasion,
                        "kind": kind,
                        "date": day,
                        "channel": channel,
                    }
                )
        return greetings

    def _filter_planned(self, greetings):
        """Greetings without a log yet (one search for them all)."""
        if not greetings:
            return []
        logs = self.env["prospect.care.log"].search_fetch(
            [
                ("partner_id", "in", list({g["commercial_id"] for g in greetings})),
                ("year", "in", list({g["date"].year for g in greetings})),
            ],
            ["partner_id", "occasion", "year"],
        )
        planned = {(log.partner_id.id, log.occasion, log.year) for log in logs}
        return [
            greeting
            for greeting in greetings
            if (greeting["commercial_id"], greeting["occasion"], greeting["date"].year)
            not in planned
        ]

    def _plan_greetings(self, greetings):
        """Claim the log of each greeting, then post the mail or plan the gift;
        returns how many were planned."""
        template = self.env.ref(
            "prospect_development.mail_template_care_greeting",
            raise_if_not_found=False,
        )
        users = self.env["res.users"].browse(
            {g["user_id"] for g in greetings if g["user_id"]}
        )
        for greeting in greetings:
            if greeting["channel"] == "mail" and not template:
                greeting["channel"] = "activity" if greeting["user_id"] else None
            lang = greeting["lang"]
            if greeting["channel"] == "activity":
                lang = users.browse(greeting["user_id"]).lang
            greeting["lang"] = self._get_lang(lang)
            greeting["label"] = self._get_occasion_label(greeting)
        greetings = [g for g in greetings if g["channel"]]
        claimed = self._claim_logs(greetings)
        leads = self.env["crm.lead"].browse({g["lead_id"] for g in greetings})
        planned = 0
        for greeting in greetings:
            log = claimed.get(
                (greeting["commercial_id"], greeting["occasion"], greeting["date"].year)
            )
            if not log:
                continue  # planned meanwhile by another run
            lead = leads.browse(greeting["lead_id"])
            if greeting["channel"] == "mail":
                log.message_id = self._send_greeting(lead, template, greeting)
            else:
                log.activity_id = self._schedule_gift(lead, greeting)
            planned += 1
        return planned

    def _claim_logs(self, greetings):
        """Insert the logs of ``greetings``, skipping those that exist: returns the
        new logs by (partner, occasion, year)."""
        if not greetings:
            return {}
        Log = self.env["prospect.care.log"]
        Log.flush_model()
        self.env.cr.execute(
            SQL(
                """
            INSERT INTO prospect_care_log
                   (partner_id, occasion, year, date, label, lead_id,
                    create_uid, create_date, write_uid, write_date)
            SELECT claim.partner_id, claim.occasion, claim.year, claim.date,
                   claim.label, claim.lead_id,
                   %(uid)s, %(now)s, %(uid)s, %(now)s
              FROM unnest(%(partners)s::int[], %(occasions)s::varchar[],
                          %(years)s::int[], %(dates)s::date[],
                          %(labels)s::varchar[], %(leads)s::int[])
                   AS claim(partner_id, occasion, year, date, label, lead_id)
            ON CONFLICT (partner_id, occasion, year) DO NOTHING
            RETURNING id, partner_id, occasion, year
            """,
                uid=self.env.uid,
                now=self.env.cr.now(),
                partners=[g["commercial_id"] for g in greetings],
                occasions=[g["occasion"] for g in greetings],
                years=[g["date"].year for g in greetings],
                dates=[g["date"] for g in greetings],
                labels=[g["label"] for g in greetings],
                leads=[g["lead_id"] for g in greetings],
            )
        )
        return {
            (partner_id, occasion, year): Log.browse(log_id)
            for log_id, partner_id, occasion, year in self.env.cr.fetchall()
        }

    def _get_lang(self, lang):
        """``lang`` if it is installed, else the default language."""
        installed = dict(self.env["res.lang"].get_installed())
        if lang in installed:
            return lang
        default = self.env["ir.default"]._get("res.partner", "lang")
        return default if default in installed else "en_US"

    def _get_occasion_label(self, greeting):
        """The occasion, in the language of whom reads it."""
        env = self.with_context(lang=greeting["lang"]).env
        kind = greeting["kind"]
        if kind == "birthday":
            return env._("Birthday")
        if kind == "founding":
            return env._("Founding anniversary")
        if kind == "partnership":
            return env._(
                "Partnership anniversary (%(years)s years)", years=greeting["years"]
            )
        return env["prospect.care.holiday"].browse(greeting["holiday_id"]).name

    def _send_greeting(self, lead, template, greeting):
        """Post the greeting on the lead's thread: in the chatter and queued for
        the customer, in the customer's language."""
        message = lead.with_context(
            occasion=greeting["kind"],
            occasion_label=greeting["label"],
            occasion_date=format_date(
                self.with_context(lang=greeting["lang"]).env, greeting["date"]
            ),
            occasion_years=greeting.get("years"),
        ).message_post_with_source(
            template,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        return message[:1].id

    def _schedule_gift(self, lead, greeting):
        """A to-do for the salesperson (or the team leader): send a gift."""
        env = self.with_context(lang=greeting["lang"]).env
        activity = lead.activity_schedule(
            "mail.mail_activity_data_todo",
            date_deadline=greeting["date"],
            summary=env._("Send a gift: %(occasion)s", occasion=greeting["label"]),
            note=env._(
                "%(occasion)s of %(customer)s on %(date)s: send a gift or a card, or "
                "call to congratulate.",
                occasion=greeting["label"],
                customer=lead.partner_id.display_name,
                date=format_date(env, greeting["date"]),
            ),
            user_id=greeting["user_id"],
        )
        return activity[:1].id
