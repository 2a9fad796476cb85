import datetime
from unittest.mock import patch

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.loyalty.models.loyalty_card import LoyaltyCard
from odoo.addons.member_crm.tests.common import MemberCrmCommon, MemberTierMixin
from odoo.addons.member_crm_marketing.models.member_campaign_recipient import MemberCampaignRecipient


class CampaignSetup(MemberTierMixin):
    @classmethod
    def _campaign_setup(cls):
        cls.company = cls.env.company
        cls.company.partner_id.tz = "Asia/Shanghai"
        cls.tiers = cls._member_enable(cls.company, member_campaign_weekly_cap=0)
        cls.company_b = cls.env["res.company"].create({"name": "Member Co B"})
        cls._member_enable(cls.company_b)
        cls.env.user.company_ids |= cls.company_b
        Consent = cls.env["member.consent"]
        cls.members = {}
        for index, name in enumerate(("Ann", "Bob", "Cai", "Dan", "Eve", "Fay")):
            partner = cls._member_partner(f"Camp {name}", cls.company)
            partner.phone = f"+86 138 0013 80{index:02d}"
            cls.members[name] = partner
        for name in ("Ann", "Bob", "Cai", "Dan"):
            Consent._member_record(cls.members[name], ["email", "sms"], "given", "form", "Yes", company=cls.company)
        # Eve: consent in company B only (also a member there); Fay: never asked
        cls.members["Eve"].with_company(cls.company_b).action_member_enroll()
        Consent._member_record(cls.members["Eve"], ["email"], "given", "form", "Yes", company=cls.company_b)
        # Dan: consent given, then withdrawn
        Consent._member_record(cls.members["Dan"], ["email"], "withdrawn", "form", company=cls.company)
        # a consenting contact who is not a member
        cls.outsider = cls.env["res.partner"].create({"name": "Camp Outsider", "email": "camp.outsider@example.com"})
        Consent._member_record(cls.outsider, ["email"], "given", "form", "Yes", company=cls.company)
        cls.Campaign = cls.env["member.campaign"]

    def _campaign(self, **vals):
        return self.Campaign.create(
            {
                "name": "Spring offer",
                "company_id": self.company.id,
                "holdout_percent": 0.0,
                "date_start": fields.Datetime.now() - datetime.timedelta(minutes=5),
                "date_end": fields.Datetime.now() + datetime.timedelta(days=10),
                **vals,
            }
        )

    def _launch(self, campaign, batch_size=1000):
        """Run the launch cron's steps until it has nothing left (tests cannot commit)."""
        campaign.action_schedule()
        for _step in range(100):
            _processed, remaining = self.Campaign._member_launch_step(batch_size)
            if not remaining:
                break
        return campaign


class CampaignCommon(MemberCrmCommon, CampaignSetup):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._campaign_setup()


@tagged("post_install", "-at_install")
class TestCampaignLaunch(CampaignCommon):
    def test_audience_members_with_consent_only(self):
        campaign = self._campaign()
        # Ann, Bob, Cai: consent in A; Dan withdrawn; Eve consent in B only; Fay never asked; outsider no member
        self.assertEqual(campaign.preview_count, 3)
        action = campaign.action_preview_members()
        self.assertEqual(
            set(self.env["res.partner"].search(action["domain"]).mapped("name")), {"Camp Ann", "Camp Bob", "Camp Cai"}
        )
        # the form previews the count before the campaign is saved
        with Form(self.Campaign) as form:
            form.name = "Unsaved"
            self.assertEqual(form.preview_count, 3)
        # blacklisted but consenting: out
        self.env["mail.blacklist"].sudo()._add(self.members["Cai"].email)
        campaign.invalidate_recordset(["preview_count"])
        self.assertEqual(campaign.preview_count, 2)
        # an RFM segment nobody is in (no orders yet); unknown keys are refused
        campaign.rfm_segments = "important_value"
        self.assertEqual(campaign.preview_count, 0)
        with self.assertRaises(ValidationError):
            campaign.rfm_segments = "important_value,vip"
        campaign.rfm_segments = False
        # tiers and any domain narrow it
        campaign.audience_domain = repr([("name", "=", "Camp Ann")])
        self.assertEqual(campaign.preview_count, 1)
        campaign.audience_domain = "[]"
        campaign.tier_ids = self.env["member.tier"].search(
            [("company_id", "=", self.company.id), ("id", "!=", self.members["Ann"].member_tier_id.id)]
        )
        self.assertEqual(campaign.preview_count, 0)

    def test_launch_recipients_coupons_mailing(self):
        campaign = self._launch(self._campaign())
        self.assertEqual(campaign.state, "running")
        self.assertEqual(set(campaign.recipient_ids.partner_id.mapped("name")), {"Camp Ann", "Camp Bob", "Camp Cai"})
        coupons = campaign.recipient_ids.coupon_id
        self.assertEqual(len(coupons), 3)
        self.assertEqual(coupons.program_id, campaign.program_id)
        self.assertTrue(all(coupons.mapped("member_bound")))
        self.assertEqual(
            [(r.partner_id, r.coupon_id.partner_id) for r in campaign.recipient_ids],
            [(r.partner_id, r.partner_id) for r in campaign.recipient_ids],
        )
        program = campaign.program_id
        self.assertEqual(
            (program.program_type, program.pos_ok, program.sale_ok, program.trigger),
            ("coupons", True, True, "with_code"),
        )
        self.assertFalse(program.communication_plan_ids, "no per-card creation mail")
        self.assertFalse(
            self.env["mail.mail"].search([("model", "=", "loyalty.card"), ("res_id", "in", coupons.ids)]),
            "no coupon creation mail",
        )
        self.assertEqual(campaign.mailing_id.state, "in_queue")
        self.assertEqual(campaign.mailing_id.mailing_model_real, "member.campaign.recipient")
        self.assertEqual(campaign.recipient_ids.tier_id, self.members["Ann"].member_tier_id)
        # launching again changes nothing
        self.Campaign._member_launch_step()
        self.assertEqual(len(campaign.recipient_ids.coupon_id), 3)
        # the queue done -> the campaign done
        campaign.mailing_id.write({"state": "done", "sent_date": fields.Datetime.now()})
        self.Campaign._member_launch_step()
        self.assertEqual(campaign.state, "done")
        self.assertEqual(campaign.sent_date, campaign.mailing_id.sent_date)

    def test_holdout_gets_a_row_no_coupon(self):
        partners = self.env["res.partner"].create(
            [{"name": f"Camp Many {i}", "email": f"camp.many{i}@example.com"} for i in range(40)]
        )
        partners.with_company(self.company).action_member_enroll()
        self.env["member.consent"]._member_record(partners, ["email"], "given", "form", "Yes", company=self.company)
        campaign = self._launch(self._campaign(holdout_percent=50.0, audience_domain="[('name', 'like', 'Camp Many')]"))
        held = campaign.recipient_ids.filtered("holdout")
        self.assertEqual(len(campaign.recipient_ids), 40)
        self.assertTrue(0 < len(held) < 40, "half the audience, drawn per member")
        self.assertFalse(held.coupon_id)
        self.assertEqual(len((campaign.recipient_ids - held).coupon_id), 40 - len(held))
        # the mailing targets exactly the others
        mailing = campaign.mailing_id
        self.assertEqual(set(mailing._get_recipients()), set((campaign.recipient_ids - held).ids))

    def test_crash_resume_one_coupon_per_recipient(self):
        partners = self.env["res.partner"].create(
            [{"name": f"Camp Crash {i}", "email": f"camp.crash{i}@example.com"} for i in range(7)]
        )
        partners.with_company(self.company).action_member_enroll()
        self.env["member.consent"]._member_record(partners, ["email"], "given", "form", "Yes", company=self.company)
        campaign = self._campaign(audience_domain="[('name', 'like', 'Camp Crash')]")
        campaign.action_schedule()
        self.Campaign._member_launch_step(batch_size=3)
        self.assertEqual((len(campaign.recipient_ids), len(campaign.recipient_ids.coupon_id)), (3, 3))
        original = MemberCampaignRecipient._member_issue_coupons

        def crash(recipients):
            original(recipients)
            raise RuntimeError("crash in the middle of a batch")

        # the step's savepoint rolls the batch back, notes the error and goes on (as after a real crash)
        with (
            patch.object(MemberCampaignRecipient, "_member_issue_coupons", crash),
            mute_logger("odoo.addons.member_crm_marketing.models.member_campaign"),
        ):
            self.assertEqual(self.Campaign._member_launch_step(batch_size=3), (0, 0))
        campaign.invalidate_recordset()
        self.assertEqual(campaign.launch_error, "crash in the middle of a batch")
        self.assertEqual((len(campaign.recipient_ids), campaign.launch_marker), (3, partners[2].id))
        # a recipient left without its coupon (e.g. written by an older launch) gets one on resume
        campaign.recipient_ids[0].coupon_id.sudo().unlink()
        for _step in range(10):
            if not self.Campaign._member_launch_step(batch_size=3)[1]:
                break
        cards = self.env["loyalty.card"].search([("program_id", "=", campaign.program_id.id)])
        self.assertEqual((len(campaign.recipient_ids), len(cards)), (7, 7))
        self.assertEqual(set(cards.partner_id.ids), set(partners.ids))
        self.assertEqual(campaign.mailing_id.state, "in_queue")

    def test_coupon_codes_never_clash(self):
        """loyalty's codes have 36 random bits: a clash with a code in use, or within the batch, is redrawn."""
        program = self.env["loyalty.program"].create({"name": "Other coupons", "program_type": "coupons"})
        self.env["loyalty.card"].create({"program_id": program.id, "code": "044-taken"})
        draws = iter(["044-taken", "044-same", "044-same", "044-new-1", "044-new-2"])
        with patch.object(LoyaltyCard, "_generate_code", lambda self: next(draws)):
            campaign = self._launch(self._campaign())
        self.assertEqual(sorted(campaign.recipient_ids.mapped("coupon_code")), ["044-new-1", "044-new-2", "044-same"])

    def test_weekly_cap_leaves_members_out(self):
        first = self._launch(self._campaign(name="First"))
        self.assertEqual(len(first.recipient_ids), 3)
        self.company.member_campaign_weekly_cap = 1
        second = self._campaign(name="Second")
        self.assertEqual((second.preview_count, second.preview_capped_count), (0, 3))
        self.company.member_campaign_weekly_cap = 2
        second.invalidate_recordset(["preview_count", "preview_capped_count"])
        self.assertEqual((second.preview_count, second.preview_capped_count), (3, 0))

    @freeze_time("2026-03-10 14:30:00")  # 22:30 in Shanghai
    def test_sms_quiet_hours(self):
        campaign = self._launch(self._campaign(channel="sms", date_start=datetime.datetime(2026, 3, 10, 14, 0)))
        # 09:00 next day in Shanghai = 01:00 UTC
        self.assertEqual(campaign.mailing_id.mailing_type, "sms")
        self.assertEqual(campaign.mailing_id.schedule_date, datetime.datetime(2026, 3, 11, 1, 0))
        self.assertEqual(campaign.sent_date, datetime.datetime(2026, 3, 11, 1, 0))

    def test_type_defaults(self):
        start = datetime.datetime(2026, 5, 1, 2, 0)
        flash = self.Campaign.create({"name": "Flash", "campaign_type": "flash_sale", "date_start": start})
        self.assertEqual(flash.date_end, start + datetime.timedelta(hours=48))
        winback = self._campaign(campaign_type="winback")
        self.assertEqual((winback.last_purchase_min_days, winback.last_purchase_max_days), (180, 540))
        # birthday: birthdays within 7 days of the start (local), whatever the year
        self.members["Ann"].birthdate_date = datetime.date(1990, 5, 7)
        self.members["Bob"].birthdate_date = datetime.date(1985, 5, 9)
        birthday = self._campaign(campaign_type="birthday", date_start=start)
        self.assertEqual(birthday.preview_count, 1, "1 May 10:00 in Shanghai: 7 May is in, 9 May is not")

    def test_points_exchange_spends_then_issues(self):
        program = self.env["loyalty.program"].create(
            {
                "name": "Member points",
                "program_type": "loyalty",
                "company_id": self.company.id,
                "reward_ids": [
                    fields.Command.create({"reward_type": "discount", "discount": 1, "required_points": 100})
                ],
            }
        )
        self.company.member_loyalty_program_id = program
        cards = self.env["loyalty.card"]._member_cards(
            [(self.members["Ann"].id, program.id), (self.members["Bob"].id, program.id)]
        )
        ann_card, bob_card = cards[(self.members["Ann"].id, program.id)], cards[(self.members["Bob"].id, program.id)]
        self.env["member.points.lot"].sudo()._member_points_earn(
            [
                {"card": ann_card, "points": 500.0, "kind": "adjust", "description": "Test"},
                {"card": bob_card, "points": 50.0, "kind": "adjust", "description": "Test"},
            ]
        )
        campaign = self._launch(self._campaign(campaign_type="points_exchange", points_cost=100))
        # Bob's balance is short: left out; Ann's points are spent once, then her coupon issued
        self.assertEqual(campaign.recipient_ids.partner_id, self.members["Ann"])
        self.assertEqual(len(campaign.recipient_ids.coupon_id), 1)
        self.assertEqual((ann_card.points, bob_card.points), (400.0, 50.0))
        spend = ann_card.member_move_ids.filtered(lambda m: m.kind == "spend")
        self.assertEqual(spend.points, -100.0)
        self.assertEqual(program.reward_ids.required_points, 100, "the member program is never edited")


@tagged("post_install", "-at_install")
class TestCampaignRoles(CampaignCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.marketer = new_test_user(
            cls.env,
            login="camp_marketer",
            groups="member_crm.group_member_crm_marketing,base.group_user",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )

    def test_campaign_role_runs_a_campaign(self):
        campaign = self.Campaign.with_user(self.marketer).create(
            {
                "name": "By the marketer",
                "date_start": fields.Datetime.now() - datetime.timedelta(minutes=1),
                # no holdout: which members the default 10% holds out depends on the records' ids
                "holdout_percent": 0.0,
            }
        )
        self.assertEqual(campaign.preview_count, 3)
        campaign.action_schedule()
        # the marketer edits the body with the coupon code without being a template editor
        campaign.mailing_id.body_arch = campaign.mailing_id.body_html = (
            '<p>Hi <t t-out="object.partner_id.name"/>: <t t-out="object.coupon_code"/></p>'
        )
        with self.assertRaises(AccessError):
            campaign.mailing_id.body_html = '<p><t t-out="object.partner_id.email"/></p>'
        self.Campaign._member_launch_step()  # the cron
        self.assertEqual(len(campaign.recipient_ids.coupon_id), 3)
        self.assertEqual(campaign.recipient_ids.mapped("coupon_code"), campaign.recipient_ids.coupon_id.mapped("code"))

    def test_attacks(self):
        campaign_b = self.Campaign.create({"name": "B", "company_id": self.company_b.id})
        with self.assertRaises(AccessError):
            campaign_b.with_user(self.marketer).write({"name": "mine"})
        # a Members/User cannot launch
        campaign = self._campaign()
        with self.assertRaises(AccessError):
            campaign.with_user(self.role_users["member_user"]).action_schedule()
        launched = self._launch(self._campaign(name="Launched"))
        coupon = launched.recipient_ids.coupon_id[:1]
        with self.assertRaises(AccessError):
            coupon.with_user(self.marketer).write({"partner_id": self.members["Fay"].id})
        with self.assertRaises(AccessError):
            self.env["member.points.lot"].with_user(self.marketer).create(
                {"card_id": coupon.id, "points": 1000, "remaining": 1000, "kind": "adjust"}
            )
        with self.assertRaises(AccessError):
            launched.recipient_ids.with_user(self.marketer).write({"holdout": True})
        # the flow's fields are the flow's: no skipping to "done", no resetting the launch marker
        for vals in ({"state": "done"}, {"launch_marker": 0}, {"program_id": False}):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                launched.with_user(self.marketer).write(vals)
        with self.assertRaises(AccessError):
            self.Campaign.with_user(self.marketer).create({"name": "Skip", "state": "running"})
        # the audience is fixed once scheduled
        with self.assertRaises(UserError):
            launched.with_user(self.marketer).write({"tier_ids": [fields.Command.clear()]})

    def test_attacks_found_by_review(self):
        """Flow fields through the context, audiences probing what the officer may not read, coupon codes for
        every member user, a campaign's mailing sent by hand."""
        foreign = self.env["loyalty.program"].create({"name": "Store Loyalty", "program_type": "loyalty"})
        sneaky = (
            self.Campaign.with_user(self.marketer)
            .with_context(
                default_state="running", default_program_id=foreign.id, default_launch_marker=10**9, default_revenue=1e6
            )
            .create({"name": "Sneaky"})
        )
        self.assertEqual(
            (sneaky.state, sneaky.program_id, sneaky.launch_marker, sneaky.revenue), ("draft", foreign.browse(), 0, 0)
        )
        # the launch searches as the system: the audience may only name what its author may read
        with self.assertRaises(AccessError):
            self.Campaign.with_user(self.marketer).create(
                {
                    "name": "Probe",
                    "audience_domain": "[('member_sensitive_value_ids.attribute_id.code', '=', 'passport_number')]",
                }
            )
        launched = self._launch(self._campaign(name="Codes"))
        recipient = launched.recipient_ids[:1]
        self.assertTrue(recipient.with_user(self.marketer).coupon_code, "the campaign role reads the codes")
        with self.assertRaises(AccessError):
            recipient.with_user(self.role_users["member_user"]).read(["coupon_code"])
        # the launch queues the mailing once everything exists: never by hand
        draft = self._campaign(name="Hand")
        draft.with_user(self.marketer).action_schedule()
        with self.assertRaisesRegex(UserError, "its launch sends it"):
            draft.mailing_id.with_user(self.marketer).action_launch()
        with self.assertRaisesRegex(UserError, "its launch sends it"):
            draft.mailing_id.with_user(self.marketer).write({"state": "in_queue"})
        self.assertEqual(draft.mailing_id.state, "draft")
