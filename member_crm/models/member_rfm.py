"""RFM scores of memberships: recency, frequency and monetary, scored 1-5 per company, and the 8-class segment.

One row per membership, in a table of its own: the nightly refresh (after the tier
review) rewrites the rows with one ``INSERT ... ON CONFLICT DO UPDATE`` per company and
never writes the membership rows that the POS instant check updates: a new score row takes only the foreign
key's share lock on its membership until the company's commit, which does not block the check's NO KEY UPDATE.
The rule is ``engine.rfm``'s (its docstring tells it in full); the statement here is
the same rule in SQL, compared with the engine on real ledgers by the tests.
"""

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..engine import rfm as engine

# (key, label): the labels are the English names; zh_CN.po gives the Chinese model's names
RFM_SEGMENTS = [(key, label) for key, label, _zh in engine.SEGMENTS]


class MemberRfm(models.Model):
    _name = "member.rfm"
    _description = "Member RFM Scores"
    _order = "company_id, r_score desc, f_score desc, m_score desc, id"
    _rec_name = "membership_id"
    _check_company_auto = True

    membership_id = fields.Many2one("member.membership", required=True, readonly=True, ondelete="cascade")
    partner_id = fields.Many2one("res.partner", string="Member", required=True, readonly=True, ondelete="cascade")
    company_id = fields.Many2one("res.company", required=True, readonly=True, ondelete="cascade")
    currency_id = fields.Many2one(related="company_id.currency_id")
    last_order_date = fields.Date(
        string="Last Net Order", readonly=True, help="The last day with an order not refunded or cancelled in full."
    )
    recency_days = fields.Integer(
        string="Recency (days)",
        readonly=True,
        aggregator="avg",
        help="Days from the last net order to the day of the refresh, in the company's time zone.",
    )
    frequency = fields.Integer(
        readonly=True, aggregator="avg", help="Net orders (orders less those refunded or cancelled) in 12 months."
    )
    monetary = fields.Monetary(
        currency_field="currency_id",
        readonly=True,
        aggregator="avg",
        help="Net untaxed spend in 12 months, in company currency.",
    )
    r_score = fields.Integer(readonly=True, aggregator="avg", help="1 (least recent) to 5.")
    f_score = fields.Integer(readonly=True, aggregator="avg", help="1 (fewest orders) to 5.")
    m_score = fields.Integer(readonly=True, aggregator="avg", help="1 (lowest spend) to 5.")
    segment = fields.Selection(RFM_SEGMENTS, required=True, readonly=True, default=engine.INACTIVE)
    date = fields.Date(string="Computed On", readonly=True, help="The company's day of the refresh.")

    _membership_uniq = models.Constraint("UNIQUE(membership_id)", "A membership has one line of RFM scores.")
    _company_segment_idx = models.Index("(company_id, segment)")

    def init(self):
        # every row is rewritten each night (its recency and date move): free room on each page lets
        # PostgreSQL update in place (HOT), without a new entry in every index
        self.env.cr.execute(SQL("ALTER TABLE member_rfm SET (fillfactor = 50)"))

    # ------------------------------------------------------------------
    # read-only for everyone: only the refresh writes, in SQL
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        if vals_list:
            self.check_access("create")  # no role may: the access error first
            raise UserError(self.env._("RFM scores are computed by the nightly refresh; they cannot be created."))
        return super().create(vals_list)

    def write(self, vals):
        if self:
            self.check_access("write")
            raise UserError(self.env._("RFM scores are computed by the nightly refresh; they cannot be changed."))
        return super().write(vals)

    # ------------------------------------------------------------------
    # the refresh
    # ------------------------------------------------------------------
    @api.model
    def _member_rfm_sql(self, company_id, today):
        """The statement that refreshes one company's RFM rows as of ``today`` (its local day).

        Reads the ledger's order, refund and cancellation entries up to ``today``, nets them by
        day (a refund or cancellation carries its original's date), ranks the active memberships
        with net orders in the 12 months with ``row_number()`` (ties by partner id) and upserts
        one row per active membership; rows of memberships no longer active are deleted. Yields
        (rows written, rows deleted).
        """
        start, stop = engine.window(today)
        high = engine.HIGH
        return SQL(
            """
            WITH day AS (
                SELECT l.partner_id, l.date, SUM(l.order_count) AS orders, SUM(l.amount) AS amount
                  FROM member_ledger l
                 WHERE l.company_id = %(company)s AND l.kind IN %(kinds)s AND l.date <= %(stop)s
              GROUP BY l.partner_id, l.date
            ),
            per AS (
                SELECT day.partner_id, MAX(day.date) FILTER (WHERE day.orders > 0) AS last_order,
                       SUM(day.orders) FILTER (WHERE day.date >= %(start)s) AS frequency,
                       SUM(day.amount) FILTER (WHERE day.date >= %(start)s) AS monetary
                  FROM day
              GROUP BY day.partner_id
            ),
            mem AS (
                SELECT m.id, m.partner_id, per.last_order, COALESCE(per.frequency, 0) AS frequency,
                       COALESCE(per.monetary, 0) AS monetary, COALESCE(per.frequency, 0) > 0 AS active
                  FROM member_membership m
             LEFT JOIN per ON per.partner_id = m.partner_id
                 WHERE m.company_id = %(company)s AND m.state = 'active'
            ),
            ranked AS (
                -- worst first (rank 1): the oldest last order, the fewest orders, the lowest spend
                SELECT mem.*,
                       row_number() OVER (PARTITION BY mem.active ORDER BY mem.last_order, mem.partner_id) AS r_rank,
                       row_number() OVER (PARTITION BY mem.active ORDER BY mem.frequency, mem.partner_id) AS f_rank,
                       row_number() OVER (PARTITION BY mem.active ORDER BY mem.monetary, mem.partner_id) AS m_rank,
                       count(*) OVER (PARTITION BY mem.active) AS n
                  FROM mem
            ),
            scored AS (
                -- ceil(5 * rank / n) in integers
                SELECT ranked.id, ranked.partner_id, ranked.last_order, ranked.frequency, ranked.monetary,
                       CASE WHEN ranked.active THEN (%(scores)s * r_rank + n - 1) / n END AS r_score,
                       CASE WHEN ranked.active THEN (%(scores)s * f_rank + n - 1) / n END AS f_score,
                       CASE WHEN ranked.active THEN (%(scores)s * m_rank + n - 1) / n END AS m_score
                  FROM ranked
            ),
            upserted AS (
                INSERT INTO member_rfm (membership_id, partner_id, company_id, last_order_date, recency_days,
                                        frequency, monetary, r_score, f_score, m_score, segment, date,
                                        create_uid, create_date, write_uid, write_date)
                SELECT s.id, s.partner_id, %(company)s, s.last_order, %(stop)s::date - s.last_order,
                       s.frequency, s.monetary, s.r_score, s.f_score, s.m_score,
                       CASE WHEN s.r_score IS NULL THEN %(inactive)s
                            ELSE CASE WHEN s.m_score >= %(high)s THEN 'important_' ELSE 'general_' END
                              || CASE WHEN s.r_score >= %(high)s AND s.f_score >= %(high)s THEN 'value'
                                      WHEN s.r_score >= %(high)s THEN 'development'
                                      WHEN s.f_score >= %(high)s THEN 'retention'
                                      ELSE 'winback' END
                       END,
                       %(stop)s, %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM scored s
                    ON CONFLICT (membership_id) DO UPDATE
                   SET partner_id = EXCLUDED.partner_id, last_order_date = EXCLUDED.last_order_date,
                       recency_days = EXCLUDED.recency_days, frequency = EXCLUDED.frequency,
                       monetary = EXCLUDED.monetary, r_score = EXCLUDED.r_score, f_score = EXCLUDED.f_score,
                       m_score = EXCLUDED.m_score, segment = EXCLUDED.segment, date = EXCLUDED.date,
                       write_uid = EXCLUDED.write_uid, write_date = EXCLUDED.write_date
                 -- a second run on the same day rewrites nothing
                 WHERE (member_rfm.partner_id, member_rfm.last_order_date, member_rfm.recency_days,
                        member_rfm.frequency, member_rfm.monetary, member_rfm.r_score, member_rfm.f_score,
                        member_rfm.m_score, member_rfm.segment, member_rfm.date)
                       IS DISTINCT FROM
                       (EXCLUDED.partner_id, EXCLUDED.last_order_date, EXCLUDED.recency_days, EXCLUDED.frequency,
                        EXCLUDED.monetary, EXCLUDED.r_score, EXCLUDED.f_score, EXCLUDED.m_score, EXCLUDED.segment,
                        EXCLUDED.date)
             RETURNING 1
            ),
            gone AS (
                DELETE FROM member_rfm r
                 USING member_membership m
                 WHERE m.id = r.membership_id AND m.company_id = %(company)s AND m.state <> 'active'
             RETURNING 1
            )
            SELECT (SELECT COUNT(*) FROM upserted), (SELECT COUNT(*) FROM gone)
            """,
            company=company_id,
            kinds=engine.COUNTED_KINDS,
            start=start,
            stop=stop,
            scores=engine.SCORES,
            high=high,
            inactive=engine.INACTIVE,
            uid=self.env.uid,
            now=fields.Datetime.now(),
        )

    @api.model
    def _member_rfm_refresh(self, companies=None, as_of=None, commit=None):
        """Refresh the RFM rows of ``companies`` (by default every company with membership on).

        One statement per company, as of ``as_of`` or else the company's today in its time zone.
        ``commit``: called with the rows written after each company (the cron passes
        ``ir.cron._commit_progress``; tests pass nothing). Returns {company id: (written, deleted)}.
        """
        if companies is None:
            companies = self.env["res.company"].sudo().search([("member_crm_enabled", "=", True)], order="id")
        self.env["member.ledger"].flush_model(["partner_id", "company_id", "date", "kind", "order_count", "amount"])
        self.env["member.membership"].flush_model(["partner_id", "company_id", "state"])
        done = {}
        for company in companies:
            written, deleted = self.env.execute_query(
                self._member_rfm_sql(company.id, as_of or company._member_today())
            )[0]
            done[company.id] = (written, deleted)
            if commit:
                commit(written)
        self.invalidate_model()
        self.env["res.partner"].invalidate_model(
            [name for name in self.env["res.partner"]._fields if name.startswith("member_rfm_")]
        )
        return done
