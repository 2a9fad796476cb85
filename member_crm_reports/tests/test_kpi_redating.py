"""The dashboard's lifetime value re-dates documents as the order analysis does.

``member.report.dashboard._member_cumulative`` reads the ledger in one scan instead of the order analysis
(``member.report.order``), so it must date every entry of a document as the analysis dates the document:
at its last order revision. Fixture (company in UTC, each step at noon), three members each with the same
three sale-order documents (ledger entries written as the sale, refund and cancellation hooks write them):

- doc A: revision 0 on 2024-02-05 (100.00), a refund of it (-30.00) and that refund's cancellation (+30.00),
  the order cancelled (-100.00), confirmed again on 2024-03-15 (revision 1: 120.00), a refund (-20.00):
  net 100.00, all of it on 2024-03-15;
- doc B: 50.00 on 2024-02-10, cancelled, confirmed again the same day for 55.00: net 55.00 on 2024-02-10;
- doc C: 70.00 on 2024-04-02, cancelled, confirmed again re-dated 2024-01-20 (75.00), cancelled again:
  net 0.00 on 2024-01-20, a document (its member a buyer) from then.

Members: Ann from 2024-01-01; Ben only from 2024-03-10 (joined later); Cid from 2024-01-01, left on 2024-02-20.
A document counts when its customer was an active member on its (re-dated) day.
"""

import datetime as dt
from functools import partial

from freezegun import freeze_time

from odoo.tests import new_test_user, tagged
from odoo.tools import SQL

from odoo.addons.base.tests.common import BaseCommon
from odoo.addons.member_crm.tests.common import MemberTierMixin

D = dt.date
TODAY = D(2024, 4, 30)
MONTH_ENDS = (D(2024, 1, 31), D(2024, 2, 29), D(2024, 3, 31), TODAY)


@tagged("post_install", "-at_install")
class TestKpiRedating(BaseCommon, MemberTierMixin):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env["res.company"].create({"name": "KPI Redating Co"})
        cls.company.partner_id.tz = "UTC"
        cls.env.user.company_ids |= cls.company
        cls._member_enable(cls.company, member_sale_qualify_on="confirm")
        with freeze_time("2024-01-01 12:00:00"):
            cls.ann = cls._member_partner("Redating Ann", cls.company)
            cls.cid = cls._member_partner("Redating Cid", cls.company)
        with freeze_time("2024-02-20 12:00:00"):
            cls.env["member.membership"].search(
                [("partner_id", "=", cls.cid.id), ("company_id", "=", cls.company.id)]
            ).state = "left"
        with freeze_time("2024-03-10 12:00:00"):
            cls.ben = cls._member_partner("Redating Ben", cls.company)
        cls.env.flush_all()
        cls._source = 1_900_000_000  # far from real sale order ids (the source key is unique)
        for partner in (cls.ann, cls.ben, cls.cid):
            cls._documents(partner)
        cls.env.invalidate_all()
        cls.accountant = new_test_user(
            cls.env,
            login="kpi_redating_accountant",
            groups="member_crm.group_member_crm_accountant",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )

    @classmethod
    def _entry(cls, partner, day, kind, amount, count, revision, source, reverses=None):
        cls.env.cr.execute(
            SQL(
                """INSERT INTO member_ledger (partner_id, company_id, date, kind, amount, order_count, feedback_count,
                                              revision, source_model, source_id, refund_of_id)
                   VALUES (%s, %s, %s, %s, %s, %s, 0, %s, 'sale.order', %s, %s) RETURNING id""",
                partner.id,
                cls.company.id,
                day,
                kind,
                amount,
                count,
                revision,
                source,
                reverses,
            )
        )
        return cls.env.cr.fetchone()[0]

    @classmethod
    def _documents(cls, partner):
        cls._source += 10
        src, entry = cls._source, partial(cls._entry, partner)
        # doc A: revision 0, a refund and its cancellation, cancelled, re-confirmed later, refunded again
        a0 = entry("2024-02-05", "order", 100.0, 1, 0, src)
        refund = entry("2024-02-05", "refund", -30.0, 0, 0, src + 1, a0)
        entry("2024-02-05", "cancel", 30.0, 0, 0, src + 1, refund)
        entry("2024-02-05", "cancel", -100.0, -1, 0, src, a0)
        entry("2024-03-15", "order", 120.0, 1, 1, src)
        entry("2024-02-05", "refund", -20.0, 0, 0, src + 2, a0)
        # doc B: cancelled and re-confirmed the same day
        b0 = entry("2024-02-10", "order", 50.0, 1, 0, src + 3)
        entry("2024-02-10", "cancel", -50.0, -1, 0, src + 3, b0)
        entry("2024-02-10", "order", 55.0, 1, 1, src + 3)
        # doc C: re-confirmed re-dated earlier, cancelled again
        c0 = entry("2024-04-02", "order", 70.0, 1, 0, src + 4)
        entry("2024-04-02", "cancel", -70.0, -1, 0, src + 4, c0)
        c1 = entry("2024-01-20", "order", 75.0, 1, 1, src + 4)
        entry("2024-01-20", "cancel", -75.0, -1, 1, src + 4, c1)

    def _view(self, day):
        """(net amount, members with a document) of the order analysis up to ``day``, as the accountant."""
        [(amount, members)] = (
            self.env["member.report.order"]
            .with_user(self.accountant)
            ._read_group(
                [("company_id", "=", self.company.id), ("date", "<=", day)],
                [],
                ["net_amount:sum", "membership_id:count_distinct"],
            )
        )
        return round(amount or 0.0, 2), members

    def test_lifetime_value_dates_documents_at_their_last_revision(self):
        Dashboard = self.env["member.report.dashboard"].with_user(self.accountant)
        cid = self.company.id
        spent, firsts = Dashboard._member_cumulative(self.company.with_user(self.accountant), TODAY)
        # by month, documents at their last revision's day, counted while their member was active then:
        # January: doc C (re-dated 01-20, net 75 - 75 + 70 - 70 = 0) of Ann and Cid: 0.00, 2 first documents
        # February: doc B (50 - 50 + 55 = 55) of Ann and Cid (Cid left on the 20th, B is of the 10th): 110.00
        #   (not doc A's entries of 02-05: A is dated 03-15, its last revision's day)
        # March: doc A (100 - 30 + 30 - 100 + 120 - 20 = 100) of Ann and Ben (a member since 03-10), not Cid
        #   (gone by then): 200.00, and Ben's first document
        # April: doc C's revision 0 of 04-02 counts in January, re-dated: nothing
        self.assertEqual(spent, {(cid, D(2024, 1, 1)): 0.0, (cid, D(2024, 2, 1)): 110.0, (cid, D(2024, 3, 1)): 200.0})
        self.assertEqual(firsts, {(cid, D(2024, 1, 1)): 2, (cid, D(2024, 3, 1)): 1})

        # the same as the order analysis, month by month
        Orders = self.env["member.report.order"].with_user(self.accountant)
        by_month = Orders._read_group(
            [("company_id", "=", cid), ("date", "<=", TODAY)], ["date:month"], ["net_amount:sum"]
        )
        self.assertEqual({(cid, month): round(amount, 2) for month, amount in by_month}, spent)
        first_days = Orders._read_group(
            [("company_id", "=", cid), ("date", "<=", TODAY)], ["membership_id"], ["date:min"]
        )
        analysis_firsts = {}
        for _membership, first_day in first_days:
            key = (cid, first_day.replace(day=1))
            analysis_firsts[key] = analysis_firsts.get(key, 0) + 1
        self.assertEqual(analysis_firsts, firsts)

        # the dashboard's lifetime value at each month's end, cumulative spend per member with a document:
        # January 0.00 / 2 = 0.00; February 110.00 / 2 = 55.00; March and April (0 + 110 + 200) / 3 = 103.33
        with freeze_time("2024-04-30 12:00:00"):
            data = Dashboard.get_dashboard_data()
        [block] = data["companies"]
        series = block["figures"]["lifetime_value"]["series"]
        self.assertEqual(block["months"][-4:], ["2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01"])
        self.assertEqual([round(value, 2) for value in series[-4:]], [0.0, 55.0, 103.33, 103.33])
        self.assertEqual(series[:-4], [None] * 8, "no document before January")
        # and the order analysis' figures at the same days: (net amount, members with a document)
        views = [self._view(day) for day in MONTH_ENDS]
        self.assertEqual(views, [(0.0, 2), (110.0, 2), (310.0, 3), (310.0, 3)])
        self.assertEqual([round(value, 2) for value in series[-4:]], [round(a / n, 2) for a, n in views])
