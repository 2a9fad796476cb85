"""Points lots: earning, spending, pending, expiry and refund reversal (no Odoo).

Odoo 19's loyalty cards hold one number, ``points``. Pending points (not
spendable before the return window closes) and first-in first-out expiry need
to know where each point came from, so the addons keep lots beside the card.
This module decides; the Odoo model writes what it decides, always together
with the card's balance and a ``loyalty.history`` line.

The invariant the model keeps: a card's ``points`` equals the sum of the
``remaining`` of its available lots. A debt lot (negative remaining) records
points taken back by a refund after they were spent; later earnings pay it off
first.
"""

import datetime
from dataclasses import dataclass

from .tiers import add_months

PRECISION = 2


def round_points(value):
    return round(value + 0.0, PRECISION)


@dataclass(frozen=True)
class Lot:
    id: int
    remaining: float
    earned_on: datetime.date
    expires_on: datetime.date = None
    pending_until: datetime.date = None

    def available(self, today):
        return self.pending_until is None or self.pending_until <= today


def fifo_key(lot):
    """Spend what expires first; among equals, the oldest."""
    return (lot.expires_on or datetime.date.max, lot.earned_on, lot.id)


def consume(lots, amount, today):
    """Take ``amount`` points from the available lots, first to expire first.

    Returns ``(takes, shortfall)``: ``takes`` is ``[(lot id, points taken)]``
    and ``shortfall`` what the lots could not cover (recorded as a debt).
    """
    amount = round_points(amount)
    if amount < 0:
        raise ValueError("cannot consume a negative amount")
    takes = []
    for lot in sorted((lot for lot in lots if lot.available(today) and lot.remaining > 0), key=fifo_key):
        if amount <= 0:
            break
        take = min(lot.remaining, amount)
        takes.append((lot.id, round_points(take)))
        amount = round_points(amount - take)
    return takes, max(amount, 0.0)


def pay_debts(debts, amount):
    """Earned ``amount`` first pays off debt lots (negative remaining), oldest first.

    Returns ``(payments, left)``: ``[(debt lot id, points paid)]`` and what is left for the new lot.
    """
    amount = round_points(amount)
    payments = []
    for lot in sorted((lot for lot in debts if lot.remaining < 0), key=lambda lot: (lot.earned_on, lot.id)):
        if amount <= 0:
            break
        pay = min(-lot.remaining, amount)
        payments.append((lot.id, round_points(pay)))
        amount = round_points(amount - pay)
    return payments, amount


def expired(lots, today):
    """Available lots with points left whose expiry day has come: ``[(lot id, points)]``."""
    return [
        (lot.id, lot.remaining)
        for lot in sorted(lots, key=fifo_key)
        if lot.remaining > 0 and lot.expires_on and lot.expires_on <= today and lot.available(today)
    ]


def expiring(lots, today, days):
    """Points that expire within ``days`` days (for the reminder): ``{expiry date: points}``."""
    horizon = today + datetime.timedelta(days=days)
    out = {}
    for lot in lots:
        if lot.remaining > 0 and lot.expires_on and today < lot.expires_on <= horizon:
            out[lot.expires_on] = round_points(out.get(lot.expires_on, 0.0) + lot.remaining)
    return out


def lot_dates(earned_on, pending_days=0, expiry_months=0):
    """``(pending_until, expires_on)`` of a lot earned on ``earned_on``.

    Expiry runs from the day the points became spendable, so a pending period
    never eats into the time a member has to use them.
    """
    pending_until = earned_on + datetime.timedelta(days=pending_days) if pending_days > 0 else None
    start = pending_until or earned_on
    expires_on = add_months(start, expiry_months) if expiry_months > 0 else None
    return pending_until, expires_on


def bonus(factor, amount):
    """Tier bonus of an order: the tier's factor times the qualifying untaxed amount (never negative)."""
    if factor <= 0 or amount <= 0:
        return 0.0
    return round_points(factor * amount)


def reversal(granted, reversed_so_far, original_amount, refunded_total):
    """Bonus points to take back after refunds totalling ``refunded_total`` of an order.

    Cumulative: the points taken back after all refunds so far are the granted
    points times the share of the order refunded, and this refund takes the
    difference with what earlier refunds took. Rounding therefore never drifts,
    a full refund takes back exactly what was granted, and several partial
    refunds never take back more.
    """
    if granted <= 0 or original_amount <= 0:
        return 0.0
    share = min(max(refunded_total, 0.0) / original_amount, 1.0)
    target = round_points(granted) if share >= 1.0 else round_points(granted * share)
    return max(round_points(target - reversed_so_far), 0.0)
