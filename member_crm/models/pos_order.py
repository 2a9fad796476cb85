from odoo import models


class PosOrder(models.Model):
    _inherit = "pos.order"

    def action_pos_order_paid(self):
        res = super().action_pos_order_paid()
        self._member_crm_on_paid()
        return res

    def _member_crm_on_paid(self):
        """Record the paid order (or refund) in the qualification ledger (upgrades at once), then the tier bonus."""
        # sudo: a cashier writes the ledger and the points lots through the order it just sold;
        # neither has a create right for anybody, by design.
        self.env["member.ledger"].sudo()._member_record_pos(self)
        orders = self.filtered(lambda o: o.partner_id and o.company_id.member_loyalty_program_id)
        if orders:
            Lot = self.env["member.points.lot"].sudo()
            Lot._member_bonus(*Lot._member_pos_bonus_rows(orders))
