"""A portal member's two-factor web login (auth_totp, auto-installed with ``web``) is one login in the timeline,
recorded when the second step completes it: after the code, or the trusted device's cookie; never at the
password step, never for a wrong code."""

import time

import lxml.html
from passlib.totp import TOTP

from odoo import http
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.member_crm.tests.common import MemberTierMixin

# "remember this device" names the device after the browser: a browser's user agent
BROWSER = {
    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0 Safari/537.36"
}
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # base32, as auth_totp stores it


@tagged("post_install", "-at_install")
class TestMemberLoginTwoFactor(MemberTierMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._member_enable(cls.env.company)
        cls.ann = cls._member_partner("TL2FA Ann", cls.env.company)
        cls.portal = new_test_user(
            cls.env, login="tl2fa_portal", password="tl2fa_portal_pw", groups="base.group_portal", partner_id=cls.ann.id
        )

    def _logins(self):
        return self.env["member.interaction"].search_count([("partner_id", "=", self.ann.id), ("kind", "=", "login")])

    @staticmethod
    def _csrf(response):
        return lxml.html.fromstring(response.content).xpath('//input[@name="csrf_token"]')[0].get("value")

    def _password_step(self):
        response = self.url_open("/web/login")
        return self.url_open(
            "/web/login",
            data={"login": "tl2fa_portal", "password": "tl2fa_portal_pw", "csrf_token": self._csrf(response)},
        )

    def _signed_in_uid(self):
        session = http.root.session_store.get(self.opener.cookies["session_id"])
        return session.uid

    @mute_logger("odoo.addons.auth_totp.models.res_users")
    def test_two_factor_login_is_one_login(self):
        self.assertEqual(
            self.env["ir.module.module"]._get("auth_totp").state,
            "installed",
            "auth_totp is auto-installed with web: this database lacks it",
        )
        self.portal.sudo().totp_secret = SECRET
        self.assertEqual(self.portal._mfa_url(), "/web/login/totp")
        totp = TOTP(SECRET)

        # the password step: the session waits for the code, nobody is signed in, nothing recorded
        response = self._password_step()
        self.assertIn("/web/login/totp", response.url)
        self.assertEqual(self._logins(), 0)
        # a wrong code (none of the codes the check accepts now): still waiting, nothing recorded
        valid = {totp.generate(time.time() + offset).token for offset in (-60, -30, 0, 30, 60)}
        wrong = next(code for code in ("000000", "111111", "222222", "333333", "444444", "555555") if code not in valid)
        response = self.url_open("/web/login/totp", data={"totp_token": wrong, "csrf_token": self._csrf(response)})
        self.assertIn("/web/login/totp", response.url)
        self.assertFalse(self._signed_in_uid())
        self.assertEqual(self._logins(), 0)
        # the right code completes the login: one row, on the member, by the user
        response = self.url_open(
            "/web/login/totp",
            data={"totp_token": totp.generate().token, "remember": "1", "csrf_token": self._csrf(response)},
            headers=BROWSER,
        )
        self.assertEqual(self._signed_in_uid(), self.portal.id)
        self.assertEqual(self._logins(), 1)
        login = self.env["member.interaction"].search([("partner_id", "=", self.ann.id)])
        self.assertEqual((login.kind, login.user_id), ("login", self.portal))

        # signed out, then in again from the trusted device (its cookie passes the second step): one more login
        self.url_open("/web/session/logout")
        self.assertFalse(self._signed_in_uid())
        response = self._password_step()
        self.assertNotIn("/web/login/totp", response.url, "the trusted device's cookie completed the login")
        self.assertEqual(self._signed_in_uid(), self.portal.id)
        self.assertEqual(self._logins(), 2)
