"""Privacy on the member: consent, sensitive fields, data export (access request) and erasure."""

import json

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_date


# pylint: disable=consider-merging-classes-inherited
# (privacy kept apart from res_partner.py's membership fields: one concern per file)
class ResPartner(models.Model):
    _inherit = "res.partner"

    # a cashier sees the day and month (birthday greetings and gifts), never the year: no groups here,
    # the full birth date stays behind member groups
    member_birthday = fields.Char(compute="_compute_member_birthday", string="Birthday (Day and Month)")
    member_consent_email = fields.Boolean(
        compute="_compute_member_consent",
        search="_search_member_consent_email",
        string="Email Consent",
        groups="member_crm.group_member_crm_user",
        help="Consent to marketing by email held by the current company.",
    )
    member_consent_sms = fields.Boolean(
        compute="_compute_member_consent",
        search="_search_member_consent_sms",
        string="SMS Consent",
        groups="member_crm.group_member_crm_user",
    )
    member_consent_phone = fields.Boolean(
        compute="_compute_member_consent",
        search="_search_member_consent_phone",
        string="Phone Consent",
        groups="member_crm.group_member_crm_user",
    )
    member_consent_ids = fields.One2many(
        "member.consent", "partner_id", string="Consent Log", groups="member_crm.group_member_crm_user"
    )
    member_sensitive_value_ids = fields.One2many(
        "member.sensitive.value", "partner_id", string="Sensitive Data", groups="member_crm.group_member_crm_manager"
    )

    def _compute_member_birthday(self):
        # sudo: only day and month leave this method
        for partner, birth in zip(self, self.sudo().mapped("birthdate_date"), strict=True):
            partner.member_birthday = format_date(self.env, birth, date_format="MMMM d") if birth else False

    @api.depends_context("company")
    def _compute_member_consent(self):
        held = self.env["member.consent"]._member_held(self.ids, [self.env.company.id])
        for partner in self:
            partner.member_consent_email = partner.id in held["email"]
            partner.member_consent_sms = partner.id in held["sms"]
            partner.member_consent_phone = partner.id in held["phone"]

    def _member_search_consent(self, channel, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on consent."))
        positive = (operator == "=") == value
        query = self.env["member.consent"]._member_current_sql(channel, [self.env.company.id])
        return [("id", "in" if positive else "not in", query)]

    def _search_member_consent_email(self, operator, value):
        return self._member_search_consent("email", operator, value)

    def _search_member_consent_sms(self, operator, value):
        return self._member_search_consent("sms", operator, value)

    def _search_member_consent_phone(self, operator, value):
        return self._member_search_consent("phone", operator, value)

    @api.model
    def _member_audience_domain(self, channel):
        """Contacts a campaign of the current company may reach on ``channel``: consent held, not opted out."""
        opted_out = "is_blacklisted" if channel == "email" else "phone_sanitized_blacklisted"
        return [(f"member_consent_{channel}", "=", True), (opted_out, "=", False)]

    # ------------------------------------------------------------------
    # access request
    # ------------------------------------------------------------------
    def action_member_export_data(self):
        """The member's data as one JSON file (access request), downloaded at once and logged."""
        self.ensure_one()
        self.env["member.sensitive.value"].check_access("read")
        partner = self.commercial_partner_id
        data = partner._member_personal_data()
        attachment = self.env["ir.attachment"].create(
            {
                "name": f"member-data-{partner.id}.json",
                "raw": json.dumps(data, ensure_ascii=False, indent=2, default=str).encode(),
                "mimetype": "application/json",
                "res_model": partner._name,
                "res_id": partner.id,
            }
        )
        self.env["member.audit.log"]._member_log(
            "export",
            [
                {
                    "partner_id": partner.id,
                    "res_model": "ir.attachment",
                    "res_id": attachment.id,
                    "description": attachment.name,
                }
            ],
        )
        return {"type": "ir.actions.act_url", "url": f"/web/content/{attachment.id}?download=true", "target": "self"}

    def _member_personal_data(self):
        """What the addons and Odoo hold on this member, as plain data (the companies the user may see)."""
        self.ensure_one()

        def rows(records, names):
            out = []
            for record in records:
                row = {}
                for name in names:
                    value = record[name]
                    row[name] = value.display_name if isinstance(value, models.BaseModel) else value
                out.append(row)
            return out

        partner = self.with_context(active_test=False)
        card_domain = [("partner_id", "=", partner.id)]
        return {
            "exported_at": fields.Datetime.now(),
            "exported_by": self.env.user.name,
            "contact": rows(
                partner,
                [
                    "name",
                    "email",
                    "phone",
                    "street",
                    "street2",
                    "zip",
                    "city",
                    "state_id",
                    "country_id",
                    "lang",
                    "birthdate_date",
                    "vat",
                ],
            )[0],
            "addresses": rows(partner.child_ids, ["type", "name", "email", "phone", "street", "zip", "city"]),
            "memberships": rows(
                partner.member_membership_ids,
                ["company_id", "number", "state", "member_since", "tier_id", "tier_since", "tier_protected_until"],
            ),
            "tier_history": rows(
                self.env["member.tier.history"].search([("partner_id", "=", partner.id)]),
                ["date", "company_id", "from_tier_id", "to_tier_id", "trigger", "reason"],
            ),
            "qualifying_documents": rows(
                self.env["member.ledger"].search([("partner_id", "=", partner.id)]),
                ["date", "company_id", "kind", "amount", "order_count", "source_ref", "note"],
            ),
            "loyalty_cards": rows(
                self.env["loyalty.card"].search(card_domain), ["code", "program_id", "points", "expiration_date"]
            ),
            "points_lots": rows(
                self.env["member.points.lot"].search([("card_id.partner_id", "=", partner.id)]),
                ["earned_on", "kind", "description", "points", "remaining", "expires_on"],
            ),
            "benefits_granted": rows(
                self.env["member.benefit.grant"].search([("partner_id", "=", partner.id)]), ["benefit_id", "year"]
            ),
            "consents": rows(
                self.env["member.consent"].search([("partner_id", "=", partner.id)]),
                ["date", "company_id", "channel", "state", "source", "text", "address"],
            ),
            "sensitive_data": [
                {"field": value.attribute_id.name, "value": value.value or value.locked_reason}
                for value in partner.member_sensitive_value_ids
            ],
        }

    # ------------------------------------------------------------------
    # erasure
    # ------------------------------------------------------------------
    def _member_erasure_blockers(self):
        """{partner: [reason]} for the members the law or Odoo requires to keep as they are."""
        partners = self.commercial_partner_id
        family = self.with_context(active_test=False).search([("id", "child_of", partners.ids)])
        # sudo: an obligation in any company blocks, even one the user cannot see
        moves = (
            self.env["account.move"]
            .sudo()
            ._read_group(
                [
                    ("commercial_partner_id", "in", partners.ids),
                    ("state", "=", "posted"),
                    ("move_type", "in", ("out_invoice", "out_refund")),
                    ("payment_state", "in", ("not_paid", "partial")),
                ],
                ["commercial_partner_id"],
                ["__count"],
            )
        )
        orders = (
            self.env["sale.order"]
            .sudo()
            ._read_group(
                [("partner_id", "in", family.ids), ("state", "=", "sale"), ("invoice_status", "=", "to invoice")],
                ["partner_id"],
                ["__count"],
            )
        )
        users = self.env["res.users"].sudo().with_context(active_test=False).search([("partner_id", "in", family.ids)])
        blockers = {}
        for partner, count in moves:
            blockers.setdefault(partner, []).append(
                self.env._(
                    "%(count)s open invoice(s) or credit note(s): invoices must be kept until settled.", count=count
                )
            )
        for partner, count in orders:
            blockers.setdefault(partner.commercial_partner_id, []).append(
                self.env._("%(count)s confirmed sales order(s) still to invoice.", count=count)
            )
        for user in users:
            blockers.setdefault(user.partner_id.commercial_partner_id, []).append(
                self.env._("The contact has a user account (%(login)s): remove the user first.", login=user.login)
            )
        return blockers

    def _member_erase(self, reason):
        """Anonymise members and the personal data the addons hold; orders, invoices and figures stay."""
        partners = self.commercial_partner_id
        blockers = partners._member_erasure_blockers()
        if blockers:
            reasons = "\n".join(f"- {partner.display_name}: {' '.join(why)}" for partner, why in blockers.items())
            raise UserError(self.env._("These members cannot be erased:\n%(reasons)s", reasons=reasons))
        family = self.with_context(active_test=False).search([("id", "child_of", partners.ids)])
        # sudo below: the erasure reaches records of every company and the chatter; the caller is a member
        # manager (checked by the wizard) and the trail records who did it
        self.env["member.audit.log"]._member_log(
            "erasure",
            [
                {"partner_id": partner.id, "res_model": partner._name, "res_id": partner.id, "description": reason}
                for partner in partners
            ],
        )
        self.env["member.sensitive.value"].sudo().search([("partner_id", "in", family.ids)]).unlink()
        consents = self.env["member.consent"].sudo().search([("partner_id", "in", family.ids)])
        consents.with_context(member_erasure=True).write({"address": False})
        memberships = self.env["member.membership"].sudo().search([("partner_id", "in", partners.ids)])
        memberships.with_context(tracking_disable=True).write({"state": "left", "account_manager_id": False})
        self.env["mail.message"].sudo().search(
            [
                "|",
                "&",
                ("model", "=", "res.partner"),
                ("res_id", "in", family.ids),
                "&",
                ("model", "=", "member.membership"),
                ("res_id", "in", memberships.ids),
            ]
        ).unlink()
        self.env["mail.followers"].sudo().search([("partner_id", "in", family.ids)]).unlink()
        family.sudo().with_context(tracking_disable=True).write(
            {
                "email": False,
                "phone": False,
                "street": False,
                "street2": False,
                "zip": False,
                "vat": False,
                "ref": False,
                "website": False,
                "comment": False,
                "function": False,
                "image_1920": False,
                "birthdate_date": False,
                "partner_latitude": 0.0,
                "partner_longitude": 0.0,
                "active": False,
            }
        )
        # country, state and city stay: the regional figures of the reports count them, they name nobody
        for partner in family.sudo():  # one name each, so lists still tell erased members apart
            partner.with_context(tracking_disable=True).name = self.env._("Erased member %(id)s", id=partner.id)
        return True
