from odoo import fields, models

from .res_company import LIABILITY_GROUPS


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    member_liability_enabled = fields.Boolean(
        related="company_id.member_liability_enabled", readonly=False, groups=LIABILITY_GROUPS
    )
    member_point_value = fields.Float(related="company_id.member_point_value", readonly=False, groups=LIABILITY_GROUPS)
    member_breakage_percent = fields.Float(
        related="company_id.member_breakage_percent", readonly=False, groups=LIABILITY_GROUPS
    )
    member_liability_include_pending = fields.Boolean(
        related="company_id.member_liability_include_pending", readonly=False, groups=LIABILITY_GROUPS
    )
    member_liability_account_id = fields.Many2one(
        related="company_id.member_liability_account_id", readonly=False, groups=LIABILITY_GROUPS
    )
    member_liability_expense_account_id = fields.Many2one(
        related="company_id.member_liability_expense_account_id", readonly=False, groups=LIABILITY_GROUPS
    )
    member_liability_opening_account_id = fields.Many2one(
        related="company_id.member_liability_opening_account_id", readonly=False, groups=LIABILITY_GROUPS
    )
    member_liability_journal_id = fields.Many2one(
        related="company_id.member_liability_journal_id", readonly=False, groups=LIABILITY_GROUPS
    )
    member_liability_start = fields.Date(
        related="company_id.member_liability_start", readonly=False, groups=LIABILITY_GROUPS
    )
