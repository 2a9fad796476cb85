"""NPS on close: one invitation per closed ticket; its answer and the rating are one feedback row of the ticket."""

from odoo.tests import new_test_user, tagged

from odoo.addons.member_crm.tests.common import MemberCrmCommon
from odoo.addons.member_crm_marketing.tests.test_complaint_compensation import ComplaintSetup


@tagged("post_install", "-at_install")
class TestMemberNps(ComplaintSetup, MemberCrmCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._complaint_setup()
        cls.survey = cls.env.ref("member_crm_survey.survey_member_nps")
        cls.question = cls.env.ref("member_crm_survey.survey_member_nps_question")

    def _close(self, complaint):
        complaint.with_user(self.agent).write({"stage_id": self.stage_closed.id})
        return self.env["survey.user_input"].search([("member_complaint_id", "=", complaint.id)])

    def _answer(self, answer, score, user=None):
        """As the survey page does for the token's visitor (the public user), sudo."""
        answer = answer.with_user(user or self.env.ref("base.public_user")).sudo()
        answer._save_lines(self.question, score)
        answer._mark_done()

    def _feedback(self, partner):
        return self.env["member.ledger"].search([("partner_id", "=", partner.id), ("kind", "=", "feedback")])

    def test_nps_survey_is_one_scale_question(self):
        self.assertEqual(
            [(q.question_type, q.scale_min, q.scale_max) for q in self.survey.question_ids], [("scale", 0, 10)]
        )

    def test_nps_answer_is_one_feedback_row(self):
        complaint = self._complaint(self.member, name="NPS ticket")
        answer = self._close(complaint)
        self.assertEqual((len(answer), answer.partner_id, answer.state), (1, self.member, "new"))
        request = complaint.message_ids.filtered(lambda m: answer.access_token in (m.body or ""))
        self.assertEqual(len(request), 1, "the NPS link goes out with the satisfaction request")
        self.assertEqual(len(self._feedback(self.member)), 0)
        self._answer(answer, 0)  # a detractor's answer counts as a promoter's
        rows = self._feedback(self.member)
        self.assertEqual(
            [(r.feedback_count, r.source_model, r.source_id) for r in rows], [(1, "member.complaint", complaint.id)]
        )
        self.assertEqual(rows.source_ref, complaint)
        answer.with_user(self.env.ref("base.public_user")).sudo().write({"state": "done"})  # again: still one
        self.assertEqual(len(self._feedback(self.member)), 1)
        # closing again does not invite twice
        complaint.write({"stage_id": self.stage_new.id})
        self.assertEqual(len(self._close(complaint)), 1)

    def test_non_member_answer_enrols_nobody(self):
        self.company.member_auto_enroll = True
        stranger = self.env["res.partner"].create({"name": "NPS Stranger", "email": "nps.stranger@example.com"})
        answer = self._close(self._complaint(stranger, name="Stranger NPS"))
        self._answer(answer, 10)
        self.assertEqual(answer.state, "done")
        self.assertEqual(self.env["member.membership"].search_count([("partner_id", "=", stranger.id)]), 0)
        self.assertEqual(len(self._feedback(stranger)), 0)

    def test_rating_and_nps_of_a_ticket_are_one_feedback_row(self):
        complaint = self._complaint(self.member, name="CSAT and NPS")
        answer = self._close(complaint)
        rating = complaint.rating_ids.filtered(lambda r: not r.consumed)
        self.assertEqual((len(answer), len(rating)), (1, 1))
        public = self.env.ref("base.public_user")
        complaint.with_user(public).sudo().rating_apply(5, token=rating.access_token)
        self._answer(answer, 9)
        rows = self._feedback_rows_of(complaint)
        self.assertEqual([(r.feedback_count, r.partner_id) for r in rows], [(1, self.member)])
        self.assertEqual(self._membership(self.member, self.company).qualify_feedback, 1)

    def test_cancelled_ticket_is_not_invited(self):
        cancelled = self.env["member.complaint.stage"].create(
            {"name": "Cancelled (NPS test)", "sequence": 97, "is_closed": True, "is_cancelled": True}
        )
        complaint = self._complaint(self.member, name="Spam ticket")
        complaint.with_user(self.agent).write({"stage_id": cancelled.id})
        self.assertEqual(self.env["survey.user_input"].search_count([("member_complaint_id", "=", complaint.id)]), 0)

    def test_attack_employee_completing_the_answer(self):
        """An employee filling the customer's NPS answer in records no feedback."""
        complaint = self._complaint(self.member, name="Forged NPS")
        answer = self._close(complaint)
        surveyor = new_test_user(self.env, login="nps_surveyor", groups="survey.group_survey_user")
        self._answer(answer, 10, user=surveyor)
        self.assertEqual(answer.state, "done")
        self.assertEqual(len(self._feedback(self.member)), 0)

    def _feedback_rows_of(self, complaint):
        return self.env["member.ledger"].search(
            [("source_model", "=", "member.complaint"), ("source_id", "=", complaint.id), ("kind", "=", "feedback")]
        )
