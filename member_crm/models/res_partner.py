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
