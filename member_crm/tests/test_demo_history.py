import datetime as dt

from odoo.tests import tagged

from odoo.addons.point_of_sale.tests.common import TestPoSCommon

from ..engine import demo_data


@tagged("post_install", "-at_install")
class TestDemoHistory(TestPoSCommon):
    """The run command's demo history goes through Odoo's real order flow."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.config = cls.basic_config
        # The loader sells at the till and through sales, and writes birth
        # dates (personal data of member users only): an administrator's rights.
        cls.env.user.group_ids |= cls.env.ref("member_crm.group_member_crm_manager") | cls.env.ref(
            "sales_team.group_sale_manager"
        )

    def test_history_through_real_flow_and_idempotent(self):
        end = dt.date(2026, 6, 30)
        data = demo_data.generate(members=8, months=6, end=end, seed=3)
        expected_pos = sum(1 for o in data.orders if o.channel == "pos")
        expected_sale = sum(1 for o in data.orders if o.channel == "sale")
        self.assertTrue(expected_pos and expected_sale, "the seed must give both channels")

        Demo = self.env["member.crm.demo"]
        result = Demo._load_demo_history(members=8, months=6, seed=3, end_date=end, pos_config=self.config)
        self.assertEqual(result, {"partners": 8, "pos_orders": expected_pos, "sale_orders": expected_sale})

        partners = self.env["res.partner"].search([("ref", "in", [m.key for m in data.members])])
        self.assertEqual(len(partners), 8)
        self.assertTrue(all(partners.mapped("phone")) and all(partners.mapped("birthdate_date")))

        pos_orders = self.env["pos.order"].search([("partner_id", "in", partners.ids)])
        self.assertEqual(len(pos_orders), expected_pos)
        self.assertEqual(set(pos_orders.mapped("state")), {"done"}, "paid, and the session we opened was closed")
        window_start = dt.datetime(2025, 12, 28)
        self.assertTrue(all(window_start <= d < dt.datetime(2026, 6, 30) for d in pos_orders.mapped("date_order")))
        first = min(data.orders, key=lambda o: (o.channel != "pos", o.date))
        first_order = pos_orders.filtered(lambda o: o.uuid == first.uuid)
        self.assertAlmostEqual(first_order.amount_total - first_order.amount_tax, first.untaxed_amount(), places=2)

        sale_orders = self.env["sale.order"].search([("partner_id", "in", partners.ids)])
        self.assertEqual(len(sale_orders), expected_sale)
        self.assertEqual(set(sale_orders.mapped("state")), {"sale"})
        invoices = sale_orders.invoice_ids
        self.assertEqual(len(invoices), expected_sale)
        self.assertEqual(set(invoices.mapped("state")), {"posted"})
        self.assertTrue(set(invoices.mapped("payment_state")) <= {"paid", "in_payment"})
        for order in sale_orders:
            self.assertEqual(order.invoice_ids.invoice_date, order.date_order.date())

        again = Demo._load_demo_history(members=8, months=6, seed=3, end_date=end, pos_config=self.config)
        self.assertEqual(again, {"partners": 0, "pos_orders": 0, "sale_orders": 0})

        # the run command then turns membership on and places the demo members
        started = Demo._demo_start_membership(self.env.company)
        memberships = self.env["member.membership"].search([("partner_id", "in", partners.ids)])
        self.assertEqual(len(memberships), 8)
        self.assertTrue(all(memberships.mapped("tier_id")))
        self.assertEqual(started["members"], 8)
        ledger = self.env["member.ledger"].search([("partner_id", "in", partners.ids)])
        self.assertEqual(len(ledger.filtered(lambda e: e.source_model == "pos.order")), expected_pos)
