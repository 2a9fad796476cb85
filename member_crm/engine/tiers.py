"""Tier rules: qualification, ladder validation, review decisions, simulation.

Framework-free: the Odoo models feed aggregates (spend, orders, category spend,
feedback over the qualification window) and apply what these functions decide.
Tiers are identified by an opaque ``key`` (the Odoo record id) and ordered by
``level``.
"""

import calendar
import datetime as dt
import functools
import itertools
from collections import Counter
from dataclasses import dataclass, field

ALL, ANY = "all", "any"
ROLLING, CALENDAR = "rolling", "calendar"

UP, DOWN, NOTIFY, KEEP, NONE = "up", "down", "notify", "keep", "none"


class LadderError(ValueError):
    """An invalid configuration. ``code`` and ``params`` let the caller translate the message."""

    def __init__(self, code, message, **params):
        super().__init__(message.format(**params))
        self.code, self.message, self.params = code, message, params


@dataclass(frozen=True)
class TierRule:
    key: object
    level: int
    name: str = ""
    min_spend: float = 0.0
    min_orders: int = 0
    min_category_spend: float = 0.0
    min_feedback: int = 0
    operator: str = ALL
    invitation_only: bool = False

    def criteria(self):
        """The criteria this tier uses, as (name, threshold) pairs."""
        return list(self._criteria)

    @functools.cached_property
    def _criteria(self):
        # computed once per rule: the review asks a million times
        pairs = (
            ("spend", self.min_spend),
            ("orders", self.min_orders),
            ("category_spend", self.min_category_spend),
            ("feedback", self.min_feedback),
        )
        return tuple((name, value) for name, value in pairs if value)


@dataclass(frozen=True)
class Qualification:
    """What a member did in the window. ``category_spend`` maps tier key -> spend in that tier's categories."""

    spend: float = 0.0
    orders: int = 0
    feedback: int = 0
    category_spend: dict = field(default_factory=dict)


def qualifies(rule: TierRule, q: Qualification) -> bool:
    if rule.invitation_only:
        return False
    criteria = rule._criteria
    if not criteria:  # the entry tier: no criterion
        return True
    want_all = rule.operator == ALL
    for name, threshold in criteria:
        if name == "category_spend":
            value = q.category_spend.get(rule.key, 0.0)
        else:
            value = getattr(q, name)
        if (value >= threshold - 1e-9) != want_all:
            return not want_all
    return want_all


def ladder(rules):
    """Rule-based tiers (no invitation-only ones), lowest level first."""
    if isinstance(rules, tuple):
        return _ladder_cached(rules)
    return sorted((r for r in rules if not r.invitation_only), key=lambda r: r.level)


@functools.lru_cache(maxsize=256)
def _ladder_cached(rules):
    # the review calls this once per member with the same tuple of rules
    return tuple(sorted((r for r in rules if not r.invitation_only), key=lambda r: r.level))


def qualified_tier(rules, q: Qualification):
    """The highest rule-based tier whose criteria hold, or None (no entry tier)."""
    for rule in reversed(ladder(rules)):
        if qualifies(rule, q):
            return rule
    return None


def validate_ladder(rules, window_months=12):
    """Raise LadderError on an invalid ladder.

    Refused: negative thresholds, a window of 0 months, two tiers with the same
    level, and a rule-based tier whose thresholds do not increase over the tier
    below it (each criterion at least as high, one of them higher), which
    would make tiers overlap.
    """
    if not isinstance(window_months, int) or window_months < 1:
        raise LadderError(
            "window", "The qualification window must be at least one month, not {months}.", months=window_months
        )
    levels = Counter(r.level for r in rules)
    for level, count in levels.items():
        if count > 1:
            names = ", ".join(sorted(r.name for r in rules if r.level == level))
            raise LadderError("same_level", "Tiers {names} have the same level {level}.", names=names, level=level)
    for rule in rules:
        for name, value in (
            ("spend", rule.min_spend),
            ("orders", rule.min_orders),
            ("category_spend", rule.min_category_spend),
            ("feedback", rule.min_feedback),
        ):
            if value < 0:
                raise LadderError(
                    "negative", "Tier {tier}: {criterion} cannot be negative.", tier=rule.name, criterion=name
                )
        if rule.operator not in (ALL, ANY):
            raise LadderError("operator", "Tier {tier}: unknown rule operator {op}.", tier=rule.name, op=rule.operator)
    steps = ladder(rules)
    for lower, higher in itertools.pairwise(steps):
        pairs = [
            (lower.min_spend, higher.min_spend),
            (lower.min_orders, higher.min_orders),
            (lower.min_category_spend, higher.min_category_spend),
            (lower.min_feedback, higher.min_feedback),
        ]
        if any(h < lo for lo, h in pairs) or not any(h > lo for lo, h in pairs):
            raise LadderError(
                "not_increasing",
                "Tier {higher} must ask for more than tier {lower} below it: thresholds may not decrease, "
                "and at least one must increase.",
                higher=higher.name,
                lower=lower.name,
            )


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def window_start(as_of: dt.date, kind: str = ROLLING, months: int = 12) -> dt.date:
    """First day counted in the qualification window ending on ``as_of`` (included)."""
    if kind == CALENDAR:
        return dt.date(as_of.year, 1, 1)
    if kind != ROLLING:
        raise ValueError(f"unknown window kind {kind!r}")
    if months < 1:
        raise ValueError("window must be at least one month")
    return add_months(as_of, -months) + dt.timedelta(days=1)


@dataclass(frozen=True)
class MemberState:
    """A member's tier state as the review sees it."""

    key: object
    tier: object  # tier key or None
    protected_until: dt.date | None = None
    grace_since: dt.date | None = None  # the day the member was told of a coming drop


@dataclass(frozen=True)
class Decision:
    action: str  # UP, DOWN, NOTIFY, KEEP (protected / in grace), NONE
    tier: object  # the tier after the review
    grace_since: dt.date | None = None


def review(
    state: MemberState,
    rules,
    q: Qualification,
    today: dt.date,
    max_drop: int = 1,
    grace_days: int = 30,
) -> Decision:
    """Decide a member's tier at a periodic review.

    - Invitation-only tiers are never touched.
    - Qualifying for a higher tier: up at once.
    - Qualifying for a lower tier: nothing while the tier is protected (keep
      rule); then the member is notified and keeps the tier for ``grace_days``
      (grace); after that the member drops, at most ``max_drop`` levels of the
      ladder per review.
    - Qualifying again for the current tier (or higher) ends a grace period.
    """
    steps = ladder(rules)
    position = _positions(steps) if isinstance(steps, tuple) else {r.key: i for i, r in enumerate(steps)}
    if state.tier is not None and state.tier not in position and _is_invitation_only(rules, state.tier):
        return Decision(NONE, state.tier, state.grace_since)
    target = qualified_tier(rules, q)
    current_pos = position.get(state.tier, -1)
    target_pos = position.get(target.key, -1) if target else -1
    if target_pos > current_pos:
        return Decision(UP, target.key, None)
    if target_pos == current_pos:
        return Decision(NONE, state.tier, None)
    if state.protected_until and today <= state.protected_until:
        return Decision(KEEP, state.tier, state.grace_since)
    if grace_days > 0:
        if state.grace_since is None:
            return Decision(NOTIFY, state.tier, today)
        if today < state.grace_since + dt.timedelta(days=grace_days):
            return Decision(KEEP, state.tier, state.grace_since)
    new_pos = max(target_pos, current_pos - max(1, max_drop))
    new_tier = steps[new_pos].key if new_pos >= 0 else None
    return Decision(DOWN, new_tier, None)


@functools.lru_cache(maxsize=256)
def _positions(steps):
    return {r.key: i for i, r in enumerate(steps)}


def _is_invitation_only(rules, key):
    return any(r.key == key and r.invitation_only for r in rules)


def instant_upgrade(current_tier, rules, q: Qualification):
    """The tier to move to right after an order, or None: upgrades only, never down."""
    by_key = {r.key: r for r in rules}
    current = by_key.get(current_tier)
    if current is not None and current.invitation_only:
        return None
    target = qualified_tier(rules, q)
    if target is None:
        return None
    if current is None or target.level > current.level:
        return target.key
    return None


def summarize(moves):
    """Counts of a simulation: {'up': n, 'down': n, 'stay': n, 'by_tier': {(from, to): n}}."""
    counts = Counter()
    by_tier = Counter()
    for before, after, direction in moves:
        counts[direction] += 1
        by_tier[(before, after)] += 1
    return {"up": counts[UP], "down": counts[DOWN], "stay": counts["stay"], "by_tier": dict(by_tier)}


def placement(current_tier, rules, q: Qualification):
    """Where a member belongs from their history alone (simulation and backfill).

    Invitation-only tiers stay; everybody else goes to the tier they qualify for.
    Returns (tier, direction) with direction 'up', 'down' or 'stay'.
    """
    by_key = {r.key: r for r in rules}
    current = by_key.get(current_tier)
    if current is not None and current.invitation_only:
        return current_tier, "stay"
    target = qualified_tier(rules, q)
    target_key = target.key if target else None
    if target_key == current_tier:
        return current_tier, "stay"
    current_level = current.level if current else float("-inf")
    target_level = target.level if target else float("-inf")
    return target_key, (UP if target_level > current_level else DOWN)


# ----------------------------------------------------------------------
# The review as SQL: the same decisions as ``review()``, set-based
# ----------------------------------------------------------------------
# A million-member review cannot afford a Python call per member: the Odoo
# side runs these expressions inside one statement per batch and writes only
# the rows that change. ``review()`` stays the reference; a framework-free
# test evaluates the compiled SQL in SQLite against it on random members.

# the action codes the compiled SQL yields (string literals of our own)
SQL_ACTIONS = (UP, DOWN, NOTIFY, KEEP, NONE)


@dataclass(frozen=True)
class SqlExpr:
    text: str
    params: tuple


def category_column(key):
    """Name of the column holding a member's spend in the categories of tier ``key``."""
    return f"cat_{int(key)}" if isinstance(key, int) else f"cat_{key}"


def _condition(rule, ph):
    criteria = rule._criteria
    if not criteria:
        return "(1 = 1)", ()
    parts, params = [], []
    for name, threshold in criteria:
        column = category_column(rule.key) if name == "category_spend" else name
        parts.append(f"{column} >= {ph}")
        params.append(threshold - 1e-9)  # the tolerance of qualifies()
    joiner = " AND " if rule.operator == ALL else " OR "
    return "(" + joiner.join(parts) + ")", tuple(params)


def compile_review_sql(rules, today, max_drop=1, grace_days=30, placeholder="%s"):
    """Compile ``review()`` for one ladder into SQL expressions.

    Returns a dict of ``SqlExpr`` evaluated in three nested selects:

    - ``qpos``: position in the ladder of the highest tier qualified for (-1:
      none), over the columns ``spend``, ``orders``, ``feedback`` and
      ``category_column(key)`` for the tiers in ``category_keys``;
    - ``cpos``: position of the current tier, over ``tier_id`` (-1: no tier,
      NULL: an invitation-only tier, which the review never touches);
    - ``action``: one of ``SQL_ACTIONS``, over ``qpos``, ``cpos``,
      ``protected_until`` and ``grace_since`` (dates);
    - ``target``: the tier key after the review, over ``action``, ``qpos``,
      ``cpos`` and ``tier_id``.

    and ``category_keys``: the tiers whose category spend the caller provides.
    Tier keys must be integers (Odoo ids); thresholds and dates are parameters.
    """
    ph = placeholder
    steps = ladder(tuple(rules))
    invitation = [r.key for r in rules if r.invitation_only]

    whens, params = [], []
    for position in range(len(steps) - 1, -1, -1):
        condition, cond_params = _condition(steps[position], ph)
        whens.append(f"WHEN {condition} THEN {ph}")
        params.extend((*cond_params, position))
    qpos = SqlExpr(f"(CASE {' '.join(whens)} ELSE -1 END)" if whens else "(-1)", tuple(params))

    whens, params = ["WHEN tier_id IS NULL THEN -1"], []
    for key in invitation:
        whens.append(f"WHEN tier_id = {ph} THEN NULL")
        params.append(key)
    for position, rule in enumerate(steps):
        whens.append(f"WHEN tier_id = {ph} THEN {ph}")
        params.extend((rule.key, position))
    cpos = SqlExpr(f"(CASE {' '.join(whens)} ELSE -1 END)", tuple(params))

    whens = [
        f"WHEN cpos IS NULL THEN '{NONE}'",
        f"WHEN qpos > cpos THEN '{UP}'",
        f"WHEN qpos = cpos THEN '{NONE}'",
        f"WHEN protected_until IS NOT NULL AND protected_until >= {ph} THEN '{KEEP}'",
    ]
    params = [today]
    if grace_days > 0:
        whens += [f"WHEN grace_since IS NULL THEN '{NOTIFY}'", f"WHEN grace_since > {ph} THEN '{KEEP}'"]
        params.append(today - dt.timedelta(days=grace_days))
    action = SqlExpr(f"(CASE {' '.join(whens)} ELSE '{DOWN}' END)", tuple(params))

    drop = max(1, max_drop)
    new_pos = f"(CASE WHEN action = '{UP}' THEN qpos WHEN qpos > cpos - {ph} THEN qpos ELSE cpos - {ph} END)"
    whens, params = [], [drop, drop]
    for position, rule in enumerate(steps):
        whens.append(f"WHEN {ph} THEN {ph}")
        params.extend((position, rule.key))
    by_position = f"(CASE {new_pos} {' '.join(whens)} ELSE NULL END)" if whens else "(NULL)"
    target = SqlExpr(
        f"(CASE WHEN action IN ('{UP}', '{DOWN}') THEN {by_position} ELSE tier_id END)",
        tuple(params),
    )
    return {
        "qpos": qpos,
        "cpos": cpos,
        "action": action,
        "target": target,
        "category_keys": tuple(r.key for r in steps if r.min_category_spend),
    }
