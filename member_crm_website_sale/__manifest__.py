# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Member CRM Website Sale",
    "summary": "Products viewed by logged-in members on the shop, in the member's interaction timeline",
    "version": "19.0.1.0.0",
    "category": "Marketing/Members",
    "license": "LGPL-3",
    "author": "Member CRM team",
    "website": "https://github.com/member-crm/member-crm",
    "depends": ["member_crm_marketing", "website_sale"],
    "external_dependencies": {"python": []},
    "data": [
        "security/member_timeline_rules.xml",
        "views/member_timeline_views.xml",
    ],
    "auto_install": True,
}
