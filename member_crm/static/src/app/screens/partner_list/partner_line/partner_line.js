import { patch } from "@web/core/utils/patch";
import { PartnerLine } from "@point_of_sale/app/screens/partner_list/partner_line/partner_line";

patch(PartnerLine.prototype, {
    /** Tier and member number in the till's customer list (res.partner.pos_member_data). */
    get memberData() {
        return this.props.partner.pos_member_data || false;
    },
});
