import { _t } from "@web/core/l10n/translation";
import { patch } from "@web/core/utils/patch";
import { AlertDialog } from "@web/core/confirmation_dialog/confirmation_dialog";
import { PosOrder } from "@point_of_sale/app/models/pos_order";
import { PosStore } from "@point_of_sale/app/services/pos_store";
import { OrderSummary } from "@point_of_sale/app/screens/product_screen/order_summary/order_summary";
import { ResPartner } from "@point_of_sale/app/models/res_partner";
import { MemberPanel } from "./member_panel/member_panel";

const { DateTime } = luxon;

function isoDate(value) {
    if (!value) {
        return false;
    }
    return typeof value === "string" ? value.slice(0, 10) : value.toISODate();
}

patch(PosOrder.prototype, {
    getMemberData() {
        return this.getPartner()?.pos_member_data || false;
    },
    /** Offline the POS can only estimate the bonus: the server computes it when the order is paid. */
    getMemberBonusEstimate() {
        const member = this.getMemberData();
        if (!member || !member.bonus_factor || this.priceExcl <= 0) {
            return 0;
        }
        return Math.round(member.bonus_factor * this.priceExcl * 100) / 100;
    },
    /** Messages for products reserved to a higher tier until a date (checked before payment). */
    getMemberEarlyAccessBlocked() {
        const member = this.getMemberData();
        const level = member ? member.tier_level : null;
        const today = DateTime.now().toISODate();
        const messages = [];
        for (const line of this.lines) {
            const template = line.getProduct()?.product_tmpl_id;
            const until = isoDate(template?.member_early_until);
            const required = template?.member_early_tier_level;
            if (!until || !template.member_early_tier_level || today > until) {
                continue;
            }
            if (level === null || level === undefined || level < required) {
                messages.push(
                    _t("%(product)s is reserved to members of a higher tier until %(date)s.", {
                        product: template.display_name,
                        date: until,
                    })
                );
            }
        }
        return messages;
    },
});

patch(PosStore.prototype, {
    async pay() {
        const blocked = this.getOrder()?.getMemberEarlyAccessBlocked() || [];
        if (blocked.length) {
            // refused before payment, in the browser: a paid order is never refused at sync
            this.dialog.add(AlertDialog, { title: _t("Early access"), body: blocked.join("\n") });
            return;
        }
        return super.pay(...arguments);
    },
});

patch(ResPartner.prototype, {
    /** Loaded members are found by member number in the till's own search, offline too. */
    get searchString() {
        const number = this.pos_member_data?.number;
        return number ? `${super.searchString} ${number}` : super.searchString;
    },
});

OrderSummary.components = { ...OrderSummary.components, MemberPanel };
