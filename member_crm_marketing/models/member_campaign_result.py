"""Campaign results, attribution and money (``_inherit`` of the campaign and its recipients).

One set-based refresh (``member.campaign._member_refresh_results``, nightly and
from a button) computes, per company, from Odoo's own records:

- results per recipient from ``mailing.trace``: reached (status pending, sent,
  open or reply: an SMS handed to the provider is "pending", labelled Sent),
  opened (open or reply), clicked (click time set);
- coupon use from reward lines on confirmed sale orders and paid POS orders,
  net of refunds (not loyalty's use counter, which counts drafts), and the
  discount they granted (untaxed);
- attribution of member.ledger orders (net of refunds and cancellations) with
  the rule of ``engine/attribution.py``: coupon first, else a purchase 0-14
  local days after the last message (a holdout member: the campaign's send
  time); the latest message wins, one order goes to at most one campaign;
- the campaign's totals and its money (``engine.attribution.money``).

Result fields are written by the refresh only: users cannot write them.
"""

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..engine import attribution as engine

REACHED = ("pending", "sent", "open", "reply")
OPENED = ("open", "reply")

RECIPIENT_RESULT_FIELDS = ("reached", "opened", "clicked", "coupon_used", "order_count", "revenue", "discount")
CAMPAIGN_RESULT_FIELDS = (
    "reached_count",
    "opened_count",
    "clicked_count",
    "coupon_used_count",
    "order_count",
    "revenue",
    "discount_cost",
    "message_cost",
    "cost_total",
    "effect",
    "roi",
    "holdout_count",
    "holdout_revenue",
    "incremental_revenue",
    "incremental_roi",
    "results_date",
)


def _refuse_result_writes(records, vals_list, result_fields, operation):
    """Results come from the refresh (SQL): refuse them in create/write, whoever the user.

    A user without the right at all gets the access error Odoo would give.
    """
    touched = sorted({name for vals in vals_list for name in vals if name in result_fields})
    if touched:
        records.check_access(operation)
        raise UserError(
            records.env._(
                "Campaign results are computed by the results refresh and cannot be written: %(fields)s.",
                fields=", ".join(records._fields[name].string for name in touched),
            )
        )


class MemberCampaignRecipient(models.Model):
    _inherit = "member.campaign.recipient"

    currency_id = fields.Many2one(related="company_id.currency_id")
    channel = fields.Selection(related="campaign_id.channel", store=True, string="Channel")
    reached = fields.Boolean(readonly=True, copy=False, help="A message reached the member (trace Sent or later).")
    opened = fields.Boolean(readonly=True, copy=False)
    clicked = fields.Boolean(readonly=True, copy=False)
    coupon_used = fields.Boolean(
        readonly=True, copy=False, help="The coupon is on a confirmed sale order or a paid POS order, net of refunds."
    )
    order_count = fields.Integer(string="Attributed Orders", readonly=True, copy=False)
    revenue = fields.Monetary(
        string="Attributed Revenue", currency_field="currency_id", readonly=True, copy=False, help="Untaxed."
    )
    discount = fields.Monetary(
        string="Discount Granted", currency_field="currency_id", readonly=True, copy=False, help="Untaxed."
    )
    attribution_ids = fields.One2many("member.campaign.attribution", "recipient_id", string="Attributions")

    @api.model_create_multi
    def create(self, vals_list):
        _refuse_result_writes(self, vals_list, RECIPIENT_RESULT_FIELDS, "create")
        return super().create(vals_list)

    def write(self, vals):
        _refuse_result_writes(self, [vals], RECIPIENT_RESULT_FIELDS, "write")
        return super().write(vals)


class MemberCampaign(models.Model):
    _inherit = "member.campaign"

    reached_count = fields.Integer(string="Reached", readonly=True, copy=False)
    opened_count = fields.Integer(string="Opened", readonly=True, copy=False)
    clicked_count = fields.Integer(string="Clicked", readonly=True, copy=False)
    coupon_used_count = fields.Integer(string="Coupons Used", readonly=True, copy=False)
    order_count = fields.Integer(string="Attributed Orders", readonly=True, copy=False)
    revenue = fields.Monetary(
        string="Attributed Revenue",
        currency_field="currency_id",
        readonly=True,
        copy=False,
        help="Untaxed revenue (from the member ledger, net of refunds) of the orders attributed to the members "
        "who got the campaign.",
    )
    discount_cost = fields.Monetary(
        string="Discount Granted", currency_field="currency_id", readonly=True, copy=False, help="Untaxed."
    )
    message_cost = fields.Monetary(currency_field="currency_id", readonly=True, copy=False)
    cost_total = fields.Monetary(
        string="Total Cost",
        currency_field="currency_id",
        readonly=True,
        copy=False,
        help="Fixed cost + cost per message x messages that reached a member + discount granted.",
    )
    effect = fields.Monetary(
        currency_field="currency_id", readonly=True, copy=False, help="Attributed revenue minus total cost."
    )
    roi = fields.Float(string="ROI", readonly=True, copy=False, help="Effect / total cost (empty when no cost).")
    holdout_count = fields.Integer(string="Holdout Members", readonly=True, copy=False)
    holdout_revenue = fields.Monetary(
        currency_field="currency_id",
        readonly=True,
        copy=False,
        help="Untaxed revenue of the holdout members within 14 days of the send time.",
    )
    incremental_revenue = fields.Monetary(
        currency_field="currency_id",
        readonly=True,
        copy=False,
        help="Attributed revenue minus the holdout's revenue per member times the members who got the campaign.",
    )
    incremental_roi = fields.Float(
        string="Incremental ROI", readonly=True, copy=False, help="(Incremental revenue - total cost) / total cost."
    )
    results_date = fields.Datetime(string="Results Refreshed On", readonly=True, copy=False)
    attribution_ids = fields.One2many("member.campaign.attribution", "campaign_id", string="Attributions")

    @api.model_create_multi
    def create(self, vals_list):
        _refuse_result_writes(self, vals_list, CAMPAIGN_RESULT_FIELDS, "create")
        return super().create(vals_list)

    @api.model
    def _member_computed_defaults(self):
        # no default_revenue (or any figure) from an RPC caller's context either
        return (*super()._member_computed_defaults(), *CAMPAIGN_RESULT_FIELDS)

    def write(self, vals):
        _refuse_result_writes(self, [vals], CAMPAIGN_RESULT_FIELDS, "write")
        return super().write(vals)

    # ------------------------------------------------------------------
    # actions
    # ------------------------------------------------------------------
    def action_member_refresh_results(self):
        """Button: refresh the results of these campaigns' companies (attribution spans all their campaigns)."""
        self.check_access("write")
        self._member_refresh_results(self.company_id)
        return True

    def action_member_view_attributions(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Attributed Orders"),
            "res_model": "member.campaign.attribution",
            "view_mode": "list,pivot",
            "domain": [("campaign_id", "=", self.id)],
            "context": {"create": False},
        }

    @api.model
    def _cron_member_refresh_results(self):
        self._member_refresh_results()

    # ------------------------------------------------------------------
    # the refresh
    # ------------------------------------------------------------------
    @api.model
    def _member_refresh_results(self, companies=None):
        """Recompute attributions, recipient results and campaign money for ``companies`` (default: all).

        All launched campaigns of a company are computed together: overlapping campaigns
        compete for the same orders. Two statements: one attributing (rows written by
        difference) and writing the recipients that moved, one writing the campaigns.
        """
        if companies is None:
            companies = self.env["res.company"].search([("member_crm_enabled", "=", True)])
        if not companies:
            return
        self.env.flush_all()
        company_ids = list(companies.ids)
        self.env.execute_query(self._member_results_sql(company_ids))
        totals = self.env.execute_query_dict(
            SQL(
                """
                SELECT c.id, c.cost_fixed, c.cost_per_message,
                       COUNT(r.id) FILTER (WHERE r.reached) AS reached_count,
                       COUNT(r.id) FILTER (WHERE r.opened) AS opened_count,
                       COUNT(r.id) FILTER (WHERE r.clicked) AS clicked_count,
                       COUNT(r.id) FILTER (WHERE r.coupon_used) AS coupon_used_count,
                       COALESCE(SUM(r.order_count) FILTER (WHERE r.holdout IS NOT TRUE), 0) AS order_count,
                       COALESCE(SUM(r.revenue) FILTER (WHERE r.holdout IS NOT TRUE), 0) AS revenue,
                       COALESCE(SUM(r.discount), 0) AS discount_cost,
                       COUNT(r.id) FILTER (WHERE r.holdout IS NOT TRUE) AS treated_count,
                       COUNT(r.id) FILTER (WHERE r.holdout) AS holdout_count,
                       COALESCE(SUM(r.revenue) FILTER (WHERE r.holdout), 0) AS holdout_revenue
                  FROM member_campaign c
             LEFT JOIN member_campaign_recipient r ON r.campaign_id = c.id
                 WHERE c.company_id = ANY(%s) AND c.state IN ('running', 'done') AND c.sent_date IS NOT NULL
              GROUP BY c.id
                """,
                company_ids,
            )
        )
        now = fields.Datetime.now()
        rows = []
        for t in totals:
            money = engine.money(
                float(t["revenue"]),
                cost_fixed=float(t["cost_fixed"] or 0.0),
                cost_per_message=float(t["cost_per_message"] or 0.0),
                reached=t["reached_count"],
                discount=float(t["discount_cost"]),
                treated_count=t["treated_count"],
                holdout_count=t["holdout_count"],
                holdout_revenue=float(t["holdout_revenue"]),
            )
            rows.append(
                SQL(
                    "(%s::int, %s::int, %s::int, %s::int, %s::int, %s::int, %s::numeric, %s::numeric, %s::numeric, "
                    "%s::numeric, %s::numeric, %s::float8, %s::int, %s::numeric, %s::numeric, %s::float8)",
                    t["id"],
                    t["reached_count"],
                    t["opened_count"],
                    t["clicked_count"],
                    t["coupon_used_count"],
                    t["order_count"],
                    t["revenue"],
                    t["discount_cost"],
                    money.message_cost,
                    money.cost_total,
                    money.effect,
                    money.roi,
                    t["holdout_count"],
                    t["holdout_revenue"],
                    money.incremental_revenue,
                    money.incremental_roi,
                )
            )
        if rows:
            self.env.execute_query(
                SQL(
                    """
                    UPDATE member_campaign c
                       SET reached_count = v.reached_count, opened_count = v.opened_count,
                           clicked_count = v.clicked_count, coupon_used_count = v.coupon_used_count,
                           order_count = v.order_count, revenue = v.revenue, discount_cost = v.discount_cost,
                           message_cost = v.message_cost, cost_total = v.cost_total, effect = v.effect,
                           roi = v.roi, holdout_count = v.holdout_count, holdout_revenue = v.holdout_revenue,
                           incremental_revenue = v.incremental_revenue, incremental_roi = v.incremental_roi,
                           results_date = %(now)s
                      FROM (VALUES %(rows)s) AS v(id, reached_count, opened_count, clicked_count, coupon_used_count,
                                                 order_count, revenue, discount_cost, message_cost, cost_total,
                                                 effect, roi, holdout_count, holdout_revenue, incremental_revenue,
                                                 incremental_roi)
                     WHERE c.id = v.id
                    """,
                    now=now,
                    rows=SQL(", ").join(rows),
                )
            )
        self.env["member.campaign.recipient"].invalidate_model(RECIPIENT_RESULT_FIELDS)
        self.invalidate_model(CAMPAIGN_RESULT_FIELDS)
        self.env["member.campaign.attribution"].invalidate_model()

    @api.model
    def _member_results_sql(self, company_ids):
        """One statement: attribute the ledger's orders and write every recipient's results."""
        Company = self.env["res.company"]
        # in "paid" mode the ledger holds invoices: a sale order's coupon use counts on its invoices
        return SQL(
            """
            WITH camp AS (
                SELECT c.id, c.company_id, c.sent_date, c.mailing_id
                  FROM member_campaign c
                 WHERE c.company_id = ANY(%(companies)s) AND c.state IN ('running', 'done')
                   AND c.sent_date IS NOT NULL
            ),
            trace AS (
                SELECT t.res_id AS recipient_id,
                       BOOL_OR(t.trace_status IN %(reached)s) AS reached,
                       BOOL_OR(t.trace_status IN %(opened)s) AS opened,
                       BOOL_OR(t.links_click_datetime IS NOT NULL) AS clicked,
                       MAX(COALESCE(t.sent_datetime, t.create_date)) FILTER (WHERE t.trace_status IN %(reached)s)
                           AS last_at
                  FROM mailing_trace t
                  -- through the campaign's mailing: traces are indexed by mailing, not by document
                  JOIN camp ON camp.mailing_id = t.mass_mailing_id
                  JOIN member_campaign_recipient r ON r.id = t.res_id AND r.campaign_id = camp.id
                 WHERE t.model = 'member.campaign.recipient' AND t.is_test_trace IS NOT TRUE
              GROUP BY t.res_id
            ),
            touch AS (
                -- a recipient as attribution sees it: the last message (holdout: the send time)
                SELECT r.id AS recipient_id, r.campaign_id, r.company_id, r.coupon_id,
                       COALESCE(r.holdout, FALSE) AS holdout, p.commercial_partner_id AS member_id,
                       COALESCE(tr.reached, FALSE) AS reached, COALESCE(tr.opened, FALSE) AS opened,
                       COALESCE(tr.clicked, FALSE) AS clicked,
                       CASE WHEN r.holdout THEN camp.sent_date ELSE tr.last_at END AS at
                  FROM member_campaign_recipient r
                  JOIN camp ON camp.id = r.campaign_id
                  JOIN res_partner p ON p.id = r.partner_id
             LEFT JOIN trace tr ON tr.recipient_id = r.id
            ),
            touch_day AS (
                -- the message's local day: the company's time zone looked up once per company, as
                -- res.company._member_local_date_sql does per row
                SELECT touch.*, ((touch.at AT TIME ZONE 'UTC') AT TIME ZONE tz.tz)::date AS day
                  FROM touch
                  JOIN (SELECT c.id, COALESCE(NULLIF(p.tz, ''), %(tz_fallback)s) AS tz
                          FROM res_company c JOIN res_partner p ON p.id = c.partner_id
                         WHERE c.id = ANY(%(companies)s)) tz ON tz.id = touch.company_id
            ),
            reward AS (
                -- reward lines of the campaigns' coupons, net of refunds (untaxed, company currency)
                SELECT sol.coupon_id, 'sale.order' AS order_model, so.id AS order_id,
                       sol.product_uom_qty - COALESCE(cn.qty, 0) AS qty,
                       -sol.price_subtotal / COALESCE(NULLIF(so.currency_rate, 0), 1)
                           * CASE WHEN sol.product_uom_qty = 0 THEN 0
                                  ELSE (sol.product_uom_qty - COALESCE(cn.qty, 0)) / sol.product_uom_qty END
                           AS discount
                  FROM sale_order_line sol
                  JOIN sale_order so ON so.id = sol.order_id AND so.state = 'sale'
             LEFT JOIN LATERAL (
                       -- credited on posted credit notes
                       SELECT SUM(aml.quantity) AS qty
                         FROM sale_order_line_invoice_rel rel
                         JOIN account_move_line aml ON aml.id = rel.invoice_line_id
                         JOIN account_move m ON m.id = aml.move_id
                        WHERE rel.order_line_id = sol.id AND m.move_type = 'out_refund' AND m.state = 'posted'
                       ) cn ON TRUE
                 WHERE sol.reward_id IS NOT NULL
                   AND sol.coupon_id IN (SELECT coupon_id FROM touch WHERE coupon_id IS NOT NULL)
                UNION ALL
                SELECT l.coupon_id, 'pos.order', o.id, l.qty + COALESCE(rf.qty, 0),
                       -(l.price_subtotal + COALESCE(rf.subtotal, 0)) / COALESCE(NULLIF(o.currency_rate, 0), 1)
                  FROM pos_order_line l
                  JOIN pos_order o ON o.id = l.order_id AND o.state IN ('paid', 'done', 'invoiced')
             LEFT JOIN LATERAL (
                       SELECT SUM(rl.qty) AS qty, SUM(rl.price_subtotal) AS subtotal
                         FROM pos_order_line rl
                         JOIN pos_order ro ON ro.id = rl.order_id AND ro.state IN ('paid', 'done', 'invoiced')
                        WHERE rl.refunded_orderline_id = l.id
                       ) rf ON TRUE
                 WHERE l.reward_id IS NOT NULL AND l.refunded_orderline_id IS NULL
                   AND l.coupon_id IN (SELECT coupon_id FROM touch WHERE coupon_id IS NOT NULL)
            ),
            coupon_use AS (
                SELECT coupon_id, SUM(discount) AS discount, BOOL_OR(qty > 0) AS used
                  FROM reward GROUP BY coupon_id
            ),
            coupon_doc AS (
                -- the ledger documents that used a coupon: the order itself, or in "paid" mode its invoices
                SELECT DISTINCT order_model AS source_model, order_id AS source_id, coupon_id
                  FROM reward WHERE qty > 0
                UNION
                SELECT DISTINCT 'account.move', aml.move_id, rw.coupon_id
                  FROM reward rw
                  JOIN sale_order_line sol ON sol.order_id = rw.order_id
                  JOIN sale_order_line_invoice_rel rel ON rel.order_line_id = sol.id
                  JOIN account_move_line aml ON aml.id = rel.invoice_line_id
                 WHERE rw.order_model = 'sale.order' AND rw.qty > 0
            ),
            orig AS (
                -- the ledger's order entries of the members in scope
                SELECT o.id, o.source_model, o.source_id, o.partner_id, o.company_id, o.date
                  FROM member_ledger o
                 WHERE o.kind = 'order' AND o.source_id IS NOT NULL AND o.company_id = ANY(%(companies)s)
                   AND o.partner_id IN (SELECT member_id FROM touch)
                   -- no coupon is issued before the send (UTC day; one day's margin for the time zone)
                   AND o.date >= (SELECT MIN(sent_date)::date - 1 FROM camp)
            ),
            entry AS (
                -- each order entry with its refunds and cancellations, and the cancellations of those refunds
                SELECT orig.*, e.amount, e.order_count
                  FROM orig JOIN member_ledger e ON e.id = orig.id
                UNION ALL
                SELECT orig.*, e.amount, e.order_count
                  FROM orig JOIN member_ledger e ON e.refund_of_id = orig.id
                UNION ALL
                SELECT orig.*, c.amount, c.order_count
                  FROM orig
                  JOIN member_ledger r ON r.refund_of_id = orig.id AND r.kind = 'refund'
                  JOIN member_ledger c ON c.refund_of_id = r.id AND c.kind = 'cancel'
            ),
            doc AS (
                SELECT source_model, source_id, partner_id, company_id, MIN(date) AS date,
                       SUM(amount) AS revenue, SUM(order_count) AS order_count
                  FROM entry
              GROUP BY source_model, source_id, partner_id, company_id
                HAVING SUM(order_count) > 0
            ),
            candidate AS (
                SELECT doc.*, td.recipient_id, td.campaign_id, td.holdout, 'coupon' AS method, 0 AS priority, td.at
                  FROM doc
                  JOIN coupon_doc cd ON cd.source_model = doc.source_model AND cd.source_id = doc.source_id
                  JOIN touch_day td ON td.coupon_id = cd.coupon_id AND td.member_id = doc.partner_id
                                   AND td.company_id = doc.company_id AND NOT td.holdout
                UNION ALL
                SELECT doc.*, td.recipient_id, td.campaign_id, td.holdout, 'window', 1, td.at
                  FROM doc
                  JOIN touch_day td ON td.member_id = doc.partner_id AND td.company_id = doc.company_id
                                   AND doc.date BETWEEN td.day AND td.day + %(window)s
            ),
            pick AS (
                SELECT DISTINCT ON (source_model, source_id) *
                  FROM candidate
              ORDER BY source_model, source_id, priority, at DESC NULLS LAST, campaign_id DESC
            ),
            -- the attributions change by difference: a nightly refresh writes only what moved
            gone AS (
                DELETE FROM member_campaign_attribution a
                 WHERE a.company_id = ANY(%(companies)s)
                   AND NOT EXISTS (SELECT 1 FROM pick
                                    WHERE pick.source_model = a.source_model AND pick.source_id = a.source_id)
            ),
            ins AS (
                INSERT INTO member_campaign_attribution (campaign_id, recipient_id, partner_id, company_id, holdout,
                                                         method, source_model, source_id, date, revenue, order_count,
                                                         create_uid, create_date, write_uid, write_date)
                SELECT campaign_id, recipient_id, partner_id, company_id, holdout, method, source_model, source_id,
                       date, ROUND(revenue::numeric, 2), order_count, %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM pick
                    ON CONFLICT (source_model, source_id) DO UPDATE
                   SET campaign_id = EXCLUDED.campaign_id, recipient_id = EXCLUDED.recipient_id,
                       partner_id = EXCLUDED.partner_id, company_id = EXCLUDED.company_id,
                       holdout = EXCLUDED.holdout, method = EXCLUDED.method, date = EXCLUDED.date,
                       revenue = EXCLUDED.revenue, order_count = EXCLUDED.order_count,
                       write_uid = EXCLUDED.write_uid, write_date = EXCLUDED.write_date
                 WHERE (member_campaign_attribution.campaign_id, member_campaign_attribution.recipient_id,
                        member_campaign_attribution.method, member_campaign_attribution.date,
                        member_campaign_attribution.revenue, member_campaign_attribution.order_count,
                        member_campaign_attribution.holdout)
                       IS DISTINCT FROM (EXCLUDED.campaign_id, EXCLUDED.recipient_id, EXCLUDED.method, EXCLUDED.date,
                                         EXCLUDED.revenue, EXCLUDED.order_count, EXCLUDED.holdout)
            ),
            per_recipient AS (
                SELECT recipient_id, SUM(order_count) AS order_count, SUM(revenue) AS revenue
                  FROM pick GROUP BY recipient_id
            )
            UPDATE member_campaign_recipient r
               SET reached = t.reached AND NOT t.holdout, opened = t.opened AND NOT t.holdout,
                   clicked = t.clicked AND NOT t.holdout,
                   coupon_used = COALESCE(cu.used, FALSE),
                   discount = ROUND(COALESCE(cu.discount, 0)::numeric, 2),
                   order_count = COALESCE(pr.order_count, 0),
                   revenue = ROUND(COALESCE(pr.revenue, 0)::numeric, 2)
              FROM touch t
         LEFT JOIN coupon_use cu ON cu.coupon_id = t.coupon_id
         LEFT JOIN per_recipient pr ON pr.recipient_id = t.recipient_id
             WHERE r.id = t.recipient_id
               -- a nightly refresh rewrites only the recipients whose results moved
               AND (r.reached, r.opened, r.clicked, r.coupon_used, r.discount, r.order_count, r.revenue)
                   IS DISTINCT FROM (
                       t.reached AND NOT t.holdout, t.opened AND NOT t.holdout, t.clicked AND NOT t.holdout,
                       COALESCE(cu.used, FALSE), ROUND(COALESCE(cu.discount, 0)::numeric, 2),
                       COALESCE(pr.order_count, 0)::int, ROUND(COALESCE(pr.revenue, 0)::numeric, 2))
            """,
            companies=company_ids,
            reached=REACHED,
            opened=OPENED,
            window=engine.WINDOW_DAYS,
            tz_fallback=Company._member_tz_fallback(),
            uid=self.env.uid,
            now=fields.Datetime.now(),
        )
