from odoo import models
from odoo.exceptions import AccessError

from ..tools.trusted import POINTS_MANUAL, trusted


class LoyaltyCardUpdateBalance(models.TransientModel):
    _inherit = "loyalty.card.update.balance"

    def action_update_card_point(self):
        self._member_check_manual_points()
        old = {wizard: wizard.card_id.points for wizard in self}
        # the manual path: the card lets it through and books an adjustment; the audit line is written below
        res = super(LoyaltyCardUpdateBalance, self.with_context(**trusted(POINTS_MANUAL))).action_update_card_point()
        self._member_log_adjustment(old)
        return res

    def _member_check_manual_points(self):
        """Points by hand on a member's card mint value: member managers only, as the import's points.

        Other cards (gift cards, other programs, non-members) stay as Odoo keeps them.
        """
        if self.card_id._member_bound_cards() and not self.env.user.has_group("member_crm.group_member_crm_manager"):
            raise AccessError(
                self.env._("Only a member manager can change a member's points by hand (the change is audited).")
            )

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
