from odoo import models


class PosConfig(models.Model):
    _inherit = "pos.config"

    def use_coupon_code(self, code, creation_date, partner_id, pricelist_id):
        res = super().use_coupon_code(code, creation_date, partner_id, pricelist_id)
        return self._member_bound_coupon_refusal(res, partner_id) or res

    def _member_bound_coupon_refusal(self, res, partner_id):
        """pos_loyalty matches a coupon's partner exactly, but lets anybody use a gift card's code: a coupon bound
        to a member (benefit or campaign coupon) is refused to another commercial entity whatever its program."""
        if not res.get("successful"):
            return None
        coupon = self.env["loyalty.card"].browse(res["payload"]["coupon_id"])
        partner = self.env["res.partner"].browse(partner_id or ())
        if not coupon._member_foreign_bound(partner):
            return None
        return {
            "successful": False,
            "payload": {
                "error_message": self.env._(
                    "This coupon belongs to another customer: it can only be used by its member."
                ),
            },
        }
