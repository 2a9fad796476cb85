# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Member CRM Survey",
    "summary": "NPS (0-10) survey sent with the satisfaction request of closed complaints; answers count as feedback",
    "version": "19.0.1.0.0",
    "category": "Marketing/Members",
    "license": "LGPL-3",
    "author": "Member CRM team",
    "website": "https://github.com/member-crm/member-crm",
    "depends": ["member_crm_marketing", "survey"],
    "external_dependencies": {"python": []},
    "data": [
        "data/member_nps_survey_data.xml",
        "views/survey_user_input_views.xml",
    ],
    "auto_install": True,
}
