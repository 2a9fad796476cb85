from odoo.tests import new_test_user, tagged

from odoo.addons.member_crm.tests.common import MemberCrmCommon, MemberTierMixin


@tagged("post_install", "-at_install")
class TestMarketingErasure(MemberCrmCommon, MemberTierMixin):
    """Mailing statistics keep their counts, not the erased member's email address or number."""

    def test_erasure_clears_the_members_address_from_mailing_traces(self):
        company = self.env.company
        self._member_enable(company)
        member = self._member_partner("Zhao Lei", company)
        member.phone = "+86 138 0013 8123"
        bystander = self.env["res.partner"].create({"name": "Xzhao Lei", "email": "xzhao.lei@example.com"})
        mailing = self.env["mailing.mailing"].create(
            {
                "subject": "Gold week",
                "body_html": "<p>Hello</p>",
                "mailing_model_id": self.env.ref("base.model_res_partner").id,
            }
        )
        Trace = self.env["mailing.trace"]
        mail = Trace.create(
            {"mass_mailing_id": mailing.id, "model": "res.partner", "res_id": member.id, "email": member.email}
        )
        sms = Trace.create(
            {
                "mass_mailing_id": mailing.id,
                "model": "res.partner",
                "res_id": member.id,
                "trace_type": "sms",
                "sms_number": member.phone_sanitized,
            }
        )
        other = Trace.create(
            {"mass_mailing_id": mailing.id, "model": "res.partner", "res_id": bystander.id, "email": bystander.email}
        )
        manager = new_test_user(self.env, login="erasure_manager_mkt", groups="member_crm.group_member_crm_manager")
        self.env["member.erase"].with_user(manager).with_context(
            active_model="res.partner", active_ids=member.ids
        ).create({"reason": "Request"}).action_erase()
        self.assertTrue(mail.exists() and sms.exists(), "the statistics stay")
        self.assertFalse(mail.email)
        self.assertFalse(sms.sms_number)
        self.assertEqual(other.email, "xzhao.lei@example.com", "another person's trace is left alone")
