"""Hostile import files: each is refused with its reason, under a memory bound.

The files are built here (no fixture on disk): an XLSX that declares the whole
sheet (A1:XFD1048576) in 5 KB, an XLSX zip bomb, a CSV of empty lines, a CSV
with a 60 MB cell and one with a field spread over thousands of lines.
Memory is measured with ``tracemalloc`` (peak of Python allocations during
the read, the input excluded); the address space is also capped during the
read, so a reader that runs away fails the test with a MemoryError instead
of taking the machine down.
"""

import contextlib
import csv
import importlib.util
import io
import random
import resource
import tracemalloc
import zipfile

import pytest

from member_crm.engine import member_import as mi

# peak of Python allocations a read may make, whatever the file (the old reader took 200 bytes per byte)
MEMORY_BOUND = 50 * 1024 * 1024
# address space a read may add before it fails with MemoryError
ADDRESS_SPACE_HEADROOM = 1024 * 1024 * 1024


def _address_space():
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return None  # pragma: no cover - not Linux


@contextlib.contextmanager
def bounded():
    """Yield a dict whose ``peak`` is the read's peak of Python allocations, in bytes."""
    result = {}
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    size = _address_space()
    if size:
        limit = size + ADDRESS_SPACE_HEADROOM
        resource.setrlimit(resource.RLIMIT_AS, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))
    tracemalloc.start()
    try:
        yield result
    finally:
        result["peak"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def refused(data, filename="members.csv", **limits):
    """(error, peak) of reading a file that must be refused."""
    with bounded() as memory, pytest.raises(mi.ImportFileError) as error:
        mi.read_file(data, filename, **limits)
    assert memory["peak"] < MEMORY_BOUND, f"{memory['peak'] / 1e6:.0f} MB"
    assert str(error.value) == mi.FILE_MESSAGES[error.value.code].format_map({"detail": "", **error.value.params})
    return error.value


# ----------------------------------------------------------------------
# CSV
# ----------------------------------------------------------------------
def test_upload_cap_refuses_before_reading():
    data = b"x" * (mi.MAX_FILE_BYTES + 1)
    error = refused(data)
    assert error.code == "too_big"
    assert error.params == {"size": 50.0, "limit": 50.0}
    assert refused(b"name,phone\n" + b"a" * 2048, max_bytes=1024).code == "too_big"


def test_csv_cell_of_60_mb_is_refused_by_the_parser_own_limit(monkeypatch):
    """The cap raised so that the cell reaches the parser: its own limit stops it, not the process-wide one."""
    calls = []
    original = csv.field_size_limit

    def field_size_limit(*args):
        calls.append(args)
        return original(*args)

    monkeypatch.setattr(mi.csv, "field_size_limit", field_size_limit)
    data = "会员卡号,姓名\nM1,".encode() + b'"' + b"a" * (60 * 1024 * 1024) + b'"\n'
    error = refused(data, max_bytes=100 * 1024 * 1024)
    assert (error.code, error.params) == ("row_too_long", {"row": 2, "limit": mi.MAX_ROW_CHARS})
    assert not [args for args in calls if args], "csv.field_size_limit is the whole process's: never set"


def test_csv_field_over_many_lines_is_refused():
    field = ("x" * 1000 + "\n") * 2000
    data = f'姓名,手机号\n甲,13800138000\n"{field}",13800138001\n'.encode()
    error = refused(data)
    assert (error.code, error.params["row"]) == ("row_too_long", 3)


def test_csv_of_empty_lines_is_counted_not_kept():
    header = "姓名,手机号\n".encode()
    # a line cap: 1 MB of empty lines passes it (the old reader took some 200 MB for them)
    error = refused(header + b"\n" * (1024 * 1024))
    assert (error.code, error.params) == ("too_many_rows", {"limit": mi.MAX_ROWS})
    # under the cap, blank lines are counted, not kept
    with bounded() as memory:
        table = mi.read_file(header + b"\r\n" * 300_000, "x.csv", max_rows=10**9)
    assert memory["peak"] < 5 * 1024 * 1024, f"{memory['peak'] / 1e6:.0f} MB"
    assert (table.rows, table.empty_rows) == ([], 300_000)


def test_csv_blank_lines_after_header_are_counted():
    table = mi.read_file("姓名,手机号\n\n甲,13800138000\n\n\n".encode(), "x.csv")
    assert table.empty_rows == 3
    assert table.rows == [(3, ["甲", "13800138000"])]


def test_csv_cells_past_the_header_are_dropped_and_flagged():
    data = "会员卡号,姓名\nM1,甲,,\nM2,乙,x," + ",y" * 5000 + "\n"
    table = mi.read_file(data.encode(), "x.csv")
    assert [cells for _n, cells in table.rows] == [["M1", "甲"], ["M2", "乙"]]
    rows = mi.validate(table, {0: "member_number", 1: "name"})
    assert rows[0].valid
    assert [(p.code, p.params) for p in rows[1].problems] == [("extra_cells", {"cells": 5004, "columns": 2})]


def test_csv_header_too_wide():
    data = (",".join(f"c{i}" for i in range(mi.MAX_COLUMNS + 1)) + "\n").encode()
    error = refused(data)
    assert (error.code, error.params) == ("too_many_columns", {"columns": mi.MAX_COLUMNS + 1, "limit": mi.MAX_COLUMNS})


# ----------------------------------------------------------------------
# XLSX
# ----------------------------------------------------------------------
CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml"
 ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml"
 ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
</Types>"""
ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Target="xl/workbook.xml"
 Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>
</Relationships>"""
WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"
 xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets><sheet name="Members" sheetId="1" r:id="rId1"/></sheets></workbook>"""
WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Target="worksheets/sheet1.xml"
 Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"/>
</Relationships>"""


def cell(ref, text):
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def xlsx(rows_xml, dimension="A1:XFD1048576", padding=None):
    """An XLSX package written by hand: the sheet says what the test wants, whatever its content."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                + f'<dimension ref="{dimension}"/><sheetData>'.encode()
            )
            sheet.write(rows_xml.encode())
            sheet.write(b"</sheetData></worksheet>")
            for chunk in padding or ():  # written lazily: the archive never holds it in memory
                sheet.write(chunk)
    return buffer.getvalue()


HEADER_AND_ROW = (
    f'<row r="1">{cell("A1", "姓名")}{cell("B1", "手机号")}</row>'
    f'<row r="2">{cell("A2", "张三")}{cell("B2", "13800138000")}</row>'
)


def test_xlsx_forged_dimension_is_ignored():
    pytest.importorskip("openpyxl")
    data = xlsx(HEADER_AND_ROW)
    assert len(data) < 5 * 1024
    with bounded() as memory:
        table = mi.read_file(data, "members.xlsx")
    assert memory["peak"] < MEMORY_BOUND, f"{memory['peak'] / 1e6:.0f} MB"
    assert table.header == ["姓名", "手机号"]
    assert table.rows == [(2, ["张三", "13800138000"])]


def test_xlsx_far_cell_is_refused_by_the_row_cap():
    pytest.importorskip("openpyxl")
    data = xlsx(HEADER_AND_ROW + f'<row r="1048576">{cell("XFD1048576", "x")}</row>')
    assert len(data) < 5 * 1024
    error = refused(data, "members.xlsx")
    assert (error.code, error.params) == ("too_many_rows", {"limit": mi.MAX_ROWS})


def test_xlsx_header_too_wide():
    pytest.importorskip("openpyxl")
    header = "".join(cell(f"{mi_column(i)}1", f"c{i}") for i in range(1, mi.MAX_COLUMNS + 2))
    error = refused(xlsx(f'<row r="1">{header}</row>'), "members.xlsx")
    assert error.code == "too_many_columns"


def mi_column(index):
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def test_xlsx_zip_bomb_is_refused_before_unpacking():
    padding = (b" " * (1024 * 1024) for _i in range(30))  # 30 MB of blanks pack to some 30 KB
    data = xlsx(HEADER_AND_ROW, padding=padding)
    assert len(data) < 200 * 1024
    error = refused(data, "members.xlsx")
    assert error.code == "xlsx_ratio"
    assert error.params["limit"] == mi.XLSX_MAX_RATIO


def test_xlsx_unpacked_size_follows_the_cap():
    rng = random.Random(5)
    coin = bytes(b"ab"[i & 1] for i in range(256))
    # 6 MB of random a and b: packs some 8:1, far from a bomb's ratio
    padding = (b"<!--" + rng.randbytes(1024 * 1024).translate(coin) + b"-->" for _i in range(6))
    data = xlsx(HEADER_AND_ROW, padding=padding)
    error = refused(data, "members.xlsx", max_bytes=1024 * 1024)
    assert (error.code, error.params["limit"]) == ("xlsx_unzipped", 5.0)
    # under a larger cap the same file reads (what follows the sheet's end is not the sheet's)
    if importlib.util.find_spec("openpyxl"):
        assert mi.read_file(data, "members.xlsx").header == ["姓名", "手机号"]
