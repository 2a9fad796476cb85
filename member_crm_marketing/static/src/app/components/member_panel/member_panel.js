import { useEffect, useState } from "@odoo/owl";
import { patch } from "@web/core/utils/patch";
import { usePos } from "@point_of_sale/app/hooks/pos_hook";
import { logPosMessage } from "@point_of_sale/app/utils/pretty_console_log";
import { MemberPanel } from "@member_crm/app/components/member_panel/member_panel";

/**
 * The member panel also lists the products recommended to the order's customer (names only, in
 * rank order). The cashier reads no recommendation record: the server method answers for this
 * customer on this open register. Asked once per customer and session; offline, nothing shows.
 */
patch(MemberPanel.prototype, {
    setup() {
        super.setup(...arguments);
        this.pos = usePos();
        this.recommendations = useState({ names: [] });
        useEffect(
            (partnerId) => {
                this.loadRecommendations(partnerId);
            },
            () => [this.props.order.getPartner()?.id]
        );
    },
    async loadRecommendations(partnerId) {
        const cache = (this.pos.memberRecommendations ||= {});
        if (!partnerId) {
            this.recommendations.names = [];
            return;
        }
        if (!(partnerId in cache)) {
            try {
                cache[partnerId] = await this.pos.data.call(
                    "member.recommendation",
                    "pos_member_recommendations",
                    [this.pos.config.id, partnerId]
                );
            } catch (error) {
                logPosMessage("MemberPanel", "loadRecommendations", "Recommendations not loaded", undefined, [
                    error,
                ]);
                cache[partnerId] = [];
            }
        }
        if (this.props.order.getPartner()?.id === partnerId) {
            this.recommendations.names = cache[partnerId];
        }
    },
});
