from odoo import api, models
from odoo.exceptions import AccessError

from ..tools.trusted import POINTS_FLOW, is_trusted


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    # the fields by which sale_loyalty moves points between a reward line and its card
    _MEMBER_REWARD_FIELDS = ("coupon_id", "points_cost", "reward_id")

    @api.model_create_multi
    def create(self, vals_list):
        if not is_trusted(self.env, POINTS_FLOW):
            # sale_loyalty moves points when a reward line is created on a confirmed order only (a quotation's
            # lines, e.g. of Duplicate, move nothing: it removes their rewards itself)
            rewarded = [vals for vals in vals_list if vals.get("coupon_id") and vals.get("points_cost")]
            confirmed = self.env["sale.order"].browse({vals.get("order_id") for vals in rewarded} - {None})
            confirmed = set(confirmed.filtered(lambda o: o.state == "sale").ids)
            coupons = self.env["loyalty.card"].browse(
                {vals["coupon_id"] for vals in rewarded if vals.get("order_id") in confirmed}
            )
            self._member_check_reward_lines(coupons)
        return super().create(vals_list)

    def write(self, vals):
        if set(self._MEMBER_REWARD_FIELDS) & set(vals) and not is_trusted(self.env, POINTS_FLOW):
            self._member_check_reward_lines(self.coupon_id | self.env["loyalty.card"].browse(vals.get("coupon_id")))
        return super().write(vals)

    def unlink(self):
        # sale_loyalty gives a confirmed order's reward points back to the line's card: a flow of these orders,
        # for their customers' cards only (loyalty.card checks the partner)
        return super(SaleOrderLine, self.with_context(**self.order_id._member_points_flow().env.context)).unlink()

    def _member_check_reward_lines(self, coupons):
        """Reward lines that spend a member's card are made by sale_loyalty's flows: a line written by hand
        could give the points back to any member card when it is deleted."""
        if coupons and coupons._member_bound_cards() and not coupons._member_is_manager():
            raise AccessError(
                self.env._(
                    "Reward lines that use a member's card are added by the promotion and loyalty buttons "
                    "of the order, not written by hand."
                )
            )
