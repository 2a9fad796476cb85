from odoo.tests import new_test_user

from odoo.addons.base.tests.common import BaseCommon

# One login per role of the product, reused by every addon's tests.
ROLE_GROUPS = {
    "member_plain": "base.group_user",
    "member_user": "member_crm.group_member_crm_user",
    "member_officer": "member_crm.group_member_crm_officer",
    "member_manager": "member_crm.group_member_crm_manager,base.group_system",
    "member_marketing": "member_crm.group_member_crm_marketing",
    "member_service": "member_crm.group_member_crm_service",
    "member_accountant": "member_crm.group_member_crm_accountant",
}


class MemberCrmCommon(BaseCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.role_users = {
            login: new_test_user(cls.env, login=login, groups=groups) for login, groups in ROLE_GROUPS.items()
        }

    def visible_menu_xmlids(self, user):
        menus = self.env["ir.ui.menu"].with_user(user).load_menus(debug=False)
        return {menu["xmlid"] for menu in menus.values() if isinstance(menu, dict) and menu.get("xmlid")}
