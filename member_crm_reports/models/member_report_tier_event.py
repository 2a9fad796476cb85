"""Tier movements per month: up, down, grace started and grace ended.

One row per ``member.tier.history`` line, dated by the company's calendar month
(company time zone, as the ledger's local dates). A subquery: the history's own
record rules do not apply inside it, so the report has its own company rule.
"""

from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.member_crm.models.member_tier_history import DIRECTIONS, TRIGGERS

# who moved: the roles that work with the members (officers and managers, campaign officers); the auditor
# reads the movements' figures only (by month, tier, direction, trigger)
MEMBER_READERS = "member_crm.group_member_crm_officer,member_crm.group_member_crm_marketing"


class MemberReportTierEvent(models.Model):
    _name = "member.report.tier.event"
    _description = "Tier Movements Analysis"
    _auto = False
    _rec_name = "date"
    _order = "date desc, id desc"

    date = fields.Datetime(readonly=True)
    month = fields.Date(readonly=True, help="The first day of the event's month in the company's time zone.")
    company_id = fields.Many2one("res.company", readonly=True)
    membership_id = fields.Many2one("member.membership", readonly=True, groups=MEMBER_READERS)
    partner_id = fields.Many2one("res.partner", string="Member", readonly=True, groups=MEMBER_READERS)
    from_tier_id = fields.Many2one("member.tier", readonly=True)
    to_tier_id = fields.Many2one("member.tier", readonly=True)
    direction = fields.Selection(DIRECTIONS, readonly=True)
    trigger = fields.Selection(TRIGGERS, readonly=True)
    event_count = fields.Integer(string="Events", readonly=True)

    _depends = {
        "member.tier.history": [
            "date",
            "company_id",
            "membership_id",
            "partner_id",
            "from_tier_id",
            "to_tier_id",
            "direction",
            "trigger",
        ],
        "res.company": ["partner_id"],
        "res.partner": ["tz"],
    }

    @property
    def _table_query(self) -> SQL:
        return SQL("%s %s", self._select(), self._from())

    @api.model
    def _select(self) -> SQL:
        return SQL(
            """
            SELECT h.id, h.date, h.company_id, h.membership_id, h.partner_id, h.from_tier_id, h.to_tier_id,
                   h.direction, h.trigger, 1 AS event_count,
                   DATE_TRUNC('month', (h.date AT TIME ZONE 'UTC') AT TIME ZONE
                       COALESCE(NULLIF(company_partner.tz, ''), %(fallback)s))::date AS month
            """,
            fallback=self.env["res.company"]._member_tz_fallback(),
        )

    @api.model
    def _from(self) -> SQL:
        return SQL(
            """
              FROM member_tier_history h
              JOIN res_company company ON company.id = h.company_id
              JOIN res_partner company_partner ON company_partner.id = company.partner_id
            """
        )
