"""Monthly copies of the memberships' RFM segments (``member.rfm``), and the movements between them.

The weekly analytics job copies each company's RFM rows once per month (the first run of the
month; later runs leave that month alone). ``member.rfm.movement`` pairs each copy with the same
membership's copy of the month before: from-segment x to-segment, month over month.

The copies are history: a membership deleted later leaves its rows, anonymised (no membership), so
that the segment sizes of past months do not change. The table has no foreign keys (``job_tables``).
Movements pair the copies of one membership: they are those of the memberships that still exist (an
anonymised copy has no pair), so after a deletion or a contact merge a past month's movements count
fewer members than its segment sizes.
"""

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from odoo.addons.member_crm.models.member_rfm import RFM_SEGMENTS

from .job_tables import create_job_table
from .member_report_tier_event import MEMBER_READERS  # who a member is: officers and marketing, not the auditor

NEW = "new"


class MemberRfmMonth(models.Model):
    _name = "member.rfm.month"
    _description = "Member RFM Segment by Month"
    _order = "company_id, month desc, id"
    _rec_name = "month"
    _check_company_auto = True
    # a table without foreign keys, made by init (job_tables); no create/write user columns either
    _auto = False
    _log_access = False

    company_id = fields.Many2one("res.company", required=True, readonly=True)
    month = fields.Date(required=True, readonly=True, help="First day of the month of the copy.")
    membership_id = fields.Many2one(
        "member.membership",
        readonly=True,
        groups=MEMBER_READERS,
        help="Empty when the membership was deleted since: its copies stay, anonymised.",
    )
    partner_id = fields.Many2one(related="membership_id.partner_id", string="Member", groups=MEMBER_READERS)
    segment = fields.Selection(RFM_SEGMENTS, required=True, readonly=True)
    r_score = fields.Integer(readonly=True, aggregator="avg")
    f_score = fields.Integer(readonly=True, aggregator="avg")
    m_score = fields.Integer(readonly=True, aggregator="avg")
    monetary = fields.Float(readonly=True, aggregator="sum", help="Net untaxed spend in 12 months at the copy.")

    _month_membership_uniq = models.Constraint(
        "UNIQUE(membership_id, month)", "A membership has one RFM copy per month."
    )
    _company_month_idx = models.Index("(company_id, month)")

    def init(self):
        create_job_table(self)

    @api.model_create_multi
    def create(self, vals_list):
        if vals_list:
            self.check_access("create")
            raise UserError(self.env._("RFM copies are written by the weekly analytics job; they cannot be created."))
        return super().create(vals_list)

    def write(self, vals):
        if self:
            self.check_access("write")
            raise UserError(self.env._("RFM copies are written by the weekly analytics job; they cannot be changed."))
        return super().write(vals)


class MemberRfmMovement(models.Model):
    _name = "member.rfm.movement"
    _description = "Member RFM Movements"
    _auto = False
    _rec_name = "month"
    _order = "month desc, id"
    _depends = {
        "member.rfm.month": ["company_id", "month", "membership_id", "segment", "monetary"],
        "member.membership": ["partner_id"],
    }

    company_id = fields.Many2one("res.company", readonly=True)
    month = fields.Date(readonly=True)
    membership_id = fields.Many2one("member.membership", readonly=True, groups=MEMBER_READERS)
    partner_id = fields.Many2one("res.partner", string="Member", readonly=True, groups=MEMBER_READERS)
    from_segment = fields.Selection(
        [(NEW, "New"), *RFM_SEGMENTS], readonly=True, help="The segment of the month before ('New' without one)."
    )
    to_segment = fields.Selection(RFM_SEGMENTS, readonly=True)
    moved = fields.Integer(readonly=True, help="1 when the segment changed.")
    member_count = fields.Integer(string="Members", readonly=True)
    monetary = fields.Float(readonly=True, help="Net untaxed spend in 12 months at the copy.")

    @property
    def _table_query(self):
        return SQL(
            """
            SELECT cur.id, cur.company_id, cur.month, cur.membership_id, m.partner_id,
                   COALESCE(prev.segment, %(new)s) AS from_segment, cur.segment AS to_segment,
                   CASE WHEN prev.segment IS DISTINCT FROM cur.segment THEN 1 ELSE 0 END AS moved,
                   1 AS member_count, cur.monetary
              FROM member_rfm_month cur
              JOIN member_membership m ON m.id = cur.membership_id
         LEFT JOIN member_rfm_month prev
                ON prev.membership_id = cur.membership_id
               AND prev.month = (cur.month - INTERVAL '1 month')::date
            """,
            new=NEW,
        )
