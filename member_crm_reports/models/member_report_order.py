"""Member order analysis: one row per counted order document of a member, read live from the ledger.

A subquery (``_table_query``) in the style of ``sale/report/sale_report.py``:
the ledger's record rules do not apply inside it, so the model has its own
company rule (security/member_crm_reports_security.xml).

Rows:

- one per order document (a POS order, a sale order, an invoice) of a member
  of the document's company, from its last order entry: a document cancelled
  and confirmed again counts once (its last revision), a cancelled one is a row
  with ``cancelled`` = 1 and nothing counted (no order, no amount);
- its refunds (POS refunds, credit notes), net of their own cancellations, are
  summed onto it, dated as the original: a refund restates its original's
  month; ``returned`` is 1 when at least one refund still counts (several
  partial refunds are one returned order);
- one per opening balance entry of the import (``is_opening``): counted in the
  cumulative spend (lifetime value) only, never as an order.

An order document counts only if its customer was an active member of its
company on its date (``member.membership.interval``: an active period with
``date_from`` <= the date < ``date_to``): the ledger records every customer's
orders, and a member who left, was suspended or had not joined yet is no
member buying (the members figure would say 0 and the active members 1).
Opening balances always count: they are the member's imported history.

Feedback and correction entries are not orders and have no row.
"""

from odoo import api, fields, models
from odoo.tools import SQL


class MemberReportOrder(models.Model):
    _name = "member.report.order"
    _description = "Member Order Analysis"
    _auto = False
    _rec_name = "date"
    _order = "date desc, id desc"
    _depends = {
        "member.ledger": [
            "partner_id",
            "company_id",
            "date",
            "kind",
            "amount",
            "order_count",
            "source_model",
            "source_id",
            "refund_of_id",
            "revision",
            "pos_config_id",
            "team_id",
            "country_id",
            "state_id",
            "city",
        ],
        "member.membership": ["partner_id", "company_id", "tier_id"],
        "member.tier.history": ["membership_id", "from_tier_id", "to_tier_id", "direction", "date"],
        "member.membership.interval": ["membership_id", "state", "date_from", "date_to"],
        "res.company": ["currency_id", "partner_id"],
    }

    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Member", readonly=True)
    membership_id = fields.Many2one("member.membership", readonly=True)
    date = fields.Date(readonly=True, help="The order's day in the company's time zone (its refunds: the same).")
    month = fields.Date(readonly=True, help="First day of the order's month, in the company's time zone.")
    pos_config_id = fields.Many2one("pos.config", string="Store", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    country_id = fields.Many2one("res.country", readonly=True)
    state_id = fields.Many2one("res.country.state", readonly=True)
    city = fields.Char(readonly=True)
    tier_id = fields.Many2one(
        "member.tier",
        string="Tier at Order Date",
        readonly=True,
        help="The member's tier at the end of the order's day.",
    )
    amount = fields.Monetary(
        string="Gross Amount", readonly=True, help="Untaxed, in company currency; 0 for a cancelled order."
    )
    refund_amount = fields.Monetary(string="Refunded", readonly=True)
    net_amount = fields.Monetary(readonly=True, help="Gross amount less refunds.")
    order_count = fields.Integer(
        string="Orders", readonly=True, help="1 per order that counts (net of cancellations); 0 for opening balances."
    )
    net_order_count = fields.Integer(
        string="Net Orders",
        readonly=True,
        help="Orders net of cancellations and of refunds that take an order back whole.",
    )
    returned = fields.Integer(string="Returned Orders", readonly=True, help="1 when at least one refund counts.")
    cancelled = fields.Integer(string="Cancelled Orders", readonly=True)
    is_opening = fields.Boolean(string="Opening Balance", readonly=True)

    @property
    def _table_query(self) -> SQL:
        return SQL(
            """
            SELECT doc.*, m.id AS membership_id, rc.currency_id,
                   date_trunc('month', doc.date)::date AS month,
                   %(tier)s AS tier_id
              FROM (%(orders)s UNION ALL %(openings)s) doc
              JOIN member_membership m ON m.partner_id = doc.partner_id AND m.company_id = doc.company_id
              JOIN res_company rc ON rc.id = doc.company_id
              JOIN res_partner rcp ON rcp.id = rc.partner_id
             WHERE doc.is_opening OR %(member_then)s
            """,
            orders=self._member_orders_sql(),
            openings=self._member_openings_sql(),
            tier=self._member_tier_at_date_sql(),
            member_then=self._member_active_on_date_sql(),
        )

    @api.model
    def _member_active_on_date_sql(self):
        """SQL: membership ``m`` had an active period on the row's day ``doc.date`` (both company-local days).

        A member has a few periods (enrolled, left, re-enrolled): the index on the period's membership finds
        them, the dates and the state are checked on those rows.
        """
        return SQL(
            """EXISTS (
                   SELECT 1 FROM member_membership_interval i
                    WHERE i.membership_id = m.id AND i.state = 'active' AND i.date_from <= doc.date
                      AND (i.date_to IS NULL OR i.date_to > doc.date)
               )"""
        )

    @api.model
    def _member_orders_sql(self):
        """Order documents: their last order entry, its cancellation, their refunds net of theirs."""
        return SQL(
            """
            SELECT l.id, l.company_id, l.partner_id, l.date, l.pos_config_id, l.team_id, l.country_id,
                   l.state_id, l.city,
                   CASE WHEN cx.id IS NULL THEN l.amount ELSE 0 END AS amount,
                   -COALESCE(ref.amount, 0) AS refund_amount,
                   CASE WHEN cx.id IS NULL THEN l.amount ELSE 0 END + COALESCE(ref.amount, 0) AS net_amount,
                   CASE WHEN cx.id IS NULL THEN 1 ELSE 0 END AS order_count,
                   -- the ledger's own count: a refund that takes the order back whole counts -1
                   l.order_count + COALESCE(cx.order_count, 0) + COALESCE(ref.order_count, 0) AS net_order_count,
                   CASE WHEN cx.id IS NULL AND ref.live > 0 THEN 1 ELSE 0 END AS returned,
                   CASE WHEN cx.id IS NULL THEN 0 ELSE 1 END AS cancelled,
                   FALSE AS is_opening
              FROM member_ledger l
         LEFT JOIN member_ledger cx ON cx.refund_of_id = l.id AND cx.kind = 'cancel'
         LEFT JOIN (
                   -- refunds of each original document (any revision), each net of its cancellation
                   SELECT orig.source_model, orig.source_id,
                          SUM(r.amount + COALESCE(rx.amount, 0)) AS amount,
                          SUM(r.order_count + COALESCE(rx.order_count, 0)) AS order_count,
                          COUNT(*) FILTER (WHERE rx.id IS NULL) AS live
                     FROM member_ledger r
                     JOIN member_ledger orig ON orig.id = r.refund_of_id
                LEFT JOIN member_ledger rx ON rx.refund_of_id = r.id AND rx.kind = 'cancel'
                    WHERE r.kind = 'refund'
                 GROUP BY orig.source_model, orig.source_id
                   ) ref ON ref.source_model = l.source_model AND ref.source_id = l.source_id
             WHERE l.kind = 'order'
               -- the last revision only: an order confirmed again after a cancellation counts once
               AND NOT EXISTS (
                   SELECT 1 FROM member_ledger nx
                    WHERE nx.source_model = l.source_model AND nx.source_id = l.source_id
                      AND nx.kind = 'order' AND nx.revision > l.revision AND nx.source_id IS NOT NULL
                   )
            """
        )

    @api.model
    def _member_openings_sql(self):
        """Opening balances of the import: spend only (no order, no store, no team)."""
        return SQL(
            """
            SELECT o.id, o.company_id, o.partner_id, o.date, NULL::int AS pos_config_id, NULL::int AS team_id,
                   o.country_id, o.state_id, o.city, o.amount, 0::numeric AS refund_amount,
                   o.amount AS net_amount, 0 AS order_count, 0 AS net_order_count, 0 AS returned,
                   0 AS cancelled, TRUE AS is_opening
              FROM member_ledger o
             WHERE o.kind = 'opening'
            """
        )

    @api.model
    def _member_tier_at_date_sql(self):
        """SQL: the member's tier at the end of the row's day (``doc.date``, membership ``m``).

        The last move (up or down; grace events are no moves) by the end of the day,
        else the tier the first later move left (none before enrolment), else the
        current tier: the rule of the monthly snapshot. Moves are dated in UTC; the
        day ends at midnight in the company's time zone (``res.company._member_tz``),
        the zone of the ledger's dates. Scalar subqueries in a COALESCE, so that the
        second runs only without a move before, and a query that does not read the
        tier (a pivot by month or store) does not compute it at all.
        """
        day_end = SQL(
            "(((doc.date + 1)::timestamp AT TIME ZONE COALESCE(NULLIF(rcp.tz, ''), %s)) AT TIME ZONE 'UTC')",
            self.env["res.company"]._member_tz_fallback(),
        )
        return SQL(
            """(COALESCE(
                   (SELECT ARRAY[h.to_tier_id] FROM member_tier_history h
                     WHERE h.membership_id = m.id AND h.direction IN ('up', 'down') AND h.date < %(day_end)s
                  ORDER BY h.date DESC, h.id DESC LIMIT 1),
                   (SELECT ARRAY[h.from_tier_id] FROM member_tier_history h
                     WHERE h.membership_id = m.id AND h.direction IN ('up', 'down') AND h.date >= %(day_end)s
                  ORDER BY h.date, h.id LIMIT 1),
                   ARRAY[m.tier_id]
               ))[1]""",
            day_end=day_end,
        )
