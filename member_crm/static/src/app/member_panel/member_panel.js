import { Component } from "@odoo/owl";
import { formatFloat } from "@web/core/utils/numbers";

/**
 * What the cashier sees once a member is the order's customer: tier badge, member number,
 * spendable and pending points, progress to the next tier, benefits, birthday flag and
 * early-access notice. The data comes from res.partner.pos_member_data, loaded with the
 * partners (the server stays the source of truth; offline the POS shows what it loaded).
 */
export class MemberPanel extends Component {
    static template = "member_crm.MemberPanel";
    static props = { order: Object };

    get member() {
        return this.props.order.getMemberData();
    }
    formatPoints(points) {
        return formatFloat(points || 0, { digits: [69, 2] });
    }
    get bonusEstimate() {
        return this.props.order.getMemberBonusEstimate();
    }
    get earlyAccessLines() {
        return this.props.order.getMemberEarlyAccessBlocked();
    }
}
