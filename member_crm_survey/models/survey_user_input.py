"""NPS answers are feedback for the tier criterion.

An answer submitted (``state`` done) to a ticket's NPS invitation, by the ticket's own customer,
is feedback whatever the score; only members count (feedback never enrols). The row's source is the
ticket, as for its rating: the rating and the NPS answer of one ticket are one feedback row. Hooked
on the answer's state, whichever path completes it, but only the customer's own submission counts:
the writer is the public user (the token link) or a user of the customer, never an employee.
"""

from odoo import api, fields, models


class SurveyUserInput(models.Model):
    _inherit = "survey.user_input"

    member_complaint_id = fields.Many2one(
        "member.complaint",
        string="Ticket",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
        help="The closed ticket whose satisfaction request invited this answer.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        inputs = super().create(vals_list)
        inputs._member_record_feedback()
        return inputs

    def write(self, vals):
        res = super().write(vals)
        if vals.get("state") == "done":
            self._member_record_feedback()
        return res

    def _member_record_feedback(self):
        # sudo: the survey page runs as the public user; the ticket and the ledger are the system's here
        inputs = self.sudo().filtered(
            lambda i: i.state == "done" and not i.test_entry and i.partner_id and i.member_complaint_id
        )
        if not inputs:
            return []
        user = self.env.user  # the real writer: sudo() keeps it
        writer = self.env["res.partner"] if user._is_public() else user.partner_id.commercial_partner_id
        today = {company: company._member_today() for company in inputs.member_complaint_id.company_id}
        rows = [
            (
                answer.partner_id.commercial_partner_id.id,
                answer.member_complaint_id.company_id.id,
                today[answer.member_complaint_id.company_id],
                "member.complaint",
                answer.member_complaint_id.id,
            )
            for answer in inputs
            if answer.partner_id.commercial_partner_id == answer.member_complaint_id.partner_id.commercial_partner_id
            and (user._is_public() or writer == answer.partner_id.commercial_partner_id)
        ]
        return self.env["member.ledger"]._member_record_members_feedback(rows)
