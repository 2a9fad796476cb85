from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    member_campaign_weekly_cap = fields.Integer(related="company_id.member_campaign_weekly_cap", readonly=False)
    member_sms_quiet_start = fields.Float(related="company_id.member_sms_quiet_start", readonly=False)
    member_sms_quiet_end = fields.Float(related="company_id.member_sms_quiet_end", readonly=False)
