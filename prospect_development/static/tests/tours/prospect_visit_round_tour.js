/** @odoo-module */
import { registry } from "@web/core/registry";
import { openCrmMenu } from "@prospect_development/../tests/tours/prospect_tour_steps";

registry.category("web_tour.tours").add("prospect_development_visit_round_tour", {
    url: "/odoo",
    steps: () => [
        ...openCrmMenu(
            "crm.crm_menu_sales",
            "prospect_development.menu_prospect_visit_round",
            "My visit round"
        ),
        {
            content: "The busiest area comes first",
            trigger: ".modal div[name=area_ids] .o_data_row:first-child:contains('200120 Shanghai')",
        },
        {
            content: "Then Beijing",
            trigger: ".modal div[name=area_ids] .o_data_row:contains('100020 Beijing')",
        },
        {
            content: "The most valuable customer first, with its phone",
            trigger: ".modal div[name=line_ids] .o_data_row:first-child:contains('Pudong Tour Co'):contains('+86 21 5555 0101')",
        },
        {
            content: "Plan the round",
            trigger: ".modal button[name=action_plan]",
            run: "click",
        },
        {
            content: "The round is planned",
            trigger: ".o_notification:contains('3 visits planned over 2 days')",
        },
        {
            content: "The dialog is closed",
            trigger: "body:not(:has(.modal))",
        },
    ],
});
