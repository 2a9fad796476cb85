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
        calls = []
        result = Demo._load_demo_history(
            members=8,
            months=6,
            seed=3,
            end_date=end,
            pos_config=self.config,
            progress=lambda done, total, left: calls.append((done, total, left)),
        )
        self.assertEqual(result, {"partners": 8, "pos_orders": expected_pos, "sale_orders": expected_sale})
        # progress: orders done / total after each batch, and the time left
        total = expected_pos + expected_sale
        self.assertEqual({t for _d, t, _l in calls}, {total})
        self.assertEqual([d for d, _t, _l in calls], sorted(d for d, _t, _l in calls))
        self.assertEqual(calls[-1][0], total)
        self.assertIsNotNone(calls[0][2], "the first batch already tells the time left")
        self.assertEqual(calls[-1][2], 0)

        partners = self.env["res.partner"].search([("ref", "in", [m.key for m in data.members])])
        self.assertEqual(len(partners), 8)
        self.assertTrue(all(partners.mapped("phone")) and all(partners.mapped("birthdate_date")))

        pos_orders = self.env["pos.order"].search([("partner_id", "in", partners.ids)])
        self.assertEqual(len(pos_orders), expected_pos)
        self.assertEqual(set(pos_orders.mapped("state")), {"done"}, "paid, and the session we opened was closed")
        session = pos_orders.session_id
        self.assertEqual(len(session), 1)
        self.assertEqual(session.state, "closed")
        # stock moved once, at the closing (not one picking per order)
        self.assertEqual(len(session.picking_ids), 1)
        self.assertEqual(session.picking_ids.state, "done")
        self.assertFalse(pos_orders.picking_ids)
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

        calls.clear()
        again = Demo._load_demo_history(
            members=8,
            months=6,
            seed=3,
            end_date=end,
            pos_config=self.config,
            progress=lambda done, total, left: calls.append((done, total, left)),
        )
        self.assertEqual(again, {"partners": 0, "pos_orders": 0, "sale_orders": 0})
        self.assertFalse(calls, "nothing to do, nothing to report")

        # the run command then turns membership on and places the demo members
        started = Demo._demo_start_membership(self.env.company, months=6, seed=3, end_date=end)
        memberships = self.env["member.membership"].search([("partner_id", "in", partners.ids)])
        self.assertEqual(len(memberships), 8)
        self.assertTrue(all(memberships.mapped("tier_id")))
        self.assertEqual(started["members"], 8)
        ledger = self.env["member.ledger"].search([("partner_id", "in", partners.ids)])
        self.assertEqual(len(ledger.filtered(lambda e: e.source_model == "pos.order")), expected_pos)

        # each member joined on their generated join date, and shows their last document
        joined = {member.key: day for member, day in zip(data.members, data.joined, strict=True)}
        last = {}
        for order in pos_orders:
            last[order.partner_id] = max(last.get(order.partner_id, order.date_order), order.date_order)
        for invoice in invoices:  # sales count when paid, on their invoice date
            when = dt.datetime.combine(invoice.invoice_date, dt.time())
            last[invoice.partner_id] = max(last.get(invoice.partner_id, when), when)
        for membership in memberships:
            partner = membership.partner_id
            self.assertEqual(membership.member_since, joined[partner.ref], partner.ref)
            self.assertEqual(partner.member_since, joined[partner.ref])
            self.assertEqual(membership.last_qualifying_at, last.get(partner), partner.ref)
        self.assertLess(max(memberships.mapped("member_since")), end - dt.timedelta(days=30))
