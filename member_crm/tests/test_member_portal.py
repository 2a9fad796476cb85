from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged

from .test_member_benefits import MemberBenefitsMixin


@tagged("post_install", "-at_install")
class TestMemberPortal(HttpCase, MemberBenefitsMixin):
    """ "My membership" in the customer portal: tier, progress, points, coupons, benefits; own data only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.group_ids |= cls.env.ref("member_crm.group_member_crm_manager")
        cls.company = cls.env.company
        cls.tiers = cls._member_enable(cls.company)
        cls.program = cls._member_points_program(cls.company)
        gifts = cls._member_coupon_program(cls.company, "Gold welcome gift")
        cls.env["member.benefit"].create(
            [
                {
                    "name": "Welcome coupon",
                    "benefit_type": "welcome_gift",
                    "gift_program_id": gifts.id,
                    "tier_ids": [Command.link(cls.tiers["GOLD"].id)],
                },
                {
                    "name": "Priority line",
                    "benefit_type": "service",
                    "description": "Served first.",
                    "tier_ids": [Command.link(cls.tiers["GOLD"].id)],
                },
            ]
        )
        cls.member = cls._member_partner("Portal Member", cls.company)
        cls.other = cls._member_partner("Other Member", cls.company)
        membership = cls.env["member.membership"].search([("partner_id", "=", cls.member.id)])
        membership._member_apply_changes([(membership.id, membership.tier_id.id, cls.tiers["GOLD"].id)], "manual")
        cls.env["loyalty.card"].create({"program_id": cls.program.id, "partner_id": cls.member.id, "points": 321})
        cls.env["loyalty.card"].create({"program_id": cls.program.id, "partner_id": cls.other.id, "points": 7777.77})
        cls.portal_user = new_test_user(
            cls.env, login="member_portal", groups="base.group_portal", partner_id=cls.member.id
        )
        cls.outsider = new_test_user(cls.env, login="member_outsider", groups="base.group_portal")

    def test_my_membership_shows_own_data_only(self):
        self.authenticate("member_portal", "member_portal")
        page = self.url_open("/my/membership").text
        membership = self._membership(self.member, self.company)
        coupon = self.env["loyalty.card"].search(
            [("partner_id", "=", self.member.id), ("member_benefit_id", "!=", False)]
        )
        for expected in (membership.number, "Gold", "321", "Priority line", "Served first.", coupon.code, "Platinum"):
            self.assertIn(expected, page)
        other_number = self._membership(self.other, self.company).number
        self.assertNotIn(other_number, page)
        self.assertNotIn("7777.77", page)

    def test_portal_user_without_membership(self):
        self.authenticate("member_outsider", "member_outsider")
        response = self.url_open("/my/membership")
        self.assertEqual(response.status_code, 200)
        self.assertIn("You are not a member yet.", response.text)
