"""Privacy of the marketing and service data: the access request and the erasure of member_crm extended to
complaints, their compensations and ratings, and the interactions (logins, social-media events)."""

from odoo import models
from odoo.fields import Domain


# pylint: disable=consider-merging-classes-inherited
# (the privacy of this addon's data kept apart from its other res.partner extensions: one concern per file)
class ResPartner(models.Model):
    _inherit = "res.partner"

    def _member_personal_data(self):
        data = super()._member_personal_data()
        data.update(self._member_marketing_personal_data())
        return data

    def _member_erase_traces(self):
        res = super()._member_erase_traces()
        self._member_erase_service_data()
        return res

    def _member_family_complaint_domain(self):
        return Domain("partner_id", "in", self.ids) | Domain("commercial_partner_id", "in", self.ids)

    def _member_marketing_personal_data(self):
        """The member's tickets, compensations, ratings and interactions, read with the exporter's rights (the
        companies they may see), as member_crm exports its own data."""
        self.ensure_one()
        family = self.with_context(active_test=False).search([("id", "child_of", self.commercial_partner_id.id)])
        complaints = self.env["member.complaint"].search(family._member_family_complaint_domain())
        ratings = self.env["rating.rating"].search(
            [("res_model", "=", "member.complaint"), ("res_id", "in", complaints.ids)]
        )
        interactions = self.env["member.interaction"].search([("partner_id", "in", family.ids)])
        compensations = self.env["member.complaint.compensation"].search([("complaint_id", "in", complaints.ids)])
        return {
            "complaints": [
                {
                    "number": complaint.number,
                    "date_open": complaint.date_open,
                    "company_id": complaint.company_id.display_name,
                    "complaint_type": complaint.complaint_type,
                    "channel": complaint.channel,
                    "name": complaint.name,
                    "description": complaint.description or False,
                    "email_from": complaint.email_from,
                    "email_cc": complaint.email_cc,
                }
                for complaint in complaints
            ],
            "compensations": [
                {
                    "complaint": compensation.complaint_id.display_name,
                    "kind": compensation.kind,
                    "points": compensation.points,
                    "coupon_value": compensation.coupon_value,
                    "reason": compensation.reason,
                    "state": compensation.state,
                }
                for compensation in compensations
            ],
            "complaint_ratings": [
                {"date": rating.create_date, "rating": rating.rating, "feedback": rating.feedback} for rating in ratings
            ],
            "interactions": [
                {
                    "date": event.date,
                    "company_id": event.company_id.display_name,
                    "kind": event.kind,
                    "channel": event.channel,
                    "social_action": event.social_action,
                    "url": event.url,
                    "note": event.note,
                }
                for event in interactions
            ],
        }

    def _member_erase_service_data(self):
        """Clear what names the member on their tickets (subject, description, addresses), the reasons of their
        compensations and the comments of their ratings; delete their logins and social-media events.

        ``self``: the erased family, as superuser (member_crm's erasure). The tickets, compensations and ratings
        stay (service figures and the points or coupons given), without the member's words."""
        complaints = (
            self.env["member.complaint"]
            .sudo()
            .with_context(active_test=False)
            .search(self._member_family_complaint_domain())
        )
        for complaint in complaints:  # one subject each, so the team's lists still tell tickets apart
            complaint.with_context(tracking_disable=True).write(
                {
                    "name": self.env._("Erased ticket %(number)s", number=complaint.number or complaint.id),
                    "description": False,
                    "email_from": False,
                    "email_cc": False,
                }
            )
        compensations = (
            self.env["member.complaint.compensation"].sudo().search([("complaint_id", "in", complaints.ids)])
        )
        compensations.with_context(tracking_disable=True).write({"reason": False})
        ratings = (
            self.env["rating.rating"]
            .sudo()
            .search(
                Domain("res_model", "=", "member.complaint")
                & (Domain("res_id", "in", complaints.ids) | Domain("partner_id", "in", self.ids))
            )
        )
        ratings.write({"feedback": False})
        self.env["member.interaction"].sudo().search([("partner_id", "in", self.ids)]).unlink()
        return True
