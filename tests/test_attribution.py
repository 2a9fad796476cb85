import datetime as dt

import pytest

from member_crm_marketing.engine import attribution as a

D = dt.date
T = dt.datetime


def touch(campaign, recipient, partner, day=None, hour=10, holdout=False):
    at = T(day.year, day.month, day.day, hour) if day else None
    return a.Touch(campaign, recipient, partner, at=at, day=day, holdout=holdout)


def order(key, partner, day, revenue, coupons=()):
    return a.Order(("pos.order", key), partner, day, revenue, frozenset(coupons))


@pytest.mark.parametrize(
    "day, attributed",
    [
        (D(2025, 3, 9), False),  # the day before the message
        (D(2025, 3, 10), True),  # the message's day
        (D(2025, 3, 24), True),  # day 14: inclusive
        (D(2025, 3, 25), False),  # day 15
    ],
)
def test_window_edges(day, attributed):
    touches = [touch(1, 11, 100, D(2025, 3, 10))]
    result = a.attribute([order(1, 100, day, 50.0)], touches)
    assert bool(result) is attributed
    if attributed:
        assert result[0].method == "window"
        assert result[0].campaign_id == 1


def test_coupon_first_even_outside_the_window():
    touches = [touch(1, 11, 100, D(2025, 3, 10)), touch(2, 21, 100, D(2025, 4, 1))]
    # day 30 after campaign 1, day 8 after campaign 2: the coupon of campaign 1 wins
    result = a.attribute([order(7, 100, D(2025, 4, 9), 80.0, coupons=[1])], touches)
    assert result == [a.Attribution(("pos.order", 7), 1, 11, 100, "coupon", D(2025, 4, 9), 80.0)]


def test_coupon_of_a_member_not_reached_still_counts():
    # the mail bounced (no touch day), the coupon was used anyway
    result = a.attribute([order(7, 100, D(2025, 6, 1), 30.0, coupons=[5])], [touch(5, 51, 100)])
    assert [(x.campaign_id, x.method) for x in result] == [(5, "coupon")]


def test_two_coupons_latest_message_wins():
    touches = [touch(1, 11, 100, D(2025, 3, 10)), touch(2, 21, 100, D(2025, 3, 12))]
    result = a.attribute([order(7, 100, D(2025, 3, 13), 10.0, coupons=[1, 2])], touches)
    assert result[0].campaign_id == 2 and result[0].method == "coupon"


def test_overlapping_campaigns_latest_message_wins():
    touches = [
        touch(1, 11, 100, D(2025, 3, 10)),
        touch(2, 21, 100, D(2025, 3, 15)),
        touch(3, 31, 100, D(2025, 3, 15), hour=9),  # same day, earlier
    ]
    orders = [
        order(1, 100, D(2025, 3, 12), 10.0),  # only campaign 1 had written
        order(2, 100, D(2025, 3, 16), 20.0),  # 1, 2 and 3 overlap: 2 wrote last
        order(3, 100, D(2025, 3, 29), 30.0),  # day 19 of 1, day 14 of 2 and 3
        order(4, 100, D(2025, 3, 30), 40.0),  # day 15 of 2 and 3
    ]
    result = a.attribute(orders, touches)
    assert [(x.source[1], x.campaign_id, x.recipient_id) for x in result] == [(1, 1, 11), (2, 2, 21), (3, 2, 21)]


def test_tie_on_time_goes_to_higher_campaign():
    touches = [touch(4, 41, 100, D(2025, 3, 10)), touch(3, 31, 100, D(2025, 3, 10))]
    assert a.attribute([order(1, 100, D(2025, 3, 10), 1.0)], touches)[0].campaign_id == 4


def test_holdout_window_from_the_send_time_and_never_by_coupon():
    touches = [touch(1, 12, 200, D(2025, 3, 10), holdout=True)]
    result = a.attribute(
        [order(1, 200, D(2025, 3, 24), 60.0, coupons=[1]), order(2, 200, D(2025, 3, 25), 70.0)], touches
    )
    assert [(x.source[1], x.method, x.recipient_id) for x in result] == [(1, "window", 12)]


def test_holdout_of_a_later_campaign_takes_the_order():
    # reached by 1 on the 10th, held out of 2 sent on the 12th: the order of the 13th goes to 2
    touches = [touch(1, 11, 100, D(2025, 3, 10)), touch(2, 22, 100, D(2025, 3, 12), holdout=True)]
    result = a.attribute([order(1, 100, D(2025, 3, 13), 5.0)], touches)
    assert (result[0].campaign_id, result[0].recipient_id) == (2, 22)


def test_other_members_touches_are_ignored():
    touches = [touch(1, 11, 100, D(2025, 3, 10))]
    assert a.attribute([order(1, 101, D(2025, 3, 11), 5.0, coupons=[1])], touches) == []


def test_money_with_holdout():
    # 9 treated members brought 900.00, 1 holdout member 40.00; 8 messages reached at 0.50,
    # fixed 100.00, discount 30.00
    m = a.money(
        900.0,
        cost_fixed=100.0,
        cost_per_message=0.5,
        reached=8,
        discount=30.0,
        treated_count=9,
        holdout_count=1,
        holdout_revenue=40.0,
    )
    assert m == a.Money(
        message_cost=4.0, cost_total=134.0, effect=766.0, roi=5.7164, incremental_revenue=540.0, incremental_roi=3.0299
    )


def test_money_no_cost_no_holdout():
    m = a.money(250.0)
    assert m == a.Money(0.0, 0.0, 250.0, None, None, None)


def test_money_negative_effect():
    m = a.money(10.0, cost_fixed=50.0, treated_count=4, holdout_count=2, holdout_revenue=10.0)
    assert (m.effect, m.roi, m.incremental_revenue, m.incremental_roi) == (-40.0, -0.8, -10.0, -1.2)
