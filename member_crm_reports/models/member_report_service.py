"""Complaints and feedback: volume, service-level breaches and CSAT by tier, team, type and month.

One row per ``member.complaint``, dated by its opening in the company's time zone.

- Tier: the member's tier when the ticket was opened (the ticket stores only its
  membership, whose tier moves on), read from the tier history: the tier after the
  last move before the opening, else the tier before the first move after it, else
  the membership's tier (no move at all). A ticket opened before the customer joined
  has no tier; a non-member's neither.
- Breached: the response or the resolution deadline was missed (the flags the SLA
  cron and the stage changes set).
- Rated: the customer answered the satisfaction request (a consumed rating); Happy:
  Odoo's "satisfied" answer (rating 5; Odoo's threshold is 4). CSAT = Happy / rated.

Rates are ratios of sums: the list shows each row's, and ``_read_group_select`` turns
pivot's and graph's ``:avg`` into SUM(numerator) / SUM(denominator) of the group.
"""

from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.member_crm.models.member_tier_history import MOVES
from odoo.addons.member_crm_marketing.models.member_complaint import CHANNELS, COMPLAINT_TYPES
from odoo.addons.rating.models.rating_data import RATING_LIMIT_MIN, RATING_LIMIT_SATISFIED

from .member_report_campaign import ratio_of_sums

RATES = {
    "breach_rate": ("breached_count", "complaint_count"),
    "csat": ("happy_count", "rated_count"),
}
# who may read which ticket and whose it is: those who open the tickets (member.complaint's access rights).
# The auditor reads this analysis for its figures only (by tier, team, type, month).
TICKET_READERS = "member_crm.group_member_crm_service,member_crm.group_member_crm_manager"


class MemberReportService(models.Model):
    _name = "member.report.service"
    _description = "Complaints and Feedback Analysis"
    _auto = False
    # not the ticket: its readers only see it (the auditor reads the figures, not the tickets)
    _rec_name = "date_open"
    _order = "date_open desc, id desc"

    complaint_id = fields.Many2one("member.complaint", string="Ticket", readonly=True, groups=TICKET_READERS)
    date_open = fields.Datetime(string="Opened On", readonly=True)
    month = fields.Date(readonly=True, help="The first day of the month the ticket was opened, company time zone.")
    company_id = fields.Many2one("res.company", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True, groups=TICKET_READERS)
    membership_id = fields.Many2one("member.membership", readonly=True, groups=TICKET_READERS)
    tier_id = fields.Many2one("member.tier", string="Tier When Opened", readonly=True)
    team_id = fields.Many2one("member.service.team", string="Service Team", readonly=True)
    complaint_type = fields.Selection(COMPLAINT_TYPES, string="Type", readonly=True)
    channel = fields.Selection(CHANNELS, readonly=True)
    is_closed = fields.Boolean(string="Closed", readonly=True)
    complaint_count = fields.Integer(string="Tickets", readonly=True)
    response_breached_count = fields.Integer(string="Response Late", readonly=True)
    resolution_breached_count = fields.Integer(string="Resolution Late", readonly=True)
    breached_count = fields.Integer(
        string="SLA Breached", readonly=True, help="Tickets that missed the response or the resolution deadline."
    )
    rated_count = fields.Integer(string="Rated", readonly=True, help="Tickets whose customer answered the survey.")
    happy_count = fields.Integer(string="Happy", readonly=True, help="Tickets rated Happy (satisfied).")
    breach_rate = fields.Float(
        string="SLA Breach Rate", readonly=True, aggregator="avg", help="SLA breached / tickets (grouped: sum / sum)."
    )
    csat = fields.Float(
        string="CSAT", readonly=True, aggregator="avg", help="Happy / rated tickets (grouped: sum / sum)."
    )

    _depends = {
        "member.complaint": [
            "date_open",
            "company_id",
            "partner_id",
            "membership_id",
            "team_id",
            "complaint_type",
            "channel",
            "stage_id",
            "response_breached",
            "resolution_breached",
            "rating_last_value",
        ],
        "member.complaint.stage": ["is_closed"],
        "member.tier.history": ["membership_id", "date", "direction", "from_tier_id", "to_tier_id"],
        "member.membership": ["tier_id"],
        "res.company": ["partner_id"],
        "res.partner": ["tz"],
    }

    @property
    def _table_query(self) -> SQL:
        return SQL(
            """
            SELECT ticket.*,
                   ticket.breached_count::float8 / NULLIF(ticket.complaint_count, 0) AS breach_rate,
                   ticket.happy_count::float8 / NULLIF(ticket.rated_count, 0) AS csat
              FROM (%s) ticket
            """,
            self._row_query(),
        )

    @api.model
    def _row_query(self) -> SQL:
        return SQL(
            """
            SELECT c.id, c.id AS complaint_id, c.date_open, c.company_id, c.partner_id, c.membership_id,
                   c.team_id, c.complaint_type, c.channel, COALESCE(stage.is_closed, FALSE) AS is_closed,
                   DATE_TRUNC('month', (c.date_open AT TIME ZONE 'UTC') AT TIME ZONE
                       COALESCE(NULLIF(company_partner.tz, ''), %(fallback)s))::date AS month,
                   CASE WHEN c.membership_id IS NULL THEN NULL
                        WHEN before_open.found THEN before_open.tier_id
                        WHEN after_open.found THEN after_open.tier_id
                        ELSE membership.tier_id END AS tier_id,
                   1 AS complaint_count,
                   CASE WHEN c.response_breached THEN 1 ELSE 0 END AS response_breached_count,
                   CASE WHEN c.resolution_breached THEN 1 ELSE 0 END AS resolution_breached_count,
                   CASE WHEN c.response_breached OR c.resolution_breached THEN 1 ELSE 0 END AS breached_count,
                   CASE WHEN c.rating_last_value >= %(rated)s THEN 1 ELSE 0 END AS rated_count,
                   CASE WHEN c.rating_last_value >= %(happy)s THEN 1 ELSE 0 END AS happy_count
              FROM member_complaint c
              JOIN res_company company ON company.id = c.company_id
              JOIN res_partner company_partner ON company_partner.id = company.partner_id
         LEFT JOIN member_complaint_stage stage ON stage.id = c.stage_id
         LEFT JOIN member_membership membership ON membership.id = c.membership_id
         LEFT JOIN LATERAL (
                   SELECT TRUE AS found, h.to_tier_id AS tier_id
                     FROM member_tier_history h
                    WHERE h.membership_id = c.membership_id AND h.direction IN %(moves)s AND h.date <= c.date_open
                 ORDER BY h.date DESC, h.id DESC
                    LIMIT 1
                   ) before_open ON TRUE
         LEFT JOIN LATERAL (
                   SELECT TRUE AS found, h.from_tier_id AS tier_id
                     FROM member_tier_history h
                    WHERE h.membership_id = c.membership_id AND h.direction IN %(moves)s AND h.date > c.date_open
                 ORDER BY h.date, h.id
                    LIMIT 1
                   ) after_open ON before_open.found IS NULL
            """,
            fallback=self.env["res.company"]._member_tz_fallback(),
            rated=RATING_LIMIT_MIN,
            happy=RATING_LIMIT_SATISFIED,
            moves=MOVES,
        )

    def _read_group_select(self, aggregate_spec, query):
        return ratio_of_sums(self, RATES, aggregate_spec, query) or super()._read_group_select(aggregate_spec, query)
