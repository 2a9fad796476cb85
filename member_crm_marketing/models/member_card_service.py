"""The service channels of the member card: a complaint or inquiry from the till and from the portal.

Neither a cashier (Point of Sale / User) nor a portal user has rights on complaints: each channel
creates one ticket, checked first, for one customer, with the channel set (``pos`` / ``portal``).
"""

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import plaintext2html

# the kinds a customer may open; 'feedback' stays the team's
CUSTOMER_TYPES = ("complaint", "inquiry")


class MemberComplaint(models.Model):
    _inherit = "member.complaint"

    @api.model
    def _member_channel_vals(self, vals):
        """Subject, type and description from a form; bad input is refused with a clear message."""
        vals = vals or {}
        name = (vals.get("name") or "").strip()
        if not name:
            raise UserError(self.env._("Give the subject of the complaint or inquiry."))
        kind = vals.get("complaint_type") or "complaint"
        if kind not in CUSTOMER_TYPES:
            raise UserError(self.env._("Choose a complaint or an inquiry."))
        description = (vals.get("description") or "").strip()
        return {
            "name": name[:200],
            "complaint_type": kind,
            "description": plaintext2html(description) if description else False,
        }

    @api.model
    def pos_member_complaint(self, config_id, partner_id, vals):
        """A ticket for the order's customer, from the member panel of the cashier's open register."""
        Partner = self.env["res.partner"]
        config = Partner._member_pos_session(config_id)
        partner = Partner._member_pos_customer(config, partner_id)
        values = self._member_channel_vals(vals)
        # sudo: the cashier has no rights on complaints; checked above: their open register, its company, a
        # customer they may read. The cashier stays the author (sudo keeps the user) without following it.
        ticket = (
            self.sudo()
            .with_company(config.company_id)
            .with_context(mail_create_nosubscribe=True)
            .create({**values, "partner_id": partner.id, "company_id": config.company_id.id, "channel": "pos"})
        )
        return {"id": ticket.id, "name": ticket.display_name}

    @api.model
    def _member_portal_tickets(self):
        """The current user's own tickets (their commercial entity's), newest first: read with their own rights
        (portal customers read their own tickets, member_complaint_rules.xml)."""
        partner = self.env.user.partner_id.commercial_partner_id
        return self.search([("commercial_partner_id", "=", partner.id)], order="id desc")

    @api.model
    def _member_portal_memberships(self):
        """The user's active memberships in the companies of their user: a ticket is created in the company of
        the membership, and the company rule hides from the user a ticket of a company outside their companies
        (they could not follow it)."""
        partner = self.env.user.partner_id.commercial_partner_id
        # sudo: portal users cannot read memberships; their own commercial entity only
        return (
            self.env["member.membership"]
            .sudo()
            .search(
                [
                    ("partner_id", "=", partner.id),
                    ("state", "=", "active"),
                    ("company_id", "in", self.env.user.company_ids.ids),
                ],
                order="id",
            )
        )

    @api.model
    def _member_portal_submit(self, vals):
        """A ticket from the portal, for the user's own commercial entity, in the company of their membership."""
        user = self.env.user
        if user._is_public():
            raise AccessError(self.env._("Sign in to contact the service."))
        partner = user.partner_id.commercial_partner_id
        values = self._member_channel_vals(vals)
        memberships = self._member_portal_memberships()
        company = memberships.company_id & self.env.company or memberships.company_id[:1]
        if not company:
            raise UserError(self.env._("Only members can open a ticket here."))
        # sudo: as above; the user is the author and follows their ticket (answers reach them by email)
        return (
            self.sudo()
            .with_company(company)
            .create({**values, "partner_id": partner.id, "company_id": company.id, "channel": "portal"})
        )


# pylint: disable=consider-merging-classes-inherited
# (the member card's complaints page, next to the service channels)
class ResPartner(models.Model):
    _inherit = "res.partner"

    # the tickets of the commercial entity (a ticket may name one of its contacts); service agents and managers
    member_complaint_ids = fields.One2many(
        "member.complaint",
        "commercial_partner_id",
        string="Complaints and Inquiries",
        groups="member_crm.group_member_crm_service,member_crm.group_member_crm_manager",
    )
