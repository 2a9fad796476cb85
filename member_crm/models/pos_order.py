from odoo import fields, models
from odoo.exceptions import UserError

from ..tools.trusted import POINTS_FLOW, POINTS_PARTNERS, POINTS_SOURCE, trusted, trusted_value


class PosOrder(models.Model):
    _inherit = "pos.order"

    member_early_access_breach = fields.Boolean(
        string="Early Access Breach",
        readonly=True,
        copy=False,
        help="The order sold a product reserved to a higher tier than the customer's; the member managers were told.",
    )

    def action_pos_order_paid(self):
        # before the order is paid: the till checks a bound coupon's owner only when its code is typed in, and
        # keeps the reward when the customer is changed afterwards
        self._member_check_bound_rewards()
        res = super().action_pos_order_paid()
        self._member_crm_on_paid()
        return res

    def confirm_coupon_programs(self, coupon_data):
        # callable over RPC with any card id: a member's card only moves with its member's orders
        self._member_check_coupon_owners(coupon_data)
        # pos_loyalty writes the cards' points here (under sudo): a flow, not a bare write (see loyalty.card)
        flow = self.with_context(
            **trusted(POINTS_FLOW),
            **trusted_value(POINTS_SOURCE, (self._name, self.id)),
            # only the customer's member cards move (pos_loyalty also finds gift cards by any id or code)
            **trusted_value(POINTS_PARTNERS, frozenset(self.partner_id.commercial_partner_id.ids)),
        )
        return super(PosOrder, flow).confirm_coupon_programs(coupon_data)

    def _member_crm_on_paid(self):
        """Record the paid order (or refund) in the qualification ledger (upgrades at once), then the tier bonus."""
        # sudo: a cashier writes the ledger and the points lots through the order it just sold;
        # neither has a create right for anybody, by design.
        self.env["member.ledger"].sudo()._member_record_pos(self)
        orders = self.filtered(
            lambda o: o.partner_id and o.company_id.member_crm_enabled and o.company_id.member_loyalty_program_id
        )
        if orders:
            Lot = self.env["member.points.lot"].sudo()
            Lot._member_bonus(*Lot._member_pos_bonus_rows(orders))
        self._member_flag_early_access()

    # ------------------------------------------------------------------
    # member-bound cards and early access: the till checks them, the server makes sure
    # ------------------------------------------------------------------
    def _member_check_bound_rewards(self):
        """Refuse to pay an order whose reward lines use a coupon bound to another customer."""
        for order in self:
            foreign = order.lines.coupon_id._member_foreign_bound(order.partner_id)
            if foreign:
                raise UserError(
                    self.env._(
                        "Order %(order)s uses coupon %(code)s of another customer: a member's coupon serves that "
                        "member only. Remove the reward or choose the coupon's member as the customer.",
                        order=order.name,
                        code=foreign[0].code,
                    )
                )

    def _member_check_coupon_owners(self, coupon_data):
        """Refuse member cards (member points card, member benefit coupon) that are not the order's customer's.

        ``coupon_data``: pos_loyalty's {card id (negative: a new card): {"program_id", "partner_id", ...}}.
        Existing cards are checked by id; a new entry naming another partner would be moved by
        pos_loyalty onto that partner's existing card of the program, so it is checked by partner.
        """
        self.ensure_one()
        customer = self.partner_id.commercial_partner_id
        # sudo: the cashier learns only whether the cards are the customer's
        Card = self.env["loyalty.card"].sudo()
        # the entries' own ids, and the cards pos_loyalty's gift-card step finds by an entry's coupon id or code
        ids = {int(key) for key in coupon_data if int(key) > 0}
        ids |= {int(vals["coupon_id"]) for vals in coupon_data.values() if int(vals.get("coupon_id") or 0) > 0}
        codes = [vals["code"] for vals in coupon_data.values() if vals.get("code")]
        cards = Card.browse(ids).exists() | (Card.search([("code", "in", codes)]) if codes else Card)
        foreign = cards._member_foreign_bound(customer) | cards.filtered(
            lambda c: (
                c.program_id
                and c.program_id == c.company_id.member_loyalty_program_id
                and c.partner_id.commercial_partner_id != customer
            )
        )
        Company = self.env["res.company"].sudo()
        member_programs = Company.search([("member_loyalty_program_id", "!=", False)]).member_loyalty_program_id
        named = {
            int(vals["partner_id"])
            for vals in coupon_data.values()
            if vals.get("partner_id") and vals.get("program_id") in member_programs.ids
        }
        others = self.env["res.partner"].sudo().browse(named).exists().commercial_partner_id - customer
        if foreign or others:
            raise UserError(
                self.env._(
                    "Order %(order)s: %(cards)s belong to another customer than %(customer)s; "
                    "a member's card only takes points from that member's orders.",
                    order=self.name,
                    cards=", ".join(foreign.mapped("code") or others.mapped("display_name")),
                    customer=self.partner_id.display_name or self.env._("an anonymous customer"),
                )
            )

    def _member_flag_early_access(self):
        """A paid order with a product reserved to a higher tier stays sold, but the member managers hear of it."""
        for order in self.filtered(lambda o: o.company_id.member_crm_enabled and not o.is_refund):
            sold = order.lines.filtered(lambda line: line.qty > 0).product_id.product_tmpl_id
            blocked = sold._member_early_blocked(order.partner_id, order.company_id)
            if blocked:
                order._member_report_early_access(blocked)

    def _member_report_early_access(self, templates):
        self.ensure_one()
        self.member_early_access_breach = True
        managers = (
            self.env.ref("member_crm.group_member_crm_manager")
            .sudo()
            .all_user_ids.filtered(lambda u: self.company_id in u.company_ids and not u.share and not u._is_superuser())
        )
        products = ", ".join(
            self.env._(
                "%(product)s (%(tier)s and above until %(date)s)",
                product=template.display_name,
                tier=template.member_early_tier_id.name,
                date=template.member_early_until,
            )
            for template in templates
        )
        # sudo: the cashier's order notifies the managers, whom the cashier cannot read
        self.sudo().message_post(
            body=self.env._(
                "Sold although reserved: %(products)s. %(customer)s has not reached that tier.",
                products=products,
                customer=self.partner_id.display_name or self.env._("The anonymous customer"),
            ),
            partner_ids=managers.partner_id.ids,
            subtype_xmlid="mail.mt_note",
        )
