# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Member CRM",
    "summary": "Membership, tiers, benefits and points on contacts, POS and sales",
    "version": "19.0.1.1.0",
    "category": "Sales/Members",
    "license": "LGPL-3",
    "author": "Member CRM team",
    "website": "https://github.com/member-crm/member-crm",
    # contacts: the member is a res.partner; sale_management / point_of_sale /
    # account: orders and invoices qualify members; loyalty, pos_loyalty and
    # sale_loyalty: points, rewards and coupons stay Odoo's own.
    "depends": [
        "contacts",
        "sale_management",
        "point_of_sale",
        "account",
        "loyalty",
        "pos_loyalty",
        "sale_loyalty",
        # phone.blacklist and phone_sanitized: SMS/phone consent and import dedupe
        "phone_validation",
    ],
    "external_dependencies": {"python": []},
    "data": [
        "security/member_crm_groups.xml",
        "security/ir.model.access.csv",
        "security/member_crm_rules.xml",
        "data/ir_cron_data.xml",
        "data/mail_template_data.xml",
        "data/member_privacy_data.xml",
        "views/member_benefit_views.xml",
        "views/member_tier_views.xml",
        "views/member_membership_views.xml",
        "views/member_ledger_views.xml",
        "views/member_points_move_views.xml",
        "views/res_partner_views.xml",
        "views/sale_order_views.xml",
        "views/pos_order_views.xml",
        "views/portal_templates.xml",
        "wizard/member_tier_change_views.xml",
        "wizard/member_tier_simulation_views.xml",
        "views/member_privacy_views.xml",
        "views/member_import_views.xml",
        "views/res_config_settings_views.xml",
        "views/member_crm_menus.xml",
    ],
    "assets": {
        "point_of_sale._assets_pos": ["member_crm/static/src/**/*"],
        "web.assets_tests": ["member_crm/static/tests/tours/**/*"],
    },
    "application": True,
}
