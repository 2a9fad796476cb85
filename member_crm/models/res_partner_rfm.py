from odoo import api, fields, models
from odoo.fields import Domain

from .member_rfm import RFM_SEGMENTS

# The RFM fields of contacts, with the RFM model (res_partner.py holds the membership fields).
# pylint: disable=consider-merging-classes-inherited


class ResPartner(models.Model):
    _inherit = "res.partner"

    # The current company's RFM row (contacts are shared between companies), from the nightly refresh.
    member_rfm_id = fields.Many2one(
        "member.rfm", compute="_compute_member_rfm", string="RFM Scores", groups="member_crm.group_member_crm_user"
    )
    member_rfm_segment = fields.Selection(
        RFM_SEGMENTS,
        compute="_compute_member_rfm",
        search="_search_member_rfm_segment",
        string="RFM Segment",
        groups="member_crm.group_member_crm_user",
        help="The member's RFM segment in the current company, as of the last nightly refresh.",
    )
    member_rfm_r_score = fields.Integer(
        compute="_compute_member_rfm", string="R Score", groups="member_crm.group_member_crm_user"
    )
    member_rfm_f_score = fields.Integer(
        compute="_compute_member_rfm", string="F Score", groups="member_crm.group_member_crm_user"
    )
    member_rfm_m_score = fields.Integer(
        compute="_compute_member_rfm", string="M Score", groups="member_crm.group_member_crm_user"
    )
    member_rfm_date = fields.Date(
        compute="_compute_member_rfm", string="RFM Computed On", groups="member_crm.group_member_crm_user"
    )

    @api.depends_context("company")
    @api.depends("member_membership_id")
    def _compute_member_rfm(self):
        rows = self.env["member.rfm"].search([("membership_id", "in", self.member_membership_id.ids)])
        by_membership = {row.membership_id.id: row for row in rows}
        for partner in self:
            row = by_membership.get(partner.member_membership_id.id, rows.browse())
            partner.member_rfm_id = row
            partner.member_rfm_segment = row.segment
            partner.member_rfm_r_score = row.r_score
            partner.member_rfm_f_score = row.f_score
            partner.member_rfm_m_score = row.m_score
            partner.member_rfm_date = row.date

    def _search_member_rfm_segment(self, operator, value):
        # "not in" is the negation of this (Odoo's domain optimisation): contacts without a row match it
        if operator != "in":
            return NotImplemented
        Rfm = self.env["member.rfm"]
        company = [("company_id", "=", self.env.company.id)]
        keys = [key for key in value if key]
        # a company's contacts show its membership's segment: match on the commercial entity, as the compute does
        domain = Domain(
            "commercial_partner_id", "in", Rfm._search([*company, ("segment", "in", keys)]).subselect("partner_id")
        )
        if len(keys) < len(value):  # False: contacts without a row (not members, or not refreshed yet)
            domain |= Domain("commercial_partner_id", "not in", Rfm._search(company).subselect("partner_id"))
        return domain
