from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    member_campaign_weekly_cap = fields.Integer(related="company_id.member_campaign_weekly_cap", readonly=False)
    member_sms_quiet_start = fields.Float(related="company_id.member_sms_quiet_start", readonly=False)
    member_sms_quiet_end = fields.Float(related="company_id.member_sms_quiet_end", readonly=False)
    member_compensation_program_id = fields.Many2one(
        related="company_id.member_compensation_program_id", readonly=False
    )
    member_complaint_response_hours = fields.Float(related="company_id.member_complaint_response_hours", readonly=False)
    member_complaint_resolution_hours = fields.Float(
        related="company_id.member_complaint_resolution_hours", readonly=False
    )
