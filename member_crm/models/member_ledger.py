"""Qualification ledger: one entry per qualifying document, never deleted.

The ledger is the truth for tier qualification; the window figures shown on
memberships are read from it. Entries are written by the order hooks (POS
paid, invoice paid or sale confirmed, refunds, cancellations), the backfill
and the import, with one ``INSERT ... SELECT ... ON CONFLICT DO NOTHING`` per
batch of documents: the UNIQUE (source model, source id, kind, revision) index
makes a replayed POS sync or a re-posted invoice count once, without aborting
the caller's transaction as an ORM ``create`` hitting the constraint would. A
document that stops counting (an order cancelled, an invoice or a credit note
reset to draft) gets a cancellation entry; if it counts again later, a new
revision of its order or refund entry. Each entry has its amounts per product
category in ``member.ledger.line`` (purchase-type criterion). Corrections are
new entries; users never write or delete entries.

Dates are local: the day a POS or sales order was made in the company's time
zone (``res.company._member_tz``, the one Odoo's loyalty checks coupons in), an
invoice's own date; refunds and cancellations carry their original's date.

Each entry also keeps the dimensions the reports filter on, as they were when
it was written: the store (the POS order's ``pos.config``), the sales team (the
POS order's, else its store's; the sale order's; the invoice's) and the
member's region (the commercial partner's country, state and city). A refund
or a cancellation is filed under its original's store, team and region, so a
member who moves, or a refund made at another till, does not restate the past.
"""

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from odoo.addons.base.models.ir_model import MODULE_UNINSTALL_FLAG

KINDS = [
    ("order", "Order"),
    ("refund", "Refund"),
    ("cancel", "Cancellation"),
    ("feedback", "Feedback"),
    ("opening", "Opening Balance"),
    ("correction", "Correction"),
]


class MemberLedger(models.Model):
    _name = "member.ledger"
    _description = "Member Qualification Ledger"
    _order = "date desc, id desc"
    _check_company_auto = True

    # no single-column indexes: (partner_id, company_id, date) and the source key lead with them, and
    # every index costs each synced POS order
    partner_id = fields.Many2one("res.partner", required=True, ondelete="cascade", readonly=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    date = fields.Date(
        required=True,
        readonly=True,
        help="Day of the qualifying document in the company's time zone (a refund, a cancellation: the original's).",
    )
    kind = fields.Selection(KINDS, required=True, readonly=True)
    amount = fields.Monetary(
        currency_field="currency_id", readonly=True, help="Untaxed, in company currency; refunds negative."
    )
    order_count = fields.Integer(readonly=True)
    feedback_count = fields.Integer(readonly=True)
    source_model = fields.Char(readonly=True)
    source_id = fields.Many2oneReference(model_field="source_model", readonly=True)
    source_ref = fields.Reference(selection="_selection_source_models", compute="_compute_source_ref")
    refund_of_id = fields.Many2one("member.ledger", string="Reverses", readonly=True, index="btree_not_null")
    line_ids = fields.One2many("member.ledger.line", "ledger_id", string="By Category", readonly=True)
    note = fields.Char(readonly=True)
    # report dimensions, frozen when the entry is written (see the module docstring). No index: every index
    # costs each synced POS order, and reports group by them within company/date ranges, never look one up;
    # deleting a store, team or state (rare, by an administrator) then scans the ledger for its foreign key.
    pos_config_id = fields.Many2one(
        "pos.config", string="Store", readonly=True, help="The POS order's point of sale (sales and invoices: none)."
    )
    team_id = fields.Many2one(
        "crm.team",
        string="Sales Team",
        readonly=True,
        help="The POS order's sales team (else its store's), the sale order's or the invoice's.",
    )
    country_id = fields.Many2one("res.country", readonly=True, help="The member's country when the entry was written.")
    state_id = fields.Many2one(
        "res.country.state", readonly=True, help="The member's state when the entry was written."
    )
    city = fields.Char(readonly=True, help="The member's city when the entry was written.")
    revision = fields.Integer(
        readonly=True,
        required=True,
        default=0,
        help="A document that stops counting (invoice reset to draft, order cancelled) and counts again later "
        "gets a new order entry and, when it stops again, a new cancellation: one revision each.",
    )

    _source_uniq = models.UniqueIndex("(source_model, source_id, kind, revision) WHERE source_id IS NOT NULL")
    # covering: the review and the instant check sum these columns by index-only scans
    # (measured at a million members: a no-change review 3.8 s instead of 11.8 s)
    _member_window_idx = models.Index("(partner_id, company_id, date) INCLUDE (amount, order_count, feedback_count)")

    @api.model
    def _selection_source_models(self):
        return [
            (model, self.env["ir.model"]._get(model).name)
            for model in ("pos.order", "sale.order", "account.move", "rating.rating", "member.ledger")
            if model in self.env
        ]

    @api.depends("source_model", "source_id")
    def _compute_source_ref(self):
        models_ok = dict(self._selection_source_models())
        for entry in self:
            ok = entry.source_model in models_ok and entry.source_id
            entry.source_ref = f"{entry.source_model},{entry.source_id}" if ok else False

    def write(self, vals):
        if self:
            raise UserError(self.env._("Ledger entries cannot be changed: add a correction instead."))
        return super().write(vals)

    @api.ondelete(at_uninstall=True)
    def _unlink_never(self):
        if not self.env.context.get(MODULE_UNINSTALL_FLAG):
            raise UserError(self.env._("Ledger entries cannot be deleted: add a correction instead."))

    # ------------------------------------------------------------------
    # recording (SQL, set-based, idempotent)
    # ------------------------------------------------------------------
    @api.model
    def _member_insert(self, source_model, source_select, trigger="order", check=True):
        """Insert ledger entries from ``source_select`` and run the instant check.

        ``source_select`` (SQL) yields one row per document and product
        category with the columns: src_id, partner_id (the commercial
        partner), company_id, date, kind, order_count, refund_of_id,
        pos_config_id, team_id, categ_id, amount. Documents already in the
        ledger are skipped. The region is the partner's (commercial partner's)
        address now (``_member_region_join_sql``); an entry
        that reverses another (refund_of_id) takes its original's store, team
        and region whatever the select says. Returns the rows inserted as
        ``[(ledger id, partner id, company id, source id)]``.
        """
        self.env.flush_all()
        now = fields.Datetime.now()
        rows = self.env.execute_query(
            SQL(
                """
                WITH src AS (%(source)s),
                doc AS (
                    SELECT src.src_id, src.partner_id, src.company_id, src.date, src.kind,
                           src.order_count, src.refund_of_id, src.pos_config_id, src.team_id,
                           SUM(src.amount) AS amount
                      FROM src
                  GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
                ),
                counted AS (
                    -- a refund that, with the earlier ones still counting, takes the whole
                    -- order back also takes back the order from the order count
                    SELECT doc.*,
                           CASE WHEN doc.kind = 'refund'
                                 AND orig.amount + COALESCE(prev.amount, 0) + doc.amount <= 0.005
                                THEN -1 ELSE doc.order_count END AS final_count,
                           CASE WHEN doc.kind = 'cancel' THEN seen.cancels
                                WHEN doc.kind = orig_kind.kind THEN seen.counts ELSE 0 END AS revision,
                           -- the dimensions: an entry that reverses another is filed as its original
                           CASE WHEN doc.refund_of_id IS NULL THEN doc.pos_config_id
                                ELSE orig.pos_config_id END AS dim_config_id,
                           CASE WHEN doc.refund_of_id IS NULL THEN doc.team_id ELSE orig.team_id END AS dim_team_id,
                           CASE WHEN doc.refund_of_id IS NULL THEN region_partner.country_id
                                ELSE orig.country_id END AS dim_country_id,
                           CASE WHEN doc.refund_of_id IS NULL THEN region_partner.state_id
                                ELSE orig.state_id END AS dim_state_id,
                           CASE WHEN doc.refund_of_id IS NULL THEN region_partner.city ELSE orig.city END AS dim_city
                      FROM doc
                 LEFT JOIN member_ledger orig ON orig.id = doc.refund_of_id
                 %(region_join)s
                 -- the kind a document counts as: its orders, a credit note its refund; the
                 -- kind a cancellation takes back: that of the entry it reverses
                 CROSS JOIN LATERAL (
                           SELECT CASE WHEN doc.kind = 'cancel' THEN orig.kind
                                       WHEN doc.kind IN ('order', 'refund') THEN doc.kind END AS kind
                           ) orig_kind
                 LEFT JOIN LATERAL (
                           -- the earlier refunds of the order, net of their cancellations
                           SELECT SUM(r.amount) + COALESCE(SUM(c.amount), 0) AS amount
                             FROM member_ledger r
                        LEFT JOIN LATERAL (
                                  SELECT SUM(c.amount) AS amount FROM member_ledger c
                                   WHERE c.refund_of_id = r.id AND c.kind = 'cancel'
                                  ) c ON TRUE
                            WHERE r.refund_of_id = doc.refund_of_id AND doc.refund_of_id IS NOT NULL
                              AND doc.kind = 'refund' AND r.kind = 'refund'
                           ) prev ON TRUE
                 LEFT JOIN LATERAL (
                           SELECT COUNT(*) FILTER (WHERE e.kind = orig_kind.kind) AS counts,
                                  COUNT(*) FILTER (WHERE e.kind = 'cancel') AS cancels
                             FROM member_ledger e
                            WHERE e.source_model = %(model)s AND e.source_id = doc.src_id
                              AND e.kind IN (orig_kind.kind, 'cancel') AND orig_kind.kind IS NOT NULL
                              AND e.source_id IS NOT NULL
                           ) seen ON TRUE
                     -- a document counts when it does not count yet; a cancellation takes
                     -- back one that counts (feedback and openings: no revision)
                     WHERE orig_kind.kind IS NULL
                        OR (doc.kind <> 'cancel' AND seen.counts = seen.cancels)
                        OR (doc.kind = 'cancel' AND seen.counts > seen.cancels)
                ),
                ins AS (
                    INSERT INTO member_ledger (partner_id, company_id, date, kind, amount, order_count,
                                               feedback_count, source_model, source_id, refund_of_id, revision,
                                               pos_config_id, team_id, country_id, state_id, city,
                                               create_uid, create_date, write_uid, write_date)
                    SELECT partner_id, company_id, date, kind, ROUND(amount::numeric, 2), final_count,
                           0, %(model)s, src_id, refund_of_id, revision,
                           dim_config_id, dim_team_id, dim_country_id, dim_state_id, dim_city,
                           %(uid)s, %(now)s, %(uid)s, %(now)s
                      FROM counted
                  -- in the order the review reads them: a bulk load (backfill) is then laid out by
                  -- member, and the review's range reads stay cheap before a VACUUM marks it visible
                  ORDER BY partner_id, company_id, date
                        ON CONFLICT (source_model, source_id, kind, revision) WHERE source_id IS NOT NULL DO NOTHING
                 RETURNING id, partner_id, company_id, date, source_id, kind
                ),
                lines AS (
                    INSERT INTO member_ledger_line (ledger_id, partner_id, company_id, date, categ_id, amount,
                                                    create_uid, create_date, write_uid, write_date)
                    SELECT ins.id, ins.partner_id, ins.company_id, ins.date, src.categ_id,
                           ROUND(SUM(src.amount)::numeric, 2), %(uid)s, %(now)s, %(uid)s, %(now)s
                      FROM ins JOIN src ON src.src_id = ins.source_id AND src.kind = ins.kind
                  GROUP BY ins.id, ins.partner_id, ins.company_id, ins.date, src.categ_id
                  ORDER BY ins.partner_id, ins.company_id, ins.date
                )
                SELECT id, partner_id, company_id, source_id FROM ins
                """,
                source=source_select,
                model=source_model,
                uid=self.env.uid,
                now=now,
                region_join=self._member_region_join_sql(SQL("doc.partner_id")),
            )
        )
        self._member_invalidate_figures()
        if rows and check:
            self.env["member.membership"]._member_instant_check(
                [(partner_id, company_id, source_model, source_id) for _id, partner_id, company_id, source_id in rows],
                trigger=trigger,
            )
        return rows

    @api.model
    def _member_invalidate_figures(self):
        """Window figures of memberships are read from the ledger: SQL inserts make cached ones stale."""
        self.env["member.membership"].invalidate_model(["qualify_spend", "qualify_orders", "qualify_feedback"])

    # -- POS -----------------------------------------------------------
    @api.model
    def _member_pos_select(self, order_ids):
        """Paid POS orders and POS refunds of the given ids (or all when None).

        An order is dated by the day it was made in the company's time zone. Split by
        line: lines that refund an earlier order's line are a refund of that order (dated
        as the original, so windows stay exact); the others are a sale (an exchange order
        has both).
        """
        settle_filter = SQL("")
        if "sale_order_origin_id" in self.env["pos.order.line"]._fields:
            # pos_sale: in "confirm" mode the sale order itself counted, so the
            # POS lines that settle it do not count again.
            settle_filter = SQL("AND (l.sale_order_origin_id IS NULL OR c.member_sale_qualify_on = 'paid')")
        ids_filter = SQL("AND o.id = ANY(%s)", list(order_ids)) if order_ids is not None else SQL("")
        team = SQL("NULL::int")
        if "crm_team_id" in self.env["pos.order"]._fields:
            # pos_sale (auto-installed with POS and sales): the order's team, which the till takes from its store
            team = SQL(
                "COALESCE(o.crm_team_id, (SELECT cfg.crm_team_id FROM pos_config cfg WHERE cfg.id = o.config_id))"
            )
        return SQL(
            """
            SELECT o.id AS src_id, p.commercial_partner_id AS partner_id, o.company_id,
                   %(local_date)s AS date, 'order' AS kind, 1 AS order_count,
                   NULL::int AS refund_of_id, o.config_id AS pos_config_id, %(team)s AS team_id, t.categ_id,
                   l.price_subtotal / COALESCE(NULLIF(o.currency_rate, 0), 1) AS amount
              FROM pos_order o
              JOIN res_company c ON c.id = o.company_id AND c.member_crm_enabled
              JOIN res_partner p ON p.id = o.partner_id
              JOIN pos_order_line l ON l.order_id = o.id AND l.refunded_orderline_id IS NULL
              JOIN product_product pp ON pp.id = l.product_id
              JOIN product_template t ON t.id = pp.product_tmpl_id
             WHERE o.state IN ('paid', 'done', 'invoiced') %(ids)s %(settle)s
            UNION ALL
            SELECT o.id, orig.partner_id, orig.company_id, orig.date, 'refund', 0, orig.id,
                   orig.pos_config_id, orig.team_id, t.categ_id,
                   l.price_subtotal / COALESCE(NULLIF(o.currency_rate, 0), 1)
              FROM pos_order o
              JOIN res_company c ON c.id = o.company_id AND c.member_crm_enabled
              JOIN pos_order_line l ON l.order_id = o.id
              JOIN pos_order_line rl ON rl.id = l.refunded_orderline_id
              JOIN member_ledger orig ON orig.source_model = 'pos.order' AND orig.source_id = rl.order_id
                                     AND orig.kind = 'order' AND orig.revision = 0
              JOIN product_product pp ON pp.id = l.product_id
              JOIN product_template t ON t.id = pp.product_tmpl_id
             WHERE o.state IN ('paid', 'done', 'invoiced') %(ids)s %(settle)s
            """,
            ids=ids_filter,
            settle=settle_filter,
            team=team,
            local_date=self.env["res.company"]._member_local_date_sql(SQL("o.date_order"), SQL("o.company_id")),
        )

    @api.model
    def _member_record_pos(self, orders):
        # no query at all where membership is off or the order is anonymous
        orders = orders.filtered(lambda o: o.partner_id and o.company_id.member_crm_enabled)
        if not orders:
            return []
        return self._member_insert("pos.order", self._member_pos_select(orders.ids))

    # -- invoices ("paid" mode) -----------------------------------------
    @api.model
    def _member_invoice_select(self, move_ids):
        """Customer invoices and credit notes, not those of POS orders (counted through the POS)."""
        ids_filter = SQL("AND m.id = ANY(%s)", list(move_ids)) if move_ids is not None else SQL("")
        paid_filter = SQL("") if move_ids is not None else SQL("AND m.payment_state IN ('paid', 'in_payment')")
        return SQL(
            """
            SELECT m.id AS src_id, p.commercial_partner_id AS partner_id, m.company_id, m.invoice_date AS date,
                   'order' AS kind, 1 AS order_count, NULL::int AS refund_of_id, NULL::int AS pos_config_id,
                   m.team_id, t.categ_id, -aml.balance AS amount
              FROM account_move m
              JOIN res_company c ON c.id = m.company_id AND c.member_crm_enabled AND c.member_sale_qualify_on = 'paid'
              JOIN res_partner p ON p.id = m.partner_id
              JOIN account_move_line aml ON aml.move_id = m.id AND aml.display_type = 'product'
         LEFT JOIN product_product pp ON pp.id = aml.product_id
         LEFT JOIN product_template t ON t.id = pp.product_tmpl_id
             WHERE m.move_type = 'out_invoice' AND m.state = 'posted' %(ids)s %(paid)s
               AND NOT EXISTS (SELECT 1 FROM pos_order po WHERE po.account_move = m.id)
            UNION ALL
            SELECT m.id, orig.partner_id, orig.company_id, orig.date, 'refund', 0, orig.id,
                   orig.pos_config_id, orig.team_id, t.categ_id, -aml.balance
              FROM account_move m
              JOIN res_company c ON c.id = m.company_id AND c.member_crm_enabled AND c.member_sale_qualify_on = 'paid'
              JOIN member_ledger orig ON orig.source_model = 'account.move' AND orig.source_id = m.reversed_entry_id
                                     AND orig.kind = 'order' AND orig.revision = 0
              JOIN account_move_line aml ON aml.move_id = m.id AND aml.display_type = 'product'
         LEFT JOIN product_product pp ON pp.id = aml.product_id
         LEFT JOIN product_template t ON t.id = pp.product_tmpl_id
             WHERE m.move_type = 'out_refund' AND m.state = 'posted' %(ids)s %(paid)s
               AND NOT EXISTS (SELECT 1 FROM pos_order po WHERE po.account_move = m.id)
            """,
            ids=ids_filter,
            paid=paid_filter,
        )

    @api.model
    def _member_record_invoices(self, moves):
        moves = moves.filtered(
            lambda m: m.company_id.member_crm_enabled and m.company_id.member_sale_qualify_on == "paid"
        )
        if not moves:
            return []
        return self._member_insert("account.move", self._member_invoice_select(moves.ids))

    # -- sale orders ("confirm" mode) ------------------------------------
    @api.model
    def _member_sale_select(self, order_ids):
        ids_filter = SQL("AND so.id = ANY(%s)", list(order_ids)) if order_ids is not None else SQL("")
        return SQL(
            """
            SELECT so.id AS src_id, p.commercial_partner_id AS partner_id, so.company_id,
                   %(local_date)s AS date, 'order' AS kind, 1 AS order_count,
                   NULL::int AS refund_of_id, NULL::int AS pos_config_id, so.team_id, t.categ_id,
                   sol.price_subtotal / COALESCE(NULLIF(so.currency_rate, 0), 1) AS amount
              FROM sale_order so
              JOIN res_company c ON c.id = so.company_id AND c.member_crm_enabled
                                AND c.member_sale_qualify_on = 'confirm'
              JOIN res_partner p ON p.id = so.partner_id
              JOIN sale_order_line sol ON sol.order_id = so.id AND sol.display_type IS NULL
         LEFT JOIN product_product pp ON pp.id = sol.product_id
         LEFT JOIN product_template t ON t.id = pp.product_tmpl_id
             WHERE so.state = 'sale' %(ids)s
            """,
            ids=ids_filter,
            local_date=self.env["res.company"]._member_local_date_sql(SQL("so.date_order"), SQL("so.company_id")),
        )

    @api.model
    def _member_record_sales(self, orders):
        orders = orders.filtered(
            lambda o: o.company_id.member_crm_enabled and o.company_id.member_sale_qualify_on == "confirm"
        )
        if not orders:
            return []
        return self._member_insert("sale.order", self._member_sale_select(orders.ids))

    @api.model
    def _member_record_cancel(self, source_model, records):
        """Documents that stop counting (sale order cancelled, invoice or credit note reset to draft or cancelled).

        Each is taken back whole: its last order entry (a credit note: its last
        refund entry) negated, category by category, as a cancellation dated
        as that entry. Documents that do not count are skipped; one that counts
        again later gets a new revision.
        """
        if not records:
            return []
        return self._member_insert(
            source_model,
            SQL(
                """
                SELECT orig.source_id AS src_id, orig.partner_id, orig.company_id, orig.date, 'cancel' AS kind,
                       -orig.order_count AS order_count, orig.id AS refund_of_id, orig.pos_config_id, orig.team_id,
                       ll.categ_id, -ll.amount AS amount
                  FROM member_ledger orig
                  JOIN member_ledger_line ll ON ll.ledger_id = orig.id
                 WHERE orig.source_model = %s AND orig.kind IN ('order', 'refund') AND orig.source_id = ANY(%s)
                   AND orig.revision = (SELECT MAX(last.revision) FROM member_ledger last
                                         WHERE last.source_model = orig.source_model
                                           AND last.source_id = orig.source_id AND last.kind = orig.kind)
                """,
                source_model,
                list(records.ids),
            ),
        )

    @api.model
    def _member_record_credit_notes_confirm_mode(self, moves):
        """In "confirm" mode a credit note of a counted sale order is a refund of that order."""
        moves = moves.filtered(
            lambda m: m.company_id.member_crm_enabled and m.company_id.member_sale_qualify_on == "confirm"
        )
        if not moves:
            return []
        return self._member_insert(
            "account.move",
            SQL(
                """
                SELECT m.id AS src_id, orig.partner_id, orig.company_id, orig.date, 'refund' AS kind,
                       0 AS order_count, orig.id AS refund_of_id, orig.pos_config_id, orig.team_id, t.categ_id,
                       -aml.balance AS amount
                  FROM account_move m
                  JOIN res_company c ON c.id = m.company_id AND c.member_crm_enabled
                                    AND c.member_sale_qualify_on = 'confirm'
                  JOIN account_move_line aml ON aml.move_id = m.id AND aml.display_type = 'product'
                  JOIN LATERAL (
                       SELECT MIN(sol.order_id) AS order_id
                         FROM sale_order_line_invoice_rel rel
                         JOIN sale_order_line sol ON sol.id = rel.order_line_id
                         JOIN account_move_line any_line ON any_line.id = rel.invoice_line_id
                        WHERE any_line.move_id = m.id
                       ) so ON so.order_id IS NOT NULL
                  JOIN member_ledger orig ON orig.source_model = 'sale.order' AND orig.source_id = so.order_id
                                         AND orig.kind = 'order' AND orig.revision = 0
             LEFT JOIN product_product pp ON pp.id = aml.product_id
             LEFT JOIN product_template t ON t.id = pp.product_tmpl_id
                 WHERE m.move_type = 'out_refund' AND m.state = 'posted' AND m.id = ANY(%s)
                """,
                list(moves.ids),
            ),
        )

    # -- the member's region, as every writer reads it -----------------------
    @api.model
    def _member_region_join_sql(self, partner_id):
        """SQL: join ``region_partner``, the commercial partner of ``partner_id`` (an SQL expression).

        Its address now is the region of the entries written now: one rule for every writer.
        """
        return SQL(
            """LEFT JOIN res_partner region_contact ON region_contact.id = %(partner)s
               LEFT JOIN res_partner region_partner ON region_partner.id = region_contact.commercial_partner_id""",
            partner=partner_id,
        )

    @api.model
    def _member_region_columns_sql(self):
        """SQL: country_id, state_id, city of ``region_partner`` (joined by ``_member_region_join_sql``)."""
        return SQL("region_partner.country_id, region_partner.state_id, region_partner.city")

    # -- feedback (the marketing addon feeds this) -----------------------
    @api.model
    def _member_record_feedback(self, feedback):
        """Count feedback given, whatever its score.

        ``feedback``: iterable of (partner id, company id, date, source model,
        source id). Rewarding only good scores would corrupt satisfaction
        figures, so the score is not even asked for. Feedback never enrols
        anybody, even with "Enrol on First Order" on: it upgrades members only.
        No store or team; the region is the member's address now.
        """
        rows = [(p, c, d, m, s) for p, c, d, m, s in feedback]
        if not rows:
            return []
        self.env.flush_all()
        now = fields.Datetime.now()
        values = SQL(", ").join(SQL("(%s, %s, %s::date, %s, %s)", *row) for row in rows)
        inserted = self.env.execute_query(
            SQL(
                """
                INSERT INTO member_ledger (partner_id, company_id, date, kind, amount, order_count, feedback_count,
                                           source_model, source_id, revision, country_id, state_id, city,
                                           create_uid, create_date, write_uid, write_date)
                SELECT v.partner_id, v.company_id, v.date, 'feedback', 0, 0, 1, v.model, v.source_id, 0,
                       %(region)s, %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM (VALUES %(values)s) AS v(partner_id, company_id, date, model, source_id)
                  JOIN res_company c ON c.id = v.company_id AND c.member_crm_enabled
                  %(region_join)s
                    ON CONFLICT (source_model, source_id, kind, revision) WHERE source_id IS NOT NULL DO NOTHING
             RETURNING id, partner_id, company_id, source_model, source_id
                """,
                values=values,
                uid=self.env.uid,
                now=now,
                region=self._member_region_columns_sql(),
                region_join=self._member_region_join_sql(SQL("v.partner_id")),
            )
        )
        self._member_invalidate_figures()
        if inserted:
            self.env["member.membership"]._member_instant_check(
                [(p, c, m, s) for _id, p, c, m, s in inserted], trigger="order", enroll=False
            )
        return inserted

    # -- opening balances and corrections ----------------------------------
    @api.model
    def _member_record_opening(self, entries, kind="opening", check=True):
        """Entries with no order behind them (migration import, corrections).

        ``entries``: dicts with partner_id, company_id, date, amount,
        order_count and optionally source_model/source_id (which make the
        entry unique, so re-importing the same file adds nothing) and note.
        No store or team; the region is the member's address now.
        """
        if not entries:
            return []
        self.env.flush_all()
        now = fields.Datetime.now()
        values = SQL(", ").join(
            SQL(
                "(%s, %s, %s::date, %s::numeric, %s::int, %s, %s::int, %s)",
                e["partner_id"],
                e["company_id"],
                e["date"],
                e.get("amount", 0.0),
                e.get("order_count", 0),
                e.get("source_model"),
                e.get("source_id"),
                e.get("note"),
            )
            for e in entries
        )
        inserted = self.env.execute_query(
            SQL(
                """
                INSERT INTO member_ledger (partner_id, company_id, date, kind, amount, order_count, feedback_count,
                                           source_model, source_id, note, revision, country_id, state_id, city,
                                           create_uid, create_date, write_uid, write_date)
                SELECT v.partner_id, v.company_id, v.date, %(kind)s, v.amount, v.order_count, 0, v.model,
                       v.source_id, v.note, 0, %(region)s, %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM (VALUES %(values)s) AS v(partner_id, company_id, date, amount, order_count, model,
                                                source_id, note)
                  %(region_join)s
                    ON CONFLICT (source_model, source_id, kind, revision) WHERE source_id IS NOT NULL DO NOTHING
             RETURNING id, partner_id, company_id, source_model, source_id
                """,
                kind=kind,
                values=values,
                uid=self.env.uid,
                now=now,
                region=self._member_region_columns_sql(),
                region_join=self._member_region_join_sql(SQL("v.partner_id")),
            )
        )
        self._member_invalidate_figures()
        if inserted and check:
            self.env["member.membership"]._member_instant_check(
                [(p, c, m or "member.ledger", s or i) for i, p, c, m, s in inserted], trigger="import"
            )
        return inserted

    # -- backfill ---------------------------------------------------------
    @api.model
    def _member_backfill(self, company):
        """Write the ledger entries of the company's whole order history, in SQL.

        Orders first, then refunds (which need their original's entry). Rows
        already in the ledger are skipped, so this can run at any time.
        """
        self.env["res.company"].flush_model()
        company_filter = SQL("AND src.company_id = %s", company.id)
        total = 0
        selects = [("pos.order", self._member_pos_select(None))]
        if company.member_sale_qualify_on == "paid":
            selects.append(("account.move", self._member_invoice_select(None)))
        else:
            selects.append(("sale.order", self._member_sale_select(None)))
        for _round in range(2):  # refunds find their originals on the second round
            for model, select in selects:
                scoped = SQL("SELECT * FROM (%s) src WHERE TRUE %s", select, company_filter)
                total += len(self._member_insert(model, scoped, check=False))
        if total:
            # fresh statistics for the review that follows a bulk load (VACUUM cannot run in a transaction)
            self.env.cr.execute(SQL("ANALYZE member_ledger, member_ledger_line"))
        return total
