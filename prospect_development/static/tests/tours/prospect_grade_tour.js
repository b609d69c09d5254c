/** @odoo-module */
import { registry } from "@web/core/registry";

const inTenDays = luxon.DateTime.now().plus({ days: 10 });

registry.category("web_tour.tours").add("prospect_development_grade_tour", {
    steps: () => [
        {
            content: "The new opportunity is graded D: its need is not known yet",
            trigger: ".o_prospect_badges div[name=prospect_grade] .badge:contains('D')",
        },
        {
            content: "Open the Prospect Development tab",
            trigger: ".o_notebook a.nav-link:contains('Prospect Development')",
            run: "click",
        },
        {
            content: "The prospect has a clear need",
            trigger: "div[name=need_status] input[data-value=clear]",
            run: "click",
        },
        {
            content: "Still D: a clear need without a closing date",
            trigger: ".o_prospect_badges div[name=prospect_grade] .badge:contains('D')",
        },
        {
            content: "Expected to close in ten days",
            trigger: "div[name=date_deadline] input",
            run: `edit ${inTenDays.toFormat("MM/dd/yyyy")} && press Escape`,
        },
        {
            content: "Grade A at once, in green",
            trigger: ".o_prospect_badges div[name=prospect_grade] .badge.text-bg-success:contains('A')",
        },
        {
            content: "Save",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Saved, still A",
            trigger: ".o_form_saved .o_prospect_badges div[name=prospect_grade] .badge:contains('A')",
        },
    ],
});
