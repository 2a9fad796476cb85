import datetime

from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged

from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.addons.point_of_sale.tests.common import TestPoSCommon

from .common import MemberTierMixin


class MemberBenefitsMixin(MemberTierMixin):
    @classmethod
    def _member_pos_points_setup(cls):
        """For TestPoSCommon classes: membership on, the member points program, a Gold bonus of 0.5 point per
        unit of currency (``cls.bonus``) and a product of 700 (``cls.tea``)."""
        cls.config = cls.basic_config
        cls.env.user.group_ids |= cls.env.ref("member_crm.group_member_crm_manager")
        cls.tiers = cls._member_enable(cls.company)
        cls.program = cls._member_points_program(cls.company)
        cls.bonus = cls.env["member.benefit"].create(
            {
                "name": "Gold points x1.5",
                "benefit_type": "points",
                "points_factor": 0.5,
                "tier_ids": [Command.link(cls.tiers["GOLD"].id)],
            }
        )
        cls.tea = cls.create_product("Member Tea", cls.categ_basic, 700.0)

    @classmethod
    def _member_points_program(cls, company, required_points=100):
        program = cls.env["loyalty.program"].create(
            {
                "name": "Member points",
                "program_type": "loyalty",
                "applies_on": "both",
                "trigger": "auto",
                "company_id": company.id,
                "rule_ids": [Command.create({"reward_point_mode": "money", "reward_point_amount": 1})],
                "reward_ids": [
                    Command.create({"reward_type": "discount", "discount": 1, "required_points": required_points})
                ],
            }
        )
        company.member_loyalty_program_id = program
        return program

    @classmethod
    def _member_coupon_program(cls, company, name="Member gift"):
        return cls.env["loyalty.program"].create(
            {
                "name": name,
                "program_type": "coupons",
                "company_id": company.id,
                "reward_ids": [Command.create({"reward_type": "discount", "discount": 10, "required_points": 1})],
            }
        )

    def _move_to(self, partner, company, tier):
        membership = self._membership(partner, company)
        membership._member_apply_changes([(membership.id, membership.tier_id.id, tier.id)], trigger="manual")
        return membership

    def _card(self, partner, program):
        return self.env["loyalty.card"].search([("partner_id", "=", partner.id), ("program_id", "=", program.id)])

    def _odoo_balance(self, card, delta, description="Till"):
        """A balance change made by Odoo itself (its update-balance wizard writes the history line)."""
        self.env["loyalty.card.update.balance"].create(
            {"card_id": card.id, "new_balance": card.points + delta, "description": description}
        ).action_update_card_point()

    def assertLotsAgree(self, card):
        """The invariant: the balance is what the released lots hold, and what the history says."""
        card.invalidate_recordset()
        lots = card.member_lot_ids.filtered("released")
        self.assertAlmostEqual(card.points, sum(lots.mapped("remaining")), 2, "balance == released lots")
        history = card.history_ids
        self.assertAlmostEqual(
            card.points, sum(history.mapped("issued")) - sum(history.mapped("used")), 2, "balance == history"
        )


@tagged("post_install", "-at_install")
class TestMemberPointsPos(TestPoSCommon, MemberBenefitsMixin):
    """Tier bonus at the till, through sync_from_ui and pos_loyalty's own confirmation call."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._member_pos_points_setup()
        cls.member = cls._member_partner("Li Na", cls.company)
        cls.guest = cls.env["res.partner"].create({"name": "Not a member"})

    def _sync(self, lines, customer, **order_args):
        data = self.create_ui_order_data(lines, customer=customer, pos_order_ui_args=order_args)
        result = self.env["pos.order"].sync_from_ui([data])
        return self.env["pos.order"].browse(result["pos.order"][0]["id"]), data

    def _confirm_base_points(self, order, points, partner):
        """What the POS sends after the order is synced: pos_loyalty's confirm_coupon_programs."""
        return order.confirm_coupon_programs(
            {-1: {"points": points, "program_id": self.program.id, "coupon_id": -1, "partner_id": partner.id}}
        )

    def test_bonus_on_payment_keeps_base_points(self):
        self._move_to(self.member, self.company, self.tiers["GOLD"])
        self.open_new_session()
        order, data = self._sync([(self.tea, 1)], self.member)
        card = self._card(self.member, self.program)
        self.assertEqual(card.points, 350.0, "0.5 x 700 untaxed, granted by the server at payment")
        bonus = card.member_lot_ids
        self.assertEqual((bonus.kind, bonus.source_id, bonus.tier_id), ("bonus", order.id, self.tiers["GOLD"]))
        self.assertEqual(card.history_ids.order_model, "member.points.lot", "never under the pos.order itself")
        # the till confirms its base points afterwards: pos_loyalty must not drop them
        self._confirm_base_points(order, 700.0, self.member)
        self.assertEqual(card.points, 1050.0, "base points survive beside the bonus")
        self.assertLotsAgree(card)
        # replays grant nothing twice
        self.env["pos.order"].sync_from_ui([data])
        order._member_crm_on_paid()
        self.assertEqual(card.points, 1050.0)
        self.assertEqual(len(card.member_lot_ids.filtered(lambda lot: lot.kind == "bonus")), 1)

    def test_partial_refunds_reverse_exactly(self):
        self._move_to(self.member, self.company, self.tiers["GOLD"])
        self.open_new_session()
        order, _data = self._sync([(self.tea, 3)], self.member)
        card = self._card(self.member, self.program)
        self.assertEqual(card.points, 1050.0)
        refund_line = {"product": self.tea, "quantity": -1, "refunded_orderline_id": order.lines.id}
        _refund, refund_data = self._sync([refund_line], self.member, is_refund=True)
        self.assertEqual(card.points, 700.0, "a third of the order refunded: a third of the bonus back")
        self.env["pos.order"].sync_from_ui([refund_data])  # the till sends the refund again
        self.assertEqual(card.points, 700.0)
        self._sync([dict(refund_line, quantity=-2)], self.member, is_refund=True)
        self.assertEqual(card.points, 0.0, "the whole order refunded: the whole bonus back")
        bonus = card.member_lot_ids.filtered(lambda lot: lot.kind == "bonus")
        self.assertEqual((bonus.reversed_points, bonus.refunded_amount), (1050.0, 2100.0))
        self.assertLotsAgree(card)

    def test_refund_after_spending_leaves_a_debt_paid_by_later_points(self):
        self._move_to(self.member, self.company, self.tiers["GOLD"])
        self.open_new_session()
        order, _data = self._sync([(self.tea, 1)], self.member)
        card = self._card(self.member, self.program)
        self._odoo_balance(card, -300.0)  # spent
        self._sync(
            [{"product": self.tea, "quantity": -1, "refunded_orderline_id": order.lines.id}],
            self.member,
            is_refund=True,
        )
        self.assertEqual(card.points, -300.0, "exactly the bonus taken back, though 300 were spent")
        debt = card.member_lot_ids.filtered(lambda lot: lot.kind == "debt")
        self.assertEqual(debt.remaining, -300.0)
        self._odoo_balance(card, 500.0)  # earned later
        self.assertEqual(debt.remaining, 0.0, "new points pay the debt first")
        self.assertEqual(card.points, 200.0)
        self.assertLotsAgree(card)

    def test_pending_bonus_release_and_fifo_expiry(self):
        self.company.write({"member_points_pending_days": 14, "member_points_expiry_months": 12})
        self._move_to(self.member, self.company, self.tiers["GOLD"])
        self.open_new_session()
        today = fields.Date.context_today(self.env.user)
        order, _data = self._sync([(self.tea, 2)], self.member)
        card = self._card(self.member, self.program)
        self.assertEqual((card.points, card.member_points_pending), (0.0, 700.0), "pending: not spendable yet")
        self._sync(
            [{"product": self.tea, "quantity": -1, "refunded_orderline_id": order.lines.id}],
            self.member,
            is_refund=True,
        )
        self.assertEqual((card.points, card.member_points_pending), (0.0, 350.0), "a refund shrinks the pending lot")
        Lot = self.env["member.points.lot"].sudo()  # as the cron (root)
        Lot._member_release(today + datetime.timedelta(days=13))
        self.assertEqual(card.points, 0.0, "not before the return window closes")
        Lot._member_release(today + datetime.timedelta(days=14))
        card.invalidate_recordset()
        self.assertEqual((card.points, card.member_points_pending), (350.0, 0.0))
        with freeze_time(today + datetime.timedelta(days=20)):
            self._odoo_balance(card, 100.0)  # base points earned later expire later
            self._odoo_balance(card, -50.0)  # spent: from the lot that expires first (the bonus)
        bonus = card.member_lot_ids.filtered(lambda lot: lot.kind == "bonus")
        self.assertEqual(bonus.remaining, 300.0)
        self.assertEqual(bonus.expires_on, fields.Date.add(today, days=14, months=12), "expiry runs from release")
        Lot._member_expire(bonus.expires_on)
        card.invalidate_recordset()
        self.assertEqual(card.points, 100.0, "the bonus lot expired, the later lot did not")
        self.assertEqual(card.history_ids[0].used, 300.0)
        self.assertLotsAgree(card)

    def test_till_sees_member_summary_and_finds_members_by_number(self):
        self.env["member.benefit"].create(
            {"name": "Gold lounge", "benefit_type": "custom", "tier_ids": [Command.link(self.tiers["GOLD"].id)]}
        )
        self._move_to(self.member, self.company, self.tiers["GOLD"])
        self.member.birthdate_date = fields.Date.today().replace(year=1990, day=1)
        self.open_new_session()
        self._sync([(self.tea, 1)], self.member)
        cashier = new_test_user(
            self.env,
            login="member_cashier",
            groups="base.group_user,point_of_sale.group_pos_user",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        Partner = self.env["res.partner"].with_user(cashier)
        [row] = Partner._load_pos_data_read(self.member.with_user(cashier), self.config)
        data = row["pos_member_data"]
        self.assertEqual((data["tier"], data["points"], data["bonus_factor"]), ("Gold", 350.0, 0.5))
        self.assertEqual(data["next_tier"], "Platinum")
        self.assertTrue(data["birthday_this_month"])
        # the default ladder's service benefit shows too
        self.assertEqual(
            {b["name"] for b in data["benefits"]}, {"Gold points x1.5", "Gold lounge", "Gold priority service"}
        )
        self.assertNotIn("birthdate_date", row, "a cashier gets the flag, not the birth date")
        [guest] = Partner._load_pos_data_read(self.guest.with_user(cashier), self.config)
        self.assertFalse(guest["pos_member_data"])
        # search by member number through the server search the till already calls
        number = self._membership(self.member, self.company).number
        result = Partner.get_new_partner(self.config.id, [("name", "ilike", number.lower() + "%")], 0)
        self.assertIn(self.member.id, [p["id"] for p in result["res.partner"]])
        # loading more members costs no more queries: nothing per partner
        many = self.env["res.partner"].create([{"name": f"Member {i}"} for i in range(12)])
        many.with_company(self.company).action_member_enroll()

        def count(partners):
            self.env.invalidate_all()
            start = self.env.cr.sql_log_count
            Partner._load_pos_data_read(partners.with_user(cashier), self.config)
            return self.env.cr.sql_log_count - start

        self.assertEqual(count(many[:2]), count(many))

    def test_tier_pricelist_reaches_the_till(self):
        self.env.ref("base.group_user").sudo().implied_ids |= self.env.ref("product.group_product_pricelist")
        self.config.sudo().write(
            {"use_pricelist": True, "available_pricelist_ids": [Command.link(self.config.pricelist_id.id)]}
        )
        gold_prices = self.env["product.pricelist"].create(
            {
                "name": "Gold prices",
                "company_id": self.company.id,
                "currency_id": self.config.currency_id.id,
                "item_ids": [Command.create({"compute_price": "percentage", "percent_price": 10.0})],
            }
        )
        self.env["member.benefit"].create(
            {
                "name": "Gold prices",
                "benefit_type": "discount",
                "pricelist_id": gold_prices.id,
                "tier_ids": [Command.link(self.tiers["GOLD"].id)],
            }
        )
        self.assertIn(gold_prices, self.config.available_pricelist_ids, "offered at the till when saved")
        self._move_to(self.member, self.company, self.tiers["GOLD"])
        self.open_new_session()
        [row] = self.env["res.partner"]._load_pos_data_read(self.member.with_company(self.company), self.config)
        self.assertEqual(row["property_product_pricelist"], gold_prices.id, "the till picks it with the customer")
        # what the till then sends: the order priced with the member's pricelist
        self.pricelist = gold_prices
        order, _data = self._sync([(self.tea, 1)], self.member, pricelist_id=gold_prices.id)
        self.assertEqual((order.pricelist_id, order.amount_total), (gold_prices, 630.0))
        self.assertEqual(self._card(self.member, self.program).points, 315.0, "bonus on the discounted amount")

    def _count_sync_queries(self, customer):
        data = self.create_ui_order_data([(self.tea, 1)], customer=customer)
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        self.env["pos.order"].sync_from_ui([data])
        self.env.flush_all()
        return self.env.cr.sql_log_count - before

    def test_query_budget_with_points_program(self):
        """A synced order of a Gold member (tier bonus on the member points program): at most 10 more queries."""
        self._move_to(self.member, self.company, self.tiers["GOLD"])
        self.open_new_session()
        for _warm in range(3):  # caches, the member's card (created with the first bonus)
            self._count_sync_queries(self.member)
        with_member = self._count_sync_queries(self.member)
        card = self._card(self.member, self.program)
        self.assertEqual(card.points, 4 * 350.0, "each order granted its bonus")
        self.assertEqual(len(card.member_move_ids.filtered(lambda m: m.kind == "bonus")), 4)
        self.company.member_crm_enabled = False
        self._count_sync_queries(self.member)
        without = self._count_sync_queries(self.member)
        # The budget is +10 over Odoo alone, measured against a company with membership off (the bonus is
        # gated on membership, so it pays none of it): the ledger line, the instant check, the bonus's order
        # figures and grant, the card lock, and the lot, history line, move and balance the writer adds.
        self.assertLessEqual(with_member - without, 10, f"{with_member} queries with the addon, {without} without")

    def test_bound_coupon_refused_to_another_customer_at_the_till(self):
        """pos_loyalty's code entry, gift-card branch included: a bound coupon serves its holder's entity only."""
        # pos_loyalty looks the code's program up live; opening a session first spares the gift-card program the
        # checks a till makes of the programs it prints (template, report)
        self.open_new_session()
        gift_card = self.env["loyalty.program"].create(
            {
                "name": "Gift cards",
                "program_type": "gift_card",
                "company_id": self.company.id,
                "rule_ids": [Command.create({"reward_point_mode": "money", "reward_point_amount": 1})],
                "reward_ids": [
                    Command.create(
                        {"reward_type": "discount", "discount_mode": "per_point", "discount": 1, "required_points": 1}
                    )
                ],
            }
        )
        coupons = self._member_coupon_program(self.company)
        Card = self.env["loyalty.card"]
        bound_coupon, bound_gift, plain_gift = Card.create(
            [
                {"program_id": coupons.id, "partner_id": self.member.id, "points": 1, "member_bound": True},
                {"program_id": gift_card.id, "partner_id": self.member.id, "points": 5, "member_bound": True},
                {"program_id": gift_card.id, "partner_id": self.member.id, "points": 5},
            ]
        )
        pricelist = self.config.pricelist_id.id
        now = fields.Datetime.to_string(fields.Datetime.now())

        def use(card, partner):
            return self.config.use_coupon_code(card.code, now, partner.id, pricelist)

        self.assertTrue(use(bound_coupon, self.member)["successful"])
        self.assertTrue(use(bound_gift, self.member)["successful"])
        self.assertFalse(use(bound_coupon, self.guest)["successful"], "pos_loyalty: another partner's coupon")
        refused = use(bound_gift, self.guest)
        self.assertFalse(refused["successful"], "bound: refused even on the gift-card branch")
        self.assertIn("another customer", refused["payload"]["error_message"])
        self.assertTrue(use(plain_gift, self.guest)["successful"], "not bound: Odoo's behaviour")
        # the till keeps a typed-in reward when the customer is changed: the server refuses to pay such an order
        data = self.create_ui_order_data([(self.tea, 1)], customer=self.guest)
        data["lines"][0][2]["coupon_id"] = bound_coupon.id
        with self.assertRaises(UserError) as refusal:  # Odoo's assertRaises rolls the savepoint back
            self.env["pos.order"].sync_from_ui([data])
        self.assertIn("of another customer", str(refusal.exception))
        self.assertFalse(self.env["pos.order"].search([("uuid", "=", data["uuid"])]), "nothing kept")
        data = self.create_ui_order_data([(self.tea, 1)], customer=self.member)
        data["lines"][0][2]["coupon_id"] = bound_coupon.id
        self.env["pos.order"].sync_from_ui([data])
        self.assertEqual(self.env["pos.order"].search([("uuid", "=", data["uuid"])]).state, "paid", "its member")

    def test_non_members_keep_odoo_behaviour(self):
        self.open_new_session()
        order, _data = self._sync([(self.tea, 1)], self.guest)
        self._confirm_base_points(order, 700.0, self.guest)
        card = self._card(self.guest, self.program)
        self.assertEqual(card.points, 700.0)
        self.assertFalse(card.member_lot_ids, "no lots, no bonus, no expiry for a non-member's card")


@tagged("post_install", "-at_install")
class TestMemberBenefitsSales(AccountTestInvoicingCommon, MemberBenefitsMixin):
    """Benefits in sales: pricelist, bonus on paid invoices, gifts bound to their member, early access."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.group_ids |= cls.env.ref("member_crm.group_member_crm_manager") | cls.env.ref(
            "sales_team.group_sale_manager"
        )
        cls.company = cls.company_data["company"]
        cls.tiers = cls._member_enable(cls.company)
        cls.program = cls._member_points_program(cls.company)
        cls.gift_program = cls._member_coupon_program(cls.company)
        cls.product = cls.env["product.product"].create(
            {
                "name": "Cashmere",
                "type": "consu",
                "list_price": 1000.0,
                "taxes_id": [(5, 0, 0)],
                "invoice_policy": "order",
            }
        )
        cls.member = cls._member_partner("Zhang Min", cls.company)
        cls.other = cls.env["res.partner"].create({"name": "Somebody Else"})
        cls.today = fields.Date.today()

    def _sale(self, qty, partner=None, confirm=True):
        order = self.env["sale.order"].create(
            {
                "partner_id": (partner or self.member).id,
                "order_line": [Command.create({"product_id": self.product.id, "product_uom_qty": qty})],
            }
        )
        if confirm:
            order.action_confirm()
        return order

    def _pay(self, move):
        self.env["account.payment.register"].with_context(active_model="account.move", active_ids=move.ids).create(
            {}
        )._create_payments()
        return move

    def _invoice_and_pay(self, order):
        invoice = order._create_invoices()
        invoice.action_post()
        return self._pay(invoice)

    def test_pricelist_follows_tier_and_hand_set_is_kept(self):
        # precondition: Pricelists off (a shop with website_sale has them on)
        pricelists = self.env.ref("product.group_product_pricelist").sudo()
        self.env.ref("base.group_user").sudo().implied_ids -= pricelists
        pricelists.user_ids = [Command.clear()]
        self.assertFalse(self.env["res.groups"]._is_feature_enabled("product.group_product_pricelist"))
        benefit = self.env["member.benefit"]
        with self.assertRaisesRegex(ValidationError, "Pricelists"):
            benefit.create(
                {
                    "name": "Too early",
                    "benefit_type": "discount",
                    "pricelist_id": self.env["product.pricelist"].search([], limit=1).id,
                }
            )
        self.env.ref("base.group_user").sudo().implied_ids |= self.env.ref("product.group_product_pricelist")
        gold_prices = self.env["product.pricelist"].create({"name": "Gold prices", "company_id": self.company.id})
        other_prices = self.env["product.pricelist"].create({"name": "Negotiated", "company_id": self.company.id})
        pos_config = (
            self.env["pos.config"].sudo().create({"name": "Shop", "company_id": self.company.id, "use_pricelist": True})
        )
        self.env["member.benefit"].create(
            {
                "name": "Gold prices",
                "benefit_type": "discount",
                "pricelist_id": gold_prices.id,
                "tier_ids": [Command.link(self.tiers["GOLD"].id)],
            }
        )
        self.assertIn(gold_prices, pos_config.available_pricelist_ids, "offered at the till automatically")
        partner = self.member.with_company(self.company)
        self._move_to(self.member, self.company, self.tiers["GOLD"])
        self.assertEqual(partner.property_product_pricelist, gold_prices)
        self.assertEqual(self._sale(1, confirm=False).pricelist_id, gold_prices, "sales use it")
        self._move_to(self.member, self.company, self.tiers["STD"])
        partner.invalidate_recordset()
        self.assertNotEqual(partner.property_product_pricelist, gold_prices, "dropped with the tier")
        partner.property_product_pricelist = other_prices  # set by hand
        membership = self._membership(self.member, self.company)
        self.assertTrue(membership.pricelist_manual)
        self._move_to(self.member, self.company, self.tiers["GOLD"])
        partner.invalidate_recordset()
        self.assertEqual(partner.property_product_pricelist, other_prices, "a hand-set pricelist wins")
        partner.specific_property_product_pricelist = False  # cleared by hand: the tier applies again
        partner.invalidate_recordset()
        self.assertFalse(membership.pricelist_manual)
        self.assertEqual(partner.property_product_pricelist, gold_prices)

    def test_bonus_on_paid_invoice_and_credit_note(self):
        self.env["member.benefit"].create(
            {
                "name": "x2",
                "benefit_type": "points",
                "points_factor": 1.0,
                "tier_ids": [Command.link(self.tiers["GOLD"].id)],
            }
        )
        self._move_to(self.member, self.company, self.tiers["GOLD"])
        order = self._sale(4)
        invoice = order._create_invoices()
        invoice.action_post()
        card = self._card(self.member, self.program)
        base = card.points  # the program's own points, given by sale_loyalty at confirmation
        self.assertEqual(card.member_lot_ids.mapped("kind"), ["earn"] if base else [], "no bonus before payment")
        self._pay(invoice)
        self.assertEqual(card.points, base + 4000.0, "bonus granted when the invoice is paid")
        invoice._invoice_paid_hook()  # fires twice in Odoo (in_payment, then paid)
        self.assertEqual(card.points, base + 4000.0)
        order.invalidate_recordset()
        self.assertEqual((order.member_tier_id, order.member_points), (self.tiers["GOLD"], card.points), "banner")
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"journal_id": invoice.journal_id.id, "reason": "one returned"})
        )
        credit_note = self.env["account.move"].browse(reversal.refund_moves()["res_id"])
        with Form(credit_note) as form, form.invoice_line_ids.edit(0) as line:
            line.quantity = 1
        credit_note.action_post()
        self._pay(credit_note)
        self.assertEqual(card.points, base + 3000.0, "a quarter refunded: a quarter of the bonus back")
        self.assertLotsAgree(card)
        # the invoice reset to draft takes the bonus back; posted again (Odoo 19 keeps its payment), it returns
        invoice.button_draft()
        self.assertEqual(card.points, base, "reset to draft: the whole bonus goes")
        invoice.action_post()
        self.assertEqual(card.points, base + 3000.0, "paid again: back, less what the credit note took")
        bonus = card.member_lot_ids.filtered(lambda lot: lot.kind == "bonus")
        self.assertEqual((bonus.reversed_points, bonus.cancelled), (1000.0, False))
        self.assertLotsAgree(card)

    def test_welcome_gift_bound_to_its_member(self):
        self.env["member.benefit"].create(
            {
                "name": "Gold welcome",
                "benefit_type": "welcome_gift",
                "gift_program_id": self.gift_program.id,
                "gift_validity_days": 30,
                "tier_ids": [Command.link(self.tiers["GOLD"].id)],
            }
        )
        self._move_to(self.member, self.company, self.tiers["GOLD"])
        coupon = self.env["loyalty.card"].search([("program_id", "=", self.gift_program.id)])
        self.assertEqual((coupon.partner_id, coupon.points), (self.member, 1.0))
        self.assertEqual(coupon.expiration_date, fields.Date.add(fields.Date.context_today(coupon), days=30))
        self._move_to(self.member, self.company, self.tiers["STD"])
        self._move_to(self.member, self.company, self.tiers["GOLD"])
        self.assertEqual(
            len(self.env["loyalty.card"].search([("program_id", "=", self.gift_program.id)])), 1, "welcomed once"
        )
        foreign = self._sale(1, partner=self.other, confirm=False)
        self.assertIn("another customer", foreign._try_apply_code(coupon.code).get("error", ""))
        own = self._sale(1, confirm=False)
        status = own._try_apply_code(coupon.code)
        self.assertNotIn("error", status, "its member may use it")
        self.assertNotIn("error", own._apply_program_reward(status[coupon][0], coupon))
        self.assertEqual(own.order_line.coupon_id, coupon)
        # applied, then the customer changed: refused at confirmation
        own.partner_id = self.other
        with self.assertRaisesRegex(UserError, "of another customer"):
            own.action_confirm()

    def test_bound_flag_is_the_one_rule(self):
        """Bound is an explicit flag: a bound coupon goes to its holder's commercial entity only; a coupon that
        merely names a partner stays as Odoo keeps it (sale_loyalty checks no partner)."""
        Partner, Card = self.env["res.partner"], self.env["loyalty.card"]
        firm = Partner.create({"name": "Firm", "is_company": True})
        buyer = Partner.create({"name": "Buyer", "parent_id": firm.id})
        bound, plain = Card.create(
            [
                {"program_id": self.gift_program.id, "partner_id": firm.id, "points": 1, "member_bound": True},
                {"program_id": self.gift_program.id, "partner_id": firm.id, "points": 1},
            ]
        )
        self.assertEqual((bound.member_bound, plain.member_bound), (True, False))
        foreign = self._sale(1, partner=self.other, confirm=False)
        self.assertIn("another customer", foreign._try_apply_code(bound.code).get("error", ""))
        self.assertNotIn("error", foreign._try_apply_code(plain.code), "not bound: Odoo's behaviour")
        colleague = self._sale(1, partner=buyer, confirm=False)
        self.assertNotIn("error", colleague._try_apply_code(bound.code), "the holder's commercial entity")
        # unbinding is a binding change: a salesperson cannot, whatever the route
        seller = self.env["res.users"].create(
            {
                "name": "Seller",
                "login": "bound_seller",
                "group_ids": [Command.set([self.env.ref("sales_team.group_sale_salesman").id])],
            }
        )
        with self.assertRaisesRegex(AccessError, "bound to its member"):
            bound.with_user(seller).write({"member_bound": False})
        bound.invalidate_recordset()
        self.assertTrue(bound.member_bound)
        # nor bind a customer's plain coupon (its holder would be locked out of it)
        with self.assertRaisesRegex(AccessError, "bind a card"):
            plain.with_user(seller).write({"member_bound": True})
        # a bound coupon without a holder serves nobody
        orphan = Card.create({"program_id": self.gift_program.id, "points": 1, "member_bound": True})
        self.assertIn("another customer", colleague._try_apply_code(orphan.code).get("error", ""))

    def test_birthday_gift_once_per_year(self):
        self.env["member.benefit"].create(
            {
                "name": "Birthday",
                "benefit_type": "birthday_gift",
                "gift_program_id": self.gift_program.id,
                "birthday_days_before": 3,
                "birthday_days_after": 10,
                "tier_ids": [Command.link(self.tiers["STD"].id)],
            }
        )
        self.member.birthdate_date = datetime.date(1990, 3, 5)
        Benefit = self.env["member.benefit"].sudo()  # as the cron
        with freeze_time("2027-03-01"):
            self.assertFalse(Benefit._cron_member_birthday_gifts(), "4 days before: window not open")
        with freeze_time("2027-03-02"):
            grant = Benefit._cron_member_birthday_gifts()
            self.assertEqual((grant.partner_id, grant.year), (self.member, 2027))
        with freeze_time("2027-03-15"):
            self.assertFalse(Benefit._cron_member_birthday_gifts(), "once per year")
        with freeze_time("2028-03-06"):
            self.assertEqual(Benefit._cron_member_birthday_gifts().year, 2028)

    def test_early_access_refused_before_date(self):
        self.product.product_tmpl_id.write(
            {
                "member_early_tier_id": self.tiers["GOLD"].id,
                "member_early_until": self.today + datetime.timedelta(days=7),
            }
        )
        with self.assertRaisesRegex(UserError, "reserved to Gold members"):
            self._sale(1, partner=self.other)
        with self.assertRaisesRegex(UserError, "reserved to Gold members"):
            self._sale(1)  # a Standard member
        self._move_to(self.member, self.company, self.tiers["GOLD"])
        self.assertEqual(self._sale(1).state, "sale")
        with freeze_time(self.today + datetime.timedelta(days=8)):
            self.assertEqual(self._sale(1, partner=self.other).state, "sale", "open to all after the date")

    def test_service_priority_and_vip_activity(self):
        manager = self.env["res.users"].create({"name": "Account Manager", "login": "member_am"})
        self.env["member.benefit"].create(
            [
                {
                    "name": "Priority",
                    "benefit_type": "service",
                    "response_hours": 4,
                    "resolution_hours": 24,
                    "user_id": manager.id,
                    "tier_ids": [Command.link(self.tiers["GOLD"].id)],
                },
                {
                    "name": "Personal shopper",
                    "benefit_type": "custom",
                    "description": "Call to book a personal shopping session.",
                    "tier_ids": [Command.link(self.tiers["GOLD"].id)],
                },
            ]
        )
        membership = self._move_to(self.member, self.company, self.tiers["GOLD"])
        self.assertEqual((membership.response_hours, membership.resolution_hours), (4.0, 24.0))
        self.assertEqual(membership.account_manager_id, manager)
        activity = membership.activity_ids
        self.assertEqual((activity.summary, activity.user_id), ("Personal shopper", manager))
