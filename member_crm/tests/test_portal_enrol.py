from odoo import http
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from .test_member_benefits import MemberBenefitsMixin

CONSENT_TEXT = "Yes, the shop may send me its news and offers."


@tagged("post_install", "-at_install")
class TestPortalEnrol(HttpCase, MemberBenefitsMixin):
    """Become a member from the customer portal: the company's consent text, an opt-in per channel."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.group_ids |= cls.env.ref("member_crm.group_member_crm_manager")
        cls.company = cls.env.company
        cls.tiers = cls._member_enable(cls.company, member_consent_text=CONSENT_TEXT)
        cls.customer = cls.env["res.partner"].create({"name": "Chen Jing", "email": "chen.jing@example.com"})
        cls.other = cls.env["res.partner"].create({"name": "Someone Else", "email": "someone@example.com"})
        cls.portal_user = new_test_user(
            cls.env, login="enrol_portal", groups="base.group_portal", partner_id=cls.customer.id
        )

    def _post(self, data, csrf=True):
        if csrf:
            data = {**data, "csrf_token": http.Request.csrf_token(self)}
        return self.url_open("/my/membership/enrol", data=data)

    def _memberships(self, partner):
        return self.env["member.membership"].search([("partner_id", "=", partner.id)])

    def test_become_a_member_with_consent(self):
        self.authenticate("enrol_portal", "enrol_portal")
        page = self.url_open("/my/membership").text
        self.assertIn("Become a member", page)
        self.assertIn(CONSENT_TEXT, page)
        # the form names no partner: a partner_id sent along is ignored
        response = self._post({"consent_email": "on", "partner_id": str(self.other.id)})
        self.assertEqual(response.status_code, 200)
        self.assertIn("Welcome! You are now a member.", response.text)
        membership = self._memberships(self.customer)
        self.assertEqual(len(membership), 1)
        self.assertEqual(membership.tier_id, self.tiers["STD"])
        self.assertIn(membership.number, response.text)
        self.assertFalse(self._memberships(self.other))
        consent = self.env["member.consent"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(consent.mapped("channel"), ["email"])
        self.assertEqual(consent.source, "portal")
        self.assertEqual(consent.text, CONSENT_TEXT)
        self.assertEqual(consent.user_id, self.portal_user)
        self.assertNotIn("Become a member", self.url_open("/my/membership").text, "a member is not asked again")

    @mute_logger("odoo.http")
    def test_refused_without_csrf_or_with_a_bad_channel(self):
        self.authenticate("enrol_portal", "enrol_portal")
        response = self._post({"consent_email": "on"}, csrf=False)
        self.assertEqual(response.status_code, 400)
        self.assertFalse(self._memberships(self.customer))
        # SMS with no phone number: the error is shown, nothing is written (no membership, no email consent)
        response = self._post({"consent_email": "on", "consent_sms": "on"})
        self.assertIn("o_member_enrol_error", response.text)
        self.assertFalse(self._memberships(self.customer))
        self.assertFalse(self.env["member.consent"].search([("partner_id", "=", self.customer.id)]))

    @mute_logger("odoo.models", "odoo.addons.base.models.ir_rule", "odoo.addons.base.models.ir_model")
    def test_portal_user_reaches_no_member_record(self):
        portal = self.portal_user
        with self.assertRaises(AccessError):
            self.env["member.membership"].with_user(portal).search_read([], ["number"])
        with self.assertRaises(AccessError):
            self.env["member.consent"].with_user(portal).create(
                {
                    "partner_id": self.customer.id,
                    "company_id": self.company.id,
                    "channel": "email",
                    "state": "given",
                    "source": "portal",
                }
            )
        with self.assertRaises(AccessError):
            self.other.with_user(portal).action_member_enroll()
        self.assertFalse(self._memberships(self.other))

    def test_website_join_page(self):
        response = self.url_open("/member/join", allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertIn("/web/login", response.headers["Location"])
        self.authenticate("enrol_portal", "enrol_portal")
        response = self.url_open("/member/join", allow_redirects=False)
        self.assertIn("/my/membership", response.headers["Location"])

    def test_suspended_or_left_membership_not_reactivated(self):
        """A membership a manager suspended, or one that ended, is not reactivated from the portal."""
        self.customer.with_company(self.company).action_member_enroll()
        membership = self._memberships(self.customer)
        self.authenticate("enrol_portal", "enrol_portal")
        for state in ("suspended", "left"):
            membership.state = state
            with self.subTest(state=state):
                page = self.url_open("/my/membership").text
                self.assertNotIn("o_member_enrol_submit", page, "no form to join again")
                self.assertIn("o_member_enrol_notice", page)
                response = self._post({"consent_email": "on"})
                self.assertEqual(response.status_code, 200)
                self.assertIn("contact the service desk", response.text)
                self.assertEqual(membership.state, state)
                with self.assertRaisesRegex(UserError, "contact the service desk"):
                    self.env["res.partner"].with_user(self.portal_user)._member_self_enroll(self.company, ["email"])
                self.assertEqual(membership.state, state)
        self.assertFalse(self.env["member.consent"].search([("partner_id", "=", self.customer.id)]))

    def test_contact_of_a_business_does_not_enrol_the_business(self):
        """A portal user who is a contact of a business would enrol the business and give consent on its
        address: refused; the person is told to go to the service desk."""
        business = self.env["res.partner"].create({"name": "Jing Trading", "is_company": True, "email": "co@jing.cn"})
        employee = self.env["res.partner"].create(
            {"name": "Jing Employee", "parent_id": business.id, "email": "employee@jing.cn"}
        )
        user = new_test_user(self.env, login="enrol_employee", groups="base.group_portal", partner_id=employee.id)
        self.authenticate("enrol_employee", "enrol_employee")
        page = self.url_open("/my/membership").text
        self.assertNotIn("o_member_enrol_submit", page)
        self.assertIn("contact the service desk", page)
        self._post({"consent_email": "on"})
        with self.assertRaisesRegex(UserError, "contact of Jing Trading"):
            self.env["res.partner"].with_user(user)._member_self_enroll(self.company, ["email"])
        self.assertFalse(self._memberships(business))
        self.assertFalse(self.env["member.consent"].search([("partner_id", "in", (business | employee).ids)]))
