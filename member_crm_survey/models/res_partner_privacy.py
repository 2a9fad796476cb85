"""Privacy of the NPS answers: the access request and the erasure of member_crm extended to them."""

from odoo import models
from odoo.fields import Domain


# pylint: disable=consider-merging-classes-inherited
# (the privacy of the NPS answers kept apart from the complaint's NPS invitation: one concern per file)
class ResPartner(models.Model):
    _inherit = "res.partner"

    def _member_personal_data(self):
        data = super()._member_personal_data()
        data["nps_answers"] = self._member_nps_personal_data()
        return data

    def _member_erase_traces(self):
        res = super()._member_erase_traces()
        self._member_erase_nps_answers()
        return res

    def _member_nps_inputs(self, complaints):
        """The NPS answers of these contacts or to these tickets, as superuser (survey answers are the survey
        managers'; only those a ticket invited)."""
        return (
            self.env["survey.user_input"]
            .sudo()
            .search(
                Domain("member_complaint_id", "!=", False)
                & (Domain("partner_id", "in", self.ids) | Domain("member_complaint_id", "in", complaints.ids))
            )
        )

    def _member_nps_personal_data(self):
        """The NPS answers to the tickets the exporter may read (their companies), with the score given."""
        self.ensure_one()
        family = self.with_context(active_test=False).search([("id", "child_of", self.commercial_partner_id.id)])
        complaints = self.env["member.complaint"].search(family._member_family_complaint_domain())
        # sudo: the exporter (a member manager) may not read survey answers; those to the tickets they may read
        inputs = self.env["survey.user_input"].sudo().search([("member_complaint_id", "in", complaints.ids)])
        return [
            {
                "ticket": answer.member_complaint_id.display_name,
                "survey": answer.survey_id.title,
                "state": answer.state,
                "date": answer.end_datetime or answer.create_date,
                "email": answer.email,
                "nickname": answer.nickname,
                "answers": [
                    {
                        "question": line.question_id.title,
                        "answer": line.value_scale if line.answer_type == "scale" else line.display_name,
                    }
                    for line in answer.user_input_line_ids
                    if not line.skipped
                ],
            }
            for answer in inputs
        ]

    def _member_erase_nps_answers(self):
        """Delete the answer lines of the family's NPS answers and clear their email and nickname; the answers
        stay (the ledger's feedback rows point to them), without what was said.

        ``self``: the erased family, as superuser (member_crm's erasure)."""
        complaints = self.env["member.complaint"].sudo().search(self._member_family_complaint_domain())
        inputs = self._member_nps_inputs(complaints)
        inputs.user_input_line_ids.unlink()
        inputs.write({"email": False, "nickname": False})
        return True
