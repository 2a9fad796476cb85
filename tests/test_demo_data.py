import datetime as dt
import re
import uuid

import pytest

from member_crm.engine import demo_data as dd

END = dt.date(2026, 11, 23)


@pytest.fixture(scope="module")
def data():
    return dd.generate(members=200, months=18, end=END)


def test_same_seed_same_data(data):
    assert dd.generate(members=200, months=18, end=END) == data
    other = dd.generate(members=200, months=18, end=END, seed=1)
    assert other.members != data.members


def test_member_does_not_depend_on_population_size(data):
    """Member i is the same in a 200- and a 1,000,000-member data set: the SQL path scales the same people."""
    assert dd.make_member(123) == data.members[123]
    assert dd.member_orders(data.members[5], 18, END) == [o for o in data.orders if o.member_key == data.members[5].key]


def test_members_look_real(data):
    members = data.members
    assert len(members) == 200
    assert len({m.key for m in members}) == 200
    chinese = [m for m in members if m.is_chinese]
    latin = [m for m in members if not m.is_chinese]
    assert 0.6 < len(chinese) / len(members) < 0.95 and latin
    assert all(re.fullmatch(r"[\u4e00-\u9fff]{2,4}", m.name) for m in chinese)
    assert all(re.fullmatch(r"[^\W\d_][\w'éèü]* [^\W\d_][\w'éèü]*", m.name) for m in latin)
    for member in members:
        digits = member.phone.replace("+86", "").replace(" ", "")
        assert re.fullmatch(r"1[3-9]\d{9}", digits), member.phone  # mainland mobile: 11 digits
        assert re.fullmatch(r"[a-z0-9.]+@example\.(com|cn|org|net)", member.email), member.email
        assert member.country_code == "CN"
        assert member.state_code in {c[0] for c in dd.CITIES}
        assert dt.date(1950, 1, 1) <= member.birthdate < dt.date(2005, 1, 1)
        assert member.lang == ("zh_CN" if member.is_chinese else "en_US")
    assert len({m.city for m in members}) >= 15, "members spread over many cities"
    assert {m.segment for m in members} == {s[0] for s in dd.SEGMENTS}


def test_orders_cover_the_window(data):
    orders = data.orders
    start = dt.datetime(2025, 5, 23)
    assert all(start <= o.date < dt.datetime.combine(END, dt.time()) for o in orders)
    months = {(o.date.year, o.date.month) for o in orders}
    assert len(months) >= 18, "history spreads over the 18 months"
    assert len({o.key for o in orders}) == len(orders)
    assert len({o.uuid for o in orders}) == len(orders)
    assert all(uuid.UUID(o.uuid).version == 5 for o in orders[:50])
    channels = {o.channel for o in orders}
    assert channels == {"pos", "sale"}
    sale_share = sum(o.channel == "sale" for o in orders) / len(orders)
    assert 0.05 < sale_share < 0.4
    assert 800 < len(orders) < 4000, len(orders)
    codes = {p.code for p in dd.CATALOG}
    assert all(line.product_code in codes and line.qty >= 1 for o in orders for line in o.lines)


def test_orders_are_sorted_per_member_and_everybody_active_bought(data):
    by_member = {}
    for order in data.orders:
        by_member.setdefault(order.member_key, []).append(order)
    for orders in by_member.values():
        assert orders == sorted(orders, key=lambda o: o.date)
    active = [m for m in data.members if m.segment != "lapsed"]
    assert all(m.key in by_member for m in active)


def test_members_joined_before_their_first_order(data):
    """Member Since comes from here: a day in the window's first half, never after the member's first order."""
    assert len(data.joined) == len(data.members)
    first = {}
    for order in data.orders:
        first.setdefault(order.member_key, order.date.date())
    start = dt.date(2025, 5, 23)
    for member, joined in zip(data.members, data.joined, strict=True):
        assert joined == dd.member_joined(member, 18, END)
        assert start <= joined < start + dt.timedelta(days=275), joined
        if member.key in first:
            assert joined <= first[member.key], member.key
    assert len(set(data.joined)) > 100, "members joined on many different days"


def test_spend_spreads_over_the_tier_ladder(data):
    """The next issue's default ladder (2,000 / 8,000 / 20,000 / 50,000) must find members at several rungs."""
    spend = {}
    for order in data.orders:
        spend[order.member_key] = spend.get(order.member_key, 0) + order.untaxed_amount()
    rungs = [sum(1 for s in spend.values() if s >= threshold) for threshold in (0, 2000, 8000, 20000)]
    assert rungs[0] > rungs[1] > rungs[2] > rungs[3] > 0, rungs


def test_untaxed_amount():
    order = dd.Order(
        "k", "m", "pos", dt.datetime(2026, 1, 1), (dd.OrderLine("MCRM-TEA-LJ", 2), dd.OrderLine("MCRM-HOM-CD", 1))
    )
    assert order.untaxed_amount() == 2 * 168.0 + 98.0


def test_streams_at_scale():
    """A large population streams without building lists (the benchmarks' SQL path)."""
    count = sum(1 for _ in dd.iter_members(20000))
    assert count == 20000
    orders = dd.iter_orders(dd.iter_members(2000), months=12, end=END)
    assert sum(1 for _ in orders) > 2000


@pytest.mark.parametrize("members, months", [(-1, 18), (10, 0), ("10", 18), (10, 1.5)])
def test_bad_arguments_are_refused(members, months):
    with pytest.raises(ValueError):
        dd.generate(members=members, months=months, end=END)
