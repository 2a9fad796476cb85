import * as Chrome from "@point_of_sale/../tests/pos/tours/utils/chrome_util";
import * as Dialog from "@point_of_sale/../tests/generic_helpers/dialog_util";
import * as ProductScreen from "@point_of_sale/../tests/pos/tours/utils/product_screen_util";
import * as PartnerList from "@point_of_sale/../tests/pos/tours/utils/partner_list_util";
import { registry } from "@web/core/registry";

// The Python test (test_pos_enrol.py) sets up the company and the customer, runs this tour, then
// checks the membership and the consent lines on the server.
registry.category("web_tour.tours").add("member_crm_pos_enrol_tour", {
    steps: () =>
        [
            Chrome.startPoS(),
            Dialog.confirm("Open Register"),
            ProductScreen.clickPartnerButton(),
            PartnerList.searchCustomerValue("Walk In"),
            PartnerList.clickPartner("Walk In Customer"),
            { content: "a non-member: no member panel", trigger: ".o_member_enrol_panel" },
            { content: "open the enrolment", trigger: ".o_member_enrol_panel .o_member_enrol_open", run: "click" },
            {
                content: "the company's consent text is shown",
                trigger: ".o_member_enrol_panel .o_member_consent_text:contains('I agree to hear from the shop')",
            },
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
            { content: "member number shown", trigger: ".o_member_panel .o_member_number:contains('PE0')" },
        ].flat(),
});
