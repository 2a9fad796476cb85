"""member_crm_reports.engine.xlsx: the one XLSX writer, read back with openpyxl (no Odoo)."""

import datetime
import decimal
import io
import math

import openpyxl
import pytest

# xlsxwriter and openpyxl come with Odoo and are in requirements-test.txt: missing, the test fails (no skip)
from member_crm_reports.engine import xlsx


def _read(sheets):
    buffer = io.BytesIO(xlsx.workbook_bytes(sheets))
    return openpyxl.load_workbook(buffer)


def test_user_text_stays_text():
    evil = ['=HYPERLINK("http://evil.example","click")', "+1+2", "-3", "@SUM(A1)", "0012", "http://x.example"]
    book = _read([xlsx.Sheet("Members", [xlsx.Column("Name")], [(text,) for text in evil])])
    sheet = book["Members"]
    for row, text in enumerate(evil, start=2):
        cell = sheet.cell(row=row, column=1)
        assert cell.data_type == "s", (text, cell.data_type)
        assert cell.value == text
        assert cell.hyperlink is None


def test_chinese_sheet_frozen_header_and_number_formats():
    columns = [
        xlsx.Column("等级 Tier"),
        xlsx.Column("会员数", "#,##0"),
        xlsx.Column("增长率", "0.0%"),
        xlsx.Column("金额", "#,##0.00"),
        xlsx.Column("月份", "yyyy-mm"),
    ]
    rows = [
        ("金卡", 1200, 0.125, decimal.Decimal("1234.5"), datetime.date(2025, 3, 1)),
        ("银卡", 30, -0.05, 99.99, datetime.date(2025, 4, 1)),
    ]
    book = _read([xlsx.Sheet("会员增长", columns, rows)])
    assert book.sheetnames == ["会员增长"]
    sheet = book["会员增长"]
    assert sheet.freeze_panes == "A2"
    assert [cell.value for cell in sheet[1]] == ["等级 Tier", "会员数", "增长率", "金额", "月份"]
    assert sheet["A1"].font.b
    assert sheet["A2"].value == "金卡"
    assert (sheet["B2"].value, sheet["B2"].number_format) == (1200, "#,##0")
    assert (sheet["C2"].value, sheet["C2"].number_format) == (0.125, "0.0%")
    assert (sheet["D2"].value, sheet["D2"].number_format) == (1234.5, "#,##0.00")
    assert sheet["E3"].number_format == "yyyy-mm"
    assert sheet["E3"].value == datetime.datetime(2025, 4, 1)
    assert sheet.auto_filter.ref == "A1:E3"


def test_blanks_dates_and_booleans():
    when = datetime.datetime(2025, 1, 31, 23, 30, tzinfo=datetime.UTC)
    rows = [(None, float("nan"), math.inf, True, when, datetime.date(2025, 2, 1))]
    book = _read([xlsx.Sheet("Cells", ["a", "b", "c", "d", "e", "f"], rows)])
    sheet = book["Cells"]
    assert [sheet.cell(row=2, column=col).value for col in (1, 2, 3)] == [None, None, None]
    assert sheet["D2"].value is True
    assert sheet["E2"].value == datetime.datetime(2025, 1, 31, 23, 30)
    assert sheet["E2"].number_format == "yyyy-mm-dd hh:mm"
    assert sheet["F2"].number_format == "yyyy-mm-dd"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Members [2025]: a/b\\c*d?", "Members _2025__ a_b_c_d_"),
        ("'quoted'", "quoted"),
        ("", "Sheet"),
        ("history", "history_"),
        ("会员" * 20, "会员" * 15 + "会"),  # 31 characters
        ("\U0001f600" * 20, "\U0001f600" * 15),  # Excel counts UTF-16 units: 2 per emoji
    ],
)
def test_sheet_names_are_valid(name, expected):
    assert xlsx.sheet_name(name) == expected
    assert len(expected.encode("utf-16-le")) // 2 <= 31


def test_long_and_duplicate_names_stay_unique():
    long = "Member growth by region and store per month"
    names = xlsx.write_workbook(
        io.BytesIO(), [xlsx.Sheet(long, ["a"], []), xlsx.Sheet(long, ["a"], []), xlsx.Sheet("SHEET", ["a"], [])]
    )
    assert names[0] == long[:31]
    assert names[1] == long[:27] + " (2)"
    assert all(len(name) <= 31 for name in names)
    assert xlsx.sheet_name("sheet", taken=["Sheet"]) == "sheet (2)"


def test_bad_rows_write_nothing(tmp_path):
    target = tmp_path / "out.xlsx"
    with pytest.raises(ValueError, match="row 2"):
        xlsx.write_workbook(str(target), [xlsx.Sheet("A", ["one"], [(1,), (1, 2)])])
    assert not target.exists()
    with pytest.raises(ValueError, match="at least one sheet"):
        xlsx.write_workbook(str(target), [])
    with pytest.raises(ValueError, match="Excel holds 1048575"):
        xlsx.write_workbook(str(target), [xlsx.Sheet("Big", ["n"], [(0,)] * 1048576)])
    assert not target.exists()


def test_writes_a_file_path(tmp_path):
    target = tmp_path / "会员.xlsx"
    xlsx.write_workbook(str(target), [xlsx.Sheet("KPI", [xlsx.Column("Value", "0.00")], [(1.5,)])])
    assert openpyxl.load_workbook(target)["KPI"]["A2"].value == 1.5


def test_a_cell_can_override_the_column_format():
    rows = [("count", xlsx.Cell(1200, "#,##0")), ("ratio", xlsx.Cell(0.25, "0.0%")), ("plain", 3.5)]
    sheet = _read([xlsx.Sheet("Mixed", ["Figure", xlsx.Column("Value", "0.00")], rows)])["Mixed"]
    assert [(sheet[f"B{row}"].value, sheet[f"B{row}"].number_format) for row in (2, 3, 4)] == [
        (1200, "#,##0"),
        (0.25, "0.0%"),
        (3.5, "0.00"),
    ]
