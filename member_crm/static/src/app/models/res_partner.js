import { patch } from "@web/core/utils/patch";
import { ResPartner } from "@point_of_sale/app/models/res_partner";

patch(ResPartner.prototype, {
    /** Loaded members are found by member number in the till's own search, offline too. */
    get searchString() {
        const number = this.pos_member_data?.number;
        return number ? `${super.searchString} ${number}` : super.searchString;
    },
});
