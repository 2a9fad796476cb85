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


def _escape_key(key):
    """A group's value as the group header shows it: text, or (id, display name) for a many2one."""
    if isinstance(key, tuple):
        return tuple(escape_formula(part) for part in key)
    return escape_formula(key)


def _escape_tree(node):
    """Grouped exports: the leaf rows and the group headers, in place."""
    node.data = _escaped(node.data)
    node.children = type(node.children)((_escape_key(key), child) for key, child in node.children.items())
    for child in node.children.values():
        _escape_tree(child)


class MemberCSVExport(CSVExport):
    def from_data(self, fields, columns_headers, rows):
        return super().from_data(fields, columns_headers, _escaped(rows))


class MemberExcelExport(ExcelExport):
    def from_data(self, fields, columns_headers, rows):
        return super().from_data(fields, columns_headers, _escaped(rows))

    def from_group_data(self, fields, columns_headers, groups):
        _escape_tree(groups)
        return super().from_group_data(fields, columns_headers, groups)
