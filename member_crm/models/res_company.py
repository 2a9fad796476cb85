import re

import pytz

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.fields import Command
from odoo.tools import SQL

# The seed's ladder (12-month rolling window, untaxed spend / orders), created
# when a manager first turns membership on in a company that has no tier.
DEFAULT_LADDER = (
    # code, English, Chinese, level, spend, orders, color, invitation only
    ("STD", "Standard", "普通", 0, 0, 0, 0, False),
    ("GOLD", "Gold", "黄金", 10, 2000, 3, 3, False),
    ("PLAT", "Platinum", "铂金", 20, 8000, 6, 9, False),
    ("DIA", "Diamond", "钻石", 30, 20000, 10, 4, False),
    ("BLACK", "Black", "黑卡", 40, 50000, 15, 11, False),
    ("HON", "Honorary", "荣誉", 50, 0, 0, 1, True),
)
# service benefit of the default tiers: response / resolution targets in working hours (complaints
# of member_crm_marketing count them on the service team's calendar)
DEFAULT_SERVICE_HOURS = {
    "STD": (24, 72),
    "GOLD": (8, 48),
    "PLAT": (8, 36),
    "DIA": (4, 24),
    "BLACK": (2, 12),
    "HON": (4, 24),
}


class ResCompany(models.Model):
    _inherit = "res.company"

    # The switch the foundation acceptance asks for: installing the addons
    # changes nothing for existing customers until a manager turns membership
    # on per company (no ledger, no enrolment, no ladder before that).
    member_crm_enabled = fields.Boolean(
        string="Membership Enabled",
        help="Enrol customers as members, follow their tiers and grant benefits in this company.",
    )
    member_window_type = fields.Selection(
        [("rolling", "Rolling months"), ("calendar", "Calendar year")],
        string="Qualification Window",
        default="rolling",
        required=True,
    )
    member_window_months = fields.Integer(string="Window (months)", default=12)
    member_keep_months = fields.Integer(
        string="Keep Tier (months)",
        default=6,
        help="A member keeps a tier reached for at least this many months.",
    )
    member_max_drop = fields.Integer(
        string="Maximum Drop per Review",
        default=1,
        help="Levels a member may lose at one review.",
    )
    member_grace_days = fields.Integer(
        string="Grace Period (days)",
        default=30,
        help="Days between the notice of a coming drop and the drop.",
    )
    member_sale_qualify_on = fields.Selection(
        [("paid", "Invoiced and paid"), ("confirm", "Confirmed")],
        string="Sales Qualify When",
        default="paid",
        required=True,
    )
    member_auto_enroll = fields.Boolean(
        string="Enrol on First Order",
        help="Enrol a customer automatically on their first qualifying order.",
    )
    member_loyalty_program_id = fields.Many2one(
        "loyalty.program",
        string="Member Points Program",
        domain="[('program_type', '=', 'loyalty'), ('company_id', 'in', (id, False))]",
        help="Odoo loyalty program whose cards hold members' points: its rules give the base points; "
        "tier bonus, pending points and expiry apply to its cards.",
    )
    member_points_pending_days = fields.Integer(
        string="Bonus Points Pending (days)",
        help="Tier bonus points become spendable after this many days (the return window). Zero: at once.",
    )
    member_points_expiry_months = fields.Integer(
        string="Points Expire After (months)",
        help="Points of the member program expire first-in first-out after this many months. Zero: never.",
    )
    member_consent_text = fields.Text(
        string="Consent Text",
        translate=True,
        help="The wording members agree to when they consent to marketing; kept with each consent.",
    )
    member_points_reminder_days = fields.Integer(
        string="Expiry Reminder (days before)",
        default=14,
        help="Members are told by email of points that expire within this many days.",
    )
    member_number_prefix = fields.Char(default="M")
    member_import_max_mb = fields.Integer(
        string="Import File Limit (MB)",
        default=50,
        help="Member import files larger than this are refused before they are read.",
    )
    member_sequence_id = fields.Many2one("ir.sequence", string="Member Number Sequence", copy=False)

    @api.constrains(
        "member_keep_months",
        "member_max_drop",
        "member_grace_days",
        "member_window_months",
        "member_points_pending_days",
        "member_points_expiry_months",
        "member_points_reminder_days",
        "member_import_max_mb",
    )
    def _check_member_settings(self):
        for company in self:
            if company.member_window_months < 1:
                raise ValidationError(self.env._("The qualification window must be at least one month."))
            if company.member_keep_months < 0 or company.member_grace_days < 0:
                raise ValidationError(self.env._("Keep months and grace days cannot be negative."))
            if (
                min(
                    company.member_points_pending_days,
                    company.member_points_expiry_months,
                    company.member_points_reminder_days,
                )
                < 0
            ):
                raise ValidationError(
                    self.env._("Points pending days, expiry months and reminder days cannot be negative.")
                )
            if company.member_max_drop < 1:
                raise ValidationError(self.env._("A review must be allowed to drop at least one level."))
            if company.member_import_max_mb < 1:
                raise ValidationError(self.env._("The import file limit must be at least 1 MB."))

    def write(self, vals):
        res = super().write(vals)
        if vals.get("member_crm_enabled"):
            self._member_ensure_ladder()
        if {"member_window_type", "member_window_months"} & set(vals):
            self.env["member.tier"]._member_validate_companies(self)
        return res

    # ------------------------------------------------------------------
    # the time zone of ledger dates, windows and the crons' "today"
    # ------------------------------------------------------------------
    def _member_tz(self):
        """The time zone Odoo's loyalty checks coupon validity in (sale_loyalty ``_get_program_timezone``).

        The company partner's, else the ``loyalty.timezone`` parameter, else UTC: coupons and
        ledger dates then agree on what day an order was made.
        """
        self.ensure_one()
        return self.partner_id.tz or self._member_tz_fallback()

    @api.model
    def _member_tz_fallback(self):
        """The ``loyalty.timezone`` parameter, or UTC when it is unset or not a time zone."""
        name = self.env["ir.config_parameter"].sudo().get_param("loyalty.timezone") or "UTC"
        return name if name in pytz.all_timezones_set else "UTC"

    def _member_today(self):
        """Today in the company's time zone (``_member_tz``): the last day of its windows, the crons' day."""
        self.ensure_one()
        return fields.Date.context_today(self.with_context(tz=self._member_tz()))

    @api.model
    def _member_local_date_sql(self, timestamp, company_id):
        """SQL: the day of the UTC ``timestamp`` in the time zone of company ``company_id`` (SQL expressions).

        The same rule as ``_member_tz``, in the statement itself: a synced POS order pays no extra query.
        """
        return SQL(
            """((%(ts)s AT TIME ZONE 'UTC') AT TIME ZONE COALESCE(
                   (SELECT NULLIF(tz_partner.tz, '') FROM res_company tz_company
                      JOIN res_partner tz_partner ON tz_partner.id = tz_company.partner_id
                     WHERE tz_company.id = %(company)s), %(fallback)s))::date""",
            ts=timestamp,
            company=company_id,
            fallback=self._member_tz_fallback(),
        )

    def _member_ensure_ladder(self):
        """Create the default ladder in companies that have no tier yet."""
        Tier = self.env["member.tier"].sudo()  # configuration data, written on a manager's switch
        have = {c.id for c in Tier.with_context(active_test=False).search([("company_id", "in", self.ids)]).company_id}
        vals_list = [
            {
                "company_id": company.id,
                "code": code,
                "name": name,
                "level": level,
                "min_spend": spend,
                "min_orders": orders,
                "color": color,
                "invitation_only": invitation,
            }
            for company in self
            if company.id not in have
            for code, name, _zh, level, spend, orders, color, invitation in DEFAULT_LADDER
        ]
        if not vals_list:
            return Tier
        tiers = Tier.create(vals_list)
        benefits = self._member_default_service_benefits(tiers)
        if self.env["res.lang"]._lang_get("zh_CN"):
            chinese = {code: zh for code, _name, zh, *_rest in DEFAULT_LADDER}
            for tier in tiers:
                tier.update_field_translations("name", {"zh_CN": chinese[tier.code]})
            for benefit, tier in zip(benefits, tiers, strict=True):
                benefit.update_field_translations("name", {"zh_CN": f"{chinese[tier.code]}优先服务"})
        return tiers

    def _member_default_service_benefits(self, tiers):
        """One service benefit per default tier (``DEFAULT_SERVICE_HOURS``), in the order of ``tiers``."""
        # sudo: configuration data created with the ladder, on a manager's switch
        return (
            self.env["member.benefit"]
            .sudo()
            .create(
                [
                    {
                        "name": self.env._("%(tier)s priority service", tier=tier.name),
                        "benefit_type": "service",
                        "company_id": tier.company_id.id,
                        "tier_ids": [Command.set(tier.ids)],
                        "response_hours": DEFAULT_SERVICE_HOURS[tier.code][0],
                        "resolution_hours": DEFAULT_SERVICE_HOURS[tier.code][1],
                    }
                    for tier in tiers
                ]
            )
        )

    def _member_sequence(self):
        """The member number sequence of this company, created on first use."""
        self.ensure_one()
        if not self.member_sequence_id:
            self.sudo().member_sequence_id = (
                self.env["ir.sequence"]
                .sudo()
                .create(
                    {
                        "name": self.env._("Member numbers %(company)s", company=self.name),
                        "code": "member.membership",
                        "prefix": self.member_number_prefix or "",
                        "padding": 6,
                        "company_id": self.id,
                    }
                )
            )
        return self.member_sequence_id

    def _member_next_numbers(self, count):
        """``count`` new member numbers at once (the import): one statement, not one call per member."""
        self.ensure_one()
        if count <= 0:
            return []
        sequence = self._member_sequence().sudo()
        if sequence.implementation != "standard":
            return [sequence.next_by_id() for _i in range(count)]
        prefix, suffix = sequence._get_prefix_suffix()
        rows = self.env.execute_query(
            SQL("SELECT nextval(%s) FROM generate_series(1, %s)", f"ir_sequence_{sequence.id:03d}", count)
        )
        return [f"{prefix}{number:0{sequence.padding}d}{suffix}" for (number,) in rows]

    def _member_sequence_after(self, numbers):
        """Imported numbers in the sequence's own form push it past them: it must never hand one out again."""
        self.ensure_one()
        sequence = self._member_sequence().sudo()
        prefix, suffix = sequence._get_prefix_suffix()
        pattern = re.compile(rf"^{re.escape(prefix)}(\d+){re.escape(suffix)}$")
        highest = max((int(m.group(1)) for m in map(pattern.match, numbers) if m), default=0)
        if highest >= sequence.number_next_actual:
            sequence.write({"number_next": highest + 1})
