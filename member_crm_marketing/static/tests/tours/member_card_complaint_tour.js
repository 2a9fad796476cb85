import * as Chrome from "@point_of_sale/../tests/pos/tours/utils/chrome_util";
import * as Dialog from "@point_of_sale/../tests/generic_helpers/dialog_util";
import * as ProductScreen from "@point_of_sale/../tests/pos/tours/utils/product_screen_util";
import * as PartnerList from "@point_of_sale/../tests/pos/tours/utils/partner_list_util";
import { registry } from "@web/core/registry";

// test_member_card_service.py (TestPosComplaintTour) sets up the member, runs this tour, then checks the ticket.
registry.category("web_tour.tours").add("member_crm_pos_complaint_tour", {
    steps: () =>
        [
            Chrome.startPoS(),
            Dialog.confirm("Open Register"),
            ProductScreen.clickPartnerButton(),
            PartnerList.searchCustomerValue("Tour Complainer"),
            PartnerList.clickPartner("Tour Complainer"),
            {
                content: "open the complaint form in the member panel",
                trigger: ".o_member_panel .o_member_complaint_open",
                run: "click",
            },
            {
                content: "an inquiry",
                trigger: ".o_member_panel .o_member_complaint_type",
                run: "select inquiry",
            },
            {
                content: "subject",
                trigger: ".o_member_panel .o_member_complaint_name",
                run: "edit Opening hours on Sunday",
            },
            {
                content: "description",
                trigger: ".o_member_panel .o_member_complaint_description",
                run: "edit Are you open on Sundays?",
            },
            {
                content: "open the ticket",
                trigger: ".o_member_panel .o_member_complaint_submit:not([disabled])",
                run: "click",
            },
            {
                content: "the form closes once the ticket is open",
                trigger: ".o_member_panel .o_member_complaint_open",
            },
        ].flat(),
});
