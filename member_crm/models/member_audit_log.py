"""Audit trail: who did what to members' personal data and loyalty figures, and when.

Tier changes have their own log (``member.tier.history``, with the user and
the reason); this one records the rest: points adjustments by hand, consent
changes, reads and writes of decrypted sensitive fields, data exports,
erasures, imports and key rotations. Lines never hold the personal data
itself (no clear text of a sensitive field, no address): ids, names of the
fields and counts only. Nobody writes or deletes a line; users create none
directly (``_member_log`` writes with sudo).
"""

from odoo import api, fields, models
from odoo.exceptions import UserError

from odoo.addons.base.models.ir_model import MODULE_UNINSTALL_FLAG

ACTIONS = [
    ("points", "Points Adjusted"),
    ("consent", "Consent Changed"),
    ("sensitive_read", "Sensitive Data Read"),
    ("sensitive_write", "Sensitive Data Changed"),
    ("export", "Data Exported"),
    ("erasure", "Member Erased"),
    ("import", "Members Imported"),
    ("key_rotation", "Encryption Key Rotated"),
    ("merge", "Contacts Merged"),
]


class MemberAuditLog(models.Model):
    _name = "member.audit.log"
    _description = "Member Audit Trail"
    _order = "date desc, id desc"
    _rec_name = "action"

    date = fields.Datetime(required=True, default=fields.Datetime.now, readonly=True, index=True)
    user_id = fields.Many2one("res.users", string="By", required=True, readonly=True, ondelete="restrict")
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    action = fields.Selection(ACTIONS, required=True, readonly=True)
    partner_id = fields.Many2one("res.partner", string="Member", readonly=True, index="btree_not_null")
    res_model = fields.Char(string="Document Model", readonly=True)
    res_id = fields.Many2oneReference(string="Document", model_field="res_model", readonly=True)
    description = fields.Char(readonly=True)

    def write(self, vals):
        if self:
            raise UserError(self.env._("The audit trail cannot be changed."))
        return super().write(vals)

    @api.ondelete(at_uninstall=True)
    def _unlink_never(self):
        if not self.env.context.get(MODULE_UNINSTALL_FLAG):
            raise UserError(self.env._("The audit trail cannot be deleted."))

    @api.model
    def _member_log(self, action, entries):
        """Write audit lines; ``entries``: dicts with partner_id, company_id, res_model, res_id, description."""
        if not entries:
            return self.browse()
        user = self.env.user
        # sudo: nobody has create rights on the trail, every line is written here
        return self.sudo().create(
            [
                {
                    "action": action,
                    "user_id": user.id,
                    "company_id": entry.get("company_id", self.env.company.id),
                    "partner_id": entry.get("partner_id"),
                    "res_model": entry.get("res_model"),
                    "res_id": entry.get("res_id"),
                    "description": entry.get("description"),
                }
                for entry in entries
            ]
        )
