/** @odoo-module */
import { registry } from "@web/core/registry";
import { openCrmMenu } from "@prospect_development/../tests/tours/prospect_tour_steps";

registry.category("web_tour.tours").add("prospect_development_at_risk_tour", {
    url: "/odoo",
    steps: () => [
        ...openCrmMenu(
            "crm.crm_menu_sales",
            "prospect_development.menu_prospect_at_risk",
            "The key accounts that slip"
        ),
        {
            content: "The most valuable first",
            trigger: ".o_data_row:first-child:contains('Tour Whale Trading')",
        },
        {
            content: "The smaller one after it",
            trigger: ".o_data_row:contains('Tour Whale Trading') ~ .o_data_row:contains('Tour Minnow Supplies')",
        },
        {
            content: "Open the first customer",
            trigger: ".o_data_row:first-child td[name=name]",
            run: "click",
        },
        {
            content: "Why it is at risk",
            trigger: ".alert-danger:contains('Key account at risk'):contains('no purchase for 100 days (usually every 30)')",
        },
        {
            content: "Plan a visit",
            trigger: "button[name=action_prospect_plan_visit]",
            run: "click",
        },
        {
            content: "The visit is planned",
            trigger: ".o-mail-Activity:contains('Visit Tour Whale Trading')",
        },
    ],
});
