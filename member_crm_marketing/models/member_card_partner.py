"""The member card's marketing and service parts: timeline and campaigns (complaints in member_card_service.py).

The rows stay behind their own models' rules: the timeline's per-kind rules (a salesperson sees no
mailing trace, a service agent sees complaints and ratings), the recipients' company rule.
"""

from odoo import fields, models


# pylint: disable=consider-merging-classes-inherited
# (the member card's pages kept apart from the campaign and timeline models)
class ResPartner(models.Model):
    _inherit = "res.partner"

    member_timeline_ids = fields.One2many(
        "member.timeline", "partner_id", string="Interaction Timeline", groups="member_crm.group_member_crm_user"
    )
