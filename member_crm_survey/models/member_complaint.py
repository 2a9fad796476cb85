"""The NPS invitation goes out with the satisfaction request of a closed ticket."""

from odoo import fields, models


class MemberComplaint(models.Model):
    _inherit = "member.complaint"

    nps_input_ids = fields.One2many("survey.user_input", "member_complaint_id", string="NPS Answers")

    def _member_request_satisfaction(self):
        self._member_invite_nps()
        return super()._member_request_satisfaction()

    def _member_nps_survey(self):
        # sudo: the invitation is issued by the system on close; agents have no rights on surveys
        survey = self.env.ref("member_crm_survey.survey_member_nps", raise_if_not_found=False)
        return survey.sudo() if survey else self.env["survey.survey"].sudo()

    def _member_invite_nps(self):
        """One NPS invitation (a survey answer with its token) per closed ticket with a customer."""
        survey = self._member_nps_survey()
        if not survey or not survey.active:
            return self.env["survey.user_input"]
        invited = set(
            self.env["survey.user_input"]
            .sudo()
            .search([("member_complaint_id", "in", self.ids), ("survey_id", "=", survey.id)])
            .member_complaint_id.ids
        )
        inputs = self.env["survey.user_input"].sudo()
        for complaint in self.filtered(lambda c: c.partner_id and c.id not in invited):
            inputs |= survey._create_answer(
                partner=complaint.partner_id, check_attempts=False, member_complaint_id=complaint.id
            )
        return inputs

    def _member_nps_url(self):
        self.ensure_one()
        survey = self._member_nps_survey()
        answer = (
            self.env["survey.user_input"]
            .sudo()  # sudo: the link of this ticket's own invitation, for its satisfaction request
            .search(
                [("member_complaint_id", "=", self.id), ("survey_id", "=", survey.id), ("state", "!=", "done")],
                limit=1,
            )
            if survey
            else None
        )
        if not answer:
            return super()._member_nps_url()
        return f"{self.get_base_url()}{answer.get_start_url()}"
