from collections import defaultdict

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError

from .. import rules
from ..report.prospect_workload_report import HORIZON_WEEKS


class ProspectRebalanceWizard(models.TransientModel):
    """Relieve the over-loaded salespeople of a team: their lowest-grade leads
    (D first, then C, B, A; E leads ask for no contact, key accounts stay with
    their salesperson) go to colleagues of the same team who have room, until
    their forecast over the horizon fits their capacity.

    Loads and capacities are those of ``prospect.workload.report`` summed over its
    twelve weeks. A lead moves to the colleague with the most room left that can
    take its contacts without being over-loaded in turn and works in the lead's
    company. Nothing moves until the manager confirms; the move is the hand-over's
    (``prospect.handover.wizard``): history kept, planned activities moved."""

    _name = "prospect.rebalance.wizard"
    _description = "Rebalance the workload of a sales team"

    team_id = fields.Many2one(
        "crm.team",
        string="Sales Team",
        help="Leads move between members of this team only.",
    )
    user_ids = fields.Many2many(
        "res.users",
        string="Relieve",
        domain="[('share', '=', False)]",
        help="The over-loaded salespeople to relieve; empty: every over-loaded "
        "member of the team.",
    )
    line_ids = fields.One2many(
        "prospect.rebalance.line", "wizard_id", string="Proposed Moves"
    )
    loads = fields.Json(
        help="{user id: [planned contacts, capacity]} over the horizon when the "
        "proposal was made."
    )
    proposed = fields.Boolean()
    lead_count = fields.Integer(string="Leads to Move", compute="_compute_summary")
    summary = fields.Html(compute="_compute_summary", sanitize=False)

    @api.depends("line_ids.to_user_id", "line_ids.contacts", "loads")
    def _compute_summary(self):
        for wizard in self:
            wizard.lead_count = len(wizard.line_ids)
            wizard.summary = wizard._get_summary_html()

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_propose(self):
        self.ensure_one()
        self._check_rebalance_rights()
        self._propose()
        return self._get_action()

    def action_confirm(self):
        """Apply the proposal through the hand-over, then say what moved."""
        self.ensure_one()
        self._check_rebalance_rights()
        lines = self.line_ids.filtered(
            lambda line: line.to_user_id and line.to_user_id != line.from_user_id
        )
        if not lines:
            raise UserError(
                self.env._("Nothing to move: the proposal is empty. Propose again.")
            )
        self._check_lines(lines)
        by_owner = defaultdict(lambda: self.env["prospect.rebalance.line"])
        for line in lines:
            by_owner[line.from_user_id] |= line
        moves = defaultdict(int)
        activity_count = 0
        for owner, owner_lines in by_owner.items():
            handover = self.env["prospect.handover.wizard"].create(
                {
                    "user_id": owner.id,
                    "mode": "user",
                    "target_user_id": owner_lines[0].to_user_id.id,
                }
            )
            owners = {line.lead_id: line.to_user_id for line in owner_lines}
            for target in owner_lines.to_user_id:
                handover._check_companies(
                    owner_lines.filtered(
                        lambda line, t=target: line.to_user_id == t
                    ).lead_id,
                    target,
                )
            activities = handover._get_activities(owner_lines.lead_id)
            handover._move_leads(owners)
            handover._move_activities(activities, owners)
            activity_count += len(activities)
            for line in owner_lines:
                moves[owner.name, line.to_user_id.name] += 1
        message = self.env._(
            "%(leads)s leads and %(activities)s activities moved: %(moves)s",
            leads=len(lines),
            activities=activity_count,
            moves=", ".join(
                f"{source} → {target}: {count}"
                for (source, target), count in sorted(moves.items())
            ),
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Rebalance Workload"),
                "message": message,
                "type": "success",
                "sticky": False,
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    @api.model
    def _check_rebalance_rights(self):
        # moving leads between salespeople is the hand-over's, a Sales manager's
        # decision (Odoo Community has no team-leader rights over their members)
        if not self.env.user.has_group("sales_team.group_sale_manager"):
            raise AccessError(
                self.env._("Only Sales managers may rebalance the workload of a team.")
            )

    @api.model
    def _create_for_rows(self, rows):
        """A proposal for the team of the over-loaded ``rows`` (report rows), or,
        without any, of the most over-loaded salesperson of the horizon."""
        self._check_rebalance_rights()
        overloaded = rows.filtered("is_overloaded")
        if not overloaded:
            overloaded = self.env["prospect.workload.report"].search(
                [("is_overloaded", "=", True), ("team_id", "!=", False)],
                order="overload desc, week_start",
                limit=1,
            )
        team = overloaded[:1].team_id or rows[:1].team_id or self.env.user.sale_team_id
        users = overloaded.filtered(lambda row: row.team_id == team).user_id
        wizard = self.create(
            {"team_id": team.id, "user_ids": [Command.set(users.ids)] if rows else []}
        )
        if team:
            wizard._propose()
        return wizard

    def _get_action(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Rebalance Workload"),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    def _get_members(self):
        return self.team_id.member_ids.filtered(
            lambda user: user.active and not user.share
        )

    def _get_loads(self, users):
        """{user: [planned contacts, capacity]} over the horizon, as the workload
        report shows them."""
        loads = {user: [0, 0] for user in users}
        for user, planned, capacity in self.env["prospect.workload.report"]._read_group(
            [("user_id", "in", users.ids)],
            ["user_id"],
            ["planned_contacts:sum", "capacity:sum"],
        ):
            loads[user] = [planned, capacity]
        return loads

    def _propose(self):
        """Fill the proposal: the moves, lowest grades first."""
        self.ensure_one()
        if not self.team_id:
            raise UserError(self.env._("Choose the sales team to rebalance."))
        members = self._get_members()
        loads = self._get_loads(members)
        excess = {user: max(load - cap, 0) for user, (load, cap) in loads.items()}
        room = {user: max(cap - load, 0) for user, (load, cap) in loads.items()}
        sources = members.filtered(lambda user: excess[user] > 0)
        if self.user_ids:
            sources &= self.user_ids
        leads = self.env["crm.lead"].search(
            [
                ("user_id", "in", sources.ids),
                ("prospect_grade", "in", ["a", "b", "c", "d"]),
                ("key_account_colour", "=", False),
                *self.env["crm.lead"]._prospect_domain(rules.is_open()),
            ],
            order="prospect_grade desc, expected_revenue, id",
        )
        contacts_of = self.env["prospect.workload.report"]._get_lead_loads(sources.ids)
        lines = []
        for lead in leads:
            owner = lead.user_id
            contacts = contacts_of.get(lead.id, 0)
            if excess[owner] <= 0 or not contacts:
                continue
            candidates = [
                user
                for user in members
                if user != owner
                and room[user] >= contacts
                and (not lead.company_id or lead.company_id in user.company_ids)
            ]
            if not candidates:
                continue
            target = max(candidates, key=lambda user: (room[user], -user.id))
            room[target] -= contacts
            excess[owner] -= contacts
            lines.append(
                {
                    "lead_id": lead.id,
                    "from_user_id": owner.id,
                    "to_user_id": target.id,
                    "contacts": contacts,
                }
            )
        self.write(
            {
                "line_ids": [Command.clear()] + [Command.create(v) for v in lines],
                "loads": {str(user.id): value for user, value in loads.items()},
                "proposed": True,
            }
        )

    def _check_lines(self, lines):
        members = self._get_members()
        still_open = lines.lead_id._prospect_filter(rules.is_open())
        for line in lines:
            lead = line.lead_id
            if lead.user_id != line.from_user_id or lead not in still_open:
                raise UserError(
                    self.env._(
                        "%(lead)s changed since the proposal was made: propose again.",
                        lead=lead.display_name,
                    )
                )
            if line.to_user_id not in members:
                raise UserError(
                    self.env._(
                        "%(user)s is not a member of the team %(team)s: leads move "
                        "inside the team only.",
                        user=line.to_user_id.name,
                        team=self.team_id.name,
                    )
                )

    def _get_summary_html(self):
        """Per member: contacts planned over the horizon, capacity, and what the
        proposal leaves them."""
        if not self.loads:
            return False
        delta = defaultdict(int)
        for line in self.line_ids:
            delta[line.from_user_id.id] -= line.contacts
            delta[line.to_user_id.id] += line.contacts
        users = self.env["res.users"].browse(int(key) for key in self.loads)
        _ = self.env._
        rows = Markup("").join(
            Markup(
                "<tr%s><td>%s</td><td class='text-end'>%s</td>"
                "<td class='text-end'>%s</td><td class='text-end fw-bold'>%s</td></tr>"
            )
            % (
                Markup(" class='text-danger'")
                if self.loads[str(user.id)][0] > self.loads[str(user.id)][1]
                else "",
                user.name,
                self.loads[str(user.id)][0],
                self.loads[str(user.id)][1],
                self.loads[str(user.id)][0] + delta[user.id],
            )
            for user in users.sorted("name")
        )
        return Markup(
            "<table class='table table-sm o_prospect_rebalance_summary'>"
            "<thead><tr><th>%s</th><th class='text-end'>%s</th>"
            "<th class='text-end'>%s</th><th class='text-end'>%s</th></tr></thead>"
            "<tbody>%s</tbody></table>"
        ) % (
            _("Salesperson"),
            _("Planned (%(weeks)s weeks)", weeks=HORIZON_WEEKS),
            _("Capacity"),
            _("After the Moves"),
            rows,
        )


class ProspectRebalanceLine(models.TransientModel):
    _name = "prospect.rebalance.line"
    _description = "A lead the rebalance moves"
    _order = "from_user_id, prospect_grade desc, id"

    wizard_id = fields.Many2one(
        "prospect.rebalance.wizard", required=True, ondelete="cascade"
    )
    lead_id = fields.Many2one("crm.lead", required=True, readonly=True)
    partner_id = fields.Many2one(related="lead_id.partner_id", string="Customer")
    prospect_grade = fields.Selection(related="lead_id.prospect_grade", store=True)
    from_user_id = fields.Many2one("res.users", string="From", readonly=True)
    to_user_id = fields.Many2one(
        "res.users",
        string="To",
        required=True,
        help="The colleague of the same team who takes the lead over.",
    )
    contacts = fields.Integer(
        string="Contacts Moved",
        readonly=True,
        help="Contacts of the lead over the horizon that move with it.",
    )
