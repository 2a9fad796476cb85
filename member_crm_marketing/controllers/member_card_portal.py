"""My Membership > Complaints and inquiries: a member sends one and follows their own tickets."""

from odoo import http
from odoo.exceptions import AccessError, MissingError, UserError
from odoo.http import request

from odoo.addons.member_crm.controllers.portal_enrol import MemberPortalEnrol


class MemberPortalService(MemberPortalEnrol):
    def _member_service_values(self, **extra):
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": "member_service",
                "tickets": request.env["member.complaint"]._member_portal_tickets(),
                # the memberships a ticket can be sent to (companies of the user), as _member_portal_submit
                "is_member": bool(request.env["member.complaint"]._member_portal_memberships()),
                **extra,
            }
        )
        return values

    @http.route(["/my/membership/complaints"], type="http", auth="user", website=True, methods=["GET"])
    def portal_member_complaints(self, **kwargs):
        values = self._member_service_values(sent=kwargs.get("sent"))
        return request.render("member_crm_marketing.portal_member_service", values)

    @http.route(["/my/membership/complaints"], type="http", auth="user", website=True, methods=["POST"])
    def portal_member_complaint_submit(self, **post):
        vals = {key: post.get(key) for key in ("name", "complaint_type", "description")}
        try:
            ticket = request.env["member.complaint"]._member_portal_submit(vals)
        except (UserError, AccessError) as exc:
            request.env.invalidate_all()
            values = self._member_service_values(error=exc.args[0] if exc.args else str(exc), form=vals)
            return request.render("member_crm_marketing.portal_member_service", values)
        return request.redirect(f"/my/membership/complaints?sent={ticket.id}")

    @http.route(["/my/membership/complaints/<int:complaint_id>"], type="http", auth="public", website=True)
    def portal_member_complaint(self, complaint_id, access_token=None, **kwargs):
        """One ticket and its messages (the ticket's ``access_url``): its customer, or a valid token."""
        try:
            ticket_sudo = self._document_check_access("member.complaint", complaint_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        values = self._get_page_view_values(
            ticket_sudo, access_token, {"page_name": "member_service", "ticket": ticket_sudo}, "my_complaints", False
        )
        return request.render("member_crm_marketing.portal_member_complaint", values)
