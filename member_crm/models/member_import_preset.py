"""Saved column and level mappings of the migration import (the wizard is in wizard/member_import.py)."""

from odoo import fields, models

# what a column of a legacy file can be imported as
TARGET_SELECTION = [
    ("member_number", "Member Number"),
    ("name", "Name"),
    ("phone", "Phone"),
    ("email", "Email"),
    ("gender", "Gender"),
    ("birthdate", "Birth Date"),
    ("member_since", "Member Since"),
    ("occupation", "Occupation"),
    ("street", "Street"),
    ("city", "City"),
    ("zip", "ZIP"),
    ("notes", "Notes"),
    ("level", "Level (old system)"),
    ("points", "Points Balance"),
    ("spend", "Historical Spend"),
    ("orders", "Historical Order Count"),
    ("id_number", "ID Card Number"),
    ("passport_number", "Passport Number"),
]


class MemberImportPreset(models.Model):
    _name = "member.import.preset"
    _description = "Member Import Column Mapping"
    _check_company_auto = True

    name = fields.Char(required=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    column_ids = fields.One2many("member.import.preset.column", "preset_id", string="Columns", copy=True)
    level_ids = fields.One2many("member.import.preset.level", "preset_id", string="Levels", copy=True)


class MemberImportPresetColumn(models.Model):
    _name = "member.import.preset.column"
    _description = "Member Import Column Mapping Line"

    preset_id = fields.Many2one("member.import.preset", required=True, ondelete="cascade", index=True)
    header = fields.Char(string="Column in the File", required=True)
    target = fields.Selection(TARGET_SELECTION, string="Imported As")
    ignore = fields.Boolean(help="The column is not imported, on purpose.")


class MemberImportPresetLevel(models.Model):
    _name = "member.import.preset.level"
    _description = "Member Import Level Mapping Line"
    _check_company_auto = True

    preset_id = fields.Many2one("member.import.preset", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="preset_id.company_id")
    old_level = fields.Char(string="Level in the File", required=True)
    tier_id = fields.Many2one("member.tier", check_company=True)
