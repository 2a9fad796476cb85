from odoo import fields, models
from odoo.exceptions import UserError

from ..tools.trusted import MEMBERSHIP_WRITE, trusted


class MemberTierChange(models.TransientModel):
    _name = "member.tier.change"
    _description = "Change a Member's Tier by Hand"

    membership_ids = fields.Many2many("member.membership", string="Members", required=True)
    tier_id = fields.Many2one("member.tier", string="New Tier", required=True)
    reason = fields.Text(required=True)

    def action_apply(self):
        self.ensure_one()
        if not self.env.user.has_group("member_crm.group_member_crm_manager"):
            raise UserError(self.env._("Only a member manager can change a tier by hand."))
        if not (self.reason or "").strip():
            raise UserError(self.env._("Give the reason for this change."))
        wrong = self.membership_ids.filtered(lambda m: m.company_id != self.tier_id.company_id)
        if wrong:
            raise UserError(
                self.env._(
                    "Tier %(tier)s belongs to another company than %(members)s.",
                    tier=self.tier_id.name,
                    members=", ".join(wrong.mapped("display_name")),
                )
            )
        changes = [(m.id, m.tier_id.id, self.tier_id.id) for m in self.membership_ids if m.tier_id != self.tier_id]
        Membership = self.env["member.membership"].with_context(**trusted(MEMBERSHIP_WRITE))
        Membership._member_apply_changes(changes, "manual", reason=self.reason.strip())
        return {"type": "ir.actions.act_window_close"}
