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

import dataclasses
import datetime
from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain
from odoo.tools import SQL

from ..engine import points as engine
from ..tools.bulk import bulk_create

# the lot a move kind creates when points come in
LOT_KINDS = {
    "earn": "earn",
    "bonus": "bonus",
    "opening": "opening",
    "adjust": "adjust",
    "compensation": "compensation",
    "cancel": "adjust",
    "refund": "adjust",
    "merge": "adjust",
}
# batches from this size (imports, merges) are inserted with one statement per table
BULK_FROM = 500


class MemberPointsLot(models.Model):
    _name = "member.points.lot"
    _description = "Member Points Lot"
    _order = "id desc"
    _rec_name = "description"

    card_id = fields.Many2one("loyalty.card", required=True, ondelete="cascade", index=True, readonly=True)
    # the card's holder and company, kept with the card; not ``related``: the ORM discards a readonly precomputed
    # field's given value and reads the card again, while the writer has them from its lock (one query per order)
    partner_id = fields.Many2one(
        "res.partner",
        compute="_compute_card_holder",
        store=True,
        precompute=True,
        readonly=False,
        index="btree_not_null",
    )
    company_id = fields.Many2one(
        "res.company", compute="_compute_card_holder", store=True, precompute=True, readonly=False
    )
    description = fields.Char(required=True, readonly=True)
    kind = fields.Selection(
        [
            ("earn", "Earned (program rules)"),
            ("bonus", "Tier bonus"),
            ("opening", "Opening balance"),
            ("adjust", "Adjustment"),
            ("compensation", "Compensation"),
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

    @api.depends("card_id.partner_id", "card_id.company_id")
    def _compute_card_holder(self):
        for lot in self:
            lot.partner_id = lot.card_id.partner_id
            lot.company_id = lot.card_id.company_id or lot.company_id

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
    # the points writer: lots, card balances, history lines and moves together
    # ------------------------------------------------------------------
    @api.model
    def _member_points_earn(self, entries):
        """Add points to member cards, as one batch: lots, balances, history lines and moves together.

        ``entries``: dicts with

        - ``card`` (loyalty.card), ``points`` (> 0), ``kind`` (a move kind), ``description``;
        - ``source``: ``(model, id)`` of the document the points come from;
        - ``date``: the local day (default: today in the card company's time zone);
        - ``pending``: the new lot waits for the return window (tier bonus);
        - ``lot``: a pending lot to release instead of a new lot (kind ``release``);
        - ``lot_vals``: more values of the new lot (bonus: tier, factor, base amount);
        - ``balance`` / ``history`` False: Odoo's own flow wrote the card's points / its history line.

        Released points pay the card's debts first. Returns the lots, in the order of the entries.
        """
        entries = self._member_entries(entries)
        if not entries:
            return self.browse()
        balances, debts = self._member_lock(entries, debts=True)
        for entry in entries:
            if entry.get("lot"):
                entry["pending"] = False
                continue
            entry["pending_until"], entry["expires_on"] = self._member_dates(
                self.env["res.company"].browse(entry["company_id"]), entry["date"], pending=entry.get("pending")
            )
            entry["pending"] = bool(entry["pending_until"])
        credits = [entry for entry in entries if not entry["pending"]]
        paid = defaultdict(float)  # debt lot id -> points paid off
        for entry in credits:
            card_debts = debts[entry["card"].id]
            payments, entry["remaining"] = engine.pay_debts(card_debts, entry["points"])
            for debt_id, points in payments:
                paid[debt_id] = engine.round_points(paid[debt_id] + points)
            left = dict(payments)
            debts[entry["card"].id] = [
                dataclasses.replace(debt, remaining=engine.round_points(debt.remaining + left.get(debt.id, 0.0)))
                for debt in card_debts
            ]
        new = [entry for entry in entries if not entry.get("lot")]
        lots = self._member_create(
            self,
            [
                {
                    "card_id": entry["card"].id,
                    # related to the card: read with its lock, not again per lot
                    "partner_id": entry["partner_id"],
                    "company_id": entry["company_id"],
                    "kind": LOT_KINDS.get(entry["kind"], "adjust"),
                    "description": entry["description"],
                    "points": entry["points"],
                    "remaining": entry.get("remaining", entry["points"]),
                    "earned_on": entry["date"],
                    "pending_until": entry["pending_until"],
                    "expires_on": entry["expires_on"],
                    "released": not entry["pending"],
                    "source_model": entry["source"][0] if entry.get("source") else False,
                    "source_id": entry["source"][1] if entry.get("source") else False,
                    **entry.get("lot_vals", {}),
                }
                for entry in new
            ],
        )
        for entry, lot in zip(new, lots, strict=True):
            entry["lot"] = lot
        for entry in entries:
            if entry["kind"] == "release":
                entry["lot"].write({"remaining": entry["remaining"], "released": True})
        for debt_id, points in paid.items():
            debt = self.browse(debt_id)
            debt.remaining = engine.round_points(debt.remaining + points)
        self._member_write_history(credits, "issued")
        moves = []
        for entry in entries:
            moves.append(entry)
            if entry["kind"] == "release":
                # the points leave the card's pending points as they enter its balance
                moves.append(dict(entry, pending=True, points=-entry["points"]))
        self._member_log_moves(moves, sign=1)
        self._member_balance_add(credits, balances, sign=1)
        return self.browse([entry["lot"].id for entry in entries])

    @api.model
    def _member_points_spend(self, entries):
        """Take points from member cards, as one batch: lots first to expire first, balances, history, moves.

        ``entries``: dicts as for earning (``card``, ``points``, ``kind``, ``description``, ``source``,
        ``date``, ``balance``, ``history``) and

        - ``first_lot``: take from this lot first (a refund takes back its own bonus lot);
        - ``lots``: take these lots whole, and nothing else (expiry; ``points`` is their sum);
        - ``pending``: shrink the pending ``first_lot`` (its points never reached the balance);
        - ``debt``: a shortfall becomes a debt lot that later points pay off (refunds of points already
          spent, and what Odoo's own flows did). Without it, a card whose released balance is short
          refuses the whole batch.

        The cards are locked first: two tills spending one member's points must not both succeed.
        Returns the lots taken from (and the debt lots).
        """
        for entry in entries:
            if entry.get("lots"):
                entry["points"] = sum(entry["lots"].mapped("remaining"))
        entries = self._member_entries(entries)
        if not entries:
            return self.browse()
        balances, _debts = self._member_lock(entries)
        cards = self._member_cards_of_entries(entries)
        running = dict(balances)  # what each card still holds as the batch goes
        lots = self.search([("card_id", "in", cards.ids), ("remaining", "!=", 0)])
        left = {lot.id: lot.remaining for lot in lots}
        by_card = lots.grouped("card_id")
        expired = {}
        debt_vals = []
        for entry in entries:
            card, points = entry["card"], entry["points"]
            first = entry.get("first_lot")
            entry["taken"] = taken = []
            if entry.get("pending"):
                take = min(points, left.get(first.id, first.remaining))
                left[first.id] = engine.round_points(left.get(first.id, first.remaining) - take)
                entry["points"], entry["lot"] = take, first
                continue
            if entry.get("lots"):
                for lot in entry["lots"]:
                    expired[lot.id], left[lot.id] = left.get(lot.id, lot.remaining), 0.0
                    taken.append(lot.id)
                entry["lot"] = entry["lots"][:1]
            else:
                shortfall = self._member_take_lots(entry, left, by_card.get(card, self.browse()), running[card.id])
                if shortfall:
                    debt_vals.append((entry, shortfall))
            if entry.get("balance", True):
                running[card.id] = engine.round_points(running[card.id] - entry["points"])
        debts = self._member_create(
            self,
            [
                {
                    "card_id": entry["card"].id,
                    "partner_id": entry["partner_id"],
                    "company_id": entry["company_id"],
                    "kind": "debt",
                    "description": entry["description"],
                    "points": -shortfall,
                    "remaining": -shortfall,
                    "earned_on": entry["date"],
                    "released": True,
                    "source_model": entry["source"][0] if entry.get("source") else False,
                    "source_id": entry["source"][1] if entry.get("source") else False,
                    **entry.get("lot_vals", {}),
                }
                for entry, shortfall in debt_vals
            ],
        )
        for (entry, _shortfall), debt in zip(debt_vals, debts, strict=True):
            entry["lot"] = entry["lot"] or debt
            entry["taken"].append(debt.id)
        for lot in lots:
            if engine.round_points(lot.remaining - left[lot.id]):
                vals = {"remaining": left[lot.id]}
                if lot.id in expired:
                    vals["expired_points"] = engine.round_points(lot.expired_points + expired[lot.id])
                lot.write(vals)
        released = [entry for entry in entries if not entry.get("pending")]
        self._member_write_history(released, "used")
        self._member_log_moves(entries, sign=-1)
        self._member_balance_add(released, balances, sign=-1)
        return self.browse([lot_id for entry in entries for lot_id in entry["taken"]]) | debts

    @api.model
    def _member_take_lots(self, entry, left, card_lots, balance):
        """Take ``entry``'s points from its card's lots (``left``: lot id -> points left, updated).

        Returns the shortfall, which only a ``debt`` entry may have.
        """
        card, points, first = entry["card"], entry["points"], entry.get("first_lot")
        if entry.get("balance", True) and not entry.get("debt") and points > balance + 0.001:
            raise UserError(
                self.env._(
                    "Card %(card)s has %(balance)s points to spend: %(points)s cannot be taken from it.",
                    card=card.code,
                    balance=f"{balance:g}",
                    points=f"{points:g}",
                )
            )
        taken, rest = entry["taken"], points
        if first and first.released and left.get(first.id, 0.0) > 0:
            take = min(left[first.id], rest)
            left[first.id] = engine.round_points(left[first.id] - take)
            taken.append(first.id)
            rest = engine.round_points(rest - take)
        lots = [dataclasses.replace(lot._member_engine_lot(), remaining=left[lot.id]) for lot in card_lots]
        takes, shortfall = engine.consume(lots, rest, entry["date"])
        for lot_id, take in takes:
            left[lot_id] = engine.round_points(left[lot_id] - take)
            taken.append(lot_id)
        if shortfall and not entry.get("debt"):
            raise UserError(
                self.env._(
                    "Card %(card)s lacks %(missing)s spendable points: %(points)s cannot be taken from it.",
                    card=card.code,
                    missing=f"{shortfall:g}",
                    points=f"{points:g}",
                )
            )
        entry["lot"] = self.browse(taken[:1])
        return shortfall

    # -- the writer's steps ----------------------------------------------
    @api.model
    def _member_entries(self, entries):
        """Entries with points to move, rounded (``_member_lock`` adds their card's partner, company and day)."""
        entries = [dict(entry, points=engine.round_points(entry["points"])) for entry in entries]
        return [entry for entry in entries if entry["points"] > 0]

    @api.model
    def _member_cards_of_entries(self, entries):
        return self.env["loyalty.card"].union(*(entry["card"] for entry in entries))

    @api.model
    def _member_lock(self, entries, debts=False):
        """Lock the entries' cards and read their balances, holders and companies (one statement).

        Serialises balance changes per card: two tills paying for one member must not lose or double-spend
        points. Each entry gets its card's ``partner_id`` and ``company_id`` and, unless given, the local
        ``date`` of that company. Returns ``({card id: points}, {card id: [engine.Lot of its debt lots]})``
        (debts only when asked).
        """
        cards = self._member_cards_of_entries(entries)
        self.env.flush_all()
        debt_join = SQL("LEFT JOIN member_points_lot l ON l.card_id = c.id AND l.remaining < 0") if debts else SQL()
        debt_cols = SQL(", l.id, l.remaining, l.earned_on") if debts else SQL(", NULL, NULL, NULL")
        rows = self.env.execute_query(
            SQL(
                """SELECT c.id, c.points, c.partner_id, COALESCE(c.company_id, %s) %s
                     FROM loyalty_card c %s
                    WHERE c.id = ANY(%s)
                 ORDER BY c.id
                      FOR NO KEY UPDATE OF c""",
                self.env.company.id,
                debt_cols,
                debt_join,
                cards.ids,
            )
        )
        balances, holders, card_debts = {}, {}, defaultdict(list)
        for card_id, points, partner_id, company_id, lot_id, remaining, earned_on in rows:
            balances[card_id], holders[card_id] = points, (partner_id, company_id)
            if lot_id:
                card_debts[card_id].append(engine.Lot(id=lot_id, remaining=remaining, earned_on=earned_on))
        cards.invalidate_recordset(["points"])
        Company = self.env["res.company"]
        today = {cid: Company.browse(cid)._member_today() for cid in {c for _p, c in holders.values()}}
        for entry in entries:
            entry["partner_id"], entry["company_id"] = holders[entry["card"].id]
            entry.setdefault("date", today[entry["company_id"]])
        return balances, card_debts

    @api.model
    def _member_balance_add(self, entries, balances, sign):
        """Write the cards' new balances, one statement for the batch (cards locked by ``_member_lock``).

        The card's own write is not used: our change is logged by the moves and history lines, not by a
        tracking message per card, and the import writes thousands of cards at once. Odoo's "when
        reaching" mails still go out for points won.
        """
        deltas = defaultdict(float)
        for entry in entries:
            if entry.get("balance", True):
                deltas[entry["card"].id] += sign * entry["points"]
        deltas = {card_id: engine.round_points(delta) for card_id, delta in deltas.items() if delta}
        if not deltas:
            return
        new = {card_id: engine.round_points(balances[card_id] + delta) for card_id, delta in deltas.items()}
        self.env.execute_query(
            SQL(
                """UPDATE loyalty_card c SET points = v.points, write_uid = %s, write_date = %s
                     FROM unnest(%s::int[], %s::float[]) AS v(id, points) WHERE c.id = v.id""",
                self.env.uid,
                fields.Datetime.now(),
                list(new),
                list(new.values()),
            )
        )
        cards = self.env["loyalty.card"].browse(list(new))
        cards.invalidate_recordset(["points", "write_uid", "write_date"])
        # entries may say their program has no "when reaching" mail (the bonus read it with its grant)
        quiet = {entry["card"].id for entry in entries if entry.get("milestones") is False}
        won = cards.filtered(lambda card: new[card.id] > balances[card.id] and card.id not in quiet)
        if won and not self.env.context.get("loyalty_no_mail"):
            won._send_points_reach_communication(
                {card: {"old": balances[card.id], "new": new[card.id]} for card in won}
            )

    @api.model
    def _member_write_history(self, entries, column):
        """One ``loyalty.history`` line per entry (unless Odoo's flow wrote its own), pointing at the lot."""
        vals_list = [
            self._member_history(entry["card"], entry["lot"], entry["description"], **{column: entry["points"]})
            for entry in entries
            if entry.get("history", True)
        ]
        self._member_create(self.env["loyalty.history"].sudo(), vals_list)

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
    def _member_log_moves(self, entries, sign):
        """Append one ``member.points.move`` per entry, one INSERT for the batch (moves are never written again)."""
        if not entries:
            return
        rows = [
            (
                entry["card"].id,
                entry["partner_id"] or None,
                entry["company_id"],
                entry["date"],
                entry["kind"],
                engine.round_points(sign * entry["points"]),
                bool(entry.get("pending")),
                entry["description"],
                entry["source"][0] if entry.get("source") else None,
                entry["source"][1] if entry.get("source") else None,
                entry["lot"].id or None,
            )
            for entry in entries
        ]
        columns = list(zip(*rows, strict=True))
        now = fields.Datetime.now()
        self.env.execute_query(
            SQL(
                """
                INSERT INTO member_points_move (card_id, partner_id, company_id, date, kind, points, pending,
                                                description, source_model, source_id, lot_id,
                                                create_uid, create_date, write_uid, write_date)
                SELECT v.*, %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM unnest(%(card)s::int[], %(partner)s::int[], %(company)s::int[], %(date)s::date[],
                              %(kind)s::varchar[], %(points)s::float[], %(pending)s::bool[], %(description)s::varchar[],
                              %(source_model)s::varchar[], %(source_id)s::int[], %(lot)s::int[])
                       AS v(card_id, partner_id, company_id, date, kind, points, pending, description, source_model,
                            source_id, lot_id)
                """,
                card=list(columns[0]),
                partner=list(columns[1]),
                company=list(columns[2]),
                date=list(columns[3]),
                kind=list(columns[4]),
                points=list(columns[5]),
                pending=list(columns[6]),
                description=list(columns[7]),
                source_model=list(columns[8]),
                source_id=list(columns[9]),
                lot=list(columns[10]),
                uid=self.env.uid,
                now=now,
            )
        )
        self.env["loyalty.card"].browse(set(columns[0])).invalidate_recordset(["member_move_ids"])

    @api.model
    def _member_create(self, model, vals_list):
        """ORM create for the day's batches; one INSERT per batch (``bulk_create``) for imports and merges."""
        if not vals_list:
            return model.browse()
        if len(vals_list) < BULK_FROM:
            return model.create(vals_list)
        return bulk_create(model, vals_list)

    @api.model
    def _member_dates(self, company, today, pending=False):
        return engine.lot_dates(
            today,
            pending_days=company.member_points_pending_days if pending else 0,
            expiry_months=company.member_points_expiry_months,
        )

    def _member_engine_lot(self):
        return engine.Lot(
            id=self.id,
            remaining=self.remaining,
            earned_on=self.earned_on,
            expires_on=self.expires_on,
            # not spendable before the release writes it into the balance, even once its day has come
            pending_until=None if self.released else datetime.date.max,
        )

    # ------------------------------------------------------------------
    # Odoo's own changes to a member card (loyalty.card.write / create)
    # ------------------------------------------------------------------
    @api.model
    def _member_follow_card_changes(self, before, manual=False, cancel=False, source=None):
        """Turn the balance changes Odoo made on member cards into lots and moves (Odoo wrote the history line).

        ``manual``: the Update Balance wizard or a manager changed the balance by hand (an adjustment; it
        cannot take more than the card holds). ``cancel``: sale_loyalty cancelled an order and took its
        points back. ``source``: ``(model, id)`` of the order of the flow, when it is one order.
        """
        changes = {card: engine.round_points(card.points - old) for card, old in before.items()}
        changes = {card: delta for card, delta in changes.items() if delta}
        if not changes:
            return
        if manual:
            kind, earned, spent = "adjust", self.env._("Balance adjusted"), self.env._("Balance adjusted")
        elif cancel:
            kind, earned, spent = "cancel", self.env._("Order cancelled"), self.env._("Order cancelled")
        else:
            kind, earned, spent = "earn", self.env._("Points earned"), self.env._("Points spent")
        # Odoo wrote the balance and its history line: the writer adds the lots and the moves
        flow = {"balance": False, "history": False, "source": source}
        earn, spend = [], []
        description = self.env._("Balance before points lots")
        for card, gap in self._member_gaps({card: before[card] for card in changes}).items():
            entry = dict(flow, card=card, points=abs(gap), kind="opening", description=description, debt=True)
            (earn if gap > 0 else spend).append(entry)
        for card, delta in changes.items():
            if delta > 0:
                earn.append(dict(flow, card=card, points=delta, kind=kind, description=earned))
            else:
                kind_spent = "spend" if kind == "earn" else kind
                spend.append(dict(flow, card=card, points=-delta, kind=kind_spent, description=spent, debt=not manual))
        self._member_points_earn(earn)
        self._member_points_spend(spend)

    @api.model
    def _member_gaps(self, balances):
        """{card: balance − released lots} where lots do not explain the balance (points from before the addon)."""
        cards = self.env["loyalty.card"].union(*balances)
        groups = self._read_group(
            [("card_id", "in", cards.ids), ("released", "=", True), ("remaining", "!=", 0)],
            ["card_id"],
            ["remaining:sum"],
        )
        held = {card: total for card, total in groups}
        gaps = {card: engine.round_points(balance - held.get(card, 0.0)) for card, balance in balances.items()}
        return {card: gap for card, gap in gaps.items() if gap}

    # ------------------------------------------------------------------
    # contact merge: one member card per program
    # ------------------------------------------------------------------
    @api.model
    def _member_points_merge(self, pairs):
        """Move what ``(card, into card)`` pairs hold into the kept card: lots, balance, history and moves.

        The open lots (released, pending and debts) change card and keep their dates, sources and expiry;
        each one is a "merge" move out of the old card and into the kept one. The old card ends at 0.
        A balance the lots do not explain is first booked as an opening, as the card's follow-up does.
        """
        pairs = [(card, into) for card, into in pairs if card != into]
        if not pairs:
            return self.browse()
        Card = self.env["loyalty.card"]
        old_cards = Card.union(*(card for card, _into in pairs))
        self._member_open_gaps(old_cards | Card.union(*(into for _card, into in pairs)))
        lots = self.search([("card_id", "in", old_cards.ids), ("remaining", "!=", 0)], order="card_id, id")
        by_card = lots.grouped("card_id")
        description = self.env._("Contact merge")
        entries = []
        for card, into in pairs:
            for lot in by_card.get(card, self.browse()):
                for side, sign in ((card, -1), (into, 1)):
                    entries.append(
                        {
                            "card": side,
                            "points": abs(lot.remaining),
                            "sign": sign if lot.remaining > 0 else -sign,
                            "kind": "merge",
                            "description": description,
                            "source": ("loyalty.card", card.id if sign > 0 else into.id),
                            "pending": not lot.released,
                            "lot": lot,
                            "milestones": False,
                        }
                    )
        if not entries:
            return lots
        balances, _debts = self._member_lock(entries)
        for into, group in lots.grouped(lambda lot: dict(pairs)[lot.card_id]).items():
            group.write({"card_id": into.id})
        for sign in (-1, 1):
            side = [entry for entry in entries if entry["sign"] == sign]
            self._member_log_moves(side, sign=sign)
            released = [entry for entry in side if not entry["pending"]]
            self._member_balance_add(released, balances, sign=sign)
            balances = {**balances, **self._member_balances_after(released, balances, sign)}
        # one history line per card and side, as a person reads a card's history
        history = defaultdict(float)
        for entry in entries:
            if not entry["pending"]:
                history[entry["card"]] += entry["sign"] * entry["points"]
        self._member_create(
            self.env["loyalty.history"].sudo(),
            [
                self._member_history(
                    card,
                    lots[:1],
                    description,
                    issued=max(points, 0.0),
                    used=max(-points, 0.0),
                )
                for card, points in history.items()
                if engine.round_points(points)
            ],
        )
        return lots

    @api.model
    def _member_balances_after(self, entries, balances, sign):
        after = {}
        for entry in entries:
            card_id = entry["card"].id
            after[card_id] = engine.round_points(after.get(card_id, balances[card_id]) + sign * entry["points"])
        return after

    @api.model
    def _member_open_gaps(self, cards):
        """Book the balance the lots of ``cards`` do not explain as an opening (lot, move; no history line)."""
        self.env.flush_all()
        cards.invalidate_recordset(["points"])
        gaps = self._member_gaps({card: card.points for card in cards})
        description = self.env._("Balance before points lots")
        entries = [
            {"card": card, "points": abs(gap), "kind": "opening", "description": description, "debt": True}
            | {"balance": False, "history": False}
            for card, gap in gaps.items()
        ]
        self._member_points_earn([entry for entry, gap in zip(entries, gaps.values(), strict=True) if gap > 0])
        self._member_points_spend([entry for entry, gap in zip(entries, gaps.values(), strict=True) if gap < 0])

    # ------------------------------------------------------------------
    # tier bonus: granted when paid, reversed by refunds (exactly, cumulatively)
    # ------------------------------------------------------------------
    @api.model
    def _member_pos_bonus_rows(self, orders):
        """(source model, id, partner, company, untaxed amount) of sales, and refunded totals per refunded order."""
        self.env.flush_all()
        # one statement: the sales, and every paid refund of the orders these refund, not only this one
        # (reversals are cumulative); ``sold`` tells the two kinds of rows apart
        rows = self.env.execute_query(
            SQL(
                """
                WITH origin AS (
                    SELECT DISTINCT rl.order_id
                      FROM pos_order_line l JOIN pos_order_line rl ON rl.id = l.refunded_orderline_id
                     WHERE l.order_id = ANY(%(ids)s)
                )
                SELECT TRUE AS sold, o.id, p.commercial_partner_id, o.company_id,
                       SUM(l.price_subtotal / COALESCE(NULLIF(o.currency_rate, 0), 1))
                  FROM pos_order o
                  JOIN res_partner p ON p.id = o.partner_id
                  JOIN pos_order_line l ON l.order_id = o.id AND l.refunded_orderline_id IS NULL
                 WHERE o.id = ANY(%(ids)s) AND o.state IN ('paid', 'done', 'invoiced')
              GROUP BY o.id, p.commercial_partner_id, o.company_id
                 UNION ALL
                SELECT FALSE, rl.order_id, NULL, NULL, -SUM(l.price_subtotal / COALESCE(NULLIF(o.currency_rate, 0), 1))
                  FROM origin
                  JOIN pos_order_line rl ON rl.order_id = origin.order_id
                  JOIN pos_order_line l ON l.refunded_orderline_id = rl.id
                  JOIN pos_order o ON o.id = l.order_id AND o.state IN ('paid', 'done', 'invoiced')
              GROUP BY rl.order_id
                """,
                ids=orders.ids,
            )
        )
        sold = [row[1:] for row in rows if row[0]]
        refunded = [(row[1], row[4]) for row in rows if not row[0]]
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
        self._member_reinstate(sold)
        entries = [
            {
                "card": card,
                "points": engine.bonus(grant["factor"], amount),
                "kind": "bonus",
                "description": self.env._(
                    "%(tier)s bonus: %(document)s", tier=grant["tier"], document=self._member_doc_name(model, src_id)
                ),
                "source": (model, src_id),
                "pending": True,
                "milestones": grant["milestones"],
                "lot_vals": {"tier_id": grant["tier_id"], "factor": grant["factor"], "base_amount": amount},
            }
            for card, (model, src_id, _partner, _company, amount), grant in self._member_bonus_grants(sold)
        ]
        self._member_points_earn(entries)
        if refunded:
            self._member_reverse(refunded, cancelled=cancelled)

    @api.model
    def _member_reinstate(self, sold):
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
        refunded = self._member_invoice_refunded(lots.mapped("source_id"))
        entries = []
        for lot in lots:
            total = refunded.get(lot.source_id, 0.0)
            target = engine.reversal(lot.points, 0.0, lot.base_amount, total)
            restore = engine.round_points(lot.reversed_points - target)
            lot.write({"cancelled": False, "reversed_points": target, "refunded_amount": total})
            entries.append(
                {
                    "card": lot.card_id,
                    "points": restore,
                    "kind": "adjust",
                    "description": self.env._(
                        "Bonus restored (paid again): %(document)s",
                        document=self._member_doc_name(lot.source_model, lot.source_id),
                    ),
                    "source": (lot.source_model, lot.source_id),
                    "lot_vals": {"tier_id": lot.tier_id.id},
                }
            )
        self._member_points_earn(entries)

    @api.model
    def _member_bonus_grants(self, sold):
        """[(card, row, grant)] for the rows of active members whose tier gives a multiplier, not granted yet.

        ``grant``: {"tier_id", "tier", "factor", "milestones"}. One statement for the whole batch (membership,
        tier factor, member card, "granted already?", "when reaching" mails of the program): the till pays
        for it on every synced order.
        """
        sold = [row for row in sold if row[4] and row[4] > 0]
        if not sold:
            return []
        self.env.flush_all()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT v.idx, ms.tier_id, COALESCE(t.name->>%(lang)s, t.name->>'en_US'), f.factor,
                       co.member_loyalty_program_id, card.id,
                       EXISTS (SELECT 1 FROM loyalty_mail lm
                                WHERE lm.program_id = co.member_loyalty_program_id AND lm.active
                                  AND lm.trigger = 'points_reach')
                  FROM unnest(%(idx)s::int[], %(model)s::varchar[], %(src)s::int[], %(partner)s::int[],
                              %(company)s::int[]) AS v(idx, model, src_id, partner_id, company_id)
                  JOIN res_company co ON co.id = v.company_id AND co.member_crm_enabled
                                     AND co.member_loyalty_program_id IS NOT NULL
                  JOIN member_membership ms ON ms.partner_id = v.partner_id AND ms.company_id = v.company_id
                                           AND ms.state = 'active'
                  JOIN member_tier t ON t.id = ms.tier_id
                  JOIN LATERAL (SELECT MAX(b.points_factor) AS factor
                                  FROM member_benefit_tier_rel r JOIN member_benefit b ON b.id = r.benefit_id
                                 WHERE r.tier_id = ms.tier_id AND b.active AND b.benefit_type = 'points') f
                       ON f.factor > 0
             LEFT JOIN LATERAL (SELECT c.id FROM loyalty_card c
                                 WHERE c.partner_id = v.partner_id AND c.program_id = co.member_loyalty_program_id
                                   AND c.active
                              ORDER BY c.id LIMIT 1) card ON TRUE
                 -- a bonus is granted once per document, whatever replays the hook
                 WHERE NOT EXISTS (SELECT 1 FROM member_points_lot l
                                    WHERE l.kind = 'bonus' AND l.source_model = v.model AND l.source_id = v.src_id)
              ORDER BY v.idx
                """,
                lang=self.env.lang or "en_US",
                idx=list(range(len(sold))),
                model=[row[0] for row in sold],
                src=[row[1] for row in sold],
                partner=[row[2] for row in sold],
                company=[row[3] for row in sold],
            )
        )
        Card = self.env["loyalty.card"]
        cards = {(sold[idx][2], program): Card.browse(card_id) for idx, *_r, program, card_id, _m in rows if card_id}
        missing = {(sold[idx][2], program) for idx, *_r, program, card_id, _m in rows if not card_id}
        if missing:
            cards.update(Card._member_cards(missing))
        return [
            (
                cards[(sold[idx][2], program)],
                sold[idx],
                {"tier_id": tier_id, "tier": tier_name, "factor": factor, "milestones": milestones},
            )
            for idx, tier_id, tier_name, factor, program, _card, milestones in rows
        ]

    @api.model
    def _member_reverse(self, refunded, cancelled=False):
        keys = {(model, src_id): total for model, src_id, total in refunded}
        lots = self.search(
            [
                ("kind", "=", "bonus"),
                ("source_model", "in", list({model for model, _id in keys})),
                ("source_id", "in", [src_id for _model, src_id in keys]),
            ]
        ).filtered(lambda lot: (lot.source_model, lot.source_id) in keys)
        entries = []
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
            entries.append(
                {
                    "card": lot.card_id,
                    "points": points,
                    "kind": "refund",
                    "description": self.env._(
                        "Bonus taken back (refund): %(document)s",
                        document=self._member_doc_name(lot.source_model, lot.source_id),
                    ),
                    "source": (lot.source_model, lot.source_id),
                    "first_lot": lot,
                    # still pending: it never reached the balance, so only the lot shrinks
                    "pending": not lot.released,
                    # the bonus may have been spent already: what is missing becomes a debt
                    "debt": True,
                    "lot_vals": {"tier_id": lot.tier_id.id},
                }
            )
        self._member_points_spend(entries)

    @api.model
    def _member_doc_name(self, model, res_id):
        return self.env[model].sudo().browse(res_id).display_name

    # ------------------------------------------------------------------
    # daily: release pending points, expire old ones, remind before expiry
    # ------------------------------------------------------------------
    @api.model
    def _cron_member_points(self):
        # each company's lots on that company's day (its time zone), as the other crons
        companies = self.env["res.company"].union(
            *(company for (company,) in self._read_group([("remaining", "!=", 0)], ["company_id"]) if company)
        )
        today = {company: company._member_today() for company in companies}
        self._member_release(today)
        self._member_expire(today)
        self._member_remind(today)

    @api.model
    def _member_due(self, field, today):
        """Domain: lots whose ``field`` day has come by ``today``.

        ``today``: one day for every lot, or {company: its local day} (lots without a company: the current
        company's day).
        """
        if not isinstance(today, dict):
            return Domain(field, "<=", today)
        default = today.get(self.env.company) or self.env.company._member_today()
        return Domain.OR(
            [Domain("company_id", "=", company.id) & Domain(field, "<=", day) for company, day in today.items()]
            + [Domain("company_id", "=", False) & Domain(field, "<=", default)]
        )

    @api.model
    def _member_release(self, today):
        """Release the pending lots whose return window has closed (``today``: a day or {company: day})."""
        lots = self.search(
            Domain("released", "=", False) & self._member_due("pending_until", today), order="card_id, id"
        )
        if not lots:
            return lots
        # a pending lot refunded whole has nothing to release
        lots.filtered(lambda lot: not lot.remaining).released = True
        self._member_points_earn(
            [
                {
                    "card": lot.card_id,
                    "points": lot.remaining,
                    "kind": "release",
                    "description": self.env._("Pending points released: %(lot)s", lot=lot.description),
                    "source": (lot.source_model, lot.source_id) if lot.source_model else None,
                    "lot": lot,
                }
                for lot in lots
                if lot.remaining
            ]
        )
        return lots

    @api.model
    def _member_expire(self, today):
        """Expire the released lots whose day has come (``today``: a day or {company: day})."""
        lots = self.search(
            Domain([("released", "=", True), ("remaining", ">", 0)]) & self._member_due("expires_on", today),
            order="card_id, expires_on, id",
        )
        if not lots:
            return lots
        self._member_points_spend(
            [
                {
                    "card": card,
                    "points": 0.0,  # the lots' points
                    "lots": card_lots,
                    "kind": "expire",
                    "description": self.env._(
                        "%(points)s points expired", points=engine.round_points(sum(card_lots.mapped("remaining")))
                    ),
                }
                for card, card_lots in lots.grouped("card_id").items()
            ]
        )
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
            day = (today.get(company) or company._member_today()) if isinstance(today, dict) else today
            horizon = fields.Date.add(day, days=company.member_points_reminder_days)
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
        return engine.expiring(lots, (self.company_id[:1] or self.env.company)._member_today(), days)
