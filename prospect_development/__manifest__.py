{
    "name": "Prospect Development",
    "summary": "Customer pyramid, A-E grades, key-account colours, contact cadence "
    "and abandonment advice on Odoo CRM",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "author": "Prospect Development",
    "license": "LGPL-3",
    "depends": ["crm"],
    "data": [
        "security/ir.model.access.csv",
        "security/prospect_development_security.xml",
        "data/ir_cron_data.xml",
        "data/crm_lost_reason_data.xml",
        "data/mail_template_data.xml",
        "data/prospect_care_holiday_data.xml",
        "wizard/prospect_abandon_wizard_views.xml",
        "wizard/prospect_handover_wizard_views.xml",
        "views/crm_lead_views.xml",
        "views/prospect_cadence_rule_views.xml",
        "views/prospect_care_holiday_views.xml",
        "views/res_partner_views.xml",
        "views/prospect_lead_history_views.xml",
        "views/res_config_settings_views.xml",
        "views/prospect_development_menus.xml",
    ],
    "demo": [
        "demo/prospect_demo.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "prospect_development/static/src/scss/prospect_development.scss",
        ],
        "web.assets_tests": [
            "prospect_development/static/tests/tours/*.js",
        ],
    },
    "installable": True,
    "application": False,
}
