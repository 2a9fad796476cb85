"""Server-side guards: what the form hides, an RPC caller must not be able to write either.

Each attack runs as the lowest role that reaches the model, the way RPC does:
``record.with_user(user).write(...)`` with whatever context the caller sends.
"""

import datetime

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.base.tests.common import BaseCommon
from odoo.addons.point_of_sale.tests.common import TestPoSCommon

from ..tools.trusted import MEMBERSHIP_WRITE, POINTS_FLOW, POINTS_MANUAL
from .test_member_benefits import MemberBenefitsMixin

GUARDED = {
    "tier_id": None,  # filled in setUpClass: the top tier
    "tier_since": "2020-01-01",
    "tier_protected_until": "2099-01-01",
    "grace_since": "2020-01-01",
    "number": "FORGED-1",
    "partner_id": None,  # another contact
    "company_id": None,  # another company
}


@tagged("post_install", "-at_install")
class TestMembershipGuards(MemberBenefitsMixin, BaseCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.tiers = cls._member_enable(cls.company)
        cls.top = cls.env["member.tier"].search([("company_id", "=", cls.company.id)], order="level desc", limit=1)
        cls.member = cls._member_partner("Zhao Lei", cls.company)
        cls.stranger = cls.env["res.partner"].create({"name": "Not enrolled"})
        cls.other_company = cls.env["res.company"].create({"name": "Other store"})
        company_args = {"company_id": cls.company.id, "company_ids": [cls.company.id, cls.other_company.id]}
        cls.officer = new_test_user(
            cls.env, login="guard_officer", groups="member_crm.group_member_crm_officer", **company_args
        )
        cls.manager = new_test_user(
            cls.env, login="guard_manager", groups="member_crm.group_member_crm_manager", **company_args
        )

    def _attack_values(self):
        return {
            **GUARDED,
            "tier_id": self.top.id,
            "partner_id": self.stranger.id,
            "company_id": self.other_company.id,
        }

    @mute_logger("odoo.models")
    def test_officer_cannot_write_guarded_fields(self):
        membership = self._membership(self.member, self.company)
        self.assertNotEqual(membership.tier_id, self.top)
        before = membership.read(list(GUARDED))[0]
        history = len(membership.history_ids)
        for name, value in self._attack_values().items():
            with self.subTest(field=name), self.assertRaises(AccessError):
                membership.with_user(self.officer).write({name: value})
        # a context flag sent over RPC is a plain value, never the sentinel
        with self.assertRaises(AccessError):
            membership.with_user(self.officer).with_context(**{MEMBERSHIP_WRITE: True}).write({"tier_id": self.top.id})
        membership.invalidate_recordset()
        self.assertEqual(membership.read(list(GUARDED))[0], before)
        self.assertEqual(len(membership.history_ids), history, "no move, no history line")

    @mute_logger("odoo.models")
    def test_manager_and_superuser_use_the_wizard(self):
        membership = self._membership(self.member, self.company)
        for env_user in (membership.with_user(self.manager), membership.sudo()):
            with self.subTest(user=env_user.env.user.login), self.assertRaises(AccessError):
                env_user.write({"tier_id": self.top.id})
        # the wizard is the manual path: it moves the tier and logs who and why
        self.env["member.tier.change"].with_user(self.manager).create(
            {"membership_ids": [Command.set(membership.ids)], "tier_id": self.top.id, "reason": "Founder"}
        ).action_apply()
        self.assertEqual(membership.tier_id, self.top)
        line = membership.history_ids[:1]
        self.assertEqual((line.trigger, line.user_id, line.reason), ("manual", self.manager, "Founder"))

    @mute_logger("odoo.models")
    def test_officer_cannot_create_a_membership_at_a_tier(self):
        Membership = self.env["member.membership"].with_user(self.officer)
        base = {"partner_id": self.stranger.id, "company_id": self.company.id, "number": "NEW-1"}
        for name in ("tier_id", "tier_since", "tier_protected_until", "grace_since"):
            value = self.top.id if name == "tier_id" else "2020-01-01"
            with self.subTest(field=name), self.assertRaises(AccessError):
                Membership.create({**base, name: value})
        # nor with a number of their choosing (it could take one the sequence issues later): enrolment numbers
        with self.assertRaises(AccessError):
            Membership.create(base)
        self.stranger.with_user(self.officer).action_member_enroll()
        created = self._membership(self.stranger, self.company)
        self.assertTrue(created.number and created.number != "NEW-1")
        self.assertTrue(created.tier_id, "enrolment places the member")

    def test_officer_keeps_editing_the_rest(self):
        membership = self._membership(self.member, self.company).with_user(self.officer)
        membership.write({"account_manager_id": self.officer.id, "state": "suspended", "pricelist_manual": True})
        self.assertEqual(membership.state, "suspended")

    @mute_logger("odoo.models", "odoo.addons.base.models.ir_model")
    def test_tier_history_is_read_only(self):
        membership = self._membership(self.member, self.company)
        line = membership.history_ids[:1]
        self.assertTrue(line)
        History = self.env["member.tier.history"]
        for user in (self.officer, self.manager):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    line.with_user(user).write({"to_tier_id": self.top.id})
                with self.assertRaises(AccessError):
                    History.with_user(user).create(
                        {
                            "membership_id": membership.id,
                            "partner_id": self.member.id,
                            "company_id": self.company.id,
                            "to_tier_id": self.top.id,
                            "direction": "up",
                            "trigger": "manual",
                        }
                    )
                with self.assertRaises(AccessError):
                    line.with_user(user).unlink()


@tagged("post_install", "-at_install")
class TestPointsGuards(TestPoSCommon, MemberBenefitsMixin):
    """Member cards: points move through orders, the Update Balance wizard or a member manager only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.config = cls.basic_config
        cls.env.user.group_ids |= cls.env.ref("member_crm.group_member_crm_manager")
        cls.tiers = cls._member_enable(cls.company)
        cls.program = cls._member_points_program(cls.company)
        cls.tea = cls.create_product("Guard Tea", cls.categ_basic, 100.0)
        cls.member = cls._member_partner("Sun Li", cls.company)
        cls.other = cls._member_partner("Zhou Jie", cls.company)
        Card = cls.env["loyalty.card"]
        cls.card = Card.create({"partner_id": cls.member.id, "program_id": cls.program.id, "points": 100})
        cls.other_card = Card.create({"partner_id": cls.other.id, "program_id": cls.program.id, "points": 300})
        company_args = {"company_id": cls.company.id, "company_ids": [cls.company.id]}
        cls.salesperson = new_test_user(
            cls.env, login="guard_salesperson", groups="sales_team.group_sale_salesman", **company_args
        )
        cls.cashier = new_test_user(
            cls.env, login="guard_cashier", groups="base.group_user,point_of_sale.group_pos_user", **company_args
        )
        cls.manager = new_test_user(
            cls.env,
            login="guard_points_manager",
            groups="member_crm.group_member_crm_manager,sales_team.group_sale_manager",
            **company_args,
        )

    def setUp(self):
        super().setUp()
        self.lots = self.card.member_lot_ids  # the card's opening points (a card created with points)

    def _audit(self, card):
        return self.env["member.audit.log"].search(
            [("res_model", "=", "loyalty.card"), ("res_id", "=", card.id), ("action", "=", "points")]
        )

    @mute_logger("odoo.models")
    def test_bare_points_write_refused_to_sellers(self):
        for user in (self.salesperson, self.cashier):
            for context in ({}, {POINTS_FLOW: True, POINTS_MANUAL: "1"}):  # what an RPC caller can send
                with self.subTest(user=user.login, context=context), self.assertRaises(AccessError):
                    self.card.with_user(user).with_context(**context).write({"points": 5000})
        self.card.invalidate_recordset()
        self.assertEqual(self.card.points, 100.0)
        self.assertEqual(self.card.member_lot_ids, self.lots, "no lot, earned or other")

    def test_manager_write_is_audited_as_an_adjustment(self):
        self.card.with_user(self.manager).write({"points": 250})
        self.assertEqual(self.card.points, 250.0)
        audit = self._audit(self.card)
        self.assertEqual(len(audit), 1)
        self.assertEqual((audit.user_id, audit.partner_id), (self.manager, self.member))
        self.assertIn("100 → 250", audit.description)
        new_lot = self.card.member_lot_ids - self.lots
        self.assertEqual((new_lot.kind, new_lot.points), ("adjust", 150.0), "an adjustment, not earned points")

    @mute_logger("odoo.models")
    def test_update_balance_wizard_on_member_cards_is_for_managers(self):
        """Points by hand mint value: sellers are refused on a member's card, a manager's change is audited."""
        for user in (self.salesperson, self.cashier):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.env["loyalty.card.update.balance"].with_user(user).create(
                    {"card_id": self.card.id, "new_balance": 5000, "description": "Goodwill"}
                ).action_update_card_point()
        self.assertEqual(self.card.points, 100.0)
        self.env["loyalty.card.update.balance"].with_user(self.manager).create(
            {"card_id": self.card.id, "new_balance": 150, "description": "Goodwill"}
        ).action_update_card_point()
        self.assertEqual(self.card.points, 150.0)
        audit = self._audit(self.card)
        self.assertEqual((len(audit), audit.user_id), (1, self.manager))
        self.assertIn("100 → 150", audit.description)
        new_lots = self.card.member_lot_ids - self.lots
        self.assertEqual(new_lots.mapped("kind"), ["adjust"], "an adjustment, not earned points")
        # other cards keep Odoo's behaviour: a seller updates a non-member's card
        gift_program = self._member_coupon_program(self.company)
        plain = self.env["loyalty.card"].create({"program_id": gift_program.id, "points": 1})
        self.env["loyalty.card.update.balance"].with_user(self.salesperson).create(
            {"card_id": plain.id, "new_balance": 2, "description": "Fix"}
        ).action_update_card_point()
        self.assertEqual(plain.points, 2.0)

    @mute_logger("odoo.models")
    def test_bound_cards_stay_with_their_member(self):
        benefit = self.env["member.benefit"].create({"name": "Gift", "benefit_type": "service"})
        gift_program = self._member_coupon_program(self.company)
        coupon = self.env["loyalty.card"].create(
            {"partner_id": self.member.id, "program_id": gift_program.id, "points": 1, "member_benefit_id": benefit.id}
        )
        for user in (self.salesperson, self.cashier):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    coupon.with_user(user).write({"partner_id": self.other.id})
                with self.assertRaises(AccessError):
                    coupon.with_user(user).write({"member_benefit_id": False})
                with self.assertRaises(AccessError):
                    self.card.with_user(user).write({"partner_id": self.other.id})
        self.assertEqual((coupon.partner_id, coupon.member_benefit_id), (self.member, benefit))
        # other cards, and managers, keep Odoo's behaviour
        plain = self.env["loyalty.card"].create({"program_id": gift_program.id, "points": 1})
        plain.with_user(self.salesperson).write({"partner_id": self.other.id})
        coupon.with_user(self.manager).write({"partner_id": self.other.id})
        self.assertEqual(coupon.partner_id, self.other)

    def test_sale_confirmation_still_earns_as_salesperson(self):
        order = (
            self.env["sale.order"]
            .with_user(self.salesperson)
            .create(
                {
                    "partner_id": self.member.id,
                    "order_line": [Command.create({"product_id": self.tea.id, "product_uom_qty": 3})],
                }
            )
        )
        order.action_confirm()
        self.card.invalidate_recordset()
        self.assertGreater(self.card.points, 100.0, "sale_loyalty gave the order's points")
        self.assertEqual((self.card.member_lot_ids - self.lots).mapped("kind"), ["earn"])
        self.assertFalse(self._audit(self.card), "an order is no manual change")
        points = self.card.points
        # sale_loyalty lets sales administrators cancel (it deletes the order's point entries)
        sales_admin = new_test_user(
            self.env,
            login="guard_sales_admin",
            groups="sales_team.group_sale_manager",
            company_id=self.company.id,
            company_ids=[self.company.id],
        )
        order.with_user(sales_admin)._action_cancel()
        self.assertEqual(self.card.points, 100.0, f"cancelled: the {points - 100:g} points go back")

    # ------------------------------------------------------------------
    # the till: card ids sent by the client
    # ------------------------------------------------------------------
    def _synced_order(self, lines, customer):
        data = self.create_ui_order_data(lines, customer=customer)
        result = self.env["pos.order"].sync_from_ui([data])
        return self.env["pos.order"].browse(result["pos.order"][0]["id"])

    @mute_logger("odoo.models")
    def test_till_cannot_credit_or_spend_another_members_card(self):
        self.open_new_session()
        order = self._synced_order([(self.tea, 1)], self.member).with_user(self.cashier)
        attacks = {
            "credit another's card": {
                self.other_card.id: {"points": 500, "program_id": self.program.id, "coupon_id": self.other_card.id}
            },
            "spend another's card": {
                self.other_card.id: {"points": -200, "program_id": self.program.id, "coupon_id": self.other_card.id}
            },
            "new entry naming another member": {
                -1: {"points": 500, "program_id": self.program.id, "coupon_id": -1, "partner_id": self.other.id}
            },
        }
        for name, payload in attacks.items():
            with self.subTest(attack=name), self.assertRaisesRegex(UserError, "another customer"):
                order.confirm_coupon_programs(payload)
        self.other_card.invalidate_recordset()
        self.assertEqual(self.other_card.points, 300.0)
        # the member's own card, as the till sends it, still earns
        order.confirm_coupon_programs(
            {-1: {"points": 100, "program_id": self.program.id, "coupon_id": -1, "partner_id": self.member.id}}
        )
        self.card.invalidate_recordset()
        self.assertEqual(self.card.points, 200.0)
        self.assertEqual((self.card.member_lot_ids - self.lots).mapped("kind"), ["earn"])

    @mute_logger("odoo.models")
    def test_till_gift_card_branch_cannot_reach_a_member_card(self):
        """pos_loyalty finds "gift cards" by any id or code: a member's card is not reachable that way (refused
        by the owner check before any card is touched)."""
        self.open_new_session()
        order = self._synced_order([(self.tea, 1)], self.member).with_user(self.cashier)
        gift_program = self.env["loyalty.program"].create(
            {"name": "Gift cards", "program_type": "gift_card", "company_id": self.company.id}
        )
        for key, points in (("coupon_id", 12345), ("code", -300)):
            entry = {"points": points, "program_id": gift_program.id, "coupon_id": -7}
            entry[key] = self.other_card.id if key == "coupon_id" else self.other_card.code
            with self.subTest(by=key), self.assertRaisesRegex(UserError, "another customer"):
                order.confirm_coupon_programs({-7: entry})
        self.other_card.invalidate_recordset()
        self.assertEqual(self.other_card.points, 300.0)

    @mute_logger("odoo.models")
    def test_cards_cannot_be_unbound_to_write_points(self):
        """Changing a card's program, code, validity or archiving it: the member's card stays bound."""
        suspended = self._member_partner("Qin Hao", self.company)
        card = self.env["loyalty.card"].create({"partner_id": suspended.id, "program_id": self.program.id})
        self._membership(suspended, self.company).state = "suspended"
        prospect = self.env["res.partner"].create({"name": "Not Yet A Member"})
        prospect_card = self.env["loyalty.card"].create({"partner_id": prospect.id, "program_id": self.program.id})
        other_program = self._member_coupon_program(self.company, name="Elsewhere")
        for user in (self.cashier, self.salesperson):
            for target, vals in (
                (self.card, {"program_id": other_program.id}),
                (self.card, {"active": False}),
                (self.card, {"code": "MINE-123"}),
                (self.card, {"expiration_date": "2020-01-01"}),
                (card, {"points": 7777}),
                (prospect_card, {"points": 8888}),
            ):
                with self.subTest(user=user.login, vals=vals), self.assertRaises(AccessError):
                    target.with_user(user).write(vals)
        # a card of another program cannot be moved into the member program either
        plain = self.env["loyalty.card"].create({"program_id": other_program.id, "points": 9999})
        with self.assertRaises(AccessError):
            plain.with_user(self.cashier).write({"program_id": self.program.id, "partner_id": self.member.id})
        self.assertEqual((self.card.program_id, self.card.active), (self.program, True))
        self.assertEqual((card.points, prospect_card.points), (0.0, 0.0))

    @mute_logger("odoo.models")
    def test_sale_reward_line_cannot_give_points_to_a_member_card(self):
        """A reward line written by hand on a member's card, then deleted, would give its points back."""
        order = (
            self.env["sale.order"]
            .with_user(self.salesperson)
            .create(
                {
                    "partner_id": self.member.id,
                    "order_line": [Command.create({"product_id": self.tea.id, "product_uom_qty": 1})],
                }
            )
        )
        order.action_confirm()
        with self.assertRaises(AccessError):
            order.order_line.create(
                {
                    "order_id": order.id,
                    "display_type": "line_note",
                    "name": "note",
                    "coupon_id": self.other_card.id,
                    "points_cost": 5000,
                }
            )
        note = order.order_line.create({"order_id": order.id, "display_type": "line_note", "name": "note"})
        with self.assertRaises(AccessError):
            note.write({"coupon_id": self.other_card.id})
        note.unlink()
        self.other_card.invalidate_recordset()
        self.assertEqual(self.other_card.points, 300.0)

    @mute_logger("odoo.models")
    def test_anonymous_order_cannot_touch_a_member_card(self):
        self.open_new_session()
        order = self._synced_order([(self.tea, 1)], False).with_user(self.cashier)
        with self.assertRaisesRegex(UserError, "another customer"):
            order.confirm_coupon_programs(
                {self.card.id: {"points": -50, "program_id": self.program.id, "coupon_id": self.card.id}}
            )

    def test_early_access_sold_at_the_till_is_flagged(self):
        manager = new_test_user(
            self.env,
            login="guard_early_manager",
            groups="member_crm.group_member_crm_manager",
            company_id=self.company.id,
            company_ids=[self.company.id],
        )
        gold = self.tiers["GOLD"]
        self.tea.product_tmpl_id.write(
            {"member_early_tier_id": gold.id, "member_early_until": fields.Date.today() + datetime.timedelta(days=7)}
        )
        self.open_new_session()
        order = self._synced_order([(self.tea, 1)], self.member)
        self.assertEqual(order.state, "paid", "the sale happened: it is kept")
        self.assertTrue(order.member_early_access_breach)
        note = order.message_ids.filtered(lambda m: manager.partner_id in m.partner_ids)
        self.assertEqual(len(note), 1, "the member managers are told")
        self.assertIn("Guard Tea", note.body)
        self.assertIn(manager.partner_id, note.notification_ids.res_partner_id)
        anonymous = self._synced_order([(self.tea, 1)], False)
        self.assertTrue(anonymous.member_early_access_breach)
        self._move_to(self.other, self.company, gold)
        allowed = self._synced_order([(self.tea, 1)], self.other)
        self.assertFalse(allowed.member_early_access_breach, "a Gold member may buy it")
        self.assertFalse(allowed.message_ids.filtered(lambda m: manager.partner_id in m.partner_ids))
