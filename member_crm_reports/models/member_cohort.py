"""Cohort retention rows (``engine.cohorts``), per company, rewritten by the weekly analytics job."""

from odoo import api, fields, models
from odoo.exceptions import UserError


class MemberCohort(models.Model):
    _name = "member.cohort"
    _description = "Member Cohort Retention"
    _order = "company_id, cohort desc, k"
    _rec_name = "cohort"
    _check_company_auto = True

    company_id = fields.Many2one("res.company", required=True, readonly=True, ondelete="cascade")
    cohort = fields.Date(
        string="Cohort Month", required=True, readonly=True, help="Month of the members' first net order."
    )
    k = fields.Integer(string="Month", required=True, readonly=True, aggregator=False, help="Months since the cohort.")
    size = fields.Integer(readonly=True, aggregator="max", help="Members of the cohort.")
    retained = fields.Integer(readonly=True, help="Members of the cohort with a net order in month k.")
    share = fields.Float(readonly=True, aggregator="avg", digits=(16, 4), help="Retained / size.")
    computed_at = fields.Datetime(readonly=True)

    _cell_uniq = models.Constraint("UNIQUE(company_id, cohort, k)", "One retention cell per cohort and month.")

    @api.model_create_multi
    def create(self, vals_list):
        if vals_list:
            self.check_access("create")
            raise UserError(self.env._("Cohorts are computed by the weekly analytics job; they cannot be created."))
        return super().create(vals_list)

    def write(self, vals):
        if self:
            self.check_access("write")
            raise UserError(self.env._("Cohorts are computed by the weekly analytics job; they cannot be changed."))
        return super().write(vals)
