import * as Chrome from "@point_of_sale/../tests/pos/tours/utils/chrome_util";
import * as Dialog from "@point_of_sale/../tests/generic_helpers/dialog_util";
import * as NumberPopup from "@point_of_sale/../tests/generic_helpers/number_popup_util";
import * as PaymentScreen from "@point_of_sale/../tests/pos/tours/utils/payment_screen_util";
import * as ProductScreen from "@point_of_sale/../tests/pos/tours/utils/product_screen_util";
import * as ReceiptScreen from "@point_of_sale/../tests/pos/tours/utils/receipt_screen_util";
import * as PartnerList from "@point_of_sale/../tests/pos/tours/utils/partner_list_util";
import * as SelectionPopup from "@point_of_sale/../tests/generic_helpers/selection_popup_util";
import { registry } from "@web/core/registry";

// With pos_hr (test_member_pos_hr_tour.py): the person at the till logs in as an employee with a PIN,
// sees the member panel, sells to the member and enrols a walk-in customer. pos_hr's own tour helpers
// are not imported: this file is loaded whether pos_hr is installed or not.
registry.category("web_tour.tours").add("member_crm_pos_hr_tour", {
    steps: () =>
        [
            Chrome.clickBtn("Open Register"),
            { content: "pos_hr asks who works the till", trigger: ".login-overlay .screen-login" },
            { content: "choose the cashier", trigger: ".login-overlay .select-cashier", run: "click" },
            SelectionPopup.has("Till Employee", { run: "click" }),
            NumberPopup.enterValue("4321"),
            NumberPopup.isShown("••••"),
            Dialog.confirm(),
            Dialog.confirm("Open Register"),
            ProductScreen.isShown(),
            ProductScreen.clickPartnerButton(),
            PartnerList.searchCustomerValue("HR0000"),
            PartnerList.clickPartner("HR Member"),
            {
                content: "member panel: tier badge",
                trigger: ".o_member_panel .o_member_tier_badge:contains('Standard')",
            },
            { content: "member panel: number", trigger: ".o_member_panel .o_member_number:contains('HR0000')" },
            ProductScreen.addOrderline("HR Tea", "1"),
            ProductScreen.clickPayButton(),
            PaymentScreen.clickPaymentMethod("Cash"),
            PaymentScreen.clickValidate(),
            ReceiptScreen.isShown(),
            { content: "receipt: member number", trigger: ".o_member_receipt:contains('HR0000')" },
            ReceiptScreen.clickNextOrder(),
            // the employee enrols a walk-in customer: the server finds the till's user among the register's employees
            ProductScreen.clickPartnerButton(),
            PartnerList.searchCustomerValue("HR Walk In"),
            PartnerList.clickPartner("HR Walk In"),
            { content: "open the enrolment", trigger: ".o_member_enrol_panel .o_member_enrol_open", run: "click" },
            {
                content: "opt in to email",
                trigger: ".o_member_enrol_panel .o_member_consent_email input",
                run: "click",
            },
            { content: "enrol", trigger: ".o_member_enrol_panel .o_member_enrol_confirm", run: "click" },
            {
                content: "the member panel replaces the enrolment",
                trigger: ".o_member_panel .o_member_tier_badge:contains('Standard')",
            },
        ].flat(),
});
