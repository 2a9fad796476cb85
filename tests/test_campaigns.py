"""member_crm_marketing.engine.campaigns: holdout draw, SMS quiet hours, birthday window (literal values)."""

import datetime

from member_crm_marketing.engine import campaigns


def test_holdout_draw_is_fixed_per_campaign_and_partner():
    assert campaigns.holdout_draw(1, 1) == campaigns.holdout_draw(1, 1)
    draws = [campaigns.holdout_draw(7, partner) for partner in range(1, 2001)]
    assert all(0 <= draw < 100 for draw in draws)
    held = sum(campaigns.is_holdout(7, partner, 10.0) for partner in range(1, 2001))
    assert 160 <= held <= 240, held  # about 10 % of 2,000
    assert not any(campaigns.is_holdout(7, partner, 0.0) for partner in range(1, 200))
    # another campaign draws other members
    assert [campaigns.is_holdout(7, p, 50) for p in range(1, 41)] != [
        campaigns.is_holdout(8, p, 50) for p in range(1, 41)
    ]


def test_quiet_hours_wrap_over_midnight():
    quiet = [
        campaigns.in_quiet_hours(datetime.time(hour, minute), 21.0, 9.0)
        for hour, minute in [(20, 59), (21, 0), (23, 30), (0, 0), (8, 59), (9, 0), (12, 0)]
    ]
    assert quiet == [False, True, True, True, True, False, False]
    assert not campaigns.in_quiet_hours(datetime.time(3, 0), 0.0, 0.0)
    assert campaigns.in_quiet_hours(datetime.time(13, 0), 12.0, 14.0)


def test_next_allowed_moves_to_the_end_of_quiet_hours():
    late = datetime.datetime(2026, 3, 10, 22, 30)
    assert campaigns.next_allowed(late, 21.0, 9.0) == datetime.datetime(2026, 3, 11, 9, 0)
    early = datetime.datetime(2026, 3, 11, 6, 15)
    assert campaigns.next_allowed(early, 21.0, 9.0) == datetime.datetime(2026, 3, 11, 9, 0)
    day = datetime.datetime(2026, 3, 11, 15, 0)
    assert campaigns.next_allowed(day, 21.0, 9.0) == day
    assert campaigns.next_allowed(late, 21.0, 9.5) == datetime.datetime(2026, 3, 11, 9, 30)


def test_birthday_window():
    pairs = campaigns.birthday_days(datetime.date(2026, 5, 1))
    assert pairs[0] == (4, 24) and pairs[-1] == (5, 8) and len(pairs) == 15
    # 29 February counts on 28 February in years without it
    assert (2, 29) in campaigns.birthday_days(datetime.date(2027, 3, 7))
    assert (2, 29) not in campaigns.birthday_days(datetime.date(2027, 3, 8))
    # across the new year
    assert campaigns.birthday_days(datetime.date(2026, 1, 2))[:2] == [(1, 1), (1, 2)]
    assert (12, 26) in campaigns.birthday_days(datetime.date(2026, 1, 2))
