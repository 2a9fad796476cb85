"""Who reads the member KPI reports and the dashboard, and which company's rows.

The report models are SQL subqueries: the ledger's and the memberships' rules
do not apply inside them, so these tests prove the reports' own access rights
and company rules hold, as the lowest roles.
"""

from contextlib import closing

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tools import SQL

from odoo.addons.member_crm.tests.common import MemberCrmCommon, MemberTierMixin

REPORTS = ("member.report.order", "member.report.members")


@tagged("post_install", "-at_install")
class TestReportSecurity(MemberCrmCommon, MemberTierMixin):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.env.company
        cls.company_b = cls.env["res.company"].create({"name": "Member Reports B"})
        cls.env.user.company_ids |= cls.company_b
        for company in (cls.company_a, cls.company_b):
            cls._member_enable(company)
        cls.member_a = cls._member_partner("Report Member A", cls.company_a)
        cls.member_b = cls._member_partner("Report Member B", cls.company_b)
        Ledger = cls.env["member.ledger"]
        today = cls.company_a._member_today()
        # an opening balance each: a row of member.report.order in each company
        Ledger._member_record_opening(
            [
                {"partner_id": cls.member_a.id, "company_id": cls.company_a.id, "date": today, "amount": 120.0},
                {"partner_id": cls.member_b.id, "company_id": cls.company_b.id, "date": today, "amount": 80.0},
            ],
            check=False,
        )
        Snapshot = cls.env["member.tier.snapshot"]
        for company in (cls.company_a, cls.company_b):
            Snapshot._member_snapshot(company)
        cls.accountant_a = cls.role_users["member_accountant"]
        cls.accountant_b = new_test_user(
            cls.env,
            login="member_report_accountant_b",
            groups="member_crm.group_member_crm_accountant",
            company_id=cls.company_b.id,
            company_ids=[cls.company_b.id],
        )
        cls.cashier = new_test_user(cls.env, login="member_report_cashier", groups="point_of_sale.group_pos_user")
        cls.portal = new_test_user(cls.env, login="member_report_portal", groups="base.group_portal")

    def test_reports_have_rows_in_both_companies(self):
        """The precondition of the isolation tests: as superuser, both companies have rows."""
        for model in REPORTS:
            companies = self.env[model].sudo().search([]).company_id
            self.assertGreaterEqual(companies, self.company_a | self.company_b, model)

    def test_roles_without_reporting_rights_are_refused(self):
        refused = {
            "cashier": self.cashier,
            "portal": self.portal,
            "member user": self.role_users["member_user"],
            "campaign officer": self.role_users["member_marketing"],
            "service agent": self.role_users["member_service"],
            "plain employee": self.role_users["member_plain"],
        }
        for role, user in refused.items():
            for model in REPORTS:
                with self.subTest(role=role, model=model), self.assertRaises(AccessError):
                    self.env[model].with_user(user).search_read([], ["company_id"])
            with self.subTest(role=role, model="dashboard"), self.assertRaises(AccessError):
                self.env["member.report.dashboard"].with_user(user).get_dashboard_data()

    def test_readers(self):
        for role in ("member_accountant", "member_officer", "member_manager"):
            user = self.role_users[role]
            for model in REPORTS:
                with self.subTest(role=role, model=model):
                    self.assertTrue(self.env[model].with_user(user).search_read([], ["company_id"]))

    def test_menus_and_views_follow_the_rights(self):
        menus = (
            "member_crm_reports.menu_member_crm_report_order",
            "member_crm_reports.menu_member_crm_report_members",
        )
        for menu in menus:
            self.assertIn(menu, self.visible_menu_xmlids(self.accountant_a))
            self.assertIn(menu, self.visible_menu_xmlids(self.role_users["member_officer"]))
            self.assertNotIn(menu, self.visible_menu_xmlids(self.role_users["member_marketing"]))
        for model in REPORTS:
            views = (
                self.env[model]
                .with_user(self.accountant_a)
                .get_views([(False, "pivot"), (False, "graph"), (False, "list"), (False, "search")])
            )
            self.assertEqual(set(views["views"]), {"pivot", "graph", "list", "search"}, model)

    def test_a_company_b_user_does_not_see_company_a(self):
        for model in REPORTS:
            with self.subTest(model=model):
                rows = self.env[model].with_user(self.accountant_b).search_read([], ["company_id"])
                self.assertTrue(rows)
                self.assertEqual({row["company_id"][0] for row in rows}, {self.company_b.id})
                groups = self.env[model].with_user(self.accountant_b)._read_group([], ["company_id"], ["__count"])
                self.assertEqual([company for company, _count in groups], [self.company_b])
        # even when asking for it by id, or through the dashboard
        row_a = self.env["member.report.order"].sudo().search([("company_id", "=", self.company_a.id)], limit=1)
        self.assertFalse(self.env["member.report.order"].with_user(self.accountant_b).search([("id", "=", row_a.id)]))
        with self.assertRaises(AccessError):
            self.env["member.report.order"].with_user(self.accountant_b).browse(row_a.id).read(["net_amount"])
        data = self.env["member.report.dashboard"].with_user(self.accountant_b).get_dashboard_data()
        self.assertEqual([block["company_id"] for block in data["companies"]], [self.company_b.id])
        with self.assertRaises(AccessError):
            self.env["member.report.dashboard"].with_user(self.accountant_b).get_dashboard_data([self.company_a.id])

    def test_reports_are_read_only(self):
        Report = self.env["member.report.order"].with_user(self.accountant_a)
        row = Report.search([], limit=1)
        self.assertTrue(row)
        with self.assertRaises(AccessError):
            row.write({"net_amount": 1.0})
        with self.assertRaises(AccessError):
            row.unlink()
        with self.assertRaises(AccessError):
            Report.create({"net_amount": 1.0})

    def test_dashboard_writes_nothing(self):
        """@api.readonly: over RPC it runs on a read-only cursor (the replica, when set), so it must not write."""
        method = type(self.env["member.report.dashboard"]).get_dashboard_data
        self.assertTrue(getattr(method, "_readonly", False))
        Dashboard = self.env["member.report.dashboard"].with_user(self.accountant_a)
        self.env.flush_all()
        # as Odoo's test cursors simulate a read-only connection: any write would fail here
        with closing(self.env.cr.savepoint(flush=False)):
            self.env.cr.execute(SQL("SET TRANSACTION READ ONLY"))
            data = Dashboard.get_dashboard_data()
        self.assertEqual([block["company_id"] for block in data["companies"]], [self.company_a.id])
