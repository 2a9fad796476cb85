"""The second seed's six customer metrics, on the seed's own CSV files (pandas, no Odoo).

The seed reads one CSV file per metric with ``pd.read_csv`` and computes:

- satisfaction = mean of ``1 if x == 'satisfied' else 0`` over the file's rows (case-sensitive; an
  empty cell, or pandas' "NA"/"null" spellings, counts as 0), for the need, inquiry and feedback files;
- customer value = mean of ``order_amount * order_frequency`` (a row with an empty value gives NaN,
  which the mean skips, as pandas does), for the attribute file and the behaviour file;
- marketing effect = mean of ``sales - cost``.

Files are parsed exactly as the seed parses them (``pd.read_csv`` with its defaults), so the numbers
are the seed's to the last bit. Departures from the seed, where it would crash or compute nonsense:

- input is UTF-8 (with or without a byte-order mark) or GBK, detected; the seed only reads UTF-8;
- text in an amount column (or an infinite value, or true/false) stops with ``InputError`` naming
  the file, the column and the file's line number of the first bad row; the seed would multiply
  strings (a crash, or repeated text averaged into nonsense);
- a missing column, an empty file or a row the CSV parser refuses is an ``InputError`` too;
- a missing file gives no figure (``None``) and a warning, instead of a crash;
- a file with a header and no rows gives ``None`` (the seed prints ``nan``).
"""

import codecs
import csv
import io
import math
import pathlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

SATISFIED = "satisfied"  # the seed's one satisfied answer, compared case-sensitively


@dataclass(frozen=True)
class Metric:
    key: str  # the JSON key
    filename: str
    columns: tuple  # the seed's columns, read from the file
    kind: str  # "satisfaction", "value" (first column x second) or "effect" (first - second)
    label: str  # English
    label_zh: str  # the seed's own name


METRICS = (
    Metric("need_satisfaction", "customer_need_data.csv", ("need",), "satisfaction", "Need satisfaction", "需求满意度"),
    Metric(
        "customer_value_attribute",
        "customer_attribute_data.csv",
        ("order_amount", "order_frequency"),
        "value",
        "Customer value (attributes)",
        "客户价值（客户特点）",
    ),
    Metric(
        "customer_value_behavior",
        "customer_behavior_data.csv",
        ("order_amount", "order_frequency"),
        "value",
        "Customer value (behaviour)",
        "客户价值（客户行为）",
    ),
    Metric(
        "inquiry_satisfaction",
        "customer_inquiry_data.csv",
        ("inquiry",),
        "satisfaction",
        "Inquiry satisfaction",
        "咨询满意度",
    ),
    Metric(
        "feedback_satisfaction",
        "customer_feedback_data.csv",
        ("feedback",),
        "satisfaction",
        "Feedback satisfaction",
        "反馈满意度",
    ),
    Metric(
        "marketing_effect", "customer_marketing_data.csv", ("sales", "cost"), "effect", "Marketing effect", "营销效果"
    ),
)
KEYS = tuple(metric.key for metric in METRICS)


class InputError(ValueError):
    """Bad input: the message names the file, and where known the column and the file's line number."""

    def __init__(self, path, message, column=None, line=None):
        self.path, self.column, self.line = str(path), column, line
        where = [self.path]
        if column is not None:
            where.append(f"column {column!r}")
        if line is not None:
            where.append(f"line {line}")
        super().__init__(f"{', '.join(where)}: {message}")


@dataclass(frozen=True)
class Result:
    metric: Metric
    value: float | None  # None: no figure (missing file, no rows, NaN)
    rows: int | None  # data rows read from the file (None when the file is missing)
    used: int | None  # rows the mean is over (rows for a satisfaction; rows without an empty value otherwise)
    path: str
    missing: bool = False


# --- the formulas, on pandas Series (also usable on live data) ---------------------------------


def satisfaction(values):
    """Mean of (x == 'satisfied'): every row counts, anything else (empty included) is 0. NaN without rows."""
    series = values if isinstance(values, pd.Series) else pd.Series(values, dtype=object)
    return series.eq(SATISFIED).mean()


def value_mean(amount, frequency):
    """(mean of amount x frequency, rows it is over): rows with an empty value are skipped, as pandas does."""
    values = amount * frequency
    return values.mean(), int(values.notna().sum())


def effect_mean(sales, cost):
    """(mean of sales - cost, rows it is over): rows with an empty value are skipped."""
    values = sales - cost
    return values.mean(), int(values.notna().sum())


def figure(number):
    """A float for output, or None for NaN / missing."""
    if number is None:
        return None
    number = float(number)
    return None if math.isnan(number) else number


# --- reading the seed's files ------------------------------------------------------------------


def detect_encoding(raw, path):
    """'utf-8' (with or without a BOM: pandas drops it) or 'gbk'; InputError for anything else."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InputError(path, "UTF-16 text is not supported: save the file as UTF-8 or GBK", line=1)
    if raw.isascii():
        return "utf-8"
    for encoding in ("utf-8", "gbk"):
        try:
            raw.decode(encoding)
        except UnicodeDecodeError as error:
            bad_at = error.start
        else:
            return encoding
    line = raw.count(b"\n", 0, bad_at) + 1  # where GBK failed
    raise InputError(path, "neither UTF-8 nor GBK text (undecodable bytes)", line=line)


def read_csv(path):
    """(DataFrame parsed as the seed parses it, raw bytes, encoding)."""
    path = pathlib.Path(path)
    raw = path.read_bytes()
    encoding = detect_encoding(raw, path)
    if not raw.strip():
        raise InputError(path, "the file is empty (no header row)")
    try:
        frame = pd.read_csv(io.BytesIO(raw), encoding=encoding)
    except pd.errors.EmptyDataError:
        raise InputError(path, "the file is empty (no header row)") from None
    except pd.errors.ParserError as error:
        raise InputError(path, f"not a valid CSV file: {error}") from None
    return frame, raw, encoding


def _require_columns(frame, path, columns):
    for column in columns:
        if column not in frame.columns:
            found = ", ".join(repr(str(name)) for name in frame.columns)
            raise InputError(path, f"missing (the file's columns: {found})", column=column)


def file_line(raw, encoding, row_index):
    """The file's line number (1-based) where data row ``row_index`` (0-based, as pandas counts) starts.

    Blank lines are skipped as pandas skips them; a quoted field may span lines."""
    text = raw.decode(encoding).removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    header_seen, data_row, start = False, -1, 1
    try:
        for record in reader:
            line, start = start, reader.line_num + 1
            if not record or (len(record) == 1 and record[0] and not record[0].strip()):
                continue  # a blank line
            if not header_seen:
                header_seen = True
                continue
            data_row += 1
            if data_row == row_index:
                return line
    except csv.Error:
        return None  # the error then names the column and the value, without a line
    return None


def _number(value):
    """``value`` as a finite float, or None when it is not one (text, true/false, infinity)."""
    if isinstance(value, bool | np.bool_):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _numbers(series):
    """(the column as float numbers or itself when already numeric, 0-based index of its first bad row or None).

    Bad: a value that is not a finite number (text, true/false, infinity); empty cells are NaN, not bad."""
    if series.dtype.kind in "iu":
        return series, None
    if series.dtype.kind == "f":
        infinite = np.isinf(series.to_numpy())
        return series, (int(np.flatnonzero(infinite)[0]) if infinite.any() else None)
    # text, true/false or mixed: the seed would multiply strings
    values = series.to_numpy()
    numbers = np.full(len(values), np.nan)
    for index in np.flatnonzero(series.notna().to_numpy()):
        number = _number(values[index])
        if number is None:
            return None, int(index)
        numbers[index] = number
    return pd.Series(numbers, index=series.index, name=series.name), None


def numeric_columns(frame, path, columns, raw, encoding):
    """The columns as numbers; InputError naming the first bad row of any of them (the file's line)."""
    checked = [(column, *_numbers(frame[column])) for column in columns]
    bad = [(index, position) for position, (_column, _series, index) in enumerate(checked) if index is not None]
    if bad:
        index, position = min(bad)  # the first bad row; on one row, the seed's first column
        column = columns[position]
        value = frame[column].iloc[index]
        line = file_line(raw, encoding, index)
        raise InputError(path, f"{str(value)!r} is not a number (first bad row)", column=column, line=line)
    return [numbers for _column, numbers, _index in checked]


def compute(metric, directory):
    """The Result of ``metric`` on its file in ``directory``."""
    path = pathlib.Path(directory) / metric.filename
    if not path.is_file():
        return Result(metric, None, None, None, str(path), missing=True)
    frame, raw, encoding = read_csv(path)
    _require_columns(frame, path, metric.columns)
    rows = len(frame)
    if metric.kind == "satisfaction":
        return Result(metric, figure(satisfaction(frame[metric.columns[0]])), rows, rows, str(path))
    first, second = numeric_columns(frame, path, metric.columns, raw, encoding)
    formula = value_mean if metric.kind == "value" else effect_mean
    number, used = formula(first, second)
    return Result(metric, figure(number), rows, used, str(path))


def compute_all(directory, warn=None):
    """{key: Result} for the six metrics; a missing file gives value None and a call ``warn(message)``."""
    directory = pathlib.Path(directory)
    if not directory.is_dir():
        raise InputError(directory, "not a directory")
    results = {}
    for metric in METRICS:
        result = compute(metric, directory)
        if result.missing and warn is not None:
            warn(f"{result.path}: file not found, {metric.key} is null")
        results[metric.key] = result
    return results


def as_dict(results):
    """{key: value or None} in the order of ``KEYS`` (the --json object)."""
    return {key: results[key].value for key in KEYS}
