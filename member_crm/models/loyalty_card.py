from odoo import api, fields, models

from ..tools.trusted import POINTS_INTERNAL, is_trusted


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
        follow = "points" in vals and not is_trusted(self.env, POINTS_INTERNAL)
        before = {card: card.points for card in self._member_is_points_card()} if follow else {}
        res = super().write(vals)
        if before:
            self._member_follow_points(before)
        return res

    def _member_follow_points(self, before):
        """Points Odoo's own flows add or spend on a member card become lots (Odoo writes the history line)."""
        points_cards = set(self._member_is_points_card().ids)  # once for the batch, not once per card
        before = {card: old for card, old in before.items() if card.id in points_cards}
        if before:
            # sudo: lots are written by the flow that changed the card (a cashier's order, a salesperson's)
            self.env["member.points.lot"].sudo()._member_follow_card_changes(
                {card.sudo(): old for card, old in before.items()}
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
