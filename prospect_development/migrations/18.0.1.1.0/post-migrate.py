"""Mailings go to the customer's decision maker (``crm.lead.prospect_recipient_id``).

The shipped templates are ``noupdate``: an upgrade does not reload them. Those still
as shipped (addressed to the lead's contact) are readdressed; a template an
administrator changed is left as it is."""

from odoo.tools import SQL

TEMPLATES = (
    "mail_template_care_greeting",
    "mail_template_dm_company_intro",
    "mail_template_dm_newsletter",
    "mail_template_dm_problem_analysis",
    "mail_template_dm_service_explanation",
    "mail_template_feedback_card",
    "mail_template_feedback_followup",
)
OLD_TO = "{{ object.partner_id != False and object.partner_id.id }}"
NEW_TO = (
    "{{ object.prospect_recipient_id != False and object.prospect_recipient_id.id }}"
)
OLD_LANG = "{{ object.partner_id.lang or object.lang_id.code }}"
NEW_LANG = "{{ object.prospect_recipient_id.lang or object.lang_id.code }}"
OLD_NAME = "object.partner_id.name or object.contact_name"
NEW_NAME = "object.prospect_recipient_id.name or object.contact_name"


def migrate(cr, version):
    cr.execute(
        SQL(
            """
            UPDATE mail_template template
               SET partner_to = %(new_to)s,
                   lang = %(new_lang)s,
                   body_html = REPLACE(body_html::text, %(old_name)s,
                                       %(new_name)s)::jsonb
              FROM ir_model_data data
             WHERE data.model = 'mail.template' AND data.res_id = template.id
               AND data.module = 'prospect_development'
               AND data.name IN %(names)s
               AND template.partner_to = %(old_to)s
               AND template.lang = %(old_lang)s
            """,
            new_to=NEW_TO,
            new_lang=NEW_LANG,
            old_name=OLD_NAME,
            new_name=NEW_NAME,
            names=TEMPLATES,
            old_to=OLD_TO,
            old_lang=OLD_LANG,
        )
    )
