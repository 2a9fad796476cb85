"""The analytics job's company setting: the tag of contacts left out (staff, test and company accounts)."""

from odoo import fields, models

# res_company.py and res_config_settings.py hold the liability settings; these are the analytics job's
# pylint: disable=consider-merging-classes-inherited


class ResCompany(models.Model):
    _inherit = "res.company"

    member_analytics_exclude_tag_id = fields.Many2one(
        "res.partner.category",
        string="Analytics Exclusion Tag",
        help="Contacts with this tag (staff, test and company accounts) are left out of predicted CLV and cohorts.",
    )


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    member_analytics_exclude_tag_id = fields.Many2one(
        related="company_id.member_analytics_exclude_tag_id", readonly=False
    )
