from odoo.tests import new_test_user, tagged

from odoo.addons.member_crm.tests.common import MemberCrmCommon


@tagged("post_install", "-at_install")
class TestMarketingFoundation(MemberCrmCommon):
    def test_campaign_menus_follow_roles(self):
        campaigns = "member_crm.menu_member_crm_campaigns"
        email = "member_crm_marketing.menu_member_crm_campaign_email"
        marketer = new_test_user(
            self.env,
            login="member_marketer_mailing",
            groups="member_crm.group_member_crm_marketing,mass_mailing.group_mass_mailing_user",
        )
        menus = self.visible_menu_xmlids(marketer)
        self.assertIn(campaigns, menus)
        self.assertIn(email, menus)
        for login in ("member_user", "member_service", "member_accountant"):
            self.assertNotIn(campaigns, self.visible_menu_xmlids(self.role_users[login]), login)

    def test_service_menu_follows_roles(self):
        service = "member_crm.menu_member_crm_service"
        self.assertIn(service, self.visible_menu_xmlids(self.role_users["member_service"]))
        for login in ("member_user", "member_marketing", "member_accountant"):
            self.assertNotIn(service, self.visible_menu_xmlids(self.role_users[login]), login)

    def test_chinese_translation_loads(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["member_crm_marketing"], ["zh_CN"], overwrite=True)
        zh = self.env(context={"lang": "zh_CN"})
        self.assertEqual(zh.ref("member_crm_marketing.menu_member_crm_campaign_sms").name, "短信营销")
