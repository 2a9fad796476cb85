import { Component, onWillStart, useState } from "@odoo/owl";
import { deserializeDate } from "@web/core/l10n/dates";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { Layout } from "@web/search/layout";
import {
    formatFloat,
    formatInteger,
    formatMonetary,
    formatPercentage,
} from "@web/views/fields/formatters";
import { standardActionServiceProps } from "@web/webclient/actions/action_service";

import { MemberSparkline } from "./member_sparkline";

/**
 * The member KPI dashboard: per company, the six headline figures of this month
 * against last month, each with its 12 months as a sparkline. The figures come from
 * ``member.report.dashboard.get_dashboard_data`` (read-only, through the report
 * models: the user's rights and the companies selected in the switcher apply).
 */
export class MemberDashboard extends Component {
    static template = "member_crm_reports.MemberDashboard";
    static components = { Layout, MemberSparkline };
    static props = { ...standardActionServiceProps };

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.state = useState({ data: null });
        onWillStart(() => this.load());
    }

    async load() {
        this.state.data = await this.orm.call("member.report.dashboard", "get_dashboard_data", []);
    }

    get display() {
        return { controlPanel: {} };
    }

    /** What the six cards show, and the analysis each opens. */
    get cards() {
        return {
            members: {
                label: _t("Members"),
                help: _t("Active members at the month's end (today for this month)."),
                action: "member_crm_reports.action_member_report_members",
            },
            new_members: {
                label: _t("New Members"),
                help: _t("Members who joined in the month (Member Since); imported members without a date are not new."),
                action: "member_crm_reports.action_member_report_members",
            },
            active_members: {
                label: _t("Active Members"),
                help: _t("Members with at least one net order in the 90 days up to the month's end."),
                action: "member_crm_reports.action_member_report_order",
            },
            average_spend: {
                label: _t("Average Spend"),
                help: _t("Net spend in those 90 days per active member."),
                action: "member_crm_reports.action_member_report_order",
            },
            return_rate: {
                label: _t("Return Rate"),
                help: _t("Orders with a refund per order of the month, net of cancellations."),
                action: "member_crm_reports.action_member_report_order",
            },
            lifetime_value: {
                label: _t("Lifetime Value"),
                help: _t("Cumulative net spend (opening balances included) per member."),
                action: "member_crm_reports.action_member_report_order",
            },
        };
    }

    /** The secondary figures shown under the cards. */
    get extras() {
        return [
            ["member_growth", _t("Member Growth")],
            ["active_growth", _t("Active Member Growth")],
            ["frequency", _t("Orders per Active Member")],
            ["refund_share", _t("Refunded Amount Share")],
            ["customer_value", _t("Customer Value")],
        ];
    }

    format(figure, value, block) {
        if (value === null || value === undefined) {
            return "–";
        }
        switch (figure.unit) {
            case "count":
                return formatInteger(value);
            case "monetary":
                return formatMonetary(value, { currencyId: block.currency_id });
            case "ratio":
                return formatPercentage(value, { digits: [16, 1] });
            default:
                return formatFloat(value, { digits: [16, 2] });
        }
    }

    formatChange(figure) {
        if (figure.change === null || figure.change === undefined) {
            return "";
        }
        const sign = figure.change > 0 ? "+" : "";
        return `${sign}${formatPercentage(figure.change, { digits: [16, 1] })}`;
    }

    changeClass(figure) {
        if (!figure.change) {
            return "text-muted";
        }
        // a rising return rate is bad news
        const good = figure.key === "return_rate" ? figure.change < 0 : figure.change > 0;
        return good ? "text-success" : "text-danger";
    }

    figure(block, key) {
        return { key, ...block.figures[key] };
    }

    monthLabel(block, index) {
        const month = block.months[index];
        return month ? deserializeDate(month).toFormat("LLLL yyyy") : "";
    }

    monthLabels(block) {
        return block.months.map((month) => deserializeDate(month).toFormat("LLL yyyy"));
    }

    openAnalysis(xmlid) {
        return this.action.doAction(xmlid);
    }
}

registry.category("actions").add("member_crm_reports.dashboard", MemberDashboard);
