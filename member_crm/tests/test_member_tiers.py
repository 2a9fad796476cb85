import datetime as dt

from odoo import fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, new_test_user, tagged

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

from ..engine import tiers as engine
from .common import MemberTierMixin

D = dt.date


@tagged("post_install", "-at_install")
class TestMemberTiers(AccountTestInvoicingCommon, MemberTierMixin):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.group_ids |= cls.env.ref("member_crm.group_member_crm_manager") | cls.env.ref(
            "sales_team.group_sale_manager"
        )
        cls.company = cls.company_data["company"]
        cls.company_data_2 = cls.setup_other_company()
        cls.tiers = cls._member_enable(cls.company)
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
        cls.today = fields.Date.today()

    # ------------------------------------------------------------------
    # enrolment
    # ------------------------------------------------------------------
    def test_enrol_ways_and_numbers(self):
        a, b = self.env["res.partner"].create([{"name": "A"}, {"name": "B"}])
        a.is_member = True  # writing is_member enrols
        b.action_member_enroll()
        memberships = self._membership(a, self.company) | self._membership(b, self.company)
        self.assertEqual(len(set(memberships.mapped("number"))), 2)
        self.assertTrue(all(n.startswith("M") for n in memberships.mapped("number")))
        self.assertTrue(a.is_member and b.is_member)
        self.assertIn(a, self.env["res.partner"].search([("is_member", "=", True)]))
        self.assertIn(a, self.env["res.partner"].search([("member_number", "=", a.member_number)]))
        a.is_member = False
        self.assertEqual(self._membership(a, self.company).state, "left")
        self.assertNotIn(a, self.env["res.partner"].search([("is_member", "=", True)]))

    def test_enrolment_places_on_earned_tier(self):
        partner = self.env["res.partner"].create({"name": "Late Joiner"})
        self._opening(partner, self.company, self.today, 9000.0, orders=7)
        partner.action_member_enroll()
        self.assertEqual(partner.member_tier_id, self.tiers["PLAT"])

    # ------------------------------------------------------------------
    # sales
    # ------------------------------------------------------------------
    def _sale(self, qty, partner=None):
        order = self.env["sale.order"].create(
            {
                "partner_id": (partner or self.member).id,
                "order_line": [fields.Command.create({"product_id": self.product.id, "product_uom_qty": qty})],
            }
        )
        order.action_confirm()
        return order

    def _invoice_and_pay(self, order):
        invoice = order._create_invoices()
        invoice.action_post()
        self.env["account.payment.register"].with_context(active_model="account.move", active_ids=invoice.ids).create(
            {}
        )._create_payments()
        return invoice

    def test_paid_mode_counts_the_paid_invoice(self):
        order = self._sale(3)
        self.assertFalse(self._ledger(self.member, self.company), "paid mode: confirmation does not count")
        invoice = self._invoice_and_pay(order)
        ledger = self._ledger(self.member, self.company)
        self.assertEqual((ledger.source_ref, ledger.amount, ledger.order_count), (invoice, 3000.0, 1))
        self.assertEqual(self.member.member_tier_id, self.tiers["STD"], "3,000 in 1 order: orders missing")
        invoice._invoice_paid_hook()  # fires again (in_payment, then paid): counted once
        self.assertEqual(len(self._ledger(self.member, self.company)), 1)
        for _i in range(2):
            self._invoice_and_pay(self._sale(1))
        self.assertEqual(self.member.member_tier_id, self.tiers["GOLD"])
        # a credit note, once paid, takes back part of the first invoice
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"journal_id": invoice.journal_id.id, "reason": "broken"})
        )
        credit_note = self.env["account.move"].browse(reversal.refund_moves()["res_id"])
        with Form(credit_note) as form, form.invoice_line_ids.edit(0) as line:
            line.quantity = 1
        credit_note.action_post()
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=credit_note.ids
        ).create({})._create_payments()
        refund = self._ledger(self.member, self.company).filtered(lambda e: e.kind == "refund")
        self.assertEqual((refund.amount, refund.order_count, refund.date), (-1000.0, 0, invoice.invoice_date))
        membership = self._membership(self.member, self.company)
        self.assertEqual((membership.qualify_spend, membership.qualify_orders), (4000.0, 3))

    def test_confirm_mode_counts_the_order_and_takes_back_cancellation(self):
        self.company.member_sale_qualify_on = "confirm"
        orders = [self._sale(1) for _i in range(3)]
        self.assertEqual(self.member.member_tier_id, self.tiers["GOLD"], "3 orders, 3,000: Gold at confirmation")
        history = self._membership(self.member, self.company).history_ids.filtered(lambda h: h.trigger == "order")
        self.assertEqual(history.source_ref, orders[-1])
        orders[0]._action_cancel()
        cancel = self._ledger(self.member, self.company).filtered(lambda e: e.kind == "cancel")
        self.assertEqual((cancel.amount, cancel.order_count), (-1000.0, -1))
        self.assertEqual(self.member.member_tier_id, self.tiers["GOLD"], "never down outside the review")
        # set back to quotation and confirmed again: counts again, as a new revision; cancelled again: taken back
        orders[0].action_draft()
        orders[0].action_confirm()
        orders[0]._action_cancel()
        orders[0]._action_cancel()  # twice: taken back once
        entries = self._ledger(self.member, self.company).filtered(lambda e: e.source_ref == orders[0])
        self.assertEqual(
            sorted((e.kind, e.revision, e.amount, e.order_count) for e in entries),
            [("cancel", 0, -1000.0, -1), ("cancel", 1, -1000.0, -1), ("order", 0, 1000.0, 1), ("order", 1, 1000.0, 1)],
        )
        membership = self._membership(self.member, self.company)
        self.assertEqual((membership.qualify_spend, membership.qualify_orders), (2000.0, 2))

    def test_paid_invoice_reset_to_draft_stops_counting(self):
        invoice = self._invoice_and_pay(self._sale(3))
        membership = self._membership(self.member, self.company)
        self.assertEqual((membership.qualify_spend, membership.qualify_orders), (3000.0, 1))
        invoice.button_draft()
        self.assertEqual((membership.qualify_spend, membership.qualify_orders), (0.0, 0), "a draft invoice is no sale")
        invoice.action_post()
        self.assertIn(invoice.payment_state, ("paid", "in_payment"), "Odoo 19 keeps the payment over a reset")
        self.assertEqual((membership.qualify_spend, membership.qualify_orders), (3000.0, 1), "posted again: counts")
        invoice.button_cancel()
        self.assertEqual((membership.qualify_spend, membership.qualify_orders), (0.0, 0), "cancelled: never counts")
        kinds = sorted((e.kind, e.revision) for e in self._ledger(self.member, self.company))
        self.assertEqual(kinds, [("cancel", 0), ("cancel", 1), ("order", 0), ("order", 1)])

    def _credit_note(self, invoice, quantity=None):
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"journal_id": invoice.journal_id.id, "reason": "returned"})
        )
        credit_note = self.env["account.move"].browse(reversal.refund_moves()["res_id"])
        if quantity is not None:
            with Form(credit_note) as form, form.invoice_line_ids.edit(0) as line:
                line.quantity = quantity
        credit_note.action_post()
        return credit_note

    def test_paid_credit_note_reset_to_draft_is_taken_back(self):
        invoice = self._invoice_and_pay(self._sale(3))
        membership = self._membership(self.member, self.company)
        credit_note = self._credit_note(invoice)
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=credit_note.ids
        ).create({})._create_payments()
        self.assertEqual((membership.qualify_spend, membership.qualify_orders), (0.0, 0), "refunded in full")
        credit_note.button_draft()
        self.assertEqual(
            (membership.qualify_spend, membership.qualify_orders), (3000.0, 1), "a draft credit note refunds nothing"
        )
        credit_note.action_post()
        self.assertIn(credit_note.payment_state, ("paid", "in_payment"))
        self.assertEqual((membership.qualify_spend, membership.qualify_orders), (0.0, 0), "posted again: counts")
        credit_note.button_cancel()
        self.assertEqual((membership.qualify_spend, membership.qualify_orders), (3000.0, 1), "cancelled: never counts")
        entries = self._ledger(self.member, self.company).filtered(lambda e: e.source_ref == credit_note)
        self.assertEqual(
            sorted((e.kind, e.revision, e.amount, e.order_count, e.date) for e in entries),
            [
                ("cancel", 0, 3000.0, 1, invoice.invoice_date),
                ("cancel", 1, 3000.0, 1, invoice.invoice_date),
                ("refund", 0, -3000.0, -1, invoice.invoice_date),
                ("refund", 1, -3000.0, -1, invoice.invoice_date),
            ],
            "each time taken back whole, on the original's date",
        )
        self.assertEqual(
            entries.filtered(lambda e: e.kind == "cancel").line_ids.mapped("amount"), [3000.0, 3000.0], "by category"
        )

    def test_confirm_mode_credit_note_reset_to_draft_is_taken_back(self):
        self.company.member_sale_qualify_on = "confirm"
        order = self._sale(3)
        invoice = order._create_invoices()
        invoice.action_post()
        membership = self._membership(self.member, self.company)
        credit_note = self._credit_note(invoice, quantity=1)
        self.assertEqual((membership.qualify_spend, membership.qualify_orders), (2000.0, 1), "posted: counts")
        credit_note.button_draft()
        self.assertEqual((membership.qualify_spend, membership.qualify_orders), (3000.0, 1), "draft: taken back")
        credit_note.action_post()
        self.assertEqual((membership.qualify_spend, membership.qualify_orders), (2000.0, 1), "posted again")

    # ------------------------------------------------------------------
    # configuration
    # ------------------------------------------------------------------
    def test_invalid_configuration_is_refused(self):
        cases = [
            (self.tiers["PLAT"], {"min_spend": 1000.0}, "must ask for more"),
            (self.tiers["GOLD"], {"min_orders": -1}, "negative"),
            (self.tiers["PLAT"], {"level": self.tiers["GOLD"].level}, "same level"),
            (self.company, {"member_window_months": 0}, "at least one month"),
        ]
        for record, values, message in cases:
            with self.subTest(values=values), self.assertRaisesRegex(ValidationError, message):
                record.write(values)
            self.env.invalidate_all(flush=False)  # drop the refused value the cache still holds
        # an invitation-only tier is left out of the checks
        self.tiers["HON"].min_spend = 1.0
        self.assertEqual(self.tiers["PLAT"].min_spend, 8000.0)

    # ------------------------------------------------------------------
    # review
    # ------------------------------------------------------------------
    def _place(self, partner, tier, day):
        membership = self._membership(partner, self.company)
        self.env["member.membership"]._member_apply_changes(
            [(membership.id, membership.tier_id.id, tier.id)], "manual", as_of=day
        )
        return membership

    def test_review_keep_rule_then_grace_then_one_level(self):
        start = self.today - dt.timedelta(days=400)
        membership = self._place(self.member, self.tiers["DIA"], start)  # kept 6 months: long over
        self._opening(self.member, self.company, self.today - dt.timedelta(days=5), 2500.0, orders=4, key=1)
        Membership = self.env["member.membership"]
        keeper = self._member_partner("Protected", self.company)
        kept = self._place(keeper, self.tiers["PLAT"], self.today - dt.timedelta(days=10))

        Membership._member_review_run(as_of=self.today)
        self.assertEqual(membership.tier_id, self.tiers["DIA"])
        self.assertEqual(membership.grace_since, self.today, "notified of the coming drop")
        self.assertEqual(kept.tier_id, self.tiers["PLAT"])
        self.assertFalse(kept.grace_since, "protected: not even notified")
        mail = self.env["mail.mail"].search([("model", "=", "member.membership"), ("res_id", "=", membership.id)])
        self.assertTrue(mail, "a notice is queued")

        Membership._member_review_run(as_of=self.today + dt.timedelta(days=10))
        self.assertEqual(membership.tier_id, self.tiers["DIA"], "grace: still Diamond")
        Membership._member_review_run(as_of=self.today + dt.timedelta(days=30))
        self.assertEqual(membership.tier_id, self.tiers["PLAT"], "drops one level only, not to Gold")
        reviews = membership.history_ids.filtered(lambda h: h.trigger == "review").sorted("id")
        dia, plat = self.tiers["DIA"], self.tiers["PLAT"]
        self.assertEqual(
            [(h.direction, h.from_tier_id, h.to_tier_id) for h in reviews],
            [("grace_start", dia, dia), ("grace_end", dia, dia), ("down", dia, plat)],
            "the grace starts at the notice and ends with the drop",
        )
        self.assertFalse(membership.grace_since)

    def test_review_crash_resumes_to_the_same_state(self):
        partners = [self._member_partner(f"Crash {i}", self.company) for i in range(5)]
        for i, partner in enumerate(partners):
            self._opening(partner, self.company, self.today, 2000.0 * (i + 1), orders=3 + 3 * i, key=100 + i)
        memberships = self.env["member.membership"].search([("partner_id", "in", [p.id for p in partners])])
        # undo the instant upgrades: the review must do them
        self.env["member.membership"]._member_apply_changes(
            [(m.id, m.tier_id.id, self.tiers["STD"].id) for m in memberships if m.tier_id != self.tiers["STD"]],
            "manual",
        )
        expected = {}
        rules = self.env["member.tier"]._member_rules(self.company.id)
        for i, partner in enumerate(partners):
            expected[partner.id] = engine.qualified_tier(rules, engine.Qualification(2000.0 * (i + 1), 3 + 3 * i)).key
        Membership = self.env["member.membership"]
        Membership._member_review_run(as_of=self.today, batch_size=2, max_batches=1)  # first batch "committed"
        marker = self.env["ir.config_parameter"].get_param("member_crm.review_marker")
        self.assertTrue(marker)
        with self.assertRaises(RuntimeError), self.env.cr.savepoint():  # the second batch dies half way
            Membership._member_review_run(batch_size=2, max_batches=1)
            raise RuntimeError("crash")
        self.env.invalidate_all()
        self.assertEqual(self.env["ir.config_parameter"].get_param("member_crm.review_marker"), marker)
        Membership._member_review_run(batch_size=2)  # the next run resumes
        self.assertFalse(self.env["ir.config_parameter"].get_param("member_crm.review_marker"))
        for partner in partners:
            self.assertEqual(self._membership(partner, self.company).tier_id.id, expected[partner.id], partner.name)
        reviews = self.env["member.tier.history"].search(
            [("partner_id", "in", [p.id for p in partners]), ("trigger", "=", "review")]
        )
        moved = [p for p in partners if expected[p.id] != self.tiers["STD"].id]
        self.assertEqual(len(reviews), len(moved), "one history line per change, none twice")

    # ------------------------------------------------------------------
    # manual change, multi-company
    # ------------------------------------------------------------------
    def test_manual_change_needs_manager_and_reason(self):
        membership = self._membership(self.member, self.company)
        wizard = self.env["member.tier.change"].create(
            {"membership_ids": [(6, 0, membership.ids)], "tier_id": self.tiers["HON"].id, "reason": "Founder"}
        )
        wizard.action_apply()
        self.assertEqual(membership.tier_id, self.tiers["HON"])
        line = membership.history_ids.filtered(lambda h: h.trigger == "manual")
        self.assertEqual((line.reason, line.user_id), ("Founder", self.env.user))
        self.env["member.membership"]._member_review_run(as_of=self.today + dt.timedelta(days=999))
        self.assertEqual(membership.tier_id, self.tiers["HON"], "the review never touches an invitation-only tier")
        officer = new_test_user(self.env, login="member_officer_x", groups="member_crm.group_member_crm_officer")
        with self.assertRaises(AccessError):
            self.env["member.tier.change"].with_user(officer).create(
                {"membership_ids": [(6, 0, membership.ids)], "tier_id": self.tiers["STD"].id, "reason": "x"}
            )

    def test_multi_company_isolation(self):
        company2 = self.company_data_2["company"]
        tiers2 = self._member_enable(company2)
        self.member.with_company(company2).action_member_enroll()
        self._opening(self.member, self.company, self.today, 60000.0, orders=20, key=7)
        self.assertEqual(self.member.with_company(self.company).member_tier_id, self.tiers["BLACK"])
        self.assertEqual(self.member.with_company(company2).member_tier_id, tiers2["STD"], "company 2 ledger is empty")
        user2 = new_test_user(
            self.env,
            login="member_user_c2",
            groups="member_crm.group_member_crm_officer",
            company_id=company2.id,
            company_ids=[(6, 0, company2.ids)],
        )
        visible = self.env["member.membership"].with_user(user2).search([("partner_id", "=", self.member.id)])
        self.assertEqual(visible.company_id, company2)
        self.assertFalse(self.env["member.ledger"].with_user(user2).search([("partner_id", "=", self.member.id)]))
        self.assertFalse(self.env["member.tier"].with_user(user2).search([("company_id", "=", self.company.id)]))

    # ------------------------------------------------------------------
    # simulation and backfill
    # ------------------------------------------------------------------
    def test_simulation_numbers_equal_apply(self):
        self.company.member_sale_qualify_on = "confirm"
        self.company.member_crm_enabled = False  # years of history made before membership
        buyers = self.env["res.partner"].create([{"name": f"Buyer {i}"} for i in range(4)])
        for i, buyer in enumerate(buyers):
            for _n in range(i * 3):
                self._sale(1 + i, buyer)
        self.company.member_crm_enabled = True
        buyers.with_company(self.company).action_member_enroll()
        self.assertEqual(set(buyers.mapped("member_tier_id")), {self.tiers["STD"]}, "no ledger yet")
        wizard = self.env["member.tier.simulation"].create({"company_id": self.company.id})
        wizard.action_simulate()
        self.assertFalse(
            self.env["member.ledger"].search([("partner_id", "in", buyers.ids)]), "simulating writes nothing"
        )
        simulated = {(m.membership_id.partner_id.id, m.to_tier_id.id) for m in wizard.move_ids}
        counts = (wizard.count_up, wizard.count_down, wizard.count_stay)
        self.assertGreaterEqual(wizard.count_up, 2)
        wizard.action_apply()
        self.assertEqual((wizard.count_up, wizard.count_down, wizard.count_stay), counts)
        applied = {(p.id, p.member_tier_id.id) for p in buyers if p.member_tier_id != self.tiers["STD"]}
        self.assertEqual(applied, {pair for pair in simulated if pair[0] in buyers.ids})
        self.assertEqual(buyers[3].member_tier_id, self.tiers["PLAT"], "9 orders of 4,000: Platinum")
        self.assertEqual(len(self.env["member.ledger"].search([("partner_id", "in", buyers.ids)])), 18)

    def test_simulation_applies_a_ladder_raised_past_the_old_one(self):
        """Gold raised above today's Platinum: valid as a whole, invalid half-way through the writes."""
        wizard = self.env["member.tier.simulation"].create({"company_id": self.company.id})
        raised = {"GOLD": 10000.0, "PLAT": 20000.0, "DIA": 30000.0, "BLACK": 60000.0}
        for line in wizard.line_ids:
            if line.tier_id.code in raised:
                line.min_spend = raised[line.tier_id.code]
        wizard.action_apply()
        self.assertEqual({code: self.tiers[code].min_spend for code in raised}, raised)
        wizard = self.env["member.tier.simulation"].create({"company_id": self.company.id})
        wizard.line_ids.filtered(lambda line: line.tier_id.code == "PLAT").min_spend = 5000.0  # below Gold
        with self.assertRaisesRegex(ValidationError, "must ask for more"):
            wizard.action_apply()

    def test_auto_enrol_on_first_order_and_category_criterion(self):
        tea = self.env["product.category"].create({"name": "Tea"})
        green = self.env["product.category"].create({"name": "Green", "parent_id": tea.id})
        self.product.categ_id = green
        # purchase type on every rule-based tier above Standard, top down so each step is a valid ladder
        for code, amount in (("BLACK", 60000.0), ("DIA", 25000.0), ("PLAT", 9000.0), ("GOLD", 2500.0)):
            self.tiers[code].write({"category_ids": [(6, 0, tea.ids)], "min_category_spend": amount})
        self.company.write({"member_sale_qualify_on": "confirm", "member_auto_enroll": True})
        walk_in = self.env["res.partner"].create({"name": "Walk In"})
        self.assertFalse(walk_in.is_member)
        self._sale(3, walk_in)  # 3,000 in Green, a child of Tea: still one order
        membership = self._membership(walk_in, self.company)
        self.assertEqual(membership.state, "active", "enrolled by the first qualifying order")
        self.assertEqual(membership.tier_id, self.tiers["STD"], "1 order: Gold needs 3")
        self._sale(1, walk_in)
        self._sale(1, walk_in)
        self.assertEqual(membership.tier_id, self.tiers["GOLD"], "5,000, 3 orders, 5,000 in Tea and below")
        self.assertTrue(membership.history_ids.filtered(lambda h: h.trigger == "order"))
        self.tiers["GOLD"].min_category_spend = 6000.0
        self.env["member.membership"]._member_review_run(as_of=self.today)
        self.assertEqual(membership.tier_id, self.tiers["GOLD"], "kept: protected after reaching it")
        self.assertFalse(membership.grace_since, "protected members are not even notified")
