"""Predicted CLV (member_crm_reports/engine/clv.py): BG/NBD + Gamma-Gamma, without Odoo.

The recovery tests simulate 200,000 customers from CDNOW-like parameters with fixed seeds (vectorised,
about a second each) and belong to the normal ``pytest tests/`` run: the whole file takes ~10 s.

- BG/NBD recovery fits (x, t_x, T) simulated in continuous time, exactly the model;
- Gamma-Gamma recovery fits mean values simulated from the model for 80,000 repeat buyers;
- the holdout check goes through the whole weekly pipeline (dated orders -> calendar-week summary -> fit
  on 65 weeks -> predicted purchase weeks in the last 13 weeks vs the actual ones).
"""

import math
import warnings
from decimal import Decimal, getcontext

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import check_grad
from scipy.special import hyp2f1

from member_crm_reports.engine import clv

TRUE = clv.BgNbd(r=0.24, alpha=4.41, a=0.79, b=2.43)  # CDNOW (Fader, Hardie and Lee 2005)
TRUE_GG = clv.GammaGamma(p=6.25, q=3.74, gamma=15.44)
CUSTOMERS = 200_000
WEEKS = 78
START = np.datetime64("2024-01-01")  # a Monday: calendar weeks start with the simulation


def simulate(seed, n=CUSTOMERS, weeks=WEEKS, params=TRUE, spend=TRUE_GG):
    """BG/NBD customers, first purchases spread over 12 weeks, observed until ``weeks`` (continuous weeks).

    Returns (birth, span, customer of each repeat purchase, its time after the first purchase, spend rate).
    """
    rng = np.random.default_rng(seed)
    birth = rng.random(n) * 12.0
    span = weeks - birth
    rate = rng.gamma(params.r, 1.0 / params.alpha, n)
    life = rng.geometric(rng.beta(params.a, params.b, n))  # repeat purchases before dropping out
    events = rng.poisson(rate * span)
    customer = np.repeat(np.arange(n), events)
    time = rng.random(customer.size) * span[customer]
    order = np.lexsort((time, customer))
    customer, time = customer[order], time[order]
    rank = np.arange(customer.size) - np.repeat(np.cumsum(events) - events, events)
    alive = rank < life[customer]
    nu = rng.gamma(spend.q, 1.0 / spend.gamma, n)
    return birth, span, customer[alive], time[alive], nu


def continuous_summary(customer, time, horizon, n=CUSTOMERS):
    """x, t_x, T of purchases up to ``horizon`` weeks after each first purchase."""
    seen = time < horizon[customer]
    x = np.bincount(customer[seen], minlength=n).astype(float)
    recency = np.zeros(n)
    np.maximum.at(recency, customer[seen], time[seen])
    return x, recency, horizon


@pytest.fixture(scope="module")
def cdnow():
    return simulate(seed=20250101)


def within(value, truth, tolerance=0.10):
    return abs(value / truth - 1.0) <= tolerance


# --------------------------------------------------------------------------- summary


def test_summary_counts_distinct_calendar_weeks():
    orders = pd.DataFrame(
        [
            (7, "2025-01-06", 10.0),  # Monday of week 0: first purchase week
            (7, "2025-01-12", 5.0),  # Sunday, same week: not a repeat
            (7, "2025-01-13", 20.0),  # week 1
            (7, "2025-01-14", 4.0),  # week 1 again: one purchase week of 24
            (7, "2025-01-20", -8.0),  # a fully refunded order is no purchase
            (7, "2025-02-03", 30.0),  # week 4
            (8, "2025-02-04", 50.0),  # one purchase only
            (9, "2025-03-01", 99.0),  # after the end: ignored
        ],
        columns=["partner", "date", "amount"],
    )
    summary = clv.summarize(orders, end="2025-02-10")  # a Monday: week 5
    assert summary.loc[7].to_dict() == {"frequency": 2, "recency": 4, "T": 5, "monetary": 27.0}
    assert summary.loc[8].to_dict() == {"frequency": 0, "recency": 0, "T": 1, "monetary": 0.0}
    assert list(summary.index) == [7, 8]
    assert clv.summarize(orders)["T"].to_dict() == {7: 7, 8: 3, 9: 0}  # end defaults to the last order


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"drop": "date"}, "lack the column"),
        ({"date": "31/31/2025"}, "not a date"),
        ({"amount": "ten"}, "not a number"),
        ({"amount": None}, "empty partner, date or amount"),
    ],
)
def test_summary_refuses_bad_input(change, message):
    orders = pd.DataFrame({"partner": [1, 1], "date": ["2025-01-06", "2025-01-20"], "amount": [1.0, 2.0]})
    if "drop" in change:
        orders = orders.drop(columns=change["drop"])
    else:
        ((column, value),) = change.items()
        orders[column] = orders[column].astype(object)
        orders.loc[0, column] = value
    with pytest.raises(ValueError, match=message):
        clv.summarize(orders)


# --------------------------------------------------------------------------- likelihoods


def test_gradients_are_exact():
    rng = np.random.default_rng(3)
    x = rng.integers(0, 30, 500).astype(float)
    big_t = rng.uniform(1, 80, 500)
    recency = np.where(x > 0, rng.uniform(0.1, 1, 500) * big_t, 0.0)
    weights = rng.integers(1, 5, 500).astype(float)
    for theta in (np.log([0.24, 4.41, 0.79, 2.43]), np.log([2.0, 0.5, 3.0, 0.7])):
        error = check_grad(
            lambda t: clv._bgnbd_terms(t, x, recency, big_t, weights)[0],
            lambda t: clv._bgnbd_terms(t, x, recency, big_t, weights)[1],
            theta,
        )
        assert error < 1e-5
    m = rng.gamma(5, 1, 500)
    xs = np.maximum(x, 1)
    for theta in (np.log([6.25, 3.74, 15.44]), np.log([0.5, 1.5, 0.3])):
        error = check_grad(
            lambda t: clv._gamma_gamma_terms(t, xs, m)[0], lambda t: clv._gamma_gamma_terms(t, xs, m)[1], theta
        )
        assert error < 1e-5


# --------------------------------------------------------------------------- scoring formulas


def direct_expectation(params, t, x, recency, big_t):
    """The published formula with scipy's hyp2f1 as is (fine for moderate x, NaN for frequent buyers)."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    z = t / (alpha + big_t + t)
    head = (
        (a + b + x - 1)
        / (a - 1)
        * (1 - ((alpha + big_t) / (alpha + t + big_t)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z))
    )
    tail = 1 + (x > 0) * a / (b + x - 1) * ((alpha + big_t) / (alpha + recency)) ** (r + x)
    return head / tail


def test_expectation_matches_the_published_formula():
    x = np.array([0, 0, 1, 2, 5, 10, 20])
    recency = np.array([0, 0, 3, 10, 30, 60, 70])
    big_t = np.array([0, 40, 30, 40, 50, 70, 75])
    for t in (1, 13, 52):
        ours = clv.expected_purchases(TRUE, t, x, recency, big_t)
        np.testing.assert_allclose(ours, direct_expectation(TRUE, t, x, recency, big_t), rtol=1e-9)


def reference_expectation(params, t, x, recency, big_t):
    """The published formula in 60-digit decimals, its 2F1 summed term by term (slow, any x)."""
    getcontext().prec = 60
    r, alpha, a, b = (Decimal(v) for v in (params.r, params.alpha, params.a, params.b))
    x, recency, big_t, t = (Decimal(v) for v in (x, recency, big_t, t))
    z = t / (alpha + big_t + t)
    big_a, big_b, big_c = r + x, b + x, a + b + x - 1
    total, term, n = Decimal(1), Decimal(1), 0
    while abs(term) > total * Decimal("1e-40"):
        term *= (big_a + n) * (big_b + n) / ((big_c + n) * (n + 1)) * z
        total += term
        n += 1
    head = big_c / (a - 1) * (1 - ((alpha + big_t) / (alpha + big_t + t)) ** big_a * total)
    tail = 1 + (a / (b + x - 1) * ((alpha + big_t) / (alpha + recency)) ** big_a if x > 0 else 0)
    return float(head / tail)


FAST = clv.BgNbd(r=0.24, alpha=0.3, a=0.79, b=2.43)  # a short alpha: high rates for the time unit


@pytest.mark.parametrize(
    ("params", "x", "recency", "big_t"),
    [(TRUE, 200, 19, 20), (TRUE, 200, 150, 200), (TRUE, 2000, 76, 77), (TRUE, 7, 30, 40), (FAST, 200, 0.9, 1)],
)
def test_frequent_buyer_has_a_finite_expectation(params, x, recency, big_t):
    ours = clv.expected_purchases(params, 52, [x], [recency], [big_t])[0]
    assert np.isfinite(ours)
    assert ours == pytest.approx(reference_expectation(params, 52, x, recency, big_t), rel=1e-9)
    assert np.isfinite(clv.discounted_purchases(params, [x], [recency], [big_t])).all()


@pytest.mark.parametrize(("params", "x", "recency", "big_t"), [(TRUE, 2000, 76, 77), (FAST, 200, 0.9, 1)])
def test_scipy_alone_overflows_for_frequent_buyers(params, x, recency, big_t):
    """What the Euler transform avoids: the published form gives NaN or inf there (0 x inf, inf / inf)."""
    with np.errstate(invalid="ignore", over="ignore"):
        direct = direct_expectation(params, 52, np.array([float(x)]), np.array([recency]), np.array([float(big_t)]))
    assert not np.isfinite(direct).any()


def test_probability_alive():
    alive = clv.probability_alive(TRUE, [0, 3, 3, 200], [0, 50, 10, 1], [60, 60, 60, 77])
    assert alive[0] == 1.0
    r, alpha, a, b = TRUE.r, TRUE.alpha, TRUE.a, TRUE.b
    expected = 1 / (1 + a / (b + 2) * ((alpha + 60) / (alpha + 50)) ** (r + 3))
    assert alive[1] == pytest.approx(expected, rel=1e-12)
    assert alive[2] < alive[1]  # the same purchases long ago: less likely still a customer
    assert 0 <= alive[3] < 1e-100  # 200 purchase weeks then 76 silent ones: gone, without overflow


def test_discounted_purchases_sum_the_weeks():
    x, recency, big_t = np.array([0, 4, 12]), np.array([0, 20, 64]), np.array([30, 50, 65])
    weekly = (1.10) ** (1 / 52) - 1
    cumulative = np.array([clv.expected_purchases(TRUE, k, x, recency, big_t) for k in range(53)])
    expected = (np.diff(cumulative, axis=0) / (1 + weekly) ** np.arange(1, 53)[:, None]).sum(axis=0)
    np.testing.assert_allclose(clv.discounted_purchases(TRUE, x, recency, big_t), expected, rtol=1e-10)
    undiscounted = clv.discounted_purchases(TRUE, x, recency, big_t, annual_discount=0.0)
    np.testing.assert_allclose(undiscounted, cumulative[-1], rtol=1e-10)
    assert (clv.discounted_purchases(TRUE, x, recency, big_t) < undiscounted).all()


def test_expected_average_value():
    values = clv.expected_average_value(TRUE_GG, [0, 4, 3], [0.0, 30.0, -5.0])
    p, q, gamma = TRUE_GG.p, TRUE_GG.q, TRUE_GG.gamma
    assert values[0] == pytest.approx(p * gamma / (q - 1))
    assert values[1] == pytest.approx(p * (gamma + 4 * 30) / (p * 4 + q - 1))
    assert values[2] == pytest.approx(p * gamma / (p * 3 + q - 1))  # a negative mean counts as 0
    with pytest.raises(clv.FitError):
        clv.expected_average_value(clv.GammaGamma(p=1, q=0.9, gamma=1), [1], [1])


# --------------------------------------------------------------------------- recovery (simulated CDNOW)


def test_bgnbd_recovers_the_parameters(cdnow):
    _birth, span, customer, time, _nu = cdnow
    fit = clv.fit_bgnbd(*continuous_summary(customer, time, span))
    got = fit.params
    assert fit.customers == CUSTOMERS
    assert within(got.r / got.alpha, TRUE.r / TRUE.alpha), got
    assert within(got.r, TRUE.r), got
    assert within(got.a, TRUE.a), got
    assert within(got.b, TRUE.b), got


def test_bgnbd_fits_a_sample():
    x, recency, big_t = (np.arange(40) % 3, np.where(np.arange(40) % 3, 5.0, 0.0), np.full(40, 10.0))
    assert clv.fit_bgnbd(x, recency, big_t, sample_size=30).customers == 30
    with pytest.raises(clv.FitError, match="repeat buyers"):
        clv.fit_bgnbd(np.zeros(40), np.zeros(40), big_t)
    with pytest.raises(ValueError, match="recency <= T"):
        clv.fit_bgnbd([1], [11], [10])


def test_gamma_gamma_recovers_the_parameters(cdnow):
    _birth, span, customer, time, nu = cdnow
    x = continuous_summary(customer, time, span)[0]
    buyers = np.flatnonzero(x > 0)[:80_000]
    assert len(buyers) == 80_000
    rng = np.random.default_rng(7)
    # the mean of x purchases of Gamma(p, nu) values is Gamma(p x, nu x)
    mean_value = rng.gamma(TRUE_GG.p * x[buyers], 1.0 / (nu[buyers] * x[buyers]))
    fit = clv.fit_gamma_gamma(x[buyers], mean_value)
    got = fit.params
    assert fit.customers == 80_000
    assert abs(fit.correlation) < 0.1 and not fit.correlated
    assert within(got.p, TRUE_GG.p), got
    assert within(got.q, TRUE_GG.q), got
    assert within(got.gamma, TRUE_GG.gamma), got


def test_gamma_gamma_flags_correlated_spend():
    rng = np.random.default_rng(11)
    x = rng.integers(1, 20, 2000).astype(float)
    value = x * 10 * rng.gamma(20, 1 / 20, 2000)  # spend grows with frequency
    with pytest.warns(UserWarning, match="correlated"):
        fit = clv.fit_gamma_gamma(np.append(x, [0, 3]), np.append(value, [5.0, -1.0]))
    assert fit.correlated and fit.correlation > 0.3
    assert fit.customers == 2000  # x = 0 and a negative mean value are left out
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not clv.fit_gamma_gamma(x, rng.gamma(5, 1, 2000)).correlated


def orders_from(simulated):
    """Dated orders (one per purchase, whole days) of a simulation, spend from Gamma(p, nu)."""
    birth, _span, customer, time, nu = simulated
    n = len(birth)
    every = np.concatenate([np.arange(n), customer])
    days = np.floor(np.concatenate([birth, birth[customer] + time]) * 7).astype(np.int64)
    amount = np.random.default_rng(5).gamma(TRUE_GG.p, 1.0, every.size) / nu[every]
    return pd.DataFrame({"partner": every, "date": START + days.astype("timedelta64[D]"), "amount": amount})


def test_holdout_purchases_are_predicted_within_ten_percent(cdnow):
    orders = orders_from(cdnow)
    calibration_end = START + np.timedelta64(65 * 7 - 1, "D")  # a Sunday: weeks split cleanly
    calibration = orders[orders["date"] <= calibration_end]
    summary = clv.summarize(calibration, end=calibration_end)
    fit = clv.fit_bgnbd(summary["frequency"], summary["recency"], summary["T"])
    predicted = clv.expected_purchases(fit.params, 13, summary["frequency"], summary["recency"], summary["T"]).sum()
    holdout = orders[orders["date"] > calibration_end]
    actual = len(set(zip(holdout["partner"], clv.week_index(holdout["date"]), strict=True)))  # purchase weeks
    assert actual > 30_000
    assert math.isclose(predicted, actual, rel_tol=0.10), (predicted, actual)


def test_predict_scores_everyone():
    orders = orders_from(simulate(seed=99, n=5_000))
    result = clv.predict(orders, end=START + np.timedelta64(WEEKS * 7 - 1, "D"), sample_size=3_000)
    scores = result.scores
    assert result.bgnbd.customers == 3_000
    assert len(scores) == 5_000 and list(scores.columns) == ["p_alive", "expected_purchases", "expected_value", "clv"]
    assert scores.notna().all(axis=None) and (scores >= 0).all(axis=None)
    assert ((scores["p_alive"] > 0) & (scores["p_alive"] <= 1)).all()
    summary = clv.summarize(orders, end=START + np.timedelta64(WEEKS * 7 - 1, "D"))
    undiscounted = clv.expected_purchases(
        result.bgnbd.params, 52, summary["frequency"], summary["recency"], summary["T"]
    )
    assert (scores["clv"] < undiscounted * scores["expected_value"] + 1e-12).all()
