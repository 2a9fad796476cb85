"""Download of the member KPI workbook (XLSX), read as the user."""

from odoo import http
from odoo.exceptions import AccessError
from odoo.http import content_disposition, request

from ..wizard.member_report_print import XLSX_MIMETYPE


class MemberReportsController(http.Controller):
    @http.route("/member_crm_reports/xlsx", type="http", auth="user", methods=["GET"], readonly=True)
    def member_kpi_xlsx(self, company_ids=None, **kwargs):
        """The KPI workbook of ``company_ids`` (comma-separated; by default the user's current company).

        The companies must be among the user's allowed companies (``env.companies`` refuses others);
        every figure is read through the ORM as the user, so access rights and record rules apply.
        """
        env = request.env
        ids = [int(part) for part in (company_ids or "").split(",") if part.strip().isdigit()]
        if ids:
            if set(ids) - set(env.user.company_ids.ids):
                raise AccessError(env._("You may not read the member figures of these companies."))
            env = env(context=dict(env.context, allowed_company_ids=ids))
        content, filename = env["member.report.print"]._member_kpi_workbook()
        return request.make_response(
            content,
            headers=[
                ("Content-Type", XLSX_MIMETYPE),
                ("Content-Length", len(content)),
                ("Content-Disposition", content_disposition(filename)),
            ],
        )
