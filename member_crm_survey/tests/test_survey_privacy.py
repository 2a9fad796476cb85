"""The access request and the erasure reach the member's NPS answers."""

from odoo.tests import new_test_user, tagged

from odoo.addons.member_crm.tests.common import MemberCrmCommon
from odoo.addons.member_crm_marketing.tests.test_complaint_compensation import ComplaintSetup


@tagged("post_install", "-at_install")
class TestSurveyPrivacy(ComplaintSetup, MemberCrmCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._complaint_setup()
        cls.question = cls.env.ref("member_crm_survey.survey_member_nps_question")
        cls.manager = new_test_user(
            cls.env,
            login="nps_privacy_manager",
            groups="member_crm.group_member_crm_manager",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.complaint = cls._complaint(cls.member, name="Cold soup")
        cls.complaint.with_user(cls.agent).write({"stage_id": cls.stage_closed.id})
        cls.answer = cls.env["survey.user_input"].search([("member_complaint_id", "=", cls.complaint.id)])
        cls.answer.write({"email": "comp.member@example.com", "nickname": "Soup Lover"})
        cls.answer._save_lines(cls.question, 7)
        cls.answer._mark_done()

    def test_export_contains_the_nps_score(self):
        data = self.member.with_user(self.manager)._member_personal_data()
        self.assertEqual(
            [(a["ticket"], a["state"], a["email"], a["nickname"], a["answers"]) for a in data["nps_answers"]],
            [
                (
                    self.complaint.display_name,
                    "done",
                    "comp.member@example.com",
                    "Soup Lover",
                    [{"question": self.question.title, "answer": 7}],
                )
            ],
        )
        self.assertEqual([c["name"] for c in data["complaints"]], ["Cold soup"])

    def test_erasure_deletes_the_answer_lines(self):
        self.assertEqual(len(self.answer.user_input_line_ids), 1)
        self.env["member.erase"].with_user(self.manager).with_context(
            active_model="res.partner", active_ids=self.member.ids
        ).create({"reason": "Request"}).action_erase()
        self.assertTrue(self.answer.exists(), "the answer stays: the ledger's feedback row points to it")
        self.assertEqual((self.answer.email, self.answer.nickname), (False, False))
        self.assertEqual(self.env["survey.user_input.line"].search_count([("user_input_id", "=", self.answer.id)]), 0)
        self.assertEqual(len(self.member._member_nps_personal_data()), 1)
