import { patch } from "@web/core/utils/patch";
import { OrderSummary } from "@point_of_sale/app/screens/product_screen/order_summary/order_summary";
import { MemberPanel } from "@member_crm/app/components/member_panel/member_panel";

patch(OrderSummary, {
    components: { ...OrderSummary.components, MemberPanel },
});
