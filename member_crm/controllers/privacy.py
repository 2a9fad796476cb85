"""The member's data (access request), streamed to the member manager who asks for it and stored nowhere."""

from odoo import http
from odoo.http import content_disposition, request


class MemberPrivacy(http.Controller):
    @http.route("/member_crm/member_data/<int:partner_id>", type="http", auth="user", methods=["GET"])
    def member_data(self, partner_id):
        # the checks (member manager, company access) and the audit line are in the model: as for RPC callers
        name, content = request.env["res.partner"].browse(partner_id)._member_export_file()
        return request.make_response(
            content,
            headers=[
                ("Content-Type", "application/json; charset=utf-8"),
                ("Content-Disposition", content_disposition(name)),
                ("Content-Length", len(content)),
                ("Cache-Control", "no-store"),
                ("Pragma", "no-cache"),
                ("X-Content-Type-Options", "nosniff"),
            ],
        )
