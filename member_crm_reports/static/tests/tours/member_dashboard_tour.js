import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_utils";

const HEADLINE = [
    "members",
    "new_members",
    "active_members",
    "average_spend",
    "return_rate",
    "lifetime_value",
];

/**
 * The member auditor opens Members > Reporting > Dashboard: the test company's block shows the
 * six headline cards, each with a figure, last month's and a sparkline; Members and New Members
 * show the two members the test enrolled this month.
 */
registry.category("web_tour.tours").add("member_crm_reports_dashboard_tour", {
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            content: "Open the Members app",
            trigger: ".o_app[data-menu-xmlid='member_crm.menu_member_crm_root']",
            run: "click",
        },
        {
            content: "Open Reporting",
            trigger: ".o_menu_sections [data-menu-xmlid='member_crm.menu_member_crm_reporting']",
            run: "click",
        },
        {
            content: "Dashboard is the first entry of Reporting",
            trigger: ".o-dropdown--menu .o-dropdown-item:first-child:contains('Dashboard')",
            run: "click",
        },
        {
            content: "The test company's figures",
            trigger: ".o_member_dashboard_company h4:contains('Dashboard Tour Co')",
        },
        {
            content: "Six headline cards, each with a figure, last month's and a graph",
            trigger: ".o_member_dashboard_company .o_member_dashboard_card",
            run() {
                const cards = [...document.querySelectorAll(".o_member_dashboard_company .o_member_dashboard_card")];
                const keys = cards.map((card) => card.dataset.key);
                if (JSON.stringify(keys) !== JSON.stringify(HEADLINE)) {
                    throw new Error(`Expected the cards ${HEADLINE}, got ${keys}`);
                }
                for (const card of cards) {
                    const value = card.querySelector(".o_member_dashboard_value")?.textContent.trim();
                    const previous = card.querySelector(".o_member_dashboard_previous")?.textContent.trim();
                    if (!value || !previous) {
                        throw new Error(`Card ${card.dataset.key} has no figure`);
                    }
                    if (!card.querySelector("svg.o_member_sparkline")) {
                        throw new Error(`Card ${card.dataset.key} has no graph`);
                    }
                }
            },
        },
        {
            content: "Two members at today",
            trigger: ".o_member_dashboard_card[data-key='members'] .o_member_dashboard_value:contains('2')",
        },
        {
            content: "Both joined this month",
            trigger: ".o_member_dashboard_card[data-key='new_members'] .o_member_dashboard_value:contains('2')",
        },
        {
            content: "A card opens its analysis",
            trigger: ".o_member_dashboard_card[data-key='members']",
            run: "click",
        },
        {
            content: "The members analysis is open",
            trigger: ".o_pivot_view, .o_graph_view, .o_list_view",
        },
    ],
});
