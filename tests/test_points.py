"""Points lots and benefit timing, without Odoo. A small simulator replays random
sequences of earn / spend / refund / release / expiry through the engine and checks
the invariant the Odoo model relies on: balance == sum of available lots."""

import datetime as dt
import random

import pytest

from member_crm.engine import benefits as b
from member_crm.engine import points as p

D = dt.date


JAN1 = D(2026, 1, 1)


def lot(i, remaining, earned=JAN1, expires=None, pending=None):
    return p.Lot(i, remaining, earned, expires, pending)


def test_consume_first_to_expire_first_and_skips_pending():
    lots = [
        lot(1, 100, expires=D(2027, 6, 1)),
        lot(2, 50, expires=D(2027, 1, 1)),
        lot(3, 80),  # never expires: last
        lot(4, 500, expires=D(2026, 12, 1), pending=D(2026, 3, 1)),  # pending on the day below
    ]
    takes, short = p.consume(lots, 170, D(2026, 2, 1))
    assert takes == [(2, 50), (1, 100), (3, 20)]
    assert short == 0
    takes, short = p.consume(lots, 170, D(2026, 3, 1))
    assert takes[0] == (4, 170), "released on its day, and it expires first"
    takes, short = p.consume(lots[:2], 200, D(2026, 2, 1))
    assert short == 50
    with pytest.raises(ValueError):
        p.consume(lots, -1, D(2026, 2, 1))


def test_debts_paid_first_oldest_first():
    debts = [lot(1, -30, earned=D(2026, 2, 1)), lot(2, -50, earned=D(2026, 1, 1)), lot(3, 10)]
    payments, left = p.pay_debts(debts, 70)
    assert payments == [(2, 50), (1, 20)] and left == 0
    payments, left = p.pay_debts(debts, 100)
    assert left == 20


def test_lot_dates_expiry_runs_from_release():
    assert p.lot_dates(D(2026, 1, 31)) == (None, None)
    assert p.lot_dates(D(2026, 1, 31), expiry_months=1) == (None, D(2026, 2, 28))
    assert p.lot_dates(D(2026, 1, 1), pending_days=14, expiry_months=12) == (D(2026, 1, 15), D(2027, 1, 15))


def test_expired_and_expiring():
    lots = [lot(1, 10, expires=D(2026, 5, 1)), lot(2, 0, expires=D(2026, 4, 1)), lot(3, 5, expires=D(2026, 5, 10))]
    assert p.expired(lots, D(2026, 4, 30)) == []
    assert p.expired(lots, D(2026, 5, 1)) == [(1, 10)], "expires on its day; empty lots are skipped"
    assert p.expiring(lots, D(2026, 4, 25), 10) == {D(2026, 5, 1): 10}
    assert p.expiring(lots, D(2026, 4, 25), 20) == {D(2026, 5, 1): 10, D(2026, 5, 10): 5}


def test_bonus_and_cumulative_reversal():
    assert p.bonus(0.5, 700) == 350
    assert p.bonus(0.5, -700) == 0 and p.bonus(0, 700) == 0
    granted = p.bonus(0.3333, 100)  # 33.33
    taken = 0.0
    for total in (33.33, 66.66, 100.0):  # three partial refunds of a third each
        r = p.reversal(granted, taken, 100.0, total)
        taken = p.round_points(taken + r)
    assert taken == granted, "partial refunds add up to exactly the bonus"
    assert p.reversal(granted, taken, 100.0, 150.0) == 0, "never more than granted"
    assert p.reversal(granted, 0.0, 100.0, 100.0) == granted


class Simulator:
    """What the Odoo model does with the engine's decisions, on plain lists.

    A lot is ``[remaining, earned, expires, pending_until or None once released, kind, granted, reversed, base]``.
    """

    def __init__(self, rng):
        self.rng = rng
        self.today = JAN1
        self.lots = {}
        self.balance = 0.0
        self.ids = iter(range(1, 10_000))

    def engine_lots(self):
        # as the model does: a lot not released yet is not spendable, even after its date, until the cron runs
        return [p.Lot(i, v[0], v[1], v[2], None if v[3] is None else D.max) for i, v in self.lots.items()]

    def credit(self, lot_id, points):
        payments, left = p.pay_debts([x for x in self.engine_lots() if x.id != lot_id], points)
        for debt_id, paid in payments:
            self.lots[debt_id][0] = p.round_points(self.lots[debt_id][0] + paid)
        self.lots[lot_id][0] = left
        self.lots[lot_id][3] = None
        self.balance = p.round_points(self.balance + points)

    def take(self, points):
        takes, short = p.consume(self.engine_lots(), points, self.today)
        for lot_id, amount in takes:
            self.lots[lot_id][0] = p.round_points(self.lots[lot_id][0] - amount)
        if short:
            self.lots[next(self.ids)] = [-short, self.today, None, None, "debt", 0, 0, 0]
        self.balance = p.round_points(self.balance - points)

    def earn(self, kind="earn"):
        amount = self.rng.randint(1, 2000) / self.rng.choice((1, 3, 7))
        pending, expires = p.lot_dates(self.today, pending_days=14 if kind == "bonus" else 0, expiry_months=6)
        points = p.bonus(0.5, amount) if kind == "bonus" else p.round_points(amount)
        lot_id = next(self.ids)
        self.lots[lot_id] = [points, self.today, expires, pending, kind, points, 0.0, amount]
        if not pending:
            self.credit(lot_id, points)

    def bonus(self):
        self.earn("bonus")

    def spend(self):
        if self.balance > 0:
            self.take(p.round_points(self.rng.uniform(0, self.balance)))

    def refund(self):
        bonuses = [i for i, v in self.lots.items() if v[4] == "bonus" and v[6] < v[5]]
        if not bonuses:
            return
        v = self.lots[self.rng.choice(bonuses)]
        refunded = min(v[7], v[7] * self.rng.choice((0.25, 0.5, 1.0)) + v[7] * v[6] / v[5])
        r = p.reversal(v[5], v[6], v[7], refunded)
        v[6] = p.round_points(v[6] + r)
        if v[3] is not None:  # pending: the lot shrinks
            v[0] = p.round_points(v[0] - r)
        else:
            self.take(r)

    def release(self):
        for i, v in list(self.lots.items()):
            if v[3] is not None and v[3] <= self.today:
                self.credit(i, v[0])

    def expire(self):
        for i, points in p.expired(self.engine_lots(), self.today):
            self.lots[i][0] = 0.0
            self.balance = p.round_points(self.balance - points)


@pytest.mark.parametrize("seed", range(30))
def test_random_sequences_keep_balance_equal_to_lots(seed):
    """Random earn / bonus / spend / refund / release / expiry: balance == available lots at every step."""
    rng = random.Random(seed)
    sim = Simulator(rng)
    for step in range(80):
        sim.today += dt.timedelta(days=rng.randint(0, 20))
        action = rng.choice(["earn", "bonus", "spend", "refund", "release", "expire"])
        getattr(sim, action)()
        available = sum(v[0] for v in sim.lots.values() if v[3] is None)
        assert abs(sim.balance - available) < 0.005, (seed, step, action)
        assert all(v[6] <= v[5] + 0.005 for v in sim.lots.values()), "never more reversed than granted"


def test_birthday_window():
    birth = D(1990, 3, 5)
    assert b.birthday_due(birth, D(2027, 3, 1), 3, 10) is None
    assert b.birthday_due(birth, D(2027, 3, 2), 3, 10) == 2027
    assert b.birthday_due(birth, D(2027, 3, 15), 3, 10) == 2027
    assert b.birthday_due(birth, D(2027, 3, 16), 3, 10) is None
    # a window across New Year belongs to the birthday's year
    assert b.birthday_due(D(1990, 1, 2), D(2026, 12, 28), 7, 0) == 2027
    assert b.birthday_due(D(1990, 12, 30), D(2027, 1, 3), 0, 7) == 2026
    # 29 February is celebrated on the 28th in other years
    assert b.birthday_due(D(1992, 2, 29), D(2027, 2, 28), 0, 0) == 2027
    assert (2, 29) in b.birthday_month_days(D(2027, 2, 28))
    assert b.birthday_month_days(D(2027, 3, 2), 3, 1) == [(3, 1), (3, 2), (3, 3), (3, 4), (3, 5)]
    assert b.birthday_due(None, D(2027, 1, 1)) is None


def test_birthday_prefilter_matches_rule():
    """The SQL pre-filter never leaves out a birth date the rule would grant."""
    rng = random.Random(7)
    for _i in range(2000):
        today = D(2026, 1, 1) + dt.timedelta(days=rng.randint(0, 800))
        birth = D(rng.randint(1950, 2005), 1, 1) + dt.timedelta(days=rng.randint(0, 365))
        before, after = rng.randint(0, 20), rng.randint(0, 40)
        if b.birthday_due(birth, today, before, after):
            assert (birth.month, birth.day) in b.birthday_month_days(today, before, after)


def test_early_access():
    until = D(2026, 6, 30)
    assert b.early_access_blocked(10, until, None, D(2026, 6, 1))
    assert b.early_access_blocked(10, until, 0, D(2026, 6, 30))
    assert not b.early_access_blocked(10, until, 10, D(2026, 6, 1))
    assert not b.early_access_blocked(10, until, None, D(2026, 7, 1))
    assert not b.early_access_blocked(None, until, None, D(2026, 6, 1))
