/** @odoo-module */
import { registry } from "@web/core/registry";

// A prospect opens the feedback card of a mailing (started on the card's own URL
// by tests/test_feedback_page.py, as a public visitor) and answers it.
registry.category("web_tour.tours").add("prospect_feedback_tour", {
    steps: () => [
        {
            content: "The feedback card is open",
            trigger: ".o_prospect_feedback_form h1",
        },
        {
            content: "Relevant, right now",
            trigger: "label[for=interest_now]",
            run: "click",
        },
        {
            content: "Please call me",
            trigger: "label[for=call_wanted_yes]",
            run: "click",
        },
        {
            content: "In the afternoon",
            trigger: "select#call_time",
            run: "select afternoon",
        },
        {
            content: "What worries the prospect",
            trigger: "textarea#concern",
            run: "edit Delivery times of the spare parts",
        },
        {
            content: "Send the answers",
            trigger: ".o_prospect_feedback_form button[type=submit]",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Thanked, and told a call will follow",
            trigger: ".o_prospect_feedback_thanks li:contains('We will call you')",
        },
    ],
});
