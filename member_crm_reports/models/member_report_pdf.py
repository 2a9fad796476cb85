"""The members' PDF reports: member statement, tier summary, campaign effectiveness, complaints and feedback.

Debian's wkhtmltopdf is built without Odoo's patched Qt: it ignores the header and footer HTML and
fails on several documents in one call, which Odoo then refuses ("Tried to convert multiple
documents in wkhtmltopdf using unpatched QT"). So our reports:

- render one record per wkhtmltopdf call and merge the results (``odoo.tools.pdf.merge_pdf``); with the
  patched Qt, Odoo's own single call prints them all (faster, with page header and footer);
- print the company's identity (logo, name, address) in the body, where every wkhtmltopdf shows it;
- use a small top margin when the header cannot be printed.

Every figure is read through the ORM as the printing user: access rights and record rules apply
(a cashier or a portal user cannot print a member's statement, nobody prints another company's).
The actions' ``group_ids`` only hide the print menu entries (Odoo's /report route does not check them):
each report reads an analysis only its readers may read, or checks that right itself (the tier summary).
"""

import datetime

import pytz

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools.pdf import merge_pdf

from odoo.addons.base.models.ir_actions_report import _wkhtml

from ..engine import kpi

# without the patched Qt: rendered one record per wkhtmltopdf call, then merged
MEMBER_PDF_REPORTS = (
    "member_crm_reports.action_report_member_statement",
    "member_crm_reports.action_report_member_tier_summary",
    "member_crm_reports.action_report_member_campaign",
    "member_crm_reports.action_report_member_service",
)
# top margin (mm) when wkhtmltopdf cannot print the header the paper format leaves room for
UNPATCHED_MARGIN_TOP = 12


class IrActionsReport(models.Model):
    _inherit = "ir.actions.report"

    def _render_qweb_pdf(self, report_ref, res_ids=None, data=None):
        if isinstance(res_ids, int):
            res_ids = [res_ids]
        if not (res_ids and len(res_ids) > 1 and self._member_pdf_report(report_ref)) or _wkhtml().is_patched_qt:
            return super()._render_qweb_pdf(report_ref, res_ids=res_ids, data=data)
        # ours, several records, and a wkhtmltopdf without the patched Qt (one document per call): one call each
        documents = []
        for res_id in res_ids:
            content, report_type = super()._render_qweb_pdf(report_ref, res_ids=[res_id], data=dict(data or {}))
            if report_type != "pdf":
                # tests without force_report_rendering get Odoo's HTML of all the records
                return super()._render_qweb_pdf(report_ref, res_ids=res_ids, data=data)
            documents.append(content)
        return merge_pdf(documents), "pdf"

    def _member_pdf_report(self, report_ref):
        """Whether ``report_ref`` is one of the member PDF reports."""
        return self._get_report(report_ref).xml_id in MEMBER_PDF_REPORTS


class MemberReportPdf(models.AbstractModel):
    """What the four reports share: the period, the company checks, the layout values."""

    _name = "member.report.pdf"
    _description = "Member PDF Report Helpers"

    @api.model
    def _member_period(self, company, data):
        """(first day, last day) of the report: ``data`` date_from / date_to, else this year up to today
        (company time zone)."""
        today = company._member_today()
        data = data or {}
        date_from = fields.Date.to_date(data.get("date_from")) or today.replace(month=1, day=1)
        date_to = fields.Date.to_date(data.get("date_to")) or today
        if date_from > date_to:
            raise UserError(self.env._("The report period must start before it ends."))
        return date_from, date_to

    @api.model
    def _member_utc_bounds(self, company, date_from, date_to):
        """UTC datetimes [start, stop) of the local days ``date_from`` .. ``date_to`` of ``company``."""
        tz = pytz.timezone(company._member_tz())

        def utc(day):
            local = tz.localize(datetime.datetime.combine(day, datetime.time.min))
            return local.astimezone(pytz.UTC).replace(tzinfo=None)

        return utc(date_from), utc(date_to + datetime.timedelta(days=1))

    @api.model
    def _member_check_companies(self, companies):
        """Figures of a company the user has not selected would be silently empty (record rules): refuse."""
        outside = companies - self.env.companies
        if outside:
            raise AccessError(
                self.env._(
                    "Select %(companies)s in the company switcher to print its member reports.",
                    companies=", ".join(outside.mapped("name")),
                )
            )

    @api.model
    def _member_layout_values(self):
        """Values of web.report_layout: without the patched Qt there is no header to leave room for."""
        if _wkhtml().is_patched_qt:
            return {}
        return {"data_report_margin_top": UNPATCHED_MARGIN_TOP, "data_report_header_spacing": 0}

    @api.model
    def _member_percent(self, ratio):
        """A ratio (0.125) as shown in the reports ("12.5 %"); nothing when there is no figure (None)."""
        return "" if ratio is None else f"{ratio * 100:.1f} %"

    @api.model
    def _member_values(self, docs, data, values):
        return {
            "doc_ids": docs.ids,
            "doc_model": docs._name,
            "docs": docs,
            "data": data,
            "values": values,
            "percent": self._member_percent,
            **self._member_layout_values(),
        }


class ReportMemberStatement(models.AbstractModel):
    _name = "report.member_crm_reports.report_member_statement"
    _inherit = "member.report.pdf"
    _description = "Member Statement Report"

    @api.model
    def _get_report_values(self, docids, data=None):
        memberships = self.env["member.membership"].browse(docids)
        memberships.check_access("read")
        values = {}
        for company, members in memberships.grouped("company_id").items():
            values.update(self._member_statements(company, members, data))
        return self._member_values(memberships, data, values)

    @api.model
    def _member_statements(self, company, memberships, data):
        """{membership id: statement values} of the memberships of ``company``: one query per figure."""
        date_from, date_to = self._member_period(company, data)
        Move = self.env["member.points.move"]
        base = [("company_id", "=", company.id), ("partner_id", "in", memberships.partner_id.ids)]
        closing = {
            (partner.id, pending): points
            for partner, pending, points in Move._read_group(
                [*base, ("date", "<=", date_to)], ["partner_id", "pending"], ["points:sum"]
            )
        }
        opening = dict(
            Move._read_group([*base, ("date", "<", date_from), ("pending", "=", False)], ["partner_id"], ["points:sum"])
        )
        moves = Move.search([*base, ("date", ">=", date_from), ("date", "<=", date_to)], order="date, id")
        moves_by_partner = moves.grouped("partner_id")
        start, stop = self._member_utc_bounds(company, date_from, date_to)
        history = self.env["member.tier.history"].search(
            [("membership_id", "in", memberships.ids), ("date", ">=", start), ("date", "<", stop)], order="date, id"
        )
        history_by_membership = history.grouped("membership_id")
        statements = {}
        for membership in memberships:
            partner = membership.partner_id
            partner_moves = moves_by_partner.get(partner, Move)
            balance_moves = partner_moves.filtered(lambda move: not move.pending)
            statements[membership.id] = {
                "company": company,
                "date_from": date_from,
                "date_to": date_to,
                "opening": opening.get(partner, 0.0),
                "earned": sum(move.points for move in balance_moves if move.points > 0),
                "used": -sum(move.points for move in balance_moves if move.points < 0),
                "closing": closing.get((partner.id, False), 0.0),
                "pending": closing.get((partner.id, True), 0.0),
                "moves": partner_moves,
                "history": history_by_membership.get(membership, self.env["member.tier.history"]),
                "tz": company._member_tz(),
            }
        return statements


class ReportMemberTierSummary(models.AbstractModel):
    _name = "report.member_crm_reports.report_member_tier_summary"
    _inherit = "member.report.pdf"
    _description = "Member Tier Summary Report"

    @api.model
    def _get_report_values(self, docids, data=None):
        # the member analysis' figures (members per tier, new, moves): its readers only, officers and auditors.
        # What it reads (memberships, tier history) every member user reads: the check is the report's own.
        self.env["member.report.members"].check_access("read")
        companies = self.env["res.company"].browse(docids)
        self._member_check_companies(companies)
        values = {company.id: self._member_tier_summary(company, data) for company in companies}
        return self._member_values(companies, data, values)

    @api.model
    def _member_tier_summary(self, company, data):
        date_from, date_to = self._member_period(company, data)
        Membership = self.env["member.membership"]
        History = self.env["member.tier.history"]
        states = {
            (tier.id, state): count
            for tier, state, count in Membership._read_group(
                [("company_id", "=", company.id)], ["tier_id", "state"], ["__count"]
            )
        }
        new = {
            tier.id: count
            for tier, count in Membership._read_group(
                [
                    ("company_id", "=", company.id),
                    ("member_since", ">=", date_from),
                    ("member_since", "<=", date_to),
                    ("member_since_unknown", "=", False),
                ],
                ["tier_id"],
                ["__count"],
            )
        }
        start, stop = self._member_utc_bounds(company, date_from, date_to)
        moves = {
            (tier.id, direction): count
            for tier, direction, count in History._read_group(
                # an enrolment places a member, it is no movement
                [
                    ("company_id", "=", company.id),
                    ("date", ">=", start),
                    ("date", "<", stop),
                    ("trigger", "!=", "enroll"),
                ],
                ["to_tier_id", "direction"],
                ["__count"],
            )
        }
        directions = History._fields["direction"]._description_selection(self.env)
        tiers = (
            self.env["member.tier"]
            .with_context(active_test=False)
            .search([("company_id", "=", company.id)], order="level, id")
            .filtered(lambda tier: tier.active or any(key[0] == tier.id for key in states))
        )
        tier_ids = [*tiers.ids, False] if any(key[0] is False for key in (*states, *moves)) else tiers.ids
        active_total = sum(count for (_tier, state), count in states.items() if state == "active")
        rows = []
        for tier_id in tier_ids:
            active = states.get((tier_id, "active"), 0)
            rows.append(
                {
                    "tier": tiers.browse(tier_id) if tier_id else tiers.browse(),
                    "active": active,
                    "share": kpi.rate(active, active_total),
                    "suspended": states.get((tier_id, "suspended"), 0),
                    "left": states.get((tier_id, "left"), 0),
                    "new": new.get(tier_id, 0),
                    "moves": [moves.get((tier_id, key), 0) for key, _label in directions],
                }
            )
        totals = {key: sum(row[key] for row in rows) for key in ("active", "suspended", "left", "new")} | {
            "moves": [sum(row["moves"][index] for row in rows) for index in range(len(directions))]
        }
        return {
            "company": company,
            "date_from": date_from,
            "date_to": date_to,
            "rows": rows,
            "totals": totals,
            "directions": [label for _key, label in directions],
        }


class ReportMemberCampaign(models.AbstractModel):
    _name = "report.member_crm_reports.report_member_campaign"
    _inherit = "member.report.pdf"
    _description = "Campaign Effectiveness Report"

    @api.model
    def _get_report_values(self, docids, data=None):
        campaigns = self.env["member.campaign"].browse(docids)
        campaigns.check_access("read")
        return self._member_values(campaigns, data, self._member_campaign_rows(campaigns))

    @api.model
    def _member_campaign_rows(self, campaigns):
        """{campaign id: {"rows": per tier and channel, "total", "holdout"}}, read from the campaign analysis
        (``member.report.campaign``): the figures of its pivot, with its definitions and its record rules."""
        sums = [
            "recipient_count:sum",
            "reached_count:sum",
            "participated_count:sum",
            "converted_count:sum",
            "order_count:sum",
            "revenue:sum",
            "holdout_count:sum",
        ]
        keys = ("recipients", "reached", "participated", "converted", "orders", "revenue", "holdout")
        Analysis = self.env["member.report.campaign"]
        groups = Analysis._read_group(
            [("campaign_id", "in", campaigns.ids)], ["campaign_id", "tier_id", "channel"], sums
        )
        channels = dict(Analysis._fields["channel"]._description_selection(self.env))
        result = {campaign.id: {"rows": [], "total": dict.fromkeys(keys, 0)} for campaign in campaigns}
        for campaign, tier, channel, *figures in sorted(groups, key=lambda g: (g[0].id, g[1].level, g[1].id, g[2])):
            row = dict(zip(keys, figures, strict=True)) | {"tier": tier, "channel": channels.get(channel, "")}
            result[campaign.id]["rows"].append(row)
            total = result[campaign.id]["total"]
            for key in keys:
                total[key] += row[key]
        for campaign_result in result.values():
            for row in [*campaign_result["rows"], campaign_result["total"]]:
                row["participation"] = kpi.rate(row["participated"], row["reached"])
                row["conversion"] = kpi.rate(row["converted"], row["reached"])
        return result


class ReportMemberService(models.AbstractModel):
    _name = "report.member_crm_reports.report_member_service"
    _inherit = "member.report.pdf"
    _description = "Complaints and Feedback Report"

    @api.model
    def _get_report_values(self, docids, data=None):
        companies = self.env["res.company"].browse(docids)
        self._member_check_companies(companies)
        values = {company.id: self._member_service(company, data) for company in companies}
        return self._member_values(companies, data, values)

    @api.model
    def _member_service(self, company, data):
        """Tickets by tier when opened and type, read from the complaints analysis (``member.report.service``)."""
        date_from, date_to = self._member_period(company, data)
        start, stop = self._member_utc_bounds(company, date_from, date_to)
        Service = self.env["member.report.service"]
        groups = Service._read_group(
            [("company_id", "=", company.id), ("date_open", ">=", start), ("date_open", "<", stop)],
            ["tier_id", "complaint_type"],
            ["complaint_count:sum", "breached_count:sum", "rated_count:sum", "happy_count:sum"],
        )
        types = Service._fields["complaint_type"]._description_selection(self.env)
        keys = ("tickets", "breached", "rated", "happy")
        by_tier = {}
        for tier, complaint_type, *figures in groups:
            row = by_tier.setdefault(
                tier, {"tier": tier, "types": dict.fromkeys(key for key, _label in types), **dict.fromkeys(keys, 0)}
            )
            row["types"][complaint_type] = (row["types"][complaint_type] or 0) + figures[0]
            for key, figure in zip(keys, figures, strict=True):
                row[key] += figure
        rows = sorted(by_tier.values(), key=lambda row: (not row["tier"], row["tier"].level, row["tier"].id))
        total = {key: sum(row[key] for row in rows) for key in keys}
        total["types"] = {key: sum(row["types"][key] or 0 for row in rows) for key, _label in types}
        for row in [*rows, total]:
            row["breach_rate"] = kpi.rate(row["breached"], row["tickets"])
            row["csat"] = kpi.rate(row["happy"], row["rated"])
        return {
            "company": company,
            "date_from": date_from,
            "date_to": date_to,
            "rows": rows,
            "total": total,
            "types": types,
        }
