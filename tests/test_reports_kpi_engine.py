"""The member KPI formulas (member_crm_reports/engine/kpi.py), without Odoo."""

import datetime as dt

import pytest

from member_crm_reports.engine import kpi

D = dt.date


def test_growth_is_end_minus_start_over_start():
    assert kpi.growth(4, 5) == pytest.approx(0.25)
    assert kpi.growth(4, 3) == pytest.approx(-0.25)
    assert kpi.growth(5, 5) == 0.0


def test_growth_from_nothing_is_no_figure():
    assert kpi.growth(0, 3) is None
    assert kpi.growth(None, 3) is None
    assert kpi.growth(3, None) is None


def test_safe_division_and_rates():
    assert kpi.safe_div(1, 4) == 0.25
    assert kpi.safe_div(1, 0) is None
    assert kpi.safe_div(None, 4) is None
    assert kpi.safe_div(0, 4) == 0.0, "nothing over something is 0, not 'no figure'"
    assert kpi.rate(1, 3) == pytest.approx(1 / 3)
    assert kpi.rate(0, 0) is None
    assert kpi.per_member(300.0, 2) == 150.0
    assert kpi.per_member(300.0, 0) is None


def test_customer_value_is_mean_amount_times_frequency():
    # 3 orders for 600 by 2 members: mean 200 x frequency 1.5 = 300 (= spend per buying member)
    assert kpi.customer_value(200.0, 1.5) == 300.0
    assert kpi.customer_value(None, 1.5) is None
    assert kpi.customer_value(200.0, None) is None


def test_active_window_is_open_at_d_minus_89():
    first, last = kpi.active_window(D(2024, 3, 31))
    assert last == D(2024, 3, 31)
    assert first == D(2024, 1, 3), "(D - 89, D]: 2 January is D - 89, excluded"
    assert (last - first).days + 1 == 89
    assert kpi.active_window(D(2024, 3, 31), days=1) == (D(2024, 3, 31), D(2024, 3, 31))
    with pytest.raises(ValueError):
        kpi.active_window(D(2024, 3, 31), days=0)


def test_months():
    assert kpi.add_months(D(2024, 1, 31), 1) == D(2024, 2, 1)
    assert kpi.add_months(D(2024, 1, 15), -1) == D(2023, 12, 1)
    assert kpi.add_months(D(2024, 12, 15), 13) == D(2026, 1, 1)
    assert kpi.month_end(D(2024, 2, 10)) == D(2024, 2, 29), "leap year"
    assert kpi.month_end(D(2023, 12, 1)) == D(2023, 12, 31)
    assert kpi.month_start(D(2023, 12, 9)) == D(2023, 12, 1)


def test_month_periods_end_today_for_the_current_month():
    assert kpi.month_periods(D(2024, 3, 15), 3) == [
        (D(2024, 1, 1), D(2024, 1, 31)),
        (D(2024, 2, 1), D(2024, 2, 29)),
        (D(2024, 3, 1), D(2024, 3, 15)),
    ]
    periods = kpi.month_periods(D(2024, 1, 5), 13)
    assert periods[0] == (D(2023, 1, 1), D(2023, 1, 31))
    assert periods[-1] == (D(2024, 1, 1), D(2024, 1, 5))
    assert len(periods) == 13
    with pytest.raises(ValueError):
        kpi.month_periods(D(2024, 1, 5), 0)


def test_months_window_for_customer_value():
    assert kpi.months_window(D(2024, 3, 15)) == (D(2023, 4, 1), D(2024, 3, 15))
    assert kpi.months_window(D(2024, 3, 15), 1) == (D(2024, 3, 1), D(2024, 3, 15))
    with pytest.raises(ValueError):
        kpi.months_window(D(2024, 3, 15), 0)
