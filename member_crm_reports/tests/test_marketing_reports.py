"""Tier movements, campaign effectiveness and service reports on data made by the real writers.

Every figure is a hand-computed literal, read as a member auditor (accountant) through
``_read_group``, as pivot and graph read them. Attacks: roles without reporting rights cannot
read the reports; an auditor of another company reads none of these rows.
"""

import datetime as dt

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from odoo.addons.base.tests.common import BaseCommon
from odoo.addons.member_crm.tests.common import MemberTierMixin
from odoo.addons.member_crm_marketing.tests.test_campaign_attribution import CampaignAttributionCommon


class ReportAccessMixin:
    """An auditor of the fixture's company, one of another company, and roles without reporting rights."""

    @classmethod
    def _report_users(cls, company):
        cls.other_company = cls.env["res.company"].create({"name": "Report Other Co"})
        users = {}
        for login, groups, home in (
            ("rep_auditor", "member_crm.group_member_crm_accountant", company),
            ("rep_auditor_other", "member_crm.group_member_crm_accountant", cls.other_company),
            # a salesperson with the member user role, and a cashier: no reporting rights
            ("rep_salesperson", "member_crm.group_member_crm_user,sales_team.group_sale_salesman", company),
            ("rep_cashier", "point_of_sale.group_pos_user", company),
        ):
            users[login] = new_test_user(cls.env, login=login, groups=groups, company_id=home.id, company_ids=[home.id])
        cls.auditor = users["rep_auditor"]
        cls.auditor_other = users["rep_auditor_other"]
        cls.no_report_users = users["rep_salesperson"] | users["rep_cashier"]

    def _assert_report_access(self, model, company):
        domain = [("company_id", "=", company.id)]
        self.assertTrue(self.env[model].with_user(self.auditor).search_read(domain, ["company_id"]))
        self.assertFalse(
            self.env[model].with_user(self.auditor_other).search_read(domain, ["company_id"]),
            "another company's auditor reads none of the company's rows",
        )
        for user in self.no_report_users:
            with self.assertRaises(AccessError, msg=f"{user.login} reads {model}"):
                self.env[model].with_user(user).search_read([], ["company_id"])
            with self.assertRaises(AccessError, msg=f"{user.login} groups {model}"):
                self.env[model].with_user(user)._read_group([], ["company_id"], ["__count"])


@tagged("post_install", "-at_install")
class TestTierEventReport(BaseCommon, MemberTierMixin, ReportAccessMixin):
    """Two members enrolled in January, moved to Gold at 01:00 on 1 February in Shanghai (still
    31 January in UTC), notified of a drop on 10 February (grace starts); on 5 March Mei qualifies
    again (her grace ends), Lu's grace is over: it ends and he drops to Standard."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env["res.company"].create({"name": "Tier Report Co"})
        cls.company.partner_id.tz = "Asia/Shanghai"
        cls.env.user.company_ids |= cls.company
        cls.tiers = cls._member_enable(cls.company, member_grace_days=20, member_keep_months=0)
        cls._report_users(cls.company)
        with freeze_time("2026-01-10 04:00:00"):
            cls.mei = cls._member_partner("Report Mei", cls.company)
            cls.lu = cls._member_partner("Report Lu", cls.company)
        Membership = cls.env["member.membership"]
        cls.memberships = Membership.search(
            [("partner_id", "in", (cls.mei | cls.lu).ids), ("company_id", "=", cls.company.id)]
        )
        with freeze_time("2026-01-31 17:00:00"):  # 1 February 01:00 in Shanghai
            Membership._member_apply_changes(
                [(m.id, m.tier_id.id, cls.tiers["GOLD"].id) for m in cls.memberships], "manual"
            )
        with freeze_time("2026-02-10 04:00:00"):
            Membership._member_review_batch(cls.company, dt.date(2026, 2, 10))
        # Mei spends enough for Gold again before the next review
        cls._opening(cls, cls.mei, cls.company, dt.date(2026, 3, 1), 3000.0, orders=3, key=1)
        with freeze_time("2026-03-05 04:00:00"):
            Membership._member_review_batch(cls.company, dt.date(2026, 3, 5))

    def test_movements_per_local_month(self):
        self.assertEqual(self.mei.with_company(self.company).member_tier_id, self.tiers["GOLD"])
        self.assertEqual(self.lu.with_company(self.company).member_tier_id, self.tiers["STD"])
        Report = self.env["member.report.tier.event"].with_user(self.auditor)
        groups = Report._read_group(
            [("company_id", "=", self.company.id)], ["month:month", "direction", "trigger"], ["event_count:sum"]
        )
        self.assertEqual(
            sorted((month.strftime("%Y-%m"), direction, trigger, count) for month, direction, trigger, count in groups),
            [
                ("2026-01", "up", "enroll", 2),
                # the move at 01:00 local on 1 February counts in February, not in January (UTC)
                ("2026-02", "grace_start", "review", 2),
                ("2026-02", "up", "manual", 2),
                ("2026-03", "down", "review", 1),
                ("2026-03", "grace_end", "review", 2),
            ],
        )
        rows = Report.search([("company_id", "=", self.company.id), ("direction", "=", "down")])
        self.assertEqual(
            [(r.from_tier_id, r.to_tier_id, r.month) for r in rows],
            [(self.tiers["GOLD"], self.tiers["STD"], dt.date(2026, 3, 1))],
        )
        # who moved: not the auditor's to read (test_report_security), the member's readers'
        self.assertEqual(rows.sudo().partner_id, self.lu)
        # the action's default filter leaves enrolments out
        groups = Report._read_group(
            [("company_id", "=", self.company.id), ("trigger", "!=", "enroll")], ["direction"], ["event_count:sum"]
        )
        self.assertEqual(dict(groups), {"up": 2, "grace_start": 2, "grace_end": 2, "down": 1})

    def test_access(self):
        self._assert_report_access("member.report.tier.event", self.company)


class MarketingReportSetup(CampaignAttributionCommon, ReportAccessMixin):
    """member_crm_marketing's attribution fixture (see its docstring), with Dan moved to Gold before the
    launch: C1 (email) reached Alice (opened, clicked, used her coupon: 400 attributed), Bob (sent: 300
    attributed through the window) and Dan (Gold, pending: nothing); Carol is its holdout (150). C2 (SMS)
    reached Alice (200 attributed through the window); Bob's SMS failed."""

    @classmethod
    def _recipients(cls, campaign, partners, holdout=()):
        dan = next((p for p in partners if p.name == "Dan"), None)
        if dan and dan.with_company(cls.company).member_tier_id.code != "GOLD":
            membership = cls.env["member.membership"].search(
                [("partner_id", "=", dan.id), ("company_id", "=", cls.company.id)]
            )
            gold = cls.env["member.tier"].search([("company_id", "=", cls.company.id), ("code", "=", "GOLD")])
            membership._member_apply_changes([(membership.id, membership.tier_id.id, gold.id)], "manual")
        return super()._recipients(campaign, partners, holdout=holdout)


@tagged("post_install", "-at_install")
class TestCampaignReport(MarketingReportSetup):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._report_users(cls.company)

    def test_effectiveness_by_campaign_tier_and_channel(self):
        self._fixture_orders()
        self.env["member.campaign"]._member_refresh_results(self.company)
        Report = self.env["member.report.campaign"].with_user(self.auditor)
        fields = [
            "recipient_count",
            "reached_count",
            "participated_count",
            "converted_count",
            "order_count",
            "revenue",
            "holdout_count",
            "participation_rate",
            "conversion_rate",
        ]
        rows = Report.search([("company_id", "=", self.company.id)])
        self.assertEqual(
            sorted((r.campaign_id.name, r.tier_id.code, r.channel, *(r[f] for f in fields)) for r in rows),
            [
                # Alice participated (opened, clicked, coupon), Alice and Bob converted; Carol held out
                ("C1", "GOLD", "email", 1, 1, 0, 0, 0, 0.0, 0, 0.0, 0.0),
                ("C1", "STD", "email", 2, 2, 1, 2, 2, 700.0, 1, 0.5, 1.0),
                # Bob's SMS failed: reached is Alice only, who bought in the window without opening anything
                ("C2", "STD", "sms", 2, 1, 0, 1, 1, 200.0, 0, 0.0, 1.0),
            ],
        )
        self.assertEqual(self.r1[self.dan].tier_id.code, "GOLD", "precondition: Dan was Gold at launch")
        # grouped, a rate is the ratio of the sums: C1 1/3 and 2/3, not the mean of its rows (0.25, 0.5)
        groups = Report._read_group(
            [("company_id", "=", self.company.id)],
            ["campaign_id"],
            ["reached_count:sum", "participation_rate:avg", "conversion_rate:avg", "revenue:sum"],
        )
        figures = {
            campaign.name: (reached, round(part, 4), round(conv, 4), rev)
            for campaign, reached, part, conv, rev in groups
        }
        self.assertEqual(figures, {"C1": (3, 0.3333, 0.6667, 700.0), "C2": (1, 0.0, 1.0, 200.0)})
        groups = Report._read_group(
            [("company_id", "=", self.company.id)], ["channel"], ["participation_rate:avg", "conversion_rate:avg"]
        )
        self.assertEqual(
            {channel: (round(p, 4), round(c, 4)) for channel, p, c in groups},
            {"email": (0.3333, 0.6667), "sms": (0.0, 1.0)},
        )
        # the campaign form's revenue is the report's total
        self.assertEqual((self.c1.revenue, self.c2.revenue), (700.0, 200.0))
        # the pivot view reads the same aggregates
        self.env["member.report.campaign"].with_user(self.auditor).get_views([(False, "pivot"), (False, "graph")])
        self._assert_report_access("member.report.campaign", self.company)


@tagged("post_install", "-at_install")
class TestServiceReport(BaseCommon, MemberTierMixin, ReportAccessMixin):
    """Ann and Bo (Standard) join on 5 January; Bo moves to Gold on 20 January.

    - t1: Ann's complaint at 01:30 on 1 February in Shanghai (31 January in UTC): answered and closed at
      once, rated Happy. Standard, February.
    - t2: Bo's complaint of 10 January (Standard then): never answered, late on both deadlines by March,
      then closed and rated Unhappy. Standard, January, breached.
    - t3: Bo's inquiry of 3 February (Gold): answered and closed, not rated.
    - t4: a non-member's feedback of 5 February: closed at once, rated Happy. No tier.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env["res.company"].create({"name": "Service Report Co"})
        cls.company.partner_id.tz = "Asia/Shanghai"
        cls.env.user.company_ids |= cls.company
        cls.tiers = cls._member_enable(cls.company)
        cls._report_users(cls.company)
        cls.agent = new_test_user(
            cls.env,
            login="rep_agent",
            groups="member_crm.group_member_crm_service",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.team = cls.env["member.service.team"].create(
            {"name": "Report Desk", "company_id": cls.company.id, "leader_id": cls.agent.id}
        )
        Stage = cls.env["member.complaint.stage"]
        cls.stage_new = Stage.create({"name": "New (report test)", "sequence": 1})
        cls.stage_closed = Stage.create({"name": "Solved (report test)", "sequence": 99, "is_closed": True})
        with freeze_time("2026-01-05 02:00:00"):
            cls.ann = cls._member_partner("Service Ann", cls.company)
            cls.bo = cls._member_partner("Service Bo", cls.company)
        cls.guest = cls.env["res.partner"].create({"name": "Service Guest", "email": "service.guest@example.com"})
        bo_membership = cls.env["member.membership"].search(
            [("partner_id", "=", cls.bo.id), ("company_id", "=", cls.company.id)]
        )
        with freeze_time("2026-01-10 02:00:00"):
            cls.t2 = cls._ticket(cls.bo, "complaint")
        with freeze_time("2026-01-20 02:00:00"):
            bo_membership._member_apply_changes(
                [(bo_membership.id, bo_membership.tier_id.id, cls.tiers["GOLD"].id)], "manual"
            )
        with freeze_time("2026-01-31 17:30:00"):
            cls.t1 = cls._ticket(cls.ann, "complaint")
            cls._answer(cls.t1)
            cls._close(cls.t1)
        with freeze_time("2026-02-03 02:00:00"):
            cls.t3 = cls._ticket(cls.bo, "inquiry")
            cls._answer(cls.t3)
            cls._close(cls.t3)
        with freeze_time("2026-02-05 02:00:00"):
            cls.t4 = cls._ticket(cls.guest, "feedback")
            cls._close(cls.t4)
        with freeze_time("2026-03-10 02:00:00"):
            cls.env["member.complaint"]._member_sla_escalate()
            cls._close(cls.t2)
        cls._rate(cls.t1, 5)
        cls._rate(cls.t2, 1)
        cls._rate(cls.t4, 5)

    @classmethod
    def _ticket(cls, partner, complaint_type):
        return (
            cls.env["member.complaint"]
            .with_user(cls.agent)
            .create(
                {
                    "name": f"{partner.name} {complaint_type}",
                    "partner_id": partner.id,
                    "company_id": cls.company.id,
                    "team_id": cls.team.id,
                    "complaint_type": complaint_type,
                    "stage_id": cls.stage_new.id,
                }
            )
        )

    @classmethod
    def _answer(cls, ticket):
        ticket.with_user(cls.agent).message_post(
            body="We are on it.", message_type="comment", subtype_xmlid="mail.mt_comment"
        )

    @classmethod
    def _close(cls, ticket):
        ticket.with_user(cls.agent).write({"stage_id": cls.stage_closed.id})

    @classmethod
    def _rate(cls, ticket, rate):
        """As Odoo's rating page does: the public user, sudo, with the request's token."""
        rating = ticket.sudo().rating_ids.filtered(lambda r: not r.consumed)
        public = cls.env.ref("base.public_user")
        cls.env["member.complaint"].with_user(public).sudo().browse(ticket.id).rating_apply(
            rate, token=rating.access_token
        )

    def test_volume_breaches_and_csat_by_tier(self):
        # preconditions made by the real flows
        self.assertEqual(
            [(t.response_breached, t.resolution_breached) for t in (self.t1, self.t2, self.t3, self.t4)],
            [(False, False), (True, True), (False, False), (False, False)],
        )
        self.assertEqual(self.bo.with_company(self.company).member_tier_id, self.tiers["GOLD"])
        Report = self.env["member.report.service"].with_user(self.auditor)
        domain = [("company_id", "=", self.company.id)]
        # which ticket a row is: the agent's to read, the auditor reads the figures only (test_report_security)
        rows = {r.complaint_id: r for r in Report.with_user(self.agent).search(domain)}
        self.assertEqual(
            [(rows[t].tier_id.code, str(rows[t].month)) for t in (self.t1, self.t2, self.t3, self.t4)],
            [("STD", "2026-02-01"), ("STD", "2026-01-01"), ("GOLD", "2026-02-01"), (False, "2026-02-01")],
            "the tier when the ticket was opened, the month in the company's time zone",
        )
        measures = ["complaint_count:sum", "breached_count:sum", "rated_count:sum", "happy_count:sum"]
        rates = ["breach_rate:avg", "csat:avg"]
        groups = Report._read_group(domain, ["tier_id"], measures + rates)
        self.assertEqual(
            {
                tier.code: tuple(round(v, 4) if isinstance(v, float) else v for v in figures)
                for tier, *figures in groups
            },
            {
                "STD": (2, 1, 2, 1, 0.5, 0.5),
                "GOLD": (1, 0, 0, 0, 0.0, False),  # no rated ticket: no CSAT
                False: (1, 0, 1, 1, 0.0, 1.0),
            },
        )
        groups = Report._read_group(domain, ["month:month", "complaint_type"], ["complaint_count:sum"])
        self.assertEqual(
            sorted((month.strftime("%Y-%m"), kind, count) for month, kind, count in groups),
            [
                ("2026-01", "complaint", 1),
                ("2026-02", "complaint", 1),
                ("2026-02", "feedback", 1),
                ("2026-02", "inquiry", 1),
            ],
        )
        [(total, breach, csat)] = Report._read_group(domain, [], ["complaint_count:sum", *rates])
        self.assertEqual((total, round(breach, 4), round(csat, 4)), (4, 0.25, 0.6667))
        [(team, count)] = Report._read_group(domain, ["team_id"], ["__count"])
        self.assertEqual((team, count), (self.team, 4))

    def test_access(self):
        self._assert_report_access("member.report.service", self.company)
        # the service agent reads the analysis of the service (menu under Service)
        self.assertEqual(
            self.env["member.report.service"]
            .with_user(self.agent)
            .search_count([("company_id", "=", self.company.id)]),
            4,
        )
