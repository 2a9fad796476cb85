from odoo import fields, models
from odoo.exceptions import UserError

from ..tools.trusted import POINTS_CANCEL, POINTS_FLOW, POINTS_PARTNERS, POINTS_SOURCE, trusted, trusted_value


class SaleOrder(models.Model):
    _inherit = "sale.order"

    member_tier_id = fields.Many2one(
        "member.tier", compute="_compute_member_banner", groups="member_crm.group_member_crm_user"
    )
    member_points = fields.Float(compute="_compute_member_banner", groups="member_crm.group_member_crm_user")
    member_benefit_ids = fields.Many2many(
        "member.benefit", compute="_compute_member_banner", groups="member_crm.group_member_crm_user"
    )

    def _compute_member_banner(self):
        partners = self.partner_id.commercial_partner_id
        memberships = (
            self.env["member.membership"]
            .sudo()
            .search(
                [
                    ("partner_id", "in", partners.ids),
                    ("company_id", "in", self.company_id.ids),
                    ("state", "=", "active"),
                ]
            )
        )
        by_key = {(m.partner_id.id, m.company_id.id): m for m in memberships}
        cards = (
            self.env["loyalty.card"]
            .sudo()
            .search(
                [
                    ("partner_id", "in", partners.ids),
                    ("program_id", "in", self.company_id.member_loyalty_program_id.ids),
                ]
            )
        )
        points = {(c.partner_id.id, c.program_id.id): c.points for c in cards}
        for order in self:
            membership = by_key.get((order.partner_id.commercial_partner_id.id, order.company_id.id))
            order.member_tier_id = membership.tier_id if membership else False
            order.member_benefit_ids = membership.tier_id.benefit_ids.filtered("active") if membership else False
            order.member_points = points.get(
                (order.partner_id.commercial_partner_id.id, order.company_id.member_loyalty_program_id.id), 0.0
            )

    def _action_confirm(self):
        res = super()._action_confirm()
        self._member_crm_on_confirm()
        return res

    def action_confirm(self):
        # refused before anything is confirmed: nothing to undo
        self._member_check_confirmable()
        # sale_loyalty adds the order's points to the cards here: a flow, not a bare write (see loyalty.card)
        return super(SaleOrder, self._member_points_flow()).action_confirm()

    def _action_cancel(self):
        # sale_loyalty takes the points back (and deletes the order's history lines): "cancel" moves
        res = super(SaleOrder, self._member_points_flow(cancel=True))._action_cancel()
        self._member_crm_on_cancel()
        return res

    def _update_programs_and_rewards(self):
        return super(SaleOrder, self._member_points_flow())._update_programs_and_rewards()

    def _add_points_for_coupon(self, coupon_points):
        return super(SaleOrder, self._member_points_flow())._add_points_for_coupon(coupon_points)

    def _apply_program_reward(self, reward, coupon, **kwargs):
        return super(SaleOrder, self._member_points_flow())._apply_program_reward(reward, coupon, **kwargs)

    def _member_points_flow(self, cancel=False):
        """These orders, in sale_loyalty's own flows that change a card's points (the order: the moves' source)."""
        keys = (POINTS_FLOW, POINTS_CANCEL) if cancel else (POINTS_FLOW,)
        source = trusted_value(POINTS_SOURCE, (self._name, self.id)) if len(self) == 1 else {}
        # only these orders' customers' member cards move
        partners = trusted_value(POINTS_PARTNERS, frozenset(self.partner_id.commercial_partner_id.ids))
        return self.with_context(**trusted(*keys), **source, **partners)

    def _try_apply_code(self, code):
        refusal = self._member_coupon_refusal(code)
        return refusal or super()._try_apply_code(code)

    def _member_crm_on_confirm(self):
        """In "confirm" mode a confirmed order qualifies (the SQL filters on the company setting)."""
        # sudo: salespeople write the ledger through their orders only
        self.env["member.ledger"].sudo()._member_record_sales(self)

    def _member_crm_on_cancel(self):
        """A counted order that is cancelled is taken back (confirmed again later, it counts again)."""
        counted = self.filtered(lambda o: o.company_id.member_crm_enabled)
        self.env["member.ledger"].sudo()._member_record_cancel("sale.order", counted)

    # ------------------------------------------------------------------
    # member-bound coupons and early access
    # ------------------------------------------------------------------
    def _member_coupon_refusal(self, code):
        """A coupon bound to a member (benefit or campaign coupon) is theirs: another's order cannot take it.

        The POS checks a card's partner already; sales code entry does not.
        """
        self.ensure_one()
        coupon = self.env["loyalty.card"].sudo().search([("code", "=", code), ("member_bound", "=", True)], limit=1)
        if coupon._member_foreign_bound(self.partner_id):
            return {"error": self.env._("This coupon belongs to another customer: it can only be used by its member.")}
        return {}

    def _member_check_confirmable(self):
        for order in self:
            # a member coupon applied before the customer was changed
            foreign = order.order_line.coupon_id._member_foreign_bound(order.partner_id)
            if foreign:
                raise UserError(
                    self.env._(
                        "Order %(order)s uses coupon %(code)s of another customer.",
                        order=order.name,
                        code=foreign[0].code,
                    )
                )
        self._member_check_early_access()

    def _member_check_early_access(self):
        """Products reserved to members of a tier until a date are refused to other customers at confirmation."""
        for order in self:
            blocked = order.order_line.product_id.product_tmpl_id._member_early_blocked(
                order.partner_id, order.company_id
            )
            if blocked:
                template = blocked[0]
                raise UserError(
                    self.env._(
                        "%(product)s is reserved to %(tier)s members and above until %(date)s: "
                        "%(customer)s cannot buy it yet.",
                        product=template.display_name,
                        tier=template.member_early_tier_id.name,
                        date=template.member_early_until,
                        customer=order.partner_id.display_name,
                    )
                )
