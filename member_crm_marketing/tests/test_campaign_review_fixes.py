"""Review items of the campaigns: SMS opt-out per company, the window fixed once scheduled, the program
following a rescheduled campaign, a launch cron that survives one failing campaign, the audience preview as
a domain, recommendations at the till only on the cashier's own session."""

import datetime
import re

from werkzeug.urls import url_encode

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.member_crm.tests.common import MemberTierMixin
from odoo.addons.point_of_sale.tests.common import TestPoSCommon
from odoo.addons.point_of_sale.tests.test_frontend import TestPointOfSaleHttpCommon
from odoo.addons.sms.tests.common import MockSMS

from .test_campaign_launch import CampaignCommon, CampaignSetup


@tagged("post_install", "-at_install")
class TestCampaignSmsOptOut(MockSMS, CampaignSetup):
    """The "STOP SMS" link of a campaign SMS, through Odoo's real routes, SMS through the gateway mock."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._campaign_setup()
        cls.company.write({"member_sms_quiet_start": 0.0, "member_sms_quiet_end": 0.0})
        # Ann also consents to SMS in company B; Bob consents in company A only
        cls.members["Ann"].with_company(cls.company_b).action_member_enroll()
        cls.env["member.consent"]._member_record(
            cls.members["Ann"], ["sms"], "given", "form", "Yes", company=cls.company_b
        )

    def _opt_out_link(self, sms_list, number):
        """The opt-out path of the SMS sent to ``number``, as its body carries it."""
        body = next(sms["body"] for sms in sms_list if sms["number"] == number)
        return re.search(r"/sms/\d+/\w+", body).group(0)

    def test_campaign_sms_opt_out_withdraws_company_consent(self):
        campaign = self._launch(self._campaign(channel="sms", name="SMS opt-out"))
        self.assertTrue(campaign.mailing_id.sms_allow_unsubscribe)
        with self.mockSMSGateway():
            self.env.ref("mass_mailing.ir_cron_mass_mailing_queue").sudo().method_direct_trigger()
            self.env.ref("sms.ir_cron_sms_scheduler_action").sudo().method_direct_trigger()
        ann, bob, cai = (self.members[name] for name in ("Ann", "Bob", "Cai"))
        self.assertEqual(
            sorted(sms["number"] for sms in self._sms),
            sorted(p.phone_sanitized for p in (ann, bob, cai, self.members["Dan"])),
        )
        Partner, Blacklist = self.env["res.partner"], self.env["phone.blacklist"].sudo()
        # an attack: Ann's code with Cai's number (the trace's code does not match it) changes nothing
        ann_link = self._opt_out_link(self._sms, ann.phone_sanitized)
        mailing_path, code = ann_link.rsplit("/", 1)
        self.url_open(f"{mailing_path}/unsubscribe/{code}?{url_encode({'sms_number': cai.phone_sanitized})}")
        self.assertTrue(Partner.with_company(self.company).browse(cai.id).member_consent_sms)
        self.assertFalse(Blacklist.search([("number", "=", cai.phone_sanitized)]))
        # Ann opts out through her link: company A's SMS consent withdrawn, company B's stays, nothing blacklisted
        response = self.url_open(f"{ann_link}?{url_encode({'sms_number': ann.phone_sanitized})}")
        self.assertEqual(response.status_code, 200)
        self.assertIn("will no longer receive our member offers by SMS", response.text)
        self.assertNotIn("successfully blacklisted", response.text)
        self.assertFalse(Partner.with_company(self.company).browse(ann.id).member_consent_sms)
        self.assertTrue(Partner.with_company(self.company_b).browse(ann.id).member_consent_sms)
        self.assertTrue(Partner.with_company(self.company).browse(ann.id).member_consent_email, "email untouched")
        self.assertFalse(
            Blacklist.search([("number", "=", ann.phone_sanitized)]),
            "company B still holds SMS consent: not blacklisted",
        )
        latest = self.env["member.consent"].search(
            [("partner_id", "=", ann.id), ("company_id", "=", self.company.id), ("channel", "=", "sms")], limit=1
        )
        self.assertEqual((latest.state, latest.source), ("withdrawn", "website"))
        # Bob: no company holds SMS consent for his number any more -> on the phone blacklist
        bob_link = self._opt_out_link(self._sms, bob.phone_sanitized)
        self.url_open(f"{bob_link}?{url_encode({'sms_number': bob.phone_sanitized})}")
        self.assertFalse(Partner.with_company(self.company).browse(bob.id).member_consent_sms)
        self.assertEqual(Blacklist.search([("number", "=", bob.phone_sanitized)]).mapped("active"), [True])


@tagged("post_install", "-at_install")
class TestCampaignReviewFixes(CampaignCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.marketer = new_test_user(
            cls.env,
            login="camp_review_marketer",
            groups="member_crm.group_member_crm_marketing,base.group_user",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )

    def _run_launch_cron(self):
        """The launch cron's steps until it has nothing left (tests cannot commit)."""
        for _step in range(20):
            if not self.Campaign._member_launch_step()[1]:
                return

    def test_window_fixed_once_scheduled(self):
        campaign = self._campaign(name="Window", coupon_discount=10.0)
        as_marketer = campaign.with_user(self.marketer)
        end = campaign.date_end
        # a draft campaign's window is free
        as_marketer.write({"date_end": end + datetime.timedelta(days=1)})
        self.assertEqual(campaign.date_end, end + datetime.timedelta(days=1))
        as_marketer.action_schedule()
        program_end = campaign.program_id.date_to
        changes = (
            {"date_end": end + datetime.timedelta(days=30)},
            {"date_start": campaign.date_start + datetime.timedelta(hours=1)},
            {"campaign_type": "flash_sale"},
            {"coupon_discount": 50.0},
        )
        for user in (self.marketer, self.role_users["member_manager"]):
            for vals in changes:
                with self.subTest(user=user.login, vals=vals), self.assertRaisesRegex(UserError, "stay as announced"):
                    campaign.with_user(user).write(vals)
        # still refused once running; the name stays editable
        self._run_launch_cron()
        self.assertEqual(campaign.state, "running")
        with self.assertRaisesRegex(UserError, "stay as announced"):
            as_marketer.write({"date_end": end + datetime.timedelta(days=30)})
        as_marketer.write({"name": "Window (renamed)"})
        self.assertEqual(
            (campaign.date_end, campaign.coupon_discount, campaign.program_id.date_to),
            (end + datetime.timedelta(days=1), 10.0, program_end),
        )
        self.assertEqual(set(campaign.recipient_ids.coupon_id.mapped("expiration_date")), {program_end})
        # the flow itself may
        campaign._member_flow().write({"date_end": end + datetime.timedelta(days=2)})
        self.assertEqual(campaign.date_end, end + datetime.timedelta(days=2))

    def test_rescheduled_campaign_program_follows_reward(self):
        campaign = self._campaign(name="Reschedule", coupon_discount=10.0)
        campaign.action_schedule()
        program = campaign.program_id
        self.assertEqual(program.reward_ids.mapped("discount"), [10.0])
        campaign.action_draft()
        new_product = self.env["product.product"].create({"name": "Reschedule New Bag", "sale_ok": True})
        campaign.write({"coupon_discount": 25.0, "campaign_type": "new_arrivals"})
        campaign.action_schedule()
        self.assertEqual(campaign.program_id, program, "the same program, changed")
        self.assertEqual([(r.discount, r.discount_applicability) for r in program.reward_ids], [(25.0, "specific")])
        self.assertIn(new_product, program.reward_ids.discount_product_ids)
        # launched: coupons exist; a manager sets it back to draft by hand and changes the reward: refused
        self._run_launch_cron()
        self.assertEqual(len(campaign.recipient_ids.coupon_id), 3)
        manager = self.role_users["member_manager"]
        campaign.with_user(manager).write({"state": "draft"})
        campaign.with_user(manager).write({"coupon_discount": 40.0})
        with self.assertRaisesRegex(UserError, "already issued"):
            campaign.with_user(manager).action_schedule()
        self.assertEqual(program.reward_ids.mapped("discount"), [25.0])

    def test_launch_cron_goes_on_after_a_failing_campaign(self):
        now = fields.Datetime.now()
        first = self._campaign(name="First (breaks)", date_start=now - datetime.timedelta(hours=2))
        second = self._campaign(name="Second", date_start=now - datetime.timedelta(hours=1))
        (first | second).action_schedule()
        # the first one's conditions name a field that is gone (e.g. its module uninstalled since scheduling)
        self.env.cr.execute(
            "UPDATE member_campaign SET audience_domain = %s WHERE id = %s",
            ("[('member_no_such_field', '=', 1)]", first.id),
        )
        first.invalidate_recordset(["audience_domain"])
        with mute_logger("odoo.addons.member_crm_marketing.models.member_campaign"):
            self._run_launch_cron()
        self.assertEqual(
            (second.state, len(second.recipient_ids), len(second.recipient_ids.coupon_id), second.mailing_id.state),
            ("running", 3, 3, "in_queue"),
        )
        self.assertEqual((first.state, len(first.recipient_ids), first.launch_marker), ("running", 0, 0))
        self.assertIn("member_no_such_field", first.launch_error)
        failures = first.message_ids.filtered(lambda m: "The launch failed" in str(m.body))
        self.assertEqual(len(failures), 1, "one chatter message per distinct error")
        # the flow's field: the campaign role cannot clear it
        with self.assertRaises(AccessError):
            first.with_user(self.marketer).write({"launch_error": False})
        # fixed: the next run launches it and clears the error
        self.env.cr.execute("UPDATE member_campaign SET audience_domain = '[]' WHERE id = %s", (first.id,))
        first.invalidate_recordset(["audience_domain"])
        self._run_launch_cron()
        self.assertEqual((len(first.recipient_ids.coupon_id), first.mailing_id.state), (3, "in_queue"))
        self.assertFalse(first.launch_error)

    def test_preview_is_a_domain_on_the_audience(self):
        campaign = self._campaign(name="Preview")
        action = campaign.with_user(self.marketer).action_preview_members()
        self.assertEqual(action["domain"], [("member_campaign_audience_id", "=", campaign.id)], "no list of ids")
        Partner = self.env["res.partner"].with_user(self.marketer).with_context(**action["context"])
        self.assertEqual(sorted(Partner.search(action["domain"]).mapped("name")), ["Camp Ann", "Camp Bob", "Camp Cai"])
        self.assertEqual(Partner.search_count(action["domain"]), campaign.preview_count)
        # a campaign of company B: its audience (Eve) for whoever reads it, nobody for the marketer of A
        campaign_b = self.Campaign.create({"name": "Preview B", "company_id": self.company_b.id, "holdout_percent": 0})
        self.assertEqual(
            self.env["res.partner"].search([("member_campaign_audience_id", "=", campaign_b.id)]), self.members["Eve"]
        )
        self.assertFalse(Partner.search([("member_campaign_audience_id", "=", campaign_b.id)]))
        # someone outside Members cannot search on it
        with self.assertRaises(AccessError):
            self.env["res.partner"].with_user(self.role_users["member_plain"]).search(action["domain"])


@tagged("post_install", "-at_install")
class TestRecommendationPosSession(TestPoSCommon, MemberTierMixin):
    """pos_member_recommendations answers a cashier on their own open session, for a member of its company."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.config = cls.basic_config
        cls.env.user.group_ids |= cls.env.ref("member_crm.group_member_crm_manager")
        cls._member_enable(cls.company)
        cls.member = cls._member_partner("Reco Session Member", cls.company)
        cls.stranger = cls.env["res.partner"].create({"name": "Reco Session Stranger"})
        cls.company_b = cls.env["res.company"].create({"name": "Reco Session Co B"})
        cls._member_enable(cls.company_b)
        cls.member_b = cls._member_partner("Reco Session Member B", cls.company_b)
        products = cls.env["product.product"].create([{"name": "Reco Session Scarf"}, {"name": "Reco Session Hat"}])
        cls.env["member.recommendation"].sudo().create(
            [
                {
                    "partner_id": partner.id,
                    "company_id": cls.company.id,
                    "product_id": product.id,
                    "rank": rank,
                    "score": 1.0 / rank,
                    "reason": "promotion",
                    "date": fields.Date.today(),
                }
                for partner in (cls.member, cls.stranger, cls.member_b)
                for rank, product in enumerate(products, start=1)
            ]
        )

        def cashier(login, company):
            return new_test_user(
                cls.env,
                login=login,
                groups="base.group_user,point_of_sale.group_pos_user",
                company_id=company.id,
                company_ids=[company.id],
            )

        cls.cashier = cashier("reco_session_cashier", cls.company)
        cls.other_cashier = cashier("reco_session_other", cls.company)
        cls.cashier_b = cashier("reco_session_cashier_b", cls.company_b)

    def test_own_open_session_and_members_only(self):
        self.open_new_session()
        self.pos_session.user_id = self.cashier
        Recommendation = self.env["member.recommendation"]
        names = Recommendation.with_user(self.cashier).pos_member_recommendations(self.config.id, self.member.id)
        self.assertEqual(names, ["Reco Session Scarf", "Reco Session Hat"])
        # not a member of the register's company (a stranger; a member of company B only): nothing
        for partner in (self.stranger, self.member_b):
            with self.subTest(partner=partner.name):
                self.assertEqual(
                    Recommendation.with_user(self.cashier).pos_member_recommendations(self.config.id, partner.id), []
                )
        # attack: a cashier of another register of the same company, on this register's open session
        with self.assertRaises(AccessError):
            Recommendation.with_user(self.other_cashier).pos_member_recommendations(self.config.id, self.member.id)
        # attack: a cashier of company B
        with self.assertRaises(AccessError):
            Recommendation.with_user(self.cashier_b).pos_member_recommendations(self.config.id, self.member.id)
        # a session still in its opening control is not open yet
        self.pos_session.state = "opening_control"
        with self.assertRaises(AccessError):
            Recommendation.with_user(self.cashier).pos_member_recommendations(self.config.id, self.member.id)


@tagged("post_install", "-at_install")
class TestRecommendationPosTour(TestPointOfSaleHttpCommon, MemberTierMixin):
    def test_member_panel_shows_recommendations(self):
        self.env.user.group_ids |= self.env.ref("member_crm.group_member_crm_manager")
        company = self.main_pos_config.company_id
        self._member_enable(company)
        member = self._member_partner("Reco Tour Member", company)
        products = self.env["product.product"].create(
            [
                {"name": "Reco Tour Scarf", "available_in_pos": True},
                {"name": "Reco Tour Gloves", "available_in_pos": True},
            ]
        )
        self.env["member.recommendation"].sudo().create(
            [
                {
                    "partner_id": member.id,
                    "company_id": company.id,
                    "product_id": product.id,
                    "rank": rank,
                    "score": 1.0 / rank,
                    "reason": "promotion",
                    "date": fields.Date.today(),
                }
                for rank, product in enumerate(products, start=1)
            ]
        )
        self.main_pos_config.with_user(self.pos_user).open_ui()
        self.start_pos_tour("member_crm_marketing_recommendation_tour", login="pos_user")
