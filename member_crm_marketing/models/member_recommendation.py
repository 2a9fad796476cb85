# res.partner and member.campaign are also extended here: the recommendations' form and audience
# pylint: disable=consider-merging-classes-inherited
from datetime import datetime, time, timedelta

import pytz
from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain
from odoo.tools import SQL

from ..engine import recommend

REASONS = [
    (recommend.COOCCURRENCE, "Bought Together"),
    (recommend.REPLENISHMENT, "Time to Replenish"),
    (recommend.PROMOTION, "Promotion"),
]
# loyalty programs whose products are "on promotion" (not coupons, cards or wallets)
PROMOTION_PROGRAM_TYPES = ("promotion", "buy_x_get_y", "promo_code")
# programs sold as a means of payment: their products (gift cards, top-ups) are not recommended
PAYMENT_PROGRAM_TYPES = ("gift_card", "ewallet")
# work_mem of the nightly refresh's transaction: its sorts and hashes (a year of baskets) then stay in memory
RECOMMEND_WORK_MEM = "64MB"


class MemberRecommendation(models.Model):
    """A member's top products, rebuilt every night by ``_member_recommend_refresh`` (rule: engine.recommend)."""

    _name = "member.recommendation"
    _description = "Member Product Recommendation"
    _order = "company_id, partner_id, rank"
    _check_company_auto = True

    partner_id = fields.Many2one("res.partner", string="Member", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one("res.company", required=True, ondelete="cascade", index=True)
    product_id = fields.Many2one("product.product", required=True, ondelete="cascade", index=True)
    rank = fields.Integer(required=True, aggregator=None)
    score = fields.Float(digits=(16, recommend.SCORE_DIGITS), aggregator=None)
    reason = fields.Selection(REASONS, required=True)
    date = fields.Date(
        string="Since", required=True, help="The day the nightly refresh gave this product this rank and score."
    )

    _rank_range = models.Constraint(
        f"CHECK(rank BETWEEN 1 AND {recommend.TOP_N})", "A recommendation's rank is between 1 and 10."
    )
    _partner_product_uniq = models.Constraint(
        "UNIQUE(company_id, partner_id, product_id)", "A product is recommended once per member and company."
    )

    # ------------------------------------------------------------------
    # nightly refresh
    # ------------------------------------------------------------------
    @api.model
    def _member_recommend_refresh(self, companies=None):
        """Rebuild the top 10 of every active member, set-based, per company (as superuser: cron).

        Per company: the baskets' items and the item-to-item similarities go to temporary tables that
        are analysed (the planner then knows their size: one statement with CTEs guessed a few rows and
        nested its loops), one statement scores and ranks into a third, and the rows that changed are
        written (deleted, updated, inserted)."""
        if companies is None:
            companies = self.env["res.company"].sudo().search([("member_crm_enabled", "=", True)])
        self._member_recommend_flush()
        # these statements read every member's year: compiling them (JIT) costs more than it saves, and
        # their sorts and hashes spill to disk with PostgreSQL's default 4 MB (this transaction only)
        jit, work_mem = self.env.execute_query(SQL("SELECT current_setting('jit'), current_setting('work_mem')"))[0]
        self.env.execute_query(
            SQL("SELECT set_config('jit', 'off', true), set_config('work_mem', %s, true)", RECOMMEND_WORK_MEM)
        )
        for company in companies:
            today = company._member_today()
            since = today - relativedelta(months=recommend.WINDOW_MONTHS)
            self.env.execute_query(self._member_recommend_items_query(company, since, today))
            self.env.execute_query(self._member_recommend_similarity_query())
            self.env.execute_query(self._member_recommend_query(company, today))
            self.env.execute_query(self._member_recommend_write_query(company, today))
        self.env.execute_query(
            SQL("SELECT set_config('jit', %s, true), set_config('work_mem', %s, true)", jit, work_mem)
        )
        self.invalidate_model()
        return True

    @api.model
    def _member_recommend_flush(self):
        """Flush what the refresh statement reads."""
        for model in (
            "pos.order",
            "pos.order.line",
            "sale.order",
            "sale.order.line",
            "member.membership",
            "res.partner",
            "product.product",
            "product.template",
            "pos.config",
            "loyalty.program",
            "loyalty.rule",
            "loyalty.reward",
        ):
            self.env[model].flush_model()

    @api.model
    def _member_recommend_items_query(self, company, since, today):
        """SQL: the temporary tables ``member_reco_items``, one row per (basket, product) bought by an active
        member of ``company`` from ``since`` to ``today`` (local days), as ``engine.recommend.Line``, and
        ``member_reco_history``, one row per (member, product): distinct days, last day, and the member's
        number of distinct products (size)."""
        return SQL(
            """
            DROP TABLE IF EXISTS member_reco_items;
            CREATE TEMPORARY TABLE member_reco_items ON COMMIT DROP AS
            WITH lines AS (%(lines)s)
            SELECT lines.member, lines.basket, lines.product_id, MIN(lines.day) AS day,
                   SUM(lines.amount)::float8 AS amount, MIN(lines.categ_id) AS categ_id
              FROM lines
              JOIN member_membership mm
                ON mm.partner_id = lines.member AND mm.company_id = %(company)s AND mm.state = 'active'
             GROUP BY lines.member, lines.basket, lines.product_id
            HAVING SUM(lines.qty) > 0;
            ANALYZE member_reco_items;
            DROP TABLE IF EXISTS member_reco_history;
            CREATE TEMPORARY TABLE member_reco_history ON COMMIT DROP AS
            SELECT member, product_id, days, last_day, COUNT(*) OVER (PARTITION BY member) AS size
              FROM (SELECT member, product_id, COUNT(DISTINCT day) AS days, MAX(day) AS last_day
                      FROM member_reco_items GROUP BY member, product_id) bought;
            ANALYZE member_reco_history;
            """,
            lines=self._member_recommend_lines_query(company, since, today),
            company=company.id,
        )

    @api.model
    def _member_recommend_similarity_query(self):
        """SQL: the temporary table ``member_reco_similarity`` (i, j, cosine) of the pairs of products found
        together in at least ``MIN_SUPPORT`` baskets of ``member_reco_items``."""
        return SQL(
            """
            DROP TABLE IF EXISTS member_reco_similarity;
            CREATE TEMPORARY TABLE member_reco_similarity ON COMMIT DROP AS
            WITH item_count AS (SELECT product_id, COUNT(*) AS n FROM member_reco_items GROUP BY product_id),
            pairs AS (
                SELECT a.product_id AS i, b.product_id AS j, COUNT(*) AS n
                  FROM member_reco_items a
                  JOIN member_reco_items b ON b.basket = a.basket AND b.product_id <> a.product_id
                 GROUP BY a.product_id, b.product_id
                HAVING COUNT(*) >= %(support)s
            )
            SELECT pairs.i, pairs.j, pairs.n / sqrt(ci.n::float8 * cj.n) AS cosine
              FROM pairs
              JOIN item_count ci ON ci.product_id = pairs.i
              JOIN item_count cj ON cj.product_id = pairs.j;
            ANALYZE member_reco_similarity;
            """,
            support=recommend.MIN_SUPPORT,
        )

    @api.model
    def _member_recommend_query(self, company, today):
        """SQL: the temporary table ``member_reco_new``, the company's top 10s of ``today``, from the tables of
        ``_member_recommend_items_query`` and ``_member_recommend_similarity_query`` (the rule of
        ``engine.recommend``)."""
        return SQL(
            """
            DROP TABLE IF EXISTS member_reco_new;
            CREATE TEMPORARY TABLE member_reco_new ON COMMIT DROP AS
            WITH items AS NOT MATERIALIZED (SELECT * FROM member_reco_items),
            similarity AS NOT MATERIALIZED (SELECT * FROM member_reco_similarity),
            history AS NOT MATERIALIZED (SELECT * FROM member_reco_history),
            cooccurrence AS (
                SELECT scored.*
                  FROM (SELECT h.member, s.j AS product_id, SUM(s.cosine) / MIN(h.size) AS score
                          FROM history h JOIN similarity s ON s.i = h.product_id
                         GROUP BY h.member, s.j) scored
                 WHERE NOT EXISTS (SELECT 1 FROM history o
                                    WHERE o.member = scored.member AND o.product_id = scored.product_id)
            ),
            gaps AS (
                SELECT d.member, d.product_id, d.day,
                       d.day - LAG(d.day) OVER (PARTITION BY d.member, d.product_id ORDER BY d.day) AS gap
                  FROM (SELECT DISTINCT items.member, items.product_id, items.day
                          FROM items
                          JOIN history h ON h.member = items.member AND h.product_id = items.product_id
                         WHERE h.days >= %(purchases)s) d
            ),
            due AS (
                SELECT member, product_id, MAX(day) AS last_day,
                       %(due_factor)s::float8 * percentile_cont(0.5) WITHIN GROUP (ORDER BY gap) AS due_after
                  FROM gaps WHERE gap IS NOT NULL
                 GROUP BY member, product_id
            ),
            replenishment AS (
                SELECT member, product_id, due_after / (%(today)s::date - last_day) AS score
                  FROM due
                 WHERE %(today)s::date - last_day > 0 AND %(today)s::date - last_day >= due_after
            ),
            promoted AS (%(promoted)s),
            member_total AS (
                SELECT member, COUNT(DISTINCT basket) AS baskets, SUM(amount) AS amount FROM items GROUP BY member
            ),
            member_category AS (
                SELECT member, categ_id, COUNT(DISTINCT basket) AS baskets, SUM(amount) AS amount
                  FROM items GROUP BY member, categ_id
            ),
            promotion AS (
                SELECT mc.member, promoted.product_id,
                       (mc.baskets::float8 / mt.baskets
                        + CASE WHEN mt.amount > 0 THEN mc.amount / mt.amount ELSE 0 END) / 2 AS score
                  FROM member_category mc
                  JOIN member_total mt ON mt.member = mc.member
                  JOIN promoted ON promoted.categ_id = mc.categ_id
            ),
            -- replenishment (products bought) and co-occurrence (products never bought) never share a
            -- product; a promotion replaces either only with a higher score (the rule's reason order on
            -- ties): two anti-joins instead of a DISTINCT ON that sorts every candidate
            scored AS (
                SELECT member, product_id, ROUND(score::numeric, %(digits)s) AS score,
                       %(replenishment)s AS reason FROM replenishment
                 UNION ALL
                SELECT member, product_id, ROUND(score::numeric, %(digits)s), %(cooccurrence)s FROM cooccurrence
            ),
            promoted_score AS (
                SELECT member, product_id, ROUND(score::numeric, %(digits)s) AS score,
                       %(promotion)s AS reason FROM promotion
            ),
            candidate AS (
                SELECT s.* FROM scored s
                 WHERE NOT EXISTS (SELECT 1 FROM promoted_score p
                                    WHERE p.member = s.member AND p.product_id = s.product_id AND p.score > s.score)
                 UNION ALL
                SELECT p.* FROM promoted_score p
                 WHERE NOT EXISTS (SELECT 1 FROM scored s
                                    WHERE s.member = p.member AND s.product_id = p.product_id AND s.score >= p.score)
            ),
            best AS (
                SELECT c.member, c.product_id, c.score, c.reason
                  FROM candidate c
                  JOIN product_product pp ON pp.id = c.product_id AND pp.active
                  JOIN product_template pt ON pt.id = pp.product_tmpl_id AND pt.active AND pt.sale_ok
                 WHERE c.score > 0
                   AND NOT EXISTS (
                       SELECT 1 FROM history h
                        WHERE h.member = c.member AND h.product_id = c.product_id
                          AND %(today)s::date - h.last_day < %(recent)s)
            ),
            ranked AS (
                SELECT best.*, ROW_NUMBER() OVER (PARTITION BY member ORDER BY score DESC, product_id) AS rank
                  FROM best
            )
            SELECT member, product_id, rank::int AS rank, score::float8 AS score, reason
              FROM ranked
             WHERE rank <= %(top)s;
            ANALYZE member_reco_new;
            """,
            promoted=self._member_recommend_promoted_query(company, today),
            today=today,
            purchases=recommend.MIN_PURCHASES,
            due_factor=recommend.DUE_FACTOR,
            recent=recommend.RECENT_DAYS,
            digits=recommend.SCORE_DIGITS,
            top=recommend.TOP_N,
            replenishment=recommend.REPLENISHMENT,
            cooccurrence=recommend.COOCCURRENCE,
            promotion=recommend.PROMOTION,
        )

    @api.model
    def _member_recommend_write_query(self, company, today):
        """SQL: make the company's rows those of ``member_reco_new``, writing only what changed: a night
        that changes little writes little (each inserted row costs its foreign-key checks)."""
        return SQL(
            """
            DELETE FROM member_recommendation r
             WHERE r.company_id = %(company)s
               AND NOT EXISTS (SELECT 1 FROM member_reco_new n
                                WHERE n.member = r.partner_id AND n.product_id = r.product_id);
            UPDATE member_recommendation r
               SET rank = n.rank, score = n.score, reason = n.reason, date = %(today)s,
                   write_uid = %(uid)s, write_date = now() AT TIME ZONE 'UTC'
              FROM member_reco_new n
             WHERE r.company_id = %(company)s AND r.partner_id = n.member AND r.product_id = n.product_id
               AND (r.rank, r.score, r.reason) IS DISTINCT FROM (n.rank, n.score, n.reason);
            INSERT INTO member_recommendation
                   (partner_id, company_id, product_id, rank, score, reason, date,
                    create_uid, create_date, write_uid, write_date)
            SELECT n.member, %(company)s, n.product_id, n.rank, n.score, n.reason, %(today)s,
                   %(uid)s, now() AT TIME ZONE 'UTC', %(uid)s, now() AT TIME ZONE 'UTC'
              FROM member_reco_new n
             WHERE NOT EXISTS (SELECT 1 FROM member_recommendation r
                                WHERE r.company_id = %(company)s AND r.partner_id = n.member
                                  AND r.product_id = n.product_id);
            """,
            company=company.id,
            today=today,
            uid=self.env.uid,
        )

    @api.model
    def _member_recommend_lines_query(self, company, since, today):
        """SQL: the company's paid POS and confirmed sale order lines of the local days ``since`` to ``today``,
        without reward, gift card, tip, combo and delivery lines.

        Columns: member (commercial partner), basket (POS order id; minus the sale order id), product_id,
        qty, amount (untaxed), day (local date), categ_id (the product's category).

        The days are turned into UTC bounds here, so that the orders are filtered on their stored
        ``date_order`` (the planner estimates that; it cannot estimate a local-date expression, and then
        nests its loops over a year of lines)."""
        tz = company._member_tz()
        zone = pytz.timezone(tz)
        start, stop = (
            zone.localize(datetime.combine(day, time.min)).astimezone(pytz.utc).replace(tzinfo=None)
            for day in (since, today + timedelta(days=1))
        )
        excluded_products = self._member_recommend_excluded_products_query()
        sale_line = self.env["sale.order.line"]
        # delivery is not a dependency: its flag exists only where it is installed
        delivery = SQL("AND NOT COALESCE(sol.is_delivery, FALSE)") if "is_delivery" in sale_line._fields else SQL()
        return SQL(
            """
            SELECT rp.commercial_partner_id AS member, po.id AS basket, pol.product_id, pol.qty,
                   pol.price_subtotal AS amount,
                   ((po.date_order AT TIME ZONE 'UTC') AT TIME ZONE %(tz)s)::date AS day, lpt.categ_id
              FROM pos_order po
              JOIN res_partner rp ON rp.id = po.partner_id
              JOIN pos_order_line pol ON pol.order_id = po.id
              JOIN product_product lpp ON lpp.id = pol.product_id
              JOIN product_template lpt ON lpt.id = lpp.product_tmpl_id
             WHERE po.company_id = %(company)s AND po.state IN ('paid', 'done')
               AND po.date_order >= %(start)s AND po.date_order < %(stop)s
               AND NOT COALESCE(pol.is_reward_line, FALSE)
               AND pol.combo_parent_id IS NULL AND pol.combo_item_id IS NULL AND lpt.type <> 'combo'
               AND pol.product_id NOT IN (%(excluded)s)
             UNION ALL
            SELECT rp.commercial_partner_id, -so.id, sol.product_id, sol.product_uom_qty,
                   sol.price_subtotal,
                   ((so.date_order AT TIME ZONE 'UTC') AT TIME ZONE %(tz)s)::date, lpt.categ_id
              FROM sale_order so
              JOIN res_partner rp ON rp.id = so.partner_id
              JOIN sale_order_line sol ON sol.order_id = so.id
              JOIN product_product lpp ON lpp.id = sol.product_id
              JOIN product_template lpt ON lpt.id = lpp.product_tmpl_id
             WHERE so.company_id = %(company)s AND so.state = 'sale'
               AND so.date_order >= %(start)s AND so.date_order < %(stop)s
               AND sol.display_type IS NULL AND NOT COALESCE(sol.is_downpayment, FALSE)
               AND sol.reward_id IS NULL  -- is_reward_line is not stored on sale lines
               AND sol.combo_item_id IS NULL AND lpt.type <> 'combo'
               AND sol.product_id NOT IN (%(excluded)s)
               %(delivery)s
            """,
            tz=tz,
            company=company.id,
            start=start,
            stop=stop,
            excluded=excluded_products,
            delivery=delivery,
        )

    @api.model
    def _member_recommend_excluded_products_query(self):
        """SQL: products never recommended nor counted: POS tip products and the products that sell gift
        cards or eWallet top-ups (their programs' rule products)."""
        rule_rel = self.env["loyalty.rule"]._fields["product_ids"]
        return SQL(
            """
            SELECT tip_product_id FROM pos_config WHERE tip_product_id IS NOT NULL
             UNION
            SELECT rel.%(rule_product)s
              FROM %(rule_rel)s rel
              JOIN loyalty_rule lr ON lr.id = rel.%(rule_id)s
              JOIN loyalty_program lp ON lp.id = lr.program_id
             WHERE lp.program_type IN %(payment_types)s
            """,
            rule_rel=SQL.identifier(rule_rel.relation),
            rule_id=SQL.identifier(rule_rel.column1),
            rule_product=SQL.identifier(rule_rel.column2),
            payment_types=PAYMENT_PROGRAM_TYPES,
        )

    @api.model
    def _member_recommend_promoted_query(self, company, today):
        """SQL: (product_id, categ_id) of the products of the company's promotions running ``today``: their
        rules' products, their specific discounts' products and their free products."""
        rule_rel = self.env["loyalty.rule"]._fields["product_ids"]
        discount_rel = self.env["loyalty.reward"]._fields["discount_product_ids"]
        return SQL(
            """
            SELECT DISTINCT pp.id AS product_id, pt.categ_id
              FROM (SELECT lr.program_id, rel.%(rule_product)s AS product_id
                      FROM loyalty_rule lr JOIN %(rule_rel)s rel ON rel.%(rule_id)s = lr.id
                     WHERE lr.active
                     UNION
                    SELECT lw.program_id, rel.%(discount_product)s
                      FROM loyalty_reward lw JOIN %(discount_rel)s rel ON rel.%(discount_id)s = lw.id
                     WHERE lw.active AND lw.reward_type = 'discount' AND lw.discount_applicability = 'specific'
                     UNION
                    SELECT lw.program_id, lw.reward_product_id
                      FROM loyalty_reward lw
                     WHERE lw.active AND lw.reward_type = 'product' AND lw.reward_product_id IS NOT NULL) promo
              JOIN loyalty_program lp ON lp.id = promo.program_id
              JOIN product_product pp ON pp.id = promo.product_id
              JOIN product_template pt ON pt.id = pp.product_tmpl_id
             WHERE lp.active AND lp.program_type IN %(types)s
               AND (lp.company_id IS NULL OR lp.company_id = %(company)s)
               AND (lp.date_from IS NULL OR lp.date_from <= %(today)s)
               AND (lp.date_to IS NULL OR lp.date_to >= %(today)s)
            """,
            rule_rel=SQL.identifier(rule_rel.relation),
            rule_id=SQL.identifier(rule_rel.column1),
            rule_product=SQL.identifier(rule_rel.column2),
            discount_rel=SQL.identifier(discount_rel.relation),
            discount_id=SQL.identifier(discount_rel.column1),
            discount_product=SQL.identifier(discount_rel.column2),
            types=PROMOTION_PROGRAM_TYPES,
            company=company.id,
            today=today,
        )

    # ------------------------------------------------------------------
    # the till
    # ------------------------------------------------------------------
    @api.model
    @api.readonly
    def pos_member_recommendations(self, config_id, partner_id):
        """Names of the products recommended to one customer, in rank order, for the till's member panel.

        A cashier (Point of Sale / User) reads no recommendation record: only this, for a member of the
        register's company, on a session of that register that is open and theirs (opened by them, or, with
        pos_hr, a register that lists them among its employees). Refused otherwise; a customer who is not an
        active member there gets nothing."""
        # the till's one rule for an open session of the caller (member_crm, res.partner._member_pos_session)
        config = self.env["res.partner"]._member_pos_session(config_id)
        partner = self.env["res.partner"].browse(partner_id).exists()
        if not partner:
            return []
        partner.check_access("read")
        commercial = partner.commercial_partner_id
        # sudo: whether the customer is a member here (the cashier reads no membership), then the product
        # names of their top 10 (never the records)
        if not (
            self.env["member.membership"]
            .sudo()
            .search_count(
                [
                    ("partner_id", "=", commercial.id),
                    ("company_id", "=", config.company_id.id),
                    ("state", "=", "active"),
                ],
                limit=1,
            )
        ):
            return []
        recommendations = self.sudo().search(
            [("partner_id", "=", commercial.id), ("company_id", "=", config.company_id.id)],
            order="rank",
        )
        return recommendations.product_id.with_context(display_default_code=False).mapped("display_name")


class ResPartner(models.Model):
    _inherit = "res.partner"

    member_recommendation_ids = fields.Many2many(
        "member.recommendation",
        string="Recommended Products",
        compute="_compute_member_recommendation_ids",
        groups="member_crm.group_member_crm_user",
    )

    @api.depends_context("company")
    def _compute_member_recommendation_ids(self):
        """The current company's top 10 of the member (the commercial entity's)."""
        recommendations = self.env["member.recommendation"].search(
            [("partner_id", "in", self.commercial_partner_id.ids), ("company_id", "=", self.env.company.id)]
        )
        by_partner = {}
        for recommendation in recommendations:
            by_partner.setdefault(recommendation.partner_id.id, []).append(recommendation.id)
        for partner in self:
            partner.member_recommendation_ids = [(6, 0, by_partner.get(partner.commercial_partner_id.id, []))]


class MemberCampaign(models.Model):
    _inherit = "member.campaign"

    recommended_product_ids = fields.Many2many(
        "product.product",
        "member_campaign_recommended_product_rel",
        "campaign_id",
        "product_id",
        string="Recommended Products",
        help="Audience: members with one of these products in their top 10 of the campaign's company.",
    )

    def write(self, vals):
        if "recommended_product_ids" in vals and self.filtered(lambda c: c.state not in ("draft", "cancel")):
            raise UserError(
                self.env._("A scheduled or launched campaign keeps its audience and offer: set it back to draft first.")
            )
        return super().write(vals)

    def _member_extra_domain(self):
        return super()._member_extra_domain() & self._member_recommendation_domain()

    def _member_recommendation_domain(self):
        """Domain on res.partner: members with one of the campaign's recommended products in their top 10."""
        self.ensure_one()
        if not self.recommended_product_ids:
            return Domain.TRUE
        # sudo: the audience is a set of partner ids; the campaign officer reads no recommendation row
        recommendations = (
            self.env["member.recommendation"]
            .sudo()
            ._search(
                [
                    ("product_id", "in", self.recommended_product_ids.ids),
                    ("company_id", "=", self.company_id.id),
                ]
            )
        )
        return Domain("id", "in", recommendations.subselect(SQL.identifier(recommendations.table, "partner_id")))
