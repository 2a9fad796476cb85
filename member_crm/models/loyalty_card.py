from odoo import api, fields, models
from odoo.exceptions import AccessError

from ..tools.trusted import POINTS_FLOW, POINTS_INTERNAL, POINTS_MANUAL, is_trusted


class LoyaltyCard(models.Model):
    _inherit = "loyalty.card"

    member_lot_ids = fields.One2many("member.points.lot", "card_id", string="Points Lots", readonly=True)
    member_points_pending = fields.Float(
        string="Pending Points",
        compute="_compute_member_points_pending",
        help="Bonus points not spendable yet: they wait for the return window to close.",
    )
    # coupons given as a member benefit are bound to their member in sales too
    member_benefit_id = fields.Many2one("member.benefit", readonly=True, index="btree_not_null")

    @api.depends("member_lot_ids.remaining", "member_lot_ids.released")
    def _compute_member_points_pending(self):
        groups = self.env["member.points.lot"]._read_group(
            [("card_id", "in", self.ids), ("released", "=", False)], ["card_id"], ["remaining:sum"]
        )
        pending = {card.id: total for card, total in groups}
        for card in self:
            card.member_points_pending = pending.get(card.id, 0.0)

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
        if not internal and ("partner_id" in vals or "member_benefit_id" in vals):
            self._member_check_binding(vals)
        follow = "points" in vals and not internal
        before = {card: card.points for card in self._member_is_points_card()} if follow else {}
        # Odoo's order flows and its Update Balance wizard flag their writes; anything else is a bare write
        bare = bool(before) and not is_trusted(self.env, POINTS_FLOW) and not is_trusted(self.env, POINTS_MANUAL)
        if bare:
            self._member_check_bare_points_write()
        res = super().write(vals)
        if before:
            manual = bare or is_trusted(self.env, POINTS_MANUAL)
            self._member_follow_points(before, manual=manual)
        if bare:
            self._member_log_bare_points_write(before)
        return res

    def _member_is_manager(self):
        return self.env.user.has_group("member_crm.group_member_crm_manager") or not self.pool.ready

    def _member_check_bare_points_write(self):
        """A member card's balance changes through an order, the Update Balance wizard or a member manager."""
        if not self._member_is_manager():
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

    def _member_check_binding(self, vals):
        """A member's coupons and points card stay theirs: only a member manager moves or unbinds them."""
        if self._member_is_manager():
            return
        unbound = "member_benefit_id" in vals and self.filtered(
            lambda c: c.member_benefit_id.id != (vals["member_benefit_id"] or False)
        )
        moved = self.browse()
        if "partner_id" in vals:
            moving = self.filtered(lambda c: c.partner_id.id != (vals["partner_id"] or False))
            moved = moving.filtered("member_benefit_id") | moving._member_is_points_card()
        if unbound or moved:
            raise AccessError(
                self.env._(
                    "Card %(code)s is bound to its member: only a member manager can give it to another "
                    "customer or unbind it.",
                    code=(unbound or moved)[0].code,
                )
            )

    def _member_follow_points(self, before, manual=False):
        """Points Odoo's own flows add or spend on a member card become lots (Odoo writes the history line)."""
        points_cards = set(self._member_is_points_card().ids)  # once for the batch, not once per card
        before = {card: old for card, old in before.items() if card.id in points_cards}
        if before:
            # sudo: lots are written by the flow that changed the card (a cashier's order, a salesperson's)
            self.env["member.points.lot"].sudo()._member_follow_card_changes(
                {card.sudo(): old for card, old in before.items()}, manual=manual
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
