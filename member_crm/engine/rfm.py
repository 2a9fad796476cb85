"""RFM scores and the 8-class segment model: the reference rule, in plain Python.

``member.rfm._member_rfm_refresh`` computes the same thing in one SQL statement per
company; tests compare the two on the same ledger.

Measures, per member, from the ledger's order, refund and cancellation entries
(opening, feedback and correction entries never count). Refunds and
cancellations carry their original's date, so netting by day is netting by
order:

- recency: days from the last day with a net order (order count of that day's
  entries > 0, in any period) to today; ``None`` when there is none;
- frequency: net orders (sum of order counts) dated in the 12 months ending today;
- monetary: net untaxed spend (sum of amounts) dated in the same 12 months.

Scores, per company, among the members with frequency > 0 (``n`` of them): each
measure is ranked from worst to best (recency: most days first; frequency and
monetary: smallest first), ties broken by partner id (the lower id first, so it
ranks lower); score = ceil(5 x rank / n), from 1 to 5. Members with no net order
in the 12 months have no score and the segment ``inactive``.

Segment: the Chinese 8-class model. A score is *high* when it is >= 3. Monetary
decides important (重要) or general (一般); recency and frequency decide value
(R and F high), development (R high, F low), retention (R low, F high) or
win-back (R and F low).
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from .tiers import ROLLING, window_start

COUNTED_KINDS = ("order", "refund", "cancel")
WINDOW_MONTHS = 12
HIGH = 3  # a score >= HIGH is high
SCORES = 5
INACTIVE = "inactive"

# key, English label, Chinese label (the English label is the source string; zh_CN.po ships the Chinese)
SEGMENTS = (
    ("important_value", "Important Value", "重要价值"),
    ("important_development", "Important Development", "重要发展"),
    ("important_retention", "Important Retention", "重要保持"),
    ("important_winback", "Important Win-back", "重要挽留"),
    ("general_value", "General Value", "一般价值"),
    ("general_development", "General Development", "一般发展"),
    ("general_retention", "General Retention", "一般保持"),
    ("general_winback", "General Win-back", "一般挽留"),
    (INACTIVE, "Inactive", "不活跃"),
)


@dataclass(frozen=True)
class Entry:
    """One ledger entry as the RFM reads it."""

    date: dt.date
    kind: str
    order_count: int
    amount: Decimal | float


@dataclass(frozen=True)
class Measures:
    last_order: dt.date | None  # the last day with a net order, any period
    recency_days: int | None
    frequency: int
    monetary: Decimal


@dataclass(frozen=True)
class Result:
    measures: Measures
    r_score: int | None
    f_score: int | None
    m_score: int | None
    segment: str


def window(today: dt.date) -> tuple[dt.date, dt.date]:
    """(first day, last day) of the 12 months ending ``today`` (both included), as the tier windows."""
    return window_start(today, ROLLING, WINDOW_MONTHS), today


def measures(entries: Iterable[Entry], today: dt.date) -> Measures:
    """Recency, frequency and monetary of one member's ledger as of ``today`` (later entries ignored)."""
    start, _stop = window(today)
    by_day = defaultdict(int)
    frequency, monetary = 0, Decimal(0)
    for entry in entries:
        if entry.kind not in COUNTED_KINDS or entry.date > today:
            continue
        by_day[entry.date] += entry.order_count
        if entry.date >= start:
            frequency += entry.order_count
            monetary += Decimal(str(entry.amount))
    last = max((day for day, count in by_day.items() if count > 0), default=None)
    return Measures(
        last_order=last,
        recency_days=(today - last).days if last else None,
        frequency=frequency,
        monetary=monetary,
    )


def score(rank: int, n: int) -> int:
    """ceil(5 x rank / n) for 1 <= rank <= n, in integers (the SQL does the same)."""
    if not 1 <= rank <= n:
        raise ValueError(f"rank {rank} out of 1..{n}")
    return -(-SCORES * rank // n)


def rank_scores(values: dict, worst_first_key) -> dict:
    """{member key: score}: members sorted from worst to best by ``worst_first_key(value)``, then by member key."""
    ordered = sorted(values, key=lambda member: (worst_first_key(values[member]), member))
    n = len(ordered)
    return {member: score(rank, n) for rank, member in enumerate(ordered, start=1)}


def segment(r_score: int | None, f_score: int | None, m_score: int | None) -> str:
    """The 8-class segment of three scores; ``inactive`` without scores."""
    if r_score is None or f_score is None or m_score is None:
        return INACTIVE
    r_high, f_high, m_high = r_score >= HIGH, f_score >= HIGH, m_score >= HIGH
    kind = {(True, True): "value", (True, False): "development", (False, True): "retention", (False, False): "winback"}
    return f"{'important' if m_high else 'general'}_{kind[(r_high, f_high)]}"


def rfm(ledgers: dict, today: dt.date) -> dict:
    """{member key (the partner id): Result} for one company's members.

    ``ledgers``: {partner id: [Entry, ...]} of every member to score (an empty list: no entry).
    """
    figures = {member: measures(entries, today) for member, entries in ledgers.items()}
    active = {member: m for member, m in figures.items() if m.frequency > 0}
    r = rank_scores(active, lambda m: -m.recency_days)  # more days ago is worse: it comes first
    f = rank_scores(active, lambda m: m.frequency)
    m_ = rank_scores(active, lambda m: m.monetary)
    results = {}
    for member, figure in figures.items():
        scores = (r.get(member), f.get(member), m_.get(member))
        results[member] = Result(figure, *scores, segment(*scores))
    return results
