from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    # The switch the acceptance asks for: installing the addons changes nothing
    # for existing customers until a manager turns membership on per company.
    member_crm_enabled = fields.Boolean(
        string="Membership Enabled",
        help="Enrol customers as members, follow their tiers and grant benefits in this company.",
    )
