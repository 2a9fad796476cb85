from odoo import api, fields, models
from odoo.exceptions import AccessError

from ..tools.trusted import (
    POINTS_CANCEL,
    POINTS_FLOW,
    POINTS_INTERNAL,
    POINTS_MANUAL,
    POINTS_PARTNERS,
    POINTS_SOURCE,
    is_trusted,
    trusted_get,
)


class LoyaltyCard(models.Model):
    _inherit = "loyalty.card"

    member_lot_ids = fields.One2many("member.points.lot", "card_id", string="Points Lots", readonly=True)
    member_move_ids = fields.One2many("member.points.move", "card_id", string="Points Moves", readonly=True)
    member_points_pending = fields.Float(
        string="Pending Points",
        compute="_compute_member_points_pending",
        help="Bonus points not spendable yet: they wait for the return window to close.",
    )
    # coupons given as a member benefit are bound to their member in sales too
    member_benefit_id = fields.Many2one("member.benefit", readonly=True, index="btree_not_null")
    # "Bound to a member" is explicit: benefit coupons and campaign coupons set it. A coupon that merely has a
    # partner is not bound: non-members' coupons stay as Odoo keeps them.
    member_bound = fields.Boolean(
        string="Bound to Member",
        compute="_compute_member_bound",
        store=True,
        readonly=False,
        precompute=True,
        copy=False,
        index="btree_not_null",
        help="Only its holder's commercial entity can use this coupon, in the POS and in sales.",
    )

    @api.depends("member_benefit_id")
    def _compute_member_bound(self):
        for card in self:
            card.member_bound = card.member_bound or bool(card.member_benefit_id)

    @api.depends("member_lot_ids.remaining", "member_lot_ids.released")
    def _compute_member_points_pending(self):
        groups = self.env["member.points.lot"]._read_group(
            [("card_id", "in", self.ids), ("released", "=", False)], ["card_id"], ["remaining:sum"]
        )
        pending = {card.id: total for card, total in groups}
        for card in self:
            card.member_points_pending = pending.get(card.id, 0.0)

    def _member_foreign_bound(self, partner):
        """The bound coupons among these cards that ``partner`` may not use: the one rule of the POS and sales.

        A bound coupon is accepted only for its holder's commercial entity (a company's contacts share it); one
        without a holder serves nobody."""
        entity = partner.commercial_partner_id
        # sudo: the caller learns only whether the coupons are the customer's
        return self.sudo().filtered(
            lambda c: c.member_bound and (not c.partner_id or c.partner_id.commercial_partner_id != entity)
        )

    def _member_is_points_card(self):
        """Members' cards of their company's member program: lots, bonus, pending and expiry apply to them.

        Other customers' cards, and other programs, stay exactly as Odoo keeps them.
        """
        cards = self.filtered(
            lambda c: (
                c.partner_id
                and c.company_id.member_crm_enabled
                and c.program_id == c.company_id.member_loyalty_program_id
            )
        )
        if not cards:
            return cards
        # sudo: whoever changes a card's points learns only whether its holder is a member
        members = (
            self.env["member.membership"]
            .sudo()
            .search(
                [
                    ("partner_id", "in", cards.partner_id.commercial_partner_id.ids),
                    ("company_id", "in", cards.company_id.ids),
                    ("state", "=", "active"),
                ]
            )
        )
        keys = {(m.partner_id.id, m.company_id.id) for m in members}
        return cards.filtered(lambda c: (c.partner_id.commercial_partner_id.id, c.company_id.id) in keys)

    @api.model_create_multi
    def create(self, vals_list):
        cards = super().create(vals_list)
        if not is_trusted(self.env, POINTS_INTERNAL):
            cards._member_follow_points({card: 0.0 for card in cards})
        return cards

    def write(self, vals):
        internal = is_trusted(self.env, POINTS_INTERNAL)
        if not internal and not self._member_is_manager():
            self._member_guard_write(vals)
        follow = "points" in vals and not internal
        before = {card: card.points for card in self._member_is_points_card()} if follow else {}
        # Odoo's order flows and its Update Balance wizard flag their writes; anything else is a bare write
        # (only a manager gets here with one: _member_guard_write refused the others)
        bare = bool(before) and not is_trusted(self.env, POINTS_FLOW) and not is_trusted(self.env, POINTS_MANUAL)
        res = super().write(vals)
        if before:
            manual = bare or is_trusted(self.env, POINTS_MANUAL)
            self._member_follow_points(before, manual=manual)
        if bare:
            self._member_log_bare_points_write(before)
        return res

    def _member_is_manager(self):
        return self.env.user.has_group("member_crm.group_member_crm_manager") or not self.pool.ready

    def _member_bound_cards(self):
        """The cards a non-manager may not move by hand: every card of a company's member points program,
        whatever its holder's membership state (a suspended member, a customer enrolled later), and the
        coupons bound to their member (benefit and campaign coupons)."""
        member_programs = self._member_programs()
        return self.filtered(lambda c: c.member_bound or c.sudo().program_id in member_programs)

    @api.model
    def _member_programs(self):
        """The member points programs of all companies."""
        # sudo: the companies' settings, not readable by every user who writes a card
        Company = self.env["res.company"].sudo()
        return Company.search([("member_loyalty_program_id", "!=", False)]).member_loyalty_program_id

    def _member_guard_write(self, vals):
        """What a non-manager may not write on member cards: their binding (holder, benefit, program,
        code, validity, archiving) and their points outside the flows of their own holder's orders and the
        Update Balance wizard (which checks its user itself)."""
        if vals.get("member_bound") or vals.get("member_benefit_id"):
            # binding a card is a member manager's act (or the system's, at creation): a cashier binding a
            # customer's gift card would lock its holder out
            raise AccessError(self.env._("Only a member manager can bind a card to a member."))
        bound = self._member_bound_cards()
        if vals.get("program_id"):
            # a card moved into a member program is bound from then on
            moved_in = self - bound
            program = self.env["loyalty.program"].sudo().browse(vals["program_id"])
            if moved_in and program in self._member_programs():
                bound |= moved_in
        if not bound:
            return
        self._member_check_binding(bound, vals)
        if "points" not in vals or is_trusted(self.env, POINTS_MANUAL):
            return
        if is_trusted(self.env, POINTS_FLOW):
            partners = trusted_get(self.env, POINTS_PARTNERS) or frozenset()
            foreign = bound.filtered(lambda c: c.partner_id.commercial_partner_id.id not in partners)
            if not foreign:
                return
        raise AccessError(
            self.env._(
                "A member's points change through their orders. To correct a balance, use the card's "
                "Update Balance button, or ask a member manager."
            )
        )

    def _member_log_bare_points_write(self, before):
        """A manager's direct write of a member card's balance goes to the audit trail: who, old, new."""
        self.env["member.audit.log"]._member_log(
            "points",
            [
                {
                    "partner_id": card.partner_id.id,
                    "company_id": card.company_id.id or self.env.company.id,
                    "res_model": "loyalty.card",
                    "res_id": card.id,
                    "description": self.env._(
                        "%(old)s → %(new)s: balance written directly", old=f"{old:g}", new=f"{card.points:g}"
                    ),
                }
                for card, old in before.items()
                if card.points != old
            ],
        )

    # what binds a card to its member; a change of any of them moves or voids the member's card
    _MEMBER_BINDING = (
        "partner_id",
        "member_benefit_id",
        "member_bound",
        "program_id",
        "code",
        "expiration_date",
        "active",
    )

    def _member_check_binding(self, bound, vals):
        """A member's coupons and points card stay theirs: only a member manager moves, unbinds or voids them."""
        changed = bound.browse()
        for name in self._MEMBER_BINDING:
            if name in vals:
                field = self._fields[name]
                new = field.convert_to_cache(vals[name], bound.browse())
                changed |= bound.filtered(lambda c, f=field, v=new: f.convert_to_cache(c.sudo()[f.name], c) != v)
        if changed:
            raise AccessError(
                self.env._(
                    "Card %(code)s is bound to its member: only a member manager can give it to another "
                    "customer, unbind, change or archive it.",
                    code=changed[0].sudo().code,
                )
            )

    def _member_follow_points(self, before, manual=False):
        """Points Odoo's own flows add or spend on a member card become lots and moves (Odoo writes the history).

        A cancelled sales order (``POINTS_CANCEL``) books "cancel" moves; the flow's order, when it is one,
        is the moves' source (``POINTS_SOURCE``).
        """
        points_cards = set(self._member_is_points_card().ids)  # once for the batch, not once per card
        before = {card: old for card, old in before.items() if card.id in points_cards}
        if before:
            # sudo: lots and moves are written by the flow that changed the card (a cashier's order, a salesperson's)
            self.env["member.points.lot"].sudo()._member_follow_card_changes(
                {card.sudo(): old for card, old in before.items()},
                manual=manual,
                cancel=is_trusted(self.env, POINTS_CANCEL),
                source=trusted_get(self.env, POINTS_SOURCE),
            )

    @api.model
    def _member_existing_cards(self, partner_programs):
        """{(partner id, program id): card} of the cards these partners already have (the oldest when several)."""
        partner_ids = [partner for partner, _program in partner_programs]
        program_ids = [program for _partner, program in partner_programs]
        existing = self.search([("partner_id", "in", partner_ids), ("program_id", "in", program_ids)], order="id")
        cards = {}
        for card in existing:
            cards.setdefault((card.partner_id.id, card.program_id.id), card)
        return cards

    @api.model
    def _member_cards(self, partner_programs):
        """{(partner id, program id): card}, creating the member's card where it has none yet."""
        Card = self.sudo()  # a cashier's order creates the member's card, as pos_loyalty does (sudo) for new coupons
        cards = Card._member_existing_cards(partner_programs)
        missing = [key for key in partner_programs if key not in cards]
        if missing:
            created = Card.with_context(loyalty_no_mail=True).create(
                [{"partner_id": partner, "program_id": program, "points": 0.0} for partner, program in missing]
            )
            cards.update(dict(zip(missing, created, strict=True)))
        return cards
