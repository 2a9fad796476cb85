"""Migration import of members: reading, mapping and validating a legacy file (no Odoo).

A legacy export is never clean. This module turns the bytes of a CSV or XLSX
file into rows of typed values and, for every problem, a ``Problem`` with the
row number as the spreadsheet shows it (the header is row 1), the column and a
reason code. The Odoo wizard translates the codes, matches rows with existing
contacts and writes the valid rows in one transaction; nothing here writes.

Decisions:

- Encoding: UTF-8 (with or without BOM) when the bytes are UTF-8; otherwise
  GB18030, the superset of GBK and GB2312 that Chinese systems export. Bytes
  the chosen encoding cannot read make their row fail (``encoding``), never
  the whole file silently turn into mojibake.
- Dates: 2024-01-31, 2024/1/31, 2024年1月31日, 31.01.2024, 20240131 and Excel
  serial numbers (cells of an XLSX file or digits in a CSV). 01/02/2024 is
  refused: day-first and month-first systems both write it.
- Phones: a mainland mobile number has 11 digits starting with 1 (3-9 next);
  +86 / 0086 / 86 prefixes, spaces, dashes and brackets are dropped; landlines
  keep their area code. Stored as E.164 (+8613800138000), the form dedupe uses.
- A text cell starting with = + - @ (or a tab or carriage return) is a
  spreadsheet formula waiting to run in whoever opens the next export: refused.
- Every row needs a name and one key (member number, phone or email): without
  a key the same file imported twice would create everybody twice.
- A key (member number, phone, email) already used by an earlier row of the
  file makes the later row an error, whether the earlier row is valid or not.
"""

import codecs
import csv
import datetime
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

# target field -> kind; the order is the order of the mapping screen
TARGETS = {
    "member_number": "key",
    "name": "text",
    "phone": "phone",
    "email": "email",
    "birthdate": "date",
    "member_since": "date",
    "street": "text",
    "city": "text",
    "zip": "text",
    "level": "level",
    "points": "amount",
    "spend": "amount",
    "orders": "count",
    "id_number": "id_number",
    "passport_number": "passport",
}
KEYS = ("member_number", "phone", "email")
REQUIRED = ("name",)

# header texts recognised without a preset (compared case-folded, without spaces, _ and -)
SYNONYMS = {
    "member_number": ["会员号", "会员编号", "会员卡号", "卡号", "membernumber", "memberno", "cardnumber", "cardno"],
    "name": ["姓名", "名字", "会员姓名", "客户名称", "客户姓名", "name", "fullname", "customer"],
    "phone": ["手机", "手机号", "手机号码", "电话", "联系电话", "mobile", "phone", "tel", "telephone"],
    "email": ["邮箱", "电子邮箱", "邮件", "email", "e-mail", "mail"],
    "birthdate": ["生日", "出生日期", "birthday", "birthdate", "dateofbirth", "dob"],
    "member_since": ["入会日期", "注册日期", "开卡日期", "membersince", "joined", "joindate"],
    "street": ["地址", "详细地址", "街道", "address", "street"],
    "city": ["城市", "city"],
    "zip": ["邮编", "zip", "postcode", "postalcode"],
    "level": ["等级", "会员等级", "级别", "level", "tier", "grade"],
    "points": ["积分", "积分余额", "当前积分", "points", "pointsbalance"],
    "spend": ["累计消费", "消费金额", "累计消费金额", "totalspend", "spend", "lifetimespend"],
    "orders": ["消费次数", "订单数", "购买次数", "orders", "ordercount"],
    "id_number": ["身份证", "身份证号", "身份证号码", "证件号", "idnumber", "idcard"],
    "passport_number": ["护照", "护照号", "passport", "passportnumber"],
}

MAX_TEXT = 256
MAX_KEY = 32
MAX_AMOUNT = Decimal(1000000000)
MAX_ORDERS = 1_000_000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EXCEL_EPOCH = datetime.date(1899, 12, 30)
# Excel serials accepted for a date: 1900-01-01 .. 2099-12-31
EXCEL_SERIALS = (1, 73415)
OLDEST = datetime.date(1900, 1, 1)

_YMD = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_DMY_DOTS = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_SERIAL = re.compile(r"^\d{1,5}(?:\.0+)?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_PHONE_JUNK = re.compile(r"[\s\-().\u00a0/]")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0[1-9]\d{8,10}$")
_PASSPORT = re.compile(r"^[A-Za-z0-9]{5,20}$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


class ImportFileError(Exception):
    """The whole file cannot be read: ``code`` says why, ``params`` give the details."""

    def __init__(self, code, **params):
        super().__init__(code, params)
        self.code = code
        self.params = params


@dataclass
class Problem:
    row: int  # spreadsheet row number (the header is row 1)
    column: str  # target field, or "" for the whole row
    code: str
    params: dict = field(default_factory=dict)


@dataclass
class Row:
    number: int
    values: dict
    problems: list = field(default_factory=list)

    @property
    def valid(self):
        return not self.problems


@dataclass
class Table:
    header: list
    rows: list  # [(row number, [cells])]
    encoding: str = ""
    empty_rows: list = field(default_factory=list)


# ----------------------------------------------------------------------
# reading
# ----------------------------------------------------------------------
def decode(data):
    """(text, encoding) of the file's bytes; undecodable bytes stay as surrogates (see ``encoding`` problems)."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", "surrogateescape"), "utf-8-sig"
    for bom, name in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(name), "utf-16"
            except UnicodeDecodeError as error:
                raise ImportFileError("encoding") from error
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None:
        return text, "utf-8"
    # some lines are not UTF-8: UTF-8 still, if most lines with non-ASCII bytes are
    utf8 = other = 0
    for line in data.splitlines():
        if max(line, default=0) < 0x80:
            continue
        try:
            line.decode("utf-8")
            utf8 += 1
        except UnicodeDecodeError:
            other += 1
    encoding = "utf-8" if utf8 > other else "gb18030"
    return data.decode(encoding, "surrogateescape"), encoding


_SURROGATES = re.compile("[\udc80-\udcff]")
# control characters but tab, line feed and carriage return
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def has_bad_bytes(text):
    return _SURROGATES.search(text) is not None


def read_csv(data):
    text, encoding = decode(data)
    if not text.strip():
        raise ImportFileError("empty")
    sample = text[:65536]
    try:
        dialect = csv.Sniffer().sniff(sample.split("\n", 1)[0] or sample, delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    old_limit = csv.field_size_limit()
    csv.field_size_limit(1 << 30)  # a huge cell is a row error (too long), not a reader crash
    try:
        lines = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as error:
        raise ImportFileError("csv", detail=str(error)) from error
    finally:
        csv.field_size_limit(old_limit)
    table = _table(lines, encoding)
    return table


def read_xlsx(data):
    try:
        import openpyxl  # only XLSX imports need it
    except ImportError as error:  # pragma: no cover - Odoo ships openpyxl
        raise ImportFileError("xlsx_missing") from error
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        lines = [list(values) for values in sheet.iter_rows(values_only=True)]
        workbook.close()
    except Exception as error:  # openpyxl raises many kinds for a broken file
        raise ImportFileError("xlsx", detail=str(error)) from error
    return _table(lines, "xlsx")


def read_file(data, filename=""):
    if not data:
        raise ImportFileError("empty")
    if filename.lower().endswith((".xlsx", ".xlsm")) or data[:4] == b"PK\x03\x04":
        return read_xlsx(data)
    return read_csv(data)


def _blank(cell):
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _table(lines, encoding):
    numbered = [(number, cells) for number, cells in enumerate(lines, start=1)]
    empty = [number for number, cells in numbered if all(_blank(c) for c in cells)]
    data_lines = [(number, cells) for number, cells in numbered if not all(_blank(c) for c in cells)]
    if not data_lines:
        raise ImportFileError("empty")
    header_number, header = data_lines[0]
    header = ["" if cell is None else str(cell).strip() for cell in header]
    while header and not header[-1]:
        header.pop()
    if not header:
        raise ImportFileError("no_header")
    return Table(
        header=header,
        rows=data_lines[1:],
        encoding=encoding,
        empty_rows=[n for n in empty if n > header_number],
    )


# ----------------------------------------------------------------------
# mapping
# ----------------------------------------------------------------------
def _fold(text):
    return re.sub(r"[\s_\-:：]", "", str(text or "")).casefold()


_SYNONYM_INDEX = {_fold(word): target for target, words in SYNONYMS.items() for word in words}


def guess_mapping(header, preset=None):
    """{column index: target}: from ``preset`` ({header text: target}) first, then the known synonyms."""
    preset = {_fold(text): target for text, target in (preset or {}).items() if target}
    mapping, used = {}, set()
    for index, text in enumerate(header):
        target = preset.get(_fold(text)) or _SYNONYM_INDEX.get(_fold(text))
        if target in TARGETS and target not in used:
            mapping[index] = target
            used.add(target)
    return mapping


def check_mapping(mapping):
    """File-level problems of a mapping ({column index: target})."""
    targets = [t for t in mapping.values() if t]
    twice = sorted({t for t in targets if targets.count(t) > 1})
    if twice:
        raise ImportFileError("mapped_twice", fields=twice)
    unknown = sorted(set(targets) - set(TARGETS))
    if unknown:
        raise ImportFileError("unknown_target", fields=unknown)
    missing = [t for t in REQUIRED if t not in targets]
    if missing:
        raise ImportFileError("required_column", fields=missing)
    if not set(KEYS) & set(targets):
        raise ImportFileError("key_column", fields=list(KEYS))


# ----------------------------------------------------------------------
# cells
# ----------------------------------------------------------------------
class CellError(Exception):
    def __init__(self, code, **params):
        super().__init__(code)
        self.code = code
        self.params = params


def _text(cell, limit=MAX_TEXT):
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    text = str(cell).strip()
    if has_bad_bytes(text):
        raise CellError("encoding")
    if _CONTROL.search(text):
        raise CellError("control")
    if len(text) > limit:
        raise CellError("too_long", length=len(text), limit=limit)
    if str(cell).startswith(FORMULA_STARTS):
        raise CellError("formula")
    return text


def parse_text(cell):
    return _text(cell)


def parse_key(cell):
    return _text(cell, MAX_KEY)


def parse_date(cell, today=None):
    """A date from the formats legacy systems write (module docstring)."""
    if isinstance(cell, datetime.datetime):
        value = cell.date()
    elif isinstance(cell, datetime.date):
        value = cell
    elif isinstance(cell, (int, float)) and not isinstance(cell, bool):
        value = _serial(cell)
    else:
        text = _text(cell, 40)
        value = None
        match = _YMD.match(text)
        if match:
            year, month, day = (int(g) for g in match.groups())
        elif _DMY_DOTS.match(text):
            day, month, year = (int(g) for g in _DMY_DOTS.match(text).groups())
        elif _COMPACT.match(text):
            year, month, day = (int(g) for g in _COMPACT.match(text).groups())
        elif _SERIAL.match(text):
            value = _serial(float(text))
        else:
            raise CellError("date_format")
        if value is None:
            try:
                value = datetime.date(year, month, day)
            except ValueError as error:
                raise CellError("date_invalid") from error
    today = today or datetime.date.today()
    if value < OLDEST or value > today:
        raise CellError("date_range")
    return value


def _serial(number):
    if number != int(number) or not EXCEL_SERIALS[0] <= number <= EXCEL_SERIALS[1]:
        raise CellError("date_format")
    # Excel counts a 29 February 1900 that never was (serial 60): serials below it are one day early
    if number == 60:
        raise CellError("date_invalid")
    return EXCEL_EPOCH + datetime.timedelta(days=int(number) if number >= 61 else int(number) + 1)


def parse_amount(cell):
    if isinstance(cell, bool):
        raise CellError("number")
    if isinstance(cell, (int, float)):
        text = repr(cell)
    else:
        text = _text(cell, 40) if not str(cell).startswith("-") else str(cell).strip()
        text = re.sub(r"^(?:RMB|CNY|¥|￥|\$)\s*|\s*(?:元|RMB|CNY)$", "", text, flags=re.IGNORECASE)
        if re.fullmatch(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?", text):
            text = text.replace(",", "")
    try:
        value = Decimal(text)
    except InvalidOperation as error:
        raise CellError("number") from error
    if not value.is_finite():
        raise CellError("number")
    if value < 0:
        raise CellError("negative")
    if value > MAX_AMOUNT:
        raise CellError("too_large", limit=str(MAX_AMOUNT))
    return value.quantize(Decimal("0.01"))


def parse_count(cell):
    value = parse_amount(cell)
    if value != value.to_integral_value():
        raise CellError("integer")
    if value > MAX_ORDERS:
        raise CellError("too_large", limit=str(MAX_ORDERS))
    return int(value)


def normalize_phone(cell):
    """E.164 form of a phone number (module docstring)."""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    text = str(cell).strip()
    if has_bad_bytes(text):
        raise CellError("encoding")
    if len(text) > 40:
        raise CellError("too_long", length=len(text), limit=40)
    compact = _PHONE_JUNK.sub("", text)
    if compact.startswith("+"):
        plus, digits = True, compact[1:]
    elif compact.startswith("00"):
        plus, digits = True, compact[2:]
    else:
        plus, digits = False, compact
    if not digits.isdigit() or not digits.isascii():
        raise CellError("phone")
    if plus or (digits.startswith("86") and len(digits) == 13):
        if digits.startswith("86"):
            digits = digits[2:]
        elif len(digits) < 8 or len(digits) > 15:
            raise CellError("phone")
        else:
            return "+" + digits  # another country: kept as written
    if digits.startswith("1"):
        if len(digits) != 11:
            raise CellError("mobile_length", length=len(digits))
        if not _MOBILE.match(digits):
            raise CellError("phone")
        return "+86" + digits
    if _LANDLINE.match(digits):
        return "+86" + digits[1:]
    if digits.startswith("0"):
        raise CellError("phone")
    raise CellError("phone")


def normalize_email(cell):
    text = _text(cell, 254).lower()
    if not _EMAIL.match(text) or ".." in text:
        raise CellError("email")
    return text


def parse_id_number(cell):
    """A resident identity card number (18 characters with its check digit; 15-digit old cards)."""
    text = _text(cell, 40).upper().replace(" ", "")
    if re.fullmatch(r"\d{15}", text):
        return text
    if not re.fullmatch(r"\d{17}[\dX]", text):
        raise CellError("id_number")
    check = _ID_CHECK[sum(int(d) * w for d, w in zip(text[:17], _ID_WEIGHTS, strict=True)) % 11]
    if text[17] != check:
        raise CellError("id_number")
    return text


def parse_passport(cell):
    text = _text(cell, 40).upper().replace(" ", "")
    if not _PASSPORT.match(text):
        raise CellError("passport")
    return text


def fold_level(name):
    return _fold(name)


PARSERS = {
    "key": parse_key,
    "text": parse_text,
    "phone": normalize_phone,
    "email": normalize_email,
    "date": parse_date,
    "amount": parse_amount,
    "count": parse_count,
    "id_number": parse_id_number,
    "passport": parse_passport,
}


# ----------------------------------------------------------------------
# rows
# ----------------------------------------------------------------------
def validate(table, mapping, level_map=None, today=None):
    """Typed rows of ``table`` with their problems.

    ``mapping``: {column index: target}; ``level_map``: {old level name: tier key}
    (names compared case-folded); a level not in it is a row error.
    """
    check_mapping(mapping)
    levels = {fold_level(name): key for name, key in (level_map or {}).items()}
    today = today or datetime.date.today()
    width = len(table.header)
    mapped = sorted(mapping.items())
    seen = {key: {} for key in KEYS}
    rows = []
    for number, cells in table.rows:
        row = Row(number=number, values={})
        if len(cells) > width and any(not _blank(c) for c in cells[width:]):
            row.problems.append(Problem(number, "", "extra_cells", {"cells": len(cells), "columns": width}))
        for index, target in mapped:
            cell = cells[index] if index < len(cells) else None
            if _blank(cell):
                continue
            kind = TARGETS[target]
            try:
                if kind == "level":
                    text = _text(cell)
                    if fold_level(text) not in levels:
                        raise CellError("unknown_level", level=text)
                    value = levels[fold_level(text)]
                elif kind == "date":
                    value = parse_date(cell, today)
                else:
                    value = PARSERS[kind](cell)
            except CellError as error:
                row.problems.append(Problem(number, target, error.code, error.params))
                continue
            row.values[target] = value
        for target in REQUIRED:
            if target not in row.values and not any(p.column == target for p in row.problems):
                row.problems.append(Problem(number, target, "required"))
        if not any(key in row.values for key in KEYS) and not any(p.column in KEYS for p in row.problems):
            row.problems.append(Problem(number, "", "no_key"))
        for key in KEYS:
            value = row.values.get(key)
            if value is None:
                continue
            folded = value.casefold() if key == "member_number" else value
            first = seen[key].setdefault(folded, number)
            if first != number:
                row.problems.append(Problem(number, key, "duplicate", {"row": first}))
        rows.append(row)
    return rows


def escape_formula(value):
    """A cell an export writes: text that a spreadsheet would run as a formula is prefixed with a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
