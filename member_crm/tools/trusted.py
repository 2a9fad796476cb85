"""Context flags that only server code can set.

Odoo's RPC takes the caller's context as given, so a plain flag such as
``{"member_points_internal": True}`` is one any user can send with a
``write``. A flag here carries a private sentinel object instead: JSON-RPC and
XML-RPC can only produce strings, numbers, lists and dicts, never this object,
so ``is_trusted()`` is true only when our own code set the flag.

Keys in use:

- ``MEMBERSHIP_WRITE``: the tier engine, the manual change wizard, the import
  and the contact merge may write a membership's tier, dates, number, partner
  and company;
- ``POINTS_INTERNAL``: the points writer changes a card's balance together with
  its lots, history and moves (the card's own follow-up is skipped);
- ``POINTS_FLOW``: Odoo's own order flows (POS coupon confirmation, sales
  order confirmation) change a member card's points;
- ``POINTS_MANUAL``: Odoo's Update Balance wizard changes a card's points by
  hand (it writes its own audit line);
- ``POINTS_CANCEL``: with ``POINTS_FLOW``, sale_loyalty cancels an order and
  takes its points back (the points moves say "cancel");
- ``POINTS_SOURCE`` (a value, ``trusted_value``): the order whose flow changes
  the cards, for the points moves;
- ``POINTS_PARTNERS`` (a value): with ``POINTS_FLOW``, the commercial partners
  whose member cards the flow may change (its orders' customers): a flow run
  on one customer's order never moves another member's card.
"""

_TRUSTED = object()

MEMBERSHIP_WRITE = "member_crm_membership_write"
POINTS_INTERNAL = "member_points_internal"
POINTS_FLOW = "member_crm_points_flow"
POINTS_MANUAL = "member_crm_points_manual"
POINTS_CANCEL = "member_crm_points_cancel"
POINTS_SOURCE = "member_crm_points_source"
POINTS_PARTNERS = "member_crm_points_partners"


def trusted(*keys):
    """Context values that mark ``keys`` as set by our code: ``records.with_context(**trusted(KEY))``."""
    return dict.fromkeys(keys, _TRUSTED)


def is_trusted(env_or_context, key):
    """Whether ``key`` was set by ``trusted()`` (an RPC caller cannot forge it)."""
    context = getattr(env_or_context, "context", env_or_context)
    return context.get(key) is _TRUSTED


class _Value:
    """A context value only server code can make (RPC gives dicts and lists, never this class)."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


def trusted_value(key, value):
    """Context values carrying ``value`` under ``key``, readable with ``trusted_get`` only if our code set it."""
    return {key: _Value(value)}


def trusted_get(env_or_context, key, default=None):
    """The value ``trusted_value()`` put under ``key``, else ``default`` (whatever an RPC caller sent)."""
    context = getattr(env_or_context, "context", env_or_context)
    value = context.get(key)
    return value.value if isinstance(value, _Value) else default
