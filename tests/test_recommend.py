"""engine.recommend on a small fixed basket set, with hand-computed scores.

The same baskets as member_crm_marketing/tests/test_member_recommendation.py (there as real POS and
sale orders), so the SQL refresh and this reference give the same literal numbers.

Products 1, 2, 5, 6 are in category 10; 3, 4, 7 in category 20. Prices: 1 = 10, 2 = 30, 3 = 60,
4 = 40, 5 = 20. Basket counts over the member baskets of the window: n1 = 5, n2 = 5, n3 = 4;
pairs (1, 2) = 4, (1, 3) = 3, (2, 3) = 3, every other pair < 3.
"""

import datetime as dt
import math

import pytest

from member_crm_marketing.engine import recommend
from member_crm_marketing.engine.recommend import COOCCURRENCE, PROMOTION, REPLENISHMENT, Line

TODAY = dt.date(2025, 6, 30)
PRICE = {1: 10.0, 2: 30.0, 3: 60.0, 4: 40.0, 5: 20.0, 7: 15.0}
CATEGORY = {1: 10, 2: 10, 3: 20, 4: 20, 5: 10, 6: 10, 7: 20}
A, B, C, D, E, F = 1, 2, 3, 4, 5, 6
PROMOTED = {5: 10, 6: 10}  # a promotion on products 5 and 6, both in category 10


def _basket(member, basket, days_ago, products):
    day = TODAY - dt.timedelta(days=days_ago)
    return [Line(member, basket, p, day, PRICE[p], CATEGORY[p]) for p in products]


def fixture_lines():
    """Baskets of the window (the caller has already dropped tip, reward and older lines)."""
    baskets = [
        (A, 170, [1, 2]),
        (B, 140, [1, 2, 3]),
        (C, 110, [1, 2, 3]),
        (D, 80, [1, 3]),
        (D, 50, [2, 3, 4]),
        (E, 60, [1, 2]),
        (A, 10, [5]),  # bought 10 days ago: 5 is not recommended to A
        (F, 200, [4]),  # 4 on days -200, -160, -130: gaps 40, 30, median 35, due after 28 days
        (F, 160, [4]),
        (F, 130, [4]),
        (F, 330, [7]),  # 7 on days -330, -210, -90: gaps 120, due after 96 days: not yet
        (F, 210, [7]),
        (F, 90, [7]),
    ]
    lines = []
    for number, (member, days_ago, products) in enumerate(baskets, start=1):
        lines += _basket(member, number, days_ago, products)
    return lines


def test_cosine_similarities_support_three():
    similarities = recommend.cosine_similarities(fixture_lines())
    assert similarities[1, 2] == similarities[2, 1] == 0.8  # 4 / sqrt(5 x 5)
    assert similarities[1, 3] == pytest.approx(3 / math.sqrt(20))  # 0.670820
    assert similarities[2, 3] == pytest.approx(0.670820, abs=1e-6)
    assert (3, 4) not in similarities  # together once only
    assert len(similarities) == 6


def test_top_n_hand_computed():
    result = recommend.recommend(fixture_lines(), TODAY, promoted=PROMOTED)
    as_tuples = {member: [(r.rank, r.product, r.score, r.reason) for r in recs] for member, recs in result.items()}
    assert as_tuples == {
        # basket shares in category 10: 2/2, spend 60/60 -> 1.0; 3: (0.670820 + 0.670820) / 3 products
        A: [(1, 6, 1.0, PROMOTION), (2, 3, 0.447214, COOCCURRENCE)],
        # 1/1 baskets, spend 40/100: (1 + 0.4) / 2; ties by product id
        B: [(1, 5, 0.7, PROMOTION), (2, 6, 0.7, PROMOTION)],
        C: [(1, 5, 0.7, PROMOTION), (2, 6, 0.7, PROMOTION)],
        # 2/2 baskets, spend 40/200
        D: [(1, 5, 0.6, PROMOTION), (2, 6, 0.6, PROMOTION)],
        E: [(1, 5, 1.0, PROMOTION), (2, 6, 1.0, PROMOTION), (3, 3, 0.67082, COOCCURRENCE)],
        # 0.8 x 35 = 28 days due, last bought 130 days ago: 28 / 130
        F: [(1, 4, 0.215385, REPLENISHMENT)],
    }


def test_replenishment_due_rule():

    def day(days_ago):
        return TODAY - dt.timedelta(days=days_ago)

    # two gaps: the median is their mean (10, 30 -> 20): due after 16 days
    assert recommend.replenishment_scores({9: [day(45), day(35), day(5)]}, TODAY) == {}  # 5 days: not yet
    assert recommend.replenishment_scores({9: [day(72), day(62), day(32)]}, TODAY) == {9: 0.5}  # 16 / 32
    # twice on a day counts once: two days are not enough
    assert recommend.replenishment_scores({9: [day(80), day(80), day(50)]}, TODAY) == {}


def test_rank_exclusions_ties_and_top_n():
    candidates = {
        PROMOTION: {7: 0.5, 8: 0.5, 9: 0.9},
        REPLENISHMENT: {7: 0.5, 4: 0.2},
        COOCCURRENCE: {8: 0.5000001, 3: 0.0},
    }
    ranked = recommend.rank(candidates, excluded={9})
    assert [(r.product, r.score, r.reason) for r in ranked] == [
        (7, 0.5, REPLENISHMENT),  # equal score: replenishment before promotion
        (8, 0.5, COOCCURRENCE),  # 0.5000001 rounds to 0.5: cooccurrence before promotion
        (4, 0.2, REPLENISHMENT),
    ]  # 9 excluded, 3 scored 0
    assert [r.product for r in recommend.rank(candidates, top_n=2)] == [9, 7]


def test_top_ten_at_most():
    lines = []
    for basket in range(1, 4):  # product 1 with each of 2..13 in three baskets: support 3
        lines += [Line(1, basket, product, TODAY - dt.timedelta(days=100), 1.0, 1) for product in range(1, 14)]
    lines += [Line(2, 10, 1, TODAY - dt.timedelta(days=100), 1.0, 1)]
    recs = recommend.recommend(lines, TODAY)[2]
    assert [r.product for r in recs] == list(range(2, 12))
    assert [r.rank for r in recs] == list(range(1, 11))
    assert {r.score for r in recs} == {0.866025}  # 3 / sqrt(4 x 3): 1 is in 4 baskets, each other in 3
