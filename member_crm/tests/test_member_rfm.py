"""RFM refresh on real ledgers: literal expected scores, and the same as ``engine.rfm`` member by member.

Company A sells through real sale orders ("confirm" mode: confirmation, cancellation and
credit notes write the ledger), in Shanghai time; company B's entries come from the
ledger's own writer. The clock is frozen: the refresh runs on 2025-06-30 at 17:00 UTC,
which is already 2025-07-01 in Shanghai.
"""

import datetime as dt
import random

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, freeze_time, new_test_user, tagged
from odoo.tools import SQL

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

from ..engine import rfm as engine
from .common import MemberTierMixin

D = dt.date
REFRESH_AT = "2025-06-30 17:00:00"  # UTC: 2025-07-01 01:00 in Shanghai


@tagged("post_install", "-at_install")
class TestMemberRfm(AccountTestInvoicingCommon, MemberTierMixin):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.group_ids |= cls.env.ref("member_crm.group_member_crm_manager") | cls.env.ref(
            "sales_team.group_sale_manager"
        )
        cls.company = cls.company_data["company"]
        cls.company_b = cls.setup_other_company()["company"]
        cls.company.partner_id.tz = "Asia/Shanghai"
        cls.company_b.partner_id.tz = "UTC"
        cls._member_enable(cls.company, member_sale_qualify_on="confirm")
        cls._member_enable(cls.company_b, member_sale_qualify_on="confirm")
        cls.env.user.company_ids |= cls.company_b
        cls.product = cls.env["product.product"].create(
            {
                "name": "Tea Cake",
                "type": "consu",
                "list_price": 100.0,
                "taxes_id": [(5, 0, 0)],
                "invoice_policy": "order",
            }
        )
        # ids in this order: ties are broken by partner id
        names = ["Alice", "Bo", "Chen", "Dong", "Fang", "Gao", "Hu"]
        cls.p = dict(zip(names, cls.env["res.partner"].create([{"name": n} for n in names]), strict=True))
        for name in names:
            cls.p[name].with_company(cls.company).action_member_enroll()
        (cls.p["Alice"] | cls.p["Bo"]).with_company(cls.company_b).action_member_enroll()
        cls.stranger = cls.env["res.partner"].create({"name": "Not a Member"})

        # company A, through real orders (noon UTC is 20:00 in Shanghai: the same day)
        cls._sale(cls.p["Alice"], 2, "2025-06-20")
        cls._sale(cls.p["Alice"], 1, "2025-03-10")
        bo_order = cls._sale(cls.p["Bo"], 10, "2025-06-25")
        cls._credit_note(bo_order, 4, "2025-06-27")  # partial refund: still one order, 600 net
        chen_cancelled = cls._sale(cls.p["Chen"], 5, "2025-06-28")
        with freeze_time("2025-06-29 12:00:00"):
            chen_cancelled._action_cancel()
        cls._sale(cls.p["Chen"], 3, "2025-01-15")
        cls._sale(cls.p["Dong"], 1, "2024-07-01")  # one day before the window (2024-07-02 .. 2025-07-01)
        MemberTierMixin._opening(
            cls, cls.p["Dong"], cls.company, D(2025, 6, 1), 5000.0, orders=5, key=1
        )  # never counts
        cls._sale(cls.p["Fang"], 1, "2025-06-30")
        cls._sale(cls.p["Hu"], 4, "2025-06-01")
        cls._sale(cls.stranger, 9, "2025-06-01")
        # company B, through the ledger's writer
        cls._write(cls.company_b, [(900001, cls.p["Alice"].id, D(2025, 5, 1), "order", 1, None, 700.0)])

    # ------------------------------------------------------------------
    # fixture helpers
    # ------------------------------------------------------------------
    @classmethod
    def _sale(cls, partner, qty, day):
        with freeze_time(f"{day} 12:00:00"):
            order = cls.env["sale.order"].create(
                {
                    "partner_id": partner.id,
                    "order_line": [fields.Command.create({"product_id": cls.product.id, "product_uom_qty": qty})],
                }
            )
            order.action_confirm()
        return order

    @classmethod
    def _credit_note(cls, order, qty, day):
        with freeze_time(f"{day} 12:00:00"):
            invoice = order._create_invoices()
            invoice.action_post()
            reversal = (
                cls.env["account.move.reversal"]
                .with_context(active_model="account.move", active_ids=invoice.ids)
                .create({"journal_id": invoice.journal_id.id, "reason": "returned"})
            )
            credit_note = cls.env["account.move"].browse(reversal.refund_moves()["res_id"])
            with Form(credit_note) as form, form.invoice_line_ids.edit(0) as line:
                line.quantity = qty
            credit_note.action_post()
        return credit_note

    @classmethod
    def _write(cls, company, rows):
        """Ledger entries through the ledger's writer: (source id, partner id, date, kind, orders, reverses, amount)."""
        values = SQL(", ").join(
            SQL(
                "(%s, %s, %s, %s::date, %s, %s, %s::int, NULL::int, NULL::int, NULL::int, %s::numeric)",
                src,
                partner_id,
                company.id,
                day,
                kind,
                count,
                refund_of,
                amount,
            )
            for src, partner_id, day, kind, count, refund_of, amount in rows
        )
        select = SQL(
            """SELECT * FROM (VALUES %s) AS v(src_id, partner_id, company_id, date, kind, order_count, refund_of_id,
                                              pos_config_id, team_id, categ_id, amount)""",
            values,
        )
        return cls.env["member.ledger"]._member_insert("res.partner", select, check=False)

    def _refresh(self, companies=None):
        with freeze_time(REFRESH_AT):
            return self.env["member.rfm"]._member_rfm_refresh(companies or (self.company | self.company_b))

    def _rows(self, company):
        rows = self.env["member.rfm"].search([("company_id", "=", company.id)])
        return {
            row.partner_id.id: (
                row.recency_days if row.last_order_date else None,
                row.frequency,
                row.monetary,
                row.r_score or None,
                row.f_score or None,
                row.m_score or None,
                row.segment,
            )
            for row in rows
        }

    def _engine(self, company, today):
        """The engine's results on the company's ledger, read with the ORM, for its active members."""
        members = self.env["member.membership"].search([("company_id", "=", company.id), ("state", "=", "active")])
        ledgers = {partner_id: [] for partner_id in members.partner_id.ids}
        for entry in self.env["member.ledger"].search([("company_id", "=", company.id)]):
            if entry.partner_id.id in ledgers:
                ledgers[entry.partner_id.id].append(
                    engine.Entry(entry.date, entry.kind, entry.order_count, entry.amount)
                )
        return {
            partner_id: (
                result.measures.recency_days,
                result.measures.frequency,
                float(result.measures.monetary),
                result.r_score,
                result.f_score,
                result.m_score,
                result.segment,
            )
            for partner_id, result in engine.rfm(ledgers, today).items()
        }

    # ------------------------------------------------------------------
    # tests
    # ------------------------------------------------------------------
    def test_scores_literal_and_equal_to_the_engine(self):
        self.assertEqual(
            sorted(self._ledger(self.p["Bo"], self.company).mapped(lambda e: (e.kind, e.amount, e.order_count))),
            [("order", 1000.0, 1), ("refund", -400.0, 0)],
            "the credit note is a refund of the order",
        )
        self.assertEqual(
            sorted(self._ledger(self.p["Chen"], self.company).mapped(lambda e: (e.kind, e.amount, e.order_count))),
            [("cancel", -500.0, -1), ("order", 300.0, 1), ("order", 500.0, 1)],
        )
        done = self._refresh()
        self.assertEqual(done, {self.company.id: (7, 0), self.company_b.id: (2, 0)})
        p = {name: partner.id for name, partner in self.p.items()}
        # A, 5 scored members (n = 5; ceil(5 * rank / 5) = rank), today 2025-07-01 in Shanghai:
        # R worst first: Chen (Jan 15: 167 d), Hu (Jun 1: 30), Alice (Jun 20: 11), Bo (Jun 25: 6), Fang (Jun 30: 1)
        # F worst first: Bo, Chen, Fang, Hu (1 order each, by id), Alice (2)
        # M worst first: Fang (100), Alice (300), Chen (300, higher id), Hu (400), Bo (600)
        expected_a = {
            p["Alice"]: (11, 2, 300.0, 3, 5, 2, "general_value"),
            p["Bo"]: (6, 1, 600.0, 4, 1, 5, "important_development"),
            p["Chen"]: (167, 1, 300.0, 1, 2, 3, "important_winback"),
            p["Dong"]: (365, 0, 0.0, None, None, None, "inactive"),
            p["Fang"]: (1, 1, 100.0, 5, 3, 1, "general_value"),
            p["Gao"]: (None, 0, 0.0, None, None, None, "inactive"),
            p["Hu"]: (30, 1, 400.0, 2, 4, 4, "important_retention"),
        }
        self.assertEqual(self._rows(self.company), expected_a)
        self.assertEqual(self._engine(self.company, D(2025, 7, 1)), expected_a)
        # B (UTC: 2025-06-30), one scored member: n = 1, every score 5; A's orders do not count in B
        expected_b = {
            p["Alice"]: (60, 1, 700.0, 5, 5, 5, "important_value"),
            p["Bo"]: (None, 0, 0.0, None, None, None, "inactive"),
        }
        self.assertEqual(self._rows(self.company_b), expected_b)
        self.assertEqual(self._engine(self.company_b, D(2025, 6, 30)), expected_b)
        self.assertEqual(set(self.env["member.rfm"].search([]).mapped("date")), {D(2025, 7, 1), D(2025, 6, 30)})
        self.assertFalse(self.env["member.rfm"].search([("partner_id", "=", self.stranger.id)]), "not a member")
        # the same day again: nothing to rewrite
        self.assertEqual(self._refresh(), {self.company.id: (0, 0), self.company_b.id: (0, 0)})

    def test_partner_segment_field_and_search_per_company(self):
        self._refresh()
        Partner = self.env["res.partner"].with_company(self.company)
        alice = self.p["Alice"]
        self.assertEqual(alice.with_company(self.company).member_rfm_segment, "general_value")
        self.assertEqual(alice.with_company(self.company_b).member_rfm_segment, "important_value")
        self.assertEqual(
            (alice.with_company(self.company).member_rfm_r_score, alice.with_company(self.company).member_rfm_m_score),
            (3, 2),
        )
        self.assertFalse(self.stranger.with_company(self.company).member_rfm_segment)
        scope = [("id", "in", [q.id for q in self.p.values()] + [self.stranger.id])]
        names = lambda domain, env=Partner: sorted(env.search(scope + domain).mapped("name"))
        self.assertEqual(names([("member_rfm_segment", "=", "general_value")]), ["Alice", "Fang"])
        self.assertEqual(
            names([("member_rfm_segment", "in", ["important_development", "important_retention"])]), ["Bo", "Hu"]
        )
        self.assertEqual(names([("member_rfm_segment", "=", "inactive")]), ["Dong", "Gao"])
        self.assertEqual(names([("member_rfm_segment", "=", False)]), ["Not a Member"])
        self.assertEqual(
            names([("member_rfm_segment", "not in", ["general_value", "inactive"])]),
            ["Bo", "Chen", "Hu", "Not a Member"],
        )
        in_b = self.env["res.partner"].with_company(self.company_b)
        self.assertEqual(names([("member_rfm_segment", "=", "important_value")], in_b), ["Alice"])
        self.assertEqual(names([("member_rfm_segment", "=", "inactive")], in_b), ["Bo"])

    def test_left_member_row_goes_and_new_orders_move_the_scores(self):
        self._refresh()
        self.assertIn(self.p["Gao"].id, self._rows(self.company))
        self._membership(self.p["Gao"], self.company).state = "left"
        self._sale(self.p["Dong"], 50, "2025-06-29")  # Dong comes back with the biggest basket
        done = self._refresh(self.company)
        self.assertEqual(done[self.company.id][1], 1, "Gao's row deleted")
        rows = self._rows(self.company)
        self.assertNotIn(self.p["Gao"].id, rows)
        # n = 6 now: score = ceil(5 * rank / 6) -> ranks 1..6 give 1, 2, 3, 4, 5, 5
        # R: Chen, Hu, Alice, Bo, Dong (Jun 29: 2 d), Fang; F: Bo, Chen, Dong, Fang, Hu, Alice; M: Fang, Alice,
        # Chen, Hu, Bo, Dong
        self.assertEqual(rows[self.p["Dong"].id], (2, 1, 5000.0, 5, 3, 5, "important_value"))
        self.assertEqual(rows[self.p["Chen"].id], (167, 1, 300.0, 1, 2, 3, "important_winback"))
        self.assertEqual(rows, self._engine(self.company, D(2025, 7, 1)))

    def test_random_ledgers_equal_the_engine(self):
        rng = random.Random(14)
        partners = self.env["res.partner"].create([{"name": f"RFM {i}"} for i in range(60)])
        partners.with_company(self.company).action_member_enroll()
        src = 500000
        orders = []
        for partner in partners:
            for _i in range(rng.choice([0, 0, 1, 2, 3, 5])):
                src += 1
                day = D(2025, 7, 1) - dt.timedelta(days=rng.choice([0, 1, 5, 30, 90, 200, 364, 365, 366, 700]))
                amount = rng.choice([50.0, 100.0, 100.0, 250.5, 1000.0])
                orders.append((src, partner.id, day, "order", 1, None, amount))
        inserted = self._write(self.company, orders)
        ledger_ids = {source_id: ledger_id for ledger_id, _p, _c, source_id in inserted}
        reversals = []
        for row in orders:
            action = rng.choice(["keep", "keep", "keep", "refund_part", "refund_all", "cancel"])
            source_id, partner_id, day, _kind, _count, _ref, amount = row
            if action == "cancel":
                reversals.append((source_id, partner_id, day, "cancel", -1, ledger_ids[source_id], -amount))
            elif action.startswith("refund"):
                src += 1
                part = amount if action == "refund_all" else round(amount / 2, 2)
                reversals.append((src, partner_id, day, "refund", 0, ledger_ids[source_id], -part))
        self._write(self.company, reversals)
        for partner in partners[:5]:  # openings and corrections never count
            self._opening(partner, self.company, D(2025, 6, 30), 99999.0, orders=9)
        self._refresh(self.company)
        ours, reference = self._rows(self.company), self._engine(self.company, D(2025, 7, 1))
        self.assertEqual(ours, reference)
        scored = [row for row in ours.values() if row[3]]
        self.assertGreater(len(scored), 20)
        self.assertEqual(max(r[3] for r in scored), 5)

    # ------------------------------------------------------------------
    # access
    # ------------------------------------------------------------------
    def test_nobody_writes_scores_and_cashiers_read_none(self):
        self._refresh()
        row = self.env["member.rfm"].search(
            [("partner_id", "=", self.p["Alice"].id), ("company_id", "=", self.company.id)]
        )
        users = {
            login: new_test_user(self.env, login=f"rfm_{login}", groups=groups, company_id=self.company.id)
            for login, groups in (
                ("member_user", "member_crm.group_member_crm_user"),
                ("marketing", "member_crm.group_member_crm_marketing"),
                ("auditor", "member_crm.group_member_crm_accountant"),
                ("manager", "member_crm.group_member_crm_manager"),
                ("cashier", "base.group_user,point_of_sale.group_pos_user"),
            )
        }
        for login in ("member_user", "marketing", "auditor", "manager"):
            user = users[login]
            with self.subTest(login=login):
                self.assertEqual(row.with_user(user).segment, "general_value", "members' roles read the scores")
                with self.assertRaises(AccessError):
                    row.with_user(user).write({"segment": "important_value", "r_score": 5})
                with self.assertRaises(AccessError):
                    self.env["member.rfm"].with_user(user).create(
                        {"membership_id": row.membership_id.id, "partner_id": row.partner_id.id}
                    )
                with self.assertRaises(AccessError):
                    row.with_user(user).unlink()
        cashier = users["cashier"]
        with self.assertRaises(AccessError):
            self.env["member.rfm"].with_user(cashier).search_read([], ["segment"])
        with self.assertRaises(AccessError):
            self.p["Alice"].with_user(cashier).read(["member_rfm_segment"])
        # even sudo: only the refresh writes, in SQL
        with self.assertRaises(UserError):
            row.sudo().write({"segment": "important_value"})
        with self.assertRaises(UserError):
            self.env["member.rfm"].sudo().create({"membership_id": row.membership_id.id})
        self.env.invalidate_all()
        self.assertEqual(row.segment, "general_value")

    def test_multi_company_rule(self):
        self._refresh()
        user_b = new_test_user(
            self.env,
            login="rfm_user_b",
            groups="member_crm.group_member_crm_user",
            company_id=self.company_b.id,
            company_ids=[(6, 0, self.company_b.ids)],
        )
        visible = self.env["member.rfm"].with_user(user_b).search([])
        self.assertEqual(set(visible.company_id.ids), {self.company_b.id})
        self.assertEqual(len(visible), 2)
        row_a = self.env["member.rfm"].search([("company_id", "=", self.company.id)], limit=1)
        with self.assertRaises(AccessError):
            row_a.with_user(user_b).read(["segment"])
