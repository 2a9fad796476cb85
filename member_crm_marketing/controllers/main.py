from odoo import http
from odoo.http import request

from odoo.addons.mass_mailing.controllers.main import MassMailController
from odoo.addons.mass_mailing_sms.controllers.main import MailingSMSController


class MemberCampaignMailController(MassMailController):
    def _mailing_unsubscribe_from_document(self, mailing, document_id, email, hash_token):
        """Campaign mailings: the unsubscribe link and one-click List-Unsubscribe withdraw the member's email
        consent for the campaign's company. member_crm's consent then puts the address on the global
        blacklist only when no other company holds consent for it."""
        if mailing.mailing_model_real != "member.campaign.recipient" or not document_id:
            return super()._mailing_unsubscribe_from_document(mailing, document_id, email, hash_token)
        if not request.env["member.campaign.recipient"].sudo()._member_unsubscribe(int(document_id), email):
            # nobody found to withdraw (recipient gone, address changed): Odoo's opt-out, never a lost request
            return super()._mailing_unsubscribe_from_document(mailing, document_id, email, hash_token)
        return request.render(
            "mass_mailing.page_mailing_unsubscribe",
            dict(
                self._prepare_mailing_subscription_values(mailing, document_id, email, hash_token),
                last_action="subscription_updated",
                unsubscribed_name=request.env._("You will no longer receive our member offers by email."),
            ),
        )


class MemberCampaignSmsController(MailingSMSController):
    @http.route()
    def blacklist_number(self, mailing_id, trace_code, **post):
        """Campaign SMS: the "STOP SMS" link withdraws the member's SMS consent for the campaign's company, where
        Odoo would put the number on the global phone blacklist. member_crm's consent then blacklists the
        number only when no company holds SMS or phone consent for it any more. Other mailings: Odoo's opt-out."""
        number = post.get("sms_number", "").strip(" ")
        trace = self._check_trace(mailing_id, trace_code).get("trace")
        trace = trace.filtered(lambda t: t.sms_number == number)[:1] if trace and number else False
        if (
            not trace
            or trace.mass_mailing_id.mailing_model_real != "member.campaign.recipient"
            # sudo: a public visitor holding the trace's code and number, as Odoo's own opt-out
            or not request.env["member.campaign.recipient"].sudo()._member_unsubscribe_sms(trace.res_id, number)
        ):
            # not a campaign SMS, or nobody found to withdraw: Odoo's opt-out, never a lost request
            return super().blacklist_number(mailing_id, trace_code, **post)
        return request.render(
            "mass_mailing_sms.blacklist_number",
            {
                "mailing_id": mailing_id,
                "trace_code": trace_code,
                "sms_number": number,
                "lists_optin": request.env["mailing.list"],
                "lists_optout": request.env["mailing.list"],
                "member_unsubscribed": True,
            },
        )
