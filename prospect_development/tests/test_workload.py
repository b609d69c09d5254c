"""Workload against capacity (issue 14): the forecast of
``prospect.workload.report`` on hand-checked cases, the capacities, the record
rules of the report, and the Rebalance proposal and its application."""

from datetime import timedelta

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged

from odoo.addons.mail.tests.common import mail_new_test_user

from ..report.prospect_workload_report import HORIZON_WEEKS
from .common import ProspectCase


@tagged("post_install", "-at_install")
class WorkloadCase(ProspectCase):
    """A sales team of its own: a leader (own documents only) and two
    salespeople, with leads in the main company (where they work)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the cadence of the settings only (demo rules would override it)
        cls.env["prospect.cadence.rule"].search([]).active = False
        cls.today = cls.env["prospect.engine"]._today()
        cls.week0 = cls.today - timedelta(days=cls.today.weekday())
        cls.horizon_end = cls.week0 + timedelta(weeks=HORIZON_WEEKS)
        cls.leader, cls.alice, cls.bob = (
            mail_new_test_user(
                cls.env,
                login=f"pd_workload_{name.lower()}",
                name=f"{name} Workload",
                groups="sales_team.group_sale_salesman",
                tz="UTC",
            )
            for name in ("Leader", "Alice", "Bob")
        )
        cls.outsider = mail_new_test_user(
            cls.env,
            login="pd_workload_outsider",
            name="Outsider Workload",
            groups="sales_team.group_sale_salesman",
            tz="UTC",
        )
        cls.team = cls.env["crm.team"].create(
            {
                "name": "Workload Team",
                "user_id": cls.leader.id,
                "member_ids": [Command.set((cls.alice + cls.bob).ids)],
            }
        )
        cls.other_team = cls.env["crm.team"].create(
            {
                "name": "Other Workload Team",
                "member_ids": [Command.set(cls.outsider.ids)],
            }
        )
        cls.manager = cls.user_sales_manager

    @classmethod
    def _lead(cls, name, user, grade="a", next_date=None, **values):
        """An open lead of ``user`` graded ``grade`` (through its need and closing
        date), its next contact on ``next_date`` as the nightly engine stores it
        (today by default), unless a next contact is agreed in ``values``."""
        need = {"a": "clear", "b": "clear", "c": "clear", "d": "potential"}
        deadline = {"a": 10, "b": 60, "c": 120}
        lead = cls.env["crm.lead"].create(
            {
                "name": name,
                "type": "opportunity",
                "user_id": user.id,
                "need_status": need.get(grade, "none"),
                "date_deadline": grade in deadline
                and cls.today + timedelta(days=deadline[grade]),
                **values,
            }
        )
        assert lead.prospect_grade == grade, (lead.prospect_grade, grade)
        if "next_contact_planned" not in values:
            cls._store(lead, next_contact_date=next_date or cls.today)
        return lead

    @classmethod
    def _store(cls, lead, **columns):
        """Write what the nightly rescoring stores (next contact date, tier...)."""
        lead.flush_recordset()
        for column, value in columns.items():
            cls.env.cr.execute(
                f"UPDATE crm_lead SET {column} = %s WHERE id = %s",  # noqa: S608
                (value, lead.id),
            )
        lead.invalidate_recordset()

    def _weeks(self, user, report=None):
        """{week index: planned contacts} of a salesperson."""
        report = report or self.env["prospect.workload.report"]
        rows = report.search([("user_id", "=", user.id)])
        return {
            (row.week_start - self.week0).days // 7: row.planned_contacts
            for row in rows
        }

    def _week_of(self, day):
        return (day - self.week0).days // 7


class TestWorkloadForecast(WorkloadCase):
    def test_weekly_cadence_one_contact_each_week(self):
        self._lead("Weekly", self.alice)
        self.assertEqual(self._weeks(self.alice), dict.fromkeys(range(12), 1))
        rows = self.env["prospect.workload.report"].search(
            [("user_id", "=", self.alice.id)]
        )
        self.assertEqual(rows.mapped("team_id"), self.team)
        self.assertEqual(rows[0].week_start.weekday(), 0, "weeks start on Monday")
        self.assertEqual(min(rows.mapped("week_start")), self.week0)

    def test_grade_intervals_and_grade_e(self):
        # B every 14 days from today: weeks 0, 2, 4, ... 10
        self._lead("Fortnightly", self.alice, grade="b")
        self._lead("Dead", self.alice, grade="e")
        self.assertEqual(
            self._weeks(self.alice),
            {week: int(week % 2 == 0) for week in range(12)},
        )

    def test_key_account_override(self):
        self.env["prospect.cadence.rule"].create(
            {"key_account_only": True, "interval_days": 21, "sequence": 1}
        )
        self._lead("Key account", self.alice, key_account_colour="red")
        self._lead("Ordinary", self.bob)
        # every 21 days: weeks 0, 3, 6, 9; the ordinary A lead stays weekly
        self.assertEqual(
            self._weeks(self.alice), {week: int(week % 3 == 0) for week in range(12)}
        )
        self.assertEqual(self._weeks(self.bob), dict.fromkeys(range(12), 1))

    def test_tier_override(self):
        lead = self._lead("Super customer", self.alice, grade="d")
        self._store(lead, pyramid_tier="super")
        self.env["prospect.cadence.rule"].create(
            {"pyramid_tier": "super", "interval_days": 28, "sequence": 1}
        )
        # a D lead of a super customer every 28 days: weeks 0, 4, 8
        self.assertEqual(
            self._weeks(self.alice), {week: int(week % 4 == 0) for week in range(12)}
        )

    def test_planned_activities_count_once(self):
        weekly = self._lead("Weekly with its cadence call", self.alice)
        # the cadence activity of today's contact: it is that contact
        weekly.activity_schedule(
            "mail.mail_activity_data_call",
            date_deadline=self.today,
            user_id=self.alice.id,
        )
        meeting_lead = self._lead("Weekly with a meeting", self.bob)
        meeting_day = self.today + timedelta(days=17)
        meeting_lead.activity_schedule(
            "mail.mail_activity_data_meeting",
            date_deadline=meeting_day,
            user_id=self.bob.id,
        )
        # a colleague's to-do on Bob's lead is the colleague's work
        meeting_lead.activity_schedule(
            "mail.mail_activity_data_todo",
            date_deadline=self.today + timedelta(days=2),
            user_id=self.alice.id,
        )
        alice = self._weeks(self.alice)
        self.assertEqual(alice[self._week_of(self.today + timedelta(days=2))], 2)
        self.assertEqual(sum(alice.values()), 13)
        # Bob: today, +7, +14, the meeting on +17, then +24, +31... (+73, +80)
        bob_days = [0, 7, 14, 17, *range(24, 84, 7)]
        expected = {}
        for offset in bob_days:
            day = self.today + timedelta(days=offset)
            if day < self.horizon_end:
                week = self._week_of(day)
                expected[week] = expected.get(week, 0) + 1
        bob = self._weeks(self.bob)
        self.assertEqual({week: n for week, n in bob.items() if n}, expected)

    def test_overdue_counts_this_week(self):
        self._lead(
            "Overdue D", self.alice, grade="d", next_date=self.today - timedelta(10)
        )
        lead = self._lead("No cadence date", self.bob, grade="d", next_date=self.today)
        self._store(lead, next_contact_date=None)
        lead.activity_schedule(
            "mail.mail_activity_data_todo",
            date_deadline=self.today - timedelta(days=5),
            user_id=self.bob.id,
        )
        # D every 90 days: today only; an overdue to-do: today
        self.assertEqual(
            self._weeks(self.alice), {0: 1, **dict.fromkeys(range(1, 12), 0)}
        )
        self.assertEqual(
            self._weeks(self.bob), {0: 1, **dict.fromkeys(range(1, 12), 0)}
        )

    def test_closed_leads_ask_for_nothing(self):
        won = self._lead("Won", self.alice)
        won.stage_id = self.won_stage
        self._store(won, next_contact_date=self.today)
        lost = self._lead("Lost", self.alice)
        lost.activity_schedule("mail.mail_activity_data_todo", user_id=self.alice.id)
        lost.action_set_lost()
        self._store(lost, next_contact_date=self.today)
        self.assertEqual(self._weeks(self.alice), dict.fromkeys(range(12), 0))

    def test_unassigned_lead_is_its_team_leader_work(self):
        lead = self._lead("Unassigned", self.alice)
        lead.write({"user_id": False, "team_id": self.team.id})
        self._store(lead, next_contact_date=self.today)
        self.assertEqual(self._weeks(self.leader), dict.fromkeys(range(12), 1))

    def test_capacity_default_and_own(self):
        self.alice.with_user(self.manager).prospect_weekly_capacity = 25
        for _i in range(30):
            self._lead("Weekly", self.alice)
        report = self.env["prospect.workload.report"]
        alice = report.search([("user_id", "=", self.alice.id)])
        bob = report.search([("user_id", "=", self.bob.id)])
        self.assertEqual(set(alice.mapped("capacity")), {25})
        self.assertEqual(set(bob.mapped("capacity")), {40}, "the setting's default")
        self.assertTrue(all(alice.mapped("is_overloaded")))
        self.assertEqual(set(alice.mapped("overload")), {5})
        self.assertEqual(set(bob.mapped("room")), {40})
        self._set_params(weekly_capacity=30)
        report.invalidate_model()
        bob = report.search([("user_id", "=", self.bob.id)])
        self.assertEqual(set(bob.mapped("capacity")), {30})
        # 0 means "the default" again
        self.alice.with_user(self.manager).prospect_weekly_capacity = 0
        report.invalidate_model()
        alice = report.search([("user_id", "=", self.alice.id)])
        self.assertEqual(set(alice.mapped("capacity")), {30})
        self.assertEqual(self.alice.prospect_effective_capacity, 30)

    def test_capacity_is_a_managers_setting(self):
        with self.assertRaises(AccessError):
            self.alice.with_user(self.alice).prospect_weekly_capacity = 100
        with self.assertRaises(AccessError):
            self.team.crm_team_member_ids.with_user(
                self.leader
            ).prospect_weekly_capacity = 100
        # a Sales manager (not a user administrator) sets it from the team members
        member = self.team.crm_team_member_ids.filtered(lambda m: m.user_id == self.bob)
        member.with_user(self.manager).prospect_weekly_capacity = 12
        self.assertEqual(self.bob.prospect_weekly_capacity, 12)

    def test_graph_read_group(self):
        """What the graph asks: planned contacts and capacity by week and
        salesperson, for the team."""
        self.bob.with_user(self.manager).prospect_weekly_capacity = 3
        for _i in range(5):
            self._lead("Weekly", self.bob)
        groups = (
            self.env["prospect.workload.report"].formatted_read_group(
                [("team_id", "=", self.team.id)],
                ["week_start:week", "user_id"],
                ["planned_contacts:sum", "capacity:sum", "__count"],
            )
            if hasattr(self.env["prospect.workload.report"], "formatted_read_group")
            else self.env["prospect.workload.report"].read_group(
                [("team_id", "=", self.team.id)],
                ["planned_contacts:sum", "capacity:sum"],
                ["week_start:week", "user_id"],
                lazy=False,
            )
        )
        bob_groups = [g for g in groups if g["user_id"][0] == self.bob.id]
        self.assertEqual(len(bob_groups), 12)
        self.assertEqual({g["planned_contacts"] for g in bob_groups}, {5})
        self.assertEqual({g["capacity"] for g in bob_groups}, {3})


class TestWorkloadAccess(WorkloadCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for user in (cls.alice, cls.bob, cls.outsider):
            cls._lead("Weekly", user)

    def _users_seen(self, user):
        rows = self.env["prospect.workload.report"].with_user(user).search([])
        return set(rows.user_id.ids) & {
            self.leader.id,
            self.alice.id,
            self.bob.id,
            self.outsider.id,
        }

    def test_salesperson_sees_own_weeks(self):
        self.assertEqual(self._users_seen(self.alice), {self.alice.id})

    def test_team_leader_sees_team(self):
        self.assertEqual(self._users_seen(self.leader), {self.alice.id, self.bob.id})

    def test_manager_sees_everyone(self):
        self.assertEqual(
            self._users_seen(self.manager),
            {self.alice.id, self.bob.id, self.outsider.id},
        )

    def test_other_company_sees_nobody_of_this_company(self):
        other = mail_new_test_user(
            self.env,
            login="pd_workload_other_company",
            groups="sales_team.group_sale_manager",
            company_id=self.pyramid_company.id,
            company_ids=[Command.set(self.pyramid_company.ids)],
        )
        self.assertEqual(self._users_seen(other), set())


class TestRebalance(WorkloadCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alice.prospect_weekly_capacity = 2
        cls.bob.prospect_weekly_capacity = 10
        # next contacts agreed with the prospects, which the move keeps
        tomorrow = cls.today + timedelta(days=1)
        cls.big_a, cls.small_a, cls.key_a = (
            cls._lead(
                name,
                cls.alice,
                expected_revenue=revenue,
                next_contact_planned=tomorrow,
                **values,
            )
            for name, revenue, values in (
                ("Big A", 1000, {}),
                ("Small A", 500, {}),
                ("Key A", 100, {"key_account_colour": "red"}),
            )
        )
        cls.d_leads = cls.env["crm.lead"]
        for day in range(1, 5):
            cls.d_leads |= cls._lead(
                f"D {day}",
                cls.alice,
                grade="d",
                next_contact_planned=cls.today + timedelta(day),
            )
        cls.dead = cls._lead("Dead", cls.alice, grade="e")
        # Small A's call after next is already planned
        cls.call = cls.small_a.activity_schedule(
            "mail.mail_activity_data_call",
            date_deadline=cls.today + timedelta(days=8),
            user_id=cls.alice.id,
        )
        cls.history_count = len(cls.small_a.message_ids)

    def _horizon_load(self, user):
        self.env["prospect.workload.report"].invalidate_model()
        return sum(self._weeks(user).values())

    def test_proposal_then_confirmation(self):
        # Alice: 3 weekly A leads (11 or 12 contacts each, from tomorrow) and 4 D
        # leads (1 each) against a capacity of 2 x 12 = 24
        weekly = len(
            [
                day
                for day in range(1, 84, 7)
                if self.today + timedelta(day) < self.horizon_end
            ]
        )
        alice_before = self._horizon_load(self.alice)
        self.assertEqual(alice_before, 3 * weekly + 4)
        rows = self.env["prospect.workload.report"].search(
            [("user_id", "=", self.alice.id), ("is_overloaded", "=", True)]
        )
        self.assertTrue(rows)
        action = rows.with_user(self.manager).action_prospect_rebalance()
        wizard = self.env["prospect.rebalance.wizard"].browse(action["res_id"])
        self.assertEqual(wizard.team_id, self.team)
        # D leads first (1 contact each), then the smallest A; never the key
        # account, never the E lead
        self.assertEqual(wizard.line_ids.lead_id, self.d_leads | self.small_a)
        self.assertEqual(set(wizard.line_ids.from_user_id.ids), {self.alice.id})
        self.assertEqual(set(wizard.line_ids.to_user_id.ids), {self.bob.id})
        moved = sum(wizard.line_ids.mapped("contacts"))
        self.assertEqual(moved, 4 + weekly)
        self.assertEqual(
            sorted(wizard.line_ids.mapped("prospect_grade")), ["a", "d", "d", "d", "d"]
        )
        self.assertIn("Alice Workload", wizard.summary)
        # nothing has moved yet
        self.assertEqual((self.d_leads | self.small_a).user_id, self.alice)

        wizard.with_user(self.manager).action_confirm()
        self.flush_tracking()
        self.assertEqual((self.d_leads | self.small_a).user_id, self.bob)
        self.assertEqual((self.big_a | self.key_a | self.dead).user_id, self.alice)
        self.assertEqual(self.call.user_id, self.bob, "the planned call follows")
        self.assertGreaterEqual(len(self.small_a.message_ids), self.history_count)
        self.assertIn(
            self.bob.name,
            self.small_a.message_ids.tracking_value_ids.mapped("new_value_char"),
        )
        self.assertEqual(self._horizon_load(self.alice), alice_before - moved)
        self.assertLessEqual(self._horizon_load(self.alice), 24)
        self.assertFalse(
            self.env["prospect.workload.report"].search_count(
                [("user_id", "=", self.alice.id), ("is_overloaded", "=", True)]
            )
        )
        self.assertEqual(self._horizon_load(self.bob), moved)

    def test_salesperson_cannot_rebalance(self):
        rows = self.env["prospect.workload.report"].with_user(self.alice).search([])
        with self.assertRaisesRegex(AccessError, "Only Sales managers"):
            rows.action_prospect_rebalance()
        wizard = self.env["prospect.rebalance.wizard"].create({"team_id": self.team.id})
        wizard._propose()
        self.assertTrue(wizard.line_ids)
        with self.assertRaisesRegex(AccessError, "Only Sales managers"):
            wizard.with_user(self.leader).action_confirm()
        self.assertEqual(self.small_a.user_id, self.alice)

    def test_nobody_with_room_nothing_proposed(self):
        self.bob.prospect_weekly_capacity = 1
        self._lead("Bob's weekly", self.bob)
        wizard = self.env["prospect.rebalance.wizard"].create({"team_id": self.team.id})
        wizard._propose()
        self.assertFalse(wizard.line_ids)


@tagged("post_install", "-at_install")
class TestWorkloadDemo(ProspectCase):
    def test_demo_shows_an_overloaded_salesperson_and_room(self):
        team = self.env.ref(
            "prospect_development.pd_demo_team_direct_mail", raise_if_not_found=False
        )
        if not team:
            self.skipTest("no demo data")
        report = self.env["prospect.workload.report"]
        overloaded = report.search(
            [("team_id", "=", team.id), ("is_overloaded", "=", True)]
        )
        self.assertGreaterEqual(len(overloaded.user_id), 1)
        self.assertGreaterEqual(len(overloaded), 6, "over-loaded most weeks")
        with_room = report.search([("team_id", "=", team.id), ("room", ">", 0)])
        self.assertTrue(with_room.user_id - overloaded.user_id)
        wizard = self.env["prospect.rebalance.wizard"].create({"team_id": team.id})
        wizard._propose()
        self.assertTrue(wizard.line_ids)
        self.assertEqual(wizard.line_ids.from_user_id, overloaded.user_id)
