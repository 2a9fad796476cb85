"""Satisfaction on close (Odoo's rating, by email or SMS) and ratings as feedback for the tier criterion."""

import re

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from odoo.addons.member_crm.tests.common import MemberCrmCommon
from odoo.addons.sms.tests.common import MockSMS

from .test_complaint_compensation import ComplaintSetup


class SatisfactionSetup(ComplaintSetup):
    def _feedback_rows(self, partner):
        return self.env["member.ledger"].search(
            [("partner_id", "=", partner.id), ("company_id", "=", self.company.id), ("kind", "=", "feedback")]
        )

    def _close(self, complaint, stage=None):
        complaint.with_user(self.agent).write({"stage_id": (stage or self.stage_closed).id})
        return complaint.rating_ids.filtered(lambda r: not r.consumed)

    def _rate_as_customer(self, rating, rate):
        """As Odoo's rating page does: the public user, sudo, with the token."""
        public = self.env.ref("base.public_user")
        return (
            self.env["member.complaint"]
            .with_user(public)
            .sudo()
            .browse(rating.res_id)
            .rating_apply(rate, token=rating.access_token)
        )


@tagged("post_install", "-at_install")
class TestComplaintFeedback(SatisfactionSetup, MemberCrmCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._complaint_setup()
        cls.member_b = cls._member_partner("Comp Member B", cls.company)

    def test_unhappy_counts_as_happy(self):
        unhappy = self._close(self._complaint(self.member, name="Late delivery"))
        happy = self._close(self._complaint(self.member_b, name="Wrong size"))
        self.assertEqual((len(unhappy), len(happy)), (1, 1), "one pending rating per closed ticket")
        self._rate_as_customer(unhappy, 1)
        self._rate_as_customer(happy, 5)
        for partner, rating in ((self.member, unhappy), (self.member_b, happy)):
            rows = self._feedback_rows(partner)
            self.assertEqual(
                [(r.feedback_count, r.amount, r.order_count, r.source_model, r.source_id) for r in rows],
                [(1, 0.0, 0, "member.complaint", rating.res_id)],
            )
            self.assertEqual(self._membership(partner, self.company).qualify_feedback, 1)
        # the same rating changed later is still one piece of feedback
        self._rate_as_customer(unhappy, 5)
        self.assertEqual(len(self._feedback_rows(self.member)), 1)

    def test_message_post_rating_counts_for_the_customer_only(self):
        complaint = self._complaint(self.member, name="Chatter rating")
        portal = new_test_user(self.env, login="comp_portal", groups="base.group_portal", partner_id=self.member.id)
        # the member rates through the chatter (portal): sudo as the portal controllers do, the user stays theirs
        complaint.with_user(portal).sudo().message_post(body="Meh", rating_value=1, message_type="comment")
        # an agent's own rating on the ticket is not the customer's feedback
        complaint.with_user(self.agent).message_post(body="Looks fine", rating_value=5, message_type="comment")
        self.assertEqual(len(complaint.sudo().rating_ids), 2)
        rows = self._feedback_rows(self.member)
        self.assertEqual([(r.source_model, r.source_id) for r in rows], [("member.complaint", complaint.id)])
        self.assertEqual(self.env["member.ledger"].search_count([("source_model", "=", "member.complaint")]), 1)
        # the member rates the same ticket again: still one piece of feedback per ticket
        complaint.with_user(portal).sudo().message_post(body="Better now", rating_value=5, message_type="comment")
        self.assertEqual(len(self._feedback_rows(self.member)), 1)

    def test_non_member_rating_enrols_nobody(self):
        self.company.member_auto_enroll = True
        stranger = self.env["res.partner"].create({"name": "Comp Rater", "email": "comp.rater@example.com"})
        rating = self._close(self._complaint(stranger, name="Stranger"))
        self._rate_as_customer(rating, 5)
        self.assertTrue(rating.consumed)
        self.assertEqual(self.env["member.membership"].search_count([("partner_id", "=", stranger.id)]), 0)
        self.assertEqual(len(self._feedback_rows(stranger)), 0)
        self.assertFalse(stranger.with_company(self.company).is_member)

    def test_close_sends_the_rating_request_by_email(self):
        complaint = self._complaint(self.member, name="Email CSAT")
        messages_before = len(complaint.message_ids)
        rating = self._close(complaint)
        self.assertEqual((len(rating), rating.partner_id, rating.consumed), (1, self.member, False))
        request = complaint.message_ids[: len(complaint.message_ids) - messages_before].filtered(
            lambda m: f"/rate/{rating.access_token}/5" in m.body
        )
        self.assertEqual(len(request), 1)
        self.assertIn("Happy (satisfied)", request.body)
        self.assertEqual(request.partner_ids, self.member)
        # reopening and closing again asks with the same pending rating
        complaint.write({"stage_id": self.stage_new.id})
        self._close(complaint)
        self.assertEqual(len(complaint.sudo().rating_ids), 1)
        self.assertEqual(len(self._feedback_rows(self.member)), 0, "asked, not answered: no feedback yet")
        # ... and does not ask again: one request per ticket
        requests = complaint.message_ids.filtered(lambda m: f"/rate/{rating.access_token}/5" in (m.body or ""))
        self.assertEqual(len(requests), 1)
        self.assertTrue(complaint.satisfaction_requested)
        with self.assertRaises(AccessError):
            complaint.with_user(self.agent).write({"satisfaction_requested": False})

    def test_cancelled_stage_asks_nothing(self):
        cancelled = self.env["member.complaint.stage"].create(
            {"name": "Cancelled (test)", "sequence": 98, "is_closed": True, "is_cancelled": True}
        )
        self.assertTrue(self.env.ref("member_crm_marketing.member_complaint_stage_cancelled").is_cancelled)
        complaint = self._complaint(self.member, name="Duplicate ticket")
        messages_before = len(complaint.message_ids)
        self._close(complaint, stage=cancelled)
        self.assertEqual(len(complaint.sudo().rating_ids), 0)
        self.assertEqual(len(complaint.message_ids.filtered(lambda m: "/rate/" in (m.body or ""))), 0)
        self.assertFalse(complaint.satisfaction_requested)
        self.assertGreaterEqual(len(complaint.message_ids), messages_before)
        # an agent cannot mark a ticket as asked to skip the request either
        with self.assertRaises(AccessError):
            self._complaint(self.member_b).with_user(self.agent).write({"satisfaction_requested": True})

    def test_attack_employee_rating_is_no_feedback(self):
        """A cashier or an agent creating or submitting a rating in the customer's name records no feedback."""
        complaint = self._complaint(self.member, name="Forged rating")
        cashier = new_test_user(self.env, login="comp_cashier", groups="base.group_user,point_of_sale.group_pos_user")
        forged = {
            "res_model_id": self.env["ir.model"]._get_id("member.complaint"),
            "res_id": complaint.id,
            "partner_id": self.member.id,
            "rating": 5.0,
            "consumed": True,
        }
        with self.assertRaises(AccessError):
            self.env["rating.rating"].with_user(cashier).create(forged)
        self.env["rating.rating"].with_user(self.agent).create(forged)
        self.assertEqual(len(self._feedback_rows(self.member)), 0)
        # the pending rating of the request, submitted by the agent (write or rating_apply): not the customer's
        rating = self._close(complaint)
        self.assertEqual(len(rating), 1)
        rating.with_user(self.agent).write({"rating": 5.0, "consumed": True})
        complaint.with_user(self.agent).rating_apply(5, token=rating.access_token)
        self.assertEqual(len(self._feedback_rows(self.member)), 0)
        self.assertEqual(self._membership(self.member, self.company).qualify_feedback, 0)

    def test_attack_rating_read_rules(self):
        """Complaint ratings (feedback text) are the service's, within its companies; other ratings stay visible."""
        complaint = self._complaint(self.member, name="Private feedback")
        rating = self._close(complaint)
        self._rate_as_customer(rating, 1)
        rating.sudo().feedback = "The agent was rude"
        partner_rating = self.env["rating.rating"].create(
            {
                "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                "res_id": self.member_b.id,
                "partner_id": self.member_b.id,
            }
        )
        cashier = new_test_user(
            self.env, login="comp_cashier_read", groups="base.group_user,point_of_sale.group_pos_user"
        )
        Rating = self.env["rating.rating"]
        self.assertEqual(Rating.with_user(cashier).search_read([("id", "=", rating.id)], ["feedback"]), [])
        self.assertEqual(
            Rating.with_user(cashier).search([("id", "in", (rating | partner_rating).ids)]), partner_rating
        )
        with self.assertRaises(AccessError):
            rating.with_user(cashier).read(["feedback"])
        self.assertEqual(
            Rating.with_user(self.agent).search_read([("id", "=", rating.id)], ["feedback"]),
            [{"id": rating.id, "feedback": "The agent was rude"}],
        )
        company_b = self.env["res.company"].create({"name": "Comp Rating Company B"})
        agent_b = new_test_user(
            self.env,
            login="comp_rating_agent_b",
            groups="member_crm.group_member_crm_service",
            company_id=company_b.id,
            company_ids=[Command.set(company_b.ids)],
        )
        self.assertEqual(Rating.with_user(agent_b).search_read([("res_model", "=", "member.complaint")], ["id"]), [])
        with self.assertRaises(AccessError):
            rating.with_user(agent_b).read(["feedback"])


@tagged("post_install", "-at_install")
class TestComplaintRatingSms(MockSMS, SatisfactionSetup, MemberCrmCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._complaint_setup()

    def test_sms_link_when_no_email(self):
        phone_only = self._member_partner("Comp Phone", self.company)
        phone_only.write({"email": False, "phone": "+32456001122"})
        complaint = self._complaint(phone_only, name="Phone CSAT")
        with self.mockSMSGateway():
            rating = self._close(complaint)
        self.assertEqual(len(rating), 1)
        self.assertEqual(len(self._sms), 1, "one SMS, through the (mocked) gateway")
        self.assertEqual(self._sms[0]["number"], phone_only.phone_sanitized or "+32456001122")
        self.assertIn(f"/rate/{rating.access_token}/3", self._sms[0]["body"])
        self.assertIn("Happy, Neutral or Unhappy", self._sms[0]["body"])
        self.assertEqual(len(complaint.message_ids.filtered(lambda m: m.message_type == "sms")), 1)

    def test_rating_page_unhappy_is_one_feedback_row(self):
        """The customer follows the link and answers Unhappy on Odoo's page (public user): one feedback row."""
        complaint = self._complaint(self.member, name="Page CSAT")
        rating = self._close(complaint)
        self.authenticate(None, None)
        page = self.url_open(f"/rate/{rating.access_token}/1")
        self.assertEqual(page.status_code, 200)
        csrf = re.search(r'name="csrf_token"\s+value="([^"]+)"', page.text).group(1)
        self.assertFalse(rating.consumed, "opening the page submits nothing")
        done = self.url_open(
            f"/rate/{rating.access_token}/submit_feedback",
            data={"rate": 1, "feedback": "Too slow", "csrf_token": csrf},
        )
        self.assertEqual(done.status_code, 200)
        rating.invalidate_recordset()
        self.assertEqual((rating.consumed, rating.rating), (True, 1.0))
        rows = self._feedback_rows(self.member)
        self.assertEqual([(r.feedback_count, r.source_id) for r in rows], [(1, complaint.id)])
        # the customer changes their mind on the same page: still one piece of feedback
        self.url_open(f"/rate/{rating.access_token}/submit_feedback", data={"rate": 5, "csrf_token": csrf})
        self.assertEqual(len(self._feedback_rows(self.member)), 1)
