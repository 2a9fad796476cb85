"""Sensitive member fields, encrypted at rest with a key from the configuration file.

Which fields are sensitive is configurable (``member.sensitive.attribute``:
ID card and passport numbers ship; managers add others). Fields that queries
need, such as the birth date, are protected by groups instead. Each value is
one ``member.sensitive.value`` row holding only ciphertext; the clear text is
a non-stored computed field, decrypted for the managers allowed to read it,
each read written to the audit trail. Without a key the addons run and the
values stay locked (a clear reason is shown, writing is refused): nothing is
lost, no garbage is shown. ``engine.crypto`` does the cryptography.

Configuration file (``odoo.conf``)::

    member_crm_encryption_key = <44 characters from engine.crypto.generate_key()>
    member_crm_encryption_old_keys = <the previous key>[,<older key>]   # during a rotation
"""

import logging

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import config

from ..engine import cells, crypto

_logger = logging.getLogger(__name__)

KEY_OPTION = "member_crm_encryption_key"
OLD_KEYS_OPTION = "member_crm_encryption_old_keys"


class MemberSensitiveAttribute(models.Model):
    _name = "member.sensitive.attribute"
    _description = "Sensitive Member Field"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    validation = fields.Selection(
        [("none", "None"), ("cn_id", "Resident Identity Card"), ("passport", "Passport Number")],
        default="none",
        required=True,
    )

    _code_uniq = models.Constraint("UNIQUE(code)", "The code of a sensitive field must be unique.")

    def _member_clean(self, value):
        """The value as stored (normalised), or a ValidationError in the user's language."""
        self.ensure_one()
        parser = {"cn_id": cells.parse_id_number, "passport": cells.parse_passport}.get(
            self.validation, cells.parse_text
        )
        try:
            return parser(value)
        except cells.CellError as error:
            raise ValidationError(self.env._("%(field)s: the value is not valid.", field=self.name)) from error


class MemberSensitiveValue(models.Model):
    _name = "member.sensitive.value"
    _description = "Sensitive Member Value"
    _order = "partner_id, attribute_id"
    _check_company_auto = True

    partner_id = fields.Many2one("res.partner", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    attribute_id = fields.Many2one("member.sensitive.attribute", string="Field", required=True, ondelete="restrict")
    # ciphertext only; the compute reads it with sudo, users never see it (administrators may)
    cipher = fields.Char(readonly=True, groups="base.group_system", copy=False)
    key_id = fields.Char(string="Encryption Key", readonly=True, copy=False)
    value = fields.Char(
        compute="_compute_value",
        inverse="_inverse_value",
        exportable=False,  # the clear text never leaves through Odoo's export
        help="Shown in clear text to authorised users; stored encrypted.",
    )
    locked_reason = fields.Char(compute="_compute_value", string="Locked")

    _partner_attribute_uniq = models.Constraint(
        "UNIQUE(partner_id, company_id, attribute_id)", "A member has one value per sensitive field."
    )

    def _export_rows(self, fields, *, _is_toplevel_call=True):
        """Odoo's export would hand out the clear text of many members at once: refused for everybody.

        ``exportable=False`` only hides the field from the export dialog. ``export_data`` on this model and
        sub-field paths from another (``res.partner.export_data(["member_sensitive_value_ids/value"])``)
        both end here. A member's data leaves through the access request (Export Member Data), one member
        at a time and logged."""
        raise AccessError(
            self.env._(
                "Sensitive member data cannot be exported. Use Export Member Data on the contact for a "
                "member's access request."
            )
        )

    # ------------------------------------------------------------------
    # keys
    # ------------------------------------------------------------------
    @api.model
    def _member_keyring(self):
        """The keys of the configuration file; a malformed key is a clear error for the administrator."""
        current = config.get(KEY_OPTION) or None
        old = [k for k in (config.get(OLD_KEYS_OPTION) or "").split(",") if k.strip()]
        try:
            return crypto.Keyring(current, old)
        except crypto.Locked as error:
            raise UserError(
                self.env._(
                    "The encryption key in the Odoo configuration file (%(option)s or %(old)s) is not valid: "
                    "it must be 32 bytes in URL-safe base64, as generated by member_crm's engine.crypto.",
                    option=KEY_OPTION,
                    old=OLD_KEYS_OPTION,
                )
            ) from error

    @api.model
    def _member_keyring_problem(self):
        """Why the configured keys cannot be used (translated), or False: a malformed key locks the values,
        it does not break the pages that show them."""
        try:
            self._member_keyring()
        except UserError as error:
            return error.args[0]
        return False

    def _member_context(self):
        return f"{self.partner_id.id}:{self.company_id.id}:{self.attribute_id.code}"

    def _member_locked_message(self, error):
        messages = {
            "no_key": self.env._(
                "Locked: no encryption key in the Odoo configuration file (%(option)s).", option=KEY_OPTION
            ),
            "unknown_key": self.env._(
                "Locked: encrypted with key %(key)s, which is not in the Odoo configuration file.",
                key=error.key_id or "?",
            ),
            "altered": self.env._("Locked: the stored value was altered and cannot be decrypted."),
            "bad_key": self.env._("Locked: the encryption key in the configuration file is not valid."),
        }
        return messages[error.code]

    # ------------------------------------------------------------------
    # clear text
    # ------------------------------------------------------------------
    @api.depends("cipher", "key_id")
    @api.depends_context("uid")
    def _compute_value(self):
        if problem := self._member_keyring_problem():
            # a malformed key in the configuration file: every value shows as locked, with the reason
            for record in self:
                record.value = False
                record.locked_reason = record.sudo().cipher and self.env._("Locked: %(reason)s", reason=problem)
            return
        keyring = self._member_keyring()
        read = []
        for record in self:
            record.value = False
            record.locked_reason = False
            stored = record.sudo().cipher
            if not stored or not record.id:
                continue
            try:
                record.value = keyring.decrypt(stored, record._member_context())
            except crypto.Locked as error:
                record.locked_reason = record._member_locked_message(error)
                continue
            read.append(record)
        if read:
            self.env["member.audit.log"]._member_log(
                "sensitive_read",
                [
                    {
                        "partner_id": r.partner_id.id,
                        "company_id": r.company_id.id,
                        "res_model": self._name,
                        "res_id": r.id,
                        "description": r.attribute_id.name,
                    }
                    for r in read
                ],
            )

    def _inverse_value(self):
        keyring = self._member_keyring()
        if not keyring.current:
            raise UserError(
                self.env._(
                    "Sensitive fields cannot be saved: there is no encryption key in the Odoo configuration "
                    "file (%(option)s).",
                    option=KEY_OPTION,
                )
            )
        for record in self:
            clear = record.attribute_id._member_clean(record.value) if record.value else False
            # sudo: the ciphertext column is written only here
            record.sudo().write(
                {
                    "cipher": keyring.encrypt(clear, record._member_context()) if clear else False,
                    "key_id": keyring.current_id if clear else False,
                }
            )
        self.env["member.audit.log"]._member_log(
            "sensitive_write",
            [
                {
                    "partner_id": r.partner_id.id,
                    "company_id": r.company_id.id,
                    "res_model": self._name,
                    "res_id": r.id,
                    "description": r.attribute_id.name,
                }
                for r in self
            ],
        )

    @api.model
    def _member_rotate_keys(self):
        """Re-encrypt every value not under the current key; returns (rotated, still locked)."""
        keyring = self._member_keyring()
        if not keyring.current:
            raise UserError(
                self.env._("There is no current encryption key to rotate to (%(option)s).", option=KEY_OPTION)
            )
        # sudo: rotation re-encrypts every company's values, no clear text is returned
        values = self.sudo().search([("cipher", "!=", False), ("key_id", "!=", keyring.current_id)])
        rotated, locked = self.browse(), self.browse()
        for record in values:
            context = record._member_context()
            try:
                clear = keyring.decrypt(record.cipher, context)
            except crypto.Locked:
                locked |= record
                continue
            record.write({"cipher": keyring.encrypt(clear, context), "key_id": keyring.current_id})
            rotated |= record
        self.env["member.audit.log"]._member_log(
            "key_rotation",
            [
                {
                    "description": self.env._(
                        "%(rotated)s values re-encrypted with key %(key)s, %(locked)s could not be opened",
                        rotated=len(rotated),
                        key=keyring.current_id,
                        locked=len(locked),
                    )
                }
            ],
        )
        _logger.info("member_crm: %s sensitive values re-encrypted, %s locked", len(rotated), len(locked))
        return rotated, locked
