"""Campaign effectiveness: one row per campaign x tier at launch x channel.

Read from the recipients' results, as the results refresh of member_crm_marketing
(``member.campaign._member_refresh_results``: nightly and from the campaign's button)
writes them from ``mailing.trace``, the coupons' reward lines and the attribution of
the ledger's orders. The figures are those of the last refresh.

- Members reached: recipients a message reached (trace sent, opened or replied; an SMS
  handed to the provider); the holdout gets no message and is counted apart.
- Participated: members reached who opened or clicked the message or used the coupon.
- Converted: members reached with at least one order attributed to the campaign.
- Participation and conversion rates: per member reached (the seed's 参与度 and 转化率).
- Revenue and orders: attributed to the members who got the campaign (the holdout left
  out), untaxed, in the company's currency, as on the campaign form.

Rates are ratios of sums: the list shows each row's ratio, and ``_read_group_select``
turns the ``:avg`` aggregate that pivot and graph ask for into SUM(numerator) /
SUM(denominator) of the group, never an average of the rows' ratios.
"""

from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.member_crm_marketing.models.member_campaign import CAMPAIGN_TYPES, CHANNELS

# rate field: (numerator field, denominator field)
RATES = {
    "participation_rate": ("participated_count", "reached_count"),
    "conversion_rate": ("converted_count", "reached_count"),
}


def ratio_of_sums(model, rates, aggregate_spec, query):
    """SQL of a rate field's group aggregate: SUM(numerator) / SUM(denominator), or None for other specs.

    ``rates``: {rate field: (numerator field, denominator field)}. Pivot and graph ask for the rate's
    aggregator (``avg``); the mean of the rows' rates would weigh a campaign of 2 members as one of 2,000.
    """
    fname, _sep, func = aggregate_spec.partition(":")
    if fname not in rates or func not in ("avg", "sum"):
        return None
    numerator, denominator = rates[fname]
    return SQL(
        "SUM(%s)::float8 / NULLIF(SUM(%s), 0)",
        model._field_to_sql(model._table, numerator, query),
        model._field_to_sql(model._table, denominator, query),
    )


class MemberReportCampaign(models.Model):
    _name = "member.report.campaign"
    _description = "Campaign Effectiveness Analysis"
    _auto = False
    _rec_name = "campaign_id"
    _order = "sent_date desc, campaign_id desc, tier_id"

    campaign_id = fields.Many2one("member.campaign", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    tier_id = fields.Many2one("member.tier", string="Tier at Launch", readonly=True)
    channel = fields.Selection(CHANNELS, readonly=True)
    campaign_type = fields.Selection(CAMPAIGN_TYPES, string="Type", readonly=True)
    sent_date = fields.Datetime(string="Sent On", readonly=True)
    month = fields.Date(readonly=True, help="The first day of the month the campaign was sent, company time zone.")
    recipient_count = fields.Integer(string="Members Targeted", readonly=True, help="Recipients, the holdout left out.")
    reached_count = fields.Integer(string="Members Reached", readonly=True)
    opened_count = fields.Integer(string="Opened", readonly=True)
    clicked_count = fields.Integer(string="Clicked", readonly=True)
    coupon_used_count = fields.Integer(string="Coupons Used", readonly=True)
    participated_count = fields.Integer(
        string="Participated", readonly=True, help="Members reached who opened, clicked or used the coupon."
    )
    converted_count = fields.Integer(
        string="Converted", readonly=True, help="Members reached with at least one attributed order."
    )
    order_count = fields.Integer(string="Attributed Orders", readonly=True)
    revenue = fields.Monetary(
        string="Attributed Revenue", currency_field="currency_id", readonly=True, help="Untaxed, company currency."
    )
    holdout_count = fields.Integer(string="Holdout Members", readonly=True)
    participation_rate = fields.Float(
        readonly=True, aggregator="avg", help="Participated / members reached (grouped: sum / sum)."
    )
    conversion_rate = fields.Float(
        readonly=True, aggregator="avg", help="Converted / members reached (grouped: sum / sum)."
    )

    _depends = {
        "member.campaign.recipient": [
            "campaign_id",
            "company_id",
            "tier_id",
            "channel",
            "holdout",
            "reached",
            "opened",
            "clicked",
            "coupon_used",
            "order_count",
            "revenue",
        ],
        "member.campaign": ["campaign_type", "sent_date", "company_id"],
        "res.company": ["partner_id", "currency_id"],
        "res.partner": ["tz"],
    }

    @property
    def _table_query(self) -> SQL:
        return SQL(
            """
            SELECT agg.*,
                   agg.participated_count::float8 / NULLIF(agg.reached_count, 0) AS participation_rate,
                   agg.converted_count::float8 / NULLIF(agg.reached_count, 0) AS conversion_rate
              FROM (%s) agg
            """,
            self._aggregate_query(),
        )

    @api.model
    def _aggregate_query(self) -> SQL:
        treated = SQL("r.holdout IS NOT TRUE")
        reached = SQL("r.holdout IS NOT TRUE AND r.reached")
        return SQL(
            """
            SELECT MIN(r.id) AS id, r.campaign_id, r.company_id, company.currency_id, r.tier_id, r.channel,
                   c.campaign_type, c.sent_date,
                   DATE_TRUNC('month', (c.sent_date AT TIME ZONE 'UTC') AT TIME ZONE
                       COALESCE(NULLIF(company_partner.tz, ''), %(fallback)s))::date AS month,
                   COUNT(*) FILTER (WHERE %(treated)s) AS recipient_count,
                   COUNT(*) FILTER (WHERE %(reached)s) AS reached_count,
                   COUNT(*) FILTER (WHERE %(reached)s AND r.opened) AS opened_count,
                   COUNT(*) FILTER (WHERE %(reached)s AND r.clicked) AS clicked_count,
                   COUNT(*) FILTER (WHERE %(reached)s AND r.coupon_used) AS coupon_used_count,
                   COUNT(*) FILTER (WHERE %(reached)s AND (r.opened OR r.clicked OR r.coupon_used))
                       AS participated_count,
                   COUNT(*) FILTER (WHERE %(reached)s AND r.order_count > 0) AS converted_count,
                   COALESCE(SUM(r.order_count) FILTER (WHERE %(treated)s), 0) AS order_count,
                   COALESCE(SUM(r.revenue) FILTER (WHERE %(treated)s), 0) AS revenue,
                   COUNT(*) FILTER (WHERE r.holdout) AS holdout_count
              FROM member_campaign_recipient r
              JOIN member_campaign c ON c.id = r.campaign_id
              JOIN res_company company ON company.id = r.company_id
              JOIN res_partner company_partner ON company_partner.id = company.partner_id
             WHERE c.sent_date IS NOT NULL
          GROUP BY r.campaign_id, r.company_id, company.currency_id, r.tier_id, r.channel, c.campaign_type,
                   c.sent_date, company_partner.tz
            """,
            treated=treated,
            reached=reached,
            fallback=self.env["res.company"]._member_tz_fallback(),
        )

    def _read_group_select(self, aggregate_spec, query):
        return ratio_of_sums(self, RATES, aggregate_spec, query) or super()._read_group_select(aggregate_spec, query)
