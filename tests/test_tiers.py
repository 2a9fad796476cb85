import datetime as dt

import pytest

from member_crm.engine import tiers as t

D = dt.date


def seed_ladder():
    """The seed's default ladder (12-month window, untaxed spend / orders)."""
    return [
        t.TierRule("std", 0, "Standard"),
        t.TierRule("gold", 10, "Gold", min_spend=2000, min_orders=3),
        t.TierRule("plat", 20, "Platinum", min_spend=8000, min_orders=6),
        t.TierRule("dia", 30, "Diamond", min_spend=20000, min_orders=10),
        t.TierRule("black", 40, "Black", min_spend=50000, min_orders=15),
        t.TierRule("hon", 50, "Honorary", invitation_only=True),
    ]


@pytest.mark.parametrize(
    "spend, orders, expected",
    [
        (0, 0, "std"),
        (1999.99, 10, "std"),
        (2000, 3, "gold"),
        (2000, 2, "std"),  # all criteria must hold
        (9000, 5, "gold"),
        (8000, 6, "plat"),
        (1_000_000, 100, "black"),
    ],
)
def test_qualified_tier_all(spend, orders, expected):
    q = t.Qualification(spend=spend, orders=orders)
    assert t.qualified_tier(seed_ladder(), q).key == expected


def test_any_operator_and_other_criteria():
    rules = [
        t.TierRule("base", 0),
        t.TierRule("fan", 10, min_spend=5000, min_feedback=3, operator=t.ANY),
        t.TierRule("tea", 20, min_spend=5000, min_category_spend=3000, min_feedback=3),
    ]
    assert t.qualified_tier(rules, t.Qualification(feedback=3)).key == "fan"
    q = t.Qualification(spend=6000, feedback=3, category_spend={"tea": 2999})
    assert t.qualified_tier(rules, q).key == "fan"
    q = t.Qualification(spend=6000, feedback=3, category_spend={"tea": 3000})
    assert t.qualified_tier(rules, q).key == "tea"


def test_no_entry_tier_means_no_tier():
    rules = [t.TierRule("gold", 10, min_spend=100)]
    assert t.qualified_tier(rules, t.Qualification(spend=50)) is None


def test_invitation_only_never_qualifies_by_rules():
    assert not t.qualifies(t.TierRule("hon", 50, invitation_only=True), t.Qualification(spend=10**9, orders=999))


def test_seed_ladder_is_valid():
    t.validate_ladder(seed_ladder(), 12)


@pytest.mark.parametrize(
    "rules, months, code",
    [
        (seed_ladder(), 0, "window"),
        ([t.TierRule("a", 0), t.TierRule("b", 0, min_spend=5)], 12, "same_level"),
        ([t.TierRule("a", 0, min_spend=-1)], 12, "negative"),
        ([t.TierRule("a", 0), t.TierRule("b", 1, min_orders=-2)], 12, "negative"),
        ([t.TierRule("a", 0, min_spend=100), t.TierRule("b", 1, min_spend=50)], 12, "not_increasing"),
        ([t.TierRule("a", 0, min_spend=100), t.TierRule("b", 1, min_spend=100)], 12, "not_increasing"),
        (
            [t.TierRule("a", 0, min_spend=100, min_orders=5), t.TierRule("b", 1, min_spend=200, min_orders=4)],
            12,
            "not_increasing",
        ),
        ([t.TierRule("a", 0, operator="xor")], 12, "operator"),
    ],
)
def test_invalid_ladders(rules, months, code):
    with pytest.raises(t.LadderError) as error:
        t.validate_ladder(rules, months)
    assert error.value.code == code
    assert str(error.value)


def test_invitation_only_tier_left_out_of_threshold_checks():
    rules = seed_ladder() + [t.TierRule("vip", 60, "VIP", min_spend=1, invitation_only=True)]
    t.validate_ladder(rules, 12)


def test_windows():
    assert t.window_start(D(2026, 11, 23), t.ROLLING, 12) == D(2025, 11, 24)
    assert t.window_start(D(2026, 3, 31), t.ROLLING, 1) == D(2026, 3, 1)
    assert t.window_start(D(2024, 3, 31), t.ROLLING, 1) == D(2024, 3, 1)  # Feb 29 + 1 day
    assert t.window_start(D(2026, 11, 23), t.CALENDAR) == D(2026, 1, 1)
    with pytest.raises(ValueError):
        t.window_start(D(2026, 1, 1), t.ROLLING, 0)
    assert t.add_months(D(2026, 1, 31), 1) == D(2026, 2, 28)


TODAY = D(2026, 11, 23)


def state(tier, protected=None, grace=None):
    return t.MemberState("m", tier, protected, grace)


def test_review_upgrades_at_once_even_when_protected():
    d = t.review(state("gold", protected=D(2027, 1, 1)), seed_ladder(), t.Qualification(9000, 7), TODAY)
    assert (d.action, d.tier) == (t.UP, "plat")


def test_review_keeps_protected_tier():
    d = t.review(state("plat", protected=TODAY), seed_ladder(), t.Qualification(0, 0), TODAY)
    assert (d.action, d.tier) == (t.KEEP, "plat")


def test_review_notifies_then_waits_grace_then_drops_one_level():
    rules, q = seed_ladder(), t.Qualification(0, 0)
    d1 = t.review(state("dia"), rules, q, TODAY, grace_days=30)
    assert (d1.action, d1.tier, d1.grace_since) == (t.NOTIFY, "dia", TODAY)
    d2 = t.review(state("dia", grace=TODAY), rules, q, TODAY + dt.timedelta(days=29), grace_days=30)
    assert (d2.action, d2.tier) == (t.KEEP, "dia")
    d3 = t.review(state("dia", grace=TODAY), rules, q, TODAY + dt.timedelta(days=30), grace_days=30)
    assert (d3.action, d3.tier, d3.grace_since) == (t.DOWN, "plat", None)


def test_review_drop_limited_by_max_drop_and_target():
    rules, q = seed_ladder(), t.Qualification(2500, 4)  # qualifies for gold
    assert t.review(state("black"), rules, q, TODAY, max_drop=2, grace_days=0).tier == "plat"
    assert t.review(state("black"), rules, q, TODAY, max_drop=9, grace_days=0).tier == "gold"
    assert t.review(state("plat"), rules, q, TODAY, max_drop=9, grace_days=0).tier == "gold"


def test_review_requalifying_ends_grace():
    d = t.review(state("gold", grace=TODAY - dt.timedelta(days=3)), seed_ladder(), t.Qualification(2000, 3), TODAY)
    assert (d.action, d.tier, d.grace_since) == (t.NONE, "gold", None)


def test_review_never_touches_invitation_only():
    d = t.review(state("hon"), seed_ladder(), t.Qualification(0, 0), TODAY, grace_days=0)
    assert (d.action, d.tier) == (t.NONE, "hon")


def test_review_places_untiered_member():
    d = t.review(state(None), seed_ladder(), t.Qualification(0, 0), TODAY)
    assert (d.action, d.tier) == (t.UP, "std")


def test_instant_upgrade_only_goes_up():
    rules = seed_ladder()
    assert t.instant_upgrade("gold", rules, t.Qualification(8000, 6)) == "plat"
    assert t.instant_upgrade("plat", rules, t.Qualification(0, 0)) is None
    assert t.instant_upgrade("plat", rules, t.Qualification(8000, 6)) is None
    assert t.instant_upgrade("hon", rules, t.Qualification(10**6, 99)) is None
    assert t.instant_upgrade(None, rules, t.Qualification(0, 0)) == "std"


def test_placement_and_summary():
    rules = seed_ladder()
    moves = []
    for current, q in [
        ("std", t.Qualification(2500, 3)),
        ("dia", t.Qualification(100, 1)),
        ("gold", t.Qualification(2500, 3)),
        ("hon", t.Qualification(0, 0)),
    ]:
        tier, direction = t.placement(current, rules, q)
        moves.append((current, tier, direction))
    assert [m[1:] for m in moves] == [("gold", t.UP), ("std", t.DOWN), ("gold", "stay"), ("hon", "stay")]
    summary = t.summarize(moves)
    assert (summary["up"], summary["down"], summary["stay"]) == (1, 1, 2)
    assert summary["by_tier"][("dia", "std")] == 1
