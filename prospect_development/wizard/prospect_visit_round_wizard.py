from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError

from .. import rules
from ..report.prospect_territory_report import TIER_KEYS

MEETING_XMLID = "mail.mail_activity_data_meeting"


def _next_working_day(day):
    """``day`` itself from Monday to Friday, else the Monday after (the round
    proposes working days; the salesperson may still pick a Saturday)."""
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


class ProspectVisitRoundWizard(models.TransientModel):
    """A salesperson's visit round: the open leads whose next contact is due or
    comes within the next days, grouped by area (city and postcode), the most
    valuable first in each area. One area per working day is proposed, the busiest
    first; the salesperson moves the days and plans the round as meetings."""

    _name = "prospect.visit.round.wizard"
    _description = "Visit Round"

    def _default_date_start(self):
        return _next_working_day(fields.Date.context_today(self) + timedelta(days=1))

    user_id = fields.Many2one(
        "res.users",
        string="Salesperson",
        required=True,
        default=lambda self: self.env.user,
        domain="[('share', '=', False)]",
        help="Whose round: yours; a Sales manager may plan a colleague's.",
    )
    can_choose_user = fields.Boolean(compute="_compute_can_choose_user")
    days_ahead = fields.Integer(
        string="Coming Days",
        default=5,
        required=True,
        help="Leads whose next contact falls within this many days (overdue ones "
        "included) are in the round.",
    )
    date_start = fields.Date(
        string="First Visit Day",
        required=True,
        default=_default_date_start,
        help="The proposed days start here: one area per working day, the busiest "
        "area first.",
    )
    area_ids = fields.One2many(
        "prospect.visit.round.area",
        "wizard_id",
        string="Areas",
        compute="_compute_area_ids",
        store=True,
        readonly=False,
    )
    line_ids = fields.One2many(
        "prospect.visit.round.line",
        "wizard_id",
        string="Visits",
        compute="_compute_line_ids",
        store=True,
    )

    @api.depends_context("uid")
    def _compute_can_choose_user(self):
        self.can_choose_user = self.env.user.has_group("sales_team.group_sale_manager")

    @api.depends("user_id", "days_ahead", "date_start")
    def _compute_area_ids(self):
        for wizard in self:
            areas = wizard._prospect_round()
            day = wizard.date_start
            commands = [fields.Command.clear()]
            for sequence, area in enumerate(areas, start=1):
                visit_date = False
                if day and (area["city"] or area["zip"]):
                    visit_date = day = _next_working_day(day)
                    day += timedelta(days=1)
                commands.append(
                    fields.Command.create(
                        {
                            "sequence": sequence,
                            "area_key": area["key"],
                            "name": area["name"],
                            "city": area["city"],
                            "zip": area["zip"],
                            "country_id": area["country_id"],
                            "lead_count": len(area["leads"]),
                            "visit_date": visit_date,
                        }
                    )
                )
            wizard.area_ids = commands

    @api.depends("user_id", "days_ahead", "date_start")
    def _compute_line_ids(self):
        for wizard in self:
            commands = [fields.Command.clear()]
            for area_sequence, area in enumerate(wizard._prospect_round(), start=1):
                for rank, lead in enumerate(area["leads"], start=1):
                    commands.append(
                        fields.Command.create(
                            wizard._prepare_line(area, area_sequence, rank, lead)
                        )
                    )
            wizard.line_ids = commands

    @api.constrains("user_id")
    def _check_user_id(self):
        for wizard in self:
            wizard._check_may_plan()

    # -----------------------------------------------------------------------------
    # actions
    # -----------------------------------------------------------------------------

    def action_plan(self):
        """Plan the round as meetings and say what was done."""
        self.ensure_one()
        activities, skipped = self._action_plan()
        days = len(set(activities.mapped("date_deadline")))
        if activities:
            message = self.env._(
                "%(count)s visits planned over %(days)s days for %(user)s.",
                count=len(activities),
                days=days,
                user=self.user_id.name,
            )
        else:
            message = self.env._("No visit to plan.")
        if skipped:
            message += " " + self.env._(
                "%(count)s leads already had a meeting planned: left as they were.",
                count=len(skipped),
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Visit Round"),
                "message": message,
                "type": "success" if activities else "warning",
                "sticky": False,
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def action_print(self):
        self.ensure_one()
        return self.env.ref(
            "prospect_development.action_report_prospect_visit_round"
        ).report_action(self)

    # -----------------------------------------------------------------------------
    # business
    # -----------------------------------------------------------------------------

    def _check_may_plan(self):
        if self.user_id != self.env.user and not self.env.user.has_group(
            "sales_team.group_sale_manager"
        ):
            raise AccessError(
                self.env._(
                    "Only a Sales manager may prepare the visit round of another "
                    "salesperson."
                )
            )

    def _prospect_round_leads(self):
        """The open leads of the salesperson due within the coming days (overdue
        included), most valuable first: tier, then revenue, then pipeline."""
        self.ensure_one()
        if not self.user_id:
            return self.env["crm.lead"]
        until = fields.Date.context_today(self) + timedelta(
            days=max(self.days_ahead, 0)
        )
        return self.env["crm.lead"].search(
            [
                ("user_id", "=", self.user_id.id),
                ("next_contact_date", "!=", False),
                ("next_contact_date", "<=", until),
                *self.env["crm.lead"]._prospect_domain(rules.is_open()),
            ],
            order="pyramid_tier, pyramid_revenue desc, expected_revenue desc, "
            "next_contact_date, id",
        )

    @api.model
    def _visit_address(self, lead):
        """Where to go: the lead's address, else its customer's."""
        if lead.city or lead.zip or lead.street:
            return lead
        return lead.partner_id.commercial_partner_id or lead

    def _prospect_round(self):
        """The round by area: [{key, name, city, zip, country_id, leads}], the
        busiest area first (then the best tier, then the highest revenue); the
        leads without any address come last."""
        leads = self._prospect_round_leads()
        areas = {}
        for lead in leads:  # most valuable first: kept inside each area
            address = self._visit_address(lead)
            city = (address.city or "").strip()
            postcode = (address.zip or "").strip()
            key = "|".join(
                [str(address.country_id.id or ""), city.casefold(), postcode.upper()]
            )
            area = areas.setdefault(
                key,
                {
                    "key": key,
                    "name": " ".join(part for part in (postcode, city) if part)
                    or self.env._("No address"),
                    "city": city,
                    "zip": postcode,
                    "country_id": address.country_id.id,
                    "leads": [],
                },
            )
            area["leads"].append(lead)
        tier_rank = {key: rank for rank, key in enumerate(TIER_KEYS)}

        def busiest(area):
            leads = area["leads"]
            return (
                not area["city"] and not area["zip"],
                -len(leads),
                min(tier_rank.get(lead.pyramid_tier, 99) for lead in leads),
                -sum(lead.pyramid_revenue + lead.expected_revenue for lead in leads),
                area["name"],
            )

        return sorted(areas.values(), key=busiest)

    def _prepare_line(self, area, area_sequence, rank, lead):
        address = self._visit_address(lead)
        customer = lead.partner_id.commercial_partner_id
        return {
            "sequence": area_sequence * 1000 + rank,
            "area_key": area["key"],
            "area_name": area["name"],
            "lead_id": lead.id,
            "customer": customer.name
            or lead.partner_name
            or lead.contact_name
            or lead.name,
            "street": " ".join(
                part for part in (address.street, address.street2) if part
            ),
            "phone": lead.phone or customer.phone,
            "mobile": lead.mobile or customer.mobile,
        }

    def _areas_by_day(self):
        """The areas in the order of their visit days (unplanned ones last)."""
        return self.area_ids.sorted(
            lambda area: (not area.visit_date, area.visit_date or "", area.sequence)
        )

    def _action_plan(self):
        """One meeting per lead of each area with a visit day, for the salesperson,
        unless the lead already has an open meeting. Returns (activities created,
        leads skipped)."""
        self.ensure_one()
        self._check_may_plan()
        meeting = self.env.ref(MEETING_XMLID)
        day_by_area = {area.area_key: area for area in self.area_ids if area.visit_date}
        lines = self.line_ids.filtered(lambda line: line.area_key in day_by_area)
        leads = lines.lead_id._prospect_filter(rules.is_open()).filtered(
            lambda lead: lead.user_id == self.user_id
        )
        planned = self.env["mail.activity"].search(
            [
                ("res_model", "=", "crm.lead"),
                ("res_id", "in", leads.ids),
                ("activity_type_id", "=", meeting.id),
            ]
        )
        already = set(planned.mapped("res_id"))
        vals_list = []
        skipped = self.env["crm.lead"]
        model_id = self.env["ir.model"]._get_id("crm.lead")
        by_area = defaultdict(list)
        for line in lines.sorted("sequence"):
            if line.lead_id not in leads:
                continue
            if line.lead_id.id in already:
                skipped |= line.lead_id
                continue
            already.add(line.lead_id.id)
            by_area[line.area_key].append(line)
        for area_key, area_lines in by_area.items():
            area = day_by_area[area_key]
            for line in area_lines:
                vals_list.append(
                    {
                        "res_model_id": model_id,
                        "res_id": line.lead_id.id,
                        "activity_type_id": meeting.id,
                        "date_deadline": area.visit_date,
                        "user_id": self.user_id.id,
                        "summary": self.env._(
                            "Visit round: %(area)s", area=area.city or area.name
                        ),
                        "note": line._prepare_note(),
                    }
                )
        activities = (
            self.env["mail.activity"]
            .with_context(mail_activity_quick_update=True)
            .create(vals_list)
        )
        return activities, skipped


class ProspectVisitRoundArea(models.TransientModel):
    _name = "prospect.visit.round.area"
    _description = "Visit Round Area"
    _order = "sequence, id"

    wizard_id = fields.Many2one(
        "prospect.visit.round.wizard", required=True, ondelete="cascade"
    )
    sequence = fields.Integer()
    area_key = fields.Char(readonly=True)
    name = fields.Char(string="Area", readonly=True)
    city = fields.Char(readonly=True)
    zip = fields.Char(string="Postcode", readonly=True)
    country_id = fields.Many2one("res.country", readonly=True)
    lead_count = fields.Integer(string="Visits", readonly=True)
    visit_date = fields.Date(
        string="Visit On",
        help="The day to visit this area; empty: not planned this round.",
    )


class ProspectVisitRoundLine(models.TransientModel):
    _name = "prospect.visit.round.line"
    _description = "Visit Round Lead"
    _order = "sequence, id"

    wizard_id = fields.Many2one(
        "prospect.visit.round.wizard", required=True, ondelete="cascade"
    )
    sequence = fields.Integer()
    area_key = fields.Char()
    area_name = fields.Char(string="Area")
    lead_id = fields.Many2one("crm.lead", required=True, ondelete="cascade")
    customer = fields.Char()
    street = fields.Char()
    phone = fields.Char()
    mobile = fields.Char()
    pyramid_tier = fields.Selection(related="lead_id.pyramid_tier")
    prospect_grade = fields.Selection(related="lead_id.prospect_grade")
    key_account_colour = fields.Selection(related="lead_id.key_account_colour")
    company_currency = fields.Many2one(related="lead_id.company_currency")
    pyramid_revenue = fields.Monetary(
        related="lead_id.pyramid_revenue", currency_field="company_currency"
    )
    expected_revenue = fields.Monetary(
        related="lead_id.expected_revenue", currency_field="company_currency"
    )
    next_contact_date = fields.Date(related="lead_id.next_contact_date")

    def _prepare_note(self):
        """What to take along, in the meeting's note."""
        self.ensure_one()
        parts = [self.customer, self.street, self.area_name, self.phone, self.mobile]
        return Markup("<br/>").join(part for part in parts if part)
