{
    "name": "Prospect Development - Invoicing",
    "summary": "Rank the customer pyramid by posted invoices net of refunds",
    "version": "18.0.1.1.0",
    "category": "Sales/CRM",
    "author": "Prospect Development",
    "website": "https://github.com/prospect-development/prospect-development",
    "maintainers": ["prospect-development"],
    "license": "LGPL-3",
    "depends": ["prospect_development", "account"],
    "data": [
        "views/res_config_settings_views.xml",
    ],
    "auto_install": True,
    "installable": True,
}
