"""The KPI workbook (XLSX): downloaded from /member_crm_reports/xlsx, read back with openpyxl.

Fixture: a company in Shanghai enrols Zhang Wei and Ada today; Zhang moves to Gold, a tier its manager renamed
to a spreadsheet formula, and belongs to the store "XLSX Store" (his home store); Ada buys there (the store's
sales team: "XLSX Team"). The nightly review's snapshot of this month is written. The workbook holds the
dashboard's figures (``member.report.dashboard.get_dashboard_data``) and the analyses behind them, read as the
user who downloads it.
"""

import io

import openpyxl

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.member_crm.tests.common import MemberTierMixin

FORMULA = '=HYPERLINK("http://evil.example/","点击领奖")'
SHEETS_EN = ["Headline Figures", "Monthly Figures", "Members by Tier and Region", "Orders by Store and Team"]
SHEETS_ZH = ["核心指标", "每月指标", "按等级和地区的会员", "按门店和销售团队的订单"]


@tagged("post_install", "-at_install")
class TestMemberXlsxExport(HttpCase, MemberTierMixin):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("zh_CN")
        cls.env["ir.module.module"]._load_module_terms(["member_crm_reports"], ["zh_CN"], overwrite=True)
        cls.company = cls.env["res.company"].create({"name": "会员指标公司"})
        cls.company.partner_id.tz = "Asia/Shanghai"
        cls.env.user.company_ids |= cls.company
        cls.tiers = cls._member_enable(cls.company)
        cls.tiers["GOLD"].name = FORMULA
        cls.zhang = cls._member_partner("张伟", cls.company)
        cls.ada = cls._member_partner("Ada Lovelace", cls.company)
        membership = cls.env["member.membership"].search(
            [("partner_id", "=", cls.zhang.id), ("company_id", "=", cls.company.id)]
        )
        membership._member_apply_changes([(membership.id, membership.tier_id.id, cls.tiers["GOLD"].id)], "manual")
        cls._store_fixture(membership)
        cls.env["member.tier.snapshot"]._member_snapshot(cls.company)
        user = {"company_id": cls.company.id, "company_ids": [cls.company.id]}
        cls.officer = new_test_user(
            cls.env, login="xlsx_officer", groups="member_crm.group_member_crm_officer", lang="en_US", **user
        )
        cls.auditor = new_test_user(
            cls.env, login="xlsx_auditor", groups="member_crm.group_member_crm_accountant", lang="en_US", **user
        )
        cls.auditor_zh = new_test_user(
            cls.env, login="xlsx_auditor_zh", groups="member_crm.group_member_crm_accountant", lang="zh_CN", **user
        )
        cls.cashier = new_test_user(
            cls.env, login="xlsx_cashier", groups="base.group_user,point_of_sale.group_pos_user", **user
        )
        other = cls.env["res.company"].create({"name": "XLSX Other Co"})
        cls.other_auditor = new_test_user(
            cls.env,
            login="xlsx_other",
            groups="member_crm.group_member_crm_accountant",
            company_id=other.id,
            company_ids=[other.id],
        )

    @classmethod
    def _store_fixture(cls, zhang_membership):
        """A store with a sales team (its payment methods need the company's chart of accounts), Zhang's home
        store, and Ada's order paid there: officers and auditors read neither pos.config nor its session."""
        cls.env["account.chart.template"].try_loading("generic_coa", cls.company, install_demo=False)
        cls.team = cls.env["crm.team"].create({"name": "XLSX Team", "company_id": cls.company.id})
        cls.store = (
            cls.env["pos.config"]
            .with_company(cls.company)
            .create({"name": "XLSX Store", "company_id": cls.company.id, "crm_team_id": cls.team.id})
        )
        zhang_membership.home_config_id = cls.store
        session = (
            cls.env["pos.session"]
            .with_company(cls.company)
            .create({"config_id": cls.store.id, "user_id": cls.env.ref("base.user_admin").id})
        )
        session.set_opening_control(0, None)
        tea = cls.env["product.product"].create(
            {"name": "XLSX Tea", "list_price": 50.0, "available_in_pos": True, "taxes_id": [Command.clear()]}
        )
        order = (
            cls.env["pos.order"]
            .with_company(cls.company)
            .create(
                {
                    "session_id": session.id,
                    "company_id": cls.company.id,
                    "partner_id": cls.ada.id,
                    "lines": [
                        Command.create(
                            {
                                "product_id": tea.id,
                                "qty": 2,
                                "price_unit": 50.0,
                                "price_subtotal": 100.0,
                                "price_subtotal_incl": 100.0,
                            }
                        )
                    ],
                    "amount_total": 100.0,
                    "amount_tax": 0.0,
                    "amount_paid": 0.0,
                    "amount_return": 0.0,
                }
            )
        )
        order.add_payment(
            {"pos_order_id": order.id, "amount": 100.0, "payment_method_id": cls.store.payment_method_ids[:1].id}
        )
        order.action_pos_order_paid()  # the hook that writes the ledger entry, with the store and its team

    def _download(self, login):
        self.authenticate(login, login)
        return self.url_open(f"/member_crm_reports/xlsx?company_ids={self.company.id}")

    def _workbook(self, login):
        response = self._download(login)
        self.assertEqual(response.status_code, 200, response.text[:500])
        self.assertEqual(
            response.headers["Content-Type"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        self.assertIn(".xlsx", response.headers["Content-Disposition"])
        return openpyxl.load_workbook(io.BytesIO(response.content))

    @staticmethod
    def _rows(sheet):
        return list(sheet.iter_rows(min_row=2, values_only=True))

    def test_the_dashboard_figures_as_a_workbook(self):
        book = self._workbook("xlsx_auditor")
        self.assertEqual(book.sheetnames, SHEETS_EN)
        for sheet in book.worksheets:
            self.assertEqual(sheet.freeze_panes, "A2", sheet.title)
        headline = {row[1]: row for row in self._rows(book["Headline Figures"])}
        # this month: the two members enrolled today, both new
        self.assertEqual(headline["Members"][:3], ("会员指标公司", "Members", 2))
        self.assertEqual(headline["New Members"][2], 2)
        self.assertEqual(book["Headline Figures"]["C2"].number_format, "#,##0")
        self.assertEqual(book["Headline Figures"]["E1"].value, "Change")
        # the same figures as the dashboard, month by month (12 rows)
        data = self.env["member.report.dashboard"].with_user(self.auditor).get_dashboard_data()
        [block] = data["companies"]
        monthly = self._rows(book["Monthly Figures"])
        self.assertEqual(len(monthly), 12)
        header = [cell.value for cell in book["Monthly Figures"][1]]
        members_column = header.index("Members")
        self.assertEqual([row[members_column] for row in monthly], block["figures"]["members"]["series"])
        self.assertEqual(monthly[-1][members_column], 2)
        self.assertEqual(book["Monthly Figures"]["B2"].number_format, "yyyy-mm")
        # members by tier: the Gold row's tier name is the formula, written as text
        members = book["Members by Tier and Region"]
        tiers = {row[2]: row for row in self._rows(members)}
        self.assertEqual(tiers[FORMULA][6:8], (1, 1))
        self.assertEqual(tiers["Standard"][6:8], (1, 1))
        formula_cells = [cell for row in members.iter_rows(min_row=2) for cell in row if cell.value == FORMULA]
        self.assertTrue(formula_cells)
        self.assertEqual({cell.data_type for cell in formula_cells}, {"s"})

    def test_store_and_team_names_for_officers_and_auditors(self):
        """The pivot names the stores and teams it groups by to users who cannot read pos.config: so does the
        workbook, for an officer and an auditor alike."""
        self.assertFalse(self.store.with_user(self.auditor).has_access("read"), "precondition: no pos.config right")
        self.assertFalse(self.store.with_user(self.officer).has_access("read"), "precondition: no pos.config right")
        for login in ("xlsx_officer", "xlsx_auditor"):
            with self.subTest(login=login):
                book = self._workbook(login)
                orders = self._rows(book["Orders by Store and Team"])
                self.assertEqual(
                    [(row[3], row[4], row[5], row[10]) for row in orders], [("XLSX Store", "XLSX Team", 1, 100.0)]
                )
                members = {row[2]: row for row in self._rows(book["Members by Tier and Region"])}
                self.assertEqual(members[FORMULA][5], "XLSX Store", "Zhang's home store")

    def test_chinese_sheet_names(self):
        book = self._workbook("xlsx_auditor_zh")
        self.assertEqual(book.sheetnames, SHEETS_ZH)
        headline = {row[1]: row for row in self._rows(book["核心指标"])}
        self.assertEqual(headline["会员数"][2], 2)

    def test_roles_without_the_analyses_get_no_workbook(self):
        # a cashier reads none of the analyses; another company's auditor may not select this company
        for login in ("xlsx_cashier", "xlsx_other"):
            with self.subTest(login=login):
                response = self._download(login)
                self.assertEqual(response.status_code, 403)
                self.assertFalse(response.content.startswith(b"PK"), "an XLSX file was served")
        Export = self.env["member.report.print"]
        with self.assertRaises(AccessError):
            Export.with_user(self.cashier)._member_kpi_workbook()

    def test_print_and_export_wizard(self):
        wizard = self.env["member.report.print"].with_user(self.auditor).create({})
        self.assertEqual(wizard.company_ids, self.company)
        self.assertEqual(wizard.date_from, self.company._member_today().replace(month=1, day=1))
        action = wizard.action_export_xlsx()
        self.assertEqual(
            (action["type"], action["url"], action["target"]),
            ("ir.actions.act_url", f"/member_crm_reports/xlsx?company_ids={self.company.id}", "download"),
        )
        action = wizard.action_print_tier_summary()
        self.assertEqual(action["report_name"], "member_crm_reports.report_member_tier_summary")
        self.assertEqual(action["context"]["active_ids"], self.company.ids)
        self.assertEqual(
            action["data"],
            {"date_from": str(wizard.date_from), "date_to": str(wizard.date_to)},
        )
        with self.assertRaises(UserError):
            wizard.write({"date_from": "2026-05-01", "date_to": "2026-04-30"})
