"""Privacy on the member: consent, sensitive fields, data export (access request) and erasure."""

import json

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.fields import Domain
from odoo.tools import SQL, email_normalize_all, format_date, html_escape


# pylint: disable=consider-merging-classes-inherited
# (privacy kept apart from res_partner.py's membership fields: one concern per file)
class ResPartner(models.Model):
    _inherit = "res.partner"

    # a cashier sees the day and month (birthday greetings and gifts), never the year; the full birth
    # date stays behind member groups. The till loads it: POS users are in groups, or the till fails.
    member_birthday = fields.Char(
        compute="_compute_member_birthday",
        string="Birthday (Day and Month)",
        groups="point_of_sale.group_pos_user,member_crm.group_member_crm_user",
    )
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
        """The member's data as one JSON file (access request), streamed to the manager who asks.

        Nothing is stored: the file holds clear ID numbers and the full birth date, and an attachment would be
        readable by everybody who may read the contact. The controller builds, logs and streams the file."""
        self.ensure_one()
        partner = self.commercial_partner_id
        partner._member_check_export()
        return {"type": "ir.actions.act_url", "url": f"/member_crm/member_data/{partner.id}", "target": "self"}

    def _member_check_export(self):
        """Only a member manager exports, and only members of the companies they may see."""
        if not self.env.user.has_group("member_crm.group_member_crm_manager"):
            raise AccessError(self.env._("Only a member manager can export a member's data."))
        self.check_access("read")

    def _member_export_file(self):
        """(file name, JSON bytes) of the member's data for the download; the export is logged."""
        self.ensure_one()
        partner = self.commercial_partner_id
        partner._member_check_export()
        name = f"member-data-{partner.id}.json"
        content = json.dumps(partner._member_personal_data(), ensure_ascii=False, indent=2, default=str).encode()
        self.env["member.audit.log"]._member_log(
            "export",
            [{"partner_id": partner.id, "res_model": partner._name, "res_id": partner.id, "description": name}],
        )
        return name, content

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
                    "gender",
                    "function",
                    "comment",
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
    def _member_family(self):
        """The members and all their contacts, as superuser.

        sudo and active_test=False: an erasure must reach archived child contacts and contacts of companies the
        manager cannot see; a search with the manager's rights would leave them, names and addresses intact."""
        partners = self.commercial_partner_id
        return self.sudo().with_context(active_test=False).search([("id", "child_of", partners.ids)])

    def _member_erasure_blockers(self):
        """{partner: [reason]} for the members the law or Odoo requires to keep as they are."""
        partners = self.commercial_partner_id
        family = partners._member_family()
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
        family = partners._member_family()
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
        family._member_erase_traces()
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
                "gender": False,
                "partner_latitude": 0.0,
                "partner_longitude": 0.0,
                "active": False,
            }
        )
        # country, state and city stay: the regional figures of the reports count them, they name nobody
        for partner in family.sudo():  # one name each, so lists still tell erased members apart
            partner.with_context(tracking_disable=True).name = self.env._("Erased member %(id)s", id=partner.id)
        return True

    def _member_erase_traces(self):
        """Remove what names these contacts outside their own record: the export files and the contacts'
        attachments, their outgoing mails, their barcodes in every company, and their name, email and phone
        in the messages by, to or about them on other documents (orders, invoices).

        ``self`` is the whole family, as superuser. The documents and their messages stay (orders and invoices
        are kept by law), only the strings that identify the member are replaced. The content of files attached
        to those documents (e.g. a printed invoice) is kept as the legal record it is."""
        labels = {partner.id: self.env._("Erased member %(id)s", id=partner.id) for partner in self}
        replacements = {}
        for partner in self:
            for text, label in (
                (partner.name, labels[partner.id]),
                (partner.email, ""),
                (partner.email_normalized, ""),
                (partner.phone, ""),
                (partner.phone_sanitized, ""),
            ):
                if text and len(text.strip()) > 1:
                    replacements[text] = label
                    replacements.setdefault(str(html_escape(text)), label)
        # barcode is company-dependent: one JSONB value per company, the ORM reads and writes only the current one
        self.flush_recordset(["barcode"])
        barcodes = self.env.execute_query(
            SQL("SELECT barcode FROM res_partner WHERE id IN %s AND barcode IS NOT NULL", tuple(self.ids))
        )
        for (per_company,) in barcodes:
            replacements.update(dict.fromkeys((code for code in per_company.values() if code), ""))
        emails = [email for email in {*self.mapped("email"), *self.mapped("email_normalized")} if email]
        Attachment = self.env["ir.attachment"].sudo()
        Attachment.search(
            Domain.OR(
                [
                    [("res_model", "=", "res.partner"), ("res_id", "in", self.ids)],
                    # the access-request files, wherever they were attached (before they were streamed)
                    [("name", "in", [f"member-data-{partner_id}.json" for partner_id in self.ids])],
                ]
            )
        ).unlink()
        # ilike finds "wangli@x.com" for "li@x.com": the addresses found are compared whole, normalised
        own = {normalized for email in emails for normalized in email_normalize_all(email)}

        def addressed(records, field):
            return records.filtered(lambda r: own & set(email_normalize_all(r[field] or "")))

        Mail = self.env["mail.mail"].sudo()
        by_address = Mail.search(Domain.OR([("email_to", "ilike", email)] for email in emails)) if emails else Mail
        # unsent mails to the member
        (Mail.search([("recipient_ids", "in", self.ids)]) | addressed(by_address, "email_to")).unlink()
        documents = self._member_documents()
        Message = self.env["mail.message"].sudo()
        sent = Message.search(Domain.OR([("email_from", "ilike", email)] for email in emails)) if emails else Message
        messages = addressed(sent, "email_from") | Message.search(
            Domain.OR(
                [
                    [("author_id", "in", self.ids)],
                    [("partner_ids", "in", self.ids)],
                    *([("model", "=", model), ("res_id", "in", ids)] for model, ids in documents.items()),
                ]
            )
        )
        # files on those documents and messages stay (a signed quotation, a printed invoice): their names are
        # scrubbed like the messages
        attachments = messages.attachment_ids | Attachment.search(
            Domain.OR([("res_model", "=", model), ("res_id", "in", ids)] for model, ids in documents.items())
        )
        self._member_scrub(messages, attachments, replacements)
        self.env.execute_query(SQL("UPDATE res_partner SET barcode = NULL WHERE id IN %s", tuple(self.ids)))
        self.invalidate_recordset(["barcode"])

    def _member_documents(self):
        """{model: ids} of the documents with a chatter made out to these contacts (orders, invoices, cards)."""
        documents = {}
        for name, model in self.env.registry.items():
            field = model._fields.get("partner_id")
            if (
                model._abstract
                or model._transient
                or not model._auto
                or name == "res.partner"
                or "message_ids" not in model._fields
                or not field
                or field.type != "many2one"
                or field.comodel_name != "res.partner"
                or not field.store
            ):
                continue
            # one search per model with a chatter, not per record
            records = self.env[name].sudo().with_context(active_test=False).search([("partner_id", "in", self.ids)])
            if records:
                documents[name] = records.ids
        return documents

    @api.model
    def _member_scrub(self, messages, attachments, replacements):
        """Replace the member's strings in messages, their tracked values and notifications, and in the names
        of attachments (one query per table)."""
        if not replacements:
            return
        self.env.flush_all()
        # longest first: "Wang Fang (home)" before "Wang Fang"
        pairs = sorted(replacements.items(), key=lambda pair: -len(pair[0]))

        def scrubbed(column):
            expression = SQL.identifier(column)
            for text, label in pairs:
                expression = SQL("replace(%s, %s, %s)", expression, text, label)
            return SQL("%s = %s", SQL.identifier(column), expression)

        def update(table, columns, where):
            assignments = SQL(", ").join(scrubbed(column) for column in columns)
            self.env.execute_query(SQL("UPDATE %s SET %s WHERE %s", SQL.identifier(table), assignments, where))

        if attachments:
            update("ir_attachment", ["name", "description"], SQL("id IN %s", tuple(attachments.ids)))
        if not messages:
            self.env.invalidate_all()
            return
        ids = tuple(messages.ids)
        update(
            "mail_message",
            [
                "subject",
                "body",
                "email_from",
                "reply_to",
                "incoming_email_to",
                "incoming_email_cc",
                "outgoing_email_to",
            ],
            SQL("id IN %s", ids),
        )
        # the sender's address of the member's own messages: the author (renamed) is enough
        self.env.execute_query(
            SQL("UPDATE mail_message SET email_from = NULL WHERE id IN %s AND author_id IN %s", ids, tuple(self.ids))
        )
        update(
            "mail_tracking_value",
            ["old_value_char", "new_value_char", "old_value_text", "new_value_text"],
            SQL("mail_message_id IN %s", ids),
        )
        update("mail_notification", ["mail_email_address", "failure_reason"], SQL("mail_message_id IN %s", ids))
        self.env.invalidate_all()
