"""The member panel at a till with pos_hr: the person selling logs in as an employee (PIN), not as an Odoo user.

pos_hr is not a dependency of our addons (it comes with hr): this test runs on a database where it is installed
and is skipped elsewhere, saying so. setup/test's shop database gets it by installing hr with the shop's apps.
"""

import unittest

from odoo import Command
from odoo.modules.registry import Registry
from odoo.tests import get_db_name, tagged

from odoo.addons.point_of_sale.tests.test_frontend import TestPointOfSaleHttpCommon

from .test_member_benefits import MemberBenefitsMixin


@tagged("post_install", "-at_install")
class TestMemberPosHrTour(TestPointOfSaleHttpCommon, MemberBenefitsMixin):
    @classmethod
    def setUpClass(cls):
        if "pos_hr" not in Registry(get_db_name())._init_modules:
            raise unittest.SkipTest("pos_hr is not installed (install hr beside point_of_sale to run this test)")
        super().setUpClass()

    def _employee_of(self, user, company):
        """The user's employee in the company (hr may have made one with the user), else a new one."""
        # sudo: employees are HR's records; the set-up, not what the test checks
        employee = user.sudo().employee_ids.filtered(lambda e: e.company_id == company)[:1]
        return employee or self.env["hr.employee"].sudo().create(
            {"name": user.name, "user_id": user.id, "company_id": company.id}
        )

    def test_member_panel_with_employee_cashier(self):
        """The register is opened by a POS manager; the browser is signed in as a POS user who is one of the
        register's basic employees (not the session's opener: the server's open-register check must find them
        through pos_hr's employee lists); the person selling is an employee without a user, by PIN."""
        self.env.user.group_ids |= self.env.ref("member_crm.group_member_crm_manager")
        company = self.main_pos_config.company_id
        tiers = self._member_enable(
            company, member_number_prefix="HR", member_consent_text="I agree to hear from the shop by email."
        )
        member = self._member_partner("HR Member", company)
        walk_in = self.env["res.partner"].create({"name": "HR Walk In", "email": "hr.walk.in@example.com"})
        self.env["product.product"].create(
            {"name": "HR Tea", "list_price": 100.0, "taxes_id": [Command.clear()], "available_in_pos": True}
        )
        till_user_employee = self._employee_of(self.pos_user, company)
        manager = self._employee_of(self.pos_admin, company)
        cashier = (
            self.env["hr.employee"].sudo().create({"name": "Till Employee", "pin": "4321", "company_id": company.id})
        )
        self.main_pos_config.write(
            {
                "module_pos_hr": True,
                "basic_employee_ids": [Command.set((till_user_employee | cashier).ids)],
                "advanced_employee_ids": [Command.set(manager.ids)],
            }
        )
        self.main_pos_config.with_user(self.pos_admin).open_ui()
        self.assertNotEqual(self.main_pos_config.current_session_id.user_id, self.pos_user)

        self.start_pos_tour("member_crm_pos_hr_tour", login="pos_user")

        order = self.env["pos.order"].search([("partner_id", "=", member.id)])
        self.assertEqual((order.state, order.amount_total, order.employee_id), ("paid", 100.0, cashier))
        membership = self.env["member.membership"].search([("partner_id", "=", walk_in.id)])
        self.assertEqual((membership.state, membership.tier_id), ("active", tiers["STD"]))
        consent = self.env["member.consent"].search([("partner_id", "=", walk_in.id)])
        self.assertEqual(consent.mapped("channel"), ["email"])
        # the consent names the till's user: the employee who sold has no user
        self.assertEqual(consent.user_id, self.pos_user)
