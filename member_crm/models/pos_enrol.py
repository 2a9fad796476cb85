"""Enrolment and consent at the till: the cashier's Enrol button in the member panel.

A cashier is a Point of Sale / User with no member role (README, roles): they may not create
memberships nor consent lines. ``pos_member_enroll`` lets them do exactly this, for one customer,
on the register they have open, in that register's company, through the same writers as the back
office (``member.membership._member_enroll`` and ``member.consent._member_record``).
"""

from odoo import api, models
from odoo.exceptions import AccessError, UserError

from .member_consent import CHANNELS


# pylint: disable=consider-merging-classes-inherited
# (the till's enrolment kept apart from res_partner.py's membership fields: one concern per file)
class ResPartner(models.Model):
    _inherit = "res.partner"

    @api.model
    def _member_pos_session(self, config_id):
        """The register ``config_id`` if the caller works on an open session of it: the one rule of the till's
        server methods that act beyond the cashier's own rights (enrolment, complaints, recommendations).

        A session counts when it is opened (not in its opening control, not closing), is not a rescue session
        (recovered orders of a crashed till, nobody sells on it) and was opened by the caller, or, with pos_hr
        (not a dependency: its fields are looked up), the register lists the caller among its employees."""
        user = self.env.user
        if not user.has_group("point_of_sale.group_pos_user"):
            raise AccessError(self.env._("Only Point of Sale users can do this at the till."))
        config = self.env["pos.config"].browse(config_id).exists() if isinstance(config_id, int) else None
        if not config:
            raise UserError(self.env._("This register does not exist."))
        config.check_access("read")
        if config.company_id not in user.company_ids:
            raise AccessError(self.env._("The register %(name)s is not in your companies.", name=config.name))
        # sudo: sessions and employee lists are the POS manager's; only whether the caller is on them
        sessions = (
            self.env["pos.session"]
            .sudo()
            .search([("config_id", "=", config.id), ("state", "=", "opened"), ("rescue", "=", False)])
        )
        cashiers = sessions.user_id
        for name in ("minimal_employee_ids", "basic_employee_ids", "advanced_employee_ids"):
            if sessions and name in config._fields:
                cashiers |= config.sudo()[name].user_id
        if user not in cashiers:
            raise AccessError(self.env._("Open the register %(name)s first.", name=config.name))
        return config

    @api.model
    def _member_check_new_membership(self, partner, company):
        """Self-service enrolment (till, portal) only creates memberships: one that exists and is not active
        (suspended or left, a manager's decision) is not reactivated from there."""
        # sudo: cashiers and portal users read no membership; only whether one exists
        lapsed = (
            self.env["member.membership"]
            .sudo()
            .search_count(
                [
                    ("partner_id", "=", partner.commercial_partner_id.id),
                    ("company_id", "=", company.id),
                    ("state", "!=", "active"),
                ],
                limit=1,
            )
        )
        if lapsed:
            raise UserError(
                self.env._(
                    "This customer's membership of %(company)s is suspended or ended: please contact the service "
                    "desk to reactivate it.",
                    company=company.name,
                )
            )

    @api.model
    def _member_pos_customer(self, config, partner_id):
        """The customer (commercial entity) the cashier may read, for the register's company."""
        partner = self.browse(partner_id).exists() if isinstance(partner_id, int) else None
        if not partner:
            raise UserError(self.env._("This customer does not exist."))
        partner.with_company(config.company_id).check_access("read")
        return partner.commercial_partner_id

    @api.model
    def pos_member_enroll(self, config_id, partner_id, consents=None):
        """Enrol the customer in the register's company and record the consent they give, at the till.

        ``consents``: the channels the customer opts in to (``["email", "sms"]``) or {channel: bool}.
        Returns the customer's refreshed member summary (``pos_member_data``). Nothing is written when a
        check fails: no membership without the consent asked for, and the other way round."""
        config = self._member_pos_session(config_id)
        company = config.company_id
        partner = self._member_pos_customer(config, partner_id)
        channels = self._member_consent_channels(consents)
        if not company.member_crm_enabled:
            raise UserError(self.env._("Membership is not turned on for %(company)s.", company=company.name))
        text = company.member_consent_text
        if channels and not (text or "").strip():
            raise UserError(
                self.env._("%(company)s has no consent text: a manager sets it in the settings.", company=company.name)
            )
        self._member_check_new_membership(partner, company)
        # sudo: the cashier has no rights on memberships and consent lines; checked above: their open
        # register, its company, a customer they may read. The consent line and the audit keep the
        # cashier as the user who recorded it (sudo keeps the user).
        with self.env.cr.savepoint():  # both or nothing, for RPC and server callers alike
            # the register that enrols the member is their home store
            self.env["member.membership"].sudo()._member_enroll(partner, company.sudo(), home_config=config)
            if channels:
                self.env["member.consent"].sudo()._member_record(
                    partner, channels, "given", "pos", text, company=company
                )
        partner.invalidate_recordset(["pos_member_data"])
        return partner.with_company(company).read(["pos_member_data"])[0]["pos_member_data"]

    @api.model
    def _member_consent_channels(self, consents):
        """The channels opted in to, from a list of channels or {channel: bool}; unknown channels are refused."""
        if isinstance(consents, dict):
            consents = [channel for channel, given in consents.items() if given]
        consents = list(consents or [])
        known = [channel for channel, _label in CHANNELS]
        unknown = [str(channel) for channel in consents if channel not in known]
        if unknown:
            raise UserError(self.env._("Unknown consent channel(s): %(channels)s", channels=", ".join(unknown)))
        return [channel for channel in known if channel in consents]


class ResCompany(models.Model):
    _inherit = "res.company"

    @api.model
    def _load_pos_data_fields(self, config):
        # the till offers enrolment only where membership is on, and shows the consent text the customer agrees to
        return [*super()._load_pos_data_fields(config), "member_crm_enabled", "member_consent_text"]
