"""Product recommendations per member: the reference rule, framework-free.

``member.recommendation._member_recommend_refresh`` applies the same rule in one
SQL statement per company; the root tests pin it down here with literal numbers,
and the Odoo tests check that the SQL and this module agree.

Input: the members' basket lines of the last 12 months, one row per (basket,
product) with a positive net quantity, already stripped of reward, gift card,
tip, combo and delivery lines (the SQL does that; see the model). A basket is a
paid POS order or a confirmed sale order.

Three reasons, each scored in [0, 1]:

- **cooccurrence**: item-to-item cosine over all the company's member baskets,
  ``cos(i, j) = n_ij / sqrt(n_i * n_j)`` where ``n_i`` counts the baskets with
  ``i`` and ``n_ij`` those with both; pairs with ``n_ij < MIN_SUPPORT`` are
  dropped. A member's score for a product ``j`` they never bought in the window
  is the mean over their distinct products ``i`` of ``cos(i, j)`` (0 when not a
  pair): the classic item-based sum, divided by the history size to stay <= 1.
- **replenishment**: a product bought on at least ``MIN_PURCHASES`` distinct
  days; ``g`` is the median gap between consecutive days; it is due when the
  days since the last purchase ``d`` reach ``DUE_FACTOR * g``; score
  ``DUE_FACTOR * g / d`` (1 on the due day, halving as the delay doubles).
- **promotion**: a product of a running promotion; the member's affinity for its
  product category by frequency and amount: ``(f + a) / 2`` with ``f`` the
  share of the member's baskets holding that category and ``a`` the share of
  their untaxed spend in it; only when ``f > 0``.

A product's score is its best reason's (on equal scores: replenishment, then
cooccurrence, then promotion). Products bought in the last ``RECENT_DAYS`` days
(today and the 29 days before) are left out. Scores are rounded to
``SCORE_DIGITS`` decimals, then the top ``TOP_N`` by score (highest first),
ties by product id (lowest first).
"""

import dataclasses
import datetime as dt
import math
import statistics
from collections import defaultdict
from itertools import combinations, pairwise

WINDOW_MONTHS = 12
MIN_SUPPORT = 3
MIN_PURCHASES = 3
DUE_FACTOR = 0.8
RECENT_DAYS = 30
TOP_N = 10
SCORE_DIGITS = 6

COOCCURRENCE = "cooccurrence"
REPLENISHMENT = "replenishment"
PROMOTION = "promotion"
# on equal scores, the first reason is kept
REASON_PRIORITY = (REPLENISHMENT, COOCCURRENCE, PROMOTION)


@dataclasses.dataclass(frozen=True)
class Line:
    """A product in a member's basket: one row per (basket, product), positive net quantity."""

    member: int
    basket: int
    product: int
    day: dt.date
    amount: float = 0.0
    category: int | None = None


@dataclasses.dataclass(frozen=True)
class Recommendation:
    product: int
    rank: int
    score: float
    reason: str


def cosine_similarities(lines, min_support=MIN_SUPPORT):
    """``{(i, j): cos}`` for both orders of each pair with support >= ``min_support``."""
    baskets = defaultdict(set)
    for line in lines:
        baskets[line.basket].add(line.product)
    item_count = defaultdict(int)
    pair_count = defaultdict(int)
    for items in baskets.values():
        for item in items:
            item_count[item] += 1
        for i, j in combinations(sorted(items), 2):
            pair_count[i, j] += 1
    similarities = {}
    for (i, j), count in pair_count.items():
        if count >= min_support:
            similarities[i, j] = similarities[j, i] = count / math.sqrt(item_count[i] * item_count[j])
    return similarities


def cooccurrence_scores(history, similarities):
    """``{product: score}`` for products not in ``history`` (the member's distinct products)."""
    history = set(history)
    if not history:
        return {}
    sums = defaultdict(float)
    for (i, j), cosine in similarities.items():
        if i in history and j not in history:
            sums[j] += cosine
    return {product: total / len(history) for product, total in sums.items()}


def replenishment_scores(days_by_product, today):
    """``{product: score}`` for the due products; ``days_by_product``: ``{product: purchase days}``."""
    scores = {}
    for product, days in days_by_product.items():
        days = sorted(set(days))
        if len(days) < MIN_PURCHASES:
            continue
        gap = statistics.median((b - a).days for a, b in pairwise(days))
        due_after = DUE_FACTOR * gap
        since = (today - days[-1]).days
        if since > 0 and since >= due_after:
            scores[product] = due_after / since
    return scores


def promotion_scores(lines, promoted):
    """``{product: score}`` for the member's ``lines`` and ``promoted``: ``{product: category}``."""
    baskets = {line.basket for line in lines}
    if not baskets:
        return {}
    baskets_by_category = defaultdict(set)
    amount_by_category = defaultdict(float)
    for line in lines:
        baskets_by_category[line.category].add(line.basket)
        amount_by_category[line.category] += line.amount
    total = sum(line.amount for line in lines)
    scores = {}
    for product, category in promoted.items():
        frequency = len(baskets_by_category.get(category, ())) / len(baskets)
        if not frequency:
            continue
        amount = amount_by_category[category] / total if total > 0 else 0.0
        scores[product] = (frequency + amount) / 2
    return scores


def rank(candidates, excluded=(), top_n=TOP_N):
    """The top ``top_n`` of ``candidates``: ``{reason: {product: score}}``, without ``excluded``."""
    best = {}
    for reason in reversed(REASON_PRIORITY):  # a better or equal score of an earlier reason wins
        for product, score in candidates.get(reason, {}).items():
            score = round(score, SCORE_DIGITS)
            if product in excluded or score <= 0:
                continue
            if product not in best or score >= best[product][0]:
                best[product] = (score, reason)
    ordered = sorted(best.items(), key=lambda item: (-item[1][0], item[0]))[:top_n]
    return [
        Recommendation(product=product, rank=position, score=score, reason=reason)
        for position, (product, (score, reason)) in enumerate(ordered, start=1)
    ]


def recommend(lines, today, promoted=None, top_n=TOP_N):
    """``{member: [Recommendation]}`` for all members in ``lines`` (one company, last 12 months)."""
    promoted = promoted or {}
    similarities = cosine_similarities(lines)
    by_member = defaultdict(list)
    for line in lines:
        by_member[line.member].append(line)
    result = {}
    for member, member_lines in by_member.items():
        days_by_product = defaultdict(set)
        for line in member_lines:
            days_by_product[line.product].add(line.day)
        recent = {product for product, days in days_by_product.items() if (today - max(days)).days < RECENT_DAYS}
        candidates = {
            COOCCURRENCE: cooccurrence_scores(days_by_product, similarities),
            REPLENISHMENT: replenishment_scores(days_by_product, today),
            PROMOTION: promotion_scores(member_lines, promoted),
        }
        result[member] = rank(candidates, excluded=recent, top_n=top_n)
    return result
