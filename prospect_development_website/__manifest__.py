{
    "name": "Prospect Development - Website",
    "summary": "Website page views and contact forms of a lead's visitor feed its "
    "engagement score",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "author": "Prospect Development",
    "website": "https://github.com/prospect-development/prospect-development",
    "maintainers": ["prospect-development"],
    "license": "LGPL-3",
    "depends": ["prospect_development", "website_crm"],
    "data": [
        "security/ir.model.access.csv",
        "views/website_page_views.xml",
    ],
    "auto_install": True,
    "installable": True,
}
