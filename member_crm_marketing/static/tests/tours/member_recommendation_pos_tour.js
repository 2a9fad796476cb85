import * as Chrome from "@point_of_sale/../tests/pos/tours/utils/chrome_util";
import * as Dialog from "@point_of_sale/../tests/generic_helpers/dialog_util";
import * as ProductScreen from "@point_of_sale/../tests/pos/tours/utils/product_screen_util";
import * as PartnerList from "@point_of_sale/../tests/pos/tours/utils/partner_list_util";
import { registry } from "@web/core/registry";

// The Python test (TestRecommendationPosTour in test_campaign_review_fixes.py) gives the member two
// recommendations; the member panel lists their names in rank order once the member is the customer.
registry.category("web_tour.tours").add("member_crm_marketing_recommendation_tour", {
    steps: () =>
        [
            Chrome.startPoS(),
            Dialog.confirm("Open Register"),
            ProductScreen.clickPartnerButton(),
            PartnerList.searchCustomerValue("Reco Tour Member"),
            PartnerList.clickPartner("Reco Tour Member"),
            {
                content: "member panel: the first recommendation",
                trigger: ".o_member_panel .o_member_recommendations .badge:eq(0):contains('Reco Tour Scarf')",
            },
            {
                content: "member panel: the second recommendation",
                trigger: ".o_member_panel .o_member_recommendations .badge:eq(1):contains('Reco Tour Gloves')",
            },
        ].flat(),
});
