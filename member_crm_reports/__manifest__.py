# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Member CRM Reports",
    "summary": "Member KPIs, PDF and XLSX reports, RFM, CLV and cohort analytics",
    "version": "19.0.1.0.0",
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
        "views/member_crm_reports_menus.xml",
    ],
}
