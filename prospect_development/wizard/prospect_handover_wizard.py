from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError


class ProspectHandoverWizard(models.TransientModel):
    """Hand the open prospects of a leaving salesperson over to a colleague, or
    spread them over a sales team: customers belong to the company.

    The leads keep their chatter, tracking and prospect history; only the
    salesperson (and, over a team, the sales team) changes, together with the
    activities the leaving salesperson had planned on them."""

    _name = "prospect.handover.wizard"
    _description = "Hand a salesperson's prospects over"

    user_id = fields.Many2one(
        "res.users",
        string="From",
        required=True,
        domain="[('share', '=', False)]",
        help="The salesperson who leaves: their open leads and opportunities move.",
    )
    mode = fields.Selection(
        [("user", "To a salesperson"), ("team", "Spread over a team")],
        string="Hand Over",
        required=True,
        default="user",
    )
    target_user_id = fields.Many2one(
        "res.users",
        string="To",
        compute="_compute_target_user_id",
        store=True,
        readonly=False,
        domain="[('share', '=', False), ('id', '!=', user_id)]",
        help="The colleague who takes every prospect over.",
    )
    team_id = fields.Many2one(
        "crm.team",
        string="Sales Team",
        compute="_compute_team_id",
        store=True,
        readonly=False,
        help="The prospects are dealt in turn to the members of this team (by "
        "name), the leaving salesperson excluded; the leads join the team.",
    )
    include_lost = fields.Boolean(
        help="Also hand over the lost (archived) leads, so that the new owner can "
        "win them back. Won deals never move.",
    )
    lead_count = fields.Integer(
        string="Leads to Move",
        compute="_compute_preview",
        help="Open leads and opportunities of the leaving salesperson (and their "
        "lost ones, when included) that will move.",
    )
    activity_count = fields.Integer(
        string="Planned Activities",
        compute="_compute_preview",
        help="Activities of the leaving salesperson on those leads; they move "
        "with the leads.",
    )

    @api.depends("mode")
    def _compute_target_user_id(self):
        self.filtered(lambda wizard: wizard.mode != "user").target_user_id = False

    @api.depends("mode")
    def _compute_team_id(self):
        self.filtered(lambda wizard: wizard.mode != "team").team_id = False

    @api.depends("user_id", "include_lost")
    def _compute_preview(self):
        for wizard in self:
            leads = wizard._get_leads()
            wizard.lead_count = len(leads)
            wizard.activity_count = len(wizard._get_activities(leads))

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_confirm(self):
        """Move the prospects and the planned activities, then say what moved."""
        if not self.env.user.has_group("sales_team.group_sale_manager"):
            raise AccessError(
                self.env._("Only Sales managers may hand prospects over.")
            )
        self.ensure_one()
        self._check_handover()
        leads = self._get_leads()
        if not leads:
            return self._notify(
                self.env._(
                    "Nothing was moved: %(user)s has no open opportunity.",
                    user=self.user_id.name,
                ),
                "warning",
            )
        owners = self._get_new_owners(leads)
        activities = self._get_activities(leads)
        self._move_leads(owners)
        # running sequences follow by themselves: a step's mail is sent as the
        # lead's salesperson of the day, and its activity is given to them
        self._move_activities(activities, owners)
        return self._notify(self._get_summary(owners, activities), "success")

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    def _check_handover(self):
        self.ensure_one()
        if self.target_user_id and self.team_id:
            raise UserError(
                self.env._(
                    "Hand the prospects to a salesperson or to a team, not both."
                )
            )
        if self.mode == "user" and not self.target_user_id:
            raise UserError(
                self.env._("Choose the salesperson who takes the prospects over.")
            )
        if self.mode == "team" and not self.team_id:
            raise UserError(
                self.env._("Choose the sales team to spread the prospects over.")
            )
        if self.target_user_id == self.user_id:
            raise UserError(
                self.env._(
                    "%(user)s cannot take their own prospects over: choose a "
                    "colleague.",
                    user=self.user_id.name,
                )
            )
        if self.mode == "team" and not self._get_team_members():
            raise UserError(
                self.env._(
                    "The team %(team)s has no member other than %(user)s to take "
                    "the prospects over.",
                    team=self.team_id.name,
                    user=self.user_id.name,
                )
            )

    def _get_leads_domain(self):
        self.ensure_one()
        return [
            ("user_id", "=", self.user_id.id),
            ("active", "in", [True, False] if self.include_lost else [True]),
            "|",
            ("stage_id", "=", False),
            ("stage_id.is_won", "=", False),
        ]

    def _get_leads(self):
        """Open leads of the leaving salesperson, most valuable first, so that a
        round-robin deals the big deals in turn too."""
        self.ensure_one()
        if not self.user_id:
            return self.env["crm.lead"]
        return self.env["crm.lead"].search(
            self._get_leads_domain(), order="priority desc, expected_revenue desc, id"
        )

    def _get_activities(self, leads):
        """Planned activities of the leaving salesperson on these leads (done
        ones are archived history and stay as they are)."""
        if not leads:
            return self.env["mail.activity"]
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "crm.lead"),
                ("res_id", "in", leads.ids),
                ("user_id", "=", self.user_id.id),
            ]
        )

    def _get_team_members(self):
        """Members who may take prospects over, in a stable order."""
        self.ensure_one()
        members = self.team_id.member_ids.filtered(
            lambda user: user != self.user_id and user.active and not user.share
        )
        return members.sorted(lambda user: (user.name or "", user.id))

    def _get_new_owners(self, leads):
        """{lead: new salesperson}; refuses a move that would push a lead into a
        company its new owner or team does not work in."""
        if self.mode == "user":
            self._check_companies(leads, self.target_user_id)
            return dict.fromkeys(leads, self.target_user_id)
        # a lead of another company than the team's is refused by crm.lead's own
        # company check (team_id is check_company) when the move is written
        return self._deal_round_robin(leads, self._get_team_members())

    def _check_companies(self, leads, user):
        foreign = leads.filtered(
            lambda lead: lead.company_id and lead.company_id not in user.company_ids
        )
        if foreign:
            raise UserError(
                self.env._(
                    "%(user)s has no access to %(companies)s: give them access to "
                    "the company first, or hand these prospects to someone else.",
                    user=user.name,
                    companies=", ".join(foreign.company_id.mapped("name")),
                )
            )

    def _deal_round_robin(self, leads, members):
        """Deal the leads in turn to the members, skipping a member who does not
        work in the company of the lead."""
        owners = {}
        position = 0
        for lead in leads:
            for offset in range(len(members)):
                member = members[(position + offset) % len(members)]
                if not lead.company_id or lead.company_id in member.company_ids:
                    owners[lead] = member
                    position = (position + offset + 1) % len(members)
                    break
            else:
                raise UserError(
                    self.env._(
                        "No member of the team %(team)s works for %(company)s.",
                        team=self.team_id.name,
                        company=lead.company_id.name,
                    )
                )
        return owners

    def _move_leads(self, owners):
        """One write per new owner (and company: crm picks the salesperson's team
        among the teams of the lead's company only, so no lead changes company)."""
        batches = defaultdict(list)
        for lead, owner in owners.items():
            batches[owner, lead.company_id].append(lead.id)
        values = {"team_id": self.team_id.id} if self.mode == "team" else {}
        for (owner, company), lead_ids in batches.items():
            leads = self.env["crm.lead"].browse(lead_ids)
            if company:
                leads = leads.with_context(allowed_company_ids=company.ids)
            # the tracking of the salesperson logs the move on every lead; one
            # "you have been assigned" mail per lead would only flood the new owner
            leads.with_context(mail_auto_subscribe_no_notify=True).write(
                dict(values, user_id=owner.id)
            )

    def _move_activities(self, activities, owners):
        """Each planned activity follows its lead to the new owner, one write per
        owner, without one notification mail per activity."""
        owner_of = {lead.id: owner for lead, owner in owners.items()}
        batches = defaultdict(lambda: self.env["mail.activity"])
        for activity in activities:
            batches[owner_of[activity.res_id]] |= activity
        for owner, owner_activities in batches.items():
            owner_activities.with_context(mail_activity_quick_update=True).write(
                {"user_id": owner.id}
            )

    def _get_summary(self, owners, activities):
        lead_count = len(owners)
        activity_count = len(activities)
        if self.mode == "user":
            return self.env._(
                "%(leads)s opportunities and %(activities)s activities of "
                "%(salesperson)s moved to %(target)s",
                leads=lead_count,
                activities=activity_count,
                salesperson=self.user_id.name,
                target=self.target_user_id.name,
            )
        shares = defaultdict(int)
        for owner in owners.values():
            shares[owner] += 1
        split = ", ".join(
            f"{member.name} → {shares[member]}" for member in self._get_team_members()
        )
        return self.env._(
            "%(leads)s opportunities and %(activities)s activities of "
            "%(salesperson)s spread over team %(team)s: %(split)s",
            leads=lead_count,
            activities=activity_count,
            salesperson=self.user_id.name,
            team=self.team_id.name,
            split=split,
        )

    def _notify(self, message, kind):
        params = {
            "title": self.env._("Hand Over Prospects"),
            "message": message,
            "type": kind,
            "sticky": True,
        }
        if kind == "success":
            params["next"] = {"type": "ir.actions.act_window_close"}
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": params,
        }
