/** @odoo-module */
import { browser } from "@web/core/browser/browser";
import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

// A Sales manager opens CRM > Reporting > Prospect Pyramid and exports the tier
// report. The download (an act_url opened by browser.open) is caught, not followed:
// tests/test_tier_report.py fetches the same route over HTTP and reads the file.
registry.category("web_tour.tours").add("prospect_tier_report_tour", {
    url: "/odoo",
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            content: "Open CRM",
            trigger: ".o_app[data-menu-xmlid='crm.crm_menu_root']",
            run: "click",
        },
        {
            content: "Open the Reporting menu",
            trigger: ".dropdown-toggle[data-menu-xmlid='crm.crm_menu_report']",
            run: "click",
        },
        {
            content: "Open the Prospect Pyramid",
            trigger:
                ".dropdown-item[data-menu-xmlid='prospect_development.menu_prospect_pyramid']",
            run: "click",
        },
        {
            content: "The pyramid: tiers by grade",
            trigger: ".o_pivot_view .o_pivot",
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
