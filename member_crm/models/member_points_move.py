"""Points moves: the append-only log of every change to a member card's points.

Lots (``member.points.lot``) and the card's ``points`` are states; the moves
explain them. Each change made through the points writer (earning, spending,
release, expiry, refunds, imports, merges) and each change Odoo's own flows
make to a member card appends one move: card, local date, kind, signed points,
source document and lot. Moves are never changed or deleted: sale_loyalty
deletes an order's ``loyalty.history`` lines when the order is cancelled and
edits ``used`` in place, so only the moves can explain a past balance, and the
points liability is reconciled from them.

Pending points (bonus points waiting for the return window) are moves with
``pending`` set: they explain the card's pending points, not its balance. The
release that makes them spendable is two ``release`` moves: the points leave
the pending points (a pending move) and enter the balance.
"""

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from odoo.addons.base.models.ir_model import MODULE_UNINSTALL_FLAG

KINDS = [
    ("earn", "Earned"),
    ("bonus", "Tier Bonus"),
    ("spend", "Spent"),
    ("release", "Pending Points Released"),
    ("expire", "Expired"),
    ("refund", "Taken Back (Refund)"),
    ("cancel", "Order Cancelled"),
    ("opening", "Opening Balance"),
    ("adjust", "Adjustment"),
    ("compensation", "Compensation"),
    ("merge", "Contact Merge"),
]


class MemberPointsMove(models.Model):
    _name = "member.points.move"
    _description = "Member Points Move"
    _order = "date desc, id desc"
    _check_company_auto = True

    # restrict: a card whose points were explained to the accountants is not deleted under them
    card_id = fields.Many2one("loyalty.card", required=True, readonly=True, ondelete="restrict")
    program_id = fields.Many2one(related="card_id.program_id")
    # the holder and company when the move was written (a contact merge moves them with the card)
    partner_id = fields.Many2one("res.partner", string="Member", readonly=True, index="btree_not_null")
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    date = fields.Date(required=True, readonly=True, help="Day of the change in the company's time zone.")
    kind = fields.Selection(KINDS, required=True, readonly=True)
    points = fields.Float(readonly=True, help="Signed: what the change added to (or took from) the card.")
    pending = fields.Boolean(
        readonly=True, help="The move changes the card's pending points (not spendable yet), not its balance."
    )
    description = fields.Char(readonly=True)
    source_model = fields.Char(readonly=True)
    source_id = fields.Many2oneReference(model_field="source_model", readonly=True)
    source_ref = fields.Reference(selection="_selection_source_models", compute="_compute_source_ref")
    lot_id = fields.Many2one("member.points.lot", readonly=True, ondelete="restrict")

    # the check and the liability sum a card's moves: index-only scans
    _card_idx = models.Index("(card_id) INCLUDE (points, pending)")

    @api.model
    def _selection_source_models(self):
        return [
            (model, self.env["ir.model"]._get(model).name)
            for model in (
                "pos.order",
                "sale.order",
                "account.move",
                "member.membership",
                "member.points.lot",
                "loyalty.card",
                "res.partner",
            )
            if model in self.env
        ]

    @api.depends("source_model", "source_id")
    def _compute_source_ref(self):
        models_ok = dict(self._selection_source_models())
        for move in self:
            ok = move.source_model in models_ok and move.source_id
            move.source_ref = f"{move.source_model},{move.source_id}" if ok else False

    def write(self, vals):
        if self:
            raise UserError(self.env._("Points moves cannot be changed: the points writer adds a new move instead."))
        return super().write(vals)

    @api.ondelete(at_uninstall=True)
    def _unlink_never(self):
        if not self.env.context.get(MODULE_UNINSTALL_FLAG):
            raise UserError(self.env._("Points moves cannot be deleted: they explain the members' balances."))

    # ------------------------------------------------------------------
    # the check: do the moves explain the balances?
    # ------------------------------------------------------------------
    @api.model
    def _member_unexplained_sql(self, card_ids=None):
        """Member cards whose moves do not explain their points: ``(card id, balance, balance moves, pending,
        pending moves)``.

        The balance is the sum of the moves that are not pending; the pending points (what the card's pending
        lots hold, ``member_points_pending``) are the sum of the pending moves. Member cards: cards of a
        company's member points program that have moves or pending lots, or whose holder is an active member
        of the card's company. One aggregate over the move index and one over the pending lots.
        """
        return SQL(
            """
            SELECT c.id, c.points, COALESCE(m.total, 0), COALESCE(p.total, 0), COALESCE(m.pending, 0)
              FROM loyalty_card c
              LEFT JOIN (SELECT card_id,
                                SUM(points) FILTER (WHERE pending IS NOT TRUE) AS total,
                                SUM(points) FILTER (WHERE pending) AS pending
                           FROM member_points_move
                       GROUP BY card_id) m ON m.card_id = c.id
              LEFT JOIN (SELECT card_id, SUM(remaining) AS total
                           FROM member_points_lot
                          WHERE released IS NOT TRUE AND remaining <> 0
                       GROUP BY card_id) p ON p.card_id = c.id
             WHERE (m.card_id IS NOT NULL
                    OR p.card_id IS NOT NULL
                    OR %s)
               AND (ROUND((c.points - COALESCE(m.total, 0))::numeric, 2) <> 0
                    OR ROUND((COALESCE(p.total, 0) - COALESCE(m.pending, 0))::numeric, 2) <> 0)
               %s
            """,
            self._member_active_card_sql(),
            SQL("AND c.id = ANY(%s)", list(card_ids)) if card_ids is not None else SQL(),
        )

    @api.model
    def _member_active_card_sql(self):
        """Condition on ``loyalty_card c``: a card of its company's member program held by an active member."""
        return SQL(
            """(c.program_id IN (SELECT member_loyalty_program_id FROM res_company)
                AND EXISTS (SELECT 1
                              FROM res_partner p
                              JOIN member_membership ms ON ms.partner_id = p.commercial_partner_id
                             WHERE p.id = c.partner_id AND ms.company_id = c.company_id
                               AND ms.state = 'active'))"""
        )

    @api.model
    def _member_check_balances(self, cards=None):
        """{card: (balance, sum of its balance moves, pending points, sum of its pending moves)} of the member
        cards the moves do not explain (empty: all agree)."""
        self.env.flush_all()
        rows = self.env.execute_query(self._member_unexplained_sql(cards.ids if cards is not None else None))
        Card = self.env["loyalty.card"]
        return {Card.browse(card_id): tuple(sums) for card_id, *sums in rows}

    # ------------------------------------------------------------------
    # starting the log on cards that have none (migration 19.0.1.1.0)
    # ------------------------------------------------------------------
    @api.model
    def _member_open_log(self):
        """Opening moves for today's lots of member cards that have no move yet: set-based, two statements.

        A balance the lots do not explain (points from before the addon) first becomes an opening lot (or a
        debt lot when the lots hold more than the balance), as the card's follow-up would do. Afterwards the
        check (``_member_check_balances``) reads nothing. Returns the number of cards.
        """
        self.env.flush_all()
        cards = [
            card_id
            for (card_id,) in self.env.execute_query(
                SQL(
                    """
                    SELECT c.id
                      FROM loyalty_card c
                     WHERE NOT EXISTS (SELECT 1 FROM member_points_move m WHERE m.card_id = c.id)
                       AND (EXISTS (SELECT 1 FROM member_points_lot l WHERE l.card_id = c.id) OR %s)
                    """,
                    self._member_active_card_sql(),
                )
            )
        ]
        if not cards:
            return 0
        companies = self.env["res.company"].sudo().search([("member_loyalty_program_id", "!=", False)])
        today = SQL(
            "(SELECT * FROM unnest(%s::int[], %s::date[], %s::int[]) AS t(company_id, day, months))",
            companies.ids,
            [company._member_today() for company in companies],
            [company.member_points_expiry_months for company in companies],
        )
        default_day = self.env.company._member_today()
        description = self.env._("Opening balance (points moves start)")
        now, uid = fields.Datetime.now(), self.env.uid
        self.env.execute_query(
            SQL(
                """
                WITH gaps AS (
                    SELECT c.id, c.partner_id, c.company_id,
                           ROUND((c.points - COALESCE((SELECT SUM(l.remaining) FROM member_points_lot l
                                                        WHERE l.card_id = c.id AND l.released), 0))::numeric, 2)::float
                           AS gap
                      FROM loyalty_card c
                     WHERE c.id = ANY(%(cards)s)
                )
                INSERT INTO member_points_lot (card_id, partner_id, company_id, description, kind, points, remaining,
                                               earned_on, expires_on, released, expired_points, reminder_sent,
                                               create_uid, create_date, write_uid, write_date)
                SELECT g.id, g.partner_id, g.company_id, %(description)s,
                       CASE WHEN g.gap > 0 THEN 'opening' ELSE 'debt' END, g.gap, g.gap,
                       COALESCE(t.day, %(default_day)s),
                       CASE WHEN g.gap > 0 AND t.months > 0 THEN (t.day + make_interval(months => t.months))::date END,
                       TRUE, 0, FALSE, %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM gaps g
             LEFT JOIN %(today)s t ON t.company_id = g.company_id
                 WHERE g.gap <> 0
                """,
                cards=cards,
                description=description,
                default_day=default_day,
                today=today,
                uid=uid,
                now=now,
            )
        )
        self.env.execute_query(
            SQL(
                """
                INSERT INTO member_points_move (card_id, partner_id, company_id, date, kind, points, pending,
                                                description, lot_id, create_uid, create_date, write_uid, write_date)
                SELECT l.card_id, c.partner_id, COALESCE(c.company_id, %(default_company)s),
                       COALESCE(t.day, %(default_day)s), 'opening', l.remaining, l.released IS NOT TRUE,
                       %(description)s, l.id, %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM member_points_lot l
                  JOIN loyalty_card c ON c.id = l.card_id
             LEFT JOIN %(today)s t ON t.company_id = c.company_id
                 WHERE l.card_id = ANY(%(cards)s) AND l.remaining <> 0
              ORDER BY l.card_id, l.id
                """,
                cards=cards,
                default_company=self.env.company.id,
                default_day=default_day,
                description=description,
                today=today,
                uid=uid,
                now=now,
            )
        )
        self.env["member.points.lot"].invalidate_model()
        self.env["loyalty.card"].invalidate_model(["member_lot_ids", "member_move_ids"])
        return len(cards)
