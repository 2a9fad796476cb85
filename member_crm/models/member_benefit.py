"""Tier benefits, each delivered by an Odoo mechanism where one exists.

- discount: the tier's pricelist written on the partner (as ``partnership``
  does with grades); a pricelist set by hand is remembered and kept;
- points multiplier: a bonus on the member's card of the company's member
  loyalty program (``member.points.lot``);
- welcome / birthday gift: a coupon of a ``loyalty.program`` (type coupons)
  bound to the member and expiring after N days;
- service priority: response and resolution targets (hours) and an account
  manager, read by the complaints module of member_crm_marketing;
- early access: products flagged "members of tier >= X until date D"
  (``product.template``); the benefit describes it to members;
- custom / VIP: a description and an activity for the account manager.
"""

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from ..engine import benefits as engine

BENEFIT_TYPES = [
    ("discount", "Discount (pricelist)"),
    ("points", "Points multiplier"),
    ("welcome_gift", "Welcome gift"),
    ("birthday_gift", "Birthday gift"),
    ("service", "Service priority"),
    ("early_access", "Early access"),
    ("custom", "Custom / VIP service"),
]


class MemberBenefit(models.Model):
    _name = "member.benefit"
    _description = "Member Tier Benefit"
    _inherit = ["mail.thread"]
    _order = "company_id, sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    benefit_type = fields.Selection(BENEFIT_TYPES, string="Type", required=True, tracking=True)
    description = fields.Text(translate=True, help="What the member is told (POS, portal, sales order).")
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company, ondelete="cascade"
    )
    tier_ids = fields.Many2many(
        "member.tier",
        "member_benefit_tier_rel",
        "benefit_id",
        "tier_id",
        string="Tiers",
        check_company=True,
        tracking=True,
        help="Members of these tiers have it.",
    )
    # discount
    pricelist_id = fields.Many2one("product.pricelist", check_company=True, tracking=True)
    # points multiplier
    points_factor = fields.Float(
        string="Bonus Points per Currency Unit",
        digits=(16, 4),
        tracking=True,
        help="Bonus points = this factor x the order's qualifying untaxed amount, on top of the program's own points.",
    )
    # gifts
    gift_program_id = fields.Many2one(
        "loyalty.program",
        string="Gift Coupon Program",
        check_company=True,
        domain="[('program_type', 'in', ('coupons', 'gift_card'))]",
        help="The coupon given is a coupon of this program, bound to the member.",
    )
    gift_validity_days = fields.Integer(string="Valid for (days)", default=30)
    birthday_days_before = fields.Integer(string="Days Before Birthday", default=0)
    birthday_days_after = fields.Integer(string="Days After Birthday", default=30)
    # service priority
    response_hours = fields.Float(string="Response Target (hours)")
    resolution_hours = fields.Float(string="Resolution Target (hours)")
    user_id = fields.Many2one("res.users", string="Account Manager", check_company=True)

    _gift_validity_positive = models.Constraint(
        "CHECK(gift_validity_days >= 0 AND birthday_days_before >= 0 AND birthday_days_after >= 0)",
        "Gift validity and birthday days cannot be negative.",
    )
    _targets_positive = models.Constraint(
        "CHECK(points_factor >= 0 AND response_hours >= 0 AND resolution_hours >= 0)",
        "Points factors and service targets cannot be negative.",
    )

    @api.constrains("benefit_type", "pricelist_id", "points_factor", "gift_program_id")
    def _check_benefit_settings(self):
        for benefit in self:
            if benefit.benefit_type == "discount" and not benefit.pricelist_id:
                raise ValidationError(self.env._("Benefit %(name)s: choose the tier's pricelist.", name=benefit.name))
            if benefit.benefit_type == "discount" and not self.env["res.groups"]._is_feature_enabled(
                "product.group_product_pricelist"
            ):
                # with the feature off Odoo gives every customer the default price: the benefit would do nothing
                raise ValidationError(
                    self.env._(
                        "Benefit %(name)s: turn on Pricelists first (Sales > Configuration > Settings), "
                        "or customers will not get tier prices.",
                        name=benefit.name,
                    )
                )
            if benefit.benefit_type == "points" and benefit.points_factor <= 0:
                raise ValidationError(
                    self.env._("Benefit %(name)s: the points multiplier must be above zero.", name=benefit.name)
                )
            if benefit.benefit_type in ("welcome_gift", "birthday_gift") and not benefit.gift_program_id:
                raise ValidationError(
                    self.env._("Benefit %(name)s: choose the coupon program of the gift.", name=benefit.name)
                )

    @api.model_create_multi
    def create(self, vals_list):
        benefits = super().create(vals_list)
        benefits._member_offer_pricelists_in_pos()
        return benefits

    def write(self, vals):
        res = super().write(vals)
        if {"pricelist_id", "benefit_type", "active"} & set(vals):
            self._member_offer_pricelists_in_pos()
        return res

    def _member_offer_pricelists_in_pos(self):
        """The POS applies a customer's pricelist only if its configuration offers it: offer tier pricelists.

        Points of sale that do not use pricelists at all are left alone; Settings says so.
        """
        for benefit in self.filtered(lambda b: b.benefit_type == "discount" and b.pricelist_id and b.active):
            configs = (
                self.env["pos.config"]
                .sudo()  # configuration written on a member manager's save of the benefit
                .search([("company_id", "=", benefit.company_id.id), ("use_pricelist", "=", True)])
                .filtered(
                    lambda c, pricelist=benefit.pricelist_id: (
                        pricelist not in c.available_pricelist_ids and pricelist.currency_id == c.currency_id
                    )
                )
            )
            configs.write({"available_pricelist_ids": [fields.Command.link(benefit.pricelist_id.id)]})


class MemberBenefitGrant(models.Model):
    """Gifts and services given once: the welcome gift per member, the birthday gift per year."""

    _name = "member.benefit.grant"
    _description = "Member Benefit Granted"
    _order = "id desc"

    benefit_id = fields.Many2one("member.benefit", required=True, ondelete="cascade", readonly=True)
    benefit_type = fields.Selection(related="benefit_id.benefit_type")
    partner_id = fields.Many2one("res.partner", required=True, ondelete="cascade", readonly=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    membership_id = fields.Many2one("member.membership", ondelete="cascade", readonly=True, index=True)
    card_id = fields.Many2one("loyalty.card", string="Coupon", ondelete="set null", readonly=True)
    year = fields.Integer(readonly=True, help="Birthday gifts: the year of the birthday. Zero for one-off gifts.")
    date = fields.Date(required=True, readonly=True, default=fields.Date.context_today)

    _once = models.UniqueIndex("(benefit_id, partner_id, year)")


class MemberBenefitDelivery(models.Model):
    """Delivery of benefits when tiers change and on the birthday cron (model methods of member.benefit)."""

    _inherit = "member.benefit"

    @api.model
    def _member_deliver(self, memberships):
        """What a tier change sets off: tier pricelist, welcome gift, account manager, VIP activity."""
        memberships = memberships.filtered(lambda m: m.state == "active")
        if not memberships:
            return
        self._member_apply_pricelists(memberships)
        reached = memberships._member_moved_up()
        if reached:
            self._member_grant_gifts(reached, "welcome_gift")
            self._member_assign_services(reached)

    # -- pricelist ------------------------------------------------------
    @api.model
    def _member_apply_pricelists(self, memberships):
        """Write each member's tier pricelist on the partner, except where one was set by hand."""
        for company, company_memberships in memberships.grouped("company_id").items():
            tier_pricelists = (
                self.with_context(active_test=False)
                .search([("company_id", "=", company.id), ("benefit_type", "=", "discount")])
                .pricelist_id
            )
            if not tier_pricelists:
                continue  # no tier has (or had) a pricelist: nothing to set or take back (the review's fast path)
            partners = company_memberships.partner_id.with_company(company)
            current = {p.id: p.sudo().specific_property_product_pricelist for p in partners}
            by_pricelist = {}
            hand_set = self.env["member.membership"]
            discounts = company_memberships.tier_id._member_benefits_by_tier("discount")
            for membership in company_memberships.filtered(lambda m: not m.pricelist_manual):
                now = current[membership.partner_id.id]
                if now and now not in tier_pricelists:
                    hand_set |= membership  # set before the member had a tier pricelist: theirs, keep it
                    continue
                target = discounts.get(membership.tier_id, self.browse())[:1].pricelist_id
                if target != now:
                    by_pricelist.setdefault(target, self.env["res.partner"])
                    by_pricelist[target] |= membership.partner_id
            hand_set.write({"pricelist_manual": True})
            for pricelist, group in by_pricelist.items():
                # sudo: the tier decides the price, not the user whose order moved the member
                group.with_company(company).sudo().with_context(member_pricelist_auto=True).write(
                    {"specific_property_product_pricelist": pricelist.id}
                )

    # -- gifts ----------------------------------------------------------
    @api.model
    def _member_grant_gifts(self, memberships, benefit_type, year=0):
        """Give each member the gift benefits of their tier they have not had (per year for birthdays)."""
        by_tier = memberships.tier_id._member_benefits_by_tier(benefit_type)
        wanted = [
            (benefit, membership) for membership in memberships for benefit in by_tier.get(membership.tier_id, [])
        ]
        if not wanted:
            return self.env["member.benefit.grant"]
        Grant = self.env["member.benefit.grant"].sudo()  # grants are logged by the system, not by the user
        had = {
            (grant.benefit_id.id, grant.partner_id.id)
            for grant in Grant.search(
                [
                    ("benefit_id", "in", [b.id for b, _m in wanted]),
                    ("partner_id", "in", [m.partner_id.id for _b, m in wanted]),
                    ("year", "=", year),
                ]
            )
        }
        wanted = [(b, m) for b, m in wanted if (b.id, m.partner_id.id) not in had]
        if not wanted:
            return Grant
        today = fields.Date.context_today(self)
        cards = (
            self.env["loyalty.card"]
            .sudo()  # coupons are issued by the system; pos_loyalty creates them with sudo as well
            .create(
                [
                    {
                        "program_id": benefit.gift_program_id.id,
                        "partner_id": membership.partner_id.id,
                        "points": max(benefit.gift_program_id.reward_ids.mapped("required_points"), default=1.0),
                        "expiration_date": fields.Date.add(today, days=benefit.gift_validity_days)
                        if benefit.gift_validity_days
                        else False,
                        "member_benefit_id": benefit.id,
                    }
                    for benefit, membership in wanted
                ]
            )
        )
        return Grant.create(
            [
                {
                    "benefit_id": benefit.id,
                    "partner_id": membership.partner_id.id,
                    "company_id": membership.company_id.id,
                    "membership_id": membership.id,
                    "card_id": card.id,
                    "year": year,
                }
                for (benefit, membership), card in zip(wanted, cards, strict=True)
            ]
        )

    @api.model
    def _cron_member_birthday_gifts(self):
        benefits = self.search([("benefit_type", "=", "birthday_gift"), ("company_id.member_crm_enabled", "=", True)])
        granted = self.env["member.benefit.grant"]
        for benefit in benefits:
            today = benefit.company_id._member_today()  # the store's day, as the ledger's
            pairs = engine.birthday_month_days(today, benefit.birthday_days_before, benefit.birthday_days_after)
            self.env["res.partner"].flush_model(["birthdate_date"])
            rows = self.env.execute_query(
                SQL(
                    """
                    SELECT m.id, p.birthdate_date
                      FROM member_membership m
                      JOIN res_partner p ON p.id = m.partner_id
                     WHERE m.company_id = %(company)s AND m.state = 'active' AND m.tier_id = ANY(%(tiers)s)
                       AND p.birthdate_date IS NOT NULL
                       AND (EXTRACT(month FROM p.birthdate_date)::int, EXTRACT(day FROM p.birthdate_date)::int)
                           IN %(pairs)s
                    """,
                    company=benefit.company_id.id,
                    tiers=benefit.tier_ids.ids,
                    pairs=tuple(pairs),
                )
            )
            by_year = {}
            for membership_id, birth in rows:
                year = engine.birthday_due(birth, today, benefit.birthday_days_before, benefit.birthday_days_after)
                if year:
                    by_year.setdefault(year, []).append(membership_id)
            for year, ids in by_year.items():
                memberships = self.env["member.membership"].browse(ids)
                granted |= benefit._member_grant_gifts_of(memberships, year)
        return granted

    def _member_grant_gifts_of(self, memberships, year):
        """This birthday benefit for these memberships (the cron's per-benefit step)."""
        self.ensure_one()
        return self._member_grant_gifts(
            memberships.filtered(lambda m: self in m.tier_id.benefit_ids), self.benefit_type, year=year
        )

    # -- service priority and VIP service --------------------------------
    @api.model
    def _member_assign_services(self, memberships):
        """An account manager for members whose new tier has one; an activity for VIP services."""
        managers = {
            tier: benefits.user_id[:1]
            for tier, benefits in memberships.tier_id._member_benefits_by_tier("service").items()
        }
        by_manager = memberships.filtered(lambda m: not m.account_manager_id).grouped(
            lambda m: managers.get(m.tier_id) or self.env["res.users"]
        )
        for manager, group in by_manager.items():
            if manager:
                group.account_manager_id = manager  # one write per manager, not per member
        grants = self._member_grant_services(memberships)
        activity_type = self.env.ref("mail.mail_activity_data_todo")
        for grant in grants:
            user = grant.benefit_id.user_id or grant.membership_id.account_manager_id
            grant.membership_id.sudo().activity_schedule(
                activity_type_id=activity_type.id,
                summary=grant.benefit_id.name,
                note=grant.benefit_id.description or grant.benefit_id.name,
                user_id=user.id or self.env.uid,
            )

    @api.model
    def _member_grant_services(self, memberships):
        by_tier = memberships.tier_id._member_benefits_by_tier("custom")
        wanted = [(b, m) for m in memberships for b in by_tier.get(m.tier_id, [])]
        if not wanted:
            return self.env["member.benefit.grant"]
        Grant = self.env["member.benefit.grant"].sudo()
        had = {
            (g.benefit_id.id, g.partner_id.id)
            for g in Grant.search(
                [
                    ("benefit_id", "in", [b.id for b, _m in wanted]),
                    ("partner_id", "in", [m.partner_id.id for _b, m in wanted]),
                ]
            )
        }
        return Grant.create(
            [
                {
                    "benefit_id": b.id,
                    "partner_id": m.partner_id.id,
                    "company_id": m.company_id.id,
                    "membership_id": m.id,
                    "year": 0,
                }
                for b, m in wanted
                if (b.id, m.partner_id.id) not in had
            ]
        )
