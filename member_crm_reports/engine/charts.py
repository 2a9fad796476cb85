"""PNG charts of the analytics command (``cli.py metrics DIR --charts OUT``).

matplotlib is needed by the command only: it is imported inside ``write_charts``, with the Agg
backend (no display), so neither Odoo nor the rest of the engine ever loads it.
"""

import pathlib


class MatplotlibMissing(RuntimeError):
    """--charts without matplotlib installed."""


def _bars(axes, results, percent):
    labels = [result.metric.label for result in results]
    values = [result.value or 0.0 for result in results]
    bars = axes.bar(range(len(results)), values, color="#4c72b0")
    axes.set_xticks(range(len(results)), labels, rotation=15, ha="right")
    for bar, result in zip(bars, results, strict=True):
        if result.value is None:
            text = "n/a"
        elif percent:
            text = f"{result.value:.1%}"
        else:
            text = f"{result.value:,.2f}"
        axes.annotate(text, (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center", va="bottom")
    axes.axhline(0, color="black", linewidth=0.8)


def write_charts(results, directory):
    """Write satisfaction.png and value.png into ``directory`` (created if missing); returns their paths."""
    try:
        import matplotlib  # the command's charts only

        matplotlib.use("Agg")
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as error:
        raise MatplotlibMissing(f"--charts needs matplotlib ({error})") from None
    directory = pathlib.Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    groups = (
        ("satisfaction.png", "Satisfaction (share of 'satisfied')", "satisfaction", True),
        ("value.png", "Customer value and marketing effect", None, False),
    )
    paths = []
    for filename, title, kind, percent in groups:
        chosen = [
            result
            for result in results.values()
            if (result.metric.kind == kind if kind else result.metric.kind != "satisfaction")
        ]
        figure = Figure(figsize=(7, 4.5), dpi=100, layout="constrained")
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        _bars(axes, chosen, percent)
        axes.set_title(title)
        if percent:
            axes.set_ylim(0, 1.05)
            axes.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
        path = directory / filename
        figure.savefig(path, format="png")
        paths.append(path)
    return paths
