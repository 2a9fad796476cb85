"""Campaign attribution and money: the reference rule, framework-free.

``member.campaign._member_refresh_results`` applies the same rule in one SQL
statement; the root tests pin it down here with literal numbers.

Attribution of an order (one ledger source document, net of its refunds and
cancellations) to at most one campaign:

1. **coupon first**: the order used (net of refunds) the personal coupon of a
   campaign's recipient; if it used several, the campaign whose last message
   to the member is the latest wins;
2. **else the window**: the order's local day is 0 to ``WINDOW_DAYS`` days
   (inclusive) after the local day of the campaign's last message to the
   member; for a holdout member (no message, no coupon) after the local day
   of the campaign's send time. Among overlapping campaigns the latest
   message (or holdout send time) wins; ties go to the higher campaign id.

Money of a campaign:

- cost = fixed + per message x messages reached + discount granted;
- effect = attributed revenue - cost; ROI = effect / cost (None when cost is 0);
- with a holdout: incremental revenue = revenue - holdout revenue x treated
  members / holdout members (the holdout's revenue per member, scaled to the
  treated group), incremental ROI = (incremental revenue - cost) / cost.
"""

import dataclasses
import datetime as dt

WINDOW_DAYS = 14
COUPON = "coupon"
WINDOW = "window"


@dataclasses.dataclass(frozen=True)
class Touch:
    """A campaign's recipient as attribution sees it.

    ``at``: when the last message reached the member (a holdout member: the
    campaign's send time); ``day``: that moment's local day. Both None when
    nothing reached the member (a bounce): only coupon use can attribute then.
    """

    campaign_id: int
    recipient_id: int
    partner_id: int
    at: dt.datetime | None = None
    day: dt.date | None = None
    holdout: bool = False


@dataclasses.dataclass(frozen=True)
class Order:
    """One ledger source document, net of its refunds and cancellations.

    ``coupon_campaign_ids``: campaigns whose coupon, held by this member, the
    order used net of refunds.
    """

    source: tuple
    partner_id: int
    day: dt.date
    revenue: float
    coupon_campaign_ids: frozenset = frozenset()


@dataclasses.dataclass(frozen=True)
class Attribution:
    source: tuple
    campaign_id: int
    recipient_id: int
    partner_id: int
    method: str
    day: dt.date
    revenue: float


def _latest(touches):
    """The touch with the latest message; ties (and no message at all) by the higher campaign id."""
    return max(touches, key=lambda t: (t.at is not None, t.at or dt.datetime.min, t.campaign_id))


def in_window(order_day, touch_day, window_days=WINDOW_DAYS):
    """Whether ``order_day`` is 0 to ``window_days`` days (inclusive) after ``touch_day``."""
    return touch_day is not None and 0 <= (order_day - touch_day).days <= window_days


def attribute_order(order, touches, window_days=WINDOW_DAYS):
    """The attribution of one order among the member's ``touches``, or None."""
    mine = [t for t in touches if t.partner_id == order.partner_id]
    by_coupon = [t for t in mine if t.campaign_id in order.coupon_campaign_ids and not t.holdout]
    if by_coupon:
        touch, method = _latest(by_coupon), COUPON
    else:
        in_reach = [t for t in mine if in_window(order.day, t.day, window_days)]
        if not in_reach:
            return None
        touch, method = _latest(in_reach), WINDOW
    return Attribution(
        source=order.source,
        campaign_id=touch.campaign_id,
        recipient_id=touch.recipient_id,
        partner_id=order.partner_id,
        method=method,
        day=order.day,
        revenue=order.revenue,
    )


def attribute(orders, touches, window_days=WINDOW_DAYS):
    """Attribute each order to at most one campaign; returns the attributions, in the orders' order."""
    by_partner = {}
    for touch in touches:
        by_partner.setdefault(touch.partner_id, []).append(touch)
    result = []
    for order in orders:
        attribution = attribute_order(order, by_partner.get(order.partner_id, ()), window_days)
        if attribution:
            result.append(attribution)
    return result


@dataclasses.dataclass(frozen=True)
class Money:
    message_cost: float
    cost_total: float
    effect: float
    roi: float | None
    incremental_revenue: float | None
    incremental_roi: float | None


def money(
    revenue,
    cost_fixed=0.0,
    cost_per_message=0.0,
    reached=0,
    discount=0.0,
    treated_count=0,
    holdout_count=0,
    holdout_revenue=0.0,
    digits=2,
):
    """A campaign's money figures (amounts rounded to ``digits``, ratios to 4 decimals).

    ``revenue``: attributed revenue of the treated (non-holdout) recipients;
    ``treated_count`` / ``holdout_count``: recipients outside / inside the
    holdout; ``holdout_revenue``: revenue attributed to the holdout members.
    """
    message_cost = round(cost_per_message * reached, digits)
    cost = round(cost_fixed + message_cost + discount, digits)
    effect = round(revenue - cost, digits)
    roi = round(effect / cost, 4) if cost else None
    incremental = incremental_roi = None
    if holdout_count:
        incremental = round(revenue - holdout_revenue * treated_count / holdout_count, digits)
        incremental_roi = round((incremental - cost) / cost, 4) if cost else None
    return Money(message_cost, cost, effect, roi, incremental, incremental_roi)
