"""Migration import parsing and validation (framework-free), with a fuzz test.

The fuzz test builds known-good rows, breaks most of them in one known way
each and keeps the expected outcome beside every row: the oracle is the
mutation, never the parser.
"""

import codecs
import datetime
import io
import random

import pytest

from member_crm.engine import member_import as mi

TODAY = datetime.date(2026, 11, 23)
LEVELS = {"普卡": "silver", "金卡": "gold", "钻石卡": "platinum"}
HEADER = ["会员卡号", "姓名", "手机号", "邮箱", "生日", "等级", "积分", "累计消费"]


def table_of(rows, header=HEADER, encoding="utf-8"):
    out = io.StringIO(newline="")
    import csv

    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def run(data, level_map=LEVELS):
    table = mi.read_file(data, "members.csv")
    mapping = mi.guess_mapping(table.header)
    return table, mi.validate(table, mapping, level_map, today=TODAY)


# ----------------------------------------------------------------------
# cells
# ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("2024-01-31", datetime.date(2024, 1, 31)),
        ("2024/1/31", datetime.date(2024, 1, 31)),
        ("2024年1月31日", datetime.date(2024, 1, 31)),
        ("31.01.2024", datetime.date(2024, 1, 31)),
        ("20240131", datetime.date(2024, 1, 31)),
        ("2024-01-31 10:30:00", datetime.date(2024, 1, 31)),
        ("45322", datetime.date(2024, 1, 31)),
        (45322, datetime.date(2024, 1, 31)),
        (45322.0, datetime.date(2024, 1, 31)),
        (59, datetime.date(1900, 2, 28)),
        (1, datetime.date(1900, 1, 1)),
        (61, datetime.date(1900, 3, 1)),
        (datetime.datetime(2024, 1, 31, 8, 0), datetime.date(2024, 1, 31)),
    ],
)
def test_dates(cell, expected):
    assert mi.parse_date(cell, TODAY) == expected


@pytest.mark.parametrize(
    ("cell", "code"),
    [
        ("01/02/2024", "date_format"),
        ("2024-02-30", "date_invalid"),
        ("2024-13-01", "date_invalid"),
        ("2999-01-01", "date_range"),
        ("1850-01-01", "date_range"),
        ("yesterday", "date_format"),
        (45322.5, "date_format"),
        (60, "date_invalid"),
        ("=TODAY()", "formula"),
    ],
)
def test_bad_dates(cell, code):
    with pytest.raises(mi.CellError) as error:
        mi.parse_date(cell, TODAY)
    assert error.value.code == code


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("13800138000", "+8613800138000"),
        ("138 0013 8000", "+8613800138000"),
        ("138-0013-8000", "+8613800138000"),
        ("+86 138 0013 8000", "+8613800138000"),
        ("0086-13800138000", "+8613800138000"),
        ("8613800138000", "+8613800138000"),
        (13800138000, "+8613800138000"),
        (13800138000.0, "+8613800138000"),
        ("010-12345678", "+861012345678"),
        ("(0755) 8765 4321", "+8675587654321"),
        ("+1 415 555 2671", "+14155552671"),
    ],
)
def test_phones(cell, expected):
    assert mi.normalize_phone(cell) == expected


@pytest.mark.parametrize(
    ("cell", "code"),
    [
        ("1380013800", "mobile_length"),
        ("138001380001", "mobile_length"),
        ("+86 1380013800", "mobile_length"),
        ("12800138000", "phone"),
        ("abc", "phone"),
        ("=1+1", "phone"),
        ("12345", "mobile_length"),
        ("98765", "phone"),
        ("１３８００１３８０００", "phone"),  # full-width digits are not ASCII digits
    ],
)
def test_bad_phones(cell, code):
    with pytest.raises(mi.CellError) as error:
        mi.normalize_phone(cell)
    assert error.value.code == code


def test_amounts_and_counts():
    assert mi.parse_amount("1,234.50") == mi.Decimal("1234.50")
    assert mi.parse_amount("¥88") == mi.Decimal("88.00")
    assert mi.parse_amount("88元") == mi.Decimal("88.00")
    assert mi.parse_amount(12.5) == mi.Decimal("12.50")
    assert mi.parse_count("3") == 3
    for cell, code in [
        ("-5", "negative"),
        ("abc", "number"),
        ("nan", "number"),
        ("1e12", "too_large"),
        (True, "number"),
    ]:
        with pytest.raises(mi.CellError) as error:
            mi.parse_amount(cell)
        assert error.value.code == code
    with pytest.raises(mi.CellError) as error:
        mi.parse_count("2.5")
    assert error.value.code == "integer"


def test_id_numbers():
    assert mi.parse_id_number("11010519491231002x") == "11010519491231002X"
    assert mi.parse_id_number("110105491231002") == "110105491231002"
    with pytest.raises(mi.CellError):
        mi.parse_id_number("110105194912310021")  # wrong check digit


def test_formula_cells_refused_and_escaped():
    for cell in ("=cmd|' /C calc'!A0", "+SUM(A1)", "-2+3", "@SUM(A1)", "\t=1"):
        with pytest.raises(mi.CellError) as error:
            mi.parse_text(cell)
        assert error.value.code == "formula"
        assert mi.escape_formula(cell).startswith("'")
    assert mi.escape_formula("张三") == "张三"
    assert mi.escape_formula(5) == 5


# ----------------------------------------------------------------------
# files
# ----------------------------------------------------------------------
ROWS = [
    ["M0001", "张三", "138 0013 8000", "ZS@Example.com", "1990/5/6", "金卡", "120", "3,500.00"],
    ["M0002", "李四", "13900139000", "", "06.05.1991", "普卡", "0", ""],
]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_encodings(encoding):
    table, rows = run(table_of(ROWS, encoding=encoding))
    assert [r.values["name"] for r in rows] == ["张三", "李四"]
    assert all(r.valid for r in rows), [r.problems for r in rows]
    assert rows[0].values == {
        "member_number": "M0001",
        "name": "张三",
        "phone": "+8613800138000",
        "email": "zs@example.com",
        "birthdate": datetime.date(1990, 5, 6),
        "level": "gold",
        "points": mi.Decimal("120.00"),
        "spend": mi.Decimal("3500.00"),
    }
    assert table.encoding.replace("-sig", "") in (encoding.replace("-sig", ""), "gb18030", "utf-16")


def test_semicolon_and_tab_separated():
    for delimiter in (";", "\t"):
        text = delimiter.join(HEADER) + "\n" + delimiter.join(ROWS[0]) + "\n"
        _table, rows = run(text.encode())
        assert rows[0].valid and rows[0].values["phone"] == "+8613800138000"


def test_xlsx_with_excel_cells():
    openpyxl = pytest.importorskip("openpyxl")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append(["M0001", "张三", 13800138000, "zs@example.com", 32999, "金卡", 120, 3500.5])
    sheet.append(["M0002", "李四", "13900139000", None, datetime.datetime(1991, 5, 6), "普卡", 0, None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    _table, rows = run(buffer.getvalue())
    assert all(r.valid for r in rows), [r.problems for r in rows]
    assert rows[0].values["phone"] == "+8613800138000"
    assert rows[0].values["birthdate"] == datetime.date(1990, 5, 6)
    assert rows[0].values["spend"] == mi.Decimal("3500.50")
    assert rows[1].values["birthdate"] == datetime.date(1991, 5, 6)


def test_file_errors():
    for data, code in [(b"", "empty"), (b"\n\n ,\n", "empty"), (b"PK\x03\x04garbage", "xlsx")]:
        with pytest.raises(mi.ImportFileError) as error:
            mi.read_file(data, "x.csv")
        assert error.value.code == code
    table = mi.read_file("姓名,城市\n张三,上海\n".encode(), "x.csv")
    with pytest.raises(mi.ImportFileError) as error:
        mi.validate(table, mi.guess_mapping(table.header))
    assert error.value.code == "key_column"
    with pytest.raises(mi.ImportFileError) as error:
        mi.validate(table, {0: "name", 1: "name"})
    assert error.value.code == "mapped_twice"


def test_preset_mapping_wins_over_synonyms():
    header = ["Kunde", "Handy", "电话"]
    mapping = mi.guess_mapping(header, {"Kunde": "name", "Handy": "phone"})
    assert mapping == {0: "name", 1: "phone"}


def test_duplicates_in_file_are_errors_on_later_rows():
    rows = [
        ["M1", "甲", "13800000001", "a@x.cn", "", "", "", ""],
        ["M2", "乙", "13800000001", "b@x.cn", "", "", "", ""],
        ["m1", "丙", "13800000003", "c@x.cn", "", "", "", ""],
        ["M4", "丁", "13800000004", "A@X.CN", "", "", "", ""],
    ]
    _table, result = run(table_of(rows))
    assert result[0].valid
    assert [(p.column, p.code, p.params) for p in result[1].problems] == [("phone", "duplicate", {"row": 2})]
    assert [(p.column, p.code) for p in result[2].problems] == [("member_number", "duplicate")]
    assert [(p.column, p.code) for p in result[3].problems] == [("email", "duplicate")]


# ----------------------------------------------------------------------
# fuzz
# ----------------------------------------------------------------------
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平"


def good_row(rng, index):
    """(cells, expected values) of a valid row, in one of the formats legacy systems write."""
    mobile = f"1{rng.choice('3456789')}{index:09d}"
    birth = datetime.date(1950, 1, 1) + datetime.timedelta(days=rng.randrange(20000))
    date_cell = rng.choice(
        [
            birth.isoformat(),
            f"{birth.year}/{birth.month}/{birth.day}",
            birth.strftime("%d.%m.%Y"),
            birth.strftime("%Y%m%d"),
        ]
    )
    phone_cell = rng.choice(
        [mobile, f"+86 {mobile[:3]} {mobile[3:7]} {mobile[7:]}", f"{mobile[:3]}-{mobile[3:7]}-{mobile[7:]}"]
    )
    level = rng.choice(list(LEVELS) + [""])
    points = rng.randrange(0, 100000)
    spend = rng.randrange(0, 10_000_000) / 100
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))
    cells = [
        f"M{index:06d}",
        name,
        phone_cell,
        f"user{index}@example.cn",
        date_cell,
        level,
        str(points),
        f"{spend:.2f}",
    ]
    expected = {
        "member_number": f"M{index:06d}",
        "name": name,
        "phone": "+86" + mobile,
        "email": f"user{index}@example.cn",
        "birthdate": birth,
        "points": mi.Decimal(points).quantize(mi.Decimal("0.01")),
        "spend": mi.Decimal(f"{spend:.2f}"),
    }
    if level:
        expected["level"] = LEVELS[level]
    return cells, expected


def _set(cells, column, value):
    cells[HEADER.index(column)] = value


MUTATIONS = [
    # (name, column in HEADER, function(cells, rng) -> new cell, expected (target, code))
    ("bad date", "生日", lambda c, r: "2023-02-29", ("birthdate", "date_invalid")),
    ("ambiguous date", "生日", lambda c, r: "05/06/1990", ("birthdate", "date_format")),
    ("future date", "生日", lambda c, r: "2031-01-01", ("birthdate", "date_range")),
    ("short mobile", "手机号", lambda c, r: "1380013800", ("phone", "mobile_length")),
    ("letters in phone", "手机号", lambda c, r: "138abc38000", ("phone", "phone")),
    ("bad email", "邮箱", lambda c, r: "someone@", ("email", "email")),
    ("negative points", "积分", lambda c, r: f"-{r.randint(1, 999)}", ("points", "negative")),
    ("text points", "积分", lambda c, r: "一百", ("points", "number")),
    ("negative spend", "累计消费", lambda c, r: "-10.00", ("spend", "negative")),
    (
        "formula name",
        "姓名",
        lambda c, r: r.choice(['=HYPERLINK("http://x")', "@SUM(A1)", "+1", "-cmd"]),
        ("name", "formula"),
    ),
    ("huge name", "姓名", lambda c, r: "张" * r.randint(300, 20000), ("name", "too_long")),
    ("control char", "姓名", lambda c, r: "张\x00三", ("name", "control")),
    ("unknown level", "等级", lambda c, r: "黑卡", ("level", "unknown_level")),
    ("no name", "姓名", lambda c, r: "", ("name", "required")),
]


def build_fuzz_file(seed, size=400):
    rng = random.Random(seed)
    lines, expected = [], {}  # expected: row number -> ("ok", values) | ("error", (target, code, params))
    clean = []  # row numbers of unmutated rows with their phones
    bad_bytes_rows = set()
    number = 1  # the header
    for index in range(size):
        if rng.random() < 0.05:  # an empty line: not a row
            lines.append([""] * len(HEADER))
            number += 1
        cells, values = good_row(rng, index)
        number += 1
        roll = rng.random()
        if roll < 0.4:
            expected[number] = ("ok", values)
            clean.append((number, values))
        elif roll < 0.47 and clean:
            first_number, first_values = rng.choice(clean)
            _set(cells, "手机号", first_values["phone"][3:])
            expected[number] = ("error", ("phone", "duplicate", {"row": first_number}))
        elif roll < 0.5:
            _set(cells, "会员卡号", "")
            _set(cells, "手机号", "")
            _set(cells, "邮箱", "")
            expected[number] = ("error", ("", "no_key", {}))
        elif roll < 0.55:
            bad_bytes_rows.add(len(lines))
            expected[number] = ("error", ("name", "encoding", {}))
        else:
            _name, column, make, outcome = rng.choice(MUTATIONS)
            _set(cells, column, make(cells, rng))
            expected[number] = ("error", (*outcome, None))
        lines.append(cells)
    out = io.StringIO(newline="")
    import csv

    writer = csv.writer(out)
    writer.writerow(HEADER)
    data = out.getvalue().encode()
    for position, cells in enumerate(lines):
        line = io.StringIO(newline="")
        csv.writer(line).writerow(cells)
        encoded = line.getvalue().encode()
        if position in bad_bytes_rows:
            name = cells[1].encode()
            encoded = encoded.replace(name, b"\xff\xfe" + name[:3], 1)  # not UTF-8 any more
        data += encoded
    return data, expected


@pytest.mark.parametrize("seed", range(12))
def test_fuzz_every_row_imported_right_or_refused_with_its_reason(seed):
    data, expected = build_fuzz_file(seed)
    table, rows = run(data)
    assert table.encoding == "utf-8"
    by_number = {row.number: row for row in rows}
    assert set(by_number) == set(expected), "every non-empty line is a row, none lost, none invented"
    for number, (outcome, detail) in expected.items():
        row = by_number[number]
        if outcome == "ok":
            assert row.valid, (number, row.problems)
            assert row.values == detail, number
        else:
            target, code, params = detail
            got = [(p.column, p.code) for p in row.problems]
            assert got == [(target, code)], (number, got, detail)
            if params is not None:
                assert row.problems[0].params == params


def test_fuzz_gbk_file_with_broken_rows():
    rows = [["M1", "张三", "13800000001", "", "", "", "", ""], ["M2", "李四", "13800000002", "", "", "", "", ""]]
    data = table_of(rows, encoding="gbk")
    broken = data.replace("李四".encode("gbk"), b"\x81\x20")  # not a GB18030 sequence
    _table, result = run(broken)
    assert result[0].valid and result[0].values["name"] == "张三"
    assert [(p.column, p.code) for p in result[1].problems] == [("name", "encoding")]


def test_bom_is_not_part_of_the_first_header():
    data = codecs.BOM_UTF8 + "会员卡号,姓名\nM1,张三\n".encode()
    table = mi.read_file(data, "x.csv")
    assert table.header == ["会员卡号", "姓名"]
    assert mi.guess_mapping(table.header) == {0: "member_number", 1: "name"}
