from odoo import api, fields, models

from ..engine import benefits as benefits_engine


class ProductTemplate(models.Model):
    _inherit = "product.template"

    # early access: the POS checks it in the browser before payment, sales at confirmation
    member_early_tier_id = fields.Many2one(
        "member.tier",
        string="Early Access Tier",
        help="Until the date below, only members of this tier or a higher one may buy the product.",
    )
    member_early_tier_level = fields.Integer(related="member_early_tier_id.level", string="Early Access Level")
    member_early_until = fields.Date(string="Early Access Until")

    @api.model
    def _load_pos_data_fields(self, config):
        # the level and date only: the till needs no tier record to refuse a product before payment
        return [*super()._load_pos_data_fields(config), "member_early_tier_level", "member_early_until"]

    def _member_early_blocked(self, partner, company):
        """Those of these products reserved today to a tier that ``partner`` (a member or not) has not reached."""
        today = fields.Date.context_today(self)
        # sudo: whoever sells reads the reservation and the buyer's tier level, nothing else
        reserved = self.sudo().filtered(
            lambda t: t.member_early_tier_id and t.member_early_until and t.member_early_until >= today
        )
        if not reserved:
            return reserved
        membership = partner.commercial_partner_id.sudo().with_company(company).member_membership_id
        level = membership.tier_id.level if membership.state == "active" and membership.tier_id else None
        return reserved.filtered(
            lambda t: benefits_engine.early_access_blocked(
                t.member_early_tier_id.level, t.member_early_until, level, today
            )
        )
