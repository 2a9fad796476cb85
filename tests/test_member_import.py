"""Migration import parsing and validation (framework-free), with a fuzz test.

The fuzz test builds known-good rows, breaks most of them in one known way
each and keeps the expected outcome beside every row: the oracle is the
mutation, never the parser.
"""

import codecs
import datetime
import io
import random
from decimal import Decimal

import pytest

from member_crm.engine import cells
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
        # registration times of legacy systems: the time of day is dropped
        ("2019-05-12 10:33:00", datetime.date(2019, 5, 12)),
        ("2019/5/12 10:33", datetime.date(2019, 5, 12)),
        ("2019年5月12日 10:33", datetime.date(2019, 5, 12)),
        ("2019-05-12T10:33:00", datetime.date(2019, 5, 12)),
        ("2019-05-12  10:33:00.000", datetime.date(2019, 5, 12)),
        ("12.05.2019 10:33", datetime.date(2019, 5, 12)),
    ],
)
def test_dates(cell, expected):
    assert cells.parse_date(cell, TODAY) == expected


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
        ("2019-05-12 10", "date_format"),
        ("2019-05-12 午后", "date_format"),
    ],
)
def test_bad_dates(cell, code):
    with pytest.raises(cells.CellError) as error:
        cells.parse_date(cell, TODAY)
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
    assert cells.normalize_phone(cell) == expected


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
    with pytest.raises(cells.CellError) as error:
        cells.normalize_phone(cell)
    assert error.value.code == code


def test_amounts_and_counts():
    assert cells.parse_amount("1,234.50") == Decimal("1234.50")
    assert cells.parse_amount("¥88") == Decimal("88.00")
    assert cells.parse_amount("88元") == Decimal("88.00")
    assert cells.parse_amount(12.5) == Decimal("12.50")
    assert cells.parse_count("3") == 3
    for cell, code in [
        ("-5", "negative"),
        ("abc", "number"),
        ("nan", "number"),
        ("1e12", "too_large"),
        (True, "number"),
    ]:
        with pytest.raises(cells.CellError) as error:
            cells.parse_amount(cell)
        assert error.value.code == code
    with pytest.raises(cells.CellError) as error:
        cells.parse_count("2.5")
    assert error.value.code == "integer"


def test_id_numbers():
    assert cells.parse_id_number("11010519491231002x") == "11010519491231002X"
    assert cells.parse_id_number("110105491231002") == "110105491231002"
    with pytest.raises(cells.CellError):
        cells.parse_id_number("110105194912310021")  # wrong check digit


def test_formula_cells_refused_and_escaped():
    for cell in ("=cmd|' /C calc'!A0", "+SUM(A1)", "-2+3", "@SUM(A1)", "\t=1"):
        with pytest.raises(cells.CellError) as error:
            cells.parse_text(cell)
        assert error.value.code == "formula"
        assert cells.escape_formula(cell).startswith("'")
    assert cells.escape_formula("张三") == "张三"
    assert cells.escape_formula(5) == 5


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
        "points": Decimal("120.00"),
        "spend": Decimal("3500.00"),
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
    assert rows[0].values["spend"] == Decimal("3500.50")
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
    # a header the preset lists without a target is not imported, even if the synonyms know it
    assert mi.guess_mapping(["姓名", "备注"], {"备注": False}) == {0: "name"}


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
        "points": Decimal(points).quantize(Decimal("0.01")),
        "spend": Decimal(f"{spend:.2f}"),
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


# ----------------------------------------------------------------------
# a real retail export: headers, levels, profile, notes, nothing dropped (issue 13)
# ----------------------------------------------------------------------
REAL_HEADER = [
    "会员卡号",
    "姓名",
    "手机号",
    "性别",
    "生日",
    "注册时间",
    "累计消费金额",
    "可用积分",
    "会员等级",
    "邮箱",
    "备注",
]
REAL_TARGETS = [
    "member_number",
    "name",
    "phone",
    "gender",
    "birthdate",
    "member_since",
    "spend",
    "points",
    "level",
    "email",
    "notes",
]
REAL_ROWS = [
    ["V0001", "张伟", "13800138001", "男", "1985-03-02", "2019-05-12 10:33:00", "12,800.00", "356", "普通会员", "", ""],
    [
        "V0002",
        "王芳",
        "13800138002",
        "女",
        "1990/7/8",
        "2019/5/12 10:33",
        "3500",
        "1200",
        "黄金会员",
        "wf@x.cn",
        "爱喝茶",
    ],
    ["V0003", "李娜", "13800138003", "未知", "", "2020-01-01 09:00:00", "", "0", "铂金会员", "", "-老客户, 勿打扰"],
    ["V0004", "刘洋", "13800138004", "F", "", "", "80", "", "钻石会员", "", "<script>alert(1)</script>"],
    ["V0005", "陈静", "13800138005", "male", "", "2021年3月4日 18:20", "", "5", "黑卡会员", "", "第一行\n第二行"],
]
# the default ladder (res_company.DEFAULT_LADDER): key, names in English and Chinese and code, invitation only
LADDER = [
    ("STD", {"Standard", "普通", "STD"}, False),
    ("GOLD", {"Gold", "黄金", "GOLD"}, False),
    ("PLAT", {"Platinum", "铂金", "PLAT"}, False),
    ("DIA", {"Diamond", "钻石", "DIA"}, False),
    ("BLACK", {"Black", "黑卡", "BLACK"}, False),
    ("HON", {"Honorary", "荣誉", "HON"}, True),
]


def test_real_export_headers_are_all_recognised():
    mapping = mi.guess_mapping(REAL_HEADER)
    assert [mapping.get(i) for i in range(len(REAL_HEADER))] == REAL_TARGETS
    english = [
        "Card No",
        "Name",
        "Mobile",
        "Gender",
        "Birthday",
        "Registration Time",
        "Total Spend",
        "Available Points",
        "Member Level",
        "Email",
        "Remarks",
    ]
    mapping = mi.guess_mapping(english)
    assert [mapping.get(i) for i in range(len(english))] == REAL_TARGETS


@pytest.mark.parametrize(
    ("header", "target"),
    [
        ("可用积分", "points"),
        ("积分余额", "points"),
        ("Points Balance", "points"),
        ("注册时间", "member_since"),
        ("开卡时间", "member_since"),
        ("入会时间", "member_since"),
        ("Member Since", "member_since"),
        ("Join Date", "member_since"),
        ("性别", "gender"),
        ("Sex", "gender"),
        ("职业", "occupation"),
        ("Occupation", "occupation"),
        ("Job Title", "occupation"),
        ("备注", "notes"),
        ("说明", "notes"),
        ("Note", "notes"),
        ("Remark", "notes"),
        # not the balance: left for the user, and named as not imported
        ("累计积分", None),
        ("储值余额", None),
    ],
)
def test_usual_headers(header, target):
    assert mi.guess_mapping(["姓名", header]).get(1) == target


def test_real_export_levels_match_the_tiers():
    names = ["普通会员", "黄金会员", "铂金会员", "钻石会员", "黑卡会员"]
    assert mi.match_levels(names, LADDER) == dict(zip(names, ["STD", "GOLD", "PLAT", "DIA", "BLACK"], strict=True))
    # 卡, 级 and English case and spaces fold too; codes match
    assert mi.match_levels(["黄金卡", "钻石级", "gold", " Black ", "plat"], LADDER) == {
        "黄金卡": "GOLD",
        "钻石级": "DIA",
        "gold": "GOLD",
        " Black ": "BLACK",
        "plat": "PLAT",
    }
    # unknown names are left to the user: 金卡 is not 黄金
    assert mi.match_levels(["金卡", "银卡", "会员"], LADDER) == {}


def test_vip_levels_are_ladder_positions():
    names = ["VIP0", "VIP1", "vip 2", "V3", "VIP4会员", "VIP5", "VIP12"]
    assert mi.match_levels(names, LADDER) == {
        "VIP0": "STD",
        "VIP1": "GOLD",
        "vip 2": "PLAT",
        "V3": "DIA",
        "VIP4会员": "BLACK",
        # VIP5: past the top of the ladder (Honorary is given by invitation only), left to the user
    }


def test_level_two_tiers_fit_is_left_to_the_user():
    ladder = [("A", {"金卡"}, False), ("B", {"金"}, False)]
    assert mi.match_levels(["金", "金卡会员"], ladder) == {}


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("男", "male"),
        ("男性", "male"),
        ("M", "male"),
        ("Male", "male"),
        ("女", "female"),
        ("女士", "female"),
        ("f", "female"),
        ("FEMALE", "female"),
        ("其他", "other"),
        ("未知", None),
        ("保密", None),
        ("unknown", None),
    ],
)
def test_gender(cell, expected):
    assert cells.parse_gender(cell) == expected


@pytest.mark.parametrize("cell", ["1", "0", "2", "男女", "=1"])
def test_bad_gender(cell):
    with pytest.raises(cells.CellError) as error:
        cells.parse_gender(cell)
    assert error.value.code in ("gender", "formula")


def test_notes_kept_as_written():
    assert cells.parse_note("-老客户, 勿打扰") == "-老客户, 勿打扰"
    assert cells.parse_note("=HYPERLINK(1)") == "=HYPERLINK(1)"  # stored as text, escaped by exports
    assert cells.escape_formula(cells.parse_note("=HYPERLINK(1)")) == "'=HYPERLINK(1)"
    assert cells.parse_note("第一行\n第二行") == "第一行\n第二行"
    for cell, code in [("a\x00b", "control"), ("长" * (cells.MAX_NOTE + 1), "too_long")]:
        with pytest.raises(cells.CellError) as error:
            cells.parse_note(cell)
        assert error.value.code == code


def test_real_export_end_to_end():
    table = mi.read_file(table_of(REAL_ROWS, header=REAL_HEADER), "export.csv")
    mapping = mi.guess_mapping(table.header)
    assert mi.unmapped_columns(table, mapping) == []
    levels = {row[8] for row in REAL_ROWS}
    level_map = mi.match_levels(sorted(levels), LADDER)
    assert len(level_map) == 5
    rows = mi.validate(table, mapping, level_map, today=TODAY)
    assert all(row.valid for row in rows), [row.problems for row in rows]
    first, second, third, fourth, fifth = (row.values for row in rows)
    assert first == {
        "member_number": "V0001",
        "name": "张伟",
        "phone": "+8613800138001",
        "gender": "male",
        "birthdate": datetime.date(1985, 3, 2),
        "member_since": datetime.date(2019, 5, 12),
        "spend": Decimal("12800.00"),
        "points": Decimal("356.00"),
        "level": "STD",
    }
    assert (second["member_since"], second["gender"], second["level"], second["notes"]) == (
        datetime.date(2019, 5, 12),
        "female",
        "GOLD",
        "爱喝茶",
    )
    assert "gender" not in third, "未知: no gender, no error"
    assert (third["level"], third["notes"]) == ("PLAT", "-老客户, 勿打扰")
    assert "member_since" not in fourth
    assert (fourth["gender"], fourth["level"], fourth["notes"]) == ("female", "DIA", "<script>alert(1)</script>")
    assert (fifth["member_since"], fifth["level"], fifth["notes"]) == (
        datetime.date(2021, 3, 4),
        "BLACK",
        "第一行\n第二行",
    )


def test_columns_with_data_not_mapped_are_listed():
    header = ["姓名", "手机号", "储值余额", "空列", "累计积分"]
    rows = [["甲", "13800138001", "100", "", ""], ["乙", "13800138002", "", " ", "30"]]
    table = mi.read_file(table_of(rows, header=header), "x.csv")
    mapping = mi.guess_mapping(table.header)
    assert mapping == {0: "name", 1: "phone"}
    assert mi.unmapped_columns(table, mapping) == [2, 4], "the empty column is not data"
    assert mi.unmapped_columns(table, {**mapping, 2: "spend", 4: "points"}) == []
