"""Predicted customer lifetime value: BG/NBD + Gamma-Gamma, fitted by maximum likelihood.

Plain numpy/pandas/scipy, no Odoo (tested in the repository's ``tests/``). References: Fader, Hardie
and Lee, "Counting your customers the easy way" (2005) for BG/NBD, and "RFM and CLV: using iso-value
curves" (2005) for Gamma-Gamma; the summary follows the ``lifetimes`` package.

Input contract of :func:`summarize` (the caller's job, not checked here):

- one row per order: ``partner``, ``date`` (a local date) and ``amount``, the order's net untaxed amount
  after its refunds and cancellations; an order whose net amount is <= 0 is no purchase and is dropped;
- opening entries (balances migrated from an older system) are excluded: one such row stands for many
  orders and would give the member a false age;
- staff, test and company accounts are excluded.

Summary, in weekly periods (calendar weeks, Monday to Sunday, as ``lifetimes`` with ``freq="W"``):

- frequency = distinct purchase weeks - 1 (repeat purchase weeks);
- recency = weeks from the first purchase week to the last one;
- T = weeks from the first purchase week to the week of the observation end;
- monetary = mean value of the repeat purchase weeks (the first week excluded; 0 without repeats).

Fit: BG/NBD on everyone and Gamma-Gamma on repeat buyers with a positive mean value, each on a random
sample of at most 200,000 customers, by L-BFGS-B on the logarithms of the parameters, with the
log-likelihood written with ``gammaln`` and ``logaddexp`` and its exact gradient. Gamma-Gamma assumes
that spend does not depend on frequency: the Pearson correlation between them is returned and flagged
(with a warning) when its absolute value exceeds 0.3.

Scoring (everyone, vectorised): P(alive), the conditional expected purchases over the horizon and the
discounted value = sum over weeks k = 1..52 of (expected purchases in week k) x expected mean value
/ (1 + d)^k, with d = 1.10^(1/52) - 1 (10 % a year). The conditional expectation needs
2F1(r+x, b+x; a+b+x-1; z), which overflows (``scipy`` gives NaN or inf) for frequent buyers; it is evaluated
through its Euler transform 2F1(a+b-1-r, a-1; a+b+x-1; z), whose first two parameters do not grow with x.
"""

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import digamma, gammaln, hyp2f1

SAMPLE_SIZE = 200_000  # customers the parameters are fitted on; everyone is scored
HORIZON_WEEKS = 52  # 12 months
ANNUAL_DISCOUNT = 0.10  # 10 % a year, discounted weekly
MAX_CORRELATION = 0.3  # |Pearson r| of frequency and spend above which Gamma-Gamma is doubtful
MIN_REPEAT_BUYERS = 10  # fewer repeat buyers cannot identify the dropout or the spend parameters
LOG_BOUND = 20.0  # log-parameters stay within +-20 (a parameter at the bound signals a degenerate fit)
_MONDAY = 4  # day 4 of the Unix epoch (1970-01-05) is a Monday: weeks run Monday to Sunday
_CHUNK = 50_000  # rows of the (customers x weeks) matrix computed at once


class FitError(ValueError):
    """The data cannot be fitted (no repeat buyer, too few of them, or no convergence)."""


@dataclass(frozen=True)
class BgNbd:
    """BG/NBD parameters: purchase rate ~ Gamma(r, alpha) per week, dropout ~ Beta(a, b)."""

    r: float
    alpha: float
    a: float
    b: float


@dataclass(frozen=True)
class GammaGamma:
    """Gamma-Gamma parameters: spend ~ Gamma(p, nu), nu ~ Gamma(q, gamma)."""

    p: float
    q: float
    gamma: float

    def population_mean(self):
        """Mean value of a purchase of an unknown customer, p * gamma / (q - 1)."""
        _check_q(self.q)
        return self.p * self.gamma / (self.q - 1.0)


@dataclass(frozen=True)
class BgNbdFit:
    params: BgNbd
    loglik: float  # mean log-likelihood per customer of the sample
    customers: int  # customers the fit used (the sample)


@dataclass(frozen=True)
class GammaGammaFit:
    params: GammaGamma
    loglik: float  # mean log-likelihood per repeat buyer of the sample (up to the constant of the values)
    customers: int  # repeat buyers with a positive mean value the fit used (the sample)
    correlation: float  # Pearson r of frequency and mean value among them (NaN if either is constant)
    correlated: bool  # |correlation| > MAX_CORRELATION: the Gamma-Gamma independence assumption is doubtful


# --------------------------------------------------------------------------- summary


def _weeks(days):
    return (days.astype(np.int64) - _MONDAY) // 7


def week_index(dates):
    """Calendar week number (Monday to Sunday) of each date: weeks since 1970-01-05."""
    return _weeks(pd.to_datetime(pd.Series(dates)).to_numpy(dtype="datetime64[D]"))


def summarize(orders, end=None):
    """Per-partner frequency, recency, T (weeks) and monetary from orders (``partner, date, amount``).

    ``end`` is the last observed day (default: the last order's date); later orders are ignored.
    Returns a DataFrame indexed by partner, sorted, with integer ``frequency``, ``recency``, ``T`` and a
    float ``monetary``. See the module docstring for the input contract.
    """
    missing = {"partner", "date", "amount"} - set(orders.columns)
    if missing:
        raise ValueError(f"orders lack the column(s): {', '.join(sorted(missing))}")
    columns = ["frequency", "recency", "T", "monetary"]
    if orders[["partner", "date", "amount"]].isna().any(axis=None):
        raise ValueError("orders have an empty partner, date or amount")
    try:
        days = pd.to_datetime(orders["date"]).to_numpy(dtype="datetime64[D]")
    except (ValueError, TypeError) as exc:
        raise ValueError(f"orders have a date that is not a date: {exc}") from exc
    amounts = pd.to_numeric(orders["amount"], errors="coerce").to_numpy(dtype=np.float64)
    if np.isnan(amounts).any():
        raise ValueError("orders have an amount that is not a number")
    end_day = days.max() if end is None else np.datetime64(pd.Timestamp(end).date(), "D")
    keep = (amounts > 0) & (days <= end_day)
    if not keep.any():
        return pd.DataFrame({c: pd.Series(dtype="int64" if c != "monetary" else "float64") for c in columns})
    codes, partners = pd.factorize(orders["partner"].to_numpy()[keep], sort=True)
    weeks = _weeks(days[keep])
    first_week = weeks.min()
    key = codes.astype(np.int64) * (weeks.max() - first_week + 1) + (weeks - first_week)  # (partner, week)
    order = np.argsort(key, kind="stable")
    key = key[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])  # one run per (partner, week), weeks ascending
    week_amount = np.add.reduceat(amounts[keep][order], starts)
    week_partner, week = codes[order][starts], weeks[order][starts]
    first = np.flatnonzero(np.r_[True, week_partner[1:] != week_partner[:-1]])  # each partner's first week
    last = np.r_[first[1:], len(week)] - 1
    frequency = np.diff(np.r_[first, len(week)]) - 1
    repeat_total = np.add.reduceat(week_amount, first) - week_amount[first]
    end_week = int(_weeks(end_day))
    return pd.DataFrame(
        {
            "frequency": frequency.astype(np.int64),
            "recency": (week[last] - week[first]).astype(np.int64),
            "T": (end_week - week[first]).astype(np.int64),
            "monetary": np.where(frequency > 0, repeat_total / np.maximum(frequency, 1), 0.0),
        },
        index=pd.Index(partners[week_partner[first]], name="partner"),
    )


# --------------------------------------------------------------------------- BG/NBD fit


def _arrays(*values):
    arrays = [np.asarray(v, dtype=np.float64).reshape(-1) for v in values]
    if len({len(a) for a in arrays}) > 1:
        raise ValueError("the per-customer arrays differ in length")
    if not all(np.isfinite(a).all() for a in arrays):
        raise ValueError("the per-customer arrays hold a missing or infinite value")
    return arrays


def _check_summary(x, tx, T):
    if (x < 0).any() or (tx < 0).any() or (tx > T).any():
        raise ValueError("frequency and recency must be >= 0, and recency <= T")
    if ((x > 0) & (tx <= 0)).any():
        raise ValueError("a repeat buyer (frequency > 0) must have a recency > 0")


def _sample(n, size, seed):
    if n <= size:
        return slice(None)
    return np.sort(np.random.default_rng(seed).choice(n, size=size, replace=False))


def _bgnbd_terms(theta, x, tx, T, w):
    """Minus the weighted mean log-likelihood of BG/NBD and its gradient in the log-parameters."""
    r, alpha, a, b = np.exp(theta)
    repeat = x > 0
    xs = np.maximum(x, 1.0)  # b + x - 1 only matters (and is only positive for sure) where x > 0
    a1 = gammaln(r + x) - gammaln(r) + r * math.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + T)
    a4 = np.where(repeat, math.log(a) - np.log(b + xs - 1.0) - (r + x) * np.log(alpha + tx), -np.inf)
    ll = a1 + a2 + np.logaddexp(a3, a4)
    share = np.exp(a4 - np.logaddexp(a3, a4))  # weight of the "dropped out after the last purchase" term
    d_r = digamma(r + x) - digamma(r) + math.log(alpha)
    d_r += (1 - share) * -np.log(alpha + T) + share * -np.log(alpha + tx)
    d_alpha = r / alpha + (1 - share) * -(r + x) / (alpha + T) + share * -(r + x) / (alpha + tx)
    d_a = digamma(a + b) - digamma(a + b + x) + share / a
    d_b = digamma(a + b) + digamma(b + x) - digamma(b) - digamma(a + b + x) - share / (b + xs - 1.0)
    total = w.sum()
    grad = np.array([r * w @ d_r, alpha * w @ d_alpha, a * w @ d_a, b * w @ d_b]) / total
    return -(w @ ll) / total, -grad


def _minimize(func, theta0, args, what):
    bounds = [(-LOG_BOUND, LOG_BOUND)] * len(theta0)
    result = minimize(func, theta0, args=args, jac=True, method="L-BFGS-B", bounds=bounds)
    if not np.isfinite(result.fun) or not np.isfinite(result.x).all():
        raise FitError(f"the {what} fit did not converge: {result.message}")
    if not result.success and np.abs(result.jac).max() > 1e-4:
        raise FitError(f"the {what} fit did not converge: {result.message}")
    return result


def fit_bgnbd(frequency, recency, T, *, sample_size=SAMPLE_SIZE, seed=0):
    """Fit BG/NBD by maximum likelihood on at most ``sample_size`` customers (drawn with ``seed``)."""
    x, tx, big_t = _arrays(frequency, recency, T)
    _check_summary(x, tx, big_t)
    if (x > 0).sum() < MIN_REPEAT_BUYERS:
        raise FitError(f"BG/NBD needs at least {MIN_REPEAT_BUYERS} repeat buyers")
    pick = _sample(len(x), sample_size, seed)
    rows = pd.DataFrame({"x": x[pick], "tx": tx[pick], "T": big_t[pick]}).value_counts(sort=False)
    weights = rows.to_numpy()  # weekly data: few distinct rows, each fitted once with its count as weight
    ux, utx, ut = (rows.index.get_level_values(level).to_numpy(dtype=np.float64) for level in range(3))
    rate = max(ux.astype(float) @ weights / (ut @ weights), 1e-6)  # repeat purchases per week, for alpha
    theta0 = np.log([1.0, 1.0 / rate, 1.0, 1.0])
    result = _minimize(_bgnbd_terms, theta0, (ux, utx, ut, weights.astype(np.float64)), "BG/NBD")
    r, alpha, a, b = np.exp(result.x)
    return BgNbdFit(BgNbd(float(r), float(alpha), float(a), float(b)), float(-result.fun), int(weights.sum()))


# --------------------------------------------------------------------------- Gamma-Gamma fit


def _gamma_gamma_terms(theta, x, m):
    """Minus the mean log-likelihood of Gamma-Gamma (mean values ``m`` of ``x`` purchases) and its gradient."""
    p, q, gamma = np.exp(theta)
    px = p * x
    log_sum = np.log(gamma + m * x)
    ll = gammaln(px + q) - gammaln(px) - gammaln(q) + q * math.log(gamma) + (px - 1) * np.log(m)
    ll += px * np.log(x) - (px + q) * log_sum
    psi = digamma(px + q)
    d_p = x * (psi - digamma(px) + np.log(m) + np.log(x) - log_sum)
    d_q = psi - digamma(q) + math.log(gamma) - log_sum
    d_gamma = q / gamma - (px + q) / (gamma + m * x)
    grad = np.array([p * d_p.mean(), q * d_q.mean(), gamma * d_gamma.mean()])
    return -ll.mean(), -grad


def fit_gamma_gamma(frequency, monetary, *, sample_size=SAMPLE_SIZE, seed=0, max_correlation=MAX_CORRELATION):
    """Fit Gamma-Gamma on the repeat buyers with a positive mean value (at most ``sample_size`` of them).

    Also returns the Pearson correlation of frequency and mean value among those buyers, and warns when
    it exceeds ``max_correlation`` in absolute value (the model assumes they are independent).
    """
    x, m = _arrays(frequency, monetary)
    keep = (x > 0) & (m > 0)
    x, m = x[keep], m[keep]
    if len(x) < MIN_REPEAT_BUYERS:
        raise FitError(f"Gamma-Gamma needs at least {MIN_REPEAT_BUYERS} repeat buyers with a positive value")
    pick = _sample(len(x), sample_size, seed)
    x, m = x[pick], m[pick]
    with np.errstate(invalid="ignore", divide="ignore"):
        correlation = float(np.corrcoef(x, m)[0, 1]) if x.std() > 0 and m.std() > 0 else float("nan")
    correlated = bool(abs(correlation) > max_correlation)
    if correlated:
        warnings.warn(
            f"frequency and spend are correlated (r = {correlation:.2f}): the Gamma-Gamma values are doubtful",
            stacklevel=2,
        )
    scale = float(m.mean())  # fit on values of mean 1, then gamma scales back: a better-conditioned problem
    result = _minimize(_gamma_gamma_terms, np.log([1.0, 2.0, 1.0]), (x, m / scale), "Gamma-Gamma")
    p, q, gamma = np.exp(result.x)
    loglik = -result.fun - math.log(scale)  # the density of the values in their own unit
    params = GammaGamma(float(p), float(q), float(gamma * scale))
    return GammaGammaFit(params, float(loglik), len(x), correlation, correlated)


# --------------------------------------------------------------------------- scoring


def _check_q(q):
    if q <= 1:
        raise FitError("Gamma-Gamma gives no mean value when q <= 1")


def probability_alive(params, frequency, recency, T):
    """P(alive at T | x, t_x, T) under BG/NBD; 1 for customers without a repeat purchase."""
    x, tx, big_t = _arrays(frequency, recency, T)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    xs = np.maximum(x, 1.0)
    log_odds = math.log(a) - np.log(b + xs - 1.0) + (r + x) * (np.log(alpha + big_t) - np.log(alpha + tx))
    return np.where(x > 0, 1.0 / (1.0 + np.exp(np.minimum(log_odds, 700.0))), 1.0)


def _purchases_if_alive(params, x, big_t, t):
    """Expected purchases in (T, T + t] of a customer alive at T, for rows x, T and columns t.

    (a+b+x-1)/(a-1) * [1 - ((alpha+T)/(alpha+T+t))^(r+x) * 2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))], with the
    Euler transform 2F1(A, B; C; z) = (1-z)^(C-A-B) 2F1(C-A, C-B; C; z): the factor becomes
    ((alpha+T)/(alpha+T+t))^(a-1) * 2F1(a+b-1-r, a-1; a+b+x-1; z), finite for any x.
    """
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    if abs(a - 1.0) < 1e-7:  # removable singularity at a = 1: step beside it
        a = 1.0 + math.copysign(1e-7, a - 1.0)
    x = x[:, None]
    base = alpha + big_t[:, None]
    z = t / (base + t)
    factor = np.exp((a - 1.0) * (np.log(base) - np.log(base + t))) * hyp2f1(
        a + b - 1.0 - r, a - 1.0, a + b + x - 1.0, z
    )
    return (a + b + x - 1.0) / (a - 1.0) * (1.0 - factor)


def _by_unique_rows(params, x, big_t, t):
    """``_purchases_if_alive`` on the distinct (x, T) pairs only, in chunks; rows map back to customers."""
    inverse, keys = pd.factorize(x + 1j * big_t)  # a hash of the pair, exact (two float64): O(n), no sort
    pairs = np.column_stack([keys.real, keys.imag])
    out = np.empty((len(pairs), len(t)))
    for start in range(0, len(pairs), _CHUNK):
        chunk = pairs[start : start + _CHUNK]
        out[start : start + _CHUNK] = _purchases_if_alive(params, chunk[:, 0], chunk[:, 1], t)
    return out, inverse


def expected_purchases(params, t, frequency, recency, T):
    """Conditional expected purchases in the ``t`` weeks after T, per customer (vectorised)."""
    x, tx, big_t = _arrays(frequency, recency, T)
    _check_summary(x, tx, big_t)
    values, inverse = _by_unique_rows(params, x, big_t, np.array([float(t)]))
    return probability_alive(params, x, tx, big_t) * values[inverse, 0]


def _horizon(params, x, tx, big_t, weeks, annual_discount):
    """(P(alive), expected purchases in ``weeks``, discounted expected purchases), one hyp2f1 grid."""
    weekly_rate = (1.0 + annual_discount) ** (1.0 / 52.0) - 1.0
    grid = np.arange(weeks + 1, dtype=np.float64)
    cumulative, inverse = _by_unique_rows(params, x, big_t, grid)
    per_week = np.diff(cumulative, axis=1)  # expected purchases in week k, k = 1..weeks, if alive
    discounted = per_week @ (1.0 + weekly_rate) ** -grid[1:]
    alive = probability_alive(params, x, tx, big_t)
    return alive, alive * cumulative[inverse, -1], alive * discounted[inverse]


def discounted_purchases(params, frequency, recency, T, *, weeks=HORIZON_WEEKS, annual_discount=ANNUAL_DISCOUNT):
    """Sum over weeks k = 1..weeks of (expected purchases in week k) / (1 + d)^k, d the weekly rate."""
    x, tx, big_t = _arrays(frequency, recency, T)
    _check_summary(x, tx, big_t)
    return _horizon(params, x, tx, big_t, weeks, annual_discount)[2]


def expected_average_value(params, frequency, monetary):
    """Conditional mean value of a future purchase: (p (gamma + x m)) / (p x + q - 1), m clipped at 0.

    Customers without a repeat purchase get the population mean p gamma / (q - 1).
    """
    x, m = _arrays(frequency, monetary)
    _check_q(params.q)
    p, q, gamma = params.p, params.q, params.gamma
    return p * (gamma + x * np.maximum(m, 0.0)) / (p * x + q - 1.0)


def score(summary, bgnbd, gamma_gamma, *, weeks=HORIZON_WEEKS, annual_discount=ANNUAL_DISCOUNT):
    """P(alive), expected purchases, expected mean value and discounted value for every row of ``summary``.

    ``summary`` has the columns of :func:`summarize`; the result keeps its index.
    """
    x, tx, big_t, m = _arrays(*(summary[c] for c in ("frequency", "recency", "T", "monetary")))
    _check_summary(x, tx, big_t)
    value = expected_average_value(gamma_gamma, x, m)
    alive, purchases, discounted = _horizon(bgnbd, x, tx, big_t, weeks, annual_discount)
    return pd.DataFrame(
        {"p_alive": alive, "expected_purchases": purchases, "expected_value": value, "clv": discounted * value},
        index=summary.index,
    )


@dataclass(frozen=True)
class ClvResult:
    bgnbd: BgNbdFit
    gamma_gamma: GammaGammaFit
    scores: pd.DataFrame  # indexed by partner: p_alive, expected_purchases, expected_value, clv


def predict(orders, end=None, *, sample_size=SAMPLE_SIZE, seed=0, weeks=HORIZON_WEEKS, annual_discount=ANNUAL_DISCOUNT):
    """Summarise ``orders``, fit both models on a sample and score every partner (see the module docstring)."""
    summary = summarize(orders, end)
    bgnbd = fit_bgnbd(summary["frequency"], summary["recency"], summary["T"], sample_size=sample_size, seed=seed)
    gamma_gamma = fit_gamma_gamma(summary["frequency"], summary["monetary"], sample_size=sample_size, seed=seed)
    scores = score(summary, bgnbd.params, gamma_gamma.params, weeks=weeks, annual_discount=annual_discount)
    return ClvResult(bgnbd, gamma_gamma, scores)
