"""Member KPI formulas: plain Python, no Odoo (tested in the repository's ``tests/``).

The report models aggregate (sums, counts, distinct members); these functions
turn the aggregates into the figures the issue defines:

- growth = (end - start) / start, on members and on active members;
- active at day D: at least one net order entry dated in (D - 89, D];
- average spend and frequency per active member, net of refunds;
- return rate = returned orders / orders net of cancellations, and the amount share;
- lifetime value = cumulative net spend per member (opening balances included);
- customer value = mean order amount x purchase frequency (the second seed's name).

A ratio with nothing to divide by is ``None`` ("no figure"), never 0 and never
an exception: a dashboard cell then shows an empty value, not a false 0 %.
"""

import datetime as dt

# "Active at day D = at least one net order entry dated in (D - 89, D]": the open
# bound D - 89 is excluded, so the window holds the 89 days D - 88 .. D.
ACTIVE_WINDOW_DAYS = 89
# customer value: mean amount and frequency over the 12 calendar months ending with D's month (up to D)
CUSTOMER_VALUE_MONTHS = 12


def safe_div(numerator, denominator):
    """``numerator / denominator``, or None when the denominator is 0 or either side is missing."""
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def growth(start, end):
    """(end - start) / start; None without a start figure (growth from nothing is undefined)."""
    if start is None or end is None:
        return None
    return safe_div(end - start, start)


def rate(part, whole):
    """part / whole (a share in 0..1 for counts); None when whole is 0."""
    return safe_div(part, whole)


def per_member(total, members):
    """A total per member (average spend, frequency, lifetime value); None without members."""
    return safe_div(total, members)


def customer_value(mean_amount, frequency):
    """The second seed's customer value: mean order amount x purchase frequency."""
    if mean_amount is None or frequency is None:
        return None
    return mean_amount * frequency


def active_window(day, days=ACTIVE_WINDOW_DAYS):
    """(first day, last day), both included, of the activity window (day - days, day]."""
    if days < 1:
        raise ValueError("an activity window holds at least one day")
    return day - dt.timedelta(days=days - 1), day


def month_start(day):
    return day.replace(day=1)


def add_months(day, months):
    """The first day of the month ``months`` after (before, if negative) ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_end(day):
    """The last day of ``day``'s month."""
    return add_months(day, 1) - dt.timedelta(days=1)


def month_periods(today, count):
    """The last ``count`` calendar months up to ``today``'s, oldest first, as (first day, end day).

    A past month ends on its last day; the current month ends on ``today`` (a
    figure "at the end of this month" is the figure so far).
    """
    if count < 1:
        raise ValueError("at least one month")
    periods = []
    for back in range(count - 1, -1, -1):
        first = add_months(today, -back)
        periods.append((first, today if back == 0 else month_end(first)))
    return periods


def months_window(day, months=CUSTOMER_VALUE_MONTHS):
    """(first day, last day), both included: the ``months`` calendar months ending with ``day``'s, up to ``day``."""
    if months < 1:
        raise ValueError("at least one month")
    return add_months(day, 1 - months), day
