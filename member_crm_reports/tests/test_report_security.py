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
# the analyses of member_crm_marketing's data, and their columns that say who: read by the roles that open
# the source records only (the auditor reads the figures)
PERSONAL_FIELDS = {
    "member.report.tier.event": ("partner_id", "membership_id"),
    "member.report.campaign": (),
    "member.report.service": ("complaint_id", "partner_id", "membership_id"),
}
PERSONAL_READERS = {
    "member.report.tier.event": ("member_officer", "member_marketing", "member_manager"),
    "member.report.campaign": (),
    "member.report.service": ("member_service", "member_manager"),
}
# models whose record says who a member is, or which ticket
PERSONAL_MODELS = {"res.partner", "member.membership", "member.complaint", "member.campaign.recipient"}


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
        cls.salesperson = new_test_user(
            cls.env,
            login="member_report_salesperson",
            groups="member_crm.group_member_crm_user,sales_team.group_sale_salesman",
        )
        # a row of each marketing analysis in each company: the enrolments above are tier movements; a ticket
        # each; a sent campaign each with its member as recipient (its results are the refresh's, tested by
        # member_crm_marketing and test_marketing_reports: a row is all these tests need)
        for company, member in ((cls.company_a, cls.member_a), (cls.company_b, cls.member_b)):
            membership = cls.env["member.membership"].search(
                [("partner_id", "=", member.id), ("company_id", "=", company.id)]
            )
            cls.env["member.complaint"].with_company(company).create(
                {"name": "Report ticket", "partner_id": member.id, "company_id": company.id}
            )
            campaign = (
                cls.env["member.campaign"]
                .with_company(company)
                .create({"name": "Report campaign", "company_id": company.id})
            )
            campaign.sent_date = campaign.date_start
            cls.env["member.campaign.recipient"].create(
                {
                    "campaign_id": campaign.id,
                    "partner_id": member.id,
                    "company_id": company.id,
                    "membership_id": membership.id,
                    "tier_id": membership.tier_id.id,
                }
            )

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

    # ------------------------------------------------------------------
    # tier movements, campaign effectiveness, complaints: figures for the auditor, not who
    # ------------------------------------------------------------------
    def test_marketing_reports_have_rows_in_both_companies(self):
        for model in PERSONAL_FIELDS:
            with self.subTest(model=model):
                companies = self.env[model].sudo().search([]).company_id
                self.assertGreaterEqual(companies, self.company_a | self.company_b)

    def test_auditor_reads_the_figures_not_who(self):
        for model, personal in PERSONAL_FIELDS.items():
            Report = self.env[model].with_user(self.accountant_a)
            domain = [("company_id", "=", self.company_a.id)]
            with self.subTest(model=model):
                rows = Report.search(domain)
                self.assertTrue(rows, "the auditor reads the analysis")
                self.assertTrue(Report._read_group(domain, ["month:month"], ["__count"]))
                described = Report.fields_get()
                # no column the auditor reads says who (a future one would fail here)
                self.assertFalse(
                    {
                        name
                        for name, field in described.items()
                        if field["type"] in ("many2one", "one2many", "many2many")
                        and field["relation"] in PERSONAL_MODELS
                    }
                )
                self.assertFalse(set(personal) & set(described))
                arch = Report.get_views([(False, "list"), (False, "search"), (False, "pivot")])["views"]
                for view_type, view in arch.items():
                    for name in personal:
                        self.assertNotIn(f'name="{name}"', view["arch"], f"{view_type} view shows {name}")
            for name in personal:
                with self.subTest(model=model, field=name):
                    with self.assertRaises(AccessError):
                        rows.read([name])
                    with self.assertRaises(AccessError):
                        Report.search_read(domain, [name])
                    with self.assertRaises(AccessError):
                        Report._read_group(domain, [name], ["__count"])
                    with self.assertRaises(AccessError):
                        Report.search([*domain, (name, "!=", False)])
                    with self.assertRaises(AccessError):
                        rows[:1].mapped(name)
            # the rows' names are no ticket either
            self.assertTrue(all(rows.mapped("display_name")))
        for model, logins in PERSONAL_READERS.items():
            for login in logins:
                with self.subTest(model=model, reader=login):
                    rows = (
                        self.env[model]
                        .with_user(self.role_users[login])
                        .search([("company_id", "=", self.company_a.id)])
                    )
                    self.assertIn(self.member_a, rows.partner_id, "the source records' readers see who")

    def test_marketing_reports_refused_without_reporting_rights(self):
        refused = {
            "cashier": self.cashier,
            "salesperson": self.salesperson,
            "portal": self.portal,
            "plain employee": self.role_users["member_plain"],
        }
        for role, user in refused.items():
            for model in PERSONAL_FIELDS:
                with self.subTest(role=role, model=model):
                    with self.assertRaises(AccessError):
                        self.env[model].with_user(user).search_read([], ["company_id"])
                    with self.assertRaises(AccessError):
                        self.env[model].with_user(user)._read_group([], ["company_id"], ["__count"])

    def test_marketing_reports_of_another_company_are_not_seen(self):
        for model in PERSONAL_FIELDS:
            with self.subTest(model=model):
                Report = self.env[model].with_user(self.accountant_b)
                self.assertEqual(
                    {row["company_id"][0] for row in Report.search_read([], ["company_id"])}, {self.company_b.id}
                )
                row_a = self.env[model].sudo().search([("company_id", "=", self.company_a.id)], limit=1)
                self.assertFalse(Report.search([("id", "=", row_a.id)]))
                with self.assertRaises(AccessError):
                    Report.browse(row_a.id).read(["company_id"])
