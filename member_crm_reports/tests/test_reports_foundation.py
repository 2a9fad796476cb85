from odoo.tests import new_test_user, tagged

from odoo.addons.member_crm.tests.common import MemberCrmCommon


@tagged("post_install", "-at_install")
class TestReportsFoundation(MemberCrmCommon):
    def test_reporting_menu_follows_roles(self):
        reporting = "member_crm.menu_member_crm_reporting"
        sales = "member_crm_reports.menu_member_crm_report_sale"
        analyst = new_test_user(
            self.env,
            login="member_analyst",
            groups="member_crm.group_member_crm_accountant,sales_team.group_sale_salesman_all_leads",
        )
        menus = self.visible_menu_xmlids(analyst)
        self.assertIn(reporting, menus)
        self.assertIn(sales, menus)
        self.assertNotIn(reporting, self.visible_menu_xmlids(self.role_users["member_user"]))

    def test_analytics_dependencies_load(self):
        """pandas is installed in the Python that runs Odoo (setup/run installs requirements.txt)."""
        import pandas  # checked here, in the Python that runs Odoo

        major = int(pandas.__version__.split(".")[0])
        self.assertLess(major, 3)

    def test_chinese_translation_loads(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["member_crm_reports"], ["zh_CN"], overwrite=True)
        zh = self.env(context={"lang": "zh_CN"})
        self.assertEqual(zh.ref("member_crm_reports.menu_member_crm_report_pos").name, "POS订单")
