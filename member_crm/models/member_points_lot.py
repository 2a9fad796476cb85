"""Points lots beside Odoo's loyalty cards: pending points, FIFO expiry, tier bonus.

Odoo 19's ``loyalty.card`` keeps one number, ``points``, and has neither
pending points nor expiry for loyalty cards, so this model keeps where each
point came from. The card's ``points`` stays the spendable balance that the
POS and sales read; every change to it passes through a lot and a
``loyalty.history`` line together:

- changes made by Odoo itself (points won or spent in the POS or in sales,
  the update-balance wizard) are written by Odoo with its own history line;
  ``loyalty.card.write`` turns the difference into a lot (earn) or consumes
  lots first-to-expire first (spend);
- changes made here (tier bonus, release of pending points, expiry, refund
  reversal) write the card, the lot and a history line in one go. Their
  history lines point at the lot, never at the order: pos_loyalty drops an
  order's points when a history line for that ``pos.order`` exists already.

Decisions (FIFO, debts, reversal shares, dates) are ``engine.points``.
"""

import datetime
from collections import defaultdict

from odoo import api, fields, models
from odoo.tools import SQL

from ..engine import points as engine
from ..tools.trusted import POINTS_INTERNAL, trusted


class MemberPointsLot(models.Model):
    _name = "member.points.lot"
    _description = "Member Points Lot"
    _order = "id desc"
    _rec_name = "description"

    card_id = fields.Many2one("loyalty.card", required=True, ondelete="cascade", index=True, readonly=True)
    partner_id = fields.Many2one(related="card_id.partner_id", store=True, index="btree_not_null")
    company_id = fields.Many2one(related="card_id.company_id", store=True)
    description = fields.Char(required=True, readonly=True)
    kind = fields.Selection(
        [
            ("earn", "Earned (program rules)"),
            ("bonus", "Tier bonus"),
            ("opening", "Opening balance"),
            ("adjust", "Adjustment"),
            ("debt", "Debt (taken back after being spent)"),
        ],
        required=True,
        readonly=True,
    )
    points = fields.Float(readonly=True, help="Points of the lot when it was created.")
    remaining = fields.Float(readonly=True, help="Points of the lot still to spend (negative for a debt).")
    earned_on = fields.Date(required=True, readonly=True)
    pending_until = fields.Date(readonly=True, help="Spendable from this day (the return window).")
    released = fields.Boolean(readonly=True, help="The lot's points are in the card's balance.")
    expires_on = fields.Date(readonly=True, index="btree_not_null")
    expired_points = fields.Float(readonly=True)
    reminder_sent = fields.Boolean(readonly=True)
    state = fields.Selection(
        [("pending", "Pending"), ("available", "Available"), ("used", "Used"), ("expired", "Expired")],
        compute="_compute_state",
    )
    # bonus lots: what they were computed from, and what refunds took back
    source_model = fields.Char(readonly=True)
    source_id = fields.Many2oneReference(model_field="source_model", readonly=True)
    tier_id = fields.Many2one("member.tier", readonly=True)
    factor = fields.Float(readonly=True, digits=(16, 4))
    base_amount = fields.Float(readonly=True, help="Qualifying untaxed amount of the order.")
    refunded_amount = fields.Float(readonly=True)
    reversed_points = fields.Float(readonly=True)
    cancelled = fields.Boolean(
        readonly=True, help="Taken back whole because its invoice was reset to draft; paid again, it is restored."
    )

    # a bonus is granted once per source document, whatever replays the hook
    _bonus_once = models.UniqueIndex("(source_model, source_id) WHERE kind = 'bonus'")
    _card_open_idx = models.Index("(card_id, expires_on, earned_on, id) WHERE remaining <> 0")

    @api.depends("released", "remaining", "expired_points")
    def _compute_state(self):
        for lot in self:
            if not lot.released:
                lot.state = "pending"
            elif lot.remaining:
                lot.state = "available"
            else:
                lot.state = "expired" if lot.expired_points else "used"

    # ------------------------------------------------------------------
    # card balance, lots and history together
    # ------------------------------------------------------------------
    @api.model
    def _member_lock_cards(self, cards):
        """Serialise balance changes per card: two tills paying for one member must not lose points."""
        self.env.flush_all()
        self.env.execute_query(
            SQL("SELECT id FROM loyalty_card WHERE id = ANY(%s) ORDER BY id FOR NO KEY UPDATE", list(cards.ids))
        )
        cards.invalidate_recordset(["points"])

    @api.model
    def _member_open_lots(self, cards):
        """{card id: [engine.Lot]} of the lots with points left (or debts), released or not."""
        lots = self.search([("card_id", "in", cards.ids), ("remaining", "!=", 0)])
        out = defaultdict(list)
        for lot in lots:
            out[lot.card_id.id].append(lot._member_engine_lot())
        return out

    def _member_engine_lot(self):
        return engine.Lot(
            id=self.id,
            remaining=self.remaining,
            earned_on=self.earned_on,
            expires_on=self.expires_on,
            # not spendable before the release writes it into the balance, even once its day has come
            pending_until=None if self.released else datetime.date.max,
        )

    @api.model
    def _member_balance_write(self, card, delta):
        """Write the card's new balance; our own writes do not come back through the card hook."""
        if delta:
            card.with_context(**trusted(POINTS_INTERNAL)).write({"points": engine.round_points(card.points + delta)})

    @api.model
    def _member_history(self, card, lot, description, issued=0.0, used=0.0):
        return {
            "card_id": card.id,
            "description": description,
            "issued": issued,
            "used": used,
            # never the pos.order itself: pos_loyalty would then drop the order's own points
            "order_model": self._name,
            "order_id": lot.id,
        }

    @api.model
    def _member_dates(self, company, today, pending=False):
        return engine.lot_dates(
            today,
            pending_days=company.member_points_pending_days if pending else 0,
            expiry_months=company.member_points_expiry_months,
        )

    @api.model
    def _member_earn(self, card, points, kind, description, today, history=True, pending=False, balance=True, **extra):
        """Add ``points`` to ``card`` as a new lot; pending lots stay out of the balance until released."""
        points = engine.round_points(points)
        pending_until, expires_on = self._member_dates(card.company_id, today, pending=pending)
        lot = self.create(
            {
                "card_id": card.id,
                "kind": kind,
                "description": description,
                "points": points,
                "remaining": points,
                "earned_on": today,
                "pending_until": pending_until,
                "expires_on": expires_on,
                "released": not pending_until,
                **extra,
            }
        )
        if lot.released:
            self._member_credit(card, lot, points, balance=balance)
            if history:
                self.env["loyalty.history"].sudo().create(self._member_history(card, lot, description, issued=points))
        return lot

    @api.model
    def _member_credit(self, card, lot, points, balance=True, debts=None):
        """Put released points in the balance: they pay off debts first.

        ``debts``: the card's debt lots when the caller fetched them for a whole batch.
        """
        if debts is None:
            debts = self.search([("card_id", "=", card.id), ("remaining", "<", 0)])
        debts = debts - lot
        payments, left = engine.pay_debts([debt._member_engine_lot() for debt in debts], points)
        for debt_id, paid in payments:
            debt = debts.browse(debt_id)
            debt.remaining = engine.round_points(debt.remaining + paid)
        lot.write({"remaining": left, "released": True})
        if balance:
            self._member_balance_write(card, points)

    @api.model
    def _member_take(self, card, points, description, today, history=True, first_lot=None, source=None, balance=True):
        """Take ``points`` from the card: ``first_lot`` first, then first to expire; a shortfall is a debt."""
        points = engine.round_points(points)
        if points <= 0:
            return self.browse()
        taken_lots = self.browse()
        if first_lot and first_lot.released and first_lot.remaining > 0:
            take = min(first_lot.remaining, points)
            first_lot.remaining = engine.round_points(first_lot.remaining - take)
            taken_lots |= first_lot
            points_left = engine.round_points(points - take)
        else:
            points_left = points
        lots = self._member_open_lots(card)[card.id]
        takes, shortfall = engine.consume(lots, points_left, today)
        for lot_id, take in takes:
            lot = self.browse(lot_id)
            lot.remaining = engine.round_points(lot.remaining - take)
            taken_lots |= lot
        anchor = taken_lots[:1]
        if shortfall:
            anchor = self.create(
                {
                    "card_id": card.id,
                    "kind": "debt",
                    "description": description,
                    "points": -shortfall,
                    "remaining": -shortfall,
                    "earned_on": today,
                    "released": True,
                    **(source or {}),
                }
            )
        if balance:
            self._member_balance_write(card, -points)
        if history:
            self.env["loyalty.history"].sudo().create(
                self._member_history(card, anchor or first_lot, description, used=points)
            )
        return taken_lots | anchor

    # ------------------------------------------------------------------
    # Odoo's own changes to a member card (loyalty.card.write / create)
    # ------------------------------------------------------------------
    @api.model
    def _member_follow_card_changes(self, before, manual=False):
        """Turn balance changes Odoo made on member cards into lots (Odoo wrote the history line).

        ``manual``: the Update Balance wizard or a manager changed the balance by hand (an adjustment).
        """
        today = fields.Date.context_today(self)
        if manual:
            kind, earned, spent = "adjust", self.env._("Balance adjusted"), self.env._("Balance adjusted")
        else:
            kind, earned, spent = "earn", self.env._("Points earned"), self.env._("Points spent")
        for card, old in before.items():
            delta = engine.round_points(card.points - old)
            if not delta:
                continue
            self._member_reconcile(card, old, today)
            if delta > 0:
                self._member_earn(card, delta, kind, earned, today, history=False, balance=False)
            else:
                self._member_take(card, -delta, spent, today, history=False, balance=False)

    @api.model
    def _member_reconcile(self, card, balance, today):
        """A balance that lots do not explain (points from before the addon, SQL imports) becomes an opening lot."""
        open_lots = self.search([("card_id", "=", card.id), ("released", "=", True), ("remaining", "!=", 0)])
        gap = engine.round_points(balance - sum(open_lots.mapped("remaining")))
        if gap:
            _pending, expires_on = self._member_dates(card.company_id, today)
            self.create(
                {
                    "card_id": card.id,
                    "kind": "opening" if gap > 0 else "debt",
                    "description": self.env._("Balance before points lots"),
                    "points": gap,
                    "remaining": gap,
                    "earned_on": today,
                    "expires_on": expires_on if gap > 0 else False,
                    "released": True,
                }
            )

    # ------------------------------------------------------------------
    # tier bonus: granted when paid, reversed by refunds (exactly, cumulatively)
    # ------------------------------------------------------------------
    @api.model
    def _member_pos_bonus_rows(self, orders):
        """(source model, id, partner, company, untaxed amount) of sales, and refunded totals per refunded order."""
        self.env.flush_all()
        sold = self.env.execute_query(
            SQL(
                """
                SELECT o.id, p.commercial_partner_id, o.company_id,
                       SUM(l.price_subtotal / COALESCE(NULLIF(o.currency_rate, 0), 1))
                  FROM pos_order o
                  JOIN res_partner p ON p.id = o.partner_id
                  JOIN pos_order_line l ON l.order_id = o.id AND l.refunded_orderline_id IS NULL
                 WHERE o.id = ANY(%(ids)s) AND o.state IN ('paid', 'done', 'invoiced')
              GROUP BY o.id, p.commercial_partner_id, o.company_id
                """,
                ids=orders.ids,
            )
        )
        # every paid refund of the orders these refund, not only this one: reversals are cumulative
        refunded = self.env.execute_query(
            SQL(
                """
                WITH origin AS (
                    SELECT DISTINCT rl.order_id
                      FROM pos_order_line l JOIN pos_order_line rl ON rl.id = l.refunded_orderline_id
                     WHERE l.order_id = ANY(%(ids)s)
                )
                SELECT rl.order_id, -SUM(l.price_subtotal / COALESCE(NULLIF(o.currency_rate, 0), 1))
                  FROM origin
                  JOIN pos_order_line rl ON rl.order_id = origin.order_id
                  JOIN pos_order_line l ON l.refunded_orderline_id = rl.id
                  JOIN pos_order o ON o.id = l.order_id AND o.state IN ('paid', 'done', 'invoiced')
              GROUP BY rl.order_id
                """,
                ids=orders.ids,
            )
        )
        return [("pos.order", *row) for row in sold], [("pos.order", *row) for row in refunded]

    @api.model
    def _member_invoice_bonus_rows(self, moves, cancelled=False):
        """As for POS orders: paid customer invoices, and what paid credit notes (or a reset) took back."""
        self.env.flush_all()
        invoices = moves.filtered(lambda m: m.move_type == "out_invoice")
        if cancelled:
            # an invoice reset to draft or cancelled takes its whole bonus back
            lots = self.search(
                [("kind", "=", "bonus"), ("source_model", "=", "account.move"), ("source_id", "in", invoices.ids)]
            )
            return [], [("account.move", lot.source_id, lot.base_amount) for lot in lots]
        sold = self.env.execute_query(
            SQL(
                """
                SELECT m.id, p.commercial_partner_id, m.company_id, -SUM(aml.balance)
                  FROM account_move m
                  JOIN res_partner p ON p.id = m.partner_id
                  JOIN account_move_line aml ON aml.move_id = m.id AND aml.display_type = 'product'
                 WHERE m.id = ANY(%(ids)s) AND m.move_type = 'out_invoice' AND m.state = 'posted'
                   AND m.payment_state IN ('paid', 'in_payment')
                   AND NOT EXISTS (SELECT 1 FROM pos_order po WHERE po.account_move = m.id)
              GROUP BY m.id, p.commercial_partner_id, m.company_id
                """,
                ids=invoices.ids,
            )
        )
        credit_notes = moves.filtered(lambda m: m.move_type == "out_refund")
        refunded = self._member_invoice_refunded(credit_notes.reversed_entry_id.ids)
        return [("account.move", *row) for row in sold], [("account.move", *row) for row in refunded.items()]

    @api.model
    def _member_invoice_refunded(self, invoice_ids):
        """{invoice id: untaxed amount of its paid credit notes}."""
        if not invoice_ids:
            return {}
        self.env.flush_all()
        return dict(
            self.env.execute_query(
                SQL(
                    """
                    SELECT r.reversed_entry_id, SUM(aml.balance)
                      FROM account_move r
                      JOIN account_move_line aml ON aml.move_id = r.id AND aml.display_type = 'product'
                     WHERE r.reversed_entry_id = ANY(%(ids)s) AND r.move_type = 'out_refund' AND r.state = 'posted'
                       AND r.payment_state IN ('paid', 'in_payment')
                  GROUP BY r.reversed_entry_id
                    """,
                    ids=list(invoice_ids),
                )
            )
        )

    @api.model
    def _member_bonus(self, sold, refunded, cancelled=False):
        """Grant the tier bonus of paid documents and take back what their refunds undo.

        ``sold``: [(model, id, partner id, company id, untaxed amount)];
        ``refunded``: [(model, id of the refunded document, total refunded so far)];
        ``cancelled``: the documents were reset to draft (their whole bonus goes, until paid again).
        """
        today = fields.Date.context_today(self)
        self._member_reinstate(sold, today)
        grants = self._member_bonus_grants(sold)
        if grants:
            cards = self.env["loyalty.card"].browse([card.id for card, *_rest in grants])
            self._member_lock_cards(cards)
            for card, tier, factor, (model, src_id, _partner, _company, amount) in grants:
                points = engine.bonus(factor, amount)
                if points <= 0:
                    continue
                self._member_earn(
                    card,
                    points,
                    "bonus",
                    self.env._(
                        "%(tier)s bonus: %(document)s", tier=tier.name, document=self._member_doc_name(model, src_id)
                    ),
                    today,
                    pending=True,
                    source_model=model,
                    source_id=src_id,
                    tier_id=tier.id,
                    factor=factor,
                    base_amount=amount,
                )
        if refunded:
            self._member_reverse(refunded, today, cancelled=cancelled)

    @api.model
    def _member_reinstate(self, sold, today):
        """An invoice reset to draft lost its bonus; paid again, it gets back what its credit notes leave."""
        keys = {(row[0], row[1]) for row in sold if row[0] == "account.move"}
        if not keys:
            return
        lots = self.search(
            [("kind", "=", "bonus"), ("cancelled", "=", True), ("source_model", "=", "account.move")]
            + [("source_id", "in", [src_id for _model, src_id in keys])]
        )
        if not lots:
            return
        self._member_lock_cards(lots.card_id)
        refunded = self._member_invoice_refunded(lots.mapped("source_id"))
        for lot in lots:
            total = refunded.get(lot.source_id, 0.0)
            target = engine.reversal(lot.points, 0.0, lot.base_amount, total)
            restore = engine.round_points(lot.reversed_points - target)
            lot.write({"cancelled": False, "reversed_points": target, "refunded_amount": total})
            if restore > 0:
                self._member_earn(
                    lot.card_id,
                    restore,
                    "adjust",
                    self.env._(
                        "Bonus restored (paid again): %(document)s",
                        document=self._member_doc_name(lot.source_model, lot.source_id),
                    ),
                    today,
                    source_model=lot.source_model,
                    source_id=lot.source_id,
                    tier_id=lot.tier_id.id,
                )

    @api.model
    def _member_bonus_grants(self, sold):
        """[(card, tier, factor, row)] for the rows of active members whose tier gives a multiplier."""
        sold = [row for row in sold if row[4] and row[4] > 0]
        if not sold:
            return []
        done = {
            (lot.source_model, lot.source_id)
            for lot in self.search(
                [
                    ("kind", "=", "bonus"),
                    ("source_model", "in", list({r[0] for r in sold})),
                    ("source_id", "in", [r[1] for r in sold]),
                ]
            )
        }
        sold = [row for row in sold if (row[0], row[1]) not in done]
        companies = (
            self.env["res.company"]
            .browse({row[3] for row in sold})
            .filtered(lambda c: c.member_crm_enabled and c.member_loyalty_program_id)
        )
        sold = [row for row in sold if row[3] in companies.ids]
        if not sold:
            return []
        memberships = self.env["member.membership"].search(
            [("partner_id", "in", [r[2] for r in sold]), ("company_id", "in", companies.ids), ("state", "=", "active")]
        )
        by_key = {(m.partner_id.id, m.company_id.id): m for m in memberships}
        factors = memberships.tier_id._member_points_factors()
        wanted = [(row, by_key.get((row[2], row[3]))) for row in sold]
        wanted = [(row, m) for row, m in wanted if m and factors.get(m.tier_id.id, 0.0) > 0]
        if not wanted:
            return []
        cards = self.env["loyalty.card"]._member_cards(
            {(m.partner_id.id, m.company_id.member_loyalty_program_id.id) for _row, m in wanted}
        )
        return [
            (cards[(m.partner_id.id, m.company_id.member_loyalty_program_id.id)], m.tier_id, factors[m.tier_id.id], row)
            for row, m in wanted
        ]

    @api.model
    def _member_reverse(self, refunded, today, cancelled=False):
        keys = {(model, src_id): total for model, src_id, total in refunded}
        lots = self.search(
            [
                ("kind", "=", "bonus"),
                ("source_model", "in", list({model for model, _id in keys})),
                ("source_id", "in", [src_id for _model, src_id in keys]),
            ]
        ).filtered(lambda lot: (lot.source_model, lot.source_id) in keys)
        if not lots:
            return
        self._member_lock_cards(lots.card_id)
        for lot in lots:
            total = keys[(lot.source_model, lot.source_id)]
            points = engine.reversal(lot.points, lot.reversed_points, lot.base_amount, total)
            lot.write(
                {
                    "refunded_amount": total,
                    "reversed_points": engine.round_points(lot.reversed_points + points),
                    "cancelled": cancelled or lot.cancelled,
                }
            )
            if not points:
                continue
            description = self.env._(
                "Bonus taken back (refund): %(document)s",
                document=self._member_doc_name(lot.source_model, lot.source_id),
            )
            if not lot.released:
                # still pending: it never reached the balance, so the lot shrinks and nothing else moves
                lot.remaining = engine.round_points(lot.remaining - points)
                continue
            self._member_take(
                lot.card_id, points, description, today, first_lot=lot, source={"tier_id": lot.tier_id.id}
            )

    @api.model
    def _member_doc_name(self, model, res_id):
        return self.env[model].sudo().browse(res_id).display_name

    # ------------------------------------------------------------------
    # daily: release pending points, expire old ones, remind before expiry
    # ------------------------------------------------------------------
    @api.model
    def _cron_member_points(self):
        today = fields.Date.context_today(self)
        self._member_release(today)
        self._member_expire(today)
        self._member_remind(today)

    @api.model
    def _member_release(self, today):
        lots = self.search([("released", "=", False), ("pending_until", "<=", today)], order="card_id, id")
        if not lots:
            return lots
        self._member_lock_cards(lots.card_id)
        # one query for the debts of every card in the batch, one balance write per card
        debts = self.search([("card_id", "in", lots.card_id.ids), ("remaining", "<", 0)]).grouped("card_id")
        history = []
        for card, card_lots in lots.grouped("card_id").items():
            total = 0.0
            for lot in card_lots:
                points = lot.remaining
                self._member_credit(card, lot, points, balance=False, debts=debts.get(card, self.browse()))
                total = engine.round_points(total + points)
                if points:
                    history.append(
                        self._member_history(
                            card,
                            lot,
                            self.env._("Pending points released: %(lot)s", lot=lot.description),
                            issued=points,
                        )
                    )
            self._member_balance_write(card, total)
        self.env["loyalty.history"].sudo().create(history)
        return lots

    @api.model
    def _member_expire(self, today):
        lots = self.search(
            [("released", "=", True), ("remaining", ">", 0), ("expires_on", "<=", today)],
            order="card_id, expires_on, id",
        )
        if not lots:
            return lots
        self._member_lock_cards(lots.card_id)
        history = []
        for card, card_lots in lots.grouped("card_id").items():
            total = engine.round_points(sum(card_lots.mapped("remaining")))
            for lot in card_lots:
                lot.write({"expired_points": lot.remaining, "remaining": 0.0})
            self._member_balance_write(card, -total)
            history.append(
                self._member_history(
                    card, card_lots[0], self.env._("%(points)s points expired", points=total), used=total
                )
            )
        self.env["loyalty.history"].sudo().create(history)
        return lots

    @api.model
    def _member_remind(self, today):
        companies = self.env["res.company"].search(
            [
                ("member_crm_enabled", "=", True),
                ("member_points_reminder_days", ">", 0),
                ("member_points_expiry_months", ">", 0),
            ]
        )
        template = self.env.ref("member_crm.mail_template_member_points_expiry", raise_if_not_found=False)
        reminded = self.browse()
        for company in companies:
            horizon = fields.Date.add(today, days=company.member_points_reminder_days)
            lots = self.search(
                [
                    ("company_id", "=", company.id),
                    ("released", "=", True),
                    ("remaining", ">", 0),
                    ("reminder_sent", "=", False),
                    ("expires_on", "<=", horizon),
                ]
            )
            for card in lots.card_id:
                if template and card.partner_id.email:
                    template.send_mail(card.id, email_layout_xmlid="mail.mail_notification_light")
            lots.reminder_sent = True
            reminded |= lots
        return reminded

    def _member_expiring_points(self, days):
        """Points of these (card's) lots that expire within ``days`` days (the reminder mail shows them)."""
        lots = [lot._member_engine_lot() for lot in self]
        return engine.expiring(lots, fields.Date.context_today(self), days)
