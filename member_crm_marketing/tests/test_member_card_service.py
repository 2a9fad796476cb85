"""The member card's marketing and service pages per role, and the service channels at the till and in the portal."""

from odoo import http
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, TransactionCase, new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.member_crm.tests.test_member_benefits import MemberBenefitsMixin
from odoo.addons.member_crm.tests.test_member_roles import readme_user
from odoo.addons.point_of_sale.tests.common import TestPoSCommon
from odoo.addons.point_of_sale.tests.test_frontend import TestPointOfSaleHttpCommon


@tagged("post_install", "-at_install")
class TestMemberCardPages(TransactionCase, MemberBenefitsMixin):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.group_ids |= cls.env.ref("member_crm.group_member_crm_manager")
        cls.company = cls.env.company
        cls.tiers = cls._member_enable(cls.company)
        cls.member = cls._member_partner("Sun Li", cls.company)
        cls.users = {
            role: readme_user(cls.env, role, cls.company, login=f"card_mk_{role}")
            for role in ("salesperson", "service", "cashier")
        }

    def _form_arch(self, role):
        views = self.env["res.partner"].with_user(self.users[role]).get_views([(False, "form")])
        return views["views"]["form"]["arch"]

    def test_pages_per_role(self):
        for role in ("salesperson", "service"):
            arch = self._form_arch(role)
            with self.subTest(role=role):
                self.assertIn('name="member_card_timeline"', arch)
                self.assertIn('name="member_card_campaigns"', arch)
        self.assertIn('name="member_card_complaints"', self._form_arch("service"))
        self.assertNotIn('name="member_card_complaints"', self._form_arch("salesperson"))
        arch = self._form_arch("cashier")
        for page in ("member_card_timeline", "member_card_campaigns", "member_card_complaints"):
            self.assertNotIn(f'name="{page}"', arch)

    @mute_logger("odoo.models", "odoo.addons.base.models.ir_model")
    def test_complaints_on_the_card(self):
        ticket = self.env["member.complaint"].create(
            {"name": "Late delivery", "partner_id": self.member.id, "channel": "phone"}
        )
        self.assertEqual(self.member.with_user(self.users["service"]).member_complaint_ids, ticket)
        # a salesperson reads no complaint, through the card or the model
        salesperson = self.users["salesperson"]
        self.assertNotIn("member_complaint_ids", self.env["res.partner"].with_user(salesperson).fields_get())
        with self.assertRaises(AccessError):
            self.member.with_user(salesperson).read(["member_complaint_ids"])
        with self.assertRaises(AccessError):
            self.env["member.complaint"].with_user(salesperson).search_read([], ["name"])

    @mute_logger("odoo.models", "odoo.addons.base.models.ir_model")
    def test_cashier_reads_no_timeline(self):
        cashier = self.users["cashier"]
        self.assertNotIn("member_timeline_ids", self.env["res.partner"].with_user(cashier).fields_get())
        with self.assertRaises(AccessError):
            self.member.with_user(cashier).read(["member_timeline_ids"])
        with self.assertRaises(AccessError):
            self.env["member.timeline"].with_user(cashier).search_read([("partner_id", "=", self.member.id)])


@tagged("post_install", "-at_install")
class TestPosComplaint(TestPoSCommon, MemberBenefitsMixin):
    """The member panel's New Complaint button: a ticket with channel Point of Sale, from the open register."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.config = cls.basic_config
        cls.env.user.group_ids |= cls.env.ref("member_crm.group_member_crm_manager")
        cls.tiers = cls._member_enable(cls.company)
        cls.member = cls._member_partner("Gao Yan", cls.company)
        cls.cashier = readme_user(cls.env, "cashier", cls.company, login="complaint_cashier")

    def _open_as(self, user):
        self.config.with_user(user).open_ui()
        self.config.current_session_id.with_user(user).set_opening_control(0, None)

    def _tickets(self):
        return self.env["member.complaint"].search([("commercial_partner_id", "=", self.member.id)])

    @mute_logger("odoo.models", "odoo.addons.base.models.ir_model", "odoo.addons.base.models.ir_rule")
    def test_cashier_opens_a_ticket(self):
        self._open_as(self.cashier)
        Complaint = self.env["member.complaint"].with_user(self.cashier)
        result = Complaint.pos_member_complaint(
            self.config.id,
            self.member.id,
            {"name": "Cup arrived broken", "complaint_type": "complaint", "description": "Box <b>crushed</b>"},
        )
        ticket = self._tickets()
        self.assertEqual(len(ticket), 1)
        self.assertEqual(result["id"], ticket.id)
        self.assertEqual(
            (ticket.channel, ticket.complaint_type, ticket.name, ticket.company_id),
            ("pos", "complaint", "Cup arrived broken", self.company),
        )
        self.assertEqual(ticket.membership_id, self._membership(self.member, self.company))
        self.assertIn("Box &lt;b&gt;crushed&lt;/b&gt;", ticket.description, "the cashier's text is plain text")
        self.assertEqual(ticket.create_uid, self.cashier)
        self.assertNotIn(self.cashier.partner_id, ticket.message_partner_ids, "the cashier does not follow it")
        # the cashier reads no ticket, theirs included
        with self.assertRaises(AccessError):
            ticket.with_user(self.cashier).read(["name"])
        with self.assertRaises(UserError):
            Complaint.pos_member_complaint(self.config.id, self.member.id, {"name": "  "})
        with self.assertRaises(UserError):
            Complaint.pos_member_complaint(self.config.id, self.member.id, {"name": "x", "complaint_type": "feedback"})
        self.assertEqual(len(self._tickets()), 1)

    def test_no_open_register_no_ticket(self):
        with self.assertRaises(AccessError):
            self.env["member.complaint"].with_user(self.cashier).pos_member_complaint(
                self.config.id, self.member.id, {"name": "Rude staff"}
            )
        self.assertFalse(self._tickets())


@tagged("post_install", "-at_install")
class TestPortalComplaint(HttpCase, MemberBenefitsMixin):
    """My Membership > Complaints and inquiries: the member's own tickets, in their membership's company."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.group_ids |= cls.env.ref("member_crm.group_member_crm_manager")
        cls.company = cls.env.company
        cls.tiers = cls._member_enable(cls.company)
        cls.member = cls._member_partner("Portal Ma", cls.company)
        cls.other = cls._member_partner("Other Wu", cls.company)
        cls.other_ticket = cls.env["member.complaint"].create(
            {"name": "Other's secret issue", "partner_id": cls.other.id, "channel": "phone"}
        )
        cls.portal_user = new_test_user(
            cls.env, login="complaint_portal", groups="base.group_portal", partner_id=cls.member.id
        )
        cls.outsider = new_test_user(cls.env, login="complaint_outsider", groups="base.group_portal")

    def _post(self, data):
        return self.url_open("/my/membership/complaints", data={**data, "csrf_token": http.Request.csrf_token(self)})

    def test_member_sends_and_follows_a_ticket(self):
        self.authenticate("complaint_portal", "complaint_portal")
        self.assertIn("o_member_service_form", self.url_open("/my/membership/complaints").text)
        response = self._post(
            {"name": "Wrong size", "complaint_type": "inquiry", "description": "Can I swap it?", "partner_id": "1"}
        )
        self.assertEqual(response.status_code, 200)
        ticket = self.env["member.complaint"].search([("commercial_partner_id", "=", self.member.id)])
        self.assertEqual(len(ticket), 1)
        self.assertEqual(
            (ticket.channel, ticket.complaint_type, ticket.name, ticket.company_id),
            ("portal", "inquiry", "Wrong size", self.company),
        )
        self.assertIn("Thank you: your message was sent", response.text)
        self.assertIn(ticket.number, response.text)
        self.assertNotIn("Other&#39;s secret issue", response.text)
        self.assertNotIn("Other's secret issue", response.text)
        page = self.url_open(f"/my/membership/complaints/{ticket.id}")
        self.assertIn("Can I swap it?", page.text)
        # another member's ticket: not shown
        page = self.url_open(f"/my/membership/complaints/{self.other_ticket.id}", allow_redirects=False)
        self.assertEqual(page.status_code, 303)

    @mute_logger("odoo.http")
    def test_refused_without_csrf_or_membership(self):
        self.authenticate("complaint_portal", "complaint_portal")
        response = self.url_open("/my/membership/complaints", data={"name": "No token"})
        self.assertEqual(response.status_code, 400)
        self.authenticate("complaint_outsider", "complaint_outsider")
        response = self._post({"name": "Not a member"})
        self.assertIn("Only members can open a ticket here.", response.text)
        self.assertFalse(self.env["member.complaint"].search([("name", "in", ("No token", "Not a member"))]))

    def test_membership_outside_the_users_companies(self):
        """A member of a company outside their user's companies: their ticket would be created there and hidden
        from them by the company rule. Refused; a membership in one of their companies is used instead."""
        company_b = self.env["res.company"].create({"name": "Portal Shop B"})
        self._member_enable(company_b)
        member_b = self._member_partner("Portal Bai", company_b)
        user_b = new_test_user(
            self.env,
            login="complaint_portal_b",
            groups="base.group_portal",
            partner_id=member_b.id,
            company_id=self.company.id,
            company_ids=[self.company.id],
        )
        Complaint = self.env["member.complaint"].with_user(user_b)
        with self.assertRaisesRegex(UserError, "Only members can open a ticket here."):
            Complaint._member_portal_submit({"name": "Lost parcel"})
        self.assertFalse(self.env["member.complaint"].search([("commercial_partner_id", "=", member_b.id)]))
        self.authenticate("complaint_portal_b", "complaint_portal_b")
        self.assertNotIn("o_member_service_form", self.url_open("/my/membership/complaints").text)
        # a member of both: the ticket goes to the company the user works in, and they see it
        member_b.with_company(self.company).action_member_enroll()
        ticket = Complaint._member_portal_submit({"name": "Lost parcel"})
        self.assertEqual(ticket.company_id, self.company)
        self.assertEqual(Complaint._member_portal_tickets(), ticket)


@tagged("post_install", "-at_install")
class TestPosComplaintTour(TestPointOfSaleHttpCommon, MemberBenefitsMixin):
    def test_new_complaint_button(self):
        self.env.user.group_ids |= self.env.ref("member_crm.group_member_crm_manager")
        company = self.main_pos_config.company_id
        self._member_enable(company)
        member = self._member_partner("Tour Complainer", company)
        self.main_pos_config.with_user(self.pos_user).open_ui()
        self.start_pos_tour("member_crm_pos_complaint_tour", login="pos_user")
        ticket = self.env["member.complaint"].search([("commercial_partner_id", "=", member.id)])
        self.assertEqual(len(ticket), 1)
        self.assertEqual(
            (ticket.channel, ticket.complaint_type, ticket.name, ticket.company_id, ticket.create_uid),
            ("pos", "inquiry", "Opening hours on Sunday", company, self.pos_user),
        )
        self.assertIn("Are you open on Sundays?", ticket.description)
