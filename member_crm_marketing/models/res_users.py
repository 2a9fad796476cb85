import datetime as dt
import logging

from odoo import api, models
from odoo.exceptions import ValidationError
from odoo.http import request

_logger = logging.getLogger(__name__)

# the longest an API key of a member-role user may live (the issue: at most 90 days)
MEMBER_API_KEY_MAX_DAYS = 90


class ResUsers(models.Model):
    _inherit = "res.users"

    def _login(self, credential, user_agent_env):
        auth_info = super()._login(credential, user_agent_env)
        self._member_record_login(auth_info, user_agent_env)
        return auth_info

    def _check_credentials(self, credential, env):
        auth_info = super()._check_credentials(credential, env)
        self._member_record_second_factor(credential, env)
        return auth_info

    @api.model
    def _member_record_login(self, auth_info, user_agent_env):
        """Record a member's sign-in in the timeline of their member (commercial partner): one INSERT, never
        blocking the login (an error is logged and the login goes on).

        Only portal (share) users, and only interactive logins that are complete: ``res.users._login`` also
        serves RPC ``common.authenticate`` (``interactive`` False in ``user_agent_env``, where a password or an
        API key opens no session: not a login, README) and the web login of a user with a second factor, who is
        signed in only once it is checked (``Session.authenticate`` finalizes at once only without one): that
        login is recorded at the second step, ``_member_record_second_factor``."""
        if not (user_agent_env or {}).get("interactive", True) or auth_info.get("auth_method") == "apikey":
            return
        # sudo: the user who just passed the credential check, read before their session exists
        user = self.sudo().browse(auth_info["uid"])
        if auth_info.get("mfa") != "skip" and user._mfa_url():
            return
        user._member_insert_login_safe()

    def _member_record_second_factor(self, credential, env):
        """The second step of a two-factor web login (auth_totp's ``/web/login/totp``: an authenticator code, or
        auth_totp_mail's emailed code) is where that login completes: the controller finalizes the session right
        after this check passes. Recorded only there: a user's second factor checked while their session still
        waits for it (``pre_uid``, no ``uid``). The same check by a signed-in user (identity check before a
        sensitive action) is not a login; the password step of the same login was not recorded."""
        if (
            len(self) != 1
            or not (env or {}).get("interactive")
            or not self._member_login_pending(self.id)
            # sudo: the second factor's type of the user signing in, who has no session yet
            or credential.get("type") != self.sudo()._mfa_type()
        ):
            return
        # sudo: the signing-in user's own login row (no session yet); the writer inserts that row only
        self.sudo()._member_insert_login_safe()

    @api.model
    def _member_login_pending(self, uid):
        """Whether the current web session waits for the second factor of user ``uid``."""
        session = request.session if request else None
        return bool(uid and session is not None and not session.uid and session.get("pre_uid") == uid)

    def _member_insert_login_safe(self):
        """One login row for this portal user's member, in a savepoint: a login never fails because of it."""
        self.ensure_one()
        if not self.share:
            return
        try:
            with self.env.cr.savepoint(flush=False):
                # sudo: a portal user cannot write the timeline; this inserts their own login row only
                self.env["member.interaction"].sudo()._member_insert_login(self.id)
        except Exception:  # a login must never fail because of the timeline
            _logger.exception("Member CRM: could not record the login of user %s", self.id)


class ResUsersApikeys(models.Model):
    _inherit = "res.users.apikeys"

    def _check_credentials(self, *, scope, key):
        uid = super()._check_credentials(scope=scope, key=key)
        self._member_record_trusted_device(scope, uid)
        return uid

    def _member_record_trusted_device(self, scope, uid):
        """auth_totp's trusted device (``auth_totp.device``, scope ``browser``, a model built on this one): the
        second step of a two-factor login passed by the device's cookie instead of a code; the login completes
        there, as with a code (res.users ``_member_record_second_factor``)."""
        if scope != "browser" or not uid or not self.env["res.users"]._member_login_pending(uid):
            return
        # sudo: the user the trusted device signs in (no session yet): their own login row only
        self.env["res.users"].sudo().browse(uid)._member_insert_login_safe()

    def _check_expiration_date(self, date):
        res = super()._check_expiration_date(date)
        self._member_check_key_duration(date)
        return res

    def _member_check_key_duration(self, date):
        """A member-role user's key lives at most 90 days, whatever longer duration another group of theirs
        allows (Odoo takes the longest of the user's groups). Administrators are left to Odoo's rule."""
        if self.env.is_system() or not self.env.user.has_group("member_crm.group_member_crm_user"):
            return
        if date and date > dt.datetime.now() + dt.timedelta(days=MEMBER_API_KEY_MAX_DAYS):
            raise ValidationError(
                self.env._("An API key of a member user lasts at most %(days)s days.", days=MEMBER_API_KEY_MAX_DAYS)
            )
