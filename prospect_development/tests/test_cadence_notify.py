import json
from datetime import timedelta

from odoo.tests import tagged

from .common import ProspectCase


@tagged("post_install", "-at_install")
class TestCadenceNotify(ProspectCase):
    """What a salesperson notices of the night's cadence: the lead followed, its
    activity, state and deadline, the activity menu and its counter, one refresh of
    that menu per batch, and no mail."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.engine = cls.env["prospect.cadence.engine"]
        cls.salesman = cls.user_sales_salesman
        cls.colleague = cls.user_sales_leads

    def _due_lead(self, name, user, days_overdue=3):
        lead = self._open_lead(name, user_id=user.id)
        lead.last_contact_date = self.today - timedelta(days=90 + days_overdue)
        return lead

    def _bus_activity_notifications(self):
        """Partners whose activity menu is told to reload, one entry per
        notification, written in bus_bus at the commit."""
        self.env.cr.precommit.run()
        notifications = self.env["bus.bus"].sudo().search([("id", ">", self.bus_last)])
        return sorted(
            json.loads(notification.channel)[2]
            for notification in notifications
            if json.loads(notification.message)["type"] == "mail.activity/updated"
        )

    def _mark_bus(self):
        self.env.cr.precommit.run()
        self.bus_last = max(self.env["bus.bus"].sudo().search([]).ids, default=0)

    def _systray_leads(self, user):
        groups = self.env["res.users"].with_user(user)._get_activity_groups()
        return next(
            (group for group in groups if group["model"] == "crm.lead"),
            {"total_count": 0, "overdue_count": 0, "today_count": 0},
        )

    def test_lead_and_activity_menu_as_with_activity_schedule(self):
        overdue = self._due_lead("Overdue", self.salesman)
        due_today = self._due_lead("Due today", self.salesman, days_overdue=0)
        self.assertEqual(due_today.next_contact_date, self.today)
        before = self._systray_leads(self.salesman)
        # read before the run: the run must not leave them stale in the cache
        self.assertFalse(overdue.activity_ids)
        self.assertFalse(overdue.activity_state)
        self.assertEqual(self.engine._run(), 2)

        activity = overdue.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertTrue(activity.prospect_cadence)
        self.assertEqual(overdue.activity_state, "overdue")
        self.assertEqual(overdue.activity_date_deadline, overdue.next_contact_date)
        self.assertEqual(overdue.activity_user_id, self.salesman)
        self.assertEqual(
            overdue.activity_summary,
            "Grade D: contact every 90 days; last contact 93 days ago",
        )
        self.assertEqual(due_today.activity_state, "today")
        self.assertEqual(due_today.activity_date_deadline, self.today)
        # stored as mail.activity.create stores it
        self.assertEqual(activity.res_name, "Overdue")
        self.assertEqual(activity.res_model, "crm.lead")
        self.assertEqual(activity.user_tz, self.salesman.tz)
        self.assertEqual(activity.create_uid, self.env.user)
        self.assertTrue(activity.active)
        self.assertFalse(activity.date_done)
        self.assertFalse(activity.automated)
        # the salesperson's activity menu (systray) and its counter
        after = self._systray_leads(self.salesman)
        self.assertEqual(after["total_count"], before["total_count"] + 2)
        self.assertEqual(after["overdue_count"], before["overdue_count"] + 1)
        self.assertEqual(after["today_count"], before["today_count"] + 1)
        mine = (
            self.env["crm.lead"]
            .with_user(self.salesman)
            .search([("activity_user_id", "=", self.salesman.id)])
        )
        self.assertIn(overdue, mine)
        self.assertIn(due_today, mine)

    def test_salesperson_follows_once(self):
        """Followers as ``message_subscribe`` adds them for an activity: a
        salesperson not following yet is added with the default subtypes of
        leads; one already following keeps their subscription, not duplicated."""
        new = self._due_lead("Not followed yet", self.salesman)
        new.message_unsubscribe(partner_ids=self.salesman.partner_id.ids)
        followed = self._due_lead("Already followed", self.salesman)
        note = self.env.ref("mail.mt_note")
        followed.message_subscribe(
            partner_ids=self.salesman.partner_id.ids, subtype_ids=note.ids
        )
        reference = self._due_lead("Reference", self.colleague)
        reference.message_unsubscribe(partner_ids=self.colleague.partner_id.ids)
        self.assertNotIn(self.salesman.partner_id, new.message_partner_ids)
        self.engine._run()

        def subscription(lead, partner):
            return lead.message_follower_ids.filtered(
                lambda follower: follower.partner_id == partner
            )

        added = subscription(new, self.salesman.partner_id)
        self.assertEqual(len(added), 1)
        kept = subscription(followed, self.salesman.partner_id)
        self.assertEqual(len(kept), 1)
        self.assertEqual(kept.subtype_ids, note, "their own choice is kept")
        # the same subtypes as Odoo gives the assignee of an activity
        reference.activity_ids.unlink()
        reference.message_unsubscribe(partner_ids=self.colleague.partner_id.ids)
        reference.activity_schedule(
            "mail.mail_activity_data_call", user_id=self.colleague.id
        )
        self.assertEqual(
            added.subtype_ids,
            subscription(reference, self.colleague.partner_id).subtype_ids,
        )
        self.assertTrue(added.subtype_ids)
        self.assertIn(
            new,
            self.env["crm.lead"]
            .with_user(self.salesman)
            .search([("message_is_follower", "=", True)]),
        )

    def test_no_mail_and_one_notification_per_salesperson_per_batch(self):
        leads = [
            self._due_lead("First", self.salesman),
            self._due_lead("Second", self.salesman),
            self._due_lead("Third", self.salesman),
            self._due_lead("Fourth", self.colleague),
        ]
        self.env.flush_all()
        mails = self.env["mail.mail"].sudo().search_count([])
        messages = self.env["mail.message"].sudo().search_count([])
        self._mark_bus()
        self.assertEqual(self.engine._run(batch_size=2), 4)
        self.assertEqual(self.env["mail.mail"].sudo().search_count([]), mails)
        self.assertEqual(
            self.env["mail.message"].sudo().search_count([]),
            messages,
            "no 'assigned to you' message",
        )
        # batch 1: First, Second (salesman); batch 2: Third (salesman), Fourth
        self.assertEqual(
            self._bus_activity_notifications(),
            sorted([self.salesman.partner_id.id] * 2 + [self.colleague.partner_id.id]),
        )
        for lead in leads:
            self.assertEqual(len(lead.activity_ids), 1)
        self._mark_bus()
        self.assertEqual(self.engine._run(), 0, "a second run creates nothing")
        self.assertEqual(self._bus_activity_notifications(), [], "nor notifies")
        for lead in leads:
            self.assertEqual(len(lead.activity_ids), 1)
            self.assertEqual(
                len(
                    lead.message_follower_ids.filtered(
                        lambda follower, lead=lead: (
                            follower.partner_id == lead.user_id.partner_id
                        )
                    )
                ),
                1,
            )

    def test_lead_planned_meanwhile_by_another_worker_is_skipped(self):
        """Two workers find the same due lead: the unique index on open cadence
        activities keeps the first one's, the other run skips it quietly."""
        taken = self._due_lead("Taken", self.salesman)
        free = self._due_lead("Free", self.salesman)
        self.env.flush_all()
        batches = self.engine._prepare()
        self.assertEqual(
            {row["id"] for rows, _cadence in batches for row in rows}
            & {taken.id, free.id},
            {taken.id, free.id},
        )
        other = self.env["mail.activity"].create(
            {
                "res_model_id": self.env["ir.model"]._get_id("crm.lead"),
                "res_id": taken.id,
                "user_id": self.salesman.id,
                "summary": "Planned by the other worker",
                "prospect_cadence": True,
            }
        )
        self.env.flush_all()
        for batch in batches:
            self.engine._process_batch(batch)
        self.assertEqual(taken.activity_ids, other, "no second one, no error")
        self.assertEqual(
            free.activity_ids.summary,
            "Grade D: contact every 90 days; last contact 93 days ago",
        )
