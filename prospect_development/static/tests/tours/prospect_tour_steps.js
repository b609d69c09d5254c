/** @odoo-module */
import { stepUtils } from "@web_tour/tour_service/tour_utils";

/**
 * The steps from the apps menu to an entry of CRM's top menu, as a user clicks:
 * `section` is the xml id of the top menu (`crm.crm_menu_sales`,
 * `crm.crm_menu_report`, ...), `item` the xml id of the entry.
 */
export function openCrmMenu(section, item, content) {
    return [
        stepUtils.showAppsMenuItem(),
        {
            content: "Open CRM",
            trigger: ".o_app[data-menu-xmlid='crm.crm_menu_root']",
            run: "click",
        },
        ...openMenuItem(section, item, content),
    ];
}

/** Open an entry of CRM's top menu, the app being open already. */
export function openMenuItem(section, item, content) {
    return [
        {
            content: "Open its menu",
            trigger: `.dropdown-toggle[data-menu-xmlid='${section}']`,
            run: "click",
        },
        {
            content,
            trigger: `.dropdown-item[data-menu-xmlid='${item}']`,
            run: "click",
        },
    ];
}
