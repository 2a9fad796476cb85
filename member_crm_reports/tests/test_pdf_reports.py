"""The members' PDF reports, rendered by the real wkhtmltopdf and read back with poppler-utils.

No skip: a missing wkhtmltopdf, pdftotext or pdffonts fails the class with a message naming it (setup/test
checks them first), and a rendering Odoo would skip (several documents in one call to a wkhtmltopdf without
the patched Qt) fails the test.

Fixture (company in Shanghai, built by the real writers): Zhang Wei (张伟, Chinese) and Ada (English) join 20
days ago; Zhang moves to Platinum an hour later. Today Zhang earns 350 points and spends 100 (balance 250),
Ada earns 120. A campaign sent yesterday by email reached both; Zhang opened and clicked it. Zhang's complaint
of 10 days ago was never answered (both SLA deadlines missed), then closed and rated Happy; Ada's inquiry of
5 days ago was answered and closed at once, rated Unhappy.

Text extraction: Qt's PDF writer maps a glyph that Noto CJK shares between a CJK radical and an ideograph to
the radical (金 comes out as the Kangxi radical U+2FA6), so the text is NFKC-normalised before the checks,
and the words checked avoid the radicals NFKC does not map back (黄 of the default Gold tier).
"""

import datetime
import io
import shutil
import subprocess
import tempfile
import unicodedata
import unittest

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools.pdf import PdfFileReader

from odoo.addons.member_crm.tests.test_member_benefits import MemberBenefitsMixin

TOOLS = {
    "wkhtmltopdf": "wkhtmltopdf (Debian: apt-get install wkhtmltopdf)",
    "pdftotext": "pdftotext (Debian: apt-get install poppler-utils)",
    "pdffonts": "pdffonts (Debian: apt-get install poppler-utils)",
}
STATEMENT = "member_crm_reports.action_report_member_statement"
TIER_SUMMARY = "member_crm_reports.action_report_member_tier_summary"
CAMPAIGN = "member_crm_reports.action_report_member_campaign"
SERVICE = "member_crm_reports.action_report_member_service"


def pdf_text(pdf):
    command = ["pdftotext", "-layout", "-enc", "UTF-8", "-", "-"]
    result = subprocess.run(command, input=pdf, capture_output=True, check=False)
    if result.returncode:
        raise AssertionError(f"pdftotext failed: {result.stderr.decode(errors='replace')}")
    return unicodedata.normalize("NFKC", result.stdout.decode())


def pdf_fonts(pdf):
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(pdf)
        file.flush()
        result = subprocess.run(["pdffonts", file.name], capture_output=True, text=True, check=False)
    if result.returncode:
        raise AssertionError(f"pdffonts failed: {result.stderr}")
    return [line.split()[0] for line in result.stdout.splitlines()[2:] if line.strip()]


def pdf_pages(pdf):
    return PdfFileReader(io.BytesIO(pdf)).getNumPages()


@tagged("post_install", "-at_install")
class TestMemberPdfReports(HttpCase, MemberBenefitsMixin):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        missing = [label for tool, label in TOOLS.items() if not shutil.which(tool)]
        if missing:
            raise AssertionError(
                "The PDF report tests need " + ", ".join(missing) + ": install them (setup/test lists what is missing)."
            )
        cls.env["res.lang"]._activate_lang("zh_CN")
        cls.env["ir.module.module"]._load_module_terms(
            ["member_crm", "member_crm_marketing", "member_crm_reports"], ["zh_CN"], overwrite=True
        )
        cls.company = cls.env["res.company"].create(
            {"name": "示例会员公司", "street": "南京路100号", "city": "上海", "email": "hello@example.com"}
        )
        cls.company.partner_id.tz = "Asia/Shanghai"
        cls.env.user.company_ids |= cls.company
        cls.tiers = cls._member_enable(cls.company)
        cls.program = cls._member_points_program(cls.company)
        cls.today = cls.company._member_today()
        now = fields.Datetime.now()
        with freeze_time(now - datetime.timedelta(days=20)):
            cls.zhang = cls._member_partner("张伟", cls.company)
            cls.ada = cls._member_partner("Ada Lovelace", cls.company)
        cls.zhang.lang = "zh_CN"
        cls.ada.lang = "en_US"
        Membership = cls.env["member.membership"]
        cls.m_zhang = Membership.search([("partner_id", "=", cls.zhang.id), ("company_id", "=", cls.company.id)])
        cls.m_ada = Membership.search([("partner_id", "=", cls.ada.id), ("company_id", "=", cls.company.id)])
        with freeze_time(now - datetime.timedelta(days=20, hours=-1)):
            Membership._member_apply_changes([(cls.m_zhang.id, cls.m_zhang.tier_id.id, cls.tiers["PLAT"].id)], "manual")
        cards = cls.env["loyalty.card"]._member_cards([(p.id, cls.program.id) for p in (cls.zhang, cls.ada)])
        card_zhang, card_ada = cards[cls.zhang.id, cls.program.id], cards[cls.ada.id, cls.program.id]
        Lot = cls.env["member.points.lot"].sudo()
        Lot._member_points_earn(
            [
                {"card": card_zhang, "points": 350.0, "kind": "adjust", "description": "欢迎积分"},
                {"card": card_ada, "points": 120.0, "kind": "adjust", "description": "Welcome points"},
            ]
        )
        Lot._member_points_spend([{"card": card_zhang, "points": 100.0, "kind": "spend", "description": "Coupon"}])
        cls._campaign_fixture(now)
        cls._service_fixture(now)
        # the period of every print: the fixture is 20 days old
        cls.period = {
            "date_from": fields.Date.to_string(cls.today - datetime.timedelta(days=60)),
            "date_to": fields.Date.to_string(cls.today),
        }
        user = {"company_id": cls.company.id, "company_ids": [cls.company.id]}
        cls.salesperson = new_test_user(
            cls.env, login="pdf_sales", groups="member_crm.group_member_crm_user,sales_team.group_sale_salesman", **user
        )
        cls.auditor = new_test_user(
            cls.env, login="pdf_auditor", groups="member_crm.group_member_crm_accountant", **user
        )
        cls.cashier = new_test_user(
            cls.env, login="pdf_cashier", groups="base.group_user,point_of_sale.group_pos_user", **user
        )
        cls.portal = new_test_user(cls.env, login="pdf_portal", groups="base.group_portal", **user)
        other = cls.env["res.company"].create({"name": "PDF Other Co"})
        cls.other_user = new_test_user(
            cls.env,
            login="pdf_other",
            groups="member_crm.group_member_crm_manager",
            company_id=other.id,
            company_ids=[other.id],
        )

    @classmethod
    def _campaign_fixture(cls, now):
        sent = now - datetime.timedelta(days=1)
        mailing = cls.env["mailing.mailing"].create(
            {
                "subject": "春季会员活动",
                "mailing_type": "mail",
                "mailing_model_id": cls.env["ir.model"]._get_id("member.campaign.recipient"),
                "body_html": "<p>Hello</p>",
            }
        )
        cls.campaign = cls.env["member.campaign"].create(
            {
                "name": "春季会员活动",
                "company_id": cls.company.id,
                "state": "running",
                "channel": "email",
                "date_start": sent,
                "sent_date": sent,
                "mailing_id": mailing.id,
            }
        )
        # the launch writes recipients as the superuser (nobody has the create right)
        recipients = (
            cls.env["member.campaign.recipient"]
            .sudo()
            .create(
                [
                    {
                        "campaign_id": cls.campaign.id,
                        "partner_id": membership.partner_id.id,
                        "company_id": cls.company.id,
                        "membership_id": membership.id,
                        "tier_id": membership.tier_id.id,
                    }
                    for membership in (cls.m_zhang, cls.m_ada)
                ]
            )
        )
        cls.env["mailing.trace"].sudo().create(
            [
                {
                    "model": "member.campaign.recipient",
                    "res_id": recipient.id,
                    "mass_mailing_id": mailing.id,
                    "trace_type": "mail",
                    "trace_status": status,
                    "sent_datetime": sent,
                    "links_click_datetime": sent + datetime.timedelta(hours=1) if clicked else False,
                }
                for recipient, status, clicked in zip(recipients, ("open", "sent"), (True, False), strict=True)
            ]
        )
        cls.env["member.campaign"]._member_refresh_results(cls.company)

    @classmethod
    def _service_fixture(cls, now):
        cls.agent = new_test_user(
            cls.env,
            login="pdf_agent",
            groups="member_crm.group_member_crm_service",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        team = cls.env["member.service.team"].create(
            {"name": "PDF Desk", "company_id": cls.company.id, "leader_id": cls.agent.id}
        )
        Stage = cls.env["member.complaint.stage"]
        new_stage = Stage.create({"name": "New (PDF test)", "sequence": 1})
        closed = Stage.create({"name": "Solved (PDF test)", "sequence": 99, "is_closed": True})
        Complaint = cls.env["member.complaint"].with_user(cls.agent)

        def ticket(partner, complaint_type):
            return Complaint.create(
                {
                    "name": f"{partner.name} {complaint_type}",
                    "partner_id": partner.id,
                    "company_id": cls.company.id,
                    "team_id": team.id,
                    "complaint_type": complaint_type,
                    "stage_id": new_stage.id,
                }
            )

        with freeze_time(now - datetime.timedelta(days=10)):
            late = ticket(cls.zhang, "complaint")
        with freeze_time(now - datetime.timedelta(days=5)):
            answered = ticket(cls.ada, "inquiry")
            answered.message_post(body="We are on it.", message_type="comment", subtype_xmlid="mail.mt_comment")
            answered.write({"stage_id": closed.id})
        cls.env["member.complaint"]._member_sla_escalate()
        late.write({"stage_id": closed.id})
        public = cls.env.ref("base.public_user")
        for complaint, rate in ((late, 5), (answered, 1)):
            token = complaint.sudo().rating_ids.filtered(lambda r: not r.consumed).access_token
            cls.env["member.complaint"].with_user(public).sudo().browse(complaint.id).rating_apply(rate, token=token)
        cls.tickets = late | answered

    # ------------------------------------------------------------------
    def _render(self, report, records, user, lang=None, data=None):
        Report = self.env["ir.actions.report"].with_user(user).with_context(force_report_rendering=True)
        if lang:
            Report = Report.with_context(lang=lang)
        try:
            pdf, kind = Report._render_qweb_pdf(report, records.ids, data=dict(data or self.period))
        except unittest.SkipTest as skipped:
            self.fail(f"the PDF rendering was skipped ({skipped}): a skipped PDF test fails the suite")
        self.assertEqual(kind, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF-"), pdf[:40])
        fonts = pdf_fonts(pdf)
        self.assertTrue(
            any(name.split("+")[-1].startswith("NotoSansCJKsc") for name in fonts),
            f"no embedded Noto Sans CJK SC font (fonts-noto-cjk installed?): {fonts}",
        )
        self.assertFalse([name for name in fonts if "CJKjp" in name], f"Japanese glyph forms embedded: {fonts}")
        return pdf, pdf_text(pdf)

    def assertInText(self, words, text):
        for word in words:
            self.assertIn(word, text, f"{word!r} not in the PDF text:\n{text}")

    def test_statement_in_chinese(self):
        pdf, text = self._render(STATEMENT, self.m_zhang, self.salesperson)
        self.assertEqual(pdf_pages(pdf), 1)
        self.assertInText(
            [
                "会员对账单",  # the title, in the member's language
                "积分",
                "示例会员公司",  # the company's identity, in the body
                "南京路100号",
                "张伟",
                self.m_zhang.number,
                "铂金",  # the tier (zh_CN name of the default ladder's Platinum)
                "250.00",  # the balance
                "350.00",  # a move
                "欢迎积分",
            ],
            text,
        )

    def test_statement_in_english(self):
        _pdf, text = self._render(STATEMENT, self.m_ada, self.salesperson)
        self.assertInText(
            ["Member Statement", "Points Balance", "示例会员公司", "Ada Lovelace", "Standard", "120.00"], text
        )
        self.assertNotIn("会员对账单", text)

    def test_statements_of_several_members_are_merged(self):
        single = [pdf_pages(self._render(STATEMENT, m, self.salesperson)[0]) for m in (self.m_zhang, self.m_ada)]
        pdf, text = self._render(STATEMENT, self.m_zhang | self.m_ada, self.salesperson)
        self.assertEqual(pdf_pages(pdf), sum(single))
        self.assertInText(["张伟", "Ada Lovelace", "会员对账单", "Member Statement"], text)

    def test_tier_summary(self):
        _pdf, text = self._render(TIER_SUMMARY, self.company, self.auditor, lang="zh_CN")
        self.assertInText(["等级汇总", "示例会员公司", "铂金", "普通", "50.0 %"], text)
        _pdf, text = self._render(TIER_SUMMARY, self.company, self.auditor, lang="en_US")
        self.assertInText(["Tier Summary", "Platinum", "Standard", "50.0 %"], text)
        # Platinum: 1 active member (50 %), 0 suspended, 0 left, 1 new member
        self.assertRegex(text, r"Platinum\s+1\s+50\.0 %\s+0\s+0\s+1")
        self.assertRegex(text, r"Total\s+2\s+100\.0 %\s+0\s+0\s+2")
        # movements (enrolments left out): Platinum reached once, upwards
        self.assertRegex(text, r"Platinum\s+1\s+0\s+0\s+0")

    def test_campaign_effectiveness(self):
        _pdf, text = self._render(CAMPAIGN, self.campaign, self.auditor, lang="zh_CN")
        self.assertInText(["活动效果", "春季会员活动", "示例会员公司"], text)
        _pdf, text = self._render(CAMPAIGN, self.campaign, self.auditor, lang="en_US")
        self.assertInText(["Campaign Effectiveness", "春季会员活动"], text)
        # Platinum (Zhang): targeted 1, reached 1, participated 100 %; total: 2, 2, 50 %
        self.assertRegex(text, r"Platinum\s+Email\s+1\s+1\s+100\.0 %\s+0\.0 %")
        self.assertRegex(text, r"Total\s+2\s+2\s+50\.0 %\s+0\.0 %")

    def test_complaints_and_feedback(self):
        self.assertEqual(
            [(t.response_breached, t.resolution_breached, t.rating_last_value) for t in self.tickets],
            [(True, True, 5.0), (False, False, 1.0)],
        )
        _pdf, text = self._render(SERVICE, self.company, self.auditor, lang="zh_CN")
        self.assertInText(["投诉与反馈", "示例会员公司", "铂金"], text)
        _pdf, text = self._render(SERVICE, self.company, self.auditor, lang="en_US")
        # columns: complaint, inquiry, feedback, tickets, breached, breach rate, rated, happy, CSAT
        self.assertRegex(text, r"Platinum\s+1\s+0\s+0\s+1\s+1\s+100\.0 %\s+1\s+1\s+100\.0 %")
        self.assertRegex(text, r"Standard\s+0\s+1\s+0\s+1\s+0\s+0\.0 %\s+1\s+0\s+0\.0 %")
        self.assertRegex(text, r"Total\s+1\s+1\s+0\s+2\s+1\s+50\.0 %\s+2\s+1\s+50\.0 %")

    # ------------------------------------------------------------------
    # attacks: the report reads as the printing user
    # ------------------------------------------------------------------
    def test_statement_refused_to_roles_without_member_rights(self):
        Report = self.env["ir.actions.report"].with_context(force_report_rendering=True)
        for user in (self.cashier, self.portal, self.other_user):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                Report.with_user(user)._render_qweb_pdf(STATEMENT, self.m_zhang.ids, data=dict(self.period))
        # the same through the report route of the web client
        self.authenticate("pdf_cashier", "pdf_cashier")
        response = self.url_open(f"/report/pdf/member_crm_reports.report_member_statement/{self.m_zhang.id}")
        self.assertEqual(response.status_code, 403)
        self.assertFalse(response.content.startswith(b"%PDF"))
        self.assertNotIn("张伟".encode(), response.content)

    def test_company_reports_refused_outside_the_selected_companies(self):
        Report = self.env["ir.actions.report"].with_context(force_report_rendering=True)
        for report in (TIER_SUMMARY, SERVICE):
            with self.subTest(report=report), self.assertRaises(AccessError):
                Report.with_user(self.other_user)._render_qweb_pdf(report, self.company.ids, data=dict(self.period))
        # a salesperson (Members / User) reads no complaints, no member analysis, no campaign analysis: the
        # actions' groups only hide the menu entries (the /report route does not check them)
        for report, records in ((SERVICE, self.company), (TIER_SUMMARY, self.company), (CAMPAIGN, self.campaign)):
            with self.subTest(report=report, user="salesperson"), self.assertRaises(AccessError):
                Report.with_user(self.salesperson)._render_qweb_pdf(report, records.ids, data=dict(self.period))
        with self.assertRaises(AccessError):
            Report.with_user(self.other_user)._render_qweb_pdf(CAMPAIGN, self.campaign.ids, data=dict(self.period))
