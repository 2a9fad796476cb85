import datetime as dt
import logging

from odoo import api, models
from odoo.exceptions import ValidationError

_logger = logging.getLogger(__name__)

# the longest an API key of a member-role user may live (the issue: at most 90 days)
MEMBER_API_KEY_MAX_DAYS = 90


class ResUsers(models.Model):
    _inherit = "res.users"

    def _login(self, credential, user_agent_env):
        auth_info = super()._login(credential, user_agent_env)
        self._member_record_login(auth_info, user_agent_env)
        return auth_info

    @api.model
    def _member_record_login(self, auth_info, user_agent_env):
        """Record a member's sign-in in the timeline of their member (commercial partner): one INSERT, never
        blocking the login (an error is logged and the login goes on).

        Only portal (share) users, and only interactive logins that are complete: ``res.users._login`` also
        serves RPC ``common.authenticate`` (``interactive`` False in ``user_agent_env``, where a password or an
        API key opens no session: not a login, README) and the web login of a user with a second factor, who is
        signed in only once it is checked (``Session.authenticate`` finalizes at once only without one)."""
        if not (user_agent_env or {}).get("interactive", True) or auth_info.get("auth_method") == "apikey":
            return
        # sudo: the user who just passed the credential check, read before their session exists
        user = self.sudo().browse(auth_info["uid"])
        if not user.share or (auth_info.get("mfa") != "skip" and user._mfa_url()):
            return
        try:
            with self.env.cr.savepoint(flush=False):
                self.env["member.interaction"].sudo()._member_insert_login(user.id)
        except Exception:  # a login must never fail because of the timeline
            _logger.exception("Member CRM: could not record the login of user %s", user.id)


class ResUsersApikeys(models.Model):
    _inherit = "res.users.apikeys"

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
