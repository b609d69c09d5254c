from datetime import timedelta

from odoo import Command
from odoo.tests import HttpCase, tagged

from odoo.addons.mail.tests.common import mail_new_test_user


@tagged("post_install", "-at_install")
class TestWorkloadUi(HttpCase):
    def test_manager_rebalances_an_overloaded_salesperson(self):
        manager = mail_new_test_user(
            self.env,
            login="pd_workload_manager",
            name="Workload Manager",
            groups="sales_team.group_sale_manager",
            tz="UTC",
        )
        overloaded, spare = (
            mail_new_test_user(
                self.env,
                login=f"pd_workload_{login}",
                name=name,
                groups="sales_team.group_sale_salesman",
                tz="UTC",
            )
            for login, name in (
                ("overloaded", "Tour Overloaded"),
                ("spare", "Tour Spare"),
            )
        )
        self.env["crm.team"].create(
            {
                "name": "Tour Workload Team",
                "user_id": manager.id,
                "member_ids": [Command.set((overloaded + spare).ids)],
            }
        )
        overloaded.prospect_weekly_capacity = 3
        spare.prospect_weekly_capacity = 20
        today = self.env["prospect.engine"]._today()
        # five weekly (A) leads, their next call agreed for tomorrow: 5 a week
        leads = self.env["crm.lead"].create(
            [
                {
                    "name": f"Tour weekly lead {index}",
                    "type": "opportunity",
                    "user_id": overloaded.id,
                    "need_status": "clear",
                    "date_deadline": today + timedelta(days=10),
                    "expected_revenue": 1000 * index,
                    "next_contact_planned": today + timedelta(days=1),
                }
                for index in range(1, 6)
            ]
        )
        self.assertEqual(set(leads.mapped("prospect_grade")), {"a"})
        report = self.env["prospect.workload.report"]
        self.assertTrue(
            report.search_count(
                [("user_id", "=", overloaded.id), ("is_overloaded", "=", True)]
            )
        )
        self.start_tour("/odoo", "prospect_workload_tour", login="pd_workload_manager")
        report.invalidate_model()
        self.assertFalse(
            report.search_count(
                [("user_id", "=", overloaded.id), ("is_overloaded", "=", True)]
            )
        )
        # the two smallest deals moved, the big ones stayed
        self.assertEqual(leads[:2].user_id, spare)
        self.assertEqual(leads[2:].user_id, overloaded)
