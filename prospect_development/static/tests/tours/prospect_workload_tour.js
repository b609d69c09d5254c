/** @odoo-module */
import { registry } from "@web/core/registry";
import { openCrmMenu } from "@prospect_development/../tests/tours/prospect_tour_steps";

// A Sales manager opens CRM > Reporting > Workload: the graph draws the capacity
// over the planned contacts; the list shows Tour Overloaded's weeks in red. They
// rebalance that salesperson's team, confirm the proposal, and the red weeks go.
registry.category("web_tour.tours").add("prospect_workload_tour", {
    url: "/odoo",
    steps: () => [
        ...openCrmMenu(
            "crm.crm_menu_report",
            "prospect_development.menu_prospect_workload_report",
            "Open the Workload"
        ),
        {
            content: "The graph draws the capacity beside the planned contacts",
            trigger: ".o_graph_view .o_graph_canvas_container canvas",
            run(helpers) {
                const chart = window.Chart.getChart(helpers.anchor);
                const labels = chart.data.datasets.map((dataset) => dataset.label);
                if (!labels.includes("Capacity") || !labels.includes("Tour Overloaded")) {
                    throw new Error(`Unexpected series: ${labels.join(", ")}`);
                }
            },
        },
        {
            content: "Switch to the list",
            trigger: ".o_switch_view.o_list",
            run: "click",
        },
        {
            content: "The list is shown",
            trigger: ".o_list_view .o_data_row",
        },
        {
            content: "Look for Tour Overloaded",
            trigger: "input.o_searchview_input",
            run: "edit Tour Overloaded",
        },
        {
            content: "Search the salesperson",
            trigger: ".o_searchview_autocomplete .o_menu_item:contains(Salesperson)",
            run: "click",
        },
        {
            content: "The salesperson is searched",
            trigger: ".o_searchview_facet:contains(Tour Overloaded)",
        },
        {
            content: "Only their twelve weeks are listed",
            trigger:
                ".o_list_view tbody tr.o_data_row:nth-child(12):last-child:contains(Tour Overloaded)",
        },
        {
            content: "Their over-loaded weeks are in red",
            trigger: ".o_list_view .o_data_row.text-danger:contains(Tour Overloaded)",
        },
        {
            content: "Select an over-loaded week",
            trigger:
                ".o_list_view .o_data_row.text-danger:contains(Tour Overloaded) .o_list_record_selector input",
            run: "click",
        },
        {
            content: "The week is selected",
            trigger: ".o_list_selection_box",
        },
        {
            content: "Rebalance",
            trigger: "button[name='action_prospect_rebalance']",
            run: "click",
        },
        {
            content: "The proposal moves leads to Tour Spare",
            trigger: ".modal .o_field_one2many .o_data_row:contains(Tour Spare)",
        },
        {
            content: "Confirm the moves",
            trigger: ".modal button[name='action_confirm']",
            run: "click",
        },
        {
            content: "No over-loaded week left for Tour Overloaded",
            trigger:
                "body:not(:has(.modal)) .o_list_view:not(:has(.o_data_row.text-danger:contains(Tour Overloaded))) .o_data_row:contains(Tour Overloaded)",
        },
        {
            content: "Open the filters",
            trigger: ".o_searchview_dropdown_toggler",
            run: "click",
        },
        {
            content: "Keep the weeks of this quarter",
            trigger: ".o_filter_menu .dropdown-item:contains(This Quarter)",
            run: "click",
        },
        {
            content: "The quarter's filter applies without error",
            trigger:
                "body:not(:has(.o_error_dialog)) .o_searchview_facet:contains(This Quarter)",
        },
    ],
});
