"""Self-enrolment: "Become a member" under My Membership, and the website's /member/join page.

The routes only read the form; ``res.partner._member_self_enroll`` does the checks and the writes (the
user's own commercial entity, the current company, the consent writer), as for any other caller.
"""

from odoo import http
from odoo.exceptions import AccessError, UserError
from odoo.http import request

from .portal import MemberPortal

CONSENT_FIELDS = {"email": "consent_email", "sms": "consent_sms", "phone": "consent_phone"}


class MemberPortalEnrol(MemberPortal):
    def _member_portal_values(self, memberships):
        values = super()._member_portal_values(memberships)
        company = request.env.company
        user = request.env.user
        notice = False
        # any membership in the company (suspended or ended too) is the service desk's; a contact of a business
        # does not enrol the business (res.partner._member_self_enroll refuses both)
        joinable = (
            company.member_crm_enabled
            and company in user.company_ids
            and not memberships.filtered(lambda membership: membership.company_id == company)
        )
        if joinable and user.partner_id != user.partner_id.commercial_partner_id:
            joinable = False
            notice = request.env._("To make your business a member, please contact the service desk.")
        elif joinable and (
            request.env["member.membership"]
            .sudo()  # sudo: portal users read no membership; whether their own entity has one here
            .search_count([("partner_id", "=", user.partner_id.id), ("company_id", "=", company.id)], limit=1)
        ):
            joinable = False
            notice = request.env._("Your membership is suspended or ended: please contact the service desk.")
        values.update(
            {
                "enrol_company": company if joinable else False,
                "enrol_notice": notice,
                # sudo: the consent text is the company's public wording, shown to whoever may join
                "enrol_consent_text": company.sudo().member_consent_text if joinable else False,
            }
        )
        return values

    @http.route(["/my/membership/enrol"], type="http", auth="user", website=True, methods=["POST"])
    def portal_member_enrol(self, **post):
        channels = [channel for channel, name in CONSENT_FIELDS.items() if post.get(name)]
        error = None
        try:
            # the model applies enrolment and consent together (one savepoint) or not at all
            request.env["res.partner"]._member_self_enroll(request.env.company, channels, source="portal")
        except (UserError, AccessError) as exc:
            request.env.invalidate_all()
            error = exc.args[0] if exc.args else str(exc)
        if not error:
            return request.redirect("/my/membership?enrolled=1")
        values = self._prepare_portal_layout_values()
        values.update(self._member_portal_values(self._member_portal_memberships()))
        values.update({"enrol_error": error, "enrol_channels": channels})
        return request.render("member_crm.portal_my_membership", values)

    @http.route(["/member/join"], type="http", auth="public", website=True, methods=["GET"])
    def member_join(self, **kwargs):
        """The "become a member" page of the website: visitors sign in (or sign up) first."""
        if request.env.user._is_public():
            return request.redirect("/web/login?redirect=/my/membership%23member_enrol")
        return request.redirect("/my/membership#member_enrol")
