import datetime
import importlib.util
import pathlib

from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import SQL

from odoo.addons.point_of_sale.tests.common import TestPoSCommon

from .test_member_benefits import MemberBenefitsMixin


@tagged("post_install", "-at_install")
class TestMemberPointsMoves(TestPoSCommon, MemberBenefitsMixin):
    """The append-only points log: every change to a member card's points is a move the balance sums to."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._member_pos_points_setup()
        cls.member = cls._member_partner("Li Na", cls.company)
        cls.Lot = cls.env["member.points.lot"].sudo()
        cls.Move = cls.env["member.points.move"].sudo()

    def _sync(self, lines, customer, **order_args):
        data = self.create_ui_order_data(lines, customer=customer, pos_order_ui_args=order_args)
        result = self.env["pos.order"].sync_from_ui([data])
        return self.env["pos.order"].browse(result["pos.order"][0]["id"])

    def assertExplained(self, card):
        """The balance and the pending points are the sums of the card's moves, and the check lists nothing."""
        card.invalidate_recordset()
        moves = card.member_move_ids.filtered(lambda m: not m.pending)
        self.assertAlmostEqual(card.points, sum(moves.mapped("points")), 2, "balance == moves")
        pending = card.member_move_ids.filtered("pending")
        self.assertAlmostEqual(card.member_points_pending, sum(pending.mapped("points")), 2, "pending == moves")
        self.assertFalse(self.Move._member_check_balances(card), "the check finds nothing to explain")
        self.assertLotsAgree(card)

    def test_every_change_is_a_move(self):
        self._move_to(self.member, self.company, self.tiers["GOLD"])
        self.open_new_session()
        order = self._sync([(self.tea, 3)], self.member)
        card = self._card(self.member, self.program)
        bonus = card.member_move_ids
        self.assertEqual(
            (bonus.kind, bonus.points, bonus.source_ref, bonus.lot_id.kind), ("bonus", 1050.0, order, "bonus")
        )
        self.assertEqual(bonus.date, self.company._member_today(), "the local day of the company")
        # the till's base points: Odoo's flow, followed by the card (source: the order)
        order.confirm_coupon_programs(
            {-1: {"points": 2100.0, "program_id": self.program.id, "coupon_id": -1, "partner_id": self.member.id}}
        )
        earn = card.member_move_ids.filtered(lambda m: m.kind == "earn")
        self.assertEqual((earn.points, earn.source_ref), (2100.0, order))
        refund_line = {"product": self.tea, "quantity": -1, "refunded_orderline_id": order.lines.id}
        self._sync([refund_line], self.member, is_refund=True)
        refund = card.member_move_ids.filtered(lambda m: m.kind == "refund")
        self.assertEqual(refund.points, -350.0)
        self._odoo_balance(card, -100.0, "By hand")
        adjust = card.member_move_ids.filtered(lambda m: m.kind == "adjust")
        self.assertEqual(adjust.points, -100.0)
        self.assertEqual(card.points, 1050.0 + 2100.0 - 350.0 - 100.0)
        self.assertExplained(card)

    def test_moves_are_never_changed_or_deleted(self):
        self._move_to(self.member, self.company, self.tiers["GOLD"])
        self.open_new_session()
        self._sync([(self.tea, 1)], self.member)
        move = self._card(self.member, self.program).member_move_ids
        self.assertTrue(move)
        for env_move in (move, move.sudo()):
            with self.assertRaises(UserError):
                env_move.write({"points": 1_000_000.0})
            with self.assertRaises(UserError):
                env_move.unlink()
        accountant = new_test_user(self.env, login="moves_accountant", groups="member_crm.group_member_crm_accountant")
        self.assertEqual(move.with_user(accountant).read(["points"])[0]["points"], 350.0, "accountants read them")
        with self.assertRaises(AccessError):
            self.env["member.points.move"].with_user(accountant).create(
                {"card_id": move.card_id.id, "company_id": self.company.id, "date": "2026-01-01", "kind": "adjust"}
            )

    def test_spending_refuses_a_short_balance(self):
        self._move_to(self.member, self.company, self.tiers["GOLD"])
        self.open_new_session()
        self._sync([(self.tea, 1)], self.member)
        card = self._card(self.member, self.program)
        spend = {"card": card, "kind": "spend", "description": "Points exchange"}
        with self.assertRaises(UserError):
            self.Lot._member_points_spend([dict(spend, points=351.0)])
        card.invalidate_recordset()
        self.assertEqual(card.points, 350.0, "refused whole: nothing taken")
        self.assertFalse(card.member_lot_ids.filtered(lambda lot: lot.kind == "debt"), "no debt lot")
        with self.assertRaises(UserError):  # a hand-made balance below zero is refused too
            self._odoo_balance(card, -400.0)
        self.Lot._member_points_spend([dict(spend, points=300.0)])
        self.assertEqual(card.points, 50.0)
        self.assertEqual(card.member_move_ids.filtered(lambda m: m.kind == "spend").points, -300.0)
        self.assertExplained(card)

    def test_pending_release_and_expiry_are_moves(self):
        self.company.write({"member_points_pending_days": 14, "member_points_expiry_months": 12})
        self._move_to(self.member, self.company, self.tiers["GOLD"])
        self.open_new_session()
        today = self.company._member_today()
        order = self._sync([(self.tea, 2)], self.member)
        card = self._card(self.member, self.program)
        bonus = card.member_move_ids
        self.assertEqual((bonus.kind, bonus.points, bonus.pending), ("bonus", 700.0, True))
        self.assertExplained(card)
        # a refund inside the return window shrinks the pending points: a pending move
        refund_line = {"product": self.tea, "quantity": -1, "refunded_orderline_id": order.lines.id}
        self._sync([refund_line], self.member, is_refund=True)
        refund = card.member_move_ids.filtered(lambda m: m.kind == "refund")
        self.assertEqual((refund.points, refund.pending), (-350.0, True))
        self.assertEqual((card.points, card.member_points_pending), (0.0, 350.0))
        self.assertExplained(card)
        lots = self.Lot._member_release(today + datetime.timedelta(days=14))
        release = card.member_move_ids.filtered(lambda m: m.kind == "release")
        self.assertEqual(
            sorted((m.points, m.pending, m.lot_id) for m in release),
            [(-350.0, True, lots), (350.0, False, lots)],
            "released: out of the pending points, into the balance",
        )
        self.assertEqual((card.points, card.member_points_pending), (350.0, 0.0))
        self.assertExplained(card)
        self.Lot._member_expire(lots.expires_on)
        expire = card.member_move_ids.filtered(lambda m: m.kind == "expire")
        self.assertEqual((expire.points, card.points), (-350.0, 0.0))
        self.assertExplained(card)

    def test_check_finds_pending_points_without_moves(self):
        """Pending points the pending moves do not explain are listed by the check."""
        self.company.member_points_pending_days = 14
        self._move_to(self.member, self.company, self.tiers["GOLD"])
        self.open_new_session()
        self._sync([(self.tea, 1)], self.member)
        card = self._card(self.member, self.program)
        self.assertFalse(self.Move._member_check_balances(card))
        self.env.flush_all()
        self.env.cr.execute(SQL("UPDATE member_points_lot SET remaining = 100 WHERE card_id = %s", card.id))
        self.env.invalidate_all()
        self.assertEqual(self.Move._member_check_balances(card), {card: (0.0, 0.0, 100.0, 350.0)})

    def test_cron_uses_each_company_day(self):
        """The points cron releases a company's lots on that company's day, whatever the current company."""
        self.company.write({"member_points_pending_days": 14, "member_points_expiry_months": 12})
        self.company.partner_id.tz = "Pacific/Kiritimati"  # UTC+14
        other = self.env["res.company"].create({"name": "Pago Pago Store"})
        other.partner_id.tz = "Pacific/Pago_Pago"  # UTC-11: a day behind Kiritimati at noon UTC
        self._move_to(self.member, self.company, self.tiers["GOLD"])
        self.open_new_session()
        self._sync([(self.tea, 2)], self.member)
        card = self._card(self.member, self.program)
        lot = card.member_lot_ids
        cron = self.Lot.with_company(other)  # the cron's current company is another one
        # 12:00 UTC: the next day in Kiritimati, the same day in Pago Pago
        noon = datetime.datetime.combine(lot.pending_until, datetime.time(12)) - datetime.timedelta(days=1)
        with freeze_time(noon - datetime.timedelta(days=1)):
            cron._cron_member_points()
        self.assertFalse(lot.released, "the day before the company's release day: still pending")
        with freeze_time(noon):
            self.assertLess(other._member_today(), lot.pending_until)
            cron._cron_member_points()
        self.assertTrue(lot.released, "released on the lot company's day, not the current company's")
        release = card.member_move_ids.filtered(lambda m: m.kind == "release" and not m.pending)
        self.assertEqual((release.points, release.date), (700.0, lot.pending_until))
        self.assertExplained(card)
        with freeze_time(datetime.datetime.combine(lot.expires_on, datetime.time(12)) - datetime.timedelta(days=1)):
            cron._cron_member_points()
        self.assertEqual((lot.remaining, lot.expired_points), (0.0, 700.0), "expired on the company's day")
        self.assertExplained(card)

    def test_check_and_migration_open_the_log(self):
        """Points from before the log (no lot, or lots without moves): the migration books them as openings."""
        self._move_to(self.member, self.company, self.tiers["GOLD"])
        other = self._member_partner("Zhang San", self.company)
        self.open_new_session()
        self._sync([(self.tea, 1)], self.member)
        card = self._card(self.member, self.program)
        old_card = self.env["loyalty.card"].create({"partner_id": other.id, "program_id": self.program.id})
        # as before 19.0.1.1.0: lots without moves, a balance without lots (points from before the addon)
        self.env.flush_all()
        self.env.cr.execute(SQL("DELETE FROM member_points_move WHERE card_id IN %s", (card.id, old_card.id)))
        self.env.cr.execute(SQL("UPDATE loyalty_card SET points = 120 WHERE id = %s", old_card.id))
        self.env.invalidate_all()
        self.assertEqual(
            set(self.Move._member_check_balances()), {card, old_card}, "both balances are unexplained by moves"
        )
        path = pathlib.Path(__file__).parents[1] / "migrations" / "19.0.1.1.0" / "post-points_moves.py"
        spec = importlib.util.spec_from_file_location("member_crm_post_points_moves", path)
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        migration.migrate(self.env.cr, "19.0.1.0.1")
        self.assertFalse(self.Move._member_check_balances(), "the check reads 0 after the migration")
        opening = old_card.member_move_ids
        self.assertEqual((opening.kind, opening.points, opening.lot_id.kind), ("opening", 120.0, "opening"))
        self.assertEqual(card.member_move_ids.mapped("kind"), ["opening"])
        migration.migrate(self.env.cr, "19.0.1.0.1")
        self.assertEqual(len(card.member_move_ids | old_card.member_move_ids), 2, "run twice: nothing more")
        self.assertExplained(card)
        old_card.invalidate_recordset()
        self.assertEqual(old_card.points, old_card.member_lot_ids.remaining, "the opening lot explains the balance")

    def test_sales_cancel_keeps_its_moves(self):
        """sale_loyalty deletes a cancelled order's history lines: the moves still explain the balance."""
        self.env.user.group_ids |= self.env.ref("sales_team.group_sale_manager")
        order = self.env["sale.order"].create(
            {
                "partner_id": self.member.id,
                "company_id": self.company.id,
                "order_line": [Command.create({"product_id": self.tea.id, "product_uom_qty": 1})],
            }
        )
        order._update_programs_and_rewards()
        order.action_confirm()
        card = self._card(self.member, self.program)
        self.assertEqual(card.points, order.amount_total, "one point per currency unit")
        earn = card.member_move_ids
        self.assertEqual((earn.kind, earn.source_ref), ("earn", order))
        order._action_cancel()
        card.invalidate_recordset()
        self.assertEqual(card.points, 0.0)
        self.assertFalse(card.history_ids, "sale_loyalty deleted the order's history lines")
        cancel = card.member_move_ids.filtered(lambda m: m.kind == "cancel")
        self.assertEqual((cancel.points, cancel.source_ref), (-earn.points, order))
        card.invalidate_recordset()
        self.assertEqual(sum(card.member_move_ids.mapped("points")), 0.0)
        self.assertFalse(self.Move._member_check_balances(card))

    def test_dates_are_local(self):
        """An order at 01:30 on 1 January in Shanghai (17:30 UTC the day before) is a move of 1 January."""
        self.company.partner_id.tz = "Asia/Shanghai"
        self._move_to(self.member, self.company, self.tiers["GOLD"])
        self.open_new_session()
        with freeze_time("2026-12-31 17:30:00"):
            self._sync([(self.tea, 1)], self.member)
        move = self._card(self.member, self.program).member_move_ids
        self.assertEqual(move.date, fields.Date.to_date("2027-01-01"))
