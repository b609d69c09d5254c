from odoo.addons.website_crm.controllers import website_form


class WebsiteForm(website_form.WebsiteForm):
    def insert_record(self, request, model, values, custom, meta=None):
        """A lead sent through a website form is a ``form_submit`` event of the
        lead (and of its visitor's other open leads): ``website_crm`` has linked
        the visitor to the new lead by now."""
        result = super().insert_record(request, model, values, custom, meta=meta)
        if result and model.sudo().model == "crm.lead":
            visitor = request.env["website.visitor"]._get_visitor_from_request()
            # the prospect is the public user: recording is bookkeeping, shown to
            # nobody here (website_crm reads the new lead the same way)
            lead_sudo = request.env["crm.lead"].sudo().browse(result)
            lead_sudo._prospect_record_website_form(visitor)
        return result
