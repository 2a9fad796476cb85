from odoo import api, fields, models
from odoo.exceptions import UserError

from ..models.member_consent import SOURCES


def _with_active_partners(wizard, values, fields_list):
    """Default the wizard's members to the contacts it was opened on (form button or list action)."""
    if wizard.env.context.get("active_model") == "res.partner" and "partner_ids" in fields_list:
        values["partner_ids"] = [(6, 0, wizard.env.context.get("active_ids", []))]
    return values


class MemberConsentRecord(models.TransientModel):
    _name = "member.consent.record"
    _description = "Record Member Consent"

    partner_ids = fields.Many2many("res.partner", string="Members", required=True)
    state = fields.Selection(
        [("given", "Consent Given"), ("withdrawn", "Consent Withdrawn")], required=True, default="given"
    )
    channel_email = fields.Boolean(string="Email")
    channel_sms = fields.Boolean(string="SMS")
    channel_phone = fields.Boolean(string="Phone")
    source = fields.Selection(SOURCES, required=True, default="form")
    text = fields.Text(
        string="Text Agreed To",
        default=lambda self: self.env.company.member_consent_text,
        help="The wording the member agreed to, kept with the consent.",
    )

    @api.model
    def default_get(self, fields_list):
        return _with_active_partners(self, super().default_get(fields_list), fields_list)

    def action_record(self):
        self.ensure_one()
        channels = [c for c in ("email", "sms", "phone") if self[f"channel_{c}"]]
        if not channels:
            raise UserError(self.env._("Choose at least one channel."))
        self.env["member.consent"]._member_record(self.partner_ids, channels, self.state, self.source, self.text)
        return {"type": "ir.actions.act_window_close"}


class MemberErase(models.TransientModel):
    _name = "member.erase"
    _description = "Erase Members (Right to be Forgotten)"

    partner_ids = fields.Many2many("res.partner", string="Members", required=True)
    reason = fields.Text(required=True, help="Why (e.g. the member's request of that date); kept in the audit trail.")
    blockers = fields.Text(compute="_compute_blockers", string="Cannot Be Erased")

    @api.model
    def default_get(self, fields_list):
        return _with_active_partners(self, super().default_get(fields_list), fields_list)

    @api.depends("partner_ids")
    def _compute_blockers(self):
        for wizard in self:
            blockers = wizard.partner_ids._member_erasure_blockers() if wizard.partner_ids else {}
            wizard.blockers = (
                "\n".join(f"{partner.display_name}: {' '.join(reasons)}" for partner, reasons in blockers.items())
                or False
            )

    def action_erase(self):
        self.ensure_one()
        if not self.env.user.has_group("member_crm.group_member_crm_manager"):
            raise UserError(self.env._("Only a member manager can erase members."))
        if not (self.reason or "").strip():
            raise UserError(self.env._("Give the reason for the erasure."))
        self.partner_ids._member_erase(self.reason.strip())
        return {"type": "ir.actions.act_window_close"}
