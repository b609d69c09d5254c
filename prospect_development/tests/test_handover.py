from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from odoo.addons.mail.tests.common import mail_new_test_user

from .common import ProspectCase


@tagged("post_install", "-at_install")
class TestHandover(ProspectCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesman = cls.user_sales_salesman
        cls.colleague = cls.user_sales_leads
        cls.user_admin.company_ids |= cls.pyramid_company
        cls.open_leads = cls.env["crm.lead"]
        for revenue in (100, 400, 300):
            cls.open_leads |= cls._salesman_lead(f"Open {revenue}", revenue)
        cls.won_lead = cls._salesman_lead("Won", 5000)
        cls.won_lead.stage_id = cls.won_stage
        cls.lost_lead = cls._salesman_lead("Lost", 700)
        cls.lost_lead.action_set_lost()
        cls.other_lead = cls._open_lead(
            "Someone else's", user_id=cls.user_sales_manager.id
        )
        cls.call, cls.todo = (
            lead.activity_schedule(
                "mail.mail_activity_data_todo",
                user_id=cls.salesman.id,
                summary=f"Call {lead.name}",
            )
            for lead in cls.open_leads[:2]
        )
        cls.manager_todo = cls.open_leads[0].activity_schedule(
            "mail.mail_activity_data_todo",
            user_id=cls.user_sales_manager.id,
            summary="Manager's own to-do",
        )
        cls.won_todo = cls.won_lead.activity_schedule(
            "mail.mail_activity_data_todo",
            user_id=cls.salesman.id,
            summary="Thank the customer",
        )
        cls.note = cls.open_leads[0].message_post(
            body="Met the buyer at the fair", message_type="comment"
        )

    @classmethod
    def _salesman_lead(cls, name, revenue):
        return cls._open_lead(
            name,
            user_id=cls.salesman.id,
            team_id=cls.sales_team_1.id,
            expected_revenue=revenue,
        )

    def _wizard(self, **values):
        return (
            self.env["prospect.handover.wizard"]
            .with_user(self.user_sales_manager)
            .create({"user_id": self.salesman.id, **values})
        )

    def test_hand_over_to_a_colleague(self):
        form = Form(
            self.env["prospect.handover.wizard"].with_user(self.user_sales_manager)
        )
        form.user_id = self.salesman
        self.assertEqual(form.lead_count, 3, "open leads only: not won, not lost")
        self.assertEqual(form.activity_count, 2, "the salesman's planned activities")
        form.target_user_id = self.colleague
        action = form.save().action_confirm()
        self.flush_tracking()

        self.assertEqual(action["tag"], "display_notification")
        self.assertTrue(action["params"]["sticky"])
        self.assertEqual(
            action["params"]["message"],
            f"3 opportunities and 2 activities of {self.salesman.name} moved to "
            f"{self.colleague.name}",
        )
        self.assertEqual(self.open_leads.user_id, self.colleague)
        self.assertEqual((self.call + self.todo).user_id, self.colleague)
        self.assertEqual(
            self.manager_todo.user_id, self.user_sales_manager, "not the salesman's"
        )
        self.assertEqual(self.won_lead.user_id, self.salesman, "won deals stay")
        self.assertEqual(self.won_todo.user_id, self.salesman)
        self.assertEqual(self.lost_lead.user_id, self.salesman, "lost not included")
        self.assertEqual(self.other_lead.user_id, self.user_sales_manager)
        self.assertEqual(
            self.open_leads.company_id, self.pyramid_company, "no change of company"
        )

        lead = self.open_leads[0]
        self.assertIn(self.note, lead.message_ids, "the chatter is kept")
        tracked = lead.message_ids.tracking_value_ids.filtered(
            lambda value: value.field_id.name == "user_id"
        )
        self.assertEqual(tracked.old_value_char, self.salesman.name)
        self.assertEqual(tracked.new_value_char, self.colleague.name)
        self.assertIn(self.colleague.partner_id, lead.message_partner_ids)

    def test_spread_over_a_team(self):
        self.env["crm.team.member"].create(
            {"crm_team_id": self.sales_team_1.id, "user_id": self.salesman.id}
        )
        members = (self.colleague + self.user_admin).sorted("name")
        self.assertEqual(
            self.sales_team_1.member_ids - self.salesman, members, "test setup"
        )
        fourth = self._salesman_lead("Open 200", 200)
        action = self._wizard(
            mode="team", team_id=self.sales_team_1.id
        ).action_confirm()

        leads = self.open_leads | fourth
        by_revenue = leads.sorted("expected_revenue", reverse=True)
        self.assertEqual(
            by_revenue.mapped("user_id"),
            members + members,
            "dealt in turn, biggest deals first, members by name",
        )
        self.assertEqual(
            [by_revenue[0].user_id, by_revenue[2].user_id], [members[0], members[0]]
        )
        self.assertEqual(leads.team_id, self.sales_team_1)
        self.assertNotIn(self.salesman, leads.user_id, "the leaving user gets none")
        self.assertEqual(self.call.user_id, self.open_leads[0].user_id)
        self.assertEqual(self.todo.user_id, self.open_leads[1].user_id)
        self.assertEqual(
            action["params"]["message"],
            f"4 opportunities and 2 activities of {self.salesman.name} spread over "
            f"team {self.sales_team_1.name}: {members[0].name} → 2, "
            f"{members[1].name} → 2",
        )

    def test_include_lost(self):
        wizard = self._wizard(target_user_id=self.colleague.id, include_lost=True)
        self.assertEqual(wizard.lead_count, 4)
        wizard.action_confirm()
        self.assertEqual(self.lost_lead.user_id, self.colleague)
        self.assertFalse(self.lost_lead.active, "still lost, for the new owner")
        self.assertEqual(self.won_lead.user_id, self.salesman)

    def test_errors(self):
        with self.assertRaisesRegex(UserError, "cannot take their own prospects"):
            self._wizard(target_user_id=self.salesman.id).action_confirm()
        with self.assertRaisesRegex(UserError, "Choose the salesperson"):
            self._wizard().action_confirm()
        with self.assertRaisesRegex(UserError, "Choose the sales team"):
            self._wizard(mode="team").action_confirm()
        with self.assertRaisesRegex(UserError, "not both"):
            self._wizard(
                target_user_id=self.colleague.id, team_id=self.sales_team_1.id
            ).action_confirm()
        lonely_team = self.env["crm.team"].create(
            {"name": "Lonely", "member_ids": [(6, 0, self.salesman.ids)]}
        )
        with self.assertRaisesRegex(UserError, "no member other than"):
            self._wizard(mode="team", team_id=lonely_team.id).action_confirm()
        self.assertEqual(self.open_leads.user_id, self.salesman, "nothing moved")

    def test_target_outside_the_company(self):
        outsider = mail_new_test_user(
            self.env,
            login="handover_outsider",
            groups="sales_team.group_sale_salesman",
            company_id=self.company_main.id,
            company_ids=[(6, 0, self.company_main.ids)],
        )
        with self.assertRaisesRegex(UserError, "has no access to Pyramid Test"):
            self._wizard(target_user_id=outsider.id).action_confirm()
        self.assertEqual(self.open_leads.user_id, self.salesman)

    def test_nothing_to_move(self):
        newcomer = mail_new_test_user(
            self.env,
            login="handover_newcomer",
            name="Nora Newcomer",
            groups="sales_team.group_sale_salesman",
        )
        action = (
            self.env["prospect.handover.wizard"]
            .with_user(self.user_sales_manager)
            .create({"user_id": newcomer.id, "target_user_id": self.salesman.id})
            .action_confirm()
        )
        self.assertEqual(action["params"]["type"], "warning")
        self.assertEqual(
            action["params"]["message"],
            "Nothing was moved: Nora Newcomer has no open opportunity.",
        )
        self.assertNotIn("next", action["params"], "the wizard stays open")

    def test_salesman_may_not_confirm(self):
        wizard = self._wizard(target_user_id=self.colleague.id)
        with self.assertRaisesRegex(AccessError, "Only Sales managers"):
            wizard.with_user(self.salesman).action_confirm()
        self.assertEqual(self.open_leads.user_id, self.salesman)
        self.assertEqual(self.call.user_id, self.salesman)
