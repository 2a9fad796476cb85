"""The member KPIs count members' orders while they are members, and this month's members live.

Fixture (company in Shanghai, sales counted on confirmation, each step on its own day at local noon):

- Mia and Bo join on 2 January 2026; Mia leaves on 5 January and, no longer a member, buys for 200.00 on
  10 January (the ledger records every customer's orders): no member's order, Mia is no active member;
- the nightly run of 31 January writes January's snapshot (Bo: 1 member);
- 1 February, before that night's run: no snapshot of February yet, the dashboard counts this month's
  members live from the membership periods (Bo: 1, growth 0 %, not 0 members and -100 %);
- Mia re-enrols on 3 February and buys for 300.00 on 10 February: that order counts again. Her opening
  balance (the import's, dated 8 January while she had left) always counts: it is her imported history.

Then the order and campaign analyses' monetary totals across two companies in two currencies: Odoo 19's
pivot, graph and grouped lists ask for ``<field>:sum_currency`` next to the plain sum, converted at the
current company's rates, whenever the field has a currency field, and show it for a group of several
currencies instead of the raw amounts added up.
"""

import datetime as dt

from freezegun import freeze_time

from odoo import Command
from odoo.tests import new_test_user, tagged

from odoo.addons.base.tests.common import BaseCommon
from odoo.addons.member_crm.tests.common import MemberTierMixin

D = dt.date


def noon_shanghai(day):
    return f"{day} 04:00:00"


@tagged("post_install", "-at_install")
class TestKpiMembershipPeriods(BaseCommon, MemberTierMixin):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env["res.company"].create({"name": "KPI Periods Co"})
        cls.company.partner_id.tz = "Asia/Shanghai"
        cls.env.user.company_ids |= cls.company
        cls._member_enable(cls.company, member_sale_qualify_on="confirm")
        cls.tasting = cls.env["product.product"].create(
            {"name": "Periods Tasting", "type": "service", "list_price": 100.0, "taxes_id": [Command.clear()]}
        )
        with freeze_time(noon_shanghai("2026-01-02")):
            cls.mia = cls._member_partner("Periods Mia", cls.company)
            cls.bo = cls._member_partner("Periods Bo", cls.company)
        cls.mia_membership = cls.env["member.membership"].search(
            [("partner_id", "=", cls.mia.id), ("company_id", "=", cls.company.id)]
        )
        with freeze_time(noon_shanghai("2026-01-05")):
            cls.mia_membership.state = "left"
        with freeze_time(noon_shanghai("2026-01-10")):
            cls.so_left = cls._sale(cls.mia, 200.0)
        cls._opening(cls, cls.mia, cls.company, D(2026, 1, 8), 70.0, orders=0)
        with freeze_time(noon_shanghai("2026-01-31")):
            cls.env["member.tier.snapshot"]._member_snapshot(cls.company)
        cls.accountant = new_test_user(
            cls.env,
            login="kpi_periods_accountant",
            groups="member_crm.group_member_crm_accountant",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )

    @classmethod
    def _sale(cls, customer, price):
        order = (
            cls.env["sale.order"]
            .with_company(cls.company)
            .create(
                {
                    "partner_id": customer.id,
                    "company_id": cls.company.id,
                    "order_line": [
                        Command.create({"product_id": cls.tasting.id, "product_uom_qty": 1, "price_unit": price})
                    ],
                }
            )
        )
        order.action_confirm()
        return order

    def _dashboard(self):
        data = self.env["member.report.dashboard"].with_user(self.accountant).get_dashboard_data()
        [block] = data["companies"]
        return block["figures"]

    def _mia_rows(self):
        rows = self.env["member.report.order"].with_user(self.accountant).search([("partner_id", "=", self.mia.id)])
        return sorted((row.date, row.is_opening, row.order_count, row.net_amount) for row in rows)

    def test_an_order_counts_while_its_customer_is_a_member(self):
        # precondition: the ledger has the order of 10 January, made after Mia left
        entries = self._ledger(self.mia, self.company).filtered(lambda entry: entry.kind == "order")
        self.assertEqual([(entry.date, entry.amount) for entry in entries], [(D(2026, 1, 10), 200.0)])
        self.assertEqual(self._mia_rows(), [(D(2026, 1, 8), True, 0, 70.0)], "the opening counts, not the order")
        with freeze_time(noon_shanghai("2026-01-20")):
            figures = self._dashboard()
        # Mia left on the 5th, bought on the 10th: no member, no active member (was: 0 members, 1 active)
        self.assertEqual((figures["members"]["value"], figures["active_members"]["value"]), (1, 0))
        # back on 3 February, she buys on the 10th: that order counts
        with freeze_time(noon_shanghai("2026-02-03")):
            self.mia.with_company(self.company).action_member_enroll()
        self.assertEqual(self.mia_membership.state, "active")
        with freeze_time(noon_shanghai("2026-02-10")):
            self._sale(self.mia, 300.0)
        self.assertEqual(self._mia_rows(), [(D(2026, 1, 8), True, 0, 70.0), (D(2026, 2, 10), False, 1, 300.0)])
        with freeze_time(noon_shanghai("2026-02-20")):
            figures = self._dashboard()
        # members at January's end 1 (Bo), today 2; active (a member's net order in 90 days): January 0, now 1
        self.assertEqual(figures["members"]["series"][-2:], [1, 2])
        self.assertEqual(figures["active_members"]["series"][-2:], [0, 1])
        self.assertEqual(figures["average_spend"]["value"], 300.0, "the order made as a former member is left out")

    def test_dashboard_on_the_first_before_the_nightly_run(self):
        Snapshot = self.env["member.tier.snapshot"]
        february = [("company_id", "=", self.company.id), ("month", "=", D(2026, 2, 1))]
        self.assertFalse(Snapshot.search_count(february), "precondition: February's first run has not been")
        with freeze_time("2026-02-01 01:00:00"):  # 09:00 in Shanghai on 1 February
            figures = self._dashboard()
        # this month live: Bo (Mia left); last month the snapshot: Bo
        self.assertEqual((figures["members"]["value"], figures["members"]["previous"]), (1, 1))
        self.assertEqual(figures["member_growth"]["value"], 0.0, "not -100 %")
        self.assertEqual(figures["new_members"]["value"], 0)
        # a member who joins that morning counts at once, and is new
        with freeze_time("2026-02-01 02:00:00"):
            self._member_partner("Periods Early Bird", self.company)
            figures = self._dashboard()
        self.assertEqual((figures["members"]["value"], figures["new_members"]["value"]), (2, 1))
        self.assertFalse(Snapshot.search_count(february), "the dashboard writes nothing")


@tagged("post_install", "-at_install")
class TestMonetaryTotalsAcrossCurrencies(BaseCommon, MemberTierMixin):
    """Company A in currency KPA (no rate: the reference), company B in KPB at 4 KPB per KPA; each has a member
    with an opening balance: 120.00 KPA in A, 700.00 KPB in B."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Currency = cls.env["res.currency"]
        cls.kpa = Currency.create({"name": "KPA", "symbol": "A¤", "rounding": 0.01})
        cls.kpb = Currency.create({"name": "KPB", "symbol": "B¤", "rounding": 0.01})
        cls.company_a = cls.env["res.company"].create({"name": "KPI Currency A", "currency_id": cls.kpa.id})
        cls.company_b = cls.env["res.company"].create({"name": "KPI Currency B", "currency_id": cls.kpb.id})
        cls.env["res.currency.rate"].create(
            {"currency_id": cls.kpb.id, "rate": 4.0, "name": "2020-01-01", "company_id": cls.company_a.id}
        )
        both = cls.company_a | cls.company_b
        cls.env.user.company_ids |= both
        for company, opening in ((cls.company_a, 120.0), (cls.company_b, 700.0)):
            cls._member_enable(company)
            member = cls._member_partner(f"Currency Member {company.currency_id.name}", company)
            cls._opening(cls, member, company, company._member_today(), opening, orders=0)
        cls.accountant = new_test_user(
            cls.env,
            login="kpi_currency_accountant",
            groups="member_crm.group_member_crm_accountant",
            company_id=cls.company_a.id,
            company_ids=both.ids,
        )

    def test_monetary_measures_describe_their_currency(self):
        """Odoo 19's pivot, graph and grouped list ask for ``<field>:sum_currency`` (and the groups' currencies)
        next to the field's own aggregator whenever its description names a currency field, and show the
        converted sum for a group of several currencies. A field declared ``aggregator="sum_currency"`` would
        be asked for nothing else, and lose its figure in single-currency groups (the client skips the
        converted sum there): the aggregator stays ``sum``."""
        for model, measures in (
            ("member.report.order", ("amount", "refund_amount", "net_amount")),
            ("member.report.campaign", ("revenue",)),
        ):
            Report = self.env[model].with_user(self.accountant)
            for measure, description in Report.fields_get(list(measures), ["currency_field", "aggregator"]).items():
                with self.subTest(model=model, measure=measure):
                    self.assertEqual(description, {"currency_field": "currency_id", "aggregator": "sum"})

    def test_grand_total_over_two_currencies_is_converted(self):
        both = (self.company_a | self.company_b).ids
        Report = (
            self.env["member.report.order"]
            .with_user(self.accountant)
            .with_company(self.company_a)
            .with_context(allowed_company_ids=both)
        )
        # what the pivot asks for its grand total (no company row): the converted sum at company A's rates
        [(currencies, total, plain)] = Report._read_group(
            [("company_id", "in", both)],
            [],
            ["currency_id:array_agg_distinct", "net_amount:sum_currency", "net_amount:sum"],
        )
        self.assertEqual(sorted(currencies), sorted((self.kpa | self.kpb).ids))
        self.assertAlmostEqual(total, 120.0 + 700.0 / 4, places=2, msg="converted to KPA: 295.00")
        self.assertAlmostEqual(plain, 820.0, places=2, msg="the raw amounts, which the client does not show")
        # by company, one currency each: the plain sum, in that company's currency
        by_company = dict(Report._read_group([("company_id", "in", both)], ["company_id"], ["net_amount:sum"]))
        self.assertEqual(by_company, {self.company_a: 120.0, self.company_b: 700.0})
