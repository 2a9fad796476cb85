from odoo.http import request

from odoo.addons.mass_mailing.controllers.main import MassMailController


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
