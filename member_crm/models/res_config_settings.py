from odoo import fields, models

from .member_sensitive import KEY_OPTION


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    member_crm_enabled = fields.Boolean(related="company_id.member_crm_enabled", readonly=False)
    member_window_type = fields.Selection(related="company_id.member_window_type", readonly=False)
    member_window_months = fields.Integer(related="company_id.member_window_months", readonly=False)
    member_keep_months = fields.Integer(related="company_id.member_keep_months", readonly=False)
    member_max_drop = fields.Integer(related="company_id.member_max_drop", readonly=False)
    member_grace_days = fields.Integer(related="company_id.member_grace_days", readonly=False)
    member_sale_qualify_on = fields.Selection(related="company_id.member_sale_qualify_on", readonly=False)
    member_auto_enroll = fields.Boolean(related="company_id.member_auto_enroll", readonly=False)
    member_number_prefix = fields.Char(related="company_id.member_number_prefix", readonly=False)
    member_import_max_mb = fields.Integer(related="company_id.member_import_max_mb", readonly=False)
    member_loyalty_program_id = fields.Many2one(related="company_id.member_loyalty_program_id", readonly=False)
    member_points_pending_days = fields.Integer(related="company_id.member_points_pending_days", readonly=False)
    member_points_expiry_months = fields.Integer(related="company_id.member_points_expiry_months", readonly=False)
    member_points_reminder_days = fields.Integer(related="company_id.member_points_reminder_days", readonly=False)
    member_consent_text = fields.Text(related="company_id.member_consent_text", readonly=False)
    member_encryption_state = fields.Char(compute="_compute_member_encryption_state", string="Encryption Key")

    def _compute_member_encryption_state(self):
        Value = self.env["member.sensitive.value"]
        # a malformed key must not break the Settings page: it shows as locked, with the reason
        if problem := Value._member_keyring_problem():
            state = self.env._("Locked: %(reason)s", reason=problem)
        elif (keyring := Value._member_keyring()).current:
            state = self.env._("Key %(key)s is configured.", key=keyring.current_id)
        else:
            state = self.env._("No key: add %(option)s to the Odoo configuration file.", option=KEY_OPTION)
        self.member_encryption_state = state

    def action_member_rotate_keys(self):
        rotated, locked = self.env["member.sensitive.value"]._member_rotate_keys()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "warning" if locked else "success",
                "message": self.env._(
                    "%(rotated)s values re-encrypted with the current key; %(locked)s could not be opened "
                    "(add their key to member_crm_encryption_old_keys).",
                    rotated=len(rotated),
                    locked=len(locked),
                ),
            },
        }
