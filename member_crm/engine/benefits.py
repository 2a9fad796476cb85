"""Benefit timing rules (no Odoo): birthday windows, early access."""

import datetime


def birthday_in(year, birth):
    """The birthday of ``birth`` in ``year`` (29 February falls on the 28th in other years)."""
    try:
        return birth.replace(year=year)
    except ValueError:
        return datetime.date(year, 2, 28)


def birthday_due(birth, today, days_before=0, days_after=0):
    """The year of the birthday whose gift window holds ``today``, or None.

    The window runs from ``days_before`` days before the birthday to
    ``days_after`` days after it; a window that crosses New Year belongs to the
    birthday's own year, so one gift per birthday, never two in one window.
    """
    if not birth:
        return None
    for year in (today.year - 1, today.year, today.year + 1):
        day = birthday_in(year, birth)
        if day - datetime.timedelta(days=days_before) <= today <= day + datetime.timedelta(days=days_after):
            return year
    return None


def birthday_month_days(today, days_before=0, days_after=0):
    """(month, day) pairs of the birth dates whose window holds ``today`` (for a SQL pre-filter)."""
    pairs = set()
    for offset in range(-days_after, days_before + 1):
        day = today + datetime.timedelta(days=offset)
        pairs.add((day.month, day.day))
        if (day.month, day.day) == (2, 28):
            pairs.add((2, 29))  # born on 29 February: celebrated on the 28th in other years
    return sorted(pairs)


def early_access_blocked(required_level, until, member_level, today):
    """Whether a product reserved to tier level >= ``required_level`` until ``until`` is closed to this buyer.

    ``member_level`` is None for a customer who is not a member.
    """
    if required_level is None or not until or today > until:
        return False
    return member_level is None or member_level < required_level
