# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Member CRM Reports",
    "summary": "Member KPIs, PDF and XLSX reports, RFM, CLV and cohort analytics",
    "version": "19.0.1.2.0",
    "category": "Sales/Members",
    "license": "LGPL-3",
    "author": "Member CRM team",
    "website": "https://github.com/member-crm/member-crm",
    "depends": ["member_crm", "member_crm_marketing"],
    # pandas for RFM / CLV / cohort analytics (requirements.txt, pandas<3).
    # XLSX is written with xlsxwriter, which Odoo itself requires; OCA
    # report_xlsx is AGPL-3 and would make these LGPL-3 addons AGPL-3.
    "external_dependencies": {"python": ["pandas", "xlsxwriter"]},
    "data": [
        "security/ir.model.access.csv",
        "security/member_crm_reports_security.xml",
        "views/member_report_order_views.xml",
        "views/member_report_members_views.xml",
        "views/member_report_tier_event_views.xml",
        "views/member_report_campaign_views.xml",
        "views/member_report_service_views.xml",
        "views/member_report_dashboard_action.xml",
        "report/member_report_actions.xml",
        "report/member_report_layout.xml",
        "report/member_statement.xml",
        "report/member_tier_summary.xml",
        "report/member_campaign.xml",
        "report/member_service.xml",
        "wizard/member_report_print_views.xml",
        "views/member_crm_reports_menus.xml",
        "data/member_points_liability_cron.xml",
        "views/member_points_liability_views.xml",
        "views/res_config_settings_views.xml",
        "views/member_analytics_views.xml",
        "data/member_analytics_cron.xml",
    ],
    "uninstall_hook": "uninstall_hook",
    "assets": {
        "web.assets_backend": ["member_crm_reports/static/src/dashboard/**/*"],
        "web.assets_tests": ["member_crm_reports/static/tests/tours/**/*"],
    },
}
