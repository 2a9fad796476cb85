from odoo import fields, models


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
    member_loyalty_program_id = fields.Many2one(related="company_id.member_loyalty_program_id", readonly=False)
    member_points_pending_days = fields.Integer(related="company_id.member_points_pending_days", readonly=False)
    member_points_expiry_months = fields.Integer(related="company_id.member_points_expiry_months", readonly=False)
    member_points_reminder_days = fields.Integer(related="company_id.member_points_reminder_days", readonly=False)
