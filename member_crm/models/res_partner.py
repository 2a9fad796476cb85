from odoo import api, fields, models
from odoo.exceptions import UserError


class ResPartner(models.Model):
    _inherit = "res.partner"

    # Odoo core has no birth date on contacts. OCA's partner_contact_birthdate
    # (19.0) defines the same field, but it is AGPL-3 and would make this LGPL-3
    # addon AGPL-3 too. We declare the field under the very same name and type,
    # so both addons share one column when a database has them both.
    # Personal data: readable by member users only.
    birthdate_date = fields.Date(string="Birthdate", groups="member_crm.group_member_crm_user")
    # The same goes for OCA's partner_contact_gender (AGPL-3): same name, type and keys.
    gender = fields.Selection(
        [("male", "Male"), ("female", "Female"), ("other", "Other")], groups="member_crm.group_member_crm_user"
    )
    # Not stored: it changes on every birthday. Not named ``age``, which OCA's birthdate addons compute their way.
    member_age = fields.Integer(string="Age", compute="_compute_member_age", groups="member_crm.group_member_crm_user")

    member_membership_ids = fields.One2many(
        "member.membership", "partner_id", string="Memberships", groups="member_crm.group_member_crm_user"
    )
    # The current company's membership (contacts are shared between companies).
    member_membership_id = fields.Many2one(
        "member.membership",
        compute="_compute_member_fields",
        string="Membership",
        groups="member_crm.group_member_crm_user",
    )
    is_member = fields.Boolean(
        compute="_compute_member_fields",
        inverse="_inverse_is_member",
        search="_search_is_member",
        string="Member",
        groups="member_crm.group_member_crm_user",
        help="Member of the current company. Setting it enrols the contact.",
    )
    member_number = fields.Char(
        compute="_compute_member_fields", search="_search_member_number", groups="member_crm.group_member_crm_user"
    )
    member_tier_id = fields.Many2one(
        "member.tier",
        compute="_compute_member_fields",
        search="_search_member_tier_id",
        groups="member_crm.group_member_crm_user",
    )
    member_since = fields.Date(compute="_compute_member_fields", groups="member_crm.group_member_crm_user")
    member_state = fields.Selection(
        [("active", "Active"), ("suspended", "Suspended"), ("left", "Left")],
        compute="_compute_member_fields",
        groups="member_crm.group_member_crm_user",
    )

    # What the till shows when the cashier picks a customer. A cashier is not a member user: Point of
    # Sale / User alone reads it (the till loads it, so POS users must be in groups), and sees the tier,
    # points, benefits and a birthday-this-month flag, never the birth date. Other internal users do
    # not. Computed for all loaded partners at once (a few queries per load, none per partner).
    pos_member_data = fields.Json(
        compute="_compute_pos_member_data",
        string="Membership at the Till",
        groups="point_of_sale.group_pos_user,member_crm.group_member_crm_user",
    )

    @api.depends("birthdate_date")
    def _compute_member_age(self):
        today = fields.Date.context_today(self)
        for partner in self:
            birth = partner.birthdate_date
            partner.member_age = (
                today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day)) if birth else 0
            )

    @api.depends_context("company")
    def _compute_pos_member_data(self):
        company = self.env.company
        # sudo: the cashier reads a summary, not the records behind it
        memberships = (
            self.env["member.membership"]
            .sudo()
            .search(
                [
                    ("partner_id", "in", self.commercial_partner_id.ids),
                    ("company_id", "=", company.id),
                    ("state", "=", "active"),
                ]
            )
        )
        by_partner = {m.partner_id.id: m for m in memberships}
        program = company.member_loyalty_program_id
        cards = (
            self.env["loyalty.card"]
            .sudo()
            .search([("partner_id", "in", memberships.partner_id.ids), ("program_id", "=", program.id)])
            if program
            else self.env["loyalty.card"]
        )
        card_by_partner = {c.partner_id.id: c for c in cards}
        factors = memberships.tier_id._member_points_factors()
        this_month = fields.Date.context_today(self).month
        for partner in self:
            membership = by_partner.get(partner.commercial_partner_id.id)
            if not membership:
                partner.pos_member_data = False
                continue
            tier = membership.tier_id
            card = card_by_partner.get(membership.partner_id.id)
            birth = membership.partner_id.sudo().birthdate_date
            partner.pos_member_data = {
                "number": membership.number,
                "tier": tier.name or "",
                "tier_level": tier.level if tier else None,
                "tier_color": tier.color or 0,
                # the till follows pos_loyalty's live card of this program once loaded (new balance after a sale)
                "program_id": program.id or False,
                "card_id": card.id if card else False,
                "points": card.points if card else 0.0,
                "points_pending": card.member_points_pending if card else 0.0,
                "bonus_factor": factors.get(tier.id, 0.0),
                "next_tier": membership.next_tier_id.name or "",
                "next_tier_progress": round(membership.next_tier_progress, 1),
                "next_tier_spend_missing": membership.next_tier_spend_missing,
                "benefits": [
                    {"name": b.name, "type": b.benefit_type, "description": b.description or ""}
                    for b in tier.benefit_ids.filtered("active")
                ],
                "birthday_this_month": bool(birth and birth.month == this_month),
                # day and month only (member_birthday): the cashier never gets the year
                "birthday": membership.partner_id.member_birthday or "",
            }

    @api.model
    def _load_pos_data_fields(self, config):
        return [*super()._load_pos_data_fields(config), "pos_member_data"]

    @api.model
    def get_new_partner(self, config_id, domain, offset):
        """The till asks the server for partners it has not loaded: find members by member number too."""
        result = super().get_new_partner(config_id, domain, offset)
        if not offset:
            self._pos_add_members_by_number(result, config_id, domain)
        return result

    @api.model
    def _pos_add_members_by_number(self, result, config_id, domain):
        """Add to the till's search result the members whose number starts with the text typed."""
        query = self._pos_member_query(domain)
        if not query:
            return
        config = self.env["pos.config"].browse(config_id)
        partners = self.with_company(config.company_id)
        found = {partner["id"] for partner in result["res.partner"]}
        members = partners.search(
            [
                ("id", "in", partners._member_current_query([("number", "=ilike", f"{query}%")])),
                ("id", "not in", list(found)),
            ],
            limit=100,
        )
        result["res.partner"] += self._load_pos_data_read(members, config)

    @api.model
    def _pos_member_query(self, domain):
        """The text typed in the till's partner search (its domain is the same text on several fields)."""
        for leaf in domain or []:
            if isinstance(leaf, (list, tuple)) and len(leaf) == 3 and leaf[1] == "ilike" and isinstance(leaf[2], str):
                return leaf[2].rstrip("%").strip() or None
        return None

    @api.depends_context("company")
    @api.depends("member_membership_ids.state", "member_membership_ids.tier_id", "member_membership_ids.number")
    def _compute_member_fields(self):
        company = self.env.company
        memberships = (
            self.env["member.membership"]
            .sudo()
            .search([("partner_id", "in", self.commercial_partner_id.ids), ("company_id", "=", company.id)])
        )
        by_partner = {m.partner_id.id: m for m in memberships}
        for partner in self:
            membership = by_partner.get(partner.commercial_partner_id.id, memberships.browse())
            partner.member_membership_id = membership
            partner.is_member = membership.state == "active"
            partner.member_number = membership.number
            partner.member_tier_id = membership.tier_id
            partner.member_since = membership.member_since
            partner.member_state = membership.state

    def write(self, vals):
        res = super().write(vals)
        if {"property_product_pricelist", "specific_property_product_pricelist"} & set(vals):
            self._member_pricelist_written(vals)
        return res

    def _member_pricelist_written(self, vals):
        """A pricelist chosen by hand is remembered and kept by tier changes; cleared, the tier's applies again."""
        if self.env.context.get("member_pricelist_auto"):
            return
        value = vals.get("specific_property_product_pricelist", vals.get("property_product_pricelist"))
        # sudo: the salesperson who sets a price list may not read memberships
        memberships = (
            self.env["member.membership"]
            .sudo()
            .search([("partner_id", "in", self.commercial_partner_id.ids), ("company_id", "=", self.env.company.id)])
        )
        memberships.write({"pricelist_manual": bool(value)})
        if not value:
            self.env["member.benefit"].sudo()._member_apply_pricelists(
                memberships.filtered(lambda m: m.state == "active")
            )

    def _inverse_is_member(self):
        self.filtered("is_member").action_member_enroll()
        leaving = self.filtered(lambda p: not p.is_member).member_membership_id
        leaving.filtered(lambda m: m.state == "active").write({"state": "left"})

    def _search_is_member(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on Member."))
        positive = (operator == "=") == value
        members = self._member_current_query([("state", "=", "active")])
        return [("id", "in" if positive else "not in", members)]

    def _search_member_number(self, operator, value):
        return [("id", "in", self._member_current_query([("number", operator, value)]))]

    def _search_member_tier_id(self, operator, value):
        return [("id", "in", self._member_current_query([("tier_id", operator, value), ("state", "=", "active")]))]

    def _member_current_query(self, domain):
        memberships = self.env["member.membership"].sudo()._search([("company_id", "=", self.env.company.id), *domain])
        return memberships.subselect("partner_id")

    def action_member_enroll(self):
        """Enrol these contacts as members of the current company (button, import, API)."""
        company = self.env.company
        if not company.member_crm_enabled:
            raise UserError(
                self.env._(
                    "Turn membership on for %(company)s first (Members > Configuration > Settings).",
                    company=company.name,
                )
            )
        self.env["member.membership"].check_access("create")
        return self.env["member.membership"]._member_enroll(self, company)

    def action_member_view_history(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("member_crm.action_member_tier_history")
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        return action

    def action_member_view_ledger(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("member_crm.action_member_ledger")
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        return action
