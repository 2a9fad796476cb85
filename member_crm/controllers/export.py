"""Spreadsheet formula injection in Odoo's list exports.

Odoo's CSV export prefixes cells starting with = + - (not @, tab or carriage
return), and its XLSX export writes such text with xlsxwriter's ``write()``,
which turns a member named ``=HYPERLINK(...)`` into a live formula. Members'
names, notes and addresses come from customers and from legacy imports: every
exported text cell that a spreadsheet would run is prefixed with a quote
(``engine.cells.escape_formula``), for every model, before Odoo
writes the file. The pivot view's XLSX export (``/web/pivot/export_xlsx``)
writes its row and column headers, which are group values such as a
member's name or city, with ``write()`` too: they are escaped the same way.
"""

import json

from werkzeug.datastructures import FileStorage

from odoo import http

from odoo.addons.web.controllers.export import CSVExport, ExcelExport
from odoo.addons.web.controllers.pivot import TableExporter

from ..engine.cells import escape_formula


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


def _escape_pivot(jdata):
    """The pivot's headers and text cells, in place (numbers stay numbers)."""
    for header_row in jdata.get("col_group_headers") or []:
        for header in header_row:
            header["title"] = escape_formula(header.get("title"))
    for measure in jdata.get("measure_headers") or []:
        measure["title"] = escape_formula(measure.get("title"))
    for row in jdata.get("rows") or []:
        row["title"] = escape_formula(row.get("title"))
        for cell in row.get("values") or []:
            cell["value"] = escape_formula(cell.get("value"))
    return jdata


class MemberTableExporter(TableExporter):
    @http.route()
    def export_xlsx(self, data, **kw):
        jdata = json.load(data) if isinstance(data, FileStorage) else json.loads(data)
        if jdata:
            _escape_pivot(jdata)
        return super().export_xlsx(json.dumps(jdata), **kw)
