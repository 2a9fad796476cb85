"""Members > Reporting > Print and Export: the company PDF reports and the KPI workbook (XLSX).

The workbook holds the dashboard's figures (``member.report.dashboard.get_dashboard_data``) and the
member and order analyses they come from, read through the ORM as the user: access rights and the
report models' company rules apply. It is written by the one XLSX writer, ``engine/xlsx.py``, and
downloaded from ``/member_crm_reports/xlsx`` (controllers/main.py).
"""

from urllib.parse import urlencode

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..engine import kpi, xlsx

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# number format of a dashboard figure, by its unit
UNIT_FORMATS = {"count": "#,##0", "monetary": "#,##0.00", "ratio": "0.0%", "number": "0.00"}


class MemberReportPrint(models.TransientModel):
    _name = "member.report.print"
    _description = "Print and Export Member Reports"

    company_ids = fields.Many2many(
        "res.company",
        string="Companies",
        required=True,
        default=lambda self: self.env.companies.filtered("member_crm_enabled") or self.env.company,
        domain=lambda self: [("id", "in", self.env.companies.ids)],
    )
    date_from = fields.Date(
        string="From", required=True, default=lambda self: self.env.company._member_today().replace(month=1, day=1)
    )
    date_to = fields.Date(string="To", required=True, default=lambda self: self.env.company._member_today())

    @api.constrains("date_from", "date_to")
    def _check_period(self):
        for wizard in self:
            if wizard.date_from > wizard.date_to:
                raise UserError(self.env._("The report period must start before it ends."))

    def _member_report_data(self):
        self.ensure_one()
        return {"date_from": fields.Date.to_string(self.date_from), "date_to": fields.Date.to_string(self.date_to)}

    def action_print_tier_summary(self):
        return self.env.ref("member_crm_reports.action_report_member_tier_summary").report_action(
            self.company_ids, data=self._member_report_data()
        )

    def action_print_service(self):
        return self.env.ref("member_crm_reports.action_report_member_service").report_action(
            self.company_ids, data=self._member_report_data()
        )

    def action_export_xlsx(self):
        self.ensure_one()
        query = urlencode({"company_ids": ",".join(str(company_id) for company_id in self.company_ids.ids)})
        return {"type": "ir.actions.act_url", "url": f"/member_crm_reports/xlsx?{query}", "target": "download"}

    # ------------------------------------------------------------------
    # the KPI workbook
    # ------------------------------------------------------------------
    @api.model
    def _member_kpi_workbook(self):
        """(xlsx bytes, file name) of the KPI workbook of the companies selected in ``self.env``."""
        sheets = self._member_kpi_sheets()
        today = fields.Date.context_today(self)
        return xlsx.workbook_bytes(sheets), f"{self.env._('Member KPIs')} {today}.xlsx"

    @api.model
    def _member_kpi_sheets(self):
        """The workbook's sheets (``engine.xlsx.Sheet``): the dashboard's figures, then the analyses'."""
        data = self.env["member.report.dashboard"].get_dashboard_data()
        blocks = data["companies"]
        if not blocks:
            raise UserError(self.env._("No company with members is selected: there are no figures to export."))
        companies = self.env["res.company"].browse([block["company_id"] for block in blocks])
        months = sorted({month for block in blocks for month in block["months"]})
        return [
            self._member_headline_sheet(data),
            self._member_monthly_sheet(data),
            self._member_members_sheet(companies, months),
            self._member_orders_sheet(companies, months),
        ]

    @api.model
    def _member_figure_labels(self):
        return {
            "members": self.env._("Members"),
            "new_members": self.env._("New Members"),
            "active_members": self.env._("Active Members"),
            "average_spend": self.env._("Average Spend"),
            "return_rate": self.env._("Return Rate"),
            "lifetime_value": self.env._("Lifetime Value"),
            "member_growth": self.env._("Member Growth"),
            "active_growth": self.env._("Active Member Growth"),
            "frequency": self.env._("Purchase Frequency"),
            "refund_share": self.env._("Refunded Amount Share"),
            "customer_value": self.env._("Customer Value"),
        }

    @api.model
    def _member_headline_sheet(self, data):
        labels = self._member_figure_labels()
        currencies = self.env["res.currency"].browse([block["currency_id"] for block in data["companies"]])
        names = {currency.id: currency.name for currency in currencies}
        rows = []
        for block in data["companies"]:
            keys = [*data["headline"], *(key for key in block["figures"] if key not in data["headline"])]
            for key in keys:
                figure = block["figures"][key]
                num_format = UNIT_FORMATS.get(figure["unit"])
                rows.append(
                    (
                        block["company_name"],
                        labels.get(key, key),
                        xlsx.Cell(figure["value"], num_format),
                        xlsx.Cell(figure["previous"], num_format),
                        figure["change"],
                        names[block["currency_id"]] if figure["unit"] == "monetary" else None,
                    )
                )
        columns = [
            xlsx.Column(self.env._("Company")),
            xlsx.Column(self.env._("Figure")),
            xlsx.Column(self.env._("This Month")),
            xlsx.Column(self.env._("Last Month")),
            xlsx.Column(self.env._("Change"), "0.0%"),
            xlsx.Column(self.env._("Currency")),
        ]
        return xlsx.Sheet(self.env._("Headline Figures"), columns, rows)

    @api.model
    def _member_monthly_sheet(self, data):
        labels = self._member_figure_labels()
        first = data["companies"][0]
        keys = [key for key, figure in first["figures"].items() if figure["series"] is not None]
        columns = [xlsx.Column(self.env._("Company")), xlsx.Column(self.env._("Month"), "yyyy-mm")] + [
            xlsx.Column(labels.get(key, key), UNIT_FORMATS.get(first["figures"][key]["unit"])) for key in keys
        ]
        rows = [
            (
                block["company_name"],
                fields.Date.to_date(month),
                *(block["figures"][key]["series"][index] for key in keys),
            )
            for block in data["companies"]
            for index, month in enumerate(block["months"])
        ]
        return xlsx.Sheet(self.env._("Monthly Figures"), columns, rows)

    @api.model
    def _member_display_names(self, records):
        """{id: display name} of the stores or sales teams the analyses group by.

        Officers and auditors read the analyses but not pos.config (Point of Sale's rights), and the pivot
        shows these names to them already (a grouped many2one's name is read as superuser): read the names
        the same way, and nothing else of these records.
        """
        # sudo: the names of the records the user's own rule-filtered rows group by, nothing else
        return {record.id: record.display_name for record in records.sudo()}

    @api.model
    def _member_members_sheet(self, companies, months):
        """Members and new members per month, tier, region and home store (the member analysis)."""
        groups = self.env["member.report.members"]._read_group(
            [("company_id", "in", companies.ids), ("month", ">=", months[0]), ("month", "<=", months[-1])],
            groupby=["company_id", "month:day", "tier_id", "country_id", "state_id", "home_config_id"],
            aggregates=["member_count:sum", "new_count:sum"],
            order="company_id, month:day, tier_id, country_id, state_id, home_config_id",
        )
        store_names = self._member_display_names(self.env["pos.config"].union(*(group[5] for group in groups)))
        rows = [
            (
                company.name,
                kpi.month_start(month),
                tier.name,
                country.name,
                state.name,
                store_names.get(store.id),
                members,
                new,
            )
            for company, month, tier, country, state, store, members, new in groups
        ]
        columns = [
            xlsx.Column(self.env._("Company")),
            xlsx.Column(self.env._("Month"), "yyyy-mm"),
            xlsx.Column(self.env._("Tier")),
            xlsx.Column(self.env._("Country")),
            xlsx.Column(self.env._("State")),
            xlsx.Column(self.env._("Home Store")),
            xlsx.Column(self.env._("Members"), "#,##0"),
            xlsx.Column(self.env._("New Members"), "#,##0"),
        ]
        return xlsx.Sheet(self.env._("Members by Tier and Region"), columns, rows)

    @api.model
    def _member_orders_sheet(self, companies, months):
        """Member orders per month, store and sales team (the order analysis, opening balances left out)."""
        groups = self.env["member.report.order"]._read_group(
            [("company_id", "in", companies.ids), ("is_opening", "=", False), ("month", ">=", months[0])],
            groupby=["company_id", "currency_id", "month:day", "pos_config_id", "team_id"],
            aggregates=["order_count:sum", "returned:sum", "amount:sum", "refund_amount:sum", "net_amount:sum"],
            order="company_id, month:day, pos_config_id, team_id",
        )
        store_names = self._member_display_names(self.env["pos.config"].union(*(group[3] for group in groups)))
        team_names = self._member_display_names(self.env["crm.team"].union(*(group[4] for group in groups)))
        rows = [
            (
                company.name,
                currency.name,
                kpi.month_start(month),
                store_names.get(store.id),
                team_names.get(team.id),
                orders,
                returned,
                kpi.rate(returned, orders),
                amount,
                refunded,
                net,
            )
            for company, currency, month, store, team, orders, returned, amount, refunded, net in groups
        ]
        columns = [
            xlsx.Column(self.env._("Company")),
            xlsx.Column(self.env._("Currency")),
            xlsx.Column(self.env._("Month"), "yyyy-mm"),
            xlsx.Column(self.env._("Store")),
            xlsx.Column(self.env._("Sales Team")),
            xlsx.Column(self.env._("Orders"), "#,##0"),
            xlsx.Column(self.env._("Returned Orders"), "#,##0"),
            xlsx.Column(self.env._("Return Rate"), "0.0%"),
            xlsx.Column(self.env._("Amount"), "#,##0.00"),
            xlsx.Column(self.env._("Refunded"), "#,##0.00"),
            xlsx.Column(self.env._("Net Amount"), "#,##0.00"),
        ]
        return xlsx.Sheet(self.env._("Orders by Store and Team"), columns, rows)
