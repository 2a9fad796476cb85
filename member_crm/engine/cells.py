"""Cells of a spreadsheet or CSV file: parsers for imports, escaping for exports (no Odoo).

Each parser takes one cell as a reader gives it (text, or a number or date of
an XLSX file) and returns the typed value, or raises ``CellError`` with a
reason code that the caller translates. The migration import
(``engine.member_import``), the sensitive fields (``models.member_sensitive``)
and the exports (``controllers.export``) share them.

Decisions:

- Dates: 2024-01-31, 2024/1/31, 2024年1月31日, 31.01.2024, 20240131 and Excel
  serial numbers (cells of an XLSX file or digits in a CSV), each with or
  without a time of day (``2019-05-12 10:33:00``, ``2019/5/12 10:33``; the
  time is dropped). 01/02/2024 is refused: day-first and month-first systems
  both write it.
- Phones: a mainland mobile number has 11 digits starting with 1 (3-9 next);
  +86 / 0086 / 86 prefixes, spaces, dashes and brackets are dropped; landlines
  keep their area code. Stored as E.164 (+8613800138000), the form dedupe uses.
- A text cell starting with = + - @ (or a tab or carriage return) is a
  spreadsheet formula waiting to run in whoever opens the next export: refused.
  Notes are the exception: free text, kept as written (a note may well start
  with "-"), stored as escaped HTML, and escaped by every export
  (``escape_formula``).
- Gender: 男/男性/先生/M/male, 女/女性/女士/F/female, 其他/other; 未知, 保密
  and "unknown" are no value. Digits are refused: systems disagree on what 0,
  1 and 2 mean.
"""

import datetime
import re
from decimal import Decimal, InvalidOperation

MAX_TEXT = 256
MAX_KEY = 32
MAX_AMOUNT = Decimal(1000000000)
MAX_ORDERS = 1_000_000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EXCEL_EPOCH = datetime.date(1899, 12, 30)
# Excel serials accepted for a date: 1900-01-01 .. 2099-12-31
EXCEL_SERIALS = (1, 73415)
OLDEST = datetime.date(1900, 1, 1)

# a time of day after a date, dropped: 10:33, 10:33:00, 10:33:00.123, T10:33:00Z, 10:33:00+08:00
_TIME = r"(?:(?:\s+|T)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
_YMD = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?" + _TIME + "$")
_DMY_DOTS = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})" + _TIME + "$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_SERIAL = re.compile(r"^\d{1,5}(?:\.0+)?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_PHONE_JUNK = re.compile(r"[\s\-().\u00a0/]")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0[1-9]\d{8,10}$")
_PASSPORT = re.compile(r"^[A-Za-z0-9]{5,20}$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# notes are longer than other text cells
MAX_NOTE = 4000
GENDERS = {
    "male": ("男", "男性", "先生", "m", "male", "man"),
    "female": ("女", "女性", "女士", "f", "female", "woman"),
    "other": ("其他", "其它", "other", "diverse", "x"),
}
# cells that say "no gender given"
NO_GENDER = ("未知", "保密", "不详", "unknown", "n/a", "na")
_GENDER_INDEX = {word: gender for gender, words in GENDERS.items() for word in words}

_SURROGATES = re.compile("[\udc80-\udcff]")
# control characters but tab, line feed and carriage return
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


class CellError(Exception):
    def __init__(self, code, **params):
        super().__init__(code)
        self.code = code
        self.params = params


def has_bad_bytes(text):
    """Whether the text holds bytes its file's encoding could not read (kept as surrogates by the reader)."""
    return _SURROGATES.search(text) is not None


def blank(cell):
    return cell is None or (isinstance(cell, str) and not cell.strip())


def mask(text):
    """A sample shown in place of a sensitive value: its first and last two characters."""
    text = str(text)
    if len(text) <= 4:
        return "*" * len(text)
    return text[:2] + "*" * (len(text) - 4) + text[-2:]


def is_id_number(cell):
    """Whether a cell holds a resident identity card number (its check digit right)."""
    try:
        parse_id_number(cell)
    except CellError:
        return False
    return True


def escape_formula(value):
    """A cell an export writes: text that a spreadsheet would run as a formula is prefixed with a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _cell_text(cell):
    """A cell as stripped text (a spreadsheet's 13800138000.0 is 13800138000), refused if mis-decoded."""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    text = str(cell).strip()
    if has_bad_bytes(text):
        raise CellError("encoding")
    return text


def _text(cell, limit=MAX_TEXT):
    text = _cell_text(cell)
    if _CONTROL.search(text):
        raise CellError("control")
    if len(text) > limit:
        raise CellError("too_long", length=len(text), limit=limit)
    if str(cell).startswith(FORMULA_STARTS):
        raise CellError("formula")
    return text


def parse_text(cell):
    return _text(cell)


def parse_note(cell):
    """Free text (notes, remarks): kept as written, whatever its first character (module docstring)."""
    text = _cell_text(cell)
    if _CONTROL.search(text):
        raise CellError("control")
    if len(text) > MAX_NOTE:
        raise CellError("too_long", length=len(text), limit=MAX_NOTE)
    return text


def parse_gender(cell):
    """ "male", "female", "other", or None for a cell that says the gender is not known."""
    text = _text(cell, 40).casefold().replace(" ", "")
    if text in NO_GENDER:
        return None
    gender = _GENDER_INDEX.get(text)
    if gender is None:
        raise CellError("gender", value=text[:20])
    return gender


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
    text = _cell_text(cell)
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
