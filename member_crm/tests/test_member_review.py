"""The set-based review decides as the rules engine does, on real ledgers.

The review runs compiled SQL (``engine.compile_review_sql``) over the one window
aggregate (``_member_window_sql``); the oracle here is ``engine.review`` fed by
window figures summed with the ORM from the ledger (subcategories by
``child_of``), so two implementations of the window figures and of the
decisions are compared member by member.
"""

import datetime as dt
import random

from odoo import fields
from odoo.tests import tagged
from odoo.tools import SQL

from odoo.addons.base.tests.common import BaseCommon

from ..engine import tiers as engine
from .common import MemberTierMixin


@tagged("post_install", "-at_install")
class TestMemberReview(BaseCommon, MemberTierMixin):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.tiers = cls._member_enable(cls.company, member_grace_days=20, member_keep_months=3)
        cls.today = fields.Date.today()
        cls.categ_tea = cls.env["product.category"].create({"name": "Tea"})
        cls.categ_green = cls.env["product.category"].create({"name": "Green", "parent_id": cls.categ_tea.id})
        cls.categ_other = cls.env["product.category"].create({"name": "Other"})

    def _feedback(self, partner, day, key):
        return self.env["member.ledger"]._member_record_feedback(
            [(partner.id, self.company.id, day, "res.partner", key)]
        )

    def _category_line(self, partner, day, categ, amount):
        """A ledger entry with its category line, as the order hooks write them."""
        entry = self._opening(partner, self.company, day, amount, orders=1)
        self.env.cr.execute(
            SQL(
                """INSERT INTO member_ledger_line (ledger_id, partner_id, company_id, date, categ_id, amount)
                   VALUES (%s, %s, %s, %s, %s, %s)""",
                entry[0][0],
                partner.id,
                self.company.id,
                day,
                categ.id,
                amount,
            )
        )

    def _orm_figures(self, memberships, rules, as_of):
        """{membership id: engine.Qualification}: the window summed with the ORM, member by member."""
        start = engine.window_start(as_of, self.company.member_window_type, self.company.member_window_months)
        category_tiers = [self.env["member.tier"].browse(r.key) for r in rules if r.min_category_spend]
        figures = {}
        for membership in memberships:
            domain = [
                ("partner_id", "=", membership.partner_id.id),
                ("company_id", "=", membership.company_id.id),
                ("date", ">=", start),
                ("date", "<=", as_of),
            ]
            entries = self.env["member.ledger"].search(domain)
            category_spend = {}
            for tier in category_tiers:
                categories = self.env["product.category"].search([("id", "child_of", tier.category_ids.ids)])
                lines = self.env["member.ledger.line"].search(domain + [("categ_id", "in", categories.ids)])
                category_spend[tier.id] = sum(lines.mapped("amount"))
            figures[membership.id] = engine.Qualification(
                spend=sum(entries.mapped("amount")),
                orders=sum(entries.mapped("order_count")),
                feedback=sum(entries.mapped("feedback_count")),
                category_spend=category_spend,
            )
        return figures

    def test_feedback_counts_once_whatever_the_score(self):
        # thresholds may not decrease up the ladder: every rule tier asks for the feedback
        ladder = self.tiers["GOLD"] | self.tiers["PLAT"] | self.tiers["DIA"] | self.tiers["BLACK"]
        ladder.write({"min_feedback": 2})
        self.tiers["GOLD"].rule_operator = "any"
        member = self._member_partner("Critic", self.company)
        self._feedback(member, self.today, 1)
        self._feedback(member, self.today, 1)  # the same rating again: counted once
        self.assertEqual(self._membership(member, self.company).qualify_feedback, 1)
        self.assertEqual(member.member_tier_id, self.tiers["STD"])
        self._feedback(member, self.today, 2)
        self.assertEqual(member.member_tier_id, self.tiers["GOLD"], "two pieces of feedback: Gold (any criterion)")
        line = self._membership(member, self.company).history_ids.filtered(lambda h: h.trigger == "order")
        self.assertEqual((line.trigger, line.source_ref.id), ("order", 2), "the feedback that lifted the tier")

    def test_feedback_never_enrols(self):
        """Feedback upgrades members only: with "Enrol on First Order" on, a non-member's feedback enrols
        nobody (an order would)."""
        self.company.member_auto_enroll = True
        stranger = self.env["res.partner"].create({"name": "Feedback stranger"})
        self._feedback(stranger, self.today, 11)
        self.assertEqual(self.env["member.membership"].search_count([("partner_id", "=", stranger.id)]), 0)
        # an order entry for the stranger does enrol (the switch is on): the test above can fail
        self._opening(stranger, self.company, self.today, 10.0, orders=1, key=13)
        self.assertEqual(self.env["member.membership"].search_count([("partner_id", "=", stranger.id)]), 1)

    def test_calendar_window_starts_on_the_first_of_january(self):
        self.company.member_window_type = "calendar"
        as_of = dt.date(self.today.year, 3, 1)
        member = self._member_partner("Calendar", self.company)
        self._opening(member, self.company, dt.date(as_of.year - 1, 12, 31), 50000.0, orders=20, key=7)
        self._opening(member, self.company, dt.date(as_of.year, 1, 1), 2500.0, orders=3, key=8)
        membership = self._membership(member, self.company)
        membership._member_apply_changes([(membership.id, membership.tier_id.id, self.tiers["STD"].id)], "manual")
        row = membership._member_aggregate(membership_ids=membership.ids, as_of=as_of)[0]
        self.assertEqual(
            (row["start_date"], float(row["spend"]), row["orders"]), (dt.date(as_of.year, 1, 1), 2500.0, 3)
        )
        membership._member_review_run(as_of=as_of)
        self.assertEqual(membership.tier_id, self.tiers["GOLD"], "last year's Black spend does not count this year")

    def test_sql_review_equals_the_engine_member_by_member(self):
        # a ladder with every criterion: category spend (with a subcategory), feedback, any/all
        ladder = self.tiers["GOLD"] | self.tiers["PLAT"] | self.tiers["DIA"] | self.tiers["BLACK"]
        ladder.write({"min_feedback": 1})
        self.tiers["GOLD"].rule_operator = "any"
        (ladder - self.tiers["GOLD"]).write({"min_category_spend": 500.0, "category_ids": [(6, 0, self.categ_tea.ids)]})
        (self.tiers["DIA"] | self.tiers["BLACK"]).write({"min_feedback": 2})
        self.tiers["BLACK"].min_category_spend = 3000.0
        rng = random.Random(7)
        ladder = [self.tiers[c] for c in ("STD", "GOLD", "PLAT", "DIA", "BLACK", "HON")]
        partners = self.env["res.partner"].create([{"name": f"Review {i}"} for i in range(80)])
        partners.with_company(self.company).action_member_enroll()
        key = 1000
        for partner in partners:
            for _i in range(rng.randint(0, 4)):
                day = self.today - dt.timedelta(days=rng.choice([0, 30, 200, 364, 366, 500]))
                categ = rng.choice([self.categ_tea, self.categ_green, self.categ_other])
                self._category_line(partner, day, categ, rng.choice([100.0, 499.99, 2500.0, 9000.0, 30000.0]))
            for _i in range(rng.randint(0, 2)):
                key += 1
                self._feedback(partner, self.today - dt.timedelta(days=rng.choice([1, 400])), key)
        memberships = self.env["member.membership"].search([("partner_id", "in", partners.ids)])
        # random states: any tier, protected or not, in grace or not
        memberships._member_apply_changes(
            [(m.id, m.tier_id.id, rng.choice(ladder).id) for m in memberships], "manual", as_of=self.today
        )
        for membership in memberships:
            self.env.cr.execute(
                SQL(
                    "UPDATE member_membership SET tier_protected_until = %s, grace_since = %s WHERE id = %s",
                    rng.choice([None, self.today, self.today - dt.timedelta(days=1)]),
                    rng.choice([None, self.today - dt.timedelta(days=rng.choice([0, 19, 20, 40]))]),
                    membership.id,
                )
            )
        self.env.invalidate_all()

        Membership = self.env["member.membership"]
        rules = self.env["member.tier"]._member_rules(self.company.id)
        figures = self._orm_figures(memberships, rules, self.today)
        rows = Membership._member_aggregate(membership_ids=memberships.ids, as_of=self.today)

        def rounded(q):
            return (round(q.spend, 2), q.orders, q.feedback, {k: round(v, 2) for k, v in q.category_spend.items()})

        self.assertEqual(
            {row["id"]: rounded(Membership._member_qualification(row)) for row in rows},
            {mid: rounded(q) for mid, q in figures.items()},
            "the SQL aggregate reads the window as the ORM does, subcategories included",
        )
        expected = {
            m.id: engine.review(
                engine.MemberState(m.id, m.tier_id.id or None, m.tier_protected_until or None, m.grace_since or None),
                rules,
                figures[m.id],
                self.today,
                max_drop=self.company.member_max_drop,
                grace_days=self.company.member_grace_days,
            )
            for m in memberships
        }
        self.assertGreaterEqual(
            {d.action for d in expected.values()}, {"up", "down", "notify", "keep", "none"}, "every branch is tried"
        )
        self.assertTrue(
            any(q.category_spend.get(self.tiers["PLAT"].id) for q in figures.values()),
            "the category criterion is exercised",
        )
        before = {m.id: (m.tier_id.id, m.grace_since) for m in memberships}

        Membership._member_review_run(as_of=self.today, batch_size=17)
        self.env.invalidate_all()
        history = self.env["member.tier.history"].search(
            [("membership_id", "in", memberships.ids), ("trigger", "=", "review")]
        )
        for membership in memberships:
            decision = expected[membership.id]
            with self.subTest(membership=membership.id, decision=decision):
                self.assertEqual(membership.tier_id.id or None, decision.tier)
                if decision.action == "notify":
                    self.assertEqual(membership.grace_since, self.today)
                elif decision.action == "keep":
                    self.assertEqual(membership.grace_since, before[membership.id][1])
                else:
                    self.assertFalse(membership.grace_since)
                lines = history.filtered(lambda h, m=membership: h.membership_id == m).sorted("id")
                old_tier, in_grace = before[membership.id]
                # a grace period that ends (a move, or qualifying again) or starts is logged on the tier concerned
                graces = [
                    (h.direction, h.from_tier_id.id, h.to_tier_id.id) for h in lines if h.direction.startswith("grace")
                ]
                moves = lines.filtered(lambda h: h.direction in ("up", "down"))
                if decision.action in ("up", "down"):
                    self.assertEqual(
                        (moves.direction, moves.from_tier_id.id, moves.to_tier_id.id or None),
                        (decision.action, old_tier, decision.tier),
                    )
                    self.assertEqual(graces, [("grace_end", old_tier, old_tier)] if in_grace else [])
                    self.assertEqual(lines[-1], moves, "the grace ends before the move")
                    self.assertEqual(membership.tier_since, self.today)
                    if decision.action == "up":  # the keep period (3 months) starts again
                        self.assertEqual(membership.tier_protected_until, engine.add_months(self.today, 3))
                elif decision.action == "notify":
                    self.assertEqual(graces, [("grace_start", old_tier, old_tier)])
                    self.assertFalse(moves)
                elif decision.action == "none" and in_grace:
                    self.assertEqual(graces, [("grace_end", old_tier, old_tier)], "qualifying again ends the grace")
                    self.assertFalse(moves)
                else:
                    self.assertFalse(lines)
