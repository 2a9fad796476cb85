"""The RFM reference rule on a small literal ledger, with hand-computed expectations."""

import datetime as dt
from decimal import Decimal

import pytest

from member_crm.engine import rfm

D = dt.date
E = rfm.Entry
TODAY = D(2025, 6, 30)  # window: 2024-07-01 .. 2025-06-30


def ledger():
    return {
        # three orders in the window
        11: [E(D(2025, 6, 20), "order", 1, 100), E(D(2025, 1, 10), "order", 1, 200), E(D(2024, 8, 1), "order", 1, 300)],
        12: [E(D(2025, 6, 29), "order", 1, 1000)],
        # two orders on one day
        13: [E(D(2025, 3, 1), "order", 1, 50), E(D(2025, 3, 1), "order", 1, 70)],
        # a partial refund (still one order) and a cancelled order
        14: [
            E(D(2025, 6, 20), "order", 1, 500),
            E(D(2025, 6, 20), "refund", 0, -200),
            E(D(2024, 12, 1), "order", 1, 400),
            E(D(2024, 12, 1), "cancel", -1, -400),
        ],
        # the later order refunded in full: the last net order is the earlier one
        15: [
            E(D(2025, 5, 1), "order", 1, 800),
            E(D(2025, 5, 1), "refund", -1, -800),
            E(D(2025, 2, 1), "order", 1, 250),
        ],
        # opening, feedback and correction entries never count
        16: [
            E(D(2025, 6, 1), "opening", 5, 5000),
            E(D(2025, 6, 25), "feedback", 0, 0),
            E(D(2025, 6, 10), "correction", 1, 100),
        ],
        # one day before the window, and one after today: inactive, but a recency
        17: [E(D(2024, 6, 30), "order", 1, 900), E(D(2025, 7, 2), "order", 1, 999)],
        # the window's first day counts
        18: [E(D(2024, 7, 1), "order", 1, 40)],
        19: [],
    }


def test_window_is_twelve_months_ending_today():
    assert rfm.window(TODAY) == (D(2024, 7, 1), TODAY)
    assert rfm.window(D(2024, 2, 29)) == (D(2023, 3, 1), D(2024, 2, 29))


def test_measures():
    got = {
        k: (m.recency_days, m.frequency, m.monetary)
        for k, m in ((k, rfm.measures(v, TODAY)) for k, v in ledger().items())
    }
    assert got == {
        11: (10, 3, Decimal(600)),
        12: (1, 1, Decimal(1000)),
        13: (121, 2, Decimal(120)),
        14: (10, 1, Decimal(300)),
        15: (149, 1, Decimal(250)),
        16: (None, 0, Decimal(0)),
        17: (365, 0, Decimal(0)),
        18: (364, 1, Decimal(40)),
        19: (None, 0, Decimal(0)),
    }


def test_scores_and_segments():
    # n = 6 active members; score = ceil(5 * rank / 6): ranks 1..6 -> 1, 2, 3, 4, 5, 5
    # R worst first: 18 (364 d), 15 (149), 13 (121), 11 (10), 14 (10: tie, higher id), 12 (1)
    # F worst first: 12, 14, 15, 18 (1 order each, by id), 13 (2), 11 (3)
    # M worst first: 18 (40), 13 (120), 15 (250), 14 (300), 11 (600), 12 (1000)
    got = {k: (r.r_score, r.f_score, r.m_score, r.segment) for k, r in rfm.rfm(ledger(), TODAY).items()}
    assert got == {
        11: (4, 5, 5, "important_value"),
        12: (5, 1, 5, "important_development"),
        13: (3, 5, 2, "general_value"),
        14: (5, 2, 4, "important_development"),
        15: (2, 3, 3, "important_retention"),
        16: (None, None, None, "inactive"),
        17: (None, None, None, "inactive"),
        18: (1, 4, 1, "general_retention"),
        19: (None, None, None, "inactive"),
    }


@pytest.mark.parametrize(
    "scores, expected",
    [
        ((3, 3, 3), "important_value"),
        ((5, 2, 3), "important_development"),
        ((2, 5, 4), "important_retention"),
        ((1, 1, 5), "important_winback"),
        ((3, 3, 2), "general_value"),
        ((4, 1, 1), "general_development"),
        ((2, 3, 2), "general_retention"),
        ((2, 2, 2), "general_winback"),
        ((None, None, None), "inactive"),
    ],
)
def test_segment_eight_classes(scores, expected):
    assert rfm.segment(*scores) == expected


def test_score_edges():
    assert [rfm.score(r, 1) for r in (1,)] == [5]
    assert [rfm.score(r, 3) for r in (1, 2, 3)] == [2, 4, 5]
    assert [rfm.score(r, 10) for r in range(1, 11)] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    with pytest.raises(ValueError):
        rfm.score(0, 3)


def test_segment_keys_and_labels():
    assert [key for key, _en, _zh in rfm.SEGMENTS] == [
        "important_value",
        "important_development",
        "important_retention",
        "important_winback",
        "general_value",
        "general_development",
        "general_retention",
        "general_winback",
        "inactive",
    ]
    assert [zh for _key, _en, zh in rfm.SEGMENTS] == [
        "重要价值",
        "重要发展",
        "重要保持",
        "重要挽留",
        "一般价值",
        "一般发展",
        "一般保持",
        "一般挽留",
        "不活跃",
    ]
