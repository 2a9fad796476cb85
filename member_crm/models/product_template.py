from odoo import api, fields, models


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
