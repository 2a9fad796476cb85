"""The member card (the seed's 客户画像) on the contact: profile, progress, points, coupons, benefits.

The form users open as "the member" is the contact's (``res.partner``): it already holds the
profile (gender, age, tags), the Membership tab (tier, RFM, recommendations), Odoo's smart
buttons (POS orders, sales, invoices, each behind its own app's group) and the Privacy tab. This
file adds what the card still lacked; every field is behind ``groups=`` and the models behind it
keep their own access rules, so a cashier (Point of Sale / User only) reads none of it.
"""

from odoo import Command, api, fields, models

MEMBER_USER = "member_crm.group_member_crm_user"
# the groups that may read loyalty.card (sale_loyalty, member manager, finance); a service agent may not
CARD_READERS = (
    "sales_team.group_sale_salesman,member_crm.group_member_crm_manager,member_crm.group_member_crm_accountant"
)


# pylint: disable=consider-merging-classes-inherited
# (the member card kept apart from the membership fields of res_partner.py: one concern per file)
class ResPartner(models.Model):
    _inherit = "res.partner"

    # personal data: exported and erased with the member (see _member_personal_data / _member_erase below)
    member_occupation = fields.Char(string="Occupation", groups=MEMBER_USER)
    member_interest_ids = fields.Many2many(
        "member.interest",
        "member_interest_res_partner_rel",
        "partner_id",
        "interest_id",
        string="Interests",
        groups=MEMBER_USER,
    )
    # progress of the current company's membership
    member_currency_id = fields.Many2one(related="member_membership_id.currency_id", groups=MEMBER_USER)
    member_tier_since = fields.Date(related="member_membership_id.tier_since", groups=MEMBER_USER)
    member_qualify_spend = fields.Monetary(
        related="member_membership_id.qualify_spend", currency_field="member_currency_id", groups=MEMBER_USER
    )
    member_qualify_orders = fields.Integer(related="member_membership_id.qualify_orders", groups=MEMBER_USER)
    member_next_tier_id = fields.Many2one(related="member_membership_id.next_tier_id", groups=MEMBER_USER)
    member_next_tier_progress = fields.Float(related="member_membership_id.next_tier_progress", groups=MEMBER_USER)
    member_next_tier_spend_missing = fields.Monetary(
        related="member_membership_id.next_tier_spend_missing",
        currency_field="member_currency_id",
        groups=MEMBER_USER,
    )
    # points of the current company's member card, its lots and moves (the lots' and moves' own company rules apply)
    member_points = fields.Float(string="Points", compute="_compute_member_card_points", groups=MEMBER_USER)
    member_points_pending = fields.Float(
        string="Pending Points", compute="_compute_member_card_points", groups=MEMBER_USER
    )
    member_points_lot_ids = fields.One2many(
        "member.points.lot", "partner_id", string="Points Lots", readonly=True, groups=MEMBER_USER
    )
    member_points_move_ids = fields.One2many(
        "member.points.move", "partner_id", string="Points Moves", readonly=True, groups=MEMBER_USER
    )
    member_benefit_ids = fields.Many2many(
        "member.benefit", compute="_compute_member_benefit_ids", string="Benefits", groups=MEMBER_USER
    )
    member_coupon_ids = fields.Many2many(
        "loyalty.card", compute="_compute_member_coupon_ids", string="Member Coupons", groups=CARD_READERS
    )

    @api.depends_context("company")
    def _compute_member_card_points(self):
        # sudo: a member user reads the balance of the company's member card, not the card (no rights on it)
        program = self.env.company.sudo().member_loyalty_program_id
        cards = (
            self.env["loyalty.card"]
            .sudo()
            .search([("partner_id", "in", self.commercial_partner_id.ids), ("program_id", "=", program.id)])
            if program
            else self.env["loyalty.card"].sudo()
        )
        by_partner = {card.partner_id.id: card for card in cards}
        for partner in self:
            card = by_partner.get(partner.commercial_partner_id.id)
            partner.member_points = card.points if card else 0.0
            partner.member_points_pending = card.member_points_pending if card else 0.0

    @api.depends_context("company")
    def _compute_member_benefit_ids(self):
        for partner in self:
            tier = partner.member_membership_id.state == "active" and partner.member_tier_id
            partner.member_benefit_ids = tier.benefit_ids.filtered("active") if tier else False

    def _compute_member_coupon_ids(self):
        # with the reader's rights: the cards' company rules apply
        coupons = self.env["loyalty.card"].search(
            [("partner_id", "in", self.commercial_partner_id.ids), ("member_bound", "=", True)]
        )
        for partner in self:
            partner.member_coupon_ids = coupons.filtered(
                lambda card, p=partner: card.partner_id == p.commercial_partner_id
            )

    def action_member_view_points_moves(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("member_crm.action_member_points_move")
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        return action

    # ------------------------------------------------------------------
    # privacy: the card's personal fields go with the export and the erasure
    # ------------------------------------------------------------------
    def _member_personal_data(self):
        data = super()._member_personal_data()
        data["contact"].update(self._member_card_personal_data())
        return data

    def _member_card_personal_data(self):
        partner = self.with_context(active_test=False)
        return {
            "member_occupation": partner.member_occupation or False,
            "member_interests": partner.member_interest_ids.mapped("name"),
        }

    def _member_erase(self, reason):
        res = super()._member_erase(reason)
        self._member_card_erase()
        return res

    def _member_card_erase(self):
        # sudo: as the erasure, the whole family in every company (_member_family)
        self.commercial_partner_id._member_family().with_context(tracking_disable=True).write(
            {"member_occupation": False, "member_interest_ids": [Command.clear()]}
        )
