"""Campaign mailings through Odoo's real queue: consent at send time, traces, tracking, unsubscribe, SMS."""

import datetime
import re

from freezegun import freeze_time
from werkzeug.urls import url_encode

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.mail.tests.common import MockEmail
from odoo.addons.point_of_sale.tests.common import TestPoSCommon
from odoo.addons.sms.tests.common import MockSMS

from .test_campaign_launch import CampaignSetup

# what a mail client posts for a one-click List-Unsubscribe (RFC 8058)
ONE_CLICK = {"List-Unsubscribe": "One-Click"}


@tagged("post_install", "-at_install")
class TestCampaignMailing(MockSMS, MockEmail, CampaignSetup):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._campaign_setup()
        cls.company.write({"member_sms_quiet_start": 0.0, "member_sms_quiet_end": 0.0})
        Consent = cls.env["member.consent"]
        # two members sharing one email, both consenting
        for name in ("Gus", "Hal"):
            partner = cls._member_partner(f"Camp {name}", cls.company)
            partner.email = "camp.shared@example.com"
            Consent._member_record(partner, ["email"], "given", "form", "Yes", company=cls.company)
            cls.members[name] = partner
        # blacklisted but consenting
        cls.env["mail.blacklist"].sudo()._add(cls.members["Cai"].email)
        # Ann holds consent in company B too
        cls.members["Ann"].with_company(cls.company_b).action_member_enroll()
        Consent._member_record(cls.members["Ann"], ["email"], "given", "form", "Yes", company=cls.company_b)

    def _run_queue(self):
        self.env.ref("mass_mailing.ir_cron_mass_mailing_queue").sudo().method_direct_trigger()

    def _traces(self, campaign):
        traces = self.env["mailing.trace"].search([("mass_mailing_id", "=", campaign.mailing_id.id)])
        recipients = self.env["member.campaign.recipient"].browse(traces.mapped("res_id"))
        return sorted(
            (recipient.partner_id.name, trace.trace_status) for recipient, trace in zip(recipients, traces, strict=True)
        )

    def test_consent_matrix_through_the_queue(self):
        campaign = self._launch(self._campaign())
        self.assertEqual(
            sorted(campaign.recipient_ids.partner_id.mapped("name")),
            ["Camp Ann", "Camp Bob", "Camp Gus", "Camp Hal"],
            "Cai blacklisted, Dan withdrawn, Eve consent in B only, Fay never asked: no recipient",
        )
        body = (
            '<p>Hi <t t-out="object.partner_id.name"/>, your code: <t t-out="object.coupon_code"/></p>'
            '<p><a href="https://shop.example.com/new">Shop now</a></p>'
        )
        campaign.mailing_id.write({"body_arch": body, "body_html": body})
        # Bob withdraws between the launch and the sending
        self.env["member.consent"]._member_record(
            self.members["Bob"], ["email"], "withdrawn", "form", company=self.company
        )
        with self.mock_mail_gateway(mail_unlink_sent=False):
            self._run_queue()
        self.assertEqual(campaign.mailing_id.state, "done")
        self.assertEqual(
            self._traces(campaign),
            [("Camp Ann", "sent"), ("Camp Gus", "sent"), ("Camp Hal", "sent")],
            "Bob: no trace; the two members sharing an address each get their own mail",
        )
        shared = [mail for mail in self._mails if "camp.shared@example.com" in mail["email_to"][0]]
        codes = campaign.recipient_ids.filtered(lambda r: r.partner_id.name in ("Camp Gus", "Camp Hal"))
        self.assertEqual(
            sorted(code for mail in shared for code in codes.mapped("coupon_code") if code in mail["body"]),
            sorted(codes.mapped("coupon_code")),
            "each with their own code",
        )
        ann = campaign.recipient_ids.filtered(lambda r: r.partner_id == self.members["Ann"])
        sent = [mail for mail in self._mails if mail["email_to"] == [self.members["Ann"].email_formatted]]
        self.assertEqual(len(sent), 1)
        self.assertIn(ann.coupon_code, sent[0]["body"], "the mail carries the member's own code")
        # an open, through Odoo's tracking route
        trace = self.env["mailing.trace"].search(
            [("mass_mailing_id", "=", campaign.mailing_id.id), ("res_id", "=", ann.id)]
        )
        token = self.env["mail.mail"]._generate_mail_recipient_token(trace.mail_mail_id_int)
        response = self.url_open(f"/mail/track/{trace.mail_mail_id_int}/{token}/blank.gif")
        self.assertEqual(response.status_code, 200)
        trace.invalidate_recordset()
        self.assertEqual(trace.trace_status, "open")
        # a click, through Odoo's link tracker redirect
        link = re.search(r"/r/(\w+)/m/(\d+)", sent[0]["body"])
        self.assertEqual(int(link.group(2)), trace.id)
        response = self.url_open(link.group(0), allow_redirects=False)
        self.assertEqual(response.status_code, 301)
        trace.invalidate_recordset()
        self.assertTrue(trace.links_click_datetime)
        # the campaign is done once its mailing is
        self.Campaign._member_launch_step()
        self.assertEqual(campaign.state, "done")

    def test_launch_cron(self):
        """The launch cron itself (it commits per batch): scheduled -> running, recipients, coupons, queued."""
        campaign = self._campaign()
        campaign.action_schedule()
        self.env.ref("member_crm_marketing.ir_cron_member_campaign_launch").sudo().method_direct_trigger()
        self.assertEqual(campaign.state, "running")
        self.assertEqual(len(campaign.recipient_ids), 4)
        self.assertEqual(len(campaign.recipient_ids.coupon_id), 4)
        self.assertEqual(campaign.mailing_id.state, "in_queue")

    def test_unsubscribe_withdraws_company_consent(self):
        campaign = self._launch(self._campaign())
        ann = campaign.recipient_ids.filtered(lambda r: r.partner_id == self.members["Ann"])
        mailing = campaign.mailing_id
        email = self.members["Ann"].email
        params = {
            "document_id": ann.id,
            "email": email,
            "hash_token": mailing._generate_mailing_recipient_token(ann.id, email),
        }
        response = self.url_open(f"/mailing/{mailing.id}/unsubscribe_oneclick?{url_encode(params)}", data=ONE_CLICK)
        self.assertEqual(response.status_code, 200)
        Partner = self.env["res.partner"]
        self.assertFalse(Partner.with_company(self.company).browse(ann.partner_id.id).member_consent_email)
        self.assertTrue(Partner.with_company(self.company_b).browse(ann.partner_id.id).member_consent_email)
        self.assertFalse(
            self.env["mail.blacklist"].sudo().search([("email", "=", ann.partner_id.email_normalized)]),
            "company B still holds consent: nothing blacklisted",
        )
        latest = self.env["member.consent"].search(
            [("partner_id", "=", ann.partner_id.id), ("company_id", "=", self.company.id)], limit=1
        )
        self.assertEqual((latest.state, latest.source), ("withdrawn", "email"))
        # a wrong token changes nothing
        params["hash_token"] = "0" * 10
        params["document_id"] = campaign.recipient_ids.filtered(lambda r: r.partner_id == self.members["Gus"]).id
        self.url_open(f"/mailing/{mailing.id}/unsubscribe_oneclick?{url_encode(params)}", data=ONE_CLICK)
        self.assertTrue(Partner.with_company(self.company).browse(self.members["Gus"].id).member_consent_email)

    def test_sms_through_the_gateway_mock(self):
        campaign = self._launch(self._campaign(channel="sms", name="SMS offer"))
        # Bob withdraws SMS consent between the launch and the sending
        self.env["member.consent"]._member_record(
            self.members["Bob"], ["sms"], "withdrawn", "form", company=self.company
        )
        with self.mockSMSGateway():
            self._run_queue()
            self.env.ref("sms.ir_cron_sms_scheduler_action").sudo().method_direct_trigger()
        ann = campaign.recipient_ids.filtered(lambda r: r.partner_id == self.members["Ann"])
        self.assertEqual(
            sorted(campaign.recipient_ids.partner_id.mapped("name")),
            ["Camp Ann", "Camp Bob", "Camp Cai", "Camp Dan"],
            "SMS consent: Cai's email opt-out and Dan's email withdrawal leave their SMS consent",
        )
        self.assertEqual(
            sorted(sms["number"] for sms in self._sms),
            sorted(self.members[name].phone_sanitized for name in ("Ann", "Cai", "Dan")),
        )
        ann_sms = [sms for sms in self._sms if sms["number"] == self.members["Ann"].phone_sanitized]
        self.assertIn(ann.coupon_code, ann_sms[0]["body"])
        self.assertEqual(
            self._traces(campaign), [("Camp Ann", "pending"), ("Camp Cai", "pending"), ("Camp Dan", "pending")]
        )

    def test_coupon_refused_to_another_member(self):
        campaign = self._launch(self._campaign())
        ann_coupon = campaign.recipient_ids.filtered(lambda r: r.partner_id == self.members["Ann"]).coupon_id
        product = self.env["product.product"].create({"name": "Camp Tea", "list_price": 100.0, "sale_ok": True})
        order = self.env["sale.order"].create(
            {
                "partner_id": self.members["Fay"].id,
                "order_line": [fields.Command.create({"product_id": product.id, "product_uom_qty": 1})],
            }
        )
        self.assertIn("error", order._try_apply_code(ann_coupon.code))
        own = self.env["sale.order"].create(
            {
                "partner_id": self.members["Ann"].id,
                "order_line": [fields.Command.create({"product_id": product.id, "product_uom_qty": 1})],
            }
        )
        self.assertNotIn("error", own._try_apply_code(ann_coupon.code))
        # after the window (a frozen clock two days after its end), Odoo refuses the code itself
        late = self.env["sale.order"].create(
            {
                "partner_id": self.members["Ann"].id,
                "order_line": [fields.Command.create({"product_id": product.id, "product_uom_qty": 1})],
            }
        )
        with freeze_time(campaign.date_end + datetime.timedelta(days=2)):
            self.assertIn("error", late._try_apply_code(ann_coupon.code))


@tagged("post_install", "-at_install")
class TestCampaignCouponPos(TestPoSCommon, CampaignSetup):
    """A campaign coupon is its member's: the till refuses it to another member (use_coupon_code and
    confirm_coupon_programs), and accepts it from its member."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.config = cls.basic_config
        cls.env.user.group_ids |= cls.env.ref("member_crm.group_member_crm_manager") | cls.env.ref(
            "member_crm.group_member_crm_marketing"
        )
        cls._campaign_setup()
        cls.tea = cls.env["product.product"].create(
            {"name": "Camp POS Tea", "is_storable": False, "list_price": 10.0, "available_in_pos": True}
        )

    @freeze_time("2026-03-10 04:00:00")  # noon in Shanghai: the till's day (UTC here) is the company's day
    def test_pos_refuses_another_members_coupon(self):
        campaign = self._launch(self._campaign())
        coupon = campaign.recipient_ids.filtered(lambda r: r.partner_id == self.members["Ann"]).coupon_id
        self.open_new_session()
        now = fields.Datetime.to_string(fields.Datetime.now())
        pricelist = self.config.pricelist_id.id
        refused = self.config.use_coupon_code(coupon.code, now, self.members["Fay"].id, pricelist)
        self.assertFalse(refused["successful"])
        self.assertTrue(self.config.use_coupon_code(coupon.code, now, self.members["Ann"].id, pricelist)["successful"])
        data = self.create_ui_order_data([(self.tea, 1)], customer=self.members["Fay"])
        order = self.env["pos.order"].browse(self.env["pos.order"].sync_from_ui([data])["pos.order"][0]["id"])
        with self.assertRaisesRegex(UserError, "another customer"):
            order.confirm_coupon_programs(
                {coupon.id: {"points": -1, "program_id": campaign.program_id.id, "coupon_id": coupon.id}}
            )
        coupon.invalidate_recordset()
        self.assertEqual(coupon.points, 1.0)
