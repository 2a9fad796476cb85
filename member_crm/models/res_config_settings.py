from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    member_crm_enabled = fields.Boolean(related="company_id.member_crm_enabled", readonly=False)
