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
- Cells (dates with or without a time, phones, formulas, gender, notes) are
  parsed by ``engine.cells``; its docstring says which forms are read.
- Headers: the usual Chinese and English names of each field (``SYNONYMS``),
  compared without case, spaces, ``_``, ``-`` and colons; a preset wins.
- Nothing is dropped silently: a column that holds data but is imported as
  nothing is listed by ``unmapped_columns``; the wizard names it in the dry
  run and imports only once each such column is ticked "ignore".
- Levels: the old system's level names are proposed a tier (``match_levels``)
  whose name, in any language, or code is the same once case, spaces and the
  words 会员 (member), 卡 (card), 级 (level) are left out: 黄金会员 and 金卡
  become 黄金 and 金. ``VIPn`` / ``Vn`` (VIP0, VIP 1, V2会员) name the tier
  at position n of the ladder counting from 0 (the lowest tier), tiers given
  by invitation only left out, not the tier whose level is n: levels are
  spaced (0, 10, 20...) and a shop's VIP0 is its basic card. A VIP number
  past the top of the ladder is left for the user to map. A name two tiers
  fit is left too. A preset's mapping wins over all this (the wizard).
- Every row needs a name and one key (member number, phone or email): without
  a key the same file imported twice would create everybody twice.
- A key (member number, phone, email) already used by an earlier row of the
  file makes the later row an error, whether the earlier row is valid or not.
- Hostile files are refused, each with its reason, before they cost memory:
  a file larger than the upload cap (the company's setting); an XLSX whose
  parts unpack past five times the cap or more than 100 times their size;
  more than ``MAX_ROWS`` lines (blank ones count: they cost time) or
  ``MAX_COLUMNS`` header columns; a CSV record longer than ``MAX_ROW_CHARS``.
  Both readers stream: blank lines are counted, not kept; cells past the
  header's width are dropped (the row is flagged if they hold something);
  an XLSX sheet's declared dimension is ignored.
"""

import codecs
import csv
import datetime
import io
import re
import zipfile
from dataclasses import dataclass, field

from .cells import (
    CellError,
    blank,
    normalize_email,
    normalize_phone,
    parse_amount,
    parse_count,
    parse_date,
    parse_gender,
    parse_id_number,
    parse_key,
    parse_note,
    parse_passport,
    parse_text,
)

# target field -> kind; the order is the order of the mapping screen
TARGETS = {
    "member_number": "key",
    "name": "text",
    "phone": "phone",
    "email": "email",
    "gender": "gender",
    "birthdate": "date",
    "member_since": "date",
    "occupation": "text",
    "street": "text",
    "city": "text",
    "zip": "text",
    "notes": "note",
    "level": "level",
    "points": "amount",
    "spend": "amount",
    "orders": "count",
    "id_number": "id_number",
    "passport_number": "passport",
}
KEYS = ("member_number", "phone", "email")
REQUIRED = ("name",)

# header texts recognised without a preset (compared case-folded, without spaces, _, - and colons).
# Not here on purpose: 累计积分 (points earned over the years, not the balance), 余额 / 储值余额 (stored
# money, not points): such columns are named as not imported.
SYNONYMS = {
    "member_number": [
        "会员号",
        "会员编号",
        "会员卡号",
        "卡号",
        "membernumber",
        "memberno",
        "membercardnumber",
        "membercardno",
        "cardnumber",
        "cardno",
    ],
    "name": ["姓名", "名字", "会员姓名", "客户名称", "客户姓名", "name", "fullname", "membername", "customer"],
    "phone": [
        "手机",
        "手机号",
        "手机号码",
        "电话",
        "联系电话",
        "mobile",
        "mobilenumber",
        "mobilephone",
        "cellphone",
        "phone",
        "phonenumber",
        "tel",
        "telephone",
    ],
    "email": ["邮箱", "电子邮箱", "电子邮件", "邮件", "email", "e-mail", "emailaddress", "mail"],
    "gender": ["性别", "gender", "sex"],
    "birthdate": ["生日", "出生日期", "birthday", "birthdate", "dateofbirth", "dob"],
    "member_since": [
        "入会日期",
        "入会时间",
        "注册日期",
        "注册时间",
        "开卡日期",
        "开卡时间",
        "办卡日期",
        "办卡时间",
        "membersince",
        "joined",
        "joindate",
        "jointime",
        "registrationdate",
        "registrationtime",
        "registered",
        "registeredat",
        "registeredon",
        "signupdate",
        "cardopened",
        "enrolmentdate",
        "enrollmentdate",
    ],
    "occupation": ["职业", "职位", "occupation", "profession", "job", "jobtitle", "jobposition"],
    "street": ["地址", "详细地址", "街道", "address", "street"],
    "city": ["城市", "city"],
    "zip": ["邮编", "zip", "postcode", "postalcode"],
    "notes": ["备注", "说明", "备注说明", "备注信息", "note", "notes", "remark", "remarks", "comment", "memo"],
    "level": [
        "等级",
        "会员等级",
        "会员级别",
        "级别",
        "卡类型",
        "会员卡类型",
        "level",
        "memberlevel",
        "membershiplevel",
        "tier",
        "membertier",
        "grade",
        "cardtype",
    ],
    "points": [
        "积分",
        "可用积分",
        "积分余额",
        "当前积分",
        "剩余积分",
        "points",
        "pointsbalance",
        "pointbalance",
        "availablepoints",
        "currentpoints",
        "remainingpoints",
    ],
    "spend": [
        "累计消费",
        "消费金额",
        "累计消费金额",
        "消费总额",
        "totalspend",
        "totalspent",
        "totalspending",
        "spend",
        "lifetimespend",
    ],
    "orders": ["消费次数", "累计消费次数", "订单数", "购买次数", "orders", "ordercount", "totalorders"],
    "id_number": ["身份证", "身份证号", "身份证号码", "证件号", "idnumber", "idcard"],
    "passport_number": ["护照", "护照号", "passport", "passportnumber"],
}


# English text of the file-level refusals (the wizard shows its own, translated)
FILE_MESSAGES = {
    "empty": "The file is empty.",
    "encoding": "The file's encoding could not be recognised.",
    "csv": "The file cannot be read as CSV: {detail}",
    "xlsx": "The file cannot be read as XLSX: {detail}",
    "xlsx_missing": "XLSX files need the Python package openpyxl.",
    "no_header": "The first line of the file must name the columns.",
    "too_big": "The file has {size} MB, more than the {limit} MB allowed.",
    "xlsx_unzipped": "The XLSX file unpacks to {size} MB, more than the {limit} MB allowed.",
    "xlsx_ratio": "The XLSX file unpacks to {ratio} times its size (at most {limit}): refused as a zip bomb.",
    "too_many_rows": "The file has more than {limit} lines.",
    "too_many_columns": "The header names {columns} columns, more than the {limit} allowed.",
    "row_too_long": "Row {row} is longer than {limit} characters.",
}


class ImportFileError(Exception):
    """The whole file cannot be read: ``code`` says why, ``params`` give the details."""

    def __init__(self, code, **params):
        super().__init__(code, params)
        self.code = code
        self.params = params

    def __str__(self):
        text = FILE_MESSAGES.get(self.code)
        if text is None:
            return f"{self.code}: {self.params}"
        return text.format_map({"detail": "", **self.params})


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
    empty_rows: int = 0  # blank lines after the header
    extra_cells: dict = field(default_factory=dict)  # row number -> cells, for rows wider than the header


# ----------------------------------------------------------------------
# reading
# ----------------------------------------------------------------------
# Limits of what is read (hostile files, module docstring). The wizard passes the
# company's upload cap as ``max_bytes``; the rest are fixed.
MAX_FILE_BYTES = 50 * 1024 * 1024
# lines read, blank ones included (a file of empty lines costs time, not memory)
MAX_ROWS = 500_000
# columns of the header; data cells beyond the header are not kept
MAX_COLUMNS = 200
# characters of one CSV record (all its physical lines): a cell longer than MAX_TEXT is refused anyway
MAX_ROW_CHARS = 128 * 1024
# XLSX: uncompressed size at most this many times the upload cap, and a compression ratio
# at most XLSX_MAX_RATIO once the content passes XLSX_RATIO_FLOOR bytes
XLSX_UNZIPPED_FACTOR = 5
XLSX_MAX_RATIO = 100
XLSX_RATIO_FLOOR = 10 * 1024 * 1024
_CHUNK = 1024 * 1024


def _megabytes(size):
    return round(size / (1024 * 1024), 1)


def check_size(size, max_bytes=MAX_FILE_BYTES):
    """Refuse a file of ``size`` bytes larger than the upload cap (before its bytes are even decoded)."""
    if size > max_bytes:
        raise ImportFileError("too_big", size=_megabytes(size), limit=_megabytes(max_bytes))


def _is_utf8(data):
    """Whether the bytes are UTF-8, decoded chunk by chunk (no copy of the whole file)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    try:
        for start in range(0, len(view), _CHUNK):
            decoder.decode(view[start : start + _CHUNK])
        decoder.decode(b"", True)
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(data):
    """The codec the file is read with (module docstring); undecodable bytes make their row fail later."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if _is_utf8(data):
        return "utf-8"
    # some lines are not UTF-8: UTF-8 still, if most lines with non-ASCII bytes are
    utf8 = other = 0
    stream = io.BytesIO(data)
    for line in iter(lambda: stream.readline(_CHUNK), b""):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            utf8 += 1
        except UnicodeDecodeError:
            other += 1
    return "utf-8" if utf8 > other else "gb18030"


class _RowTooLong(Exception):
    pass


class _Lines:
    """The physical lines of a text stream for ``csv.reader``, at most ``limit`` characters per record.

    The csv module's own field limit is process-wide (Odoo raises it to 500 MB at start): this one
    belongs to the import. ``used`` counts the characters given since the reader's last record.
    """

    def __init__(self, stream, limit):
        self.stream = stream
        self.limit = limit
        self.used = 0

    def __iter__(self):
        return self

    def __next__(self):
        line = self.stream.readline(self.limit - self.used + 1)
        if not line:
            raise StopIteration
        self.used += len(line)
        if self.used > self.limit:
            raise _RowTooLong
        return line


def _all_blank(cells):
    # count() runs in C: an XLSX gap of empty rows is a tuple of None per row
    if cells.count(None) + cells.count("") == len(cells):
        return True
    return all(_blank(c) for c in cells)


class _TableBuilder:
    """Rows as they are read: blank lines counted, not kept; data rows cut to the header's width."""

    def __init__(self, encoding, max_rows):
        self.encoding = encoding
        self.max_rows = max_rows
        self.count = 0  # lines read, blank ones included: the spreadsheet's row number
        self.header = None
        self.width = 0
        self.rows = []
        self.empty = 0
        self.extra = {}

    def add(self, cells):
        self.count += 1
        if self.count > self.max_rows:
            raise ImportFileError("too_many_rows", limit=self.max_rows)
        if _all_blank(cells):
            if self.header is not None:
                self.empty += 1
            return
        if self.header is None:
            header = ["" if cell is None else str(cell).strip() for cell in cells]
            while header and not header[-1]:
                header.pop()
            if len(header) > MAX_COLUMNS:
                raise ImportFileError("too_many_columns", columns=len(header), limit=MAX_COLUMNS)
            if not header:
                raise ImportFileError("no_header")
            self.header, self.width = header, len(header)
            return
        if len(cells) > self.width:
            if not _all_blank(cells[self.width :]):
                self.extra[self.count] = len(cells)
            cells = cells[: self.width]
        self.rows.append((self.count, list(cells)))

    def table(self):
        if self.header is None:
            raise ImportFileError("empty")
        return Table(
            header=self.header, rows=self.rows, encoding=self.encoding, empty_rows=self.empty, extra_cells=self.extra
        )


def read_csv(data, max_rows=MAX_ROWS):
    """A CSV file, streamed: no decoded copy of the file, no list of its lines."""
    encoding = detect_encoding(data)
    sample = data[:65536].decode(encoding, "ignore")
    try:
        dialect = csv.Sniffer().sniff(sample.split("\n", 1)[0] or sample, delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    stream = io.TextIOWrapper(
        io.BytesIO(data),
        encoding=encoding,
        # UTF-16 must decode whole; the others keep unreadable bytes for the row's ``encoding`` problem
        errors="strict" if encoding == "utf-16" else "surrogateescape",
        newline="",
    )
    lines = _Lines(stream, MAX_ROW_CHARS)
    builder = _TableBuilder(encoding, max_rows)
    try:
        for cells in csv.reader(lines, delimiter=delimiter):
            lines.used = 0
            builder.add(cells)
    except _RowTooLong as error:
        raise ImportFileError("row_too_long", row=builder.count + 1, limit=MAX_ROW_CHARS) from error
    except UnicodeDecodeError as error:
        raise ImportFileError("encoding") from error
    except csv.Error as error:
        raise ImportFileError("csv", detail=str(error)) from error
    return builder.table()


def check_xlsx(data, max_bytes=MAX_FILE_BYTES):
    """Refuse a zip bomb from its directory, before any part of it is decompressed.

    The sizes are the ones the archive declares; Python's zipfile never inflates a member
    past its declared size (it stops, then fails the CRC check).
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as error:
        raise ImportFileError("xlsx", detail=str(error)) from error
    unzipped = sum(info.file_size for info in infos)
    packed = sum(info.compress_size for info in infos)
    if unzipped > max_bytes * XLSX_UNZIPPED_FACTOR:
        raise ImportFileError(
            "xlsx_unzipped", size=_megabytes(unzipped), limit=_megabytes(max_bytes * XLSX_UNZIPPED_FACTOR)
        )
    if unzipped > XLSX_RATIO_FLOOR and unzipped > packed * XLSX_MAX_RATIO:
        raise ImportFileError("xlsx_ratio", ratio=unzipped // max(packed, 1), limit=XLSX_MAX_RATIO)


def read_xlsx(data, max_bytes=MAX_FILE_BYTES, max_rows=MAX_ROWS):
    """The first sheet, streamed; its declared dimension is ignored (a 5 KB file may claim A1:XFD1048576)."""
    check_xlsx(data, max_bytes)
    try:
        import openpyxl  # only XLSX imports need it
    except ImportError as error:  # pragma: no cover - Odoo ships openpyxl
        raise ImportFileError("xlsx_missing") from error
    builder = _TableBuilder("xlsx", max_rows)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a broken file
        raise ImportFileError("xlsx", detail=str(error)) from error
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()
        # the header: the first row that is not blank, one column more than allowed to see a wider one
        for values in sheet.iter_rows(max_col=MAX_COLUMNS + 1, values_only=True):
            builder.add(values)
            if builder.header is not None:
                break
        if builder.header is not None:
            # the data: only the header's columns
            for values in sheet.iter_rows(min_row=builder.count + 1, max_col=builder.width, values_only=True):
                builder.add(values)
    except ImportFileError:
        raise
    except Exception as error:  # openpyxl raises many kinds for a broken file
        raise ImportFileError("xlsx", detail=str(error)) from error
    finally:
        workbook.close()
    return builder.table()


def read_file(data, filename="", max_bytes=MAX_FILE_BYTES, max_rows=MAX_ROWS):
    if not data:
        raise ImportFileError("empty")
    check_size(len(data), max_bytes)
    if filename.lower().endswith((".xlsx", ".xlsm")) or data[:4] == b"PK\x03\x04":
        return read_xlsx(data, max_bytes, max_rows)
    return read_csv(data, max_rows)


_blank = blank


# ----------------------------------------------------------------------
# mapping
# ----------------------------------------------------------------------
def _fold(text):
    return re.sub(r"[\s_\-:：]", "", str(text or "")).casefold()


_SYNONYM_INDEX = {_fold(word): target for target, words in SYNONYMS.items() for word in words}


def guess_mapping(header, preset=None):
    """{column index: target}: from ``preset`` ({header text: target}) first, then the known synonyms.

    A header the preset names without a target stays unmapped (a column the user chose not to import).
    """
    preset = {_fold(text): target for text, target in (preset or {}).items()}
    mapping, used = {}, set()
    for index, text in enumerate(header):
        folded = _fold(text)
        target = preset[folded] if folded in preset else _SYNONYM_INDEX.get(folded)
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


def unmapped_columns(table, mapping):
    """Indexes of the columns that hold data in some row but are imported as nothing (``mapping``)."""
    free = [index for index in range(len(table.header)) if not mapping.get(index)]
    found = []
    for index in free:
        if any(index < len(cells) and not _blank(cells[index]) for _number, cells in table.rows):
            found.append(index)
    return found


def fold_level(name):
    """A level name as the file's levels are told apart: case and spaces left out."""
    return _fold(name)


_LEVEL_WORDS = re.compile("会员|卡|级")
_VIP = re.compile(r"^v(?:ip)?(\d{1,2})$")


def level_key(name):
    """A level or tier name as they are matched (module docstring): 黄金会员 -> 黄金, 金卡 -> 金, VIP 1 -> vip1."""
    folded = _fold(name)
    return _LEVEL_WORDS.sub("", folded) or folded


def match_levels(names, tiers):
    """{old level name: tier key} proposed for the file's ``names`` (module docstring).

    ``tiers``: [(key, names, invitation_only)] in the ladder's order, lowest first; ``names`` are the
    tier's name in every language and its code.
    """
    by_key = {}
    for key, tier_names, _invitation in tiers:
        for name in tier_names:
            if name:
                by_key.setdefault(level_key(name), set()).add(key)
    ladder = [key for key, _names, invitation in tiers if not invitation]
    proposed = {}
    for name in names:
        folded = level_key(name)
        found = by_key.get(folded, set())
        if len(found) == 1:
            proposed[name] = next(iter(found))
        elif not found and _VIP.match(folded):
            position = int(_VIP.match(folded).group(1))
            if position < len(ladder):
                proposed[name] = ladder[position]
    return proposed


PARSERS = {
    "key": parse_key,
    "text": parse_text,
    "note": parse_note,
    "gender": parse_gender,
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
def _parse_cell(cell, kind, levels, today):
    """The typed value of a cell that is not blank (None: the cell says the value is not known)."""
    if kind == "level":
        text = parse_text(cell)
        if fold_level(text) not in levels:
            raise CellError("unknown_level", level=text)
        return levels[fold_level(text)]
    if kind == "date":
        return parse_date(cell, today)
    return PARSERS[kind](cell)


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
        extra = table.extra_cells.get(number)
        if not extra and len(cells) > width and any(not _blank(c) for c in cells[width:]):
            extra = len(cells)
        if extra:
            row.problems.append(Problem(number, "", "extra_cells", {"cells": extra, "columns": width}))
        for index, target in mapped:
            cell = cells[index] if index < len(cells) else None
            if _blank(cell):
                continue
            try:
                value = _parse_cell(cell, TARGETS[target], levels, today)
            except CellError as error:
                row.problems.append(Problem(number, target, error.code, error.params))
                continue
            if value is not None:  # a cell that says "not known" (a gender of 未知)
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
