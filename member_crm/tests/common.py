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


class MemberTierMixin:
    """Membership switched on in a company, with the default ladder."""

    @classmethod
    def _member_enable(cls, company, **settings):
        company.write({"member_crm_enabled": True, **settings})
        tiers = cls.env["member.tier"].search([("company_id", "=", company.id)])
        return {tier.code: tier for tier in tiers}

    @classmethod
    def _member_partner(cls, name, company):
        partner = cls.env["res.partner"].create(
            {"name": name, "email": f"{name.lower().replace(' ', '.')}@example.com"}
        )
        partner.with_company(company).action_member_enroll()
        return partner

    def _membership(self, partner, company):
        return self.env["member.membership"].search([("partner_id", "=", partner.id), ("company_id", "=", company.id)])

    def _ledger(self, partner, company):
        return self.env["member.ledger"].search([("partner_id", "=", partner.id), ("company_id", "=", company.id)])

    def _opening(self, partner, company, day, amount, orders=1, key=None):
        return self.env["member.ledger"]._member_record_opening(
            [
                {
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "date": day,
                    "amount": amount,
                    "order_count": orders,
                    "source_model": "res.partner" if key else None,
                    "source_id": key,
                }
            ]
        )
