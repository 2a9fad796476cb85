"""Member campaigns: an audience of members, a personal coupon each, one Odoo mailing.

The campaign chooses its members (tiers, RFM segments, region, last purchase,
birthday month, any domain), always within the channel's consent in its
company; the launch cron writes one recipient row per member (holdout
included) and issues coupons of the campaign's own loyalty program in batches,
then queues a ``mailing.mailing`` on the non-holdout recipients: traces,
opt-out and link tracking stay Odoo's.
"""

import ast
import datetime
import logging

import pytz
from markupsafe import Markup

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Domain
from odoo.tools import SQL, clean_context, html_escape

from odoo.addons.member_crm.tools.trusted import is_trusted, trusted

from ..engine import campaigns as engine

_logger = logging.getLogger(__name__)

CAMPAIGN_STATES = [
    ("draft", "Draft"),
    ("scheduled", "Scheduled"),
    ("running", "Running"),
    ("done", "Done"),
    ("cancel", "Cancelled"),
]
CAMPAIGN_TYPES = [
    ("exclusive", "Exclusive Offer"),
    ("points_exchange", "Points Exchange"),
    ("new_arrivals", "New Arrivals"),
    ("flash_sale", "Flash Sale"),
    ("birthday", "Birthday"),
    ("winback", "Win-back"),
]
CHANNELS = [("email", "Email"), ("sms", "SMS")]
MONTHS = [
    ("1", "January"),
    ("2", "February"),
    ("3", "March"),
    ("4", "April"),
    ("5", "May"),
    ("6", "June"),
    ("7", "July"),
    ("8", "August"),
    ("9", "September"),
    ("10", "October"),
    ("11", "November"),
    ("12", "December"),
]
# what the marketer may still change once the campaign is scheduled (the audience and the offer are fixed)
AUDIENCE_FIELDS = (
    "company_id",
    "campaign_type",
    "channel",
    "holdout_percent",
    "points_cost",
    "tier_ids",
    "rfm_segments",
    "country_ids",
    "state_ids",
    "last_purchase_min_days",
    "last_purchase_max_days",
    "birthday_month",
    "audience_domain",
    "coupon_discount",
)
# the window and the offer members are told about: fixed once the campaign is scheduled, for every role (a
# member manager included), except through the campaign's own flow (``CAMPAIGN_FLOW``). Refused rather than
# propagated: the mailing announces the window and may print it (``object.campaign_id.date_end``), the POS
# sessions opened since have loaded the program with its dates, the attribution counts from the send time,
# and coupons already used or expired cannot follow. Another window or offer is another campaign (or this
# one set back to draft while it is only scheduled).
WINDOW_FIELDS = ("date_start", "date_end", "campaign_type", "coupon_discount", "points_cost")
# set by the campaign's own flow only (schedule, launch cron): never by a form or an RPC write
FLOW_FIELDS = ("state", "sent_date", "mailing_id", "program_id", "launch_marker", "launch_error")
CAMPAIGN_FLOW = "member_campaign_flow"
LAUNCH_BATCH = 1000


class MemberCampaign(models.Model):
    _name = "member.campaign"
    _description = "Member Campaign"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date_start desc, id desc"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, tracking=True, index=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    user_id = fields.Many2one("res.users", string="Responsible", default=lambda self: self.env.user, tracking=True)
    state = fields.Selection(
        CAMPAIGN_STATES, default="draft", required=True, readonly=True, copy=False, tracking=True, index=True
    )
    campaign_type = fields.Selection(CAMPAIGN_TYPES, string="Type", required=True, default="exclusive", tracking=True)
    channel = fields.Selection(CHANNELS, required=True, default="email", tracking=True)
    date_start = fields.Datetime(
        string="Start",
        default=fields.Datetime.now,
        required=True,
        tracking=True,
        help="When the messages are sent; the coupons are valid from this day.",
    )
    date_end = fields.Datetime(
        string="End",
        compute="_compute_date_end",
        store=True,
        readonly=False,
        tracking=True,
        help="The last moment the coupons are valid.",
    )
    sent_date = fields.Datetime(
        string="Sent On", readonly=True, copy=False, help="When the messages went out (the holdout's reference time)."
    )
    mailing_id = fields.Many2one("mailing.mailing", readonly=True, copy=False)
    program_id = fields.Many2one(
        "loyalty.program", string="Coupon Program", readonly=True, copy=False, check_company=True
    )
    recipient_ids = fields.One2many("member.campaign.recipient", "campaign_id", string="Recipients", readonly=True)
    recipient_count = fields.Integer(compute="_compute_recipient_count", string="Recipients Count")
    coupon_count = fields.Integer(compute="_compute_recipient_count", string="Coupons Count")
    holdout_percent = fields.Float(
        string="Holdout (%)",
        default=10.0,
        help="Share of the audience kept out (no message, no coupon) to measure the campaign's incremental effect. "
        "The draw is fixed per campaign and member.",
    )
    cost_fixed = fields.Monetary(string="Fixed Cost", currency_field="currency_id")
    cost_per_message = fields.Monetary(string="Cost per Message", currency_field="currency_id")
    points_cost = fields.Integer(help="Points exchange: the points each coupon costs the member.")
    coupon_discount = fields.Float(string="Coupon Discount (%)", default=10.0)
    # audience
    tier_ids = fields.Many2many("member.tier", string="Tiers", check_company=True)
    rfm_segments = fields.Char(
        string="RFM Segments",
        help="Comma-separated RFM segment keys, e.g. important_value,important_retention.",
    )
    country_ids = fields.Many2many("res.country", string="Countries")
    state_ids = fields.Many2many("res.country.state", string="States")
    last_purchase_min_days = fields.Integer(
        string="Last Purchase at Least (days ago)", compute="_compute_type_defaults", store=True, readonly=False
    )
    last_purchase_max_days = fields.Integer(
        string="Last Purchase at Most (days ago)", compute="_compute_type_defaults", store=True, readonly=False
    )
    birthday_month = fields.Selection(MONTHS)
    audience_domain = fields.Char(string="Other Conditions", default="[]")
    preview_count = fields.Integer(string="Audience", compute="_compute_preview")
    preview_capped_count = fields.Integer(string="Left Out by the Weekly Cap", compute="_compute_preview")
    new_product_ids = fields.Many2many(
        "product.product", string="New Arrivals", compute="_compute_new_product_ids", compute_sudo=False
    )
    # the launch's stored marker: the last partner id whose recipient row (and coupon) is written
    launch_marker = fields.Integer(readonly=True, copy=False, default=0)
    launch_error = fields.Text(
        readonly=True,
        copy=False,
        help="Why the last launch attempt failed; the launch cron tries again on its next run.",
    )

    _holdout_range = models.Constraint(
        "CHECK(holdout_percent >= 0 AND holdout_percent < 100)", "The holdout is a share between 0 and 100%."
    )
    _points_cost_positive = models.Constraint("CHECK(points_cost >= 0)", "The points cost cannot be negative.")

    # ------------------------------------------------------------------
    # computes
    # ------------------------------------------------------------------
    @api.depends("recipient_ids")
    def _compute_recipient_count(self):
        Recipient = self.env["member.campaign.recipient"]
        counts = dict(Recipient._read_group([("campaign_id", "in", self.ids)], ["campaign_id"], ["__count"]))
        coupons = dict(
            Recipient._read_group(
                [("campaign_id", "in", self.ids), ("coupon_id", "!=", False)], ["campaign_id"], ["__count"]
            )
        )
        for campaign in self:
            campaign.recipient_count = counts.get(campaign, 0)
            campaign.coupon_count = coupons.get(campaign, 0)

    @api.depends("campaign_type", "date_start")
    def _compute_date_end(self):
        for campaign in self:
            start = campaign.date_start or fields.Datetime.now()
            if campaign.campaign_type == "flash_sale":
                campaign.date_end = start + datetime.timedelta(hours=engine.FLASH_SALE_HOURS)
            elif not campaign.date_end or campaign.date_end <= start:
                campaign.date_end = start + datetime.timedelta(days=engine.BIRTHDAY_DAYS * 2 + 16)

    @api.depends("campaign_type")
    def _compute_type_defaults(self):
        for campaign in self:
            if campaign.campaign_type == "winback":
                campaign.last_purchase_min_days, campaign.last_purchase_max_days = engine.WINBACK_DAYS
            else:
                campaign.last_purchase_min_days = campaign.last_purchase_min_days or 0
                campaign.last_purchase_max_days = campaign.last_purchase_max_days or 0

    @api.depends(lambda self: [*AUDIENCE_FIELDS, "date_start"])
    def _compute_preview(self):
        for campaign in self:
            if not campaign.company_id:
                campaign.preview_count = campaign.preview_capped_count = 0
                continue
            Partner = campaign._member_partner_model()
            uncapped = Partner.search_count(campaign._member_audience(capped=False))
            campaign.preview_count = Partner.search_count(campaign._member_audience())
            campaign.preview_capped_count = uncapped - campaign.preview_count

    @api.depends("campaign_type", "company_id")
    def _compute_new_product_ids(self):
        for campaign in self:
            campaign.new_product_ids = (
                campaign._member_new_products() if campaign.campaign_type == "new_arrivals" else False
            )

    # ------------------------------------------------------------------
    # constraints and guards
    # ------------------------------------------------------------------
    @api.constrains("date_start", "date_end")
    def _check_window(self):
        for campaign in self:
            if campaign.date_end and campaign.date_start and campaign.date_end <= campaign.date_start:
                raise ValidationError(self.env._("A campaign's end must come after its start."))

    @api.constrains("audience_domain")
    def _check_audience_domain(self):
        for campaign in self:
            campaign._member_extra_domain()
        self._member_check_audience_access()

    def _member_check_audience_access(self):
        """The launch searches the audience as the system: its domain may only name what its author may read
        (a member manager's fields would otherwise be probed through the recipients)."""
        if self.env.uid == SUPERUSER_ID:
            return
        # constraints run as sudo: search as the user behind it
        Partner = self.env["res.partner"].sudo(False)
        for campaign in self:
            Partner.with_company(campaign.company_id).search_count(campaign._member_extra_domain(), limit=1)

    @api.constrains("rfm_segments")
    def _check_rfm_segments(self):
        known = {key for key, _label in self._member_rfm_selection()}
        for campaign in self:
            unknown = set(campaign._member_rfm_keys()) - known
            if unknown:
                raise ValidationError(self.env._("Unknown RFM segments: %(keys)s", keys=", ".join(sorted(unknown))))

    @api.model_create_multi
    def create(self, vals_list):
        self._member_check_flow_fields({name for vals in vals_list for name, value in vals.items() if value})
        # nor through the context: an RPC caller's ``default_state`` or ``default_program_id`` would fill the flow
        # fields after the check (a kanban grouped by state passes ``default_state`` too: dropped, not refused)
        return super(MemberCampaign, self._member_without_flow_defaults()).create(vals_list)

    def _member_without_flow_defaults(self):
        if (
            self.env.su
            or is_trusted(self.env, CAMPAIGN_FLOW)
            or self.env.user.has_group("member_crm.group_member_crm_manager")
        ):
            return self
        names = {f"default_{name}" for name in (*FLOW_FIELDS, *self._member_computed_defaults())}
        return self.with_env(self.env(context={k: v for k, v in self.env.context.items() if k not in names}))

    @api.model
    def _member_computed_defaults(self):
        """Fields only the campaign's own code fills (the results addon's figures add theirs)."""
        return ()

    def _member_check_flow_fields(self, names):
        if (
            set(names) & set(FLOW_FIELDS)
            and not self.env.su
            and not is_trusted(self.env, CAMPAIGN_FLOW)
            # a member manager may repair a campaign by hand (as member cards)
            and not self.env.user.has_group("member_crm.group_member_crm_manager")
        ):
            raise AccessError(
                self.env._("A campaign's state, mailing, coupon program and launch are set by its own buttons.")
            )

    def _member_flow(self):
        """These campaigns, allowed to write their flow fields (``FLOW_FIELDS``)."""
        return self.with_context(**trusted(CAMPAIGN_FLOW))

    def write(self, vals):
        self._member_check_flow_fields(vals)
        self._member_check_fixed_fields(vals)
        res = super().write(vals)
        if {"date_start", "date_end", "name"} & set(vals):
            self.filtered("program_id")._member_sync_program()
        return res

    def _member_check_fixed_fields(self, names):
        """Once scheduled, the window, type and reward (``WINDOW_FIELDS``) and the audience (``AUDIENCE_FIELDS``)
        stay: refused for every role, a member manager and sudo included; only the flow may write them."""
        if is_trusted(self.env, CAMPAIGN_FLOW):
            return
        names = set(names)
        launched = self.filtered(lambda c: c.state in ("scheduled", "running", "done"))
        if names & set(WINDOW_FIELDS) and launched:
            raise UserError(
                self.env._(
                    "The campaign %(name)s is scheduled or launched: its dates, type and reward stay as announced "
                    "to its members. Set it back to draft while it is only scheduled, or start a new campaign.",
                    name=launched[0].name,
                )
            )
        if names & set(AUDIENCE_FIELDS) and self.filtered(lambda c: c.state not in ("draft", "cancel")):
            raise UserError(
                self.env._("A scheduled or launched campaign keeps its audience and offer: set it back to draft first.")
            )

    @api.ondelete(at_uninstall=False)
    def _unlink_only_draft(self):
        if self.filtered(lambda c: c.state not in ("draft", "cancel")):
            raise UserError(self.env._("Only draft or cancelled campaigns can be deleted."))

    # ------------------------------------------------------------------
    # audience
    # ------------------------------------------------------------------
    @api.model
    def _member_rfm_selection(self):
        field = self.env["res.partner"]._fields.get("member_rfm_segment")
        return field._description_selection(self.env) if field else []

    def _member_rfm_keys(self):
        self.ensure_one()
        return [key.strip() for key in (self.rfm_segments or "").split(",") if key.strip()]

    def _member_extra_domain(self):
        self.ensure_one()
        text = (self.audience_domain or "").strip()
        if not text:
            return Domain.TRUE
        try:
            domain = Domain(ast.literal_eval(text))
            domain.validate(self.env["res.partner"])
        except (ValueError, SyntaxError, TypeError) as error:
            raise ValidationError(
                self.env._("The campaign's other conditions are not a valid domain: %(error)s", error=error)
            ) from error
        return domain

    def _member_partner_model(self):
        """res.partner in the campaign's company: consent and RFM fields read ``env.company``."""
        self.ensure_one()
        return self.env["res.partner"].with_company(self.company_id)

    def _member_local_start(self):
        self.ensure_one()
        tz = pytz.timezone(self.company_id._member_tz() or "UTC")
        return pytz.utc.localize(self.date_start or fields.Datetime.now()).astimezone(tz)

    def _member_audience(self, capped=True):
        """The campaign's audience as a res.partner domain, to evaluate in its company
        (``_member_partner_model``): active members of the company, the chosen criteria, the channel's
        consent and opt-out lists, and (``capped``) the weekly cap on messages."""
        self.ensure_one()
        company = self.company_id
        Partner = self._member_partner_model()
        membership_domain = Domain([("company_id", "=", company.id), ("state", "=", "active")])
        if self.tier_ids:
            membership_domain &= Domain("tier_id", "in", self.tier_ids.ids)
        memberships = self.env["member.membership"].with_company(company)._search(membership_domain)
        domain = Domain("id", "in", memberships.subselect("partner_id"))
        segments = self._member_rfm_keys()
        if segments and "member_rfm_segment" in Partner._fields:
            domain &= Domain("member_rfm_segment", "in", segments)
        if self.country_ids:
            domain &= Domain("country_id", "in", self.country_ids.ids)
        if self.state_ids:
            domain &= Domain("state_id", "in", self.state_ids.ids)
        if self.last_purchase_min_days or self.last_purchase_max_days:
            domain &= Domain("id", "in", self._member_last_purchase_sql())
        if self.birthday_month or self.campaign_type == "birthday":
            self.env["res.partner"].flush_model(["birthdate_date"])
        if self.birthday_month:
            domain &= Domain(
                "id",
                "in",
                SQL(
                    "SELECT id FROM res_partner WHERE EXTRACT(MONTH FROM birthdate_date) = %s",
                    int(self.birthday_month),
                ),
            )
        if self.campaign_type == "birthday":
            pairs = engine.birthday_days(self._member_local_start().date())
            domain &= Domain(
                "id",
                "in",
                SQL(
                    "SELECT id FROM res_partner WHERE to_char(birthdate_date, 'MM-DD') = ANY(%s)",
                    [f"{month:02d}-{day:02d}" for month, day in pairs],
                ),
            )
        if self.campaign_type == "points_exchange" and self.points_cost:
            domain &= Domain("id", "in", self._member_points_sql())
        domain &= self._member_extra_domain()
        domain &= Domain(Partner._member_audience_domain(self.channel))
        if capped:
            cap = company.member_campaign_weekly_cap
            if cap:
                domain &= Domain("id", "not in", self._member_capped_sql(cap))
        return domain

    def _member_last_purchase_sql(self):
        """Members whose last net order (ledger: an order not cancelled) is between the min and max days ago."""
        today = self.company_id._member_today()
        latest = today - datetime.timedelta(days=self.last_purchase_min_days or 0)
        earliest = today - datetime.timedelta(days=self.last_purchase_max_days) if self.last_purchase_max_days else None
        self.env["member.ledger"].flush_model()
        return SQL(
            """
            SELECT l.partner_id FROM member_ledger l
             WHERE l.company_id = %(company)s AND l.kind = 'order'
               AND NOT EXISTS (SELECT 1 FROM member_ledger x
                                WHERE x.kind = 'cancel' AND x.source_model = l.source_model
                                  AND x.source_id = l.source_id AND x.revision = l.revision)
          GROUP BY l.partner_id
            HAVING max(l.date) <= %(latest)s AND (%(earliest)s::date IS NULL OR max(l.date) >= %(earliest)s::date)
            """,
            company=self.company_id.id,
            latest=latest,
            earliest=earliest,
        )

    def _member_points_sql(self):
        """Members whose card of the company's member program holds at least the points cost."""
        program = self.company_id.member_loyalty_program_id
        self.env["loyalty.card"].flush_model(["partner_id", "program_id", "points"])
        return SQL(
            "SELECT partner_id FROM loyalty_card WHERE program_id = %s AND points >= %s AND partner_id IS NOT NULL",
            program.id or 0,
            self.points_cost,
        )

    def _member_capped_sql(self, cap):
        """Members who already had ``cap`` campaign messages in the last 7 days (all campaigns but this one)."""
        self.env["member.campaign.recipient"].flush_model(["campaign_id", "partner_id", "holdout"])
        self.flush_model(["state", "sent_date", "date_start"])
        return SQL(
            """
            SELECT r.partner_id FROM member_campaign_recipient r
              JOIN member_campaign c ON c.id = r.campaign_id
             WHERE NOT r.holdout AND c.id != %(campaign)s AND c.state IN ('running', 'done')
               AND COALESCE(c.sent_date, c.date_start) > %(since)s
          GROUP BY r.partner_id HAVING count(*) >= %(cap)s
            """,
            campaign=self._origin.id or 0,
            since=fields.Datetime.now() - datetime.timedelta(days=7),
            cap=cap,
        )

    def _member_new_products(self):
        """Products for sale created in the last 30 days (new arrivals)."""
        since = fields.Datetime.now() - datetime.timedelta(days=engine.NEW_ARRIVAL_DAYS)
        return self.env["product.product"].search(
            [
                ("sale_ok", "=", True),
                ("create_date", ">=", since),
                ("company_id", "in", [False, self.company_id.id]),
            ]
        )

    def action_preview_members(self):
        """The audience as a partner list (the count is ``preview_count``): a domain on the audience itself
        (``res.partner.member_campaign_audience_id``), never the list of its ids, so a big audience opens as
        fast as a small one and pages through the list view."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Audience of %(name)s", name=self.name),
            "res_model": "res.partner",
            "view_mode": "list,form",
            "domain": [("member_campaign_audience_id", "=", self.id)],
            "context": {"allowed_company_ids": [self.company_id.id]},
        }

    def action_view_recipients(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Recipients"),
            "res_model": "member.campaign.recipient",
            "view_mode": "list,form",
            "domain": [("campaign_id", "=", self.id)],
        }

    def action_view_coupons(self):
        """The campaign's coupons as its recipients with their codes: the campaign role reads no loyalty cards."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Coupons"),
            "res_model": "member.campaign.recipient",
            "view_mode": "list,form",
            "domain": [("campaign_id", "=", self.id), ("coupon_id", "!=", False)],
        }

    # ------------------------------------------------------------------
    # states
    # ------------------------------------------------------------------
    def action_schedule(self):
        """draft -> scheduled: the coupon program and the mailing exist from now on (the POS loads the program
        when a session opens; the marketer edits the mailing's body); the launch cron sends at the start."""
        self.check_access("write")
        for campaign in self:
            if campaign.state != "draft":
                raise UserError(self.env._("Only a draft campaign can be scheduled."))
            campaign._member_check_ready()
            campaign._member_check_audience_access()
            if campaign.program_id:
                campaign._member_resync_program()
            else:
                campaign._member_flow().program_id = campaign._member_create_program()
            if not campaign.mailing_id:
                campaign._member_flow().mailing_id = campaign._member_create_mailing()
        self._member_flow().write({"state": "scheduled"})
        cron = self.env.ref("member_crm_marketing.ir_cron_member_campaign_launch", raise_if_not_found=False)
        if cron:
            cron.sudo()._trigger(self.mapped("date_start"))
        return True

    def action_draft(self):
        if self.filtered(lambda c: c.state not in ("scheduled", "cancel")):
            raise UserError(self.env._("Only a scheduled or cancelled campaign can go back to draft."))
        self._member_flow().write({"state": "draft"})

    def action_cancel(self):
        if self.filtered(lambda c: c.state in ("running", "done")):
            raise UserError(self.env._("A launched campaign cannot be cancelled."))
        self.mailing_id.filtered(lambda m: m.state in ("draft", "in_queue")).action_cancel()
        self._member_flow().write({"state": "cancel"})

    def _member_check_ready(self):
        self.ensure_one()
        if not self.company_id.member_crm_enabled:
            raise UserError(self.env._("Members are not enabled in %(company)s.", company=self.company_id.name))
        if self.campaign_type == "points_exchange":
            if self.points_cost <= 0:
                raise UserError(self.env._("A points exchange needs the points each coupon costs."))
            if not self.company_id.member_loyalty_program_id:
                raise UserError(self.env._("A points exchange needs the company's member points program."))
        if self.coupon_discount <= 0 or self.coupon_discount > 100:
            raise UserError(self.env._("The coupon discount is a percentage between 0 and 100."))

    # ------------------------------------------------------------------
    # coupon program and mailing
    # ------------------------------------------------------------------
    def _member_window_dates(self):
        """The coupon window as the company's local dates (loyalty checks dates in the company's time zone)."""
        tz = pytz.timezone(self.company_id._member_tz() or "UTC")
        start = pytz.utc.localize(self.date_start).astimezone(tz).date()
        end = pytz.utc.localize(self.date_end).astimezone(tz).date() if self.date_end else False
        return start, end

    def _member_reward_vals(self):
        """The coupon's reward: the campaign's discount, on the whole order or (new arrivals) on the new products."""
        self.ensure_one()
        reward = {
            "reward_type": "discount",
            "discount": self.coupon_discount,
            "discount_mode": "percent",
            "discount_applicability": "order",
            "discount_product_ids": [fields.Command.clear()],
            "required_points": 1,
        }
        if self.campaign_type == "new_arrivals":
            products = self._member_new_products()
            if products:
                reward.update(
                    discount_applicability="specific", discount_product_ids=[fields.Command.set(products.ids)]
                )
        return reward

    def _member_program_vals(self):
        self.ensure_one()
        date_from, date_to = self._member_window_dates()
        reward = self._member_reward_vals()
        return {
            "name": self.name,
            "program_type": "coupons",
            "company_id": self.company_id.id,
            "trigger": "with_code",
            "applies_on": "current",
            "portal_visible": False,
            "pos_ok": True,
            "sale_ok": True,
            "date_from": date_from,
            "date_to": date_to,
            "rule_ids": [fields.Command.clear()],
            "reward_ids": [fields.Command.clear(), fields.Command.create(reward)],
            # no per-card creation mail: the campaign's mailing carries the code
            "communication_plan_ids": [fields.Command.clear()],
        }

    def _member_create_program(self):
        # sudo: the campaign's own coupon program, created by the campaign role (loyalty programs are a sales
        # or POS manager's otherwise); its members' coupons are bound to them. clean_context: none of the
        # caller's default_* keys reach the program.
        return (
            self.env["loyalty.program"]
            .sudo()
            .with_context(clean_context(self.env.context))
            .create(self._member_program_vals())
        )

    def _member_resync_program(self):
        """(Re)scheduling a campaign that already has its program (set back to draft, then changed): the program
        follows the campaign's reward, type and window again, its one reward updated in place. Once coupons of
        it exist, members hold the offer as it was: a changed reward is refused (the window and name still
        follow, as ``_member_sync_program``)."""
        self.ensure_one()
        program = self.program_id.sudo()  # sudo: see _member_create_program
        reward = program.reward_ids
        coupons = self.env["loyalty.card"].sudo().search_count([("program_id", "=", program.id)], limit=1)
        if coupons:
            expected = self._member_reward_vals()
            if (reward.mapped("discount"), reward.mapped("discount_applicability")) != (
                [expected["discount"]],
                [expected["discount_applicability"]],
            ):
                raise UserError(
                    self.env._(
                        "The coupons of %(name)s are already issued with their reward: its type and discount "
                        "cannot change any more. Start a new campaign for another offer.",
                        name=self.name,
                    )
                )
            self._member_sync_program()
            return
        vals = self._member_program_vals()
        if len(reward) == 1:
            vals["reward_ids"] = [fields.Command.update(reward.id, self._member_reward_vals())]
        program.with_context(clean_context(self.env.context)).write(vals)

    def _member_sync_program(self):
        for campaign in self:
            date_from, date_to = campaign._member_window_dates()
            # sudo: see _member_create_program
            campaign.program_id.sudo().write({"name": campaign.name, "date_from": date_from, "date_to": date_to})

    def _member_default_body(self):
        """A starting body per type; the marketer edits it in the mailing."""
        self.ensure_one()
        intro = {
            "exclusive": self.env._("An exclusive offer for you as a member."),
            "points_exchange": self.env._("Your points have been exchanged for a coupon."),
            "new_arrivals": self.env._("New arrivals are in store."),
            "flash_sale": self.env._("Flash sale: 48 hours only."),
            "birthday": self.env._("Happy birthday!"),
            "winback": self.env._("We miss you: come back with this offer."),
        }[self.campaign_type]
        if self.channel == "sms":
            return f"{intro} {self.env._('Your code:')} {{{{ object.coupon_code }}}}"
        products = ""
        if self.campaign_type == "new_arrivals":
            names = self._member_new_products()[:10].mapped("display_name")
            products = "".join(f"<li>{html_escape(name)}</li>" for name in names)
            products = f"<ul>{products}</ul>" if products else ""
        return Markup(
            '<div style="margin: 0px; padding: 0px;"><p>{hello} <t t-out="object.partner_id.name"/>,</p>'
            '<p>{intro}</p>{products}<p>{code_label} <strong t-out="object.coupon_code"/></p>'
            '<p style="font-size: 11px;"><a href="/unsubscribe_from_list">{unsubscribe}</a></p></div>'
        ).format(
            hello=self.env._("Hello"),
            intro=intro,
            products=Markup(products),
            code_label=self.env._("Your personal code:"),
            unsubscribe=self.env._("Unsubscribe"),
        )

    def _member_mailing_domain(self):
        return repr([("campaign_id", "=", self.id), ("holdout", "=", False)])

    def _member_create_mailing(self):
        self.ensure_one()
        vals = {
            "subject": self.name,
            "mailing_model_id": self.env["ir.model"]._get_id("member.campaign.recipient"),
            "mailing_domain": self._member_mailing_domain(),
            "user_id": self.user_id.id or self.env.user.id,
            "schedule_type": "scheduled",
            "schedule_date": self.date_start,
        }
        body = self._member_default_body()
        if self.channel == "sms":
            vals.update(mailing_type="sms", body_plaintext=body, sms_allow_unsubscribe=True)
        else:
            vals.update(mailing_type="mail", body_arch=body, body_html=body)
        return self.env["mailing.mailing"].create(vals)

    def _member_send_time(self):
        """When the mailing may go: the campaign's start; an SMS not in the company's local quiet hours (then at
        their end)."""
        self.ensure_one()
        when = self.date_start or fields.Datetime.now()
        if self.channel != "sms":
            return when
        company = self.company_id
        tz = pytz.timezone(company._member_tz() or "UTC")
        local = pytz.utc.localize(max(when, fields.Datetime.now())).astimezone(tz).replace(tzinfo=None)
        allowed = engine.next_allowed(local, company.member_sms_quiet_start, company.member_sms_quiet_end)
        return tz.localize(allowed).astimezone(pytz.utc).replace(tzinfo=None) if allowed != local else when

    # ------------------------------------------------------------------
    # launch (cron)
    # ------------------------------------------------------------------
    @api.model
    def _cron_member_campaign_launch(self, batch_size=LAUNCH_BATCH):
        """scheduled -> running at the start; one batch of recipients and coupons per step (committed each),
        then the mailing is queued; running -> done when the mailing is done."""
        Cron = self.env["ir.cron"]
        while True:
            processed, remaining = self._member_launch_step(batch_size)
            time_left = Cron._commit_progress(processed, remaining=remaining)
            if not remaining or time_left <= 0:
                return  # the scheduler calls again while something remains

    @api.model
    def _member_launch_step(self, batch_size=LAUNCH_BATCH):
        """One step of the launch cron: returns (items processed, items left to do, 0 when finished).

        Each campaign's batch runs in its own savepoint (``_member_launch_one``): one that fails is rolled back,
        noted on itself and passed over, and no longer holds up the campaigns after it; it comes last while
        its error stands, and is tried again on the cron's next run."""
        now = fields.Datetime.now()
        due = self.search([("state", "=", "scheduled"), ("date_start", "<=", now)])
        if due:
            due._member_flow().write({"state": "running"})
        running = self.search([("state", "=", "running")], order="date_start, id")
        finishing = running.filtered(lambda c: c.mailing_id.state == "done")
        for campaign in finishing:
            campaign._member_flow().write(
                {"state": "done", "sent_date": campaign.mailing_id.sent_date or campaign.sent_date}
            )
        # sorted() is stable: oldest first, the campaigns whose last attempt failed after the others
        for campaign in (running - finishing).sorted(lambda c: bool(c.launch_error)):
            if campaign.mailing_id and campaign.mailing_id.state != "draft":
                continue  # queued: Odoo's mailing queue sends it
            processed = campaign._member_launch_one(batch_size)
            if processed:
                return processed, 1
        return 0, 0

    def _member_launch_one(self, batch_size=LAUNCH_BATCH):
        """The next batch of this campaign (or, all written, its mailing queued) in a savepoint. Returns how much
        was done, 0 when it failed: then nothing of the batch stays, the error is logged, posted on the
        campaign's chatter (once per distinct error) and kept in ``launch_error`` until a later attempt
        succeeds."""
        self.ensure_one()
        # its own prefetch set: a field computed for it (the preview counts) is not computed for the other
        # running campaigns too, where a broken one would fail this one
        campaign = self.with_prefetch()
        try:
            with self.env.cr.savepoint():
                processed = campaign._member_launch_batch(batch_size)
                if not processed:
                    campaign._member_launch_finish()
                    processed = 1
                if campaign.launch_error:
                    campaign._member_flow().launch_error = False
                return processed
        except Exception as error:  # pylint: disable=broad-exception-caught
            # any failure of one campaign (bad data, a module gone, a bug): the others must still launch
            _logger.exception("Launch of member campaign %s (id %s) failed", self.name, self.id)
            self._member_launch_failed(error)
            return 0

    def _member_launch_failed(self, error):
        self.ensure_one()
        message = str(error) or error.__class__.__name__
        if message == self.launch_error:
            return  # said already: one chatter message per distinct error, not one per cron step
        self._member_flow().launch_error = message
        self.message_post(
            body=self.env._(
                "The launch failed and was rolled back: %(error)s. The launch cron tries again on its next run; "
                "the other campaigns go on.",
                error=message,
            )
        )

    def _member_launch_batch(self, batch_size=LAUNCH_BATCH):
        """Recipients and coupons for the next ``batch_size`` members after the marker, then coupons for any
        recipient left without one (a crash between two steps). Returns how many members were processed."""
        self.ensure_one()
        Partner = self._member_partner_model().sudo()  # sudo: the cron's audience, the campaign role's own
        partners = Partner.search(
            self._member_audience() & Domain("id", ">", self.launch_marker), order="id", limit=batch_size
        )
        if partners:
            self._member_add_recipients(partners)
            self._member_flow().launch_marker = partners[-1].id
            return len(partners)
        return self._member_issue_coupons(batch_size)

    def _member_add_recipients(self, partners):
        """One recipient row per member (UNIQUE per campaign), the holdout drawn, coupons for the others."""
        self.ensure_one()
        Recipient = self.env["member.campaign.recipient"].sudo()
        existing = set(
            Recipient.search([("campaign_id", "=", self.id), ("partner_id", "in", partners.ids)]).partner_id.ids
        )
        partners = partners.filtered(lambda p: p.id not in existing)
        if not partners:
            return Recipient
        memberships = (
            self.env["member.membership"]
            .sudo()
            .search([("partner_id", "in", partners.ids), ("company_id", "=", self.company_id.id)])
        )
        by_partner = {m.partner_id.id: m for m in memberships}
        holdout = {p.id for p in partners if engine.is_holdout(self.id, p.id, self.holdout_percent)}
        if self.campaign_type == "points_exchange":
            partners = self._member_spend_points(partners.filtered(lambda p: p.id not in holdout)) | partners.filtered(
                lambda p: p.id in holdout
            )
        # no "created" message per recipient: a launch writes 100,000 of them
        recipients = Recipient.with_context(tracking_disable=True, mail_create_nolog=True).create(
            [
                {
                    "campaign_id": self.id,
                    "partner_id": partner.id,
                    "company_id": self.company_id.id,
                    "membership_id": by_partner.get(partner.id, memberships.browse()).id,
                    "tier_id": by_partner.get(partner.id, memberships.browse()).tier_id.id,
                    "holdout": partner.id in holdout,
                }
                for partner in partners.sorted("id")
            ]
        )
        recipients.filtered(lambda r: not r.holdout)._member_issue_coupons()
        return recipients

    def _member_issue_coupons(self, batch_size=LAUNCH_BATCH):
        """Coupons for the campaign's non-holdout recipients that have none yet (crash-resume)."""
        self.ensure_one()
        missing = (
            self.env["member.campaign.recipient"]
            .sudo()
            .search(
                [("campaign_id", "=", self.id), ("holdout", "=", False), ("coupon_id", "=", False)],
                limit=batch_size,
            )
        )
        missing._member_issue_coupons()
        return len(missing)

    def _member_spend_points(self, partners):
        """Points exchange: take the points cost from each member's card (kind 'spend'), in one batch.

        The released balance must cover it (never a debt): members it does not cover are left out, and
        said so in the chatter. Returns the partners whose points were taken."""
        self.ensure_one()
        if not partners:
            return partners
        program = self.company_id.member_loyalty_program_id
        Card = self.env["loyalty.card"].sudo()
        cards = Card._member_existing_cards([(p.id, program.id) for p in partners])
        Lot = self.env["member.points.lot"].sudo()
        entries = [
            {
                "card": cards[(partner.id, program.id)],
                "points": float(self.points_cost),
                "kind": "spend",
                "description": self.env._("Points exchange: %(campaign)s", campaign=self.name),
                "source": (self._name, self.id),
            }
            for partner in partners
            if (partner.id, program.id) in cards and cards[(partner.id, program.id)].points >= self.points_cost
        ]
        covered = partners.browse([entry["card"].partner_id.id for entry in entries])
        try:
            with self.env.cr.savepoint():
                Lot._member_points_spend(entries)
        except UserError:
            # a balance changed since the audience was read: spend one by one, leave out the short ones
            covered = partners.browse()
            for entry in entries:
                try:
                    with self.env.cr.savepoint():
                        Lot._member_points_spend([entry])
                    covered |= entry["card"].partner_id
                except UserError:
                    continue
        short = partners - covered
        if short:
            self.message_post(
                body=self.env._(
                    "%(count)s members left out of the points exchange: their released points balance is short.",
                    count=len(short),
                )
            )
        return covered

    def _member_launch_finish(self):
        """All recipients written: queue the mailing (outside SMS quiet hours) and note the counts."""
        self.ensure_one()
        if not self.mailing_id:
            self._member_flow().mailing_id = self._member_create_mailing()
        send_at = self._member_send_time()
        self.mailing_id.sudo().write({"schedule_type": "scheduled", "schedule_date": send_at})
        self.mailing_id.sudo().with_context(**trusted(CAMPAIGN_FLOW)).action_put_in_queue()
        self._member_flow().sent_date = send_at
        capped = self.preview_capped_count
        body = self.env._(
            "Launched: %(recipients)s recipients, %(holdout)s held out, %(coupons)s coupons.",
            recipients=self.recipient_count,
            holdout=len(self.recipient_ids.filtered("holdout")),
            coupons=self.coupon_count,
        )
        if capped:
            body += " " + self.env._("%(count)s members left out by the weekly cap on messages.", count=capped)
        self.message_post(body=body)
