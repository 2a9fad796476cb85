"""Spreadsheet formula injection in Odoo's list exports.

Odoo's CSV export prefixes cells starting with = + - (not @, tab or carriage
return), and its XLSX export writes such text with xlsxwriter's ``write()``,
which turns a member named ``=HYPERLINK(...)`` into a live formula. Members'
names, notes and addresses come from customers and from legacy imports: every
exported text cell that a spreadsheet would run is prefixed with a quote
(``engine.member_import.escape_formula``), for every model, before Odoo
writes the file.
"""

from odoo.addons.web.controllers.export import CSVExport, ExcelExport

from ..engine.member_import import escape_formula


def _escaped(rows):
    return [[escape_formula(cell) for cell in row] for row in rows]


class MemberCSVExport(CSVExport):
    def from_data(self, fields, columns_headers, rows):
        return super().from_data(fields, columns_headers, _escaped(rows))


class MemberExcelExport(ExcelExport):
    def from_data(self, fields, columns_headers, rows):
        return super().from_data(fields, columns_headers, _escaped(rows))
