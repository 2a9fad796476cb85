"""Consent per channel and company, opt-in, kept as a log.

Each change is a new line (who, when, from which source, the text agreed to);
the current consent of a member for a channel in a company is the latest line.
Audiences filter on it (``res.partner.member_consent_*``). Odoo's opt-out
lists stay the enforcement every sender respects, but they are global: an
address goes on ``mail.blacklist`` (a number on ``phone.blacklist``, which
serves SMS and phone alike) only when no company still holds consent for it,
and comes off when consent is given again.
"""

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from odoo.addons.base.models.ir_model import MODULE_UNINSTALL_FLAG

CHANNELS = [("email", "Email"), ("sms", "SMS"), ("phone", "Phone")]
SOURCES = [
    ("form", "Signed Form"),
    ("pos", "Point of Sale"),
    ("portal", "Customer Portal"),
    ("website", "Website"),
    ("phone", "Phone Call"),
    ("email", "Email"),
    ("import", "Import"),
    ("other", "Other"),
]
# the channels one opt-out list serves
PHONE_CHANNELS = ("sms", "phone")


class MemberConsent(models.Model):
    _name = "member.consent"
    _description = "Member Consent"
    _order = "date desc, id desc"
    _check_company_auto = True

    partner_id = fields.Many2one("res.partner", required=True, readonly=True, ondelete="cascade", index=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    channel = fields.Selection(CHANNELS, required=True, readonly=True)
    state = fields.Selection([("given", "Given"), ("withdrawn", "Withdrawn")], required=True, readonly=True)
    date = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now)
    source = fields.Selection(SOURCES, required=True, readonly=True)
    text = fields.Text(string="Text Agreed To", readonly=True)
    address = fields.Char(
        readonly=True,
        groups="member_crm.group_member_crm_officer",
        help="The email address or phone number the consent was given or withdrawn for.",
    )
    user_id = fields.Many2one("res.users", string="Recorded By", readonly=True, default=lambda self: self.env.user)

    _current_idx = models.Index("(partner_id, company_id, channel, date DESC, id DESC)")

    def write(self, vals):
        if self and not self.env.context.get("member_erasure"):
            raise UserError(self.env._("Consent lines cannot be changed: record a new consent instead."))
        return super().write(vals)

    @api.ondelete(at_uninstall=True)
    def _unlink_never(self):
        if not self.env.context.get(MODULE_UNINSTALL_FLAG):
            raise UserError(self.env._("Consent lines cannot be deleted: record a new consent instead."))

    # ------------------------------------------------------------------
    # current consent
    # ------------------------------------------------------------------
    @api.model
    def _member_held(self, partner_ids, company_ids):
        """{channel: {partner ids}} holding consent in one of ``company_ids``: one query for every channel."""
        held = {channel: set() for channel, _label in CHANNELS}
        if not partner_ids:
            return held
        self.env.flush_all()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT partner_id, channel FROM (
                    SELECT DISTINCT ON (partner_id, company_id, channel) partner_id, channel, state
                      FROM member_consent
                     WHERE partner_id = ANY(%(partners)s) AND company_id = ANY(%(companies)s)
                  ORDER BY partner_id, company_id, channel, date DESC, id DESC
                ) latest WHERE state = 'given'
                """,
                partners=list(partner_ids),
                companies=list(company_ids),
            )
        )
        for partner_id, channel in rows:
            held[channel].add(partner_id)
        return held

    @api.model
    def _member_current_sql(self, channel, company_ids):
        """SQL: ids of the partners whose latest line for ``channel`` in one of ``company_ids`` is 'given'."""
        return SQL(
            """
            SELECT partner_id FROM (
                SELECT DISTINCT ON (partner_id, company_id) partner_id, state
                  FROM member_consent
                 WHERE channel = %(channel)s AND company_id = ANY(%(companies)s)
              ORDER BY partner_id, company_id, date DESC, id DESC
            ) latest WHERE state = 'given'
            """,
            channel=channel,
            companies=list(company_ids),
        )

    @api.model
    def _member_addresses_with_consent(self, channels, addresses):
        """The addresses among ``addresses`` that some company still holds consent for (any channel given)."""
        if not addresses:
            return set()
        self.env.flush_all()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT address FROM (
                    SELECT DISTINCT ON (partner_id, company_id, channel) address, state
                      FROM member_consent
                     WHERE channel = ANY(%(channels)s) AND address = ANY(%(addresses)s)
                  ORDER BY partner_id, company_id, channel, date DESC, id DESC
                ) latest WHERE state = 'given'
                """,
                channels=list(channels),
                addresses=list(addresses),
            )
        )
        return {address for (address,) in rows}

    # ------------------------------------------------------------------
    # recording
    # ------------------------------------------------------------------
    @api.model
    def _member_record(self, partners, channels, state, source, text=None, company=None):
        """Record consent given or withdrawn for ``channels`` of ``partners`` and sync Odoo's opt-out lists."""
        company = company or self.env.company
        if state == "given" and not (text or "").strip():
            raise UserError(self.env._("Record the text the member agreed to."))
        vals_list, missing = [], []
        for partner in partners:
            for channel in channels:
                address = partner.email_normalized if channel == "email" else partner.phone_sanitized
                if not address and state == "given":
                    missing.append(partner.display_name)
                    continue
                vals_list.append(
                    {
                        "partner_id": partner.id,
                        "company_id": company.id,
                        "channel": channel,
                        "state": state,
                        "source": source,
                        "text": text,
                        "address": address or False,
                    }
                )
        if missing:
            raise UserError(
                self.env._(
                    "Consent needs an address to send to; these contacts have no valid email address or phone "
                    "number for the channel chosen: %(names)s",
                    names=", ".join(sorted(set(missing))),
                )
            )
        lines = self.create(vals_list)
        self._member_sync_blacklists(lines)
        self.env["member.audit.log"]._member_log(
            "consent",
            [
                {
                    "partner_id": line.partner_id.id,
                    "company_id": line.company_id.id,
                    "res_model": self._name,
                    "res_id": line.id,
                    "description": f"{line.channel}: {line.state} ({line.source})",
                }
                for line in lines
            ],
        )
        self.env["res.partner"].invalidate_model(["member_consent_email", "member_consent_sms", "member_consent_phone"])
        return lines

    def _member_sync_blacklists(self, lines):
        """Lift the opt-out of addresses given consent; opt out those no company holds consent for any more."""
        # sudo: the opt-out lists are global; consent of other companies decides, without showing it
        lines = lines.sudo()
        message = self.env._("Member consent recorded in Members.")
        for kind, channels in (("email", ("email",)), ("phone", PHONE_CHANNELS)):
            mine = lines.filtered(lambda line, c=channels: line.channel in c and line.address)
            given = set(mine.filtered(lambda line: line.state == "given").mapped("address"))
            withdrawn = set(mine.filtered(lambda line: line.state == "withdrawn").mapped("address")) - given
            still_held = self._member_addresses_with_consent(channels, withdrawn)
            to_block = sorted(withdrawn - still_held)
            if kind == "email":
                blacklist = self.env["mail.blacklist"].sudo()
                # mail.blacklist takes one address per call; only those actually listed are lifted
                for address in blacklist.search([("email", "in", sorted(given))]).mapped("email"):
                    blacklist._remove(address, message=message)
                for address in to_block:
                    blacklist._add(address, message=message)
            else:
                blacklist = self.env["phone.blacklist"].sudo()
                listed = blacklist.search([("number", "in", sorted(given))]).mapped("number")
                if listed:
                    blacklist._remove(listed, message=message)
                if to_block:
                    blacklist._add(to_block, message=message)
