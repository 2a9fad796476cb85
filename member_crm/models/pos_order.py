from odoo import models


class PosOrder(models.Model):
    _inherit = "pos.order"

    def action_pos_order_paid(self):
        res = super().action_pos_order_paid()
        self._member_crm_on_paid()
        return res

    def _member_crm_on_paid(self):
        """Record the paid order (or refund) in the qualification ledger; upgrades at once."""
        # sudo: a cashier writes the ledger through the order it just sold;
        # the ledger has no create right for anybody, by design.
        self.env["member.ledger"].sudo()._member_record_pos(self)
