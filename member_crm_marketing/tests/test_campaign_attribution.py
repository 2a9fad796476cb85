import datetime

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.addons.member_crm.tests.common import MemberTierMixin

UTC = datetime.datetime


class CampaignAttributionCommon(AccountTestInvoicingCommon, MemberTierMixin):
    """The acceptance fixture (the orders are made by ``_fixture_orders``).

    Company in Shanghai (UTC+8), sales qualify on confirmation. Campaign 1 (C1) is sent on
    2 March by email, campaign 2 (C2) on 5 March by SMS; times are 04:00 UTC (noon local). Alice and Bob get
    both, Dan C1 only; Carol is C1's holdout. C1 costs 50 + 2 per message, C2 1 per message.

    - Alice: 6 March, 2 x 500 with C1's coupon (10 %: -100), then one unit credited (-500):
      coupon first (C1, although C2 wrote later), 400; 7 March, 200 without coupon: window,
      C2 (its message is the latest).
    - Bob: 6 March, 500 with C2's coupon, then cancelled (nothing counts, coupon unused);
      16 March, 300 (day 14 after C1; C2's SMS failed): window, C1.
    - Dan: 17 March 01:00 local (16 March in UTC), 250: day 15 after C1 in local dates, not attributed.
    - Carol (C1 holdout): 10 March, 150: C1's holdout revenue.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.group_ids |= cls.env.ref("member_crm.group_member_crm_manager") | cls.env.ref(
            "sales_team.group_sale_manager"
        )
        cls.company = cls.company_data["company"]
        cls.company.partner_id.tz = "Asia/Shanghai"
        cls._member_enable(cls.company, member_sale_qualify_on="confirm")
        cls.product = cls.env["product.product"].create(
            {"name": "Silk Scarf", "type": "consu", "list_price": 500.0, "taxes_id": [Command.clear()]}
        )
        cls.product.invoice_policy = "order"
        cls.alice, cls.bob, cls.carol, cls.dan = (
            cls._member_partner(name, cls.company) for name in ("Alice", "Bob", "Carol", "Dan")
        )
        cls.c1 = cls._campaign("C1", UTC(2026, 3, 2, 4), cost_fixed=50.0, cost_per_message=2.0)
        cls.c2 = cls._campaign("C2", UTC(2026, 3, 5, 4), cost_per_message=1.0, channel="sms")
        cls.r1 = cls._recipients(cls.c1, [cls.alice, cls.bob, cls.dan], holdout=[cls.carol])
        cls.r2 = cls._recipients(cls.c2, [cls.alice, cls.bob])
        cls._traces(
            [
                (cls.r1[cls.alice], "open", UTC(2026, 3, 2, 4), True),
                (cls.r1[cls.bob], "sent", UTC(2026, 3, 2, 4), False),
                (cls.r1[cls.dan], "pending", UTC(2026, 3, 2, 4), False),
                # SMS handed to the provider: "pending", labelled Sent
                (cls.r2[cls.alice], "pending", UTC(2026, 3, 5, 4), False),
                (cls.r2[cls.bob], "error", None, False),
            ]
        )

    @classmethod
    def _campaign(cls, name, sent, company=None, **vals):
        company = company or cls.company
        program = cls.env["loyalty.program"].create(
            {
                "name": f"{name} coupons",
                "program_type": "coupons",
                "company_id": company.id,
                "reward_ids": [Command.create({"reward_type": "discount", "discount": 10, "required_points": 1})],
            }
        )
        sms = vals.get("channel") == "sms"
        mailing = cls.env["mailing.mailing"].create(
            {
                "subject": name,
                "mailing_type": "sms" if sms else "mail",
                "mailing_model_id": cls.env["ir.model"]._get_id("member.campaign.recipient"),
                "body_html": "<p>Hello</p>",
                "body_plaintext": "Hello",
            }
        )
        return cls.env["member.campaign"].create(
            {
                "name": name,
                "company_id": company.id,
                "state": "running",
                "date_start": sent,
                "sent_date": sent,
                "program_id": program.id,
                "mailing_id": mailing.id,
                **vals,
            }
        )

    @classmethod
    def _recipients(cls, campaign, partners, holdout=()):
        """Recipients as the launch leaves them: a personal coupon each, none for the holdout."""
        cards = cls.env["loyalty.card"].create(
            [{"program_id": campaign.program_id.id, "partner_id": p.id, "points": 1} for p in partners]
        )
        memberships = cls.env["member.membership"].search(
            [("partner_id", "in", [p.id for p in [*partners, *holdout]]), ("company_id", "=", campaign.company_id.id)]
        )
        tiers = {m.partner_id.id: m.tier_id.id for m in memberships}
        vals = [(p, card.id, False) for p, card in zip(partners, cards, strict=True)] + [
            (p, False, True) for p in holdout
        ]
        # the launch writes recipients as the superuser (nobody has the create right)
        recipients = (
            cls.env["member.campaign.recipient"]
            .sudo()
            .create(
                [
                    {
                        "campaign_id": campaign.id,
                        "partner_id": p.id,
                        "company_id": campaign.company_id.id,
                        "coupon_id": card_id,
                        "holdout": held_out,
                        "tier_id": tiers.get(p.id),
                    }
                    for p, card_id, held_out in vals
                ]
            )
        )
        return {r.partner_id: r for r in recipients.sudo(False)}

    @classmethod
    def _traces(cls, rows):
        cls.env["mailing.trace"].sudo().create(
            [
                {
                    "model": "member.campaign.recipient",
                    "res_id": recipient.id,
                    "mass_mailing_id": recipient.campaign_id.mailing_id.id,
                    "trace_type": "sms" if recipient.campaign_id.channel == "sms" else "mail",
                    "trace_status": status,
                    "sent_datetime": sent,
                    "links_click_datetime": sent + datetime.timedelta(hours=1) if clicked else False,
                }
                for recipient, status, sent, clicked in rows
            ]
        )

    def _sale(self, partner, qty, price, when, coupon=None):
        """A sale order confirmed at ``when`` (UTC, frozen clock), with ``coupon`` applied through sale_loyalty."""
        with freeze_time(when):
            order = self.env["sale.order"].create(
                {
                    "partner_id": partner.id,
                    "company_id": self.company.id,
                    "order_line": [
                        Command.create({"product_id": self.product.id, "product_uom_qty": qty, "price_unit": price})
                    ],
                }
            )
            if coupon:
                status = order._try_apply_code(coupon.code)
                self.assertNotIn("error", status)
                self.assertNotIn("error", order._apply_program_reward(status[coupon][0], coupon))
            order.action_confirm()
        return order

    def _credit_one_unit(self, order, when):
        """Invoice the order, then credit one unit of the product (not the discount line)."""
        with freeze_time(when):
            invoice = order._create_invoices()
            invoice.action_post()
            reversal = (
                self.env["account.move.reversal"]
                .with_context(active_model="account.move", active_ids=invoice.ids)
                .create({"journal_id": invoice.journal_id.id, "reason": "one returned"})
            )
            credit_note = self.env["account.move"].browse(reversal.refund_moves()["res_id"])
            lines = credit_note.invoice_line_ids
            product_line = lines.filtered(lambda line: line.product_id == self.product)
            credit_note.write(
                {
                    "invoice_line_ids": [Command.update(product_line.id, {"quantity": 1})]
                    + [Command.delete(line.id) for line in lines - product_line]
                }
            )
            self.assertEqual(credit_note.amount_untaxed, 500.0)
            credit_note.action_post()
        return credit_note

    def _fixture_orders(self):
        order1 = self._sale(self.alice, 2, 500.0, "2026-03-06 04:00:00", coupon=self.r1[self.alice].coupon_id)
        self._credit_one_unit(order1, "2026-03-20 04:00:00")
        order2 = self._sale(self.alice, 1, 200.0, "2026-03-07 04:00:00")
        cancelled = self._sale(self.bob, 1, 500.0, "2026-03-06 04:00:00", coupon=self.r2[self.bob].coupon_id)
        cancelled._action_cancel()
        order4 = self._sale(self.bob, 1, 300.0, "2026-03-16 04:00:00")
        # 16 March 17:00 UTC is 17 March 01:00 in Shanghai: day 15 in local dates
        order5 = self._sale(self.dan, 1, 250.0, "2026-03-16 17:00:00")
        order6 = self._sale(self.carol, 1, 150.0, "2026-03-10 04:00:00")
        return order1, order2, cancelled, order4, order5, order6


@tagged("post_install", "-at_install")
class TestCampaignAttribution(CampaignAttributionCommon):
    """Results, attribution and money on the acceptance fixture, with literal expected numbers."""

    def test_fixture_results_attribution_and_money(self):
        order1, order2, cancelled, order4, order5, order6 = self._fixture_orders()
        # preconditions the rule is about: what the ledger holds
        ledger = self.env["member.ledger"].search([("company_id", "=", self.company.id)])
        by_kind = sorted((e.partner_id.name, e.kind, e.amount, str(e.date)) for e in ledger)
        self.assertEqual(
            by_kind,
            [
                ("Alice", "order", 200.0, "2026-03-07"),
                ("Alice", "order", 900.0, "2026-03-06"),
                ("Alice", "refund", -500.0, "2026-03-06"),
                ("Bob", "cancel", -450.0, "2026-03-06"),
                ("Bob", "order", 300.0, "2026-03-16"),
                ("Bob", "order", 450.0, "2026-03-06"),
                ("Carol", "order", 150.0, "2026-03-10"),
                ("Dan", "order", 250.0, "2026-03-17"),
            ],
        )
        self.env["member.campaign"]._member_refresh_results(self.company)

        rows = self.env["member.campaign.attribution"].search([("company_id", "=", self.company.id)])
        self.assertEqual(
            {(r.source_ref, r.campaign_id.name, r.partner_id.name, r.method, r.revenue, r.holdout) for r in rows},
            {
                (order1, "C1", "Alice", "coupon", 400.0, False),
                (order2, "C2", "Alice", "window", 200.0, False),
                (order4, "C1", "Bob", "window", 300.0, False),
                (order6, "C1", "Carol", "window", 150.0, True),
            },
            "the cancelled order and Dan's day-15 purchase are not attributed",
        )
        self.assertNotIn(order5, rows.mapped("source_ref"))
        self.assertNotIn(cancelled, rows.mapped("source_ref"))

        results = {
            (r.campaign_id.name, r.partner_id.name): (
                r.reached,
                r.opened,
                r.clicked,
                r.coupon_used,
                r.order_count,
                r.revenue,
                r.discount,
            )
            for r in (self.c1 | self.c2).recipient_ids
        }
        self.assertEqual(
            results,
            {
                ("C1", "Alice"): (True, True, True, True, 1, 400.0, 100.0),
                ("C1", "Bob"): (True, False, False, False, 1, 300.0, 0.0),
                ("C1", "Dan"): (True, False, False, False, 0, 0.0, 0.0),
                ("C1", "Carol"): (False, False, False, False, 1, 150.0, 0.0),
                ("C2", "Alice"): (True, False, False, False, 1, 200.0, 0.0),
                ("C2", "Bob"): (False, False, False, False, 0, 0.0, 0.0),
            },
        )
        money_fields = [
            "reached_count",
            "opened_count",
            "clicked_count",
            "coupon_used_count",
            "order_count",
            "revenue",
            "discount_cost",
            "message_cost",
            "cost_total",
            "effect",
            "roi",
            "holdout_count",
            "holdout_revenue",
            "incremental_revenue",
            "incremental_roi",
        ]
        self.assertEqual(
            [self.c1[f] for f in money_fields],
            # cost 50 + 3 x 2 + 100 = 156; effect 700 - 156 = 544; ROI 544 / 156;
            # incremental 700 - 150 x 3 / 1 = 250; incremental ROI (250 - 156) / 156
            [3, 1, 1, 1, 2, 700.0, 100.0, 6.0, 156.0, 544.0, 3.4872, 1, 150.0, 250.0, 0.6026],
        )
        self.assertEqual(
            [self.c2[f] for f in money_fields],
            # no holdout: no incremental figures (stored empty)
            [1, 0, 0, 0, 1, 200.0, 0.0, 1.0, 1.0, 199.0, 199.0, 0, 0.0, 0.0, 0.0],
        )
        # the results pivot: by tier at launch and channel, those who got the campaign
        standard = self.r1[self.alice].tier_id
        self.assertTrue(standard, "precondition: the tier at launch is set")
        Recipient = self.env["member.campaign.recipient"]
        groups = Recipient._read_group(
            [("campaign_id", "in", (self.c1 | self.c2).ids), ("holdout", "=", False)],
            ["tier_id", "channel"],
            ["order_count:sum", "revenue:sum", "discount:sum", "__count"],
        )
        self.assertEqual(
            sorted((tier.id, channel, *figures) for tier, channel, *figures in groups),
            [(standard.id, "email", 2, 700.0, 100.0, 3), (standard.id, "sms", 1, 200.0, 0.0, 2)],
        )
        pivot = self.env.ref("member_crm_marketing.member_campaign_recipient_result_view_pivot")
        arch = Recipient.get_views([(pivot.id, "pivot")])["views"]["pivot"]["arch"]
        self.assertIn('name="tier_id"', arch)
        self.assertTrue(self.c1.results_date)

        # idempotent: a second refresh gives the same rows
        self.env["member.campaign"]._member_refresh_results(self.company)
        again = self.env["member.campaign.attribution"].search([("company_id", "=", self.company.id)])
        self.assertEqual(again, rows, "the same rows, not rewritten")
        self.assertEqual(self.c1.revenue, 700.0)
        # Bob's order cancelled later: its attribution goes at the next refresh
        kept = rows.filtered(lambda r: r.source_ref != order4)
        order4._action_cancel()
        self.env["member.campaign"]._member_refresh_results(self.company)
        self.assertEqual(self.env["member.campaign.attribution"].search([("company_id", "=", self.company.id)]), kept)
        self.assertEqual((self.r1[self.bob].order_count, self.r1[self.bob].revenue), (0, 0.0))
        self.assertEqual((self.c1.order_count, self.c1.revenue, self.c1.effect), (1, 400.0, 244.0))

    def test_refund_of_the_discount_line_frees_the_coupon(self):
        """A POS-less check of "net of refunds" on sales: crediting the reward line undoes the coupon use."""
        order = self._sale(self.dan, 1, 500.0, "2026-03-03 04:00:00", coupon=self.r1[self.dan].coupon_id)
        with freeze_time("2026-03-04 04:00:00"):
            invoice = order._create_invoices()
            invoice.action_post()
            reversal = (
                self.env["account.move.reversal"]
                .with_context(active_model="account.move", active_ids=invoice.ids)
                .create({"journal_id": invoice.journal_id.id, "reason": "all returned"})
            )
            self.env["account.move"].browse(reversal.refund_moves()["res_id"]).action_post()
        self.env["member.campaign"]._member_refresh_results(self.company)
        dan = self.r1[self.dan]
        self.assertEqual((dan.coupon_used, dan.discount, dan.order_count, dan.revenue), (False, 0.0, 0, 0.0))
        self.assertFalse(self.env["member.campaign.attribution"].search([("recipient_id", "=", dan.id)]))

    def test_paid_mode_joins_coupon_use_from_the_invoice(self):
        """In "paid" mode the ledger holds the invoice: the coupon is found through its sale order."""
        self.company.member_sale_qualify_on = "paid"
        # 25 March: day 20 after C2, day 23 after C1: only the coupon attributes it
        order = self._sale(self.alice, 1, 500.0, "2026-03-25 04:00:00", coupon=self.r2[self.alice].coupon_id)
        with freeze_time("2026-03-26 04:00:00"):
            invoice = order._create_invoices()
            invoice.action_post()
            self.env["account.payment.register"].with_context(
                active_model="account.move", active_ids=invoice.ids
            ).create({})._create_payments()
        self.assertTrue(self.env["member.ledger"].search([("source_model", "=", "account.move")]))
        self.env["member.campaign"]._member_refresh_results(self.company)
        row = self.env["member.campaign.attribution"].search([("company_id", "=", self.company.id)])
        self.assertEqual(
            (row.source_ref, row.campaign_id, row.method, row.revenue), (invoice, self.c2, "coupon", 450.0)
        )
        self.assertEqual((self.c2.coupon_used_count, self.c2.discount_cost, self.c2.revenue), (1, 50.0, 450.0))


@tagged("post_install", "-at_install")
class TestCampaignAttributionAccess(CampaignAttributionCommon):
    """Attack tests: company walls on attributions; results are written by the refresh only."""

    def test_campaign_officer_cannot_read_other_company_attributions(self):
        self._fixture_orders()
        company_b = self.env["res.company"].create({"name": "Company B"})
        self._member_enable(company_b, member_sale_qualify_on="confirm")
        erin = self._member_partner("Erin", company_b)
        campaign_b = self._campaign("B1", UTC(2026, 3, 2, 4), company=company_b)
        self._recipients(campaign_b, [erin])
        self.env["mailing.trace"].sudo().create(
            {
                "model": "member.campaign.recipient",
                "res_id": campaign_b.recipient_ids.id,
                "mass_mailing_id": campaign_b.mailing_id.id,
                "trace_status": "sent",
                "sent_datetime": UTC(2026, 3, 2, 4),
            }
        )
        # an order of Erin in company B, through the ledger's writer
        self.env["member.ledger"]._member_record_opening(
            [
                {
                    "partner_id": erin.id,
                    "company_id": company_b.id,
                    "date": datetime.date(2026, 3, 4),
                    "amount": 80.0,
                    "order_count": 1,
                    "source_model": "sale.order",
                    "source_id": 987654,
                }
            ],
            kind="order",
            check=False,
        )
        self.env["member.campaign"]._member_refresh_results()
        row_b = self.env["member.campaign.attribution"].search([("company_id", "=", company_b.id)])
        self.assertEqual((row_b.campaign_id, row_b.revenue), (campaign_b, 80.0), "precondition: B has a row")
        officer = new_test_user(
            self.env,
            login="officer_a",
            groups="member_crm.group_member_crm_marketing",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        Attribution = self.env["member.campaign.attribution"].with_user(officer)
        self.assertEqual(Attribution.search([]).mapped("company_id"), self.company)
        self.assertEqual(len(Attribution.search([])), 4)
        with self.assertRaises(AccessError):
            row_b.with_user(officer).read(["revenue"])
        with self.assertRaises(AccessError):
            campaign_b.with_user(officer).read(["revenue"])
        with self.assertRaises(AccessError):
            Attribution.search([], limit=1).write({"revenue": 1.0})
        with self.assertRaises(AccessError):
            campaign_b.with_user(officer).action_member_refresh_results()

    def test_results_are_written_by_the_refresh_only(self):
        self.env["member.campaign"]._member_refresh_results(self.company)
        user = new_test_user(
            self.env, login="member_user_a", groups="member_crm.group_member_crm_user", company_id=self.company.id
        )
        officer = new_test_user(
            self.env, login="marketing_a", groups="member_crm.group_member_crm_marketing", company_id=self.company.id
        )
        self.assertEqual(self.c1.with_user(user).reached_count, 3, "a Members/User reads results")
        with self.assertRaises(AccessError):
            self.c1.with_user(user).write({"revenue": 1e6})
        with self.assertRaises(AccessError):
            self.r1[self.alice].with_user(user).write({"revenue": 1e6})
        # the campaign officer edits campaigns, not their results
        with self.assertRaisesRegex(UserError, "cannot be written"):
            self.c1.with_user(officer).write({"revenue": 1e6, "roi": 99.0})
        with self.assertRaisesRegex(UserError, "cannot be written"):
            self.env["member.campaign"].with_user(officer).create({"name": "Forged", "effect": 1e6})
        with self.assertRaises(AccessError):
            self.env["member.campaign.attribution"].with_user(officer).create(
                {
                    "campaign_id": self.c1.id,
                    "recipient_id": self.r1[self.alice].id,
                    "partner_id": self.alice.id,
                    "company_id": self.company.id,
                    "method": "coupon",
                    "source_model": "sale.order",
                    "source_id": 1,
                }
            )
        self.c1.with_user(officer).action_member_refresh_results()
        self.assertEqual(self.c1.reached_count, 3)
