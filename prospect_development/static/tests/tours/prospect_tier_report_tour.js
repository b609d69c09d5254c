/** @odoo-module */
import { browser } from "@web/core/browser/browser";
import { registry } from "@web/core/registry";
import { openCrmMenu, openMenuItem } from "@prospect_development/../tests/tours/prospect_tour_steps";

// A Sales manager opens CRM > Reporting > Prospect Pyramid and exports the tier
// report. The download (an act_url opened by browser.open) is caught, not followed:
// tests/test_tier_report.py fetches the same route over HTTP and reads the file.
const PYRAMID = ["Super", "Large", "Medium", "Small", "Inactive", "Prospect", "Suspect", "Other"];
const GRADES = ["A", "B", "C", "D", "E"];

/** The known ``labels`` among ``found`` come in the order of ``labels``. */
function assertInOrder(found, labels, what) {
    const known = found.filter((label) => labels.includes(label));
    const sorted = [...known].sort((a, b) => labels.indexOf(a) - labels.indexOf(b));
    if (known.join() !== sorted.join()) {
        throw new Error(`${what} out of order: ${known.join(", ")}`);
    }
}

function assertPyramidOrder(found, what) {
    assertInOrder(found, PYRAMID, what);
}

registry.category("web_tour.tours").add("prospect_tier_report_tour", {
    url: "/odoo",
    steps: () => [
        ...openCrmMenu(
            "crm.crm_menu_report",
            "prospect_development.menu_prospect_pyramid_movements",
            "Open the Tier Movements over Time"
        ),
        {
            content: "One line per tier reached, from the top of the pyramid",
            trigger: ".o_graph_view .o_graph_canvas_container canvas",
            run(helpers) {
                const chart = window.Chart.getChart(helpers.anchor);
                assertPyramidOrder(
                    chart.data.datasets.map((dataset) => dataset.label),
                    "movement lines"
                );
            },
        },
        ...openMenuItem(
            "crm.crm_menu_report",
            "prospect_development.menu_prospect_pyramid",
            "Open the Prospect Pyramid"
        ),
        {
            content: "The pyramid: tiers by grade, read from the top",
            trigger: ".o_pivot_view .o_pivot",
            run() {
                const rows = [...document.querySelectorAll(".o_pivot tbody th")];
                assertPyramidOrder(rows.map((th) => th.textContent.trim()), "pivot rows");
                const cols = [...document.querySelectorAll(".o_pivot thead th")];
                assertInOrder(
                    cols.map((th) => th.textContent.trim()),
                    GRADES,
                    "pivot columns"
                );
            },
        },
        {
            content: "Switch to the graph",
            trigger: ".o_switch_view.o_graph",
            run: "click",
        },
        {
            content: "The bars: tiers from the top, grades A to E in the legend",
            trigger: ".o_graph_view .o_graph_canvas_container canvas",
            run(helpers) {
                const chart = window.Chart.getChart(helpers.anchor);
                assertPyramidOrder(chart.data.labels, "graph bars");
                assertInOrder(
                    chart.data.datasets.map((dataset) => dataset.label),
                    GRADES,
                    "graph series"
                );
            },
        },
        {
            content: "Switch to the list",
            trigger: ".o_switch_view.o_list",
            run: "click",
        },
        {
            content: "Export",
            trigger: ".o_control_panel button:has(i.fa-file-excel-o)",
            run: "click",
        },
        {
            content: "The export wizard shows its filters",
            trigger: ".modal .o_form_view .o_field_widget[name=date_from]",
        },
        {
            content: "Export the workbook (the download is recorded, not opened)",
            trigger: ".modal footer button[name=action_export]",
            run(helpers) {
                browser.open = (url) => {
                    document.body.dataset.prospectDownload = url;
                };
                helpers.click();
            },
        },
        {
            content: "The download of the workbook was triggered",
            trigger: "body[data-prospect-download^='/prospect/tier_report/']",
        },
    ],
});
