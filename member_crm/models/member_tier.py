from odoo import api, fields, models, tools
from odoo.exceptions import ValidationError

from ..engine import tiers as engine

# the settings of a tier that its qualification rule reads (the simulation tries other values of them)
RULE_FIELDS = (
    "level",
    "min_spend",
    "min_orders",
    "min_category_spend",
    "min_feedback",
    "rule_operator",
    "invitation_only",
)


class MemberTier(models.Model):
    _name = "member.tier"
    _description = "Membership Tier"
    _inherit = ["mail.thread"]
    _order = "company_id, level, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True, tracking=True)
    code = fields.Char(required=True, tracking=True)
    level = fields.Integer(
        required=True,
        default=0,
        tracking=True,
        help="Position in the ladder: a higher level is a better tier. Unique per company.",
    )
    color = fields.Integer()
    active = fields.Boolean(default=True)
    description = fields.Html(translate=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company, ondelete="cascade"
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    invitation_only = fields.Boolean(
        tracking=True,
        help="Assigned by hand (e.g. Honorary): left out of the rules, never changed by the review.",
    )
    rule_operator = fields.Selection(
        [("all", "All criteria must hold"), ("any", "Any criterion is enough")],
        string="Criteria",
        default="all",
        required=True,
        tracking=True,
    )
    min_spend = fields.Monetary(
        string="Minimum Spend",
        currency_field="currency_id",
        tracking=True,
        help="Untaxed spend in the window, in company currency, net of refunds.",
    )
    min_orders = fields.Integer(string="Minimum Orders", tracking=True)
    min_category_spend = fields.Monetary(
        string="Minimum Spend in Categories", currency_field="currency_id", tracking=True
    )
    category_ids = fields.Many2many(
        "product.category",
        string="Product Categories",
        help="Purchase type: spend in these categories (and their subcategories) counts for the category criterion.",
    )
    min_feedback = fields.Integer(
        string="Minimum Feedback",
        tracking=True,
        help="Feedback given in the window (ratings, reviews, survey answers), whatever the score.",
    )
    membership_ids = fields.One2many("member.membership", "tier_id", string="Memberships")
    benefit_ids = fields.Many2many(
        "member.benefit", "member_benefit_tier_rel", "tier_id", "benefit_id", string="Benefits", check_company=True
    )
    member_count = fields.Integer(compute="_compute_member_count", compute_sudo=True)

    _code_company_uniq = models.Constraint("UNIQUE(code, company_id)", "A tier code must be unique per company.")
    _thresholds_positive = models.Constraint(
        "CHECK(min_spend >= 0 AND min_orders >= 0 AND min_category_spend >= 0 AND min_feedback >= 0)",
        "Tier thresholds cannot be negative.",
    )

    @api.depends("membership_ids.state")
    def _compute_member_count(self):
        groups = self.env["member.membership"]._read_group(
            [("tier_id", "in", self.ids), ("state", "=", "active")], ["tier_id"], ["__count"]
        )
        counts = {tier.id: count for tier, count in groups}
        for tier in self:
            tier.member_count = counts.get(tier.id, 0)

    # ------------------------------------------------------------------
    # validation: the engine decides, we translate
    # ------------------------------------------------------------------
    @api.constrains(
        *RULE_FIELDS,
        "active",
        "company_id",
    )
    def _check_ladder(self):
        # the simulation's Apply writes a whole ladder tier by tier and checks it once at the end:
        # raising Gold above today's Platinum is invalid only until Platinum is raised too
        if not self.env.context.get("member_ladder_check_deferred"):
            self._member_validate_companies(self.company_id)

    @api.model
    def _member_validate_companies(self, companies):
        for company in companies:
            rules = self._member_rules(company.id, use_cache=False)
            try:
                engine.validate_ladder(list(rules), company.member_window_months)
            except engine.LadderError as error:
                raise ValidationError(self._member_ladder_message(error)) from error

    def _member_ladder_message(self, error):
        params = error.params
        if error.code == "window":
            return self.env._("The qualification window must be at least one month, not %(months)s.", **params)
        if error.code == "same_level":
            return self.env._("Tiers %(names)s have the same level %(level)s.", **params)
        if error.code == "negative":
            return self.env._("Tier %(tier)s: %(criterion)s cannot be negative.", **params)
        if error.code == "not_increasing":
            return self.env._(
                "Tier %(higher)s must ask for more than tier %(lower)s below it: thresholds may not decrease, "
                "and at least one must increase.",
                **params,
            )
        return self.env._("Invalid tier configuration: %(error)s", error=str(error))

    # ------------------------------------------------------------------
    # rules for the engine, cached per company (read on every paid order)
    # ------------------------------------------------------------------
    @api.model
    def _member_rules(self, company_id, use_cache=True):
        """The company's active tiers as engine rules, lowest level first."""
        if use_cache:
            return self._member_rules_cached(company_id)
        # order by id, sort in Python: ordering by level would flush a pending
        # level change before the engine could refuse it with a clear message
        tiers = self.sudo().search([("company_id", "=", company_id)], order="id")
        return tuple(sorted((tier._member_rule() for tier in tiers), key=lambda rule: (rule.level, rule.key)))

    @api.model
    @tools.ormcache("company_id")
    def _member_rules_cached(self, company_id):
        return self._member_rules(company_id, use_cache=False)

    @api.model
    @tools.ormcache("company_id")
    def _member_category_tiers(self, company_id):
        """{tier id: category ids} of the tiers with purchase-type categories."""
        tiers = self.sudo().search([("company_id", "=", company_id), ("category_ids", "!=", False)])
        return {tier.id: tuple(tier.category_ids.ids) for tier in tiers}

    def _member_rule(self, values=None):
        """This tier as an engine rule: the only place a ``TierRule`` is built.

        ``values``: settings to use instead of the tier's (``level``, ``min_spend``,
        ``min_orders``, ``min_category_spend``, ``min_feedback``, ``rule_operator``,
        ``invitation_only``), as the simulation tries them. The category criterion counts
        only for a tier with categories.
        """
        self.ensure_one()
        values = values or {}

        def value(name):
            return values[name] if name in values else self[name]

        return engine.TierRule(
            key=self.id,
            level=value("level"),
            name=self.name,
            min_spend=value("min_spend"),
            min_orders=value("min_orders"),
            min_category_spend=value("min_category_spend") if self.category_ids else 0.0,
            min_feedback=value("min_feedback"),
            operator=value("rule_operator"),
            invitation_only=value("invitation_only"),
        )

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        self.env.registry.clear_cache()
        return records

    def write(self, vals):
        res = super().write(vals)
        self.env.registry.clear_cache()
        return res

    def unlink(self):
        res = super().unlink()
        self.env.registry.clear_cache()
        return res

    def action_view_members(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("member_crm.action_member_membership")
        action["domain"] = [("tier_id", "=", self.id)]
        return action

    # ------------------------------------------------------------------
    # benefits
    # ------------------------------------------------------------------
    def _member_points_factors(self):
        """{tier id: bonus factor}: the highest multiplier among the tier's active benefits."""
        factors = {}
        for tier in self:
            factors[tier.id] = max(tier._member_benefits("points").mapped("points_factor"), default=0.0)
        return factors

    def _member_benefits(self, benefit_type):
        return self.benefit_ids.filtered(lambda b: b.active and b.benefit_type == benefit_type)

    def _member_benefits_by_tier(self, benefit_type):
        """{tier: its active benefits of ``benefit_type``}, once per tier for a batch of members."""
        return {tier: tier._member_benefits(benefit_type) for tier in self}
