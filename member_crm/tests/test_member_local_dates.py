"""Ledger dates are days in the company's time zone, as Odoo's loyalty checks coupons.

Orders go through the real POS entry point (``sync_from_ui``) with the date the
till sends; a Shanghai store's 00:30 on 1 January belongs to the new year.
"""

import datetime as dt
import importlib.util
import pathlib

import pytz

from odoo import fields
from odoo.tests import tagged
from odoo.tools import SQL

from odoo.addons.point_of_sale.tests.common import TestPoSCommon

from .common import MemberTierMixin

MIGRATION = pathlib.Path(__file__).parents[1] / "migrations" / "19.0.1.1.0" / "post-ledger_local_dates.py"


@tagged("post_install", "-at_install")
class TestMemberLocalDates(TestPoSCommon, MemberTierMixin):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.config = cls.basic_config
        cls.env.user.group_ids |= cls.env.ref("member_crm.group_member_crm_manager")
        cls.tiers = cls._member_enable(cls.company, member_window_type="calendar")
        cls.company.partner_id.tz = "Asia/Shanghai"  # UTC+8, no daylight saving
        cls.tea = cls.create_product("Local Tea", cls.categ_basic, 700.0)
        cls.member = cls._member_partner("Chen Jie", cls.company)
        cls.year = fields.Date.today().year - 1

    def _sync(self, lines, utc_time, **order_args):
        data = self.create_ui_order_data(
            lines, customer=self.member, pos_order_ui_args={"date_order": utc_time, **order_args}
        )
        self.env["pos.order"].sync_from_ui([data])
        # by uuid: the result also lists the order a refund refunds
        return self.env["pos.order"].search([("uuid", "=", data["uuid"])])

    def _figures(self, as_of):
        membership = self._membership(self.member, self.company)
        row = membership._member_aggregate(membership_ids=membership.ids, as_of=as_of)[0]
        return float(row["spend"]), row["orders"]

    def _entries(self, order):
        return self.env["member.ledger"].search([("source_model", "=", "pos.order"), ("source_id", "=", order.id)])

    def test_new_year_in_the_store_time_zone(self):
        self.open_new_session()
        y = self.year
        late = self._sync([(self.tea, 1)], f"{y}-12-31 15:30:00")  # 23:30 on 31 December in Shanghai
        early = self._sync([(self.tea, 2)], f"{y}-12-31 16:30:00")  # 00:30 on 1 January in Shanghai
        self.assertEqual(self._entries(late).date, dt.date(y, 12, 31))
        self.assertEqual(self._entries(early).date, dt.date(y + 1, 1, 1), "the store's day, not UTC's")
        self.assertEqual(self._entries(early).line_ids.date, dt.date(y + 1, 1, 1))
        self.assertEqual(self._figures(dt.date(y, 12, 31)), (700.0, 1), "the old year: the 23:30 order only")
        self.assertEqual(self._figures(dt.date(y + 1, 3, 1)), (1400.0, 1), "the new year: the 00:30 order only")
        # a refund made days later keeps its original's day
        refund_line = {"product": self.tea, "quantity": -1, "refunded_orderline_id": early.lines.id}
        refund = self._sync([refund_line], f"{y + 1}-01-05 02:00:00", is_refund=True)
        self.assertEqual((refund.is_refund, self._entries(refund).kind), (True, "refund"))
        self.assertEqual(self._entries(refund).date, dt.date(y + 1, 1, 1))
        self.assertEqual(self._figures(dt.date(y + 1, 3, 1)), (700.0, 1))

    def test_loyalty_time_zone_parameter_when_the_company_has_none(self):
        self.company.partner_id.tz = False
        self.env["ir.config_parameter"].sudo().set_param("loyalty.timezone", "America/New_York")
        self.assertEqual(self.company._member_tz(), "America/New_York")
        self.open_new_session()
        order = self._sync([(self.tea, 1)], f"{self.year}-07-01 02:00:00")  # 22:00 on 30 June in New York
        self.assertEqual(self._entries(order).date, dt.date(self.year, 6, 30))
        self.env["ir.config_parameter"].sudo().set_param("loyalty.timezone", "Not/AZone")
        self.assertEqual(self.company._member_tz(), "UTC", "a broken parameter falls back to UTC")

    def test_today_and_windows_in_the_store_time_zone(self):
        shanghai_today = dt.datetime.now(pytz.timezone("Asia/Shanghai")).date()
        self.assertEqual(self.company._member_today(), shanghai_today)
        windows = self.env["member.membership"]._member_windows(self.company.ids)
        self.assertEqual(windows[self.company.id], (dt.date(shanghai_today.year, 1, 1), shanghai_today))
        self.assertEqual(self._membership(self.member, self.company).member_since, shanghai_today)

    def test_migration_redates_utc_entries(self):
        self.open_new_session()
        y = self.year
        order = self._sync([(self.tea, 2)], f"{y}-12-31 16:30:00")
        refund_line = {"product": self.tea, "quantity": -1, "refunded_orderline_id": order.lines.id}
        refund = self._sync([refund_line], f"{y + 1}-01-02 09:00:00", is_refund=True)
        entries = self._entries(order) | self._entries(refund)
        # as earlier versions wrote them: UTC dates
        self.env.flush_all()
        self.env.cr.execute(
            SQL("UPDATE member_ledger SET date = %s WHERE id = ANY(%s)", dt.date(y, 12, 31), entries.ids)
        )
        self.env.cr.execute(
            SQL("UPDATE member_ledger_line SET date = %s WHERE ledger_id = ANY(%s)", dt.date(y, 12, 31), entries.ids)
        )
        self.env.invalidate_all()
        self.assertEqual(self._figures(dt.date(y + 1, 3, 1)), (0.0, 0), "UTC dates: in last year's window")

        spec = importlib.util.spec_from_file_location("member_crm_post_ledger_local_dates", MIGRATION)
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        migration.migrate(self.env.cr, "19.0.1.0.1")

        self.assertEqual(set(entries.mapped("date")), {dt.date(y + 1, 1, 1)}, "the order and its refund")
        self.assertEqual(set(entries.line_ids.mapped("date")), {dt.date(y + 1, 1, 1)})
        self.assertEqual(self._figures(dt.date(y + 1, 3, 1)), (700.0, 1))
        migration.migrate(self.env.cr, "19.0.1.0.1")  # run twice: nothing more changes
        self.assertEqual(set(entries.mapped("date")), {dt.date(y + 1, 1, 1)})
