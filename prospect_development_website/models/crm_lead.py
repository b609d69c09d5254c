from odoo import models
from odoo.tools import SQL


class CrmLead(models.Model):
    _inherit = "crm.lead"

    def _prospect_record_website_form(self, visitor):
        """The website contact form created this lead for ``visitor``: a
        ``form_submit`` event on it and on the visitor's other open leads (the
        prospect a salesperson is already developing asked again: the strongest
        sign of interest the website gives), plus the visitor's page views not
        recorded yet, which now count for this lead. Returns the events."""
        self.ensure_one()
        leads = self
        if visitor:
            leads |= visitor.lead_ids.filtered(
                lambda lead: lead.active and not lead.stage_id.is_won
            )
        values = [
            {
                "lead_id": lead.id,
                "event_type": "form_submit",
                "res_model": "crm.lead",
                "res_id": self.id,
                "description": self.name,
                "dedup_key": f"website.form:{self.id}:{lead.id}",
            }
            for lead in leads
        ]
        if visitor:
            values += self.env["website.track"]._prospect_page_view_values(
                SQL("track.visitor_id = %s", visitor.id)
            )
        return self.env["prospect.engagement.event"]._record(values)
