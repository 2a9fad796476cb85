"""Ratings of complaints are feedback for the tier criterion, and private to the service.

Hooked on ``rating.rating`` itself, not on the rating page: the page (``/rate/<token>``, which calls
``rating_apply`` as the public user or as the customer's own user), a chatter post with
``message_post(rating_value=...)`` and any code path end in a rating created submitted or written
``consumed``. A rating is the customer's feedback only when the customer gave it: the writer is the
public user (the token page) or a user of the ticket's customer; a rating an employee creates or
marks submitted, whoever it names as the customer, is not feedback.

The feedback row's source is the ticket, not the rating: the ticket's rating, a second rating, a
changed rating and its NPS answer (member_crm_survey) are one row per ticket (the ledger's unique
source key), dated by the first answer, whatever its score. Only members count (feedback never enrols).

Ratings carry their ticket's company (``member_company_id``) for the record rules: only service
agents and member managers read complaint ratings, within their companies.
"""

from odoo import api, fields, models

# the models whose ratings are member feedback
FEEDBACK_MODELS = ("member.complaint",)


class RatingRating(models.Model):
    _inherit = "rating.rating"

    member_company_id = fields.Many2one(
        "res.company",
        string="Ticket Company",
        compute="_compute_member_company_id",
        store=True,
        index="btree_not_null",
        help="The company of the rated complaint (complaint ratings only), for the record rules.",
    )

    @api.depends("res_model", "res_id")
    def _compute_member_company_id(self):
        ratings = self.filtered(lambda r: r.res_model in FEEDBACK_MODELS and r.res_id)
        (self - ratings).member_company_id = False
        for model, model_ratings in ratings.grouped("res_model").items():
            # sudo: the company of the rated ticket, whoever creates the rating (often the system)
            companies = {
                record.id: record.company_id
                for record in self.env[model].sudo().browse(model_ratings.mapped("res_id")).exists()
            }
            for rating in model_ratings:
                rating.member_company_id = companies.get(rating.res_id, False)

    @api.model_create_multi
    def create(self, vals_list):
        ratings = super().create(vals_list)
        ratings._member_record_feedback()
        return ratings

    def write(self, vals):
        res = super().write(vals)
        if vals.get("consumed"):
            self._member_record_feedback()
        return res

    def _member_record_feedback(self):
        # sudo: the rating page runs as the public user; only the rating's own fields are read here
        ratings = self.sudo().filtered(lambda r: r.consumed and r.partner_id and r.res_model in FEEDBACK_MODELS)
        if not ratings:
            return []
        user = self.env.user  # the real writer: sudo() keeps it
        writer = self.env["res.partner"] if user._is_public() else user.partner_id.commercial_partner_id
        rows = []
        for model, model_ratings in ratings.grouped("res_model").items():
            # sudo: the rater (often the public user behind the rating page) may not read the ticket
            records = self.env[model].sudo().browse(model_ratings.mapped("res_id")).exists()
            by_id = {record.id: record for record in records}
            today = {company: company._member_today() for company in records.company_id}
            for rating in model_ratings:
                record = by_id.get(rating.res_id)
                customer = record and record.partner_id.commercial_partner_id
                if not customer or rating.partner_id.commercial_partner_id != customer:
                    continue
                if not user._is_public() and writer != customer:
                    continue  # given by an employee, not by the customer
                rows.append((customer.id, record.company_id.id, today[record.company_id], model, record.id))
        return self.env["member.ledger"]._member_record_members_feedback(rows)
