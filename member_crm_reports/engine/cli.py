"""The analytics command, run by its path from the repository root with a Python that has pandas::

    python3 member_crm_reports/engine/cli.py metrics DIR [--json] [--xlsx OUT.xlsx] [--charts DIR]
    python3 member_crm_reports/engine/cli.py clv ORDERS.csv [--json] [--xlsx OUT.xlsx] [--as-of YYYY-MM-DD]
    python3 member_crm_reports/engine/cli.py cohorts ORDERS.csv [--json] [--xlsx OUT.xlsx] [--heatmap OUT.png]

``metrics`` reads the second seed's CSV files in DIR (see ``metrics``) and prints a table of the six
metrics, or with ``--json`` one JSON object (``null`` for no figure). ``--xlsx`` writes the same
figures to a workbook (the reports' one writer, ``xlsx``), ``--charts`` to PNG files (matplotlib,
imported only then). Exit codes: 0 success, 2 bad input (the message names the file, the column and
the line), 1 anything else (such as matplotlib missing for ``--charts``).

``clv`` and ``cohorts`` read a CSV export of orders with the columns ``partner, date, amount`` (the
order's net amount; a row whose amount is <= 0 is no purchase), decoded as ``metrics`` does. ``clv``
fits BG/NBD + Gamma-Gamma (``clv``) and prints the parameters, the correlation flag, the totals and the
ten most valuable partners; with ``--json`` ``{"params", "totals", "customers"}``. ``cohorts`` prints
the 12-month retention by month of first purchase (``cohorts``); ``--heatmap`` draws it (matplotlib,
imported only then). A fit that the data cannot give (``clv.FitError``) exits 2 as bad input does.

No Odoo: the addon's ``__init__`` imports odoo, so run as a script this module registers bare
packages for the addons (as ``tests/conftest.py`` does) and imports the engine only.
"""

import argparse
import datetime
import json
import pathlib
import sys
import types
import warnings

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
    import numpy as np
    import pandas as pd
    from xlsxwriter.exceptions import FileCreateError

    from member_crm_reports.engine import clv, cohorts, metrics, xlsx
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
    command = commands.add_parser(
        "clv",
        help="predicted 12-month customer value (BG/NBD + Gamma-Gamma) from an orders CSV",
        description="Per-partner predicted 12-month value, P(alive) and expected purchases from ORDERS.csv "
        "(columns partner, date, amount; UTF-8 with or without BOM, or GBK). Amounts <= 0 are no purchase.",
    )
    command.add_argument("orders", metavar="ORDERS.csv", help="orders: partner, date, amount (net)")
    command.add_argument("--json", action="store_true", help='print {"params", "totals", "customers"} as JSON')
    command.add_argument("--xlsx", metavar="OUT.xlsx", help="also write the scores to this workbook")
    command.add_argument(
        "--as-of", metavar="YYYY-MM-DD", type=_iso_date, help="last observed day (default: the last purchase)"
    )
    command = commands.add_parser(
        "cohorts",
        help="12-month retention by month of first purchase from an orders CSV",
        description="Share of each monthly cohort (first net order) buying again in months 1..12, from "
        "ORDERS.csv (columns partner, date, amount; UTF-8 with or without BOM, or GBK).",
    )
    command.add_argument("orders", metavar="ORDERS.csv", help="orders: partner, date, amount (net)")
    command.add_argument("--json", action="store_true", help="print the table as JSON (null: not observed)")
    command.add_argument("--xlsx", metavar="OUT.xlsx", help="also write the table to this workbook")
    command.add_argument("--heatmap", metavar="OUT.png", help="also draw the retention heatmap to this PNG")
    return parser


def _iso_date(text):
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


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


# --- orders: clv and cohorts ------------------------------------------------------------------

ORDER_COLUMNS = ("partner", "date", "amount")


def read_orders(path):
    """The orders CSV as a DataFrame (partner as text, date as datetime64, amount as float).

    InputError, naming the file, the column and the line, for an empty cell, a bad date or amount."""
    frame, raw, encoding = metrics.read_csv(path)
    metrics._require_columns(frame, path, ORDER_COLUMNS)  # pylint: disable=protected-access
    empty = frame[list(ORDER_COLUMNS)].isna().to_numpy()
    if empty.any():
        index, position = (int(i) for i in next(zip(*empty.nonzero(), strict=True)))
        line = metrics.file_line(raw, encoding, index)
        raise metrics.InputError(path, "empty cell", column=ORDER_COLUMNS[position], line=line)
    (amount,) = metrics.numeric_columns(frame, path, ["amount"], raw, encoding)
    dates = pd.to_datetime(frame["date"].astype(str).str.strip(), format="ISO8601", errors="coerce")
    if dates.isna().any():
        index = int(dates.isna().to_numpy().nonzero()[0][0])
        value = frame["date"].iloc[index]
        line = metrics.file_line(raw, encoding, index)
        raise metrics.InputError(path, f"{str(value)!r} is not a date (YYYY-MM-DD)", column="date", line=line)
    return pd.DataFrame(
        {
            "partner": frame["partner"].astype(str).str.strip().to_numpy(),
            "date": dates.dt.normalize().to_numpy(),
            "amount": amount.astype("float64").to_numpy(),
        }
    )


def _text_table(header, rows, right):
    widths = [max(len(str(row[col])) for row in [header, *rows]) for col in range(len(header))]
    out = []
    for row in [header, *rows]:
        cells = [
            str(text).rjust(widths[col]) if col in right else str(text).ljust(widths[col])
            for col, text in enumerate(row)
        ]
        out.append("  ".join(cells).rstrip())
    return "\n".join(out) + "\n"


def _clv_run(orders, as_of):
    """(ClvResult, summary, as-of date, warnings raised by the fit as text)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        summary = clv.summarize(orders, end=as_of)  # once: predict() would summarise again
        bgnbd = clv.fit_bgnbd(summary["frequency"], summary["recency"], summary["T"])
        gamma_gamma = clv.fit_gamma_gamma(summary["frequency"], summary["monetary"])
        result = clv.ClvResult(bgnbd, gamma_gamma, clv.score(summary, bgnbd.params, gamma_gamma.params))
    if as_of is None:
        as_of = orders.loc[orders["amount"] > 0, "date"].max().date()
    return result, summary, as_of, [str(warning.message) for warning in caught]


def clv_params(result, as_of):
    bgnbd, gamma_gamma = result.bgnbd, result.gamma_gamma
    return {
        "as_of": as_of.isoformat(),
        "horizon_weeks": clv.HORIZON_WEEKS,
        "annual_discount": clv.ANNUAL_DISCOUNT,
        "bgnbd": {
            "r": bgnbd.params.r,
            "alpha": bgnbd.params.alpha,
            "a": bgnbd.params.a,
            "b": bgnbd.params.b,
            "loglik": bgnbd.loglik,
            "customers": bgnbd.customers,
        },
        "gamma_gamma": {
            "p": gamma_gamma.params.p,
            "q": gamma_gamma.params.q,
            "gamma": gamma_gamma.params.gamma,
            "loglik": gamma_gamma.loglik,
            "customers": gamma_gamma.customers,
            "correlation": metrics.figure(gamma_gamma.correlation),
            "correlated": gamma_gamma.correlated,
        },
    }


def clv_customers(result, summary):
    """One dict per partner, the most valuable first."""
    frame = summary.join(result.scores).sort_values(["clv", "p_alive"], ascending=False, kind="stable")
    return [
        {
            "partner": str(partner),
            "frequency": int(row.frequency),
            "recency": int(row.recency),
            "T": int(row.T),
            "monetary": float(row.monetary),
            "p_alive": float(row.p_alive),
            "expected_purchases": float(row.expected_purchases),
            "expected_value": float(row.expected_value),
            "clv": float(row.clv),
        }
        for partner, row in zip(frame.index, frame.itertuples(index=False), strict=True)
    ]


def clv_totals(customers):
    return {
        "customers": len(customers),
        "clv": float(sum(c["clv"] for c in customers)),
        "expected_purchases": float(sum(c["expected_purchases"] for c in customers)),
        "alive": float(sum(c["p_alive"] for c in customers)),
    }


def clv_table(params, totals, customers, top=10):
    bgnbd, gamma_gamma = params["bgnbd"], params["gamma_gamma"]
    correlation = gamma_gamma["correlation"]
    corr = "n/a" if correlation is None else f"{correlation:.3f}"
    flag = " CORRELATED: the values are doubtful" if gamma_gamma["correlated"] else " (ok)"
    lines = [
        (
            f"as of {params['as_of']}, horizon {params['horizon_weeks']} weeks, "
            f"discount {params['annual_discount']:.0%} a year"
        ),
        (
            f"BG/NBD       r={bgnbd['r']:.4f} alpha={bgnbd['alpha']:.4f} a={bgnbd['a']:.4f} b={bgnbd['b']:.4f} "
            f"(fitted on {bgnbd['customers']} customers)"
        ),
        (
            f"Gamma-Gamma  p={gamma_gamma['p']:.4f} q={gamma_gamma['q']:.4f} gamma={gamma_gamma['gamma']:.4f} "
            f"(fitted on {gamma_gamma['customers']} repeat buyers)"
        ),
        f"frequency/spend correlation {corr}{flag}",
        (
            f"customers {totals['customers']}, expected alive {totals['alive']:,.1f}, "
            f"expected purchases {totals['expected_purchases']:,.1f}, predicted value {totals['clv']:,.2f}"
        ),
        "",
        f"top {min(top, len(customers))}:",
    ]
    header = ("partner", "clv", "p_alive", "purchases", "frequency", "monetary")
    rows = [
        (
            c["partner"],
            f"{c['clv']:,.2f}",
            f"{c['p_alive']:.3f}",
            f"{c['expected_purchases']:.2f}",
            str(c["frequency"]),
            f"{c['monetary']:,.2f}",
        )
        for c in customers[:top]
    ]
    return "\n".join(lines) + "\n" + _text_table(header, rows, right={1, 2, 3, 4, 5})


def clv_sheets(params, customers):
    columns = [
        xlsx.Column("会员 Partner"),
        xlsx.Column("预测价值 CLV (12 months)", AMOUNT_FORMAT),
        xlsx.Column("P(alive)", "0.000"),
        xlsx.Column("预计购买 Expected purchases", "0.00"),
        xlsx.Column("预计客单 Expected value", AMOUNT_FORMAT),
        xlsx.Column("Frequency", "#,##0"),
        xlsx.Column("Recency (weeks)", "#,##0"),
        xlsx.Column("T (weeks)", "#,##0"),
        xlsx.Column("Monetary", AMOUNT_FORMAT),
    ]
    rows = [
        (
            c["partner"],
            c["clv"],
            c["p_alive"],
            c["expected_purchases"],
            c["expected_value"],
            c["frequency"],
            c["recency"],
            c["T"],
            c["monetary"],
        )
        for c in customers
    ]
    flat = [("as_of", params["as_of"]), ("horizon_weeks", params["horizon_weeks"])]
    flat += [("annual_discount", params["annual_discount"])]
    for model in ("bgnbd", "gamma_gamma"):
        flat += [(f"{model}.{key}", value) for key, value in params[model].items()]
    flat = [(key, str(value) if isinstance(value, bool) else value) for key, value in flat]
    return [
        xlsx.Sheet("客户价值 CLV", columns, rows),
        xlsx.Sheet("参数 Parameters", [xlsx.Column("Parameter"), xlsx.Column("Value")], flat),
    ]


def _write_xlsx(target, sheets):
    try:
        xlsx.write_workbook(target, sheets)
    except (OSError, FileCreateError) as error:
        raise OutputError(f"{target}: cannot write the workbook ({error})") from None


def run_clv(args):
    try:
        orders = read_orders(args.orders)
        result, summary, as_of, caught = _clv_run(orders, args.as_of)
        params = clv_params(result, as_of)
        customers = clv_customers(result, summary)
        totals = clv_totals(customers)
        if args.xlsx:
            _write_xlsx(args.xlsx, clv_sheets(params, customers))
    except clv.FitError as error:
        sys.stderr.write(f"error: {args.orders}: the model cannot be fitted on these orders ({error})\n")
        return EXIT_BAD_INPUT
    except (metrics.InputError, OutputError, OSError) as error:
        sys.stderr.write(f"error: {error}\n")
        return EXIT_BAD_INPUT
    for message in caught:
        _warn(message)
    if args.json:
        payload = {"params": params, "totals": totals, "customers": customers}
        sys.stdout.write(json.dumps(payload, allow_nan=False, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(clv_table(params, totals, customers))
    if args.xlsx:
        sys.stderr.write(f"wrote {args.xlsx}\n")
    return EXIT_OK


def _cells(frame):
    """Rows of a (cohort x k) frame as lists of float or None (not observed)."""
    values = frame.to_numpy(dtype="float64", na_value=np.nan)
    return [[None if np.isnan(value) else float(value) for value in row] for row in values]


def cohort_rows(table):
    """[{cohort, size, counts, shares}] (counts and shares for k = 0..12; None: not observed)."""
    if table.empty:
        return []
    counts, shares = _cells(table["count"]), _cells(table["share"])
    return [
        {
            "cohort": str(cohort),
            "size": int(count[0]),
            "counts": [None if value is None else int(value) for value in count],
            "shares": share,
        }
        for cohort, count, share in zip(table.index, counts, shares, strict=True)
    ]


def cohort_table(rows, months):
    header = ("cohort", "size", *(f"M{k}" for k in range(months + 1)))
    lines = [
        (row["cohort"], str(row["size"]), *("" if share is None else f"{share:.1%}" for share in row["shares"]))
        for row in rows
    ]
    return _text_table(header, lines, right=set(range(1, months + 3)))


def cohort_sheets(rows, months):
    ks = range(months + 1)
    head = [xlsx.Column("首购月 Cohort"), xlsx.Column("人数 Size", "#,##0")]
    return [
        xlsx.Sheet(
            "留存率 Retention",
            head + [xlsx.Column(f"M{k}", "0.0%") for k in ks],
            [(row["cohort"], row["size"], *row["shares"]) for row in rows],
        ),
        xlsx.Sheet(
            "留存人数 Retained",
            head + [xlsx.Column(f"M{k}", "#,##0") for k in ks],
            [(row["cohort"], row["size"], *row["counts"]) for row in rows],
        ),
    ]


def write_heatmap(rows, months, target):
    """The retention shares as a PNG heatmap (matplotlib, Agg backend, imported only here)."""
    from member_crm_reports.engine.charts import MatplotlibMissing  # matplotlib-free module top

    try:
        import matplotlib  # the command's heatmap only

        matplotlib.use("Agg")
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as error:
        raise MatplotlibMissing(f"--heatmap needs matplotlib ({error})") from None
    shares = np.array([[np.nan if v is None else v for v in row["shares"]] for row in rows], dtype=float)
    shares = shares.reshape(len(rows), months + 1)
    figure = Figure(
        figsize=(max(6.0, 0.6 * (months + 3)), max(3.0, 0.4 * len(rows) + 1.5)), dpi=100, layout="constrained"
    )
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    image = axes.imshow(np.ma.masked_invalid(shares), cmap="Blues", vmin=0.0, vmax=1.0, aspect="auto")
    axes.set_xticks(range(months + 1), [f"M{k}" for k in range(months + 1)])
    axes.set_yticks(range(len(rows)), [f"{row['cohort']} ({row['size']})" for row in rows])
    for i, j in zip(*np.nonzero(~np.isnan(shares)), strict=True):
        value = shares[i, j]
        axes.text(j, i, f"{value:.0%}", ha="center", va="center", fontsize=7, color="white" if value > 0.6 else "black")
    axes.set_title("Retention by month of first purchase")
    figure.colorbar(image, ax=axes, format=matplotlib.ticker.PercentFormatter(1.0))
    try:
        figure.savefig(target, format="png")
    except OSError as error:
        raise OutputError(f"{target}: cannot write the heatmap ({error})") from None


def run_cohorts(args):
    from member_crm_reports.engine.charts import MatplotlibMissing  # matplotlib-free module top

    months = cohorts.MONTHS
    try:
        orders = read_orders(args.orders)
        rows = cohort_rows(cohorts.retention(orders, months))
        if args.xlsx:
            _write_xlsx(args.xlsx, cohort_sheets(rows, months))
        if args.heatmap:
            if not rows:
                raise metrics.InputError(args.orders, "no order with a positive amount: nothing to draw")
            write_heatmap(rows, months, args.heatmap)
    except (metrics.InputError, OutputError, OSError) as error:
        sys.stderr.write(f"error: {error}\n")
        return EXIT_BAD_INPUT
    except MatplotlibMissing as error:
        sys.stderr.write(f"error: {error}\n")
        return EXIT_FAILURE
    if args.json:
        sys.stdout.write(json.dumps({"months": months, "cohorts": rows}, allow_nan=False) + "\n")
    else:
        sys.stdout.write(cohort_table(rows, months))
    for path in (args.xlsx, args.heatmap):
        if path:
            sys.stderr.write(f"wrote {path}\n")
    return EXIT_OK


def main(argv=None):
    args = _parser().parse_args(argv)
    if args.command == "metrics":
        return run_metrics(args)
    if args.command == "clv":
        return run_clv(args)
    if args.command == "cohorts":
        return run_cohorts(args)
    return EXIT_FAILURE  # argparse refuses unknown commands first


if __name__ == "__main__":
    sys.exit(main())
