from odoo import models


class LoyaltyCardUpdateBalance(models.TransientModel):
    _inherit = "loyalty.card.update.balance"

    def action_update_card_point(self):
        old = {wizard: wizard.card_id.points for wizard in self}
        res = super().action_update_card_point()
        self._member_log_adjustment(old)
        return res

    def _member_log_adjustment(self, old):
        """A balance changed by hand on a member's card goes to the audit trail (the lots follow on their own)."""
        cards = self.card_id._member_is_points_card()
        self.env["member.audit.log"]._member_log(
            "points",
            [
                {
                    "partner_id": wizard.card_id.partner_id.id,
                    "company_id": wizard.card_id.company_id.id or self.env.company.id,
                    "res_model": "loyalty.card",
                    "res_id": wizard.card_id.id,
                    "description": f"{old[wizard]:g} → {wizard.card_id.points:g}: {wizard.description}",
                }
                for wizard in self
                if wizard.card_id in cards
            ],
        )
