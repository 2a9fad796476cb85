import { Component, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { patch } from "@web/core/utils/patch";
import { useService } from "@web/core/utils/hooks";
import { RPCError } from "@web/core/network/rpc";
import { AlertDialog } from "@web/core/confirmation_dialog/confirmation_dialog";
import { usePos } from "@point_of_sale/app/hooks/pos_hook";
import { OrderSummary } from "@point_of_sale/app/screens/product_screen/order_summary/order_summary";

const CHANNELS = ["email", "sms", "phone"];

/**
 * The order's customer is not a member (of the register's company): the cashier enrols them and
 * records the channels they agree to, with the company's consent text read to them. The server
 * (res.partner.pos_member_enroll) checks the open register, enrols and records the consent; the
 * till then reads the customer's member summary again, and the member panel replaces this one.
 */
export class MemberEnrolPanel extends Component {
    static template = "member_crm.MemberEnrolPanel";
    static props = { order: Object };

    setup() {
        this.pos = usePos();
        this.dialog = useService("dialog");
        this.state = useState({ open: false, busy: false, email: false, sms: false, phone: false });
    }
    get available() {
        return Boolean(this.pos.company.member_crm_enabled && this.props.order.getPartner());
    }
    get consentText() {
        return this.pos.company.member_consent_text || "";
    }
    get channels() {
        return [
            { key: "email", label: _t("Email") },
            { key: "sms", label: _t("SMS") },
            { key: "phone", label: _t("Phone") },
        ];
    }
    async enrol() {
        const partner = this.props.order.getPartner();
        const consents = CHANNELS.filter((channel) => this.state[channel]);
        this.state.busy = true;
        try {
            await this.pos.data.call("res.partner", "pos_member_enroll", [
                this.pos.config.id,
                partner.id,
                consents,
            ]);
            await this.pos.data.read("res.partner", [partner.id], ["pos_member_data"]);
            Object.assign(this.state, { open: false, email: false, sms: false, phone: false });
        } catch (error) {
            if (!(error instanceof RPCError)) {
                throw error;
            }
            this.dialog.add(AlertDialog, {
                title: _t("Enrolment refused"),
                body: error.data?.message || error.message,
            });
        } finally {
            this.state.busy = false;
        }
    }
}

patch(OrderSummary, {
    components: { ...OrderSummary.components, MemberEnrolPanel },
});
