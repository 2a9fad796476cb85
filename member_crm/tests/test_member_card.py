"""The member card (the contact's form) per role: what each one's view shows and what the server lets it read.

Roles as the README gives them (test_member_roles.README_ROLES): a cashier is Point of Sale / User only, a
salesperson Sales / User + Members / User, a service agent Member Service / Service Agent (which brings
Members / User).
"""

from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from .test_member_benefits import MemberBenefitsMixin
from .test_member_roles import readme_user

CARD_FIELDS = ("member_occupation", "member_interest_ids", "member_points", "member_points_move_ids")


@tagged("post_install", "-at_install")
class TestMemberCard(TransactionCase, MemberBenefitsMixin):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.group_ids |= cls.env.ref("member_crm.group_member_crm_manager")
        cls.company = cls.env.company
        cls.tiers = cls._member_enable(cls.company)
        cls.program = cls._member_points_program(cls.company)
        cls.env["member.benefit"].create(
            [
                {"name": "Free gift wrap", "benefit_type": "service", "tier_ids": [(4, cls.tiers["STD"].id)]},
                {"name": "Lounge access", "benefit_type": "service", "tier_ids": [(4, cls.tiers["GOLD"].id)]},
            ]
        )
        cls.hiking, cls.tea = cls.env["member.interest"].create([{"name": "Hiking"}, {"name": "Tea"}])
        cls.member = cls._member_partner("Zhao Lei", cls.company)
        cls.member.write(
            {
                "member_occupation": "Teacher",
                "member_interest_ids": [(6, 0, [cls.hiking.id, cls.tea.id])],
                "gender": "male",
            }
        )
        card = cls.env["loyalty.card"]._member_cards([(cls.member.id, cls.program.id)])[(cls.member.id, cls.program.id)]
        cls.env["member.points.lot"].sudo()._member_points_earn(
            [{"card": card, "points": 120.0, "kind": "adjust", "description": "Welcome"}]
        )
        cls.coupon = cls.env["loyalty.card"].create(
            {
                "program_id": cls._member_coupon_program(cls.company).id,
                "partner_id": cls.member.id,
                "points": 1,
                "member_bound": True,
            }
        )
        cls.users = {
            role: readme_user(cls.env, role, cls.company, login=f"card_{role}")
            for role in ("salesperson", "service", "cashier")
        }

    def _form_arch(self, role):
        views = self.env["res.partner"].with_user(self.users[role]).get_views([(False, "form")])
        return views["views"]["form"]["arch"]

    def test_the_card_gathers_the_member(self):
        partner = self.member.with_user(self.users["salesperson"])
        self.assertEqual(partner.member_occupation, "Teacher")
        self.assertEqual(partner.member_interest_ids.mapped("name"), ["Hiking", "Tea"])
        self.assertEqual(partner.member_tier_id, self.tiers["STD"])
        self.assertEqual(partner.member_next_tier_id, self.tiers["GOLD"])
        self.assertEqual(partner.member_next_tier_spend_missing, 2000.0)
        self.assertEqual(partner.member_points, 120.0)
        self.assertEqual(partner.member_points_lot_ids.mapped("remaining"), [120.0])
        self.assertEqual(partner.member_points_move_ids.mapped("points"), [120.0])
        # the current tier's benefits (the default ladder may bring its own service benefit too), not the next tier's
        self.assertIn("Free gift wrap", partner.member_benefit_ids.mapped("name"))
        self.assertNotIn("Lounge access", partner.member_benefit_ids.mapped("name"))
        self.assertEqual(partner.member_benefit_ids, self.tiers["STD"].benefit_ids.filtered("active"))
        self.assertEqual(partner.member_coupon_ids, self.coupon)

    def test_salesperson_view_and_data(self):
        arch = self._form_arch("salesperson")
        for expected in (
            'name="member_occupation"',
            'name="member_points_move_ids"',
            'name="member_coupon_ids"',
            'name="member_card_points"',
            "sale.act_res_partner_2_sale_order",  # Odoo's smart button to the sales orders
        ):
            self.assertIn(expected, arch)
        self.assertNotIn("action_view_pos_order", arch, "no POS right, no POS orders button")
        salesperson = self.users["salesperson"]
        # reads the moves, never writes them
        moves = self.env["member.points.move"].with_user(salesperson).search([("partner_id", "=", self.member.id)])
        self.assertEqual(moves.mapped("points"), [120.0])
        with self.assertRaises(AccessError):
            moves.check_access("write")
        with self.assertRaises(AccessError):
            moves.unlink()
        with self.assertRaises(AccessError):
            self.env["member.interest"].with_user(salesperson).create({"name": "Golf"})

    def test_service_agent_view_and_data(self):
        agent = self.users["service"]
        arch = self._form_arch("service")
        self.assertIn('name="member_points_move_ids"', arch)
        self.assertIn('name="member_occupation"', arch)
        # loyalty cards are not a service agent's (no Odoo right on them): no coupon list, and refused
        self.assertNotIn('name="member_coupon_ids"', arch)
        self.assertNotIn("member_coupon_ids", self.env["res.partner"].with_user(agent).fields_get())
        with self.assertRaises(AccessError), mute_logger("odoo.models", "odoo.addons.base.models.ir_model"):
            self.env["loyalty.card"].with_user(agent).search_read([("partner_id", "=", self.member.id)], ["code"])
        self.assertNotIn("sale.act_res_partner_2_sale_order", arch)
        self.assertEqual(self.member.with_user(agent).member_points, 120.0, "the balance, not the card")

    @mute_logger("odoo.models", "odoo.addons.base.models.ir_rule", "odoo.addons.base.models.ir_model")
    def test_cashier_sees_none_of_the_card(self):
        cashier = self.users["cashier"]
        arch = self._form_arch("cashier")
        self.assertIn("action_view_pos_order", arch, "Odoo's POS orders button")
        for name in ("member_card_points", "member_occupation", "member_interest_ids", "gender", "member_crm"):
            self.assertNotIn(f'name="{name}"', arch)
        fields = self.env["res.partner"].with_user(cashier).fields_get()
        for name in (*CARD_FIELDS, "member_points_lot_ids", "member_benefit_ids", "member_coupon_ids", "gender"):
            self.assertNotIn(name, fields)
        for name in CARD_FIELDS:
            with self.subTest(field=name), self.assertRaises(AccessError):
                self.member.with_user(cashier).read([name])
        # the points moves' details of members: not the cashier's (the till shows the balance only)
        with self.assertRaises(AccessError):
            self.env["member.points.move"].with_user(cashier).search_read([("partner_id", "=", self.member.id)])
        with self.assertRaises(AccessError):
            self.env["member.points.lot"].with_user(cashier).search_read([])
        with self.assertRaises(AccessError):
            self.env["member.interest"].with_user(cashier).search_read([])

    def test_export_and_erasure_hold_the_profile(self):
        data = self.member._member_personal_data()
        self.assertEqual(data["contact"]["member_occupation"], "Teacher")
        self.assertEqual(data["contact"]["member_interests"], ["Hiking", "Tea"])
        self.member._member_erase("request of the member")
        self.member.invalidate_recordset()
        self.assertFalse(self.member.member_occupation)
        self.assertFalse(self.member.member_interest_ids)
        self.assertTrue(self.hiking.exists(), "the interest itself stays for the other members")
