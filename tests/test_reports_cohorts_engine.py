"""Cohort retention (member_crm_reports/engine/cohorts.py) on a hand-made example, without Odoo."""

import numpy as np
import pandas as pd
import pytest

from member_crm_reports.engine import cohorts

ORDERS = pd.DataFrame(
    [
        # cohort 2025-01: months 0, 1 and 3 (the refund-only order of April does not count, the April order does)
        (1, "2025-01-05", 100.0),
        (1, "2025-02-10", 50.0),
        (1, "2025-04-01", -20.0),
        (1, "2025-04-15", 30.0),
        # cohort 2025-01: two orders in month 0; a net-zero order in March retains nobody
        (2, "2025-01-20", 80.0),
        (2, "2025-01-25", 10.0),
        (2, "2025-03-03", 0.0),
        # a refund in December 2024 starts no cohort: cohort 2025-02, months 0 and 1
        (3, "2024-12-31", -10.0),
        (3, "2025-02-01", 60.0),
        (3, "2025-03-01", 40.0),
        # cohort 2025-02: months 0 and 12; month 13 is beyond the 12 months
        (4, "2025-02-28", 10.0),
        (4, "2026-02-01", 5.0),
        (4, "2026-03-01", 5.0),
    ],
    columns=["partner", "date", "amount"],
)
P = pd.Period


def test_retention_counts_and_shares():
    table = cohorts.retention(ORDERS)
    assert list(table.index) == [P("2025-01", "M"), P("2025-02", "M")]
    assert list(table["count"].columns) == list(range(13))
    assert table["count"].loc[P("2025-01", "M")].tolist() == [2, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    assert table["count"].loc[P("2025-02", "M")].tolist() == [2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]
    assert table["share"].loc[P("2025-01", "M")].tolist() == [1.0, 0.5, 0.0, 0.5] + [0.0] * 9
    assert table["share"].loc[P("2025-02", "M")].tolist() == [1.0, 0.5] + [0.0] * 10 + [0.5]


def test_months_after_the_end_are_missing_not_zero():
    table = cohorts.retention(ORDERS, end="2025-03-15")
    jan, feb = table["count"].loc[P("2025-01", "M")], table["count"].loc[P("2025-02", "M")]
    assert jan.iloc[:3].tolist() == [2, 1, 0]  # March is observed (so far): nobody ordered
    assert jan.iloc[3:].isna().all()
    assert feb.iloc[:2].tolist() == [2, 1]
    assert feb.iloc[2:].isna().all()
    assert np.isnan(table["share"].loc[P("2025-02", "M")].iloc[2])


def test_long_form_lists_the_observed_cells():
    rows = cohorts.long_form(cohorts.retention(ORDERS, end="2025-03-15"))
    assert rows.to_dict("records") == [
        {"cohort": P("2025-01", "M"), "k": 0, "size": 2, "count": 2, "share": 1.0},
        {"cohort": P("2025-01", "M"), "k": 1, "size": 2, "count": 1, "share": 0.5},
        {"cohort": P("2025-01", "M"), "k": 2, "size": 2, "count": 0, "share": 0.0},
        {"cohort": P("2025-02", "M"), "k": 0, "size": 2, "count": 2, "share": 1.0},
        {"cohort": P("2025-02", "M"), "k": 1, "size": 2, "count": 1, "share": 0.5},
    ]


def test_shorter_horizon_and_no_net_order():
    table = cohorts.retention(ORDERS, months=1)
    assert table["count"].to_numpy().tolist() == [[2, 1], [2, 1]]
    empty = cohorts.retention(ORDERS[ORDERS["amount"] <= 0])
    assert empty.empty
    assert cohorts.long_form(empty).empty


@pytest.mark.parametrize(
    ("orders", "message"),
    [
        (ORDERS.drop(columns="amount"), "lack the column"),
        (ORDERS.assign(date=["not a date"] + list(ORDERS["date"][1:])), "not a date"),
        (ORDERS.assign(amount=["ten"] + list(ORDERS["amount"][1:])), "not a number"),
        (ORDERS.assign(partner=[None] + list(ORDERS["partner"][1:])), "empty partner"),
    ],
)
def test_bad_input_is_refused(orders, message):
    with pytest.raises(ValueError, match=message):
        cohorts.retention(orders)
