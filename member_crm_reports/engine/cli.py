"""The analytics command, run by its path from the repository root with a Python that has pandas::

    python3 member_crm_reports/engine/cli.py metrics DIR [--json] [--xlsx OUT.xlsx] [--charts DIR]

``metrics`` reads the second seed's CSV files in DIR (see ``metrics``) and prints a table of the six
metrics, or with ``--json`` one JSON object (``null`` for no figure). ``--xlsx`` writes the same
figures to a workbook (the reports' one writer, ``xlsx``), ``--charts`` to PNG files (matplotlib,
imported only then). Exit codes: 0 success, 2 bad input (the message names the file, the column and
the line), 1 anything else (such as matplotlib missing for ``--charts``).

No Odoo: the addon's ``__init__`` imports odoo, so run as a script this module registers bare
packages for the addons (as ``tests/conftest.py`` does) and imports the engine only.
"""

import argparse
import json
import pathlib
import sys
import types

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2


def _register_packages():
    """Make ``member_crm_reports.engine`` importable without running the addon's ``__init__``."""
    root = pathlib.Path(__file__).resolve().parents[2]
    engine_dir = str(pathlib.Path(__file__).resolve().parent)
    # run by its path, the script's folder is sys.path[0]: the engine's modules must not be top-level
    sys.path[:] = [entry for entry in sys.path if entry and str(pathlib.Path(entry).resolve()) != engine_dir]
    for name in ("member_crm", "member_crm_marketing", "member_crm_reports"):
        package = types.ModuleType(name)
        package.__path__ = [str(root / name)]
        sys.modules.setdefault(name, package)


if not __package__:
    _register_packages()

try:
    from xlsxwriter.exceptions import FileCreateError

    from member_crm_reports.engine import metrics, xlsx
except ImportError as missing:  # a Python without pandas or xlsxwriter (requirements.txt)
    if __name__ != "__main__":
        raise
    sys.stderr.write(f"error: the command needs pandas and xlsxwriter in this Python ({missing})\n")
    sys.exit(EXIT_FAILURE)

SATISFACTION_FORMAT, AMOUNT_FORMAT = "0.00%", "#,##0.00"


def _parser():
    parser = argparse.ArgumentParser(prog="cli.py", description="Member CRM analytics without Odoo.")
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser(
        "metrics",
        help="the second seed's six customer metrics from its CSV files",
        description="Need, inquiry and feedback satisfaction, customer value (attribute and behaviour files) "
        "and marketing effect, from the seed's CSV files in DIR (UTF-8 with or without BOM, or GBK).",
    )
    command.add_argument("directory", metavar="DIR", help="folder holding the customer_*_data.csv files")
    command.add_argument("--json", action="store_true", help="print one JSON object (null: no figure)")
    command.add_argument("--xlsx", metavar="OUT.xlsx", help="also write the figures to this workbook")
    command.add_argument("--charts", metavar="DIR", help="also write PNG charts into this folder")
    return parser


def _shown(result):
    if result.value is None:
        return "n/a"
    if result.metric.kind == "satisfaction":
        return f"{result.value:.4f}"
    return f"{result.value:,.2f}"


def table(results):
    """The text table of the figures (one line per metric)."""
    header = ("metric", "value", "rows", "used", "file")
    lines = [header]
    for result in results.values():
        lines.append(
            (
                f"{result.metric.label_zh} {result.metric.label}",
                _shown(result),
                "-" if result.rows is None else str(result.rows),
                "-" if result.used is None else str(result.used),
                result.metric.filename + (" (missing)" if result.missing else ""),
            )
        )

    def width(text):  # CJK characters take two columns
        return sum(2 if ord(char) > 0x2E7F else 1 for char in text)

    widths = [max(width(line[col]) for line in lines) for col in range(len(header))]
    out = []
    for line in lines:
        cells = []
        for col, text in enumerate(line):
            pad = " " * (widths[col] - width(text))
            cells.append(pad + text if col in (1, 2, 3) else text + pad)
        out.append("  ".join(cells).rstrip())
    return "\n".join(out) + "\n"


def workbook_sheets(results):
    """The --xlsx workbook: one sheet, one row per metric."""
    rows = []
    for result in results.values():
        number_format = SATISFACTION_FORMAT if result.metric.kind == "satisfaction" else AMOUNT_FORMAT
        rows.append(
            (
                f"{result.metric.label_zh} {result.metric.label}",
                result.metric.key,
                xlsx.Cell(result.value, number_format),
                result.rows,
                result.used,
                result.metric.filename,
                "missing" if result.missing else "",
            )
        )
    columns = [
        xlsx.Column("指标 Metric"),
        xlsx.Column("Key"),
        xlsx.Column("值 Value"),
        xlsx.Column("行数 Rows", "#,##0"),
        xlsx.Column("计入 Used", "#,##0"),
        xlsx.Column("文件 File"),
        xlsx.Column("Note"),
    ]
    return [xlsx.Sheet("指标 Metrics", columns, rows)]


class OutputError(RuntimeError):
    """An output file (--xlsx, --charts) that cannot be written."""


def _warn(message):
    sys.stderr.write(f"warning: {message}\n")


def _write_outputs(args, results):
    """--xlsx and --charts; returns the paths written."""
    written = []
    if args.xlsx:
        try:
            xlsx.write_workbook(args.xlsx, workbook_sheets(results))
        except (OSError, FileCreateError) as error:
            raise OutputError(f"{args.xlsx}: cannot write the workbook ({error})") from None
        written.append(args.xlsx)
    if args.charts:
        from member_crm_reports.engine import charts  # matplotlib: this path only

        try:
            written += charts.write_charts(results, args.charts)
        except OSError as error:
            raise OutputError(f"{args.charts}: cannot write the charts ({error})") from None
    return written


def run_metrics(args):
    """Compute, write the files asked for, then print; nothing is printed when something fails."""
    from member_crm_reports.engine.charts import MatplotlibMissing  # matplotlib-free module top

    try:
        results = metrics.compute_all(args.directory, warn=_warn)
        written = _write_outputs(args, results)
    except (metrics.InputError, OutputError, OSError) as error:
        sys.stderr.write(f"error: {error}\n")
        return EXIT_BAD_INPUT
    except MatplotlibMissing as error:
        sys.stderr.write(f"error: {error}\n")
        return EXIT_FAILURE
    if args.json:
        sys.stdout.write(json.dumps(metrics.as_dict(results), allow_nan=False) + "\n")
    else:
        sys.stdout.write(table(results))
    for path in written:
        sys.stderr.write(f"wrote {path}\n")
    return EXIT_OK


def main(argv=None):
    args = _parser().parse_args(argv)
    if args.command == "metrics":
        return run_metrics(args)
    return EXIT_FAILURE  # argparse refuses unknown commands first


if __name__ == "__main__":
    sys.exit(main())
