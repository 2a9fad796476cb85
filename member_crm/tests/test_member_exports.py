import csv
import io
import json

import openpyxl

from odoo import http
from odoo.tests import HttpCase, tagged

NAMES = ['=HYPERLINK("http://evil","x")', "@SUM(A1)", "+86 138", "-1+1", "\t=1", "王芳"]


@tagged("post_install", "-at_install")
class TestMemberExports(HttpCase):
    """Odoo's list exports, CSV and XLSX, never hand a spreadsheet a formula (names come from customers)."""

    def _export(self, kind, groupby=()):
        partners = self.env["res.partner"].create([{"name": name, "city": name} for name in NAMES])
        self.authenticate("admin", "admin")
        params = {
            "model": "res.partner",
            "fields": [{"name": "name", "label": "Name", "type": "char"}],
            "ids": partners.ids,
            "domain": [],
            "groupby": list(groupby),
            "import_compat": False,
        }
        response = self.url_open(
            f"/web/export/{kind}",
            data={"data": json.dumps(params), "csrf_token": http.Request.csrf_token(self)},
        )
        self.assertEqual(response.status_code, 200)
        return response.content

    def test_csv(self):
        rows = list(csv.reader(io.StringIO(self._export("csv").decode("utf-8"))))
        cells = [row[0] for row in rows[1:]]
        self.assertEqual(sorted(cells), sorted(["'" + n if n[0] in "=+-@\t" else n for n in NAMES]))

    def test_xlsx(self):
        sheet = openpyxl.load_workbook(io.BytesIO(self._export("xlsx"))).active
        cells = [row[0] for row in sheet.iter_rows(min_row=2)]
        self.assertEqual(len(cells), len(NAMES))
        for cell in cells:
            self.assertNotEqual(cell.data_type, "f", f"{cell.value} became a formula")
            self.assertFalse(str(cell.value)[0] in "=+-@", cell.value)

    def test_xlsx_grouped(self):
        sheet = openpyxl.load_workbook(io.BytesIO(self._export("xlsx", groupby=["city"]))).active
        cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row if cell.value is not None]
        self.assertTrue(cells)
        for cell in cells:
            self.assertNotEqual(cell.data_type, "f", f"{cell.value} became a formula")
            self.assertFalse(str(cell.value)[0] in "=+-@", cell.value)

    def test_pivot_xlsx(self):
        """The pivot's XLSX export: group headers (customers' names) and row titles never become formulas."""
        self.authenticate("admin", "admin")
        title = NAMES[0]
        data = {
            "title": "Members",
            "model": "res.partner",
            "measure_count": 1,
            "col_group_headers": [[{"title": title, "width": 1, "height": 1}]],
            "measure_headers": [{"title": "@SUM(A1)", "is_bold": False}],
            "rows": [{"indent": 0, "title": name, "values": [{"value": 1, "is_bold": False}]} for name in NAMES],
        }
        response = self.url_open(
            "/web/pivot/export_xlsx",
            data={"data": json.dumps(data), "csrf_token": http.Request.csrf_token(self)},
        )
        self.assertEqual(response.status_code, 200)
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        cells = [cell for row in sheet.iter_rows() for cell in row if isinstance(cell.value, str) and cell.value]
        self.assertGreaterEqual(len(cells), len(NAMES) + 2)
        for cell in cells:
            self.assertNotEqual(cell.data_type, "f", f"{cell.value} became a formula")
            self.assertFalse(cell.value.lstrip()[0] in "=+-@", cell.value)
        self.assertIn("'" + title, [cell.value for cell in cells])
        # numbers are left alone
        self.assertEqual(sheet.cell(row=3, column=2).value, 1)
