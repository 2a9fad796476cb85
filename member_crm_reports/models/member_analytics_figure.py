"""The seed's customer metrics per month, from live data (``engine.metrics`` formulas), by the analytics job."""

from odoo import api, fields, models
from odoo.exceptions import UserError

FIGURE_KEYS = [
    ("inquiry_satisfaction", "Inquiry satisfaction"),
    ("feedback_satisfaction", "Feedback satisfaction"),
    ("customer_value", "Customer value"),
    ("marketing_effect", "Marketing effect"),
]


class MemberAnalyticsFigure(models.Model):
    _name = "member.analytics.figure"
    _description = "Member Analytics Figure"
    _order = "company_id, month desc, key"
    _rec_name = "key"
    _check_company_auto = True

    company_id = fields.Many2one("res.company", required=True, readonly=True, ondelete="cascade")
    month = fields.Date(required=True, readonly=True, help="First day of the month.")
    key = fields.Selection(FIGURE_KEYS, string="Figure", required=True, readonly=True)
    value = fields.Float(readonly=True, digits=(16, 4), aggregator="avg")
    count = fields.Integer(
        string="Rows", readonly=True, help="Ratings, members or campaigns the figure is the mean of."
    )
    computed_at = fields.Datetime(readonly=True)

    _figure_uniq = models.Constraint("UNIQUE(company_id, month, key)", "One figure per company, month and key.")

    @api.model_create_multi
    def create(self, vals_list):
        if vals_list:
            self.check_access("create")
            raise UserError(self.env._("Figures are computed by the weekly analytics job; they cannot be created."))
        return super().create(vals_list)

    def write(self, vals):
        if self:
            self.check_access("write")
            raise UserError(self.env._("Figures are computed by the weekly analytics job; they cannot be changed."))
        return super().write(vals)
