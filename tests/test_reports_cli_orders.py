"""The analytics command's ``clv`` and ``cohorts`` on an orders CSV (member_crm_reports/engine/cli.py), no Odoo.

Run as a subprocess by its path, as a user runs it.
"""

import json
import math
import pathlib
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from test_reports_clv_engine import START, WEEKS, orders_from, simulate

ROOT = pathlib.Path(__file__).resolve().parents[1]
CLI = ROOT / "member_crm_reports" / "engine" / "cli.py"

# partner, date, amount: cohort 2024-01 = {a, b, c}, cohort 2024-02 = {d, e}; last net order 2024-03-20
COHORT_ORDERS = """partner,date,amount
a,2024-01-03,10
b,2024-01-15,20
c,2024-01-31,5
a,2024-01-20,7
a,2024-02-02,12
b,2024-03-01,8
c,2024-02-10,-5
d,2024-02-05,30
e,2024-02-28,40
e,2024-03-20,1
d,2024-03-05,0
f,2024-01-10,0
"""
# c's February refund and d's March zero order are no purchase; f never bought (no cohort)
COHORT_EXPECTED = [
    {
        "cohort": "2024-01",
        "size": 3,
        "counts": [3, 1, 1] + [None] * 10,
        "shares": [1.0, 1 / 3, 1 / 3] + [None] * 10,
    },
    {
        "cohort": "2024-02",
        "size": 2,
        "counts": [2, 1] + [None] * 11,
        "shares": [1.0, 0.5] + [None] * 11,
    },
]


def _run(*args):
    return subprocess.run(
        [sys.executable, str(CLI), *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )


def _write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def test_cohorts_literal_shares(tmp_path):
    orders = _write(tmp_path / "orders.csv", COHORT_ORDERS)
    done = _run("cohorts", orders, "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["months"] == 12
    assert result["cohorts"] == COHORT_EXPECTED
    done = _run("cohorts", orders)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split()[:5] == ["cohort", "size", "M0", "M1", "M2"]
    assert lines[1].split() == ["2024-01", "3", "100.0%", "33.3%", "33.3%"]
    assert lines[2].split() == ["2024-02", "2", "100.0%", "50.0%"]


def test_cohorts_gbk_bom_xlsx_and_heatmap(tmp_path):
    text = COHORT_ORDERS.replace("\na,", "\n张三,")
    gbk = _write(tmp_path / "gbk.csv", text, encoding="gbk")
    bom = _write(tmp_path / "bom.csv", text, encoding="utf-8-sig")
    outputs = [_run("cohorts", path, "--json") for path in (gbk, bom)]
    assert [done.returncode for done in outputs] == [0, 0], [done.stderr for done in outputs]
    assert json.loads(outputs[0].stdout)["cohorts"] == COHORT_EXPECTED
    assert outputs[0].stdout == outputs[1].stdout
    png, book = tmp_path / "heat.png", tmp_path / "cohorts.xlsx"
    done = _run("cohorts", gbk, "--heatmap", png, "--xlsx", book)
    assert done.returncode == 0, done.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 1000
    assert book.read_bytes()[:2] == b"PK"


@pytest.mark.parametrize(
    ("command", "row", "column", "value"),
    [
        ("clv", "b,2024-01-15,abc", "amount", "abc"),
        ("cohorts", "b,2024-13-45,20", "date", "2024-13-45"),
        ("cohorts", "b,2024-01-15,", "amount", ""),
    ],
)
def test_bad_row_exits_2_naming_file_column_line(tmp_path, command, row, column, value):
    text = COHORT_ORDERS.replace("b,2024-01-15,20", row)
    orders = _write(tmp_path / "bad.csv", "\n" + text, encoding="gbk")  # a leading blank line: line 4
    done = _run(command, orders)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert str(orders) in done.stderr
    assert f"column {column!r}" in done.stderr and "line 4" in done.stderr, done.stderr
    assert repr(value) in done.stderr or "empty cell" in done.stderr


def test_missing_column_exits_2(tmp_path):
    orders = _write(tmp_path / "orders.csv", "partner,day,amount\na,2024-01-01,3\n")
    done = _run("cohorts", orders)
    assert done.returncode == 2 and "column 'date'" in done.stderr, done.stderr


@pytest.fixture(scope="module")
def simulated_orders(tmp_path_factory):
    orders = orders_from(simulate(seed=7, n=3_000))
    orders["partner"] = "P" + orders["partner"].astype(str)
    orders["date"] = orders["date"].dt.strftime("%Y-%m-%d")
    orders["amount"] = orders["amount"].round(2)
    refunds = orders.iloc[:50].assign(amount=-1.0)  # not purchases
    path = tmp_path_factory.mktemp("clv") / "orders.csv"
    pd.concat([orders, refunds]).to_csv(path, index=False, encoding="gbk")
    return path


def test_clv_json_keys_and_totals(simulated_orders, tmp_path):
    as_of = (START + np.timedelta64(WEEKS * 7 - 1, "D")).astype(str)
    book = tmp_path / "clv.xlsx"
    done = _run("clv", simulated_orders, "--json", "--as-of", as_of, "--xlsx", book)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert set(result) == {"params", "totals", "customers"}
    params = result["params"]
    assert params["as_of"] == as_of
    assert set(params["bgnbd"]) >= {"r", "alpha", "a", "b"} and set(params["gamma_gamma"]) >= {"p", "q", "gamma"}
    assert isinstance(params["gamma_gamma"]["correlated"], bool)
    customers = result["customers"]
    assert len(customers) == result["totals"]["customers"] == 3_000
    assert set(customers[0]) >= {"partner", "clv", "p_alive", "expected_purchases"}
    assert customers[0]["partner"].startswith("P")
    assert [c["clv"] for c in customers] == sorted((c["clv"] for c in customers), reverse=True)
    assert all(0 < c["p_alive"] <= 1 for c in customers)
    for key in ("clv", "expected_purchases"):
        total = result["totals"][key]
        assert math.isfinite(total) and total > 0
        assert total == pytest.approx(sum(c[key] for c in customers))
    assert book.read_bytes()[:2] == b"PK"
    done = _run("clv", simulated_orders, "--as-of", as_of)
    assert done.returncode == 0, done.stderr
    assert "BG/NBD" in done.stdout and "Gamma-Gamma" in done.stdout and "correlation" in done.stdout
    assert done.stdout.count("\nP") == 10  # the top 10


def test_clv_impossible_fit_exits_2(tmp_path):
    orders = _write(tmp_path / "orders.csv", COHORT_ORDERS)  # two repeat buyers
    done = _run("clv", orders)
    assert done.returncode == 2 and done.stdout == ""
    assert "cannot be fitted" in done.stderr and "repeat buyers" in done.stderr, done.stderr
