"""The compiled review SQL decides exactly as ``review()`` does.

The SQL runs in SQLite here (no database server, no Odoo): random members on
random ladders, the Python function as the oracle.
"""

import datetime as dt
import random
import sqlite3

import pytest

from member_crm.engine import tiers as t

TODAY = dt.date(2026, 11, 23)


def random_ladder(rng):
    """A valid ladder of 1-6 rule tiers with mixed criteria, plus maybe an invitation-only tier."""
    rules, spend, orders, categ, feedback = [], 0.0, 0, 0.0, 0
    use_categ, use_feedback = rng.random() < 0.4, rng.random() < 0.4
    for index in range(rng.randint(1, 6)):
        if index:  # each tier asks for more than the one below
            spend += rng.choice([0, 500, 1999.99, 6000])
            orders += rng.choice([0, 1, 3])
            categ += rng.choice([0, 800.5]) if use_categ else 0
            feedback += rng.choice([0, 1, 2]) if use_feedback else 0
            if not (spend or orders or categ or feedback) or rng.random() < 0.2:
                spend += 100
        rules.append(
            t.TierRule(
                key=100 + index,
                level=10 * index + rng.randint(0, 5),
                min_spend=spend,
                min_orders=orders,
                min_category_spend=categ,
                min_feedback=feedback,
                operator=rng.choice([t.ALL, t.ANY]),
            )
        )
    if rng.random() < 0.1:  # no entry tier: members may qualify for nothing
        rules = rules[1:] or rules
    if rng.random() < 0.5:
        rules.append(t.TierRule(key=999, level=1000, invitation_only=True))
    rng.shuffle(rules)
    return rules


def random_member(rng, rules, index):
    keys = [r.key for r in rules] + [None, 555]  # 555: a tier not in this ladder
    tier = rng.choice(keys)
    protected = rng.choice([None, TODAY - dt.timedelta(days=rng.randint(-60, 60))])
    grace = rng.choice([None, None, TODAY - dt.timedelta(days=rng.randint(0, 60))])
    spend = round(rng.choice([0, rng.uniform(0, 80000), 2000, 1999.99, 8000]), 2)
    categ = {r.key: round(rng.choice([0.0, 800.5, rng.uniform(0, 5000)]), 2) for r in rules if r.min_category_spend}
    q = t.Qualification(spend=spend, orders=rng.randint(0, 20), feedback=rng.randint(0, 6), category_spend=categ)
    return index, t.MemberState(index, tier, protected, grace), q


def evaluate(compiled, members):
    """Run the compiled expressions over the members in SQLite: {member id: (action, target)}."""
    db = sqlite3.connect(":memory:")
    cat_columns = [t.category_column(key) for key in compiled["category_keys"]]
    db.execute(
        "CREATE TABLE mem (id INTEGER, tier_id INTEGER, protected_until TEXT, grace_since TEXT,"
        " spend REAL, orders INTEGER, feedback INTEGER" + "".join(f", {c} REAL" for c in cat_columns) + ")"
    )
    for index, state, q in members:
        values = [
            index,
            state.tier,
            state.protected_until and state.protected_until.isoformat(),
            state.grace_since and state.grace_since.isoformat(),
            q.spend,
            q.orders,
            q.feedback,
        ] + [q.category_spend.get(key, 0.0) for key in compiled["category_keys"]]
        db.execute(f"INSERT INTO mem VALUES ({', '.join('?' * len(values))})", values)

    def params(expr):
        return [p.isoformat() if isinstance(p, dt.date) else p for p in expr.params]

    qpos, cpos, action, target = (compiled[k] for k in ("qpos", "cpos", "action", "target"))
    query = f"""
        SELECT id, action, {target.text} FROM (
            SELECT *, {action.text} AS action FROM (
                SELECT *, {qpos.text} AS qpos, {cpos.text} AS cpos FROM mem))"""
    # positional parameters in the order of the text: outermost select first
    rows = db.execute(query, params(target) + params(action) + params(qpos) + params(cpos)).fetchall()
    return {index: (act, tier) for index, act, tier in rows}


@pytest.mark.parametrize("seed", range(40))
def test_compiled_review_matches_review(seed):
    rng = random.Random(seed)
    rules = random_ladder(rng)
    max_drop, grace_days = rng.choice([1, 1, 2, 9]), rng.choice([0, 30, 7])
    members = [random_member(rng, rules, index) for index in range(300)]
    compiled = t.compile_review_sql(rules, TODAY, max_drop=max_drop, grace_days=grace_days, placeholder="?")
    got = evaluate(compiled, members)
    for index, state, q in members:
        want = t.review(state, rules, q, TODAY, max_drop=max_drop, grace_days=grace_days)
        assert got[index] == (want.action, want.tier), (state, q, want)


def test_compiled_review_covers_every_action():
    """The random members reach every branch (else the comparison above proves little)."""
    seen = set()
    for seed in range(40):
        rng = random.Random(seed)
        rules = random_ladder(rng)
        grace_days = rng.choice([0, 30, 7])
        for _index, state, q in (random_member(rng, rules, i) for i in range(300)):
            seen.add(t.review(state, rules, q, TODAY, grace_days=grace_days).action)
    assert seen == set(t.SQL_ACTIONS)


def test_thresholds_are_parameters_not_text():
    rules = [t.TierRule(1, 0), t.TierRule(2, 10, min_spend=2000, min_orders=3)]
    compiled = t.compile_review_sql(rules, TODAY)
    assert "2000" not in compiled["qpos"].text and "%s" in compiled["qpos"].text
    assert compiled["qpos"].text.count("%s") == len(compiled["qpos"].params)
    for name in ("cpos", "action", "target"):
        assert compiled[name].text.count("%s") == len(compiled[name].params)
