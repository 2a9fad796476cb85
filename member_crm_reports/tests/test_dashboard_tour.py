from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.member_crm.tests.common import MemberTierMixin


@tagged("post_install", "-at_install")
class TestDashboardTour(HttpCase, MemberTierMixin):
    """The dashboard client action as a member auditor, in a real browser (headless Chromium)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env["res.company"].create({"name": "Dashboard Tour Co"})
        cls.env.user.company_ids |= cls.company
        cls._member_enable(cls.company)
        for name in ("Tour Hua", "Tour Jin"):
            cls._member_partner(name, cls.company)
        # the nightly review's last step: this month's snapshot (members and new members)
        cls.env["member.tier.snapshot"]._member_snapshot(cls.company)
        cls.auditor = new_test_user(
            cls.env,
            login="dashboard_auditor",
            groups="member_crm.group_member_crm_accountant",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )

    def test_dashboard_six_cards(self):
        data = self.env["member.report.dashboard"].with_user(self.auditor).get_dashboard_data()
        [block] = data["companies"]
        self.assertEqual((block["figures"]["members"]["value"], block["figures"]["new_members"]["value"]), (2, 2))
        self.start_tour("/odoo", "member_crm_reports_dashboard_tour", login=self.auditor.login)
