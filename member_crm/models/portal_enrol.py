"""Self-enrolment in the customer portal (and the website's "become a member" page).

A portal user has no rights on memberships or consent lines: ``_member_self_enroll`` enrols
the user's own commercial entity only, in one company, through the same writers as the back
office, and records the consent they tick with the company's consent text.
"""

from odoo import api, models
from odoo.exceptions import AccessError, UserError


# pylint: disable=consider-merging-classes-inherited
# (self-enrolment kept apart from res_partner.py's membership fields: one concern per file)
class ResPartner(models.Model):
    _inherit = "res.partner"

    @api.model
    def _member_self_enroll(self, company, consents=None, source="portal"):
        """Enrol the current user's own commercial entity in ``company``; record the consent ticked.

        ``consents``: channels or {channel: bool}. Returns the membership. Only a person signed in for themself
        (not a contact of a business) joins, and only once: a suspended or ended membership is reactivated by
        the service desk, never from here."""
        user = self.env.user
        if user._is_public():
            raise AccessError(self.env._("Sign in to become a member."))
        if company not in user.company_ids:
            raise AccessError(self.env._("You cannot join this company's membership."))
        if not company.member_crm_enabled:
            raise UserError(self.env._("%(company)s has no membership programme.", company=company.name))
        channels = self._member_consent_channels(consents)
        text = company.member_consent_text
        if channels and not (text or "").strip():
            raise UserError(self.env._("Consent cannot be recorded yet: the company has no consent text."))
        partner = user.partner_id.commercial_partner_id
        if user.partner_id != partner:
            # a contact of a business would enrol the business and give consent on its address
            raise UserError(
                self.env._(
                    "You sign in as a contact of %(business)s: the business joins through the service desk.",
                    business=partner.name,
                )
            )
        self._member_check_new_membership(partner, company)
        # sudo: portal users have no rights on memberships and consent lines; the partner is the user's
        # own commercial entity, never one taken from the request
        with self.env.cr.savepoint():  # enrolment and consent together or not at all
            membership = self.env["member.membership"].sudo()._member_enroll(partner, company.sudo())
            if channels:
                self.env["member.consent"].sudo()._member_record(
                    partner, channels, "given", source, text, company=company
                )
        return membership
