"""Campaign rules, framework-free: holdout draw, SMS quiet hours, type defaults, birthday window.

``member.campaign`` calls these; the root tests pin them down with literal values.
"""

import datetime
import hashlib

# type defaults (issue 14): new arrivals are products at most this many days old, a flash sale lasts
# this many hours, a birthday campaign reaches birthdays this many days either side of its start, a
# win-back campaign members whose last purchase is this many days ago
NEW_ARRIVAL_DAYS = 30
FLASH_SALE_HOURS = 48
BIRTHDAY_DAYS = 7
WINBACK_DAYS = (180, 540)


def holdout_draw(campaign_id, partner_id):
    """A number in [0, 100) fixed for (campaign, partner): the same member is held out on every relaunch."""
    digest = hashlib.sha256(f"member.campaign:{int(campaign_id)}:{int(partner_id)}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 10000 / 100.0


def is_holdout(campaign_id, partner_id, percent):
    """Whether this member is in the campaign's holdout (``percent`` of the audience, 0-100)."""
    return holdout_draw(campaign_id, partner_id) < (percent or 0.0)


def in_quiet_hours(local_time, start, end):
    """Whether ``local_time`` (a ``datetime.time``) is in the quiet hours from ``start`` to ``end`` (hours
    as floats, 21.0 -> 9.0 wraps over midnight). ``start == end`` means no quiet hours."""
    hour = local_time.hour + local_time.minute / 60.0 + local_time.second / 3600.0
    if start == end:
        return False
    if start < end:
        return start <= hour < end
    return hour >= start or hour < end


def next_allowed(local_dt, start, end):
    """The first local moment at or after ``local_dt`` (naive local datetime) outside the quiet hours."""
    if not in_quiet_hours(local_dt.time(), start, end):
        return local_dt
    hours, minutes = int(end), round((end - int(end)) * 60)
    candidate = local_dt.replace(hour=hours, minute=minutes, second=0, microsecond=0)
    if candidate <= local_dt:
        candidate += datetime.timedelta(days=1)
    return candidate


def birthday_days(day, days=BIRTHDAY_DAYS):
    """The (month, day) pairs within ``days`` days either side of ``day``; 29 February joins 28 February
    in years without it."""
    pairs = set()
    for offset in range(-days, days + 1):
        current = day + datetime.timedelta(days=offset)
        pairs.add((current.month, current.day))
        if (current.month, current.day) == (2, 28) and not _is_leap(current.year):
            pairs.add((2, 29))
    return sorted(pairs)


def _is_leap(year):
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
