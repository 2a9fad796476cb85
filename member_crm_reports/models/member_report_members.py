"""Member analysis: members and new members by month, tier, home store and region.

Reads the monthly tier snapshot (``member.tier.snapshot``, written by the
nightly review and rebuildable from the tier history and the membership
periods), so that a pivot by tier x month over years at a million members
reads a few thousand rows instead of re-aggregating the history on each click.

``member_count`` is a stock (active members at the month's end, or today for
the current month): add it up across tiers, stores and regions, not across
months. ``new_count`` is a flow (members who joined in the month; imported
members without a known date are not new).
"""

from odoo import fields, models
from odoo.tools import SQL


class MemberReportMembers(models.Model):
    _name = "member.report.members"
    _description = "Member Analysis"
    _auto = False
    _rec_name = "month"
    _order = "month desc, id desc"
    _depends = {
        "member.tier.snapshot": [
            "company_id",
            "month",
            "tier_id",
            "home_config_id",
            "country_id",
            "state_id",
            "member_count",
            "new_count",
        ],
    }

    company_id = fields.Many2one("res.company", readonly=True)
    month = fields.Date(readonly=True, help="First day of the month, in the company's time zone.")
    tier_id = fields.Many2one("member.tier", readonly=True)
    home_config_id = fields.Many2one("pos.config", string="Home Store", readonly=True)
    country_id = fields.Many2one("res.country", readonly=True)
    state_id = fields.Many2one("res.country.state", readonly=True)
    member_count = fields.Integer(
        string="Members",
        readonly=True,
        help="Active members at the end of the month (the current month: today). Do not add up across months.",
    )
    new_count = fields.Integer(
        string="New Members", readonly=True, help="Members who joined in the month (by Member Since)."
    )

    @property
    def _table_query(self) -> SQL:
        return SQL(
            """
            SELECT s.id, s.company_id, s.month, s.tier_id, s.home_config_id, s.country_id, s.state_id,
                   s.member_count, s.new_count
              FROM member_tier_snapshot s
            """
        )
