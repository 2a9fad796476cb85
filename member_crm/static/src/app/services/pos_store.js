import { _t } from "@web/core/l10n/translation";
import { patch } from "@web/core/utils/patch";
import { AlertDialog } from "@web/core/confirmation_dialog/confirmation_dialog";
import { PosStore } from "@point_of_sale/app/services/pos_store";
import { logPosMessage } from "@point_of_sale/app/utils/pretty_console_log";

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
    async postSyncAllOrders(orders) {
        // pos_loyalty's override has set the cards' points from the server once this returns
        await super.postSyncAllOrders(...arguments);
        await this.memberAfterSync(orders);
    },
    /**
     * A paid order can move the member on the server (tier upgrade, pending bonus, progress):
     * read the members' summaries again, and keep on each order the balance it left, for its
     * receipt.
     * The points themselves come from pos_loyalty's card (PosOrder.getMemberPoints).
     */
    async memberAfterSync(orders) {
        const paid = orders.filter(
            (order) => order.getMemberData() && !["draft", "cancel"].includes(order.state)
        );
        if (!paid.length) {
            return;
        }
        const partnerIds = [...new Set(paid.map((order) => order.getPartner().id))];
        try {
            await this.data.read("res.partner", partnerIds, ["pos_member_data"]);
        } catch (error) {
            // the order is synced: a failed refresh only leaves the summary loaded before
            const message = "Member summary not refreshed";
            logPosMessage("PosStore", "memberAfterSync", message, undefined, [error]);
        }
        for (const order of paid) {
            if (order.getMemberCard()) {
                order.uiState.memberPointsAfter = order.getMemberPoints();
            }
        }
    },
});
