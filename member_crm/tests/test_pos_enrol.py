from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from odoo.addons.point_of_sale.tests.common import TestPoSCommon
from odoo.addons.point_of_sale.tests.test_frontend import TestPointOfSaleHttpCommon

from .test_member_benefits import MemberBenefitsMixin
from .test_member_roles import readme_user

CONSENT_TEXT = "I agree to hear from the shop about offers."


@tagged("post_install", "-at_install")
class TestPosEnrol(TestPoSCommon, MemberBenefitsMixin):
    """The cashier (Point of Sale / User only) enrols a customer and records their consent at the till."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.config = cls.basic_config
        cls.env.user.group_ids |= cls.env.ref("member_crm.group_member_crm_manager")  # the set-up, not the cashier
        cls.tiers = cls._member_enable(cls.company, member_number_prefix="PE", member_consent_text=CONSENT_TEXT)
        cls.cashier = readme_user(cls.env, "cashier", cls.company, login="enrol_cashier")
        cls.customer = cls.env["res.partner"].create({"name": "Li Na", "email": "li.na@example.com"})

    def _open_as(self, user):
        self.config.with_user(user).open_ui()
        session = self.config.current_session_id
        session.with_user(user).set_opening_control(0, None)
        return session

    def _memberships(self, partner=None):
        return self.env["member.membership"].search([("partner_id", "=", (partner or self.customer).id)])

    def _consents(self, partner=None):
        return self.env["member.consent"].search([("partner_id", "=", (partner or self.customer).id)])

    def test_cashier_enrols_and_records_consent(self):
        self._open_as(self.cashier)
        data = (
            self.env["res.partner"]
            .with_user(self.cashier)
            .pos_member_enroll(self.config.id, self.customer.id, {"email": True, "sms": False})
        )
        membership = self._memberships()
        self.assertEqual(len(membership), 1)
        self.assertEqual(membership.state, "active")
        self.assertEqual(membership.company_id, self.company)
        self.assertEqual(membership.tier_id, self.tiers["STD"])
        self.assertEqual(membership.home_config_id, self.config, "the register that enrols is the home store")
        self.assertEqual(data["number"], membership.number)
        self.assertTrue(data["number"].startswith("PE"))
        self.assertEqual(data["tier"], "Standard")
        consent = self._consents()
        self.assertEqual(consent.mapped("channel"), ["email"])
        self.assertEqual(consent.source, "pos")
        self.assertEqual(consent.state, "given")
        self.assertEqual(consent.text, CONSENT_TEXT)
        self.assertEqual(consent.user_id, self.cashier, "recorded by the cashier, not by the superuser")
        self.assertTrue(self.customer.with_company(self.company).member_consent_email)
        audit = self.env["member.audit.log"].search([("partner_id", "=", self.customer.id), ("action", "=", "consent")])
        self.assertEqual(audit.user_id, self.cashier)
        # enrolling again (another till, the same customer) adds the consent asked for, no second membership
        self.env["res.partner"].with_user(self.cashier).pos_member_enroll(self.config.id, self.customer.id, ["email"])
        self.assertEqual(len(self._memberships()), 1)
        self.assertEqual(len(self._consents()), 2)

    def test_no_open_register_no_enrolment(self):
        Partner = self.env["res.partner"].with_user(self.cashier)
        with self.assertRaises(AccessError):
            Partner.pos_member_enroll(self.config.id, self.customer.id, ["email"])
        # a register opened by someone else is not the cashier's
        self._open_as(self.env.user)
        with self.assertRaises(AccessError):
            Partner.pos_member_enroll(self.config.id, self.customer.id, ["email"])
        self.assertFalse(self._memberships())
        self.assertFalse(self._consents())

    def test_cashier_writes_nothing_directly(self):
        """The till's method is the cashier's only way: the models themselves stay closed."""
        with self.assertRaises(AccessError):
            self.env["member.membership"].with_user(self.cashier).create(
                {"partner_id": self.customer.id, "company_id": self.company.id, "number": "X1"}
            )
        with self.assertRaises(AccessError):
            self.env["member.consent"].with_user(self.cashier).create(
                {
                    "partner_id": self.customer.id,
                    "company_id": self.company.id,
                    "channel": "email",
                    "state": "given",
                    "source": "pos",
                }
            )
        with self.assertRaises(AccessError):
            self.customer.with_user(self.cashier).action_member_enroll()
        self.assertFalse(self._memberships())

    def test_bad_consent_writes_nothing(self):
        self._open_as(self.cashier)
        Partner = self.env["res.partner"].with_user(self.cashier)
        with self.assertRaises(UserError):
            Partner.pos_member_enroll(self.config.id, self.customer.id, ["email", "fax"])
        # SMS without a phone number: neither the membership nor the email consent stays
        with self.assertRaisesRegex(UserError, "no valid email address or phone number"):
            Partner.pos_member_enroll(self.config.id, self.customer.id, ["email", "sms"])
        self.assertFalse(self._memberships())
        self.assertFalse(self._consents())
        # no consent text in the company: refused before anything is written
        self.company.member_consent_text = False
        with self.assertRaises(UserError):
            Partner.pos_member_enroll(self.config.id, self.customer.id, ["email"])
        self.assertFalse(self._memberships())

    def test_other_roles_and_companies_refused(self):
        plain = new_test_user(self.env, login="enrol_plain", groups="base.group_user", company_id=self.company.id)
        self._open_as(self.cashier)
        with self.assertRaises(AccessError):
            self.env["res.partner"].with_user(plain).pos_member_enroll(self.config.id, self.customer.id, ["email"])
        # a cashier of another company cannot use this company's register
        other_company = self.env["res.company"].create({"name": "Other Shop"})
        outsider = readme_user(self.env, "cashier", other_company, login="enrol_outsider")
        with self.assertRaises(AccessError):
            self.env["res.partner"].with_user(outsider).pos_member_enroll(self.config.id, self.customer.id, ["email"])
        self.assertFalse(self._memberships())

    def test_suspended_or_left_membership_not_reactivated(self):
        """A membership a manager suspended, or one that ended, is the service desk's: the till refuses it."""
        self.customer.with_company(self.company).action_member_enroll()
        membership = self._memberships()
        self._open_as(self.cashier)
        Partner = self.env["res.partner"].with_user(self.cashier)
        for state in ("suspended", "left"):
            membership.state = state
            with self.subTest(state=state), self.assertRaisesRegex(UserError, "contact the service desk"):
                Partner.pos_member_enroll(self.config.id, self.customer.id, ["email"])
            self.assertEqual(membership.state, state)
        self.assertEqual(len(self._memberships()), 1)
        self.assertFalse(self._consents())

    def test_rescue_session_is_not_an_open_register(self):
        """The till's methods share one rule: a rescue session (recovered orders) is nobody's open register."""
        session = self._open_as(self.cashier)
        session.rescue = True
        Partner = self.env["res.partner"].with_user(self.cashier)
        with self.assertRaises(AccessError):
            Partner.pos_member_enroll(self.config.id, self.customer.id, ["email"])
        self.assertFalse(self._memberships())
        session.rescue = False
        Partner.pos_member_enroll(self.config.id, self.customer.id, ["email"])
        self.assertEqual(self._memberships().state, "active")


@tagged("post_install", "-at_install")
class TestPosEnrolTour(TestPointOfSaleHttpCommon, MemberBenefitsMixin):
    def test_enrol_at_the_till(self):
        self.env.user.group_ids |= self.env.ref("member_crm.group_member_crm_manager")
        company = self.main_pos_config.company_id
        tiers = self._member_enable(
            company, member_number_prefix="PE", member_consent_text="I agree to hear from the shop by email."
        )
        customer = self.env["res.partner"].create({"name": "Walk In Customer", "email": "walk.in@example.com"})
        self.main_pos_config.with_user(self.pos_user).open_ui()
        self.start_pos_tour("member_crm_pos_enrol_tour", login="pos_user")

        membership = self.env["member.membership"].search([("partner_id", "=", customer.id)])
        self.assertEqual(len(membership), 1)
        self.assertEqual(membership.tier_id, tiers["STD"])
        consent = self.env["member.consent"].search([("partner_id", "=", customer.id)])
        self.assertEqual(consent.mapped("channel"), ["email"])
        self.assertEqual(consent.source, "pos")
        self.assertEqual(consent.user_id, self.pos_user)
        self.assertEqual(consent.text, "I agree to hear from the shop by email.")
