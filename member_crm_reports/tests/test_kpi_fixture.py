"""The acceptance fixture: every member KPI against hand-computed literals.

One fixture, in sales "confirm" mode, built through the real flows (POS orders
through ``sync_from_ui``, sale orders confirmed and cancelled, the import's
opening entry writer, the Change Tier wizard, the tier review, the snapshot
rebuild), each step at its own day with ``freeze_time``. Figures are read as a
member accountant through ``_read_group`` and the dashboard, compared at
currency rounding.

Company A (the test company, its currency, time zone America/Bogota: UTC-5, no
daylight saving, so local noon is 17:00 UTC); company B in CNY (Asia/Shanghai).
Products: tea 100.00, cake 40.00 (POS, no tax); a tasting (service) for sale orders.

Members of A:
- M3 Zhao Min: imported on 2023-06-30 without a known joining date (not new), an
  opening balance of 500.00 (4 orders) that day; POS order O3 on 2023-10-15, 2 cakes
  = 80.00 at store S2;
- M1 Li Na: enrolled 2023-12-01; O0 on 2024-02-10, 1 cake = 40.00 at S1; moved Standard
  -> Gold by hand on 2024-02-15 (kept one month); O1 at 23:30 local on 2024-02-29 (the
  month's last day: 04:30 UTC on 1 March), 3 teas = 300.00 at S1, refunded 1 tea on
  03-05 and 1 more on 03-10 (two partial refunds, dated 02-29 as their original);
  sale order SO2 in EUR on 2024-03-08, 50.00 EUR at 0.5 EUR per unit of company
  currency = 100.00; the review of 2024-03-18 finds her below Gold out of her keep
  period: grace start (she stays Gold);
- M2 Wang Wei: enrolled 2024-03-01; O2 on 2024-03-02, 2 teas = 200.00 at S2; SO1 on
  03-04, 100.00, cancelled; SO4 on 03-06, 100.00, cancelled, set to draft and
  confirmed again the same day (counts once).
Member of B: M4 Chen Jie, enrolled 2024-03-01; SO3 on 2024-03-05, 300.00 CNY.

"Today" is 2024-03-20: this month is March (figures up to the 20th), last month February.
"""

import datetime as dt
import json

from freezegun import freeze_time

from odoo import Command
from odoo.tests import new_test_user, tagged

from odoo.addons.member_crm.tests.common import MemberTierMixin
from odoo.addons.point_of_sale.tests.common import TestPoSCommon

D = dt.date
TODAY = D(2024, 3, 20)


def noon_bogota(day):
    return f"{day} 17:00:00"


@tagged("post_install", "-at_install")
class TestKpiFixture(TestPoSCommon, MemberTierMixin):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        env.user.group_ids |= env.ref("member_crm.group_member_crm_manager") | env.ref("sales_team.group_sale_manager")
        cls.company_a = cls.company
        cls.company_a.partner_id.tz = "America/Bogota"
        cls.tiers = cls._member_enable(
            cls.company_a, member_sale_qualify_on="confirm", member_keep_months=1, member_grace_days=30
        )
        cny = env.ref("base.CNY")
        cny.active = True
        cls.company_b = env["res.company"].create({"name": "Member Shop Shanghai", "currency_id": cny.id})
        cls.company_b.partner_id.tz = "Asia/Shanghai"
        env.user.company_ids |= cls.company_b
        cls.tiers_b = cls._member_enable(cls.company_b, member_sale_qualify_on="confirm")

        # products, stores, the EUR pricelist (0.5 EUR per unit of company A's currency)
        cls.tea = cls.create_product("KPI Tea", cls.categ_basic, 100.0)
        cls.cake = cls.create_product("KPI Cake", cls.categ_basic, 40.0)
        cls.tasting = env["product.product"].create(
            {"name": "KPI Tasting", "type": "service", "list_price": 100.0, "taxes_id": [Command.clear()]}
        )
        eur = cls.other_currency
        env["res.currency.rate"].create(
            {"currency_id": eur.id, "rate": 0.5, "name": "2024-01-01", "company_id": cls.company_a.id}
        )
        cls.eur_pricelist = env["product.pricelist"].create(
            {"name": "KPI EUR", "currency_id": eur.id, "company_id": cls.company_a.id}
        )
        cls.store_1 = cls.basic_config
        cash_journal = env["account.journal"].create(
            {"name": "KPI Cash 2", "type": "cash", "code": "KPC2", "company_id": cls.company_a.id}
        )
        cash_2 = env["pos.payment.method"].create(
            {
                "name": "KPI Cash 2",
                "journal_id": cash_journal.id,
                "receivable_account_id": cls.pos_receivable_cash.id,
                "company_id": cls.company_a.id,
            }
        )
        cls.store_2 = env["pos.config"].create(
            {
                "name": "KPI Store 2",
                "invoice_journal_id": cls.invoice_journal.id,
                "available_pricelist_ids": cls.currency_pricelist.ids,
                "pricelist_id": cls.currency_pricelist.id,
                "payment_method_ids": [Command.set(cash_2.ids)],
            }
        )
        for store in (cls.store_1, cls.store_2):
            store.open_ui()
            store.current_session_id.set_opening_control(0, None)
        cls._uuid = 0

        # members, each enrolled on its day
        with freeze_time(noon_bogota("2023-06-30")):
            cls.m3 = cls._member_partner("Zhao Min", cls.company_a)
            ms3 = cls._membership_of(cls.m3, cls.company_a)
            ms3.member_since_unknown = True  # as the import marks members whose file gives no date
            # the import's opening entry writer, keyed by membership as the import does
            env["member.ledger"]._member_record_opening(
                [
                    {
                        "partner_id": cls.m3.id,
                        "company_id": cls.company_a.id,
                        "date": D(2023, 6, 30),
                        "amount": 500.0,
                        "order_count": 4,
                        "source_model": "member.membership",
                        "source_id": ms3.id,
                        "note": "Imported from kpi.csv",
                    }
                ]
            )
        with freeze_time(noon_bogota("2023-12-01")):
            cls.m1 = cls._member_partner("Li Na", cls.company_a)
        with freeze_time(noon_bogota("2024-03-01")):
            cls.m2 = cls._member_partner("Wang Wei", cls.company_a)
        with freeze_time("2024-03-01 04:00:00"):  # noon in Shanghai
            cls.m4 = cls._member_partner("Chen Jie", cls.company_b)

        # POS orders (the till sends its UTC time), refunds synced later
        cls.o3 = cls._pos(cls.store_2, [(cls.cake, 2)], cls.m3, "2023-10-15 17:00:00")
        cls.o0 = cls._pos(cls.store_1, [(cls.cake, 1)], cls.m1, "2024-02-10 16:00:00")
        with freeze_time(noon_bogota("2024-02-15")):
            change = env["member.tier.change"].create(
                {
                    "membership_ids": [Command.set(cls._membership_of(cls.m1, cls.company_a).ids)],
                    "tier_id": cls.tiers["GOLD"].id,
                    "reason": "Anniversary gift",
                }
            )
            change.action_apply()
        cls.o1 = cls._pos(cls.store_1, [(cls.tea, 3)], cls.m1, "2024-03-01 04:30:00")  # 23:30 on 29 February
        cls.o2 = cls._pos(cls.store_2, [(cls.tea, 2)], cls.m2, "2024-03-02 15:00:00")
        refund = {"product": cls.tea, "quantity": -1, "refunded_orderline_id": cls.o1.lines.id}
        cls.r1 = cls._pos(cls.store_1, [dict(refund)], cls.m1, "2024-03-05 17:00:00", is_refund=True)
        cls.r2 = cls._pos(cls.store_1, [dict(refund)], cls.m1, "2024-03-10 17:00:00", is_refund=True)

        # sale orders, confirmed ("confirm" mode: they count on confirmation)
        with freeze_time(noon_bogota("2024-03-04")):
            cls.so1 = cls._sale(cls.m2, cls.company_a, 100.0)
            cls.so1.action_confirm()
        with freeze_time(noon_bogota("2024-03-06")):
            cls.so1.action_cancel()
            cls.so4 = cls._sale(cls.m2, cls.company_a, 100.0)
            cls.so4.action_confirm()
            cls.so4.action_cancel()
            cls.so4.action_draft()
            cls.so4.action_confirm()
        with freeze_time(noon_bogota("2024-03-08")):
            cls.so2 = cls._sale(cls.m1, cls.company_a, 50.0, pricelist=cls.eur_pricelist)
            cls.so2.action_confirm()
        with freeze_time("2024-03-05 04:00:00"):
            cls.so3 = cls._sale(cls.m4, cls.company_b, 300.0)
            cls.so3.action_confirm()

        # the nightly review of 18 March: Li Na's Gold is no longer earned, her keep month is over
        with freeze_time(noon_bogota("2024-03-18")):
            env["member.membership"]._member_review_batch(cls.company_a, D(2024, 3, 18))
        # monthly snapshots rebuilt from the history and the membership periods
        with freeze_time(noon_bogota("2024-03-20")):
            Snapshot = env["member.tier.snapshot"]
            Snapshot._member_rebuild(cls.company_a, D(2023, 4, 1), TODAY)
            Snapshot._member_rebuild(cls.company_b, D(2023, 4, 1), TODAY)

        cls.accountant = new_test_user(
            env,
            login="member_kpi_accountant",
            groups="member_crm.group_member_crm_accountant",
            company_id=cls.company_a.id,
            company_ids=[cls.company_a.id, cls.company_b.id],
        )
        both = [cls.company_a.id, cls.company_b.id]
        cls.orders = env["member.report.order"].with_user(cls.accountant).with_context(allowed_company_ids=both)
        cls.members = env["member.report.members"].with_user(cls.accountant).with_context(allowed_company_ids=both)
        with freeze_time(noon_bogota("2024-03-20")):
            data = env["member.report.dashboard"].with_user(cls.accountant).get_dashboard_data(both)
        cls.dashboard_json = json.dumps(data)  # what the RPC sends: plain JSON, no Decimal, no date object
        cls.dashboard = {block["company_id"]: block for block in data["companies"]}
        cls.headline = data["headline"]

    # ------------------------------------------------------------------
    # fixture helpers
    # ------------------------------------------------------------------
    @classmethod
    def _membership_of(cls, partner, company):
        return cls.env["member.membership"].search([("partner_id", "=", partner.id), ("company_id", "=", company.id)])

    @classmethod
    def _pos(cls, store, lines, customer, utc_time, **order_args):
        """One order through the till's entry point, ``sync_from_ui``, with Odoo's own order data helper."""
        cls._uuid += 1
        session = store.current_session_id
        # create_ui_order_data reads the till's state from its ``self``: here the class
        cls.config, cls.pos_session, cls.pricelist, cls.currency = (
            store,
            session,
            store.pricelist_id,
            session.currency_id,
        )
        data = TestPoSCommon.create_ui_order_data(
            cls,
            lines,
            pos_order_ui_args={"date_order": utc_time, **order_args},
            customer=customer,
            uuid=f"{cls._uuid:05d}-716-{cls._uuid:04d}",
        )
        cls.env["pos.order"].sync_from_ui([data])
        return cls.env["pos.order"].search([("uuid", "=", data["uuid"])])

    @classmethod
    def _sale(cls, customer, company, price, pricelist=None):
        return (
            cls.env["sale.order"]
            .with_company(company)
            .create(
                {
                    "partner_id": customer.id,
                    "company_id": company.id,
                    **({"pricelist_id": pricelist.id} if pricelist else {}),
                    "order_line": [
                        Command.create({"product_id": cls.tasting.id, "product_uom_qty": 1, "price_unit": price})
                    ],
                }
            )
        )

    def assertMoney(self, currency, value, expected, msg=None):
        self.assertIsNotNone(value, msg)
        self.assertTrue(
            currency.is_zero(value - expected), f"{msg or ''}: {value} != {expected} at {currency.name} rounding"
        )

    def assertRatio(self, value, expected, msg=None):
        if expected is None:
            self.assertIsNone(value, msg)
        else:
            self.assertIsNotNone(value, msg)
            self.assertAlmostEqual(value, expected, places=6, msg=msg)

    # ------------------------------------------------------------------
    # the fixture is what it says
    # ------------------------------------------------------------------
    def test_fixture_preconditions(self):
        self.assertEqual(self.company_a.member_sale_qualify_on, "confirm")
        self.assertNotEqual(self.company_a.currency_id, self.company_b.currency_id)
        self.assertEqual(self.so1.state, "cancel")
        self.assertEqual(self.so2.currency_id, self.other_currency)
        self.assertEqual(self.so4.state, "sale")
        self.assertEqual((self.r1.is_refund, self.r2.is_refund), (True, True))
        ms1 = self._membership_of(self.m1, self.company_a)
        self.assertEqual(ms1.tier_id, self.tiers["GOLD"], "the grace start keeps the tier")
        self.assertEqual(ms1.grace_since, D(2024, 3, 18))
        self.assertEqual(
            ms1.history_ids.sorted("date").mapped("direction"), ["up", "up", "grace_start"], "placed, moved, grace"
        )

    # ------------------------------------------------------------------
    # the order analysis (member.report.order) through _read_group
    # ------------------------------------------------------------------
    def test_orders_never_add_up_currencies(self):
        groups = self.orders._read_group(
            [], ["company_id", "currency_id"], ["net_amount:sum", "order_count:sum", "__count"]
        )
        by_company = {company: (currency, net, orders, rows) for company, currency, net, orders, rows in groups}
        self.assertEqual(set(by_company), {self.company_a, self.company_b})
        currency_a, net_a, orders_a, rows_a = by_company[self.company_a]
        # A: opening 500 + O3 80 + O0 40 + O1 (300 - 100 - 100) 100 + O2 200 + SO1 0 (cancelled)
        #    + SO4 100 (counted once) + SO2 (50 EUR / 0.5) 100 = 1,120.00
        self.assertEqual(currency_a, self.company_a.currency_id)
        self.assertMoney(currency_a, net_a, 1120.0, "company A, in its currency")
        # orders net of cancellations: O3, O0, O1, O2, SO4, SO2 = 6 (SO1 cancelled, the opening no order)
        self.assertEqual(orders_a, 6)
        self.assertEqual(rows_a, 8, "7 order documents (SO4 once) + 1 opening")
        currency_b, net_b, orders_b, _rows = by_company[self.company_b]
        self.assertEqual(currency_b, self.company_b.currency_id)
        self.assertMoney(currency_b, net_b, 300.0, "company B, in CNY")
        self.assertEqual(orders_b, 1)

    def test_orders_by_month_restate_refunds_and_local_days(self):
        groups = self.orders._read_group(
            [("company_id", "=", self.company_a.id), ("is_opening", "=", False)],
            ["date:month"],
            ["amount:sum", "refund_amount:sum", "net_amount:sum", "order_count:sum", "returned:sum", "cancelled:sum"],
        )
        months = {month: rest for month, *rest in groups}
        self.assertEqual(set(months), {D(2023, 10, 1), D(2024, 2, 1), D(2024, 3, 1)})
        currency = self.company_a.currency_id
        amount, refunded, net, orders, returned, cancelled = months[D(2024, 2, 1)]
        # February: O0 40 + O1 300 (its 23:30 local is 1 March in UTC; its March refunds restate February)
        self.assertMoney(currency, amount, 340.0)
        self.assertMoney(currency, refunded, 200.0, "two partial refunds of 100")
        self.assertMoney(currency, net, 140.0)
        self.assertEqual((orders, returned, cancelled), (2, 1, 0), "two partial refunds: one returned order")
        amount, refunded, net, orders, returned, cancelled = months[D(2024, 3, 1)]
        # March: O2 200 + SO1 0 (cancelled) + SO4 100 + SO2 100
        self.assertMoney(currency, amount, 400.0)
        self.assertMoney(currency, refunded, 0.0)
        self.assertMoney(currency, net, 400.0)
        self.assertEqual((orders, returned, cancelled), (3, 0, 1))
        o1_row = self.orders.search([("id", "in", self._entry_ids(self.o1))])
        self.assertEqual((o1_row.date, o1_row.month), (D(2024, 2, 29), D(2024, 2, 1)))

    def _entry_ids(self, order):
        return (
            self.env["member.ledger"]
            .search([("source_model", "=", order._name), ("source_id", "=", order.id), ("kind", "=", "order")])
            .ids
        )

    def test_tier_at_order_date_store_and_team(self):
        a = [("company_id", "=", self.company_a.id)]
        currency = self.company_a.currency_id
        by_tier = dict(self.orders._read_group(a, ["tier_id"], ["net_amount:sum"]))
        # Standard: opening 500 + O3 80 + O0 40 (before Li Na's move on 02-15) + O2 200 + SO1 0 + SO4 100 = 920
        # Gold: O1 100 + SO2 100 = 200 (after the move; the grace start of 03-18 is no move)
        self.assertEqual(set(by_tier), {self.tiers["STD"], self.tiers["GOLD"]})
        self.assertMoney(currency, by_tier[self.tiers["STD"]], 920.0)
        self.assertMoney(currency, by_tier[self.tiers["GOLD"]], 200.0)
        by_store = dict(self.orders._read_group(a, ["pos_config_id"], ["net_amount:sum"]))
        # S1: O0 40 + O1 100 = 140; S2: O3 80 + O2 200 = 280; no store: sale orders 200 + opening 500 = 700
        self.assertMoney(currency, by_store[self.store_1], 140.0)
        self.assertMoney(currency, by_store[self.store_2], 280.0)
        self.assertMoney(currency, by_store[self.env["pos.config"]], 700.0)
        by_member = dict(self.orders._read_group(a, ["partner_id"], ["net_amount:sum"]))
        # lifetime value per member: Zhao Min 500 + 80; Li Na 40 + 100 + 100; Wang Wei 200 + 0 + 100
        self.assertMoney(currency, by_member[self.m3], 580.0)
        self.assertMoney(currency, by_member[self.m1], 240.0)
        self.assertMoney(currency, by_member[self.m2], 300.0)

    # ------------------------------------------------------------------
    # the member analysis (member.report.members, on the snapshot)
    # ------------------------------------------------------------------
    def test_members_by_month_and_tier(self):
        a = [("company_id", "=", self.company_a.id)]
        by_month = {
            month: (members, new)
            for month, members, new in self.members._read_group(
                a, ["month:month"], ["member_count:sum", "new_count:sum"]
            )
        }
        # Zhao Min from 2023-06-30 (imported without a date: never new), Li Na from 2023-12-01 (new in
        # December), Wang Wei from 2024-03-01 (new in March)
        self.assertEqual(by_month[D(2023, 6, 1)], (1, 0))
        self.assertEqual(by_month[D(2023, 11, 1)], (1, 0))
        self.assertEqual(by_month[D(2023, 12, 1)], (2, 1))
        self.assertEqual(by_month[D(2024, 2, 1)], (2, 0))
        self.assertEqual(by_month[D(2024, 3, 1)], (3, 1))
        self.assertNotIn(D(2023, 5, 1), by_month, "nobody yet")
        tiers = {
            (month, tier): members
            for month, tier, members in self.members._read_group(
                [*a, ("month", "in", [D(2024, 1, 1), D(2024, 2, 1), D(2024, 3, 1)])],
                ["month:month", "tier_id"],
                ["member_count:sum"],
            )
        }
        std, gold = self.tiers["STD"], self.tiers["GOLD"]
        # the mid-period move (02-15): January both Standard; February and March Li Na Gold
        self.assertEqual(tiers, {
            (D(2024, 1, 1), std): 2,
            (D(2024, 2, 1), std): 1,
            (D(2024, 2, 1), gold): 1,
            (D(2024, 3, 1), std): 2,
            (D(2024, 3, 1), gold): 1,
        })  # fmt: skip

    # ------------------------------------------------------------------
    # the dashboard: six headline figures, this month vs last, 12 months each
    # ------------------------------------------------------------------
    def test_dashboard_shape(self):
        self.assertEqual(
            self.headline,
            ["members", "new_members", "active_members", "average_spend", "return_rate", "lifetime_value"],
        )
        self.assertEqual(json.loads(self.dashboard_json)["companies"], list(self.dashboard.values()))
        block = self.dashboard[self.company_a.id]
        self.assertEqual(block["today"], "2024-03-20")
        self.assertEqual(block["months"][0], "2023-04-01")
        self.assertEqual(block["months"][-1], "2024-03-01")
        self.assertEqual(len(block["months"]), 12)
        self.assertEqual(block["currency_id"], self.company_a.currency_id.id)
        self.assertEqual(self.dashboard[self.company_b.id]["currency_id"], self.company_b.currency_id.id)
        for key in self.headline:
            figure = block["figures"][key]
            self.assertEqual(len(figure["series"]), 12, key)
            self.assertEqual((figure["series"][-1], figure["series"][-2]), (figure["value"], figure["previous"]))

    def test_members_growth(self):
        figures = self.dashboard[self.company_a.id]["figures"]
        # members at the month's end: Apr-May 2023 0, Jun-Nov 1, Dec-Feb 2, March (the 20th) 3
        self.assertEqual(figures["members"]["series"], [0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 2, 3])
        # growth = (members at end - members at start) / members at start: March (3 - 2) / 2
        self.assertRatio(figures["members"]["change"], 0.5)
        self.assertRatio(figures["member_growth"]["value"], 0.5)
        self.assertRatio(figures["member_growth"]["previous"], 0.0, "February: (2 - 2) / 2")
        self.assertEqual(figures["new_members"]["series"], [0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1])
        self.assertIsNone(figures["new_members"]["change"], "no growth from 0 new members")
        figures_b = self.dashboard[self.company_b.id]["figures"]
        self.assertEqual((figures_b["members"]["value"], figures_b["members"]["previous"]), (1, 0))
        self.assertIsNone(figures_b["member_growth"]["value"], "no members at the start: no growth")

    def test_active_members_spend_and_frequency(self):
        figures = self.dashboard[self.company_a.id]["figures"]
        currency = self.company_a.currency_id
        # active at D: a net order in (D - 89, D]; openings never count
        # 2024-03-20: 2023-12-23..2024-03-20: Li Na (O0, O1, SO2), Wang Wei (O2, SO4; SO1 cancelled) = 2
        # 2024-02-29: 2023-12-03..2024-02-29: Li Na (O0, O1) = 1
        # month ends Oct, Nov, Dec 2023: Zhao Min's O3 of 10-15 (Dec 31: from 10-04); Jan 31 (from 11-04): nobody
        self.assertEqual(figures["active_members"]["series"], [0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 1, 2])
        self.assertRatio(figures["active_growth"]["value"], 1.0, "(2 - 1) / 1")
        self.assertIsNone(figures["active_growth"]["previous"], "January had no active member")
        # average spend per active member, net of refunds
        # March: (O0 40 + O1 100 + O2 200 + SO4 100 + SO2 100) / 2 = 540 / 2 = 270.00
        # February: (O0 40 + O1 100) / 1 = 140.00
        self.assertMoney(currency, figures["average_spend"]["value"], 270.0)
        self.assertMoney(currency, figures["average_spend"]["previous"], 140.0)
        self.assertRatio(figures["average_spend"]["change"], 130.0 / 140.0)
        series = figures["average_spend"]["series"]
        self.assertEqual(series[:6], [None] * 6)
        self.assertMoney(currency, series[6], 80.0, "October: O3 80 / 1")
        self.assertIsNone(series[9], "January: nobody active")
        # frequency: net orders per active member: March 5 / 2 = 2.5; February 2 / 1 = 2.0
        self.assertRatio(figures["frequency"]["value"], 2.5)
        self.assertRatio(figures["frequency"]["previous"], 2.0)

    def test_return_rate(self):
        figures = self.dashboard[self.company_a.id]["figures"]
        # by the original order's month; orders net of cancellations
        # February: O1 returned (two partial refunds: one) / (O0, O1) = 1 / 2
        # March: no refund / (O2, SO4, SO2; SO1 cancelled) = 0 / 3
        self.assertRatio(figures["return_rate"]["value"], 0.0)
        self.assertRatio(figures["return_rate"]["previous"], 0.5)
        self.assertRatio(figures["return_rate"]["change"], -1.0)
        self.assertEqual(
            figures["return_rate"]["series"], [None, None, None, None, None, None, 0.0, None, None, None, 0.5, 0.0]
        )
        # the amount share: February 200 refunded / 340 ordered; March 0 / 400
        self.assertRatio(figures["refund_share"]["previous"], 200.0 / 340.0)
        self.assertRatio(figures["refund_share"]["value"], 0.0)

    def test_lifetime_and_customer_value(self):
        figures = self.dashboard[self.company_a.id]["figures"]
        currency = self.company_a.currency_id
        # cumulative net spend, the opening included, per member with a document so far
        # 2024-03-20: (500 + 80 + 40 + 100 + 200 + 0 + 100 + 100) / 3 = 1,120 / 3 = 373.33
        # 2024-02-29: (500 + 80 + 40 + 100) / 2 = 720 / 2 = 360.00
        self.assertMoney(currency, figures["lifetime_value"]["value"], 373.33)
        self.assertMoney(currency, figures["lifetime_value"]["previous"], 360.0)
        series = figures["lifetime_value"]["series"]
        self.assertEqual(series[:2], [None, None], "April, May 2023: no document")
        self.assertMoney(currency, series[2], 500.0, "June 2023: the opening balance alone")
        self.assertMoney(currency, series[9], 580.0, "January 2024: Zhao Min's 500 + 80")
        # customer value = mean order amount x frequency, 12 months to the day, openings excluded
        # 2023-04-01..2024-03-20: 620 in 6 net orders by 3 members: 103.333 x 2 = 206.67
        # 2023-03-01..2024-02-29: 220 in 3 net orders by 2 members: 73.333 x 1.5 = 110.00
        self.assertMoney(currency, figures["customer_value"]["value"], 206.67)
        self.assertMoney(currency, figures["customer_value"]["previous"], 110.0)

    def test_second_company_in_its_currency(self):
        figures = self.dashboard[self.company_b.id]["figures"]
        currency = self.company_b.currency_id
        self.assertEqual((figures["new_members"]["value"], figures["active_members"]["value"]), (1, 1))
        self.assertMoney(currency, figures["average_spend"]["value"], 300.0, "300 CNY / 1, never mixed with A")
        self.assertMoney(currency, figures["lifetime_value"]["value"], 300.0)
        self.assertRatio(figures["return_rate"]["value"], 0.0)
        self.assertIsNone(figures["average_spend"]["previous"], "nobody active in February")
