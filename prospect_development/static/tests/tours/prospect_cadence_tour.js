/** @odoo-module */
import { registry } from "@web/core/registry";
import { openCrmMenu } from "@prospect_development/../tests/tours/prospect_tour_steps";

registry.category("web_tour.tours").add("prospect_development_cadence_tour", {
    url: "/odoo",
    steps: () => [
        ...openCrmMenu(
            "crm.crm_menu_sales",
            "prospect_development.menu_prospect_to_contact",
            "Whom to contact today"
        ),
        {
            content: "The most overdue contact comes first",
            trigger: ".o_data_row:first-child:contains('Tour: packaging line')",
        },
        {
            content: "The other due contact is listed too",
            trigger: ".o_data_row:contains('Tour: spare parts')",
        },
        {
            content: "Open it",
            trigger: ".o_data_row:contains('Tour: packaging line') td[name=name]",
            run: "click",
        },
        {
            content: "The cadence planned a call and says why",
            trigger: ".o-mail-Activity:contains('Grade A: contact every 7 days')",
        },
        {
            content: "Call done",
            trigger: ".o-mail-Activity:contains('Grade A') .o-mail-Activity-markDone",
            run: "click",
        },
        {
            content: "A cadence call is done with its outcome: interested",
            trigger: ".modal div[name=outcome_id] label:contains('Interested')",
            run: "click",
        },
        {
            content: "What the buyer said",
            trigger: ".modal div[name=note] textarea",
            run: "edit Spoke to the buyer: samples next week",
        },
        {
            content: "Done",
            trigger: ".modal button[name=action_confirm]",
            run: "click",
        },
        {
            content: "Logged in the chatter",
            trigger: ".o-mail-Message:contains('samples next week')",
        },
        {
            content: "Back to the due contacts",
            trigger: ".o_back_button",
            run: "click",
        },
        {
            content: "The contact is no longer due; the next one is waiting",
            trigger: ".o_list_view:not(:has(.o_data_row:contains('Tour: packaging line'))) .o_data_row:contains('Tour: spare parts')",
        },
    ],
});
