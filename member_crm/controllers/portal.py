from odoo import fields, http
from odoo.http import request

from odoo.addons.portal.controllers.portal import CustomerPortal


class MemberPortal(CustomerPortal):
    """ "My membership": tier, progress, points and their history, coupons, benefits. Own data only."""

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "member_count" in counters:
            values["member_count"] = len(self._member_portal_memberships())
        return values

    def _member_portal_memberships(self):
        partner = request.env.user.partner_id.commercial_partner_id
        # sudo: portal users have no access to memberships; the domain limits it to their own
        return (
            request.env["member.membership"].sudo().search([("partner_id", "=", partner.id), ("state", "=", "active")])
        )

    def _member_portal_values(self, memberships):
        partner = request.env.user.partner_id.commercial_partner_id
        today = fields.Date.context_today(memberships)
        Card = request.env["loyalty.card"].sudo()  # same: the member's own cards, by partner
        programs = memberships.company_id.member_loyalty_program_id
        cards = Card.search([("partner_id", "=", partner.id), ("program_id", "in", programs.ids)])
        coupons = Card.search(
            [
                ("partner_id", "=", partner.id),
                ("member_bound", "=", True),
                ("points", ">", 0),
                "|",
                ("expiration_date", "=", False),
                ("expiration_date", ">=", today),
            ]
        )
        return {
            "memberships": memberships,
            "cards": {card.company_id.id: card for card in cards},
            "coupons": coupons,
            "page_name": "member_membership",
        }

    @http.route(["/my/membership"], type="http", auth="user", website=True)
    def portal_my_membership(self, **kwargs):
        values = self._prepare_portal_layout_values()
        values.update(self._member_portal_values(self._member_portal_memberships()))
        return request.render("member_crm.portal_my_membership", values)
