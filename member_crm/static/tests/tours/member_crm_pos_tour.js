import * as Chrome from "@point_of_sale/../tests/pos/tours/utils/chrome_util";
import * as Dialog from "@point_of_sale/../tests/generic_helpers/dialog_util";
import * as PaymentScreen from "@point_of_sale/../tests/pos/tours/utils/payment_screen_util";
import * as ProductScreen from "@point_of_sale/../tests/pos/tours/utils/product_screen_util";
import * as ReceiptScreen from "@point_of_sale/../tests/pos/tours/utils/receipt_screen_util";
import * as PartnerList from "@point_of_sale/../tests/pos/tours/utils/partner_list_util";
import { registry } from "@web/core/registry";

// The Python test (test_member_pos_tour.py) sets up the member, the products and the points
// program, runs this tour, then checks the orders, the upgrade and the bonuses on the server.
registry.category("web_tour.tours").add("member_crm_pos_member_tour", {
    steps: () =>
        [
            Chrome.startPoS(),
            Dialog.confirm("Open Register"),
            ProductScreen.clickPartnerButton(),
            PartnerList.searchCustomerValue("MT0000"),
            {
                content: "the partner list shows the member's tier",
                trigger: ".partner-list .o_member_tier_badge:contains('Standard')",
            },
            PartnerList.clickPartner("Tour Member"),
            {
                content: "member panel: tier badge",
                trigger: ".o_member_panel .o_member_tier_badge:contains('Standard')",
            },
            { content: "member panel: number", trigger: ".o_member_panel .o_member_number:contains('MT0000')" },
            { content: "member panel: points", trigger: ".o_member_panel .o_member_points:contains('40.00')" },
            { content: "member panel: progress", trigger: ".o_member_panel .o_member_progress:contains('Gold')" },
            { content: "member panel: benefits", trigger: ".o_member_panel .o_member_benefits:contains('Bonus x1.5')" },
            ProductScreen.addOrderline("Tour Tea", "1"),
            {
                content: "bonus estimate",
                trigger: ".o_member_panel .o_member_bonus_estimate:contains('50')",
            },
            ProductScreen.clickPayButton(),
            PaymentScreen.clickPaymentMethod("Cash"),
            PaymentScreen.clickValidate(),
            ReceiptScreen.isShown(),
            { content: "receipt: member number", trigger: ".o_member_receipt:contains('MT0000')" },
            // the order upgraded the member on the server: the till read the summary again
            { content: "receipt: new tier", trigger: ".o_member_receipt:contains('Gold')" },
            {
                content: "receipt: bonus (estimate)",
                trigger: ".o_member_receipt_bonus:contains('50')",
            },
            {
                content: "receipt: balance left by the order (40 + 100 + 50 tier bonus)",
                trigger: ".o_member_receipt_points:contains('190')",
            },
            ReceiptScreen.clickNextOrder(),
            // a second sale to the same member in one session: the new balance, not the loaded one
            ProductScreen.clickPartnerButton(),
            PartnerList.searchCustomerValue("MT0000"),
            PartnerList.clickPartner("Tour Member"),
            {
                content: "second order: the panel shows the balance after the first order",
                trigger: ".o_member_panel .o_member_points:contains('190.00')",
            },
            {
                content: "second order: the panel shows the tier reached by the first order",
                trigger: ".o_member_panel .o_member_tier_badge:contains('Gold')",
            },
            ProductScreen.addOrderline("Tour Tea", "1"),
            {
                content: "the panel and pos_loyalty's own points summary read the same card",
                trigger: ".loyalty-points-balance:contains('190')",
            },
            {
                content: "second order: the panel still shows the balance before this order",
                trigger: ".o_member_panel .o_member_points:contains('190.00')",
            },
            ProductScreen.clickPayButton(),
            PaymentScreen.clickPaymentMethod("Cash"),
            PaymentScreen.clickValidate(),
            ReceiptScreen.isShown(),
            {
                content: "second receipt: 190 + 100 + 50 tier bonus",
                trigger: ".o_member_receipt_points:contains('340')",
            },
            ReceiptScreen.clickNextOrder(),
            // early access: a Gold-only product is refused to other customers before payment
            ProductScreen.addOrderline("Gold Preview Bag", "1"),
            ProductScreen.clickPayButton(false),
            Dialog.is({ title: "Early access" }),
            Dialog.confirm(),
        ].flat(),
});
