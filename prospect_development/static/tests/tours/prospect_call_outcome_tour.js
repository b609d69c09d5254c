/** @odoo-module */
import { registry } from "@web/core/registry";
import { openCrmMenu } from "@prospect_development/../tests/tours/prospect_tour_steps";

registry.category("web_tour.tours").add("prospect_development_call_outcome_tour", {
    url: "/odoo",
    steps: () => [
        ...openCrmMenu(
            "crm.crm_menu_sales",
            "prospect_development.menu_prospect_to_contact",
            "Whom to contact today"
        ),
        {
            content: "From the list: the activities of a due prospect",
            trigger: ".o_data_row:contains('Tour: nobody answers') .o-mail-ActivityButton",
            run: "click",
        },
        {
            content: "The planned call is done...",
            trigger: ".o-mail-ActivityListPopoverItem-markAsDone",
            run: "click",
        },
        {
            content: "...and asks for its outcome: nobody answered",
            trigger: ".modal div[name=outcome_id] label:contains('Unreachable')",
            run: "click",
        },
        {
            content: "Log it",
            trigger: ".modal button[name=action_confirm]",
            run: "click",
        },
        {
            content: "Logged",
            trigger: "body:not(:has(.modal))",
        },
        {
            content: "Open the prospect to call",
            trigger: ".o_data_row:contains('Tour: visit asked') td[name=name]",
            run: "click",
        },
        {
            content: "Graded D: the need is not known yet",
            trigger: ".o_prospect_badges div[name=prospect_grade] .badge:contains('D')",
        },
        {
            content: "The cadence planned a call",
            trigger: ".o-mail-Activity:contains('Grade D') .o-mail-Activity-markDone",
            run: "click",
        },
        {
            content: "Done asks for the outcome: the prospect asks for a visit",
            trigger: ".modal div[name=outcome_id] label:contains('Asks for a visit')",
            run: "click",
        },
        {
            content: "What the buyer said",
            trigger: ".modal div[name=note] textarea",
            run: "edit Wants to see the line running; bring samples",
        },
        {
            content: "Log it",
            trigger: ".modal button[name=action_confirm]",
            run: "click",
        },
        {
            content: "The call is logged with its outcome",
            trigger: ".o-mail-Message:contains('Outcome: Asks for a visit'):contains('bring samples')",
        },
        {
            content: "The visit is planned",
            trigger: ".o-mail-Activity:contains('Asks for a visit'):not(:contains('Grade D'))",
        },
        {
            content: "A clear need closing soon: grade A at once",
            trigger: ".o_prospect_badges div[name=prospect_grade] .badge:contains('A')",
        },
        {
            content: "Back to the due contacts",
            trigger: ".o_back_button",
            run: "click",
        },
        {
            content: "The prospect left the list; the next one is waiting",
            trigger: ".o_list_view:not(:has(.o_data_row:contains('Tour: visit asked'))) .o_data_row:contains('Tour: next in line')",
        },
    ],
});
