from odoo.tests import tagged

from ..hooks import post_init_hook, pre_init_hook
from .common import ProspectCase


@tagged("post_install", "-at_install")
class TestInstallHooks(ProspectCase):
    def test_hooks_fill_existing_leads_in_one_pass(self):
        """Leads that existed before the add-on get tier, grade, urgency and next
        contact from the install hooks, not from per-record computes."""
        customer = self._customer("Existing Customer")
        self._won_deals([(customer, 50_000)])
        lead = self._open_lead(
            "Existing lead",
            partner_id=customer.id,
            need_status="clear",
            date_deadline=self.today,
        )
        self.env.flush_all()
        computed = (lead.prospect_grade, lead.contact_urgency, lead.next_contact_date)
        # as the lead was before the install: none of the new columns filled
        self.env.cr.execute(
            """
            UPDATE crm_lead
               SET prospect_grade = NULL, contact_urgency = NULL,
                   next_contact_date = NULL, pyramid_tier = 'suspect'
             WHERE id = %s
            """,
            [lead.id],
        )
        self.env.invalidate_all()

        pre_init_hook(self.env)  # the columns exist: nothing to do, no error
        post_init_hook(self.env)

        self.assertEqual(lead.prospect_grade, "a")
        self.assertEqual(
            (lead.prospect_grade, lead.contact_urgency, lead.next_contact_date),
            computed,
            "the same values as the ORM's computes",
        )
        self.assertIn(lead.pyramid_tier, ("super", "large", "medium", "small"))
