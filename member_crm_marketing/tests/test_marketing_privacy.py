"""The access request and the erasure reach the complaints, their ratings and compensations, and the
interactions (logins, social-media events) of the member."""

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from odoo.addons.member_crm.tests.common import MemberCrmCommon

from .test_complaint_compensation import ComplaintSetup


@tagged("post_install", "-at_install")
class TestMarketingPrivacy(ComplaintSetup, MemberCrmCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._complaint_setup()
        cls.manager = new_test_user(
            cls.env,
            login="mkt_privacy_manager",
            groups="member_crm.group_member_crm_manager",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.complaint = cls._complaint(cls.member, name="Noisy fridge at 12 Park Road")
        cls.complaint.write(
            {
                "description": "<p>Call me at home, my neighbour Wang heard it too.</p>",
                "email_from": "comp.member@example.com",
                "email_cc": "wang.neighbour@example.com",
            }
        )
        cls.rating = cls.env["rating.rating"].create(
            {
                "res_model_id": cls.env["ir.model"]._get_id("member.complaint"),
                "res_id": cls.complaint.id,
                "partner_id": cls.member.id,
                "rating": 2,
                "feedback": "The agent was rude to me",
            }
        )
        cls.event = cls.env["member.interaction"].create(
            {"partner_id": cls.member.id, "channel": "wechat", "social_action": "comment", "note": "Loves jasmine tea"}
        )
        cls.member.with_company(cls.company).member_tier_id.compensation_max_points = 200.0
        cls.compensation = (
            cls.env["member.complaint.compensation"]
            .with_user(cls.agent)
            .create(
                {
                    "complaint_id": cls.complaint.id,
                    "kind": "points",
                    "points": 20.0,
                    "reason": "Sorry about the noise at Park Road",
                }
            )
        )
        company_b = cls.env["res.company"].create({"name": "Privacy Shop B"})
        cls.ticket_b = cls._complaint(cls.member, company=company_b, name="Ticket of shop B")

    def _erase(self):
        self.env["member.erase"].with_user(self.manager).with_context(
            active_model="res.partner", active_ids=self.member.ids
        ).create({"reason": "Request"}).action_erase()

    def test_export_contains_the_service_data(self):
        data = self.member.with_user(self.manager)._member_personal_data()
        self.assertEqual(
            [(c["name"], c["email_from"], c["email_cc"]) for c in data["complaints"]],
            [("Noisy fridge at 12 Park Road", "comp.member@example.com", "wang.neighbour@example.com")],
            "the ticket of a company the manager does not work in is not theirs to export",
        )
        self.assertIn("my neighbour Wang", data["complaints"][0]["description"])
        self.assertEqual(
            [(r["rating"], r["feedback"]) for r in data["complaint_ratings"]], [(2.0, "The agent was rude to me")]
        )
        self.assertEqual(
            [(c["kind"], c["points"], c["reason"], c["state"]) for c in data["compensations"]],
            [("points", 20.0, "Sorry about the noise at Park Road", "proposed")],
        )
        self.assertEqual(
            [(e["kind"], e["channel"], e["note"]) for e in data["interactions"]],
            [("social", "wechat", "Loves jasmine tea")],
        )
        # attack: a member user (no manager) cannot produce the file
        member_user = self.role_users["member_user"]
        with self.assertRaises(AccessError):
            self.member.with_user(member_user)._member_export_file()

    def test_erasure_clears_the_service_data(self):
        self._erase()
        for ticket in (self.complaint, self.ticket_b):
            with self.subTest(ticket=ticket.number):
                self.assertTrue(ticket.exists(), "the ticket stays, for the service figures")
                self.assertEqual(
                    (ticket.name, ticket.description, ticket.email_from, ticket.email_cc),
                    (f"Erased ticket {ticket.number}", False, False, False),
                )
        self.assertEqual((self.compensation.points, self.compensation.reason), (20.0, False))
        self.assertTrue(self.rating.exists())
        self.assertEqual((self.rating.rating, self.rating.feedback), (2.0, False))
        self.assertFalse(self.event.exists())
        self.assertEqual(self.env["member.interaction"].search_count([("partner_id", "=", self.member.id)]), 0)
