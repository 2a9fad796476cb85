"""Interests of a member (the seed's 客户画像: 兴趣爱好), kept apart from Odoo's contact tags.

Tags (``res.partner.category``) are shared labels every internal user reads and sets;
interests are personal data: only member users read them, they go with the member's
data export and are cleared by the erasure (``member_card_partner.py``).
"""

from odoo import fields, models


class MemberInterest(models.Model):
    _name = "member.interest"
    _description = "Member Interest"
    _order = "name, id"

    name = fields.Char(required=True, translate=True)
    color = fields.Integer()
    active = fields.Boolean(default=True)
    # empty: shared by all companies (as contact tags are)
    company_id = fields.Many2one("res.company", index="btree_not_null")

    _name_company_uniq = models.Constraint("UNIQUE(name, company_id)", "An interest must be unique per company.")
