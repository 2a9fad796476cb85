"""The analytics command (``cli.py metrics DIR``) vs the seed's own pandas lines, on the same files.

No database. Writes the seed's six CSV files with ``--rows`` rows each (1,000,000 by default; about
2 % empty values; a customer column beside the seed's), then times, side by side and alternating:

- end to end: ``python cli.py metrics DIR --json`` vs ``python seed.py`` (the seed's six snippets,
  verbatim, in one script; both pay the interpreter and the pandas import);
- in process: ``metrics.compute_all(DIR)`` vs the six snippets run with ``runpy``.

It checks that both give the same numbers (exactly) and prints the ratios (goal: the command
<= 2x the seed). Run with a Python that has pandas::

    python3 tests/benchmarks/bench_metrics_cli.py [--rows 1000000] [--repeat 3] [--dir DIR]
"""

import argparse
import contextlib
import io
import json
import os
import pathlib
import runpy
import subprocess
import sys
import tempfile
import time
import types

ROOT = pathlib.Path(__file__).resolve().parents[2]
CLI = ROOT / "member_crm_reports" / "engine" / "cli.py"
for _name in ("member_crm", "member_crm_marketing", "member_crm_reports"):  # as tests/conftest.py does
    _package = types.ModuleType(_name)
    _package.__path__ = [str(ROOT / _name)]
    sys.modules.setdefault(_name, _package)
sys.path.insert(0, str(ROOT / "tests"))

import numpy as np
import pandas as pd
from test_reports_metrics_cli import SEED_SNIPPETS  # the seed's lines, verbatim

from member_crm_reports.engine import metrics


def write_files(directory, rows, seed=2026):
    """The seed's six files, ``rows`` rows each."""
    rng = np.random.default_rng(seed)
    directory.mkdir(parents=True, exist_ok=True)
    customers = np.arange(1, rows + 1)
    answers = np.array(["satisfied", "unsatisfied", "neutral", "Satisfied", None], dtype=object)
    for name in ("need", "inquiry", "feedback"):
        picks = answers[rng.choice(len(answers), rows, p=[0.55, 0.2, 0.17, 0.06, 0.02])]
        pd.DataFrame({"customer": customers, name: picks}).to_csv(directory / f"customer_{name}_data.csv", index=False)
    for name in ("attribute", "behavior"):
        amount = np.round(rng.gamma(2.0, 60.0, rows), 2)
        amount[rng.random(rows) < 0.02] = np.nan
        frequency = pd.array(rng.integers(1, 25, rows), dtype="Int64")
        frequency[rng.random(rows) < 0.02] = pd.NA
        frame = pd.DataFrame({"customer": customers, "order_amount": amount, "order_frequency": frequency})
        frame.to_csv(directory / f"customer_{name}_data.csv", index=False)
    sales = np.round(rng.normal(1000, 300, rows), 2)
    cost = np.round(rng.normal(700, 200, rows), 2)
    cost[rng.random(rows) < 0.02] = np.nan
    pd.DataFrame({"campaign": customers, "sales": sales, "cost": cost}).to_csv(
        directory / "customer_marketing_data.csv", index=False
    )


def seed_script(path):
    path.write_text("".join(code for _variable, code in SEED_SNIPPETS.values()), encoding="utf-8")


def run_seed_script(script, directory):
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(script)], cwd=directory, capture_output=True, text=True, encoding="utf-8", check=True
    )
    elapsed = time.perf_counter() - started
    printed = [float(line.rsplit(":", 1)[1]) for line in done.stdout.splitlines() if ":" in line]
    return elapsed, dict(zip(SEED_SNIPPETS, printed, strict=True))


def run_command(directory):
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(CLI), "metrics", str(directory), "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return time.perf_counter() - started, json.loads(done.stdout)


def seed_in_process(directory, scripts):
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):  # the seed prints its figures
        figures = {
            key: float(runpy.run_path(str(scripts / f"{key}.py"), run_name="seed")[variable])
            for key, (variable, _code) in SEED_SNIPPETS.items()
        }
    return time.perf_counter() - started, figures


def engine_in_process(directory):
    started = time.perf_counter()
    results = metrics.compute_all(directory)
    return time.perf_counter() - started, metrics.as_dict(results)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", help="folder for the files (a temporary one by default)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_metrics_") as scratch:
        directory = pathlib.Path(args.dir or scratch) / "data"
        scripts = pathlib.Path(scratch) / "seed"
        scripts.mkdir()
        started = time.perf_counter()
        write_files(directory, args.rows)
        size = sum(path.stat().st_size for path in directory.iterdir()) / 1e6
        print(f"six files of {args.rows:,} rows each ({size:.0f} MB) written in {time.perf_counter() - started:.1f} s")
        seed_script(scripts / "seed.py")
        for key, (_variable, code) in SEED_SNIPPETS.items():
            (scripts / f"{key}.py").write_text(code, encoding="utf-8")

        timings = {"seed script": [], "command": [], "seed in process": [], "engine in process": []}
        for _round in range(args.repeat):
            elapsed, seed_figures = run_seed_script(scripts / "seed.py", directory)
            timings["seed script"].append(elapsed)
            elapsed, command_figures = run_command(directory)
            timings["command"].append(elapsed)
            here = os.getcwd()  # the seed's lines read relative paths
            os.chdir(directory)
            try:
                elapsed, seed_inline = seed_in_process(directory, scripts)
            finally:
                os.chdir(here)
            timings["seed in process"].append(elapsed)
            elapsed, engine_figures = engine_in_process(directory)
            timings["engine in process"].append(elapsed)
            for key in metrics.KEYS:
                same = seed_figures[key] == command_figures[key] == seed_inline[key] == engine_figures[key]
                if not same:
                    raise SystemExit(
                        f"DIFFERENT {key}: seed {seed_figures[key]!r} / {seed_inline[key]!r}, "
                        f"command {command_figures[key]!r} / {engine_figures[key]!r}"
                    )
        best = {name: min(values) for name, values in timings.items()}
        for name, values in timings.items():
            print(f"{name:18s} best {best[name]:6.2f} s  (runs: {', '.join(f'{v:.2f}' for v in values)})")
        print("same numbers:", json.dumps(command_figures, ensure_ascii=False))
        print(f"ratio end to end (command / seed script): {best['command'] / best['seed script']:.2f}x (goal <= 2x)")
        print(f"ratio in process (engine / seed lines):   {best['engine in process'] / best['seed in process']:.2f}x")


if __name__ == "__main__":
    main()
