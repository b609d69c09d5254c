from odoo import models
from odoo.tools import SQL

from odoo.addons.prospect_development import rules


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
            self.flush_model(["active", "stage_id", "partner_id", "visitor_ids"])
            rows = self.env.execute_query(
                SQL(
                    """
                SELECT lead.id
                  FROM (%(links)s) link
                  JOIN crm_lead lead ON lead.id = link.lead_id
                  LEFT JOIN crm_stage stage ON stage.id = lead.stage_id
                 WHERE link.visitor_id = %(visitor)s AND %(is_open)s
                    """,
                    links=self.env["website.track"]._prospect_visitor_leads(),
                    visitor=visitor.id,
                    is_open=rules.is_open(),
                )
            )
            leads |= self.browse(lead_id for (lead_id,) in rows)
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
