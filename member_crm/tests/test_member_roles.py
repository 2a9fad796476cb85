"""Each role does its job with exactly the groups the README tells an administrator to give.

README, "Roles": a cashier gets *Point of Sale / User* and no member role; a
salesperson *Sales / User* and *Members / User*; an officer *Members / Officer*;
a manager *Members / Manager*; the marketing, service and finance roles their
own group. Nothing else is added here: a right a job needs and its role lacks
fails these tests.
"""

import base64
import csv
import datetime
import io
import json

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.point_of_sale.tests.common import TestPoSCommon

from .test_member_benefits import MemberBenefitsMixin

# the README's role table, word for word in groups
README_ROLES = {
    "cashier": "base.group_user,point_of_sale.group_pos_user",  # user type Internal User, then the role
    "salesperson": "sales_team.group_sale_salesman,member_crm.group_member_crm_user",
    "officer": "member_crm.group_member_crm_officer",
    "manager": "member_crm.group_member_crm_manager",
    "marketing": "member_crm.group_member_crm_marketing",
    "service": "member_crm.group_member_crm_service",
    "accountant": "member_crm.group_member_crm_accountant",
}


def readme_user(env, role, company, login=None):
    return new_test_user(
        env,
        login=login or f"readme_{role}",
        groups=README_ROLES[role],
        company_id=company.id,
        company_ids=[company.id],
    )


@tagged("post_install", "-at_install")
class TestCashierRole(TestPoSCommon, MemberBenefitsMixin):
    """Point of Sale / User alone: sells to a member and sees the member panel, never the birth date."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.config = cls.basic_config
        cls.env.user.group_ids |= cls.env.ref("member_crm.group_member_crm_manager")  # the set-up, not the cashier
        cls.tiers = cls._member_enable(cls.company)
        cls.program = cls._member_points_program(cls.company)
        cls.tea = cls.create_product("Role Tea", cls.categ_basic, 700.0)
        cls.member = cls._member_partner("Zhou Min", cls.company)
        cls.member.write({"birthdate_date": "1988-03-09"})
        cls.cashier = readme_user(cls.env, "cashier", cls.company)
        cls.plain = new_test_user(cls.env, login="readme_plain", groups="base.group_user", company_id=cls.company.id)

    def test_cashier_sells_to_a_member_and_sees_the_panel(self):
        session = self.open_new_session()
        till = session.with_user(self.cashier)
        # the till's partner search by member number, as the cashier
        number = self._membership(self.member, self.company).number
        found = (
            self.env["res.partner"]
            .with_user(self.cashier)
            .get_new_partner(self.config.id, [("name", "ilike", number)], 0)["res.partner"]
        )
        row = next(p for p in found if p["id"] == self.member.id)
        panel = row["pos_member_data"]
        self.assertEqual(panel["number"], number)
        self.assertEqual(panel["tier"], self.tiers["STD"].name)
        self.assertEqual(panel["birthday"], "March 9")
        self.assertNotIn("1988", json.dumps(panel))
        self.assertNotIn("birthdate_date", row)
        # the till's load: the partners' model loads for the cashier (an AccessError would empty it silently)
        loaded = till.load_data(["res.partner", "pos.order"])
        self.assertTrue(loaded["res.partner"], "the till loads partners for a cashier")
        # selling: the order syncs as the cashier and moves the member (three orders of 700: Gold)
        for _i in range(3):
            data = self.create_ui_order_data([(self.tea, 1)], customer=self.member)
            self.env["pos.order"].with_user(self.cashier).sync_from_ui([data])
        self.assertEqual(self._membership(self.member, self.company).tier_id, self.tiers["GOLD"])
        self.member.invalidate_recordset()
        self.assertEqual(self.member.with_user(self.cashier).pos_member_data["tier"], self.tiers["GOLD"].name)

    @mute_logger("odoo.models", "odoo.addons.base.models.ir_rule", "odoo.addons.base.models.ir_model")
    def test_cashier_reads_no_member_records_and_others_no_till_data(self):
        cashier = self.member.with_user(self.cashier)
        for field in ("birthdate_date", "member_number", "member_membership_ids"):
            with self.subTest(field=field), self.assertRaises(AccessError):
                cashier.read([field])
        with self.assertRaises(AccessError):
            self.env["member.membership"].with_user(self.cashier).search_read([], ["number"])
        # an internal user who is neither a cashier nor a member user reads neither the till's summary
        # nor the birthday
        for field in ("pos_member_data", "member_birthday"):
            with self.subTest(field=field), self.assertRaises(AccessError):
                self.member.with_user(self.plain).read([field])


@tagged("post_install", "-at_install")
class TestRolesAlone(MemberBenefitsMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.tiers = cls._member_enable(cls.company, member_keep_months=12, member_window_months=12)
        cls.program = cls._member_points_program(cls.company)
        cls.users = {role: readme_user(cls.env, role, cls.company) for role in README_ROLES}
        cls.member = cls._member_partner("Qian Lei", cls.company)
        cls.member.write({"phone": "+86 139 0013 9111", "birthdate_date": "1979-11-02"})
        cls._opening(cls, cls.member, cls.company, datetime.date.today(), 600.0)

    def test_salesperson_looks_members_up(self):
        Partner = self.env["res.partner"].with_user(self.users["salesperson"])
        number = self._membership(self.member, self.company).number
        found = Partner.search([("member_number", "=", number)])
        self.assertEqual(found, self.member)
        row = found.read(["member_tier_id", "member_since", "birthdate_date", "is_member"])[0]
        self.assertEqual(row["member_tier_id"][0], self.tiers["STD"].id)
        self.assertTrue(row["is_member"])
        self.assertEqual(Partner.search([("member_tier_id", "=", self.tiers["STD"].id)]) & self.member, self.member)

    def test_officer_enrols_a_new_customer_and_records_consent(self):
        officer = self.users["officer"]
        partner = self.env["res.partner"].with_user(officer).create({"name": "Sun Yue", "email": "sun.yue@example.com"})
        partner.action_member_enroll()
        self.assertTrue(partner.is_member)
        wizard = (
            self.env["member.consent.record"]
            .with_user(officer)
            .create({"partner_ids": partner.ids, "channel_email": True, "text": "Yes, email me"})
        )
        wizard.action_record()
        self.assertTrue(partner.with_user(officer).member_consent_email)

    def _legacy_file(self):
        out = io.StringIO(newline="")
        writer = csv.writer(out)
        writer.writerow(["会员卡号", "姓名", "手机号", "等级", "积分", "累计消费", "消费次数"])
        writer.writerow(["L000901", "钱多多", "13800138901", "金卡", "300", "2,500.00", "4"])
        return out.getvalue().encode()

    def test_manager_imports_exports_erases_and_changes_a_tier(self):
        manager = self.users["manager"]
        # import a legacy file with levels and points
        wizard = (
            self.env["member.import"]
            .with_user(manager)
            .create(
                {
                    "file": base64.b64encode(self._legacy_file()),
                    "filename": "legacy.csv",
                    "spend_as_of": datetime.date.today(),
                }
            )
        )
        wizard.action_analyse()
        for line in wizard.level_ids:
            line.tier_id = self.tiers["GOLD"]
        wizard.action_apply()
        imported = self.env["res.partner"].search([("phone", "like", "13800138901")])
        self.assertEqual(len(imported), 1)
        self.assertEqual(self._membership(imported, self.company).tier_id, self.tiers["GOLD"])
        card = self.env["loyalty.card"].search([("partner_id", "=", imported.id), ("program_id", "=", self.program.id)])
        self.assertEqual(card.with_user(manager).points, 300.0)
        # correct a balance by hand (audited)
        self.env["loyalty.card.update.balance"].with_user(manager).create(
            {"card_id": card.id, "new_balance": 320, "description": "Opening points missed by the old system"}
        ).action_update_card_point()
        self.assertEqual(card.points, 320.0)
        # export the member's data
        action = imported.with_user(manager).action_member_export_data()
        if action.get("type") == "ir.actions.act_url":
            self.authenticate(manager.login, manager.login)
            response = self.url_open(action["url"])
            self.assertEqual(response.status_code, 200)
            data = response.json()
        else:  # pragma: no cover - a file action
            data = action
        self.assertEqual(data["contact"]["name"], "钱多多")
        self.assertEqual(data["loyalty_cards"][0]["points"], 320.0)
        # change a tier by hand
        membership = self._membership(self.member, self.company)
        self.env["member.tier.change"].with_user(manager).create(
            {"membership_ids": membership.ids, "tier_id": self.tiers["PLAT"].id, "reason": "complaint settled"}
        ).action_apply()
        self.assertEqual(membership.tier_id, self.tiers["PLAT"])
        # erase
        self.env["member.erase"].with_user(manager).create(
            {"partner_ids": imported.ids, "reason": "asked by the member"}
        ).action_erase()
        self.assertNotEqual(imported.name, "钱多多")

    def test_finance_reads_what_it_needs(self):
        accountant = self.users["accountant"]
        card = self.env["loyalty.card"].create(
            {"partner_id": self.member.id, "program_id": self.program.id, "points": 80}
        )
        self.assertEqual(card.with_user(accountant).read(["points", "program_id", "partner_id"])[0]["points"], 80.0)
        self.assertTrue(self.env["loyalty.program"].with_user(accountant).search([("id", "=", self.program.id)]))
        self.assertTrue(self.env["member.points.lot"].with_user(accountant).search([("card_id", "=", card.id)]))
        ledger = self.env["member.ledger"].with_user(accountant).search([("partner_id", "=", self.member.id)])
        self.assertEqual(ledger.amount, 600.0)
        self.assertTrue(
            self.env["member.tier.history"].with_user(accountant).search([("partner_id", "=", self.member.id)])
        )
        self.env["member.audit.log"].with_user(accountant).search([], limit=1)
        with self.assertRaises(AccessError), mute_logger("odoo.models", "odoo.addons.base.models.ir_model"):
            card.with_user(accountant).write({"points": 1000})

    def test_marketing_and_service_roles(self):
        marketer = self.users["marketing"]
        if self.env["ir.module.module"]._get("member_crm_marketing").state == "installed":  # campaigns: mailings
            self.assertTrue(marketer.has_group("mass_mailing.group_mass_mailing_user"))
        self.assertEqual(
            self.env["member.ledger"].with_user(marketer).search([("partner_id", "=", self.member.id)]).amount, 600.0
        )
        service = self.users["service"]
        self.assertEqual(
            self.env["res.partner"].with_user(service).browse(self.member.id).member_tier_id, self.tiers["STD"]
        )
