"""Predicted customer lifetime value per membership, written by the weekly analytics job (``member.analytics``).

One row per membership, in a table of its own: the job upserts them in batches with one
``INSERT ... ON CONFLICT`` per batch and never writes nor locks the membership rows the POS checks lock
(the table has no foreign keys: ``job_tables``; a deleted membership's score is deleted with it).
Read-only for every user; only the job writes, in SQL.
"""

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .job_tables import create_job_table
from .member_report_tier_event import MEMBER_READERS  # who a member is: officers and marketing, not the auditor


class MemberClvScore(models.Model):
    _name = "member.clv.score"
    _description = "Member Predicted CLV"
    _order = "company_id, predicted_value desc, id"
    _rec_name = "computed_at"
    _check_company_auto = True
    # a table without foreign keys, made by init (job_tables); no create/write user columns either (a million
    # rows a week): computed_at tells when the row was written
    _auto = False
    _log_access = False

    company_id = fields.Many2one("res.company", required=True, readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    membership_id = fields.Many2one("member.membership", required=True, readonly=True, groups=MEMBER_READERS)
    # the membership's (never changes): related, not a column of its own
    partner_id = fields.Many2one(related="membership_id.partner_id", string="Member", groups=MEMBER_READERS)
    predicted_value = fields.Monetary(
        string="Predicted CLV",
        currency_field="currency_id",
        readonly=True,
        help="Expected untaxed spend over the next 12 months, discounted at 10 % a year (BG/NBD + Gamma-Gamma).",
    )
    p_alive = fields.Float(
        string="P(alive)", readonly=True, aggregator="avg", digits=(16, 4), help="Probability the member still buys."
    )
    expected_purchases = fields.Float(
        readonly=True, aggregator="avg", digits=(16, 3), help="Expected purchase weeks over the next 12 months."
    )
    frequency = fields.Integer(readonly=True, aggregator="avg", help="Repeat purchase weeks (distinct weeks - 1).")
    recency = fields.Integer(
        string="Recency (weeks)", readonly=True, aggregator="avg", help="Weeks from the first to the last purchase."
    )
    t_weeks = fields.Integer(
        string="Age (weeks)", readonly=True, aggregator="avg", help="Weeks from the first purchase to the computation."
    )
    monetary = fields.Monetary(
        string="Mean Repeat Value",
        currency_field="currency_id",
        readonly=True,
        aggregator="avg",
        help="Mean net value of the repeat purchase weeks.",
    )
    computed_at = fields.Datetime(readonly=True)

    _membership_uniq = models.Constraint("UNIQUE(membership_id)", "A membership has one predicted CLV.")

    def init(self):
        create_job_table(self)
        # every row is rewritten each week and no column but the unique membership is indexed: free room on
        # each page lets PostgreSQL update in place (HOT), without a new entry in every index
        self.env.cr.execute(SQL("ALTER TABLE member_clv_score SET (fillfactor = 50)"))

    @api.model_create_multi
    def create(self, vals_list):
        if vals_list:
            self.check_access("create")
            raise UserError(self.env._("Predicted CLV is computed by the weekly analytics job; it cannot be created."))
        return super().create(vals_list)

    def write(self, vals):
        if self:
            self.check_access("write")
            raise UserError(self.env._("Predicted CLV is computed by the weekly analytics job; it cannot be changed."))
        return super().write(vals)
