import { Component } from "@odoo/owl";
import { formatFloat } from "@web/core/utils/numbers";

/**
 * What the cashier sees once a member is the order's customer: tier badge, member number,
 * spendable and pending points, progress to the next tier, benefits, birthday flag and
 * early-access notice. The summary comes from res.partner.pos_member_data, loaded with the
 * partners and read again after each of the member's orders is synced; the points come from
 * pos_loyalty's live loyalty.card, so a second sale in the session shows the new balance
 * (the server stays the source of truth; offline the POS shows what it last knew).
 */
export class MemberPanel extends Component {
    static template = "member_crm.MemberPanel";
    static props = { order: Object };

    get member() {
        return this.props.order.getMemberData();
    }
    get points() {
        return this.props.order.getMemberPoints();
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
