"""Cohort retention by month of first purchase: plain pandas, no Odoo (tested in the repository's ``tests/``).

Input contract (the caller's job, not checked here): one row per order, ``partner``, ``date`` (a local
date) and ``amount``, the order's net amount after its refunds and cancellations; opening entries
(balances migrated from an older system) and staff, test and company accounts excluded.

- Only net orders count: an order whose net amount is <= 0 is ignored everywhere (it neither starts a
  cohort nor retains anyone).
- A partner's cohort is the calendar month of its first net order.
- The partner is retained in month k (k = 0 .. 12, month 0 being the cohort month itself) when it has
  at least one net order in the calendar month cohort + k.
- Months after the observation end (``end``, by default the last net order's date) are not observed:
  their count and share are missing (NA/NaN), never a false 0. The month holding ``end`` counts as
  observed (so far).
"""

import numpy as np
import pandas as pd

MONTHS = 12


def _month_numbers(dates):
    periods = pd.to_datetime(pd.Series(dates)).dt.to_period("M")
    return (periods.dt.year * 12 + periods.dt.month - 1).to_numpy(dtype=np.int64)


def _period(month_number):
    return pd.Period(year=int(month_number // 12), month=int(month_number % 12 + 1), freq="M")


def retention(orders, months=MONTHS, end=None):
    """Retention table: index ``cohort`` (monthly periods), columns (``count``|``share``, k) for k = 0..months.

    ``count`` is the number of the cohort's partners with a net order in month k (nullable integers);
    ``share`` is that count over the cohort's size (the count of month 0). Cohorts without partners are
    absent.
    """
    missing = {"partner", "date", "amount"} - set(orders.columns)
    if missing:
        raise ValueError(f"orders lack the column(s): {', '.join(sorted(missing))}")
    if orders[["partner", "date", "amount"]].isna().any(axis=None):
        raise ValueError("orders have an empty partner, date or amount")
    if months < 0:
        raise ValueError("the number of months must be >= 0")
    try:
        dates = pd.to_datetime(orders["date"])
    except (ValueError, TypeError) as exc:
        raise ValueError(f"orders have a date that is not a date: {exc}") from exc
    amounts = pd.to_numeric(orders["amount"], errors="coerce")
    if amounts.isna().any():
        raise ValueError("orders have an amount that is not a number")
    keep = amounts > 0
    if end is not None:
        keep &= dates <= pd.Timestamp(end)
    ks = list(range(months + 1))
    columns = pd.MultiIndex.from_product([["count", "share"], ks])
    if not keep.any():
        return pd.DataFrame(columns=columns, index=pd.PeriodIndex([], freq="M", name="cohort"))
    active = pd.DataFrame({"partner": orders["partner"][keep].to_numpy(), "month": _month_numbers(dates[keep])})
    active = active.drop_duplicates()
    first = active.groupby("partner")["month"].transform("min")
    active = active.assign(cohort=first.to_numpy(), k=(active["month"] - first).to_numpy())
    active = active[active["k"] <= months]
    counts = active.groupby(["cohort", "k"]).size().unstack("k").reindex(columns=ks).fillna(0).astype("Int64")
    end_month = int(_month_numbers([dates[keep].max() if end is None else end])[0])
    cohort_numbers = counts.index.to_numpy(dtype=np.int64)
    observed = cohort_numbers[:, None] + np.array(ks)[None, :] <= end_month
    counts = counts.mask(~observed)
    size = counts[0].astype("float64")
    shares = counts.astype("float64").div(size, axis=0)
    table = pd.concat({"count": counts, "share": shares}, axis=1)
    table.index = pd.PeriodIndex([_period(n) for n in cohort_numbers], freq="M", name="cohort")
    table.columns = columns
    return table


def long_form(table):
    """The observed cells of a :func:`retention` table as rows: cohort, k, size, count, share."""
    if table.empty:
        return pd.DataFrame(columns=["cohort", "k", "size", "count", "share"])
    counts = table["count"].to_numpy(dtype="float64", na_value=np.nan)
    shares = table["share"].to_numpy(dtype="float64", na_value=np.nan)
    ks = np.array(table["count"].columns, dtype=np.int64)
    rows, cols = np.nonzero(~np.isnan(counts))
    return pd.DataFrame(
        {
            "cohort": table.index[rows],
            "k": ks[cols],
            "size": counts[rows, 0].astype(np.int64),
            "count": counts[rows, cols].astype(np.int64),
            "share": shares[rows, cols],
        }
    )
