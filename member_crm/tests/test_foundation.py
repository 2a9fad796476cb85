from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import MemberCrmCommon


@tagged("post_install", "-at_install")
class TestFoundation(MemberCrmCommon):
    def test_group_ladder(self):
        user, officer, manager = (
            self.env.ref(f"member_crm.group_member_crm_{name}") for name in ("user", "officer", "manager")
        )
        self.assertIn(user, officer.implied_ids)
        self.assertIn(officer, manager.implied_ids)
        self.assertEqual(user.privilege_id, manager.privilege_id)
        for name in ("marketing", "service", "accountant"):
            group = self.env.ref(f"member_crm.group_member_crm_{name}")
            self.assertIn(user, group.all_implied_ids, f"{name} must read members")
            self.assertNotIn(officer, group.all_implied_ids, f"{name} must not manage members")
            self.assertNotEqual(group.privilege_id, user.privilege_id, f"{name} is outside the ladder")
        self.assertTrue(self.env.ref("base.user_admin").has_group("member_crm.group_member_crm_manager"))

    def test_menus_per_role(self):
        root = "member_crm.menu_member_crm_root"
        config = "member_crm.menu_member_crm_config"
        members = "member_crm.menu_member_crm_member_list"
        plain = self.visible_menu_xmlids(self.role_users["member_plain"])
        self.assertNotIn(root, plain, "an employee without a member role does not see the app")
        for login in ("member_user", "member_officer", "member_marketing", "member_service", "member_accountant"):
            menus = self.visible_menu_xmlids(self.role_users[login])
            self.assertIn(root, menus, login)
            self.assertIn(members, menus, login)
            self.assertNotIn(config, menus, f"{login} must not see the configuration")
        manager_menus = self.visible_menu_xmlids(self.role_users["member_manager"])
        self.assertIn(config, manager_menus)
        self.assertIn("member_crm.menu_member_crm_settings", manager_menus)

    def test_install_changes_nothing_until_enabled(self):
        """Installing creates no loyalty program and enables nothing behind the manager's back."""
        self.assertFalse(self.env["res.company"].search([]).filtered("member_crm_enabled"))
        ours = self.env["ir.model.data"].search(
            [
                ("module", "in", ["member_crm", "member_crm_marketing", "member_crm_reports"]),
                ("model", "in", ["loyalty.program", "loyalty.card", "loyalty.rule", "product.pricelist"]),
            ]
        )
        self.assertFalse(ours, "no program, card, rule or pricelist may be created at install")

    def test_settings_turn_membership_on(self):
        settings = self.env["res.config.settings"].create({"member_crm_enabled": True})
        settings.execute()
        self.assertTrue(self.env.company.member_crm_enabled)

    def test_birthdate_is_personal_data(self):
        partner = self.env["res.partner"].create({"name": "李娜", "birthdate_date": "1990-05-17"})
        with self.assertRaises(AccessError):
            partner.with_user(self.role_users["member_plain"]).read(["birthdate_date"])
        value = partner.with_user(self.role_users["member_user"]).read(["birthdate_date"])[0]["birthdate_date"]
        self.assertEqual(str(value), "1990-05-17")

    def test_chinese_translation_loads(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["member_crm"], ["zh_CN"], overwrite=True)
        zh = self.env(context={"lang": "zh_CN"})
        self.assertEqual(zh.ref("member_crm.menu_member_crm_root").name, "会员")
        self.assertEqual(zh.ref("member_crm.group_member_crm_officer").name, "专员")
        self.assertEqual(zh["res.partner"]._fields["birthdate_date"].get_description(zh)["string"], "出生日期")

    def test_contact_form_loads_for_every_role(self):
        """Members fields carry groups: the contact form must still load for users without them."""
        partner = self.env["res.partner"].create({"name": "Form Check"})
        for login in ("member_plain", "member_user", "member_manager"):
            user = self.role_users[login]
            views = self.env["res.partner"].with_user(user).get_views([(False, "form"), (False, "list")])
            fields = views["models"]["res.partner"]["fields"]
            self.assertEqual("birthdate_date" in fields, login != "member_plain", login)
            self.assertTrue(partner.with_user(user).read(["name"]))
