# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Member CRM Marketing",
    "summary": "Campaigns per tier with email, SMS and member coupons; complaints with SLA by tier",
    "version": "19.0.1.1.0",
    "category": "Marketing/Members",
    "license": "LGPL-3",
    "author": "Member CRM team",
    "website": "https://github.com/member-crm/member-crm",
    # mass_mailing and mass_mailing_sms (which brings sms): campaigns are
    # Odoo mailings; rating: satisfaction of handled complaints.
    "depends": ["member_crm", "mass_mailing", "mass_mailing_sms", "rating"],
    "external_dependencies": {"python": []},
    "data": [
        "security/member_crm_marketing_security.xml",
        "security/ir.model.access.csv",
        "security/member_recommendation_rules.xml",
        "data/member_campaign_result_data.xml",
        "data/ir_cron_data.xml",
        "views/member_campaign_views.xml",
        "views/member_campaign_sms_templates.xml",
        "views/member_campaign_result_views.xml",
        "data/member_recommendation_cron.xml",
        "views/member_recommendation_views.xml",
        "views/member_crm_marketing_menus.xml",
    ],
    "assets": {
        "point_of_sale._assets_pos": ["member_crm_marketing/static/src/**/*"],
        "web.assets_tests": ["member_crm_marketing/static/tests/tours/**/*"],
    },
}
