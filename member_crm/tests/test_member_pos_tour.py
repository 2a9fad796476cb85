import datetime

from odoo import Command, fields
from odoo.tests import tagged

from odoo.addons.point_of_sale.tests.test_frontend import TestPointOfSaleHttpCommon

from .test_member_benefits import MemberBenefitsMixin


@tagged("post_install", "-at_install")
class TestMemberPosTour(TestPointOfSaleHttpCommon, MemberBenefitsMixin):
    """The till in headless Chromium: find a member by number, see the panel, pay, read the receipt.

    Then sell to the same member again in the same session: the panel shows the balance the first
    order left (pos_loyalty's live card) and the tier it reached, not what the till loaded.
    """

    def test_member_at_the_till(self):
        self.env.user.group_ids |= self.env.ref("member_crm.group_member_crm_manager")
        company = self.main_pos_config.company_id
        tiers = self._member_enable(company, member_number_prefix="MT")
        # a reward out of reach: no reward popup in the tour
        program = self._member_points_program(company, required_points=10000)
        self.env["member.benefit"].create(
            {
                "name": "Bonus x1.5",
                "benefit_type": "points",
                "points_factor": 0.5,
                "tier_ids": [Command.set([tiers["STD"].id, tiers["GOLD"].id])],
            }
        )
        member = self._member_partner("Tour Member", company)
        membership = self._membership(member, company)
        self.assertTrue(membership.number.startswith("MT0000"))
        self._opening(member, company, fields.Date.today(), 1950.0, orders=2)
        card = self.env["loyalty.card"].create({"program_id": program.id, "partner_id": member.id, "points": 40})
        self.env["product.product"].create(
            [
                {
                    "name": "Tour Tea",
                    "list_price": 100.0,
                    "taxes_id": [Command.clear()],
                    "available_in_pos": True,
                },
                {
                    "name": "Gold Preview Bag",
                    "list_price": 900.0,
                    "taxes_id": [Command.clear()],
                    "available_in_pos": True,
                    "member_early_tier_id": tiers["GOLD"].id,
                    "member_early_until": fields.Date.today() + datetime.timedelta(days=7),
                },
            ]
        )
        self.main_pos_config.with_user(self.pos_user).open_ui()
        self.start_pos_tour("member_crm_pos_member_tour", login="pos_user")

        orders = self.env["pos.order"].search([("partner_id", "=", member.id)], order="id")
        self.assertEqual(orders.mapped("state"), ["paid", "paid"])
        self.assertEqual(orders.mapped("amount_total"), [100.0, 100.0])
        self.assertEqual(membership.tier_id, tiers["GOLD"], "2,050 in 3 orders: upgraded on the server at payment")
        bonus = card.member_lot_ids.filtered(lambda lot: lot.kind == "bonus").sorted("source_id")
        self.assertEqual(bonus.mapped("points"), [50.0, 50.0])
        self.assertEqual(bonus.mapped("source_id"), orders.ids)
        self.assertEqual(card.points, 340.0, "40 before + twice (100 base points from the till + 50 tier bonus)")
        self.assertFalse(
            self.env["pos.order"].search([("lines.product_id.name", "=", "Gold Preview Bag")]),
            "the early-access product was never sold",
        )
