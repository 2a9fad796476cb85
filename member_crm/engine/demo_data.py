"""Deterministic member and order history for demos and benchmarks.

One source, two paths: the run command feeds these records through Odoo's real
order flow (POS ``sync_from_ui``; sale order confirm, invoice, payment) and the
benchmarks stream the same records into PostgreSQL with ``COPY`` at scale.

Everything here is plain Python (no ``import odoo``) and streams: members and
orders are produced one at a time, so a million members cost no more memory
than two hundred. The same seed always gives the same data.
"""

import datetime as dt
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

DEFAULT_SEED = 20261123
DEFAULT_MEMBERS = 40  # setup/run's default: about 370 orders, loaded in a minute or two on 2 cores
DEFAULT_MONTHS = 18

# Namespace for the deterministic POS order uuids (uuid5 of the order key).
ORDER_UUID_NAMESPACE = uuid.UUID("5b0e7c1e-3f0a-4c55-9d3a-6d656d626572")

MEMBER_REF_PREFIX = "MCRM-DEMO-"

CN_SURNAMES = (
    ("王", "Wang"),
    ("李", "Li"),
    ("张", "Zhang"),
    ("刘", "Liu"),
    ("陈", "Chen"),
    ("杨", "Yang"),
    ("黄", "Huang"),
    ("赵", "Zhao"),
    ("吴", "Wu"),
    ("周", "Zhou"),
    ("徐", "Xu"),
    ("孙", "Sun"),
    ("马", "Ma"),
    ("朱", "Zhu"),
    ("胡", "Hu"),
    ("郭", "Guo"),
    ("何", "He"),
    ("林", "Lin"),
    ("罗", "Luo"),
    ("高", "Gao"),
    ("郑", "Zheng"),
    ("梁", "Liang"),
    ("谢", "Xie"),
    ("宋", "Song"),
    ("唐", "Tang"),
    ("欧阳", "Ouyang"),
    ("司马", "Sima"),
)
CN_GIVEN = (
    ("伟", "wei"),
    ("芳", "fang"),
    ("娜", "na"),
    ("秀英", "xiuying"),
    ("敏", "min"),
    ("静", "jing"),
    ("丽", "li"),
    ("强", "qiang"),
    ("磊", "lei"),
    ("军", "jun"),
    ("洋", "yang"),
    ("勇", "yong"),
    ("艳", "yan"),
    ("杰", "jie"),
    ("娟", "juan"),
    ("涛", "tao"),
    ("明", "ming"),
    ("超", "chao"),
    ("秀兰", "xiulan"),
    ("霞", "xia"),
    ("平", "ping"),
    ("刚", "gang"),
    ("桂英", "guiying"),
    ("婷", "ting"),
    ("雪", "xue"),
    ("浩然", "haoran"),
    ("宇轩", "yuxuan"),
    ("欣怡", "xinyi"),
    ("子涵", "zihan"),
    ("梓萱", "zixuan"),
    ("一诺", "yinuo"),
    ("思远", "siyuan"),
)
LATIN_FIRST = (
    "Emma",
    "Lucas",
    "Sofia",
    "Noah",
    "Mia",
    "Liam",
    "Anna",
    "David",
    "Laura",
    "Marco",
    "Julia",
    "Thomas",
    "Elena",
    "Daniel",
    "Chloé",
    "Oliver",
    "Hannah",
    "Mateo",
    "Aisha",
    "Kenji",
)
LATIN_LAST = (
    "Schmidt",
    "Müller",
    "Rossi",
    "Dubois",
    "Smith",
    "García",
    "Novák",
    "Jensen",
    "Martin",
    "Silva",
    "Kowalski",
    "Brown",
    "Lefèvre",
    "Bianchi",
    "Tanaka",
    "O'Brien",
)
# (province code as in Odoo's base.state_cn_<code>, city in Chinese, city in Latin)
CITIES = (
    ("SH", "上海", "Shanghai"),
    ("BJ", "北京", "Beijing"),
    ("GD", "广州", "Guangzhou"),
    ("GD", "深圳", "Shenzhen"),
    ("ZJ", "杭州", "Hangzhou"),
    ("JS", "南京", "Nanjing"),
    ("JS", "苏州", "Suzhou"),
    ("SC", "成都", "Chengdu"),
    ("HB", "武汉", "Wuhan"),
    ("SN", "西安", "Xi'an"),
    ("CQ", "重庆", "Chongqing"),
    ("FJ", "厦门", "Xiamen"),
    ("SD", "青岛", "Qingdao"),
    ("HN", "长沙", "Changsha"),
    ("TJ", "天津", "Tianjin"),
    ("LN", "大连", "Dalian"),
    ("YN", "昆明", "Kunming"),
    ("HA", "郑州", "Zhengzhou"),
)
# Mainland mobile prefixes: 11 digits in all.
MOBILE_PREFIXES = (
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "155",
    "157",
    "158",
    "159",
    "166",
    "176",
    "177",
    "180",
    "181",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "191",
    "198",
    "199",
)
EMAIL_DOMAINS = ("example.com", "example.cn", "example.org", "example.net")


@dataclass(frozen=True)
class Product:
    """A catalogue entry; ``price`` is the untaxed list price."""

    code: str
    name: str
    category: str
    price: float


CATALOG = (
    Product("MCRM-TEA-LJ", "西湖龙井 Longjing Green Tea 250g", "Tea & Food", 168.0),
    Product("MCRM-TEA-PE", "普洱熟茶 Pu'er Tea Cake 357g", "Tea & Food", 298.0),
    Product("MCRM-FOOD-MC", "月饼礼盒 Mooncake Gift Box", "Tea & Food", 188.0),
    Product("MCRM-BEA-SR", "精华液 Repair Serum 30ml", "Beauty", 420.0),
    Product("MCRM-BEA-CR", "面霜 Hydrating Cream 50ml", "Beauty", 260.0),
    Product("MCRM-BEA-LP", "口红 Silk Lipstick", "Beauty", 128.0),
    Product("MCRM-APP-SC", "真丝围巾 Silk Scarf", "Apparel", 358.0),
    Product("MCRM-APP-CS", "羊绒衫 Cashmere Sweater", "Apparel", 1280.0),
    Product("MCRM-APP-SN", "运动鞋 Running Shoes", "Apparel", 699.0),
    Product("MCRM-HOM-TS", "青瓷茶具 Celadon Tea Set", "Home", 880.0),
    Product("MCRM-HOM-CD", "香薰蜡烛 Scented Candle", "Home", 98.0),
    Product("MCRM-HOM-PL", "乳胶枕 Latex Pillow", "Home", 399.0),
)

# (share of members, orders per month while active, share of orders that are
# sale orders rather than POS tickets, months active out of the window)
SEGMENTS = (
    ("vip", 0.10, 3.0, 0.30, 1.0),
    ("regular", 0.35, 0.9, 0.15, 1.0),
    ("occasional", 0.40, 0.25, 0.10, 1.0),
    ("lapsed", 0.15, 0.6, 0.10, 0.35),
)


@dataclass(frozen=True)
class Member:
    key: str  # unique, stored as the contact's reference
    name: str
    is_chinese: bool
    lang: str
    email: str
    phone: str
    country_code: str
    state_code: str
    city: str
    birthdate: dt.date
    segment: str


@dataclass(frozen=True)
class OrderLine:
    product_code: str
    qty: int


@dataclass(frozen=True)
class Order:
    key: str  # unique; a sale order keeps it as client reference
    member_key: str
    channel: str  # "pos" or "sale"
    date: dt.datetime
    lines: tuple

    @property
    def uuid(self) -> str:
        """Deterministic POS uuid, so re-sending the same order is idempotent."""
        return str(uuid.uuid5(ORDER_UUID_NAMESPACE, self.key))

    def untaxed_amount(self, catalog=CATALOG) -> float:
        prices = {p.code: p.price for p in catalog}
        return round(sum(prices[line.product_code] * line.qty for line in self.lines), 2)


def _validate(members: int, months: int) -> None:
    if not isinstance(members, int) or members < 0:
        raise ValueError(f"members must be a non-negative integer, got {members!r}")
    if not isinstance(months, int) or months < 1:
        raise ValueError(f"months must be a positive integer, got {months!r}")


def _segment(rng: random.Random):
    roll, acc = rng.random(), 0.0
    for segment in SEGMENTS:
        acc += segment[1]
        if roll < acc:
            return segment
    return SEGMENTS[-1]


def member_key(index: int) -> str:
    return f"{MEMBER_REF_PREFIX}{index + 1:06d}"


def make_member(index: int, seed: int = DEFAULT_SEED) -> Member:
    """The member at ``index``: depends only on (index, seed)."""
    rng = random.Random(f"{seed}:member:{index}")
    state_code, city_cn, city_latin = rng.choice(CITIES)
    is_chinese = rng.random() < 0.8
    if is_chinese:
        (surname, surname_py), (given, given_py) = rng.choice(CN_SURNAMES), rng.choice(CN_GIVEN)
        name, local = surname + given, f"{given_py}.{surname_py.lower()}"
        city, lang = city_cn, "zh_CN"
    else:
        first, last = rng.choice(LATIN_FIRST), rng.choice(LATIN_LAST)
        name, city, lang = f"{first} {last}", city_latin, "en_US"
        local = f"{first}.{last}".lower()
        local = "".join(ch for ch in local if ch.isascii() and (ch.isalnum() or ch == "."))
    phone = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
    birthdate = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(365 * 55))
    return Member(
        key=member_key(index),
        name=name,
        is_chinese=is_chinese,
        lang=lang,
        email=f"{local}{index + 1}@{rng.choice(EMAIL_DOMAINS)}",
        phone=f"+86 {phone[:3]} {phone[3:7]} {phone[7:]}",
        country_code="CN",
        state_code=state_code,
        city=city,
        birthdate=birthdate,
        segment=_segment(rng)[0],
    )


def iter_members(count: int = DEFAULT_MEMBERS, seed: int = DEFAULT_SEED) -> Iterator[Member]:
    _validate(count, 1)
    for index in range(count):
        yield make_member(index, seed)


def _months_back(end: dt.date, months: int) -> dt.date:
    month_index = end.year * 12 + end.month - 1 - months
    year, month = divmod(month_index, 12)
    day = min(end.day, 28)
    return dt.date(year, month + 1, day)


def _member_plan(member: Member, months: int, end: dt.date | None, seed: int):
    """(random generator, window start, join day offset, active days) of one member's history."""
    _validate(0, months)
    end = end or dt.date.today()
    start = _months_back(end, months)
    span_days = (end - start).days
    active_share = next(s for s in SEGMENTS if s[0] == member.segment)[4]
    rng = random.Random(f"{seed}:orders:{member.key}:{months}:{end.isoformat()}")
    # Members join at a random point of the window's first half; lapsed ones stop early.
    join = rng.randrange(max(1, span_days // 2))
    active_days = max(1, int((span_days - join) * active_share))
    return rng, start, join, active_days


def member_joined(
    member: Member,
    months: int = DEFAULT_MONTHS,
    end: dt.date | None = None,
    seed: int = DEFAULT_SEED,
) -> dt.date:
    """The day ``member`` joined: on or before their first order (``member_orders``, same arguments)."""
    _rng, start, join, _active_days = _member_plan(member, months, end, seed)
    return start + dt.timedelta(days=join)


def member_orders(
    member: Member,
    months: int = DEFAULT_MONTHS,
    end: dt.date | None = None,
    seed: int = DEFAULT_SEED,
) -> list:
    """The orders of one member over ``months`` months ending on ``end``.

    Sorted by date; every date lies in [end - months, end). Order keys are
    ``<member key>-<n>`` and so unique across the data set.
    """
    rng, start, join, active_days = _member_plan(member, months, end, seed)
    _, _, rate, sale_share, _active_share = next(s for s in SEGMENTS if s[0] == member.segment)
    expected = rate * active_days / 30.4
    count = int(expected) + (1 if rng.random() < expected - int(expected) else 0)
    if member.segment != "lapsed":
        count = max(count, 1)  # everybody but the lapsed bought at least once
    orders = []
    for _ in range(count):
        day = start + dt.timedelta(days=join + rng.randrange(active_days))
        moment = dt.datetime.combine(day, dt.time(rng.randrange(9, 21), rng.randrange(60), rng.randrange(60)))
        products = rng.sample(CATALOG, k=min(len(CATALOG), 1 + int(rng.random() ** 2 * 4)))
        lines = tuple(OrderLine(p.code, 1 + int(rng.random() ** 3 * 3)) for p in products)
        channel = "sale" if rng.random() < sale_share else "pos"
        orders.append((moment, channel, lines))
    orders.sort(key=lambda item: item[0])
    return [
        Order(key=f"{member.key}-{n + 1:04d}", member_key=member.key, channel=channel, date=moment, lines=lines)
        for n, (moment, channel, lines) in enumerate(orders)
    ]


def iter_orders(
    members,
    months: int = DEFAULT_MONTHS,
    end: dt.date | None = None,
    seed: int = DEFAULT_SEED,
) -> Iterator[Order]:
    end = end or dt.date.today()
    for member in members:
        yield from member_orders(member, months, end, seed)


@dataclass(frozen=True)
class DemoData:
    members: tuple
    orders: tuple
    catalog: tuple = CATALOG
    joined: tuple = ()  # each member's join date (``member_joined``), in the order of ``members``


def generate(
    members: int = DEFAULT_MEMBERS,
    months: int = DEFAULT_MONTHS,
    end: dt.date | None = None,
    seed: int = DEFAULT_SEED,
) -> DemoData:
    """The whole demo data set in memory (fine for hundreds or thousands)."""
    _validate(members, months)
    end = end or dt.date.today()
    member_list = tuple(iter_members(members, seed))
    return DemoData(
        member_list,
        tuple(iter_orders(member_list, months, end, seed)),
        joined=tuple(member_joined(member, months, end, seed) for member in member_list),
    )
