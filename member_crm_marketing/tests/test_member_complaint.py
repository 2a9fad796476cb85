from datetime import datetime

from odoo.exceptions import AccessError
from odoo.fields import Command
from odoo.tests import freeze_time, new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.mail.tests.common import MailCommon
from odoo.addons.member_crm.tests.common import MemberCrmCommon, MemberTierMixin

# the gateway's sample mail (test_mail's MAIL_TEMPLATE, which is not installed with us)
MAIL_TEMPLATE = """Return-Path: {return_path}
To: {to}
cc: {cc}
Received: by mail1.openerp.com (Postfix, from userid 10002)
    id 5DF9ABFB2A; Fri, 10 Aug 2012 16:16:39 +0200 (CEST)
From: {email_from}
Subject: {subject}
MIME-Version: 1.0
Content-Type: multipart/alternative;
    boundary="----=_Part_4200734_24778174.1344608186754"
Date: {date}
Message-ID: {msg_id}
{extra}
------=_Part_4200734_24778174.1344608186754
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

The jacket I bought last week is torn.
------=_Part_4200734_24778174.1344608186754
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: quoted-printable

<html><body><p>The jacket I bought last week is torn.</p></body></html>
------=_Part_4200734_24778174.1344608186754--
"""

# Friday 2025-06-06 17:30 in Shanghai (UTC+8)
FRIDAY_1730_SHANGHAI = "2025-06-06 09:30:00"


class ComplaintCommon(MemberTierMixin):
    @classmethod
    def _complaint_setup(cls, company):
        cls.tiers = cls._member_enable(company)
        cls.gold = cls._member_partner("Gold Member", company)
        membership = cls.env["member.membership"].search(
            [("partner_id", "=", cls.gold.id), ("company_id", "=", company.id)]
        )
        membership._member_apply_changes([(membership.id, membership.tier_id.id, cls.tiers["GOLD"].id)], "manual")
        cls.gold_membership = membership
        cls.leader = new_test_user(
            cls.env, login="complaint_leader", groups="member_crm.group_member_crm_service", company_id=company.id
        )
        cls.calendar_shanghai = cls.env["resource.calendar"].create(
            {
                "name": "Shanghai 9-18",
                "tz": "Asia/Shanghai",
                "company_id": company.id,
                "attendance_ids": [
                    Command.clear(),
                    *(
                        Command.create(
                            {
                                "name": f"Day {day}",
                                "dayofweek": str(day),
                                "hour_from": 9.0,
                                "hour_to": 18.0,
                                "day_period": "full_day",
                            }
                        )
                        for day in range(5)
                    ),
                ],
            }
        )
        cls.team = cls.env["member.service.team"].create(
            {
                "name": "Member Service",
                "company_id": company.id,
                "leader_id": cls.leader.id,
                "resource_calendar_id": cls.calendar_shanghai.id,
            }
        )
        cls.stage_new = cls.env.ref("member_crm_marketing.member_complaint_stage_new")
        cls.stage_progress = cls.env.ref("member_crm_marketing.member_complaint_stage_progress")
        cls.stage_waiting = cls.env.ref("member_crm_marketing.member_complaint_stage_waiting")
        cls.stage_solved = cls.env.ref("member_crm_marketing.member_complaint_stage_solved")

    def _ticket(self, partner=None, **values):
        return self.env["member.complaint"].create(
            {
                "name": "Torn jacket",
                "partner_id": (partner or self.gold).id,
                "team_id": self.team.id,
                "company_id": self.team.company_id.id,
                **values,
            }
        )


@tagged("post_install", "-at_install")
class TestMemberComplaintSla(MemberCrmCommon, ComplaintCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls._complaint_setup(cls.company)
        cls.agent = cls.role_users["member_service"]

    def test_default_ladder_service_benefits(self):
        hours = {
            code: (tier._member_benefits("service").response_hours, tier._member_benefits("service").resolution_hours)
            for code, tier in self.tiers.items()
        }
        self.assertEqual(
            hours,
            {
                "STD": (24.0, 72.0),
                "GOLD": (8.0, 48.0),
                "PLAT": (8.0, 36.0),
                "DIA": (4.0, 24.0),
                "BLACK": (2.0, 12.0),
                "HON": (4.0, 24.0),
            },
        )
        self.assertEqual((self.gold_membership.response_hours, self.gold_membership.resolution_hours), (8.0, 48.0))
        # a company with a ladder of its own is not touched
        other = self.env["res.company"].create({"name": "Own Ladder Co"})
        own = self.env["member.tier"].create({"company_id": other.id, "code": "ONE", "name": "One", "level": 0})
        other.member_crm_enabled = True
        self.assertEqual(self.env["member.tier"].search([("company_id", "=", other.id)]), own)
        self.assertFalse(self.env["member.benefit"].search([("company_id", "=", other.id)]))

    @freeze_time(FRIDAY_1730_SHANGHAI)
    def test_gold_friday_evening_shanghai(self):
        ticket = self._ticket()
        self.assertEqual(ticket.membership_id, self.gold_membership)
        self.assertEqual(ticket.date_open, datetime(2025, 6, 6, 9, 30))
        # 0.5 h on Friday, 7.5 h on Monday: Monday 16:30 in Shanghai
        self.assertEqual(ticket.response_deadline, datetime(2025, 6, 9, 8, 30))
        # 48 h: 0.5 + 5 x 9 (the next week) + 2.5 on Monday 16th: 11:30 in Shanghai
        self.assertEqual(ticket.resolution_deadline, datetime(2025, 6, 16, 3, 30))
        self.assertRegex(ticket.number, r"^TCK\d{5}$")
        # a later tier change does not move them
        self.gold_membership._member_apply_changes(
            [(self.gold_membership.id, self.tiers["GOLD"].id, self.tiers["STD"].id)], "manual"
        )
        ticket.invalidate_recordset()
        self.assertEqual(ticket.response_deadline, datetime(2025, 6, 9, 8, 30))
        self.assertEqual(ticket.resolution_deadline, datetime(2025, 6, 16, 3, 30))

    @freeze_time(FRIDAY_1730_SHANGHAI)
    def test_public_holiday_moves_the_deadline(self):
        # Monday 9 June, a public holiday on the team's calendar (no resource): all day in Shanghai
        self.env["resource.calendar.leaves"].create(
            {
                "name": "Dragon Boat Festival",
                "calendar_id": self.calendar_shanghai.id,
                "date_from": datetime(2025, 6, 8, 16, 0),
                "date_to": datetime(2025, 6, 9, 15, 59, 59),
            }
        )
        ticket = self._ticket()
        self.assertEqual(ticket.response_deadline, datetime(2025, 6, 10, 8, 30))  # Tuesday 16:30 in Shanghai

    def test_odoo_default_calendar(self):
        calendar = self.env.ref("resource.resource_calendar_std")
        calendar.tz = "Europe/Brussels"  # the calendar's own time zone (summer: UTC+2)
        self.team.resource_calendar_id = False
        self.company.resource_calendar_id = calendar
        # Friday 17:30 in Brussels: after the day's end, 8 h are Monday's 08:00-12:00 and 13:00-17:00
        with freeze_time("2025-06-06 15:30:00"):
            ticket = self._ticket()
        self.assertEqual(ticket.response_deadline, datetime(2025, 6, 9, 15, 0))  # Monday 17:00 in Brussels

    @freeze_time(FRIDAY_1730_SHANGHAI)
    def test_non_member_targets_from_company(self):
        stranger = self.env["res.partner"].create({"name": "Walk-in Customer"})
        ticket = self._ticket(partner=stranger)
        self.assertFalse(ticket.membership_id)
        self.assertEqual(
            (self.company.member_complaint_response_hours, self.company.member_complaint_resolution_hours),
            (48.0, 120.0),
        )
        # 48 h: 0.5 + 45 + 2.5 -> Monday 16th 11:30; 120 h: 0.5 + 13 x 9 + 2.5 -> Thursday 26th 11:30 (Shanghai)
        self.assertEqual(ticket.response_deadline, datetime(2025, 6, 16, 3, 30))
        self.assertEqual(ticket.resolution_deadline, datetime(2025, 6, 26, 3, 30))

    def test_waiting_pauses_the_clock(self):
        with freeze_time(FRIDAY_1730_SHANGHAI):
            ticket = self._ticket()
        with freeze_time("2025-06-09 02:00:00"):  # Monday 10:00 in Shanghai
            ticket.with_user(self.agent).stage_id = self.stage_waiting
        self.assertEqual(ticket.waiting_since, datetime(2025, 6, 9, 2, 0))
        with freeze_time("2025-06-10 02:00:00"):  # Tuesday 10:00: past the response deadline, but waiting
            self.assertFalse(self.env["member.complaint"]._member_sla_escalate())
        with freeze_time("2025-06-10 04:00:00"):  # Tuesday 12:00: 8 + 3 working hours waited
            ticket.with_user(self.agent).stage_id = self.stage_progress
        self.assertEqual(ticket.waiting_hours, 11.0)
        self.assertFalse(ticket.waiting_since)
        # Monday 16:30 + 11 h: 1.5 on Monday, 9 on Tuesday, 0.5 on Wednesday -> Wednesday 09:30 in Shanghai
        self.assertEqual(ticket.response_deadline, datetime(2025, 6, 11, 1, 30))
        self.assertFalse(ticket.response_breached)

    def test_response_is_an_agent_comment(self):
        template = self.env["mail.template"].create(
            {
                "name": "We are on it",
                "model_id": self.env["ir.model"]._get_id("member.complaint"),
                "subject": "We are on it",
                "body_html": "<p>We are looking into your ticket.</p>",
                "partner_to": "{{ object.partner_id.id }}",
            }
        )
        self.stage_progress.template_id = template
        with freeze_time(FRIDAY_1730_SHANGHAI):
            ticket = self._ticket()
            self.env.cr.flush()  # as a commit would: tracking skips the transaction that created the ticket
        with freeze_time("2025-06-09 01:00:00"):
            # BaseCommon turns tracking off: the stage mail needs it
            ticket.with_user(self.agent).with_context(
                tracking_disable=False, mail_notrack=False
            ).stage_id = self.stage_progress
            self.env.flush_all()
            self.env.cr.flush()  # tracking, hence the stage mail, is posted before commit
            ticket.with_user(self.agent).message_post(body="Internal: check stock", subtype_xmlid="mail.mt_note")
            ticket.message_post(
                body="Hello from OdooBot",
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
                author_id=self.env.ref("base.partner_root").id,
            )
        auto = ticket.message_ids.filtered(lambda m: m.message_type == "auto_comment")
        self.assertEqual(len(auto), 1, "the stage mail was posted")
        self.assertEqual(auto.author_id, self.agent.partner_id, "by the agent who moved the ticket")
        self.assertFalse(ticket.first_response_date, "stage mail, log note and OdooBot are no response")
        with freeze_time("2025-06-09 09:00:00"):  # Monday 17:00 in Shanghai: 30 minutes late
            ticket.with_user(self.agent).message_post(
                body="Sorry! We replace it.", message_type="comment", subtype_xmlid="mail.mt_comment"
            )
        self.assertEqual(ticket.first_response_date, datetime(2025, 6, 9, 9, 0))
        self.assertTrue(ticket.response_breached)
        with freeze_time("2025-06-09 10:00:00"):
            ticket.with_user(self.agent).message_post(
                body="Again", message_type="comment", subtype_xmlid="mail.mt_comment"
            )
        self.assertEqual(ticket.first_response_date, datetime(2025, 6, 9, 9, 0), "only the first response")

    def test_response_by_email(self):
        with freeze_time(FRIDAY_1730_SHANGHAI):
            ticket = self._ticket()
        with freeze_time("2025-06-09 01:00:00"):
            # the customer writes again, then the agent answers from their mailbox (both come in by email)
            ticket.message_post(
                body="Any news?", message_type="email", subtype_xmlid="mail.mt_comment", author_id=self.gold.id
            )
            self.assertFalse(ticket.first_response_date)
            ticket.message_post(
                body="Yes!", message_type="email", subtype_xmlid="mail.mt_comment", author_id=self.agent.partner_id.id
            )
        self.assertEqual(ticket.first_response_date, datetime(2025, 6, 9, 1, 0))
        self.assertFalse(ticket.response_breached)

    def test_escalation_once(self):
        with freeze_time(FRIDAY_1730_SHANGHAI):
            ticket = self._ticket()
            on_time = self._ticket(name="Answered")
            closed = self._ticket(name="Closed")
            on_time.with_user(self.agent).message_post(
                body="Hi", message_type="comment", subtype_xmlid="mail.mt_comment"
            )
            closed.stage_id = self.stage_solved
        cron = self.env.ref("member_crm_marketing.ir_cron_member_complaint_sla")
        self.assertEqual((cron.interval_number, cron.interval_type), (15, "minutes"))
        Complaint = self.env["member.complaint"]
        with freeze_time("2025-06-09 08:29:00"):  # a minute before the response deadline
            self.assertFalse(Complaint._member_sla_escalate())
        with freeze_time("2025-06-09 08:45:00"):
            self.assertEqual(Complaint._member_sla_escalate(), ticket)
            self.assertFalse(Complaint._member_sla_escalate(), "a second run does nothing")
        self.assertEqual((ticket.response_breached, ticket.resolution_breached, ticket.escalated), (True, False, True))
        activities = self.env["mail.activity"].search(
            [("res_model", "=", "member.complaint"), ("res_id", "=", ticket.id)]
        )
        self.assertEqual(len(activities), 1)
        self.assertEqual(activities.user_id, self.leader)
        self.assertEqual((on_time.escalated, closed.escalated), (False, False))
        with freeze_time("2025-06-16 04:00:00"):  # past the resolution deadline too: flagged, not escalated again
            self.assertEqual(Complaint._member_sla_escalate(), ticket | on_time)
        self.assertTrue(ticket.resolution_breached)
        self.assertEqual(
            self.env["mail.activity"].search_count(
                [("res_model", "=", "member.complaint"), ("res_id", "=", ticket.id)]
            ),
            1,
        )
        self.assertEqual(
            (on_time.response_breached, on_time.resolution_breached, on_time.escalated), (False, True, True)
        )

    def test_closing_stops_the_clock(self):
        with freeze_time(FRIDAY_1730_SHANGHAI):
            ticket = self._ticket()
        with freeze_time("2025-06-16 04:00:00"):  # solved after the resolution deadline, never answered
            ticket.with_user(self.agent).stage_id = self.stage_solved
        self.assertEqual(ticket.closed_date, datetime(2025, 6, 16, 4, 0))
        self.assertEqual((ticket.response_breached, ticket.resolution_breached), (True, True))
        ticket.with_user(self.agent).stage_id = self.stage_progress
        self.assertFalse(ticket.closed_date)

    # ------------------------------------------------------------------
    # attacks
    # ------------------------------------------------------------------
    def test_agent_cannot_move_service_figures(self):
        ticket = self._ticket().with_user(self.agent)
        deadline = ticket.response_deadline
        for vals in (
            {"response_deadline": "2030-01-01 00:00:00"},
            {"resolution_deadline": "2030-01-01 00:00:00"},
            {"first_response_date": "2025-01-01 00:00:00"},
            {"response_breached": False},
            {"resolution_breached": True},
            {"escalated": True},
            {"closed_date": False},
            {"waiting_hours": 100},
        ):
            with self.assertRaises(AccessError, msg=str(vals)):
                ticket.write(vals)
        self.assertEqual(ticket.response_deadline, deadline)
        # nor at creation, nor through the context's defaults
        with self.assertRaises(AccessError):
            self.env["member.complaint"].with_user(self.agent).create(
                {"name": "Mine", "partner_id": self.gold.id, "resolution_deadline": "2030-01-01 00:00:00"}
            )
        own = (
            self.env["member.complaint"]
            .with_user(self.agent)
            .with_context(default_escalated=True, default_first_response_date="2025-01-01 00:00:00")
            .create({"name": "Mine", "partner_id": self.gold.id})
        )
        self.assertEqual((own.escalated, own.first_response_date), (False, False))
        # what an agent does do
        ticket.write({"name": "Torn jacket (sleeve)", "user_id": self.agent.id, "stage_id": self.stage_progress.id})
        self.assertEqual(ticket.stage_id, self.stage_progress)

    def test_agent_sees_own_companies_only(self):
        other = self.env["res.company"].create({"name": "Other Shop"})
        team_b = self.env["member.service.team"].create({"name": "Other Service", "company_id": other.id})
        ticket_b = self.env["member.complaint"].create(
            {"name": "Elsewhere", "company_id": other.id, "team_id": team_b.id}
        )
        self.assertEqual(self.agent.company_ids, self.company)
        # a ticket of the other company gets that company's team, whatever the creator's current company
        self.assertEqual(self.env["member.complaint"].create({"name": "B", "company_id": other.id}).team_id, team_b)
        self.assertEqual(self.env["member.complaint"].create({"name": "A"}).team_id, self.team)
        Complaint = self.env["member.complaint"].with_user(self.agent)
        self.assertFalse(Complaint.search([("id", "=", ticket_b.id)]))
        with self.assertRaises(AccessError):
            ticket_b.with_user(self.agent).read(["name"])
        with self.assertRaises(AccessError):
            team_b.with_user(self.agent).read(["name"])

    def test_member_user_cannot_reach_complaints(self):
        user = self.role_users["member_user"]
        ticket = self._ticket()
        with self.assertRaises(AccessError):
            self.env["member.complaint"].with_user(user).create({"name": "Nope", "partner_id": self.gold.id})
        with self.assertRaises(AccessError):
            ticket.with_user(user).read(["name"])

    def test_portal_reads_own_tickets_only(self):
        portal = new_test_user(self.env, login="complaint_portal", groups="base.group_portal")
        mine = self._ticket(partner=portal.partner_id, name="My parcel")
        theirs = self._ticket()
        Complaint = self.env["member.complaint"].with_user(portal)
        self.assertEqual(Complaint.search([]), mine)
        self.assertEqual(mine.with_user(portal).read(["name"])[0]["name"], "My parcel")
        with self.assertRaises(AccessError):
            theirs.with_user(portal).read(["name"])
        with self.assertRaises(AccessError):
            mine.with_user(portal).write({"name": "Changed"})


@tagged("post_install", "-at_install")
class TestMemberComplaintMail(MailCommon, ComplaintCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_admin
        cls._complaint_setup(cls.company)
        cls.team.alias_name = "service"
        cls.alias = cls.team.alias_id

    def _mail(self, email_from, subject):
        with mute_logger("odoo.addons.mail.models.mail_thread"):
            return self.format_and_process(
                MAIL_TEMPLATE,
                email_from,
                self.alias.alias_full_name,
                subject=subject,
                target_model="member.complaint",
            )

    def test_alias_defaults(self):
        self.assertEqual(self.alias.alias_model_id.model, "member.complaint")
        self.assertEqual(self.alias.alias_defaults, str({"team_id": self.team.id, "company_id": self.company.id}))

    def test_email_from_member(self):
        ticket = self._mail(self.gold.email_formatted, "Torn jacket")
        self.assertEqual(len(ticket), 1)
        self.assertEqual(ticket.partner_id, self.gold)
        self.assertEqual(ticket.membership_id, self.gold_membership)
        self.assertEqual((ticket.channel, ticket.team_id, ticket.company_id), ("email", self.team, self.company))
        self.assertIn("torn", ticket.description)
        self.assertTrue(ticket.response_deadline)
        self.assertFalse(ticket.first_response_date, "the customer's mail is not the response")

    def test_email_from_unknown_sender(self):
        ticket = self._mail("Nobody <nobody.known@example.org>", "Opening hours")
        self.assertEqual(len(ticket), 1)
        self.assertFalse(ticket.partner_id)
        self.assertFalse(ticket.membership_id)
        self.assertEqual(ticket.email_from, '"Nobody" <nobody.known@example.org>')

    def test_shared_address_prefers_the_member(self):
        self.env["res.partner"].create({"name": "Gold's Husband", "email": self.gold.email})
        ticket = self._mail(self.gold.email_formatted, "Shared address")
        self.assertEqual(ticket.partner_id, self.gold)
        self.assertEqual(ticket.membership_id, self.gold_membership)

    def test_shared_address_without_member_says_why(self):
        self.env["res.partner"].create(
            [{"name": "Twin A", "email": "twins@example.org"}, {"name": "Twin B", "email": "twins@example.org"}]
        )
        ticket = self._mail("twins@example.org", "Which twin")
        self.assertFalse(ticket.partner_id)
        self.assertFalse(ticket.membership_id)
        notes = ticket.message_ids.filtered(lambda m: "several contacts" in (m.body or ""))
        self.assertEqual(len(notes), 1)
        self.assertIn("Twin A", notes.body)
