from odoo import fields
from odoo.tests import tagged

from odoo.addons.point_of_sale.tests.common import TestPoSCommon

from ..engine import tiers
from .common import MemberTierMixin


@tagged("post_install", "-at_install")
class TestMemberPos(TestPoSCommon, MemberTierMixin):
    """Tiers move with POS orders synced through the real entry point, sync_from_ui."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.config = cls.basic_config
        cls.env.user.group_ids |= cls.env.ref("member_crm.group_member_crm_manager")
        cls.tiers = cls._member_enable(cls.company)
        cls.tea = cls.create_product("Member Tea", cls.categ_basic, 700.0)
        cls.sample = cls.create_product("Member Sample", cls.categ_basic, 1.0)
        cls.member = cls._member_partner("Li Na", cls.company)
        cls.other = cls._member_partner("Wang Wei", cls.company)

    def _sync(self, lines, customer, **order_args):
        data = self.create_ui_order_data(lines, customer=customer, pos_order_ui_args=order_args)
        result = self.env["pos.order"].sync_from_ui([data])
        return self.env["pos.order"].browse(result["pos.order"][0]["id"]), data

    def test_upgrade_on_pos_payment(self):
        self.open_new_session()
        membership = self._membership(self.member, self.company)
        self.assertEqual(membership.tier_id, self.tiers["STD"], "enrolment places the member on the entry tier")
        self._sync([(self.tea, 1)], self.member)
        self._sync([(self.tea, 1)], self.member)
        self.assertEqual(membership.tier_id, self.tiers["STD"], "1,400 in 2 orders: not Gold yet")
        third, _data = self._sync([(self.tea, 1)], self.member)
        self.assertEqual(membership.tier_id, self.tiers["GOLD"], "2,100 in 3 orders: Gold at once")
        self.assertEqual(membership.qualify_spend, 2100.0)
        self.assertEqual(membership.qualify_orders, 3)
        history = membership.history_ids.filtered(lambda h: h.trigger == "order")
        self.assertEqual(len(history), 1)
        self.assertEqual(history.source_ref, third)
        self.assertEqual(
            (history.from_tier_id, history.to_tier_id, history.direction), (self.tiers["STD"], self.tiers["GOLD"], "up")
        )
        self.assertEqual(membership.tier_protected_until, tiers.add_months(fields.Date.today(), 6), "kept 6 months")
        self.assertEqual(self.member.member_tier_id, self.tiers["GOLD"])
        self.assertEqual(len(self._ledger(self.member, self.company)), 3)

    def test_resync_is_idempotent(self):
        self.open_new_session()
        order, data = self._sync([(self.tea, 2)], self.member)
        self.env["pos.order"].sync_from_ui([data])  # the till sends it again
        self.env["member.ledger"]._member_record_pos(order)  # and a hook replays it
        ledger = self._ledger(self.member, self.company)
        self.assertEqual(len(ledger), 1)
        self.assertEqual((ledger.amount, ledger.order_count, ledger.kind), (1400.0, 1, "order"))
        self.assertEqual(ledger.line_ids.categ_id, self.categ_basic)

    def test_refund_partial_then_full(self):
        self.open_new_session()
        order, _data = self._sync([(self.tea, 2)], self.member)
        original_day = (order.date_order).date()
        line = order.lines
        refund_line = {"product": self.tea, "quantity": -1, "refunded_orderline_id": line.id}
        self._sync([refund_line], self.member, is_refund=True)
        ledger = self._ledger(self.member, self.company)
        refund = ledger.filtered(lambda e: e.kind == "refund")
        self.assertEqual((refund.amount, refund.order_count, refund.date), (-700.0, 0, original_day))
        self.assertEqual(refund.refund_of_id.source_ref, order)
        membership = self._membership(self.member, self.company)
        self.assertEqual((membership.qualify_spend, membership.qualify_orders), (700.0, 1))
        self._sync([dict(refund_line)], self.member, is_refund=True)
        refunds = self._ledger(self.member, self.company).filtered(lambda e: e.kind == "refund")
        self.assertEqual(
            sorted(refunds.mapped("order_count")), [-1, 0], "the refund that completes takes the order back"
        )
        self.assertEqual((membership.qualify_spend, membership.qualify_orders), (0.0, 0))

    def test_invoiced_pos_order_counts_once(self):
        self.open_new_session()
        order, _data = self._sync([(self.tea, 1)], self.member)
        data = self.create_ui_order_data([(self.tea, 1)], customer=self.member, is_invoiced=True)
        invoiced = self.env["pos.order"].browse(self.env["pos.order"].sync_from_ui([data])["pos.order"][0]["id"])
        self.assertTrue(invoiced.account_move)
        invoiced.account_move._invoice_paid_hook()  # whatever the payment state, the POS counted it
        ledger = self._ledger(self.member, self.company)
        self.assertEqual(set(ledger.mapped("source_model")), {"pos.order"})
        self.assertEqual(len(ledger), 2)
        self.assertEqual(order.state, "paid")

    def test_sale_settled_at_the_till_counts_once(self):
        """pos_sale (auto-installed with POS and sales): a sale order paid at the till counts once."""
        self.assertIn("sale_order_origin_id", self.env["pos.order.line"]._fields, "pos_sale is installed")
        self.open_new_session()
        for mode, counted_through in (("confirm", "sale.order"), ("paid", "pos.order")):
            with self.subTest(mode=mode):
                self.company.member_sale_qualify_on = mode
                partner = self._member_partner(f"Settle {mode}", self.company)
                sale = (
                    self.env["sale.order"]
                    .sudo()
                    .create(  # the POS user of TestPoSCommon is no salesman
                        {
                            "partner_id": partner.id,
                            "order_line": [fields.Command.create({"product_id": self.tea.id, "product_uom_qty": 2})],
                        }
                    )
                )
                sale.action_confirm()
                data = self.create_ui_order_data([(self.tea, 2)], customer=partner)
                data["lines"][0][2].update({"sale_order_origin_id": sale.id, "sale_order_line_id": sale.order_line.id})
                result = self.env["pos.order"].sync_from_ui([data])
                pos_order = self.env["pos.order"].browse(result["pos.order"][0]["id"])
                self.assertEqual(pos_order.lines.sale_order_origin_id, sale, "the till settled the sale order")
                ledger = self._ledger(partner, self.company)
                source = sale if counted_through == "sale.order" else pos_order
                self.assertEqual(ledger.mapped("source_ref"), [source], f"{mode} mode: counted once, through {source}")
                self.assertEqual((ledger.amount, ledger.order_count), (1400.0, 1))

    def test_anonymous_and_disabled_orders_write_nothing(self):
        self.open_new_session()
        self._sync([(self.tea, 1)], False)
        self.company.member_crm_enabled = False
        self._sync([(self.tea, 1)], self.member)
        self.assertFalse(self.env["member.ledger"].search([("company_id", "=", self.company.id)]))

    def _count_sync_queries(self, customer):
        data = self.create_ui_order_data([(self.sample, 1)], customer=customer)
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        self.env["pos.order"].sync_from_ui([data])
        self.env.flush_all()
        return self.env.cr.sql_log_count - before

    def test_query_budget_per_synced_order(self):
        """At most 5 more queries per synced order than with membership off (the hook then does nothing)."""
        self.open_new_session()
        self._count_sync_queries(self.other)  # warm caches (tier rules, registry)
        self._count_sync_queries(self.other)
        with_member = self._count_sync_queries(self.other)
        self.company.member_crm_enabled = False
        self._count_sync_queries(self.other)
        without = self._count_sync_queries(self.other)
        self.assertLessEqual(with_member - without, 5, f"{with_member} queries with the addon, {without} without")
        self.assertGreater(with_member, without, "the ledger was written")
