from odoo import models
from odoo.fields import Domain


class MailingMailing(models.Model):
    _inherit = "mailing.mailing"

    def _get_recipients_domain(self):
        domain = super()._get_recipients_domain()
        if self.mailing_model_real == "member.campaign.recipient":
            domain &= self._member_campaign_send_domain()
        return domain

    def _member_campaign_send_domain(self):
        """Consent at send time, in the campaign's company: the queue runs as OdooBot, whose company is not
        the campaign's. A member who withdrew consent (or was opted out) since the launch gets nothing, not
        even a trace; held-out members never get a message."""
        self.ensure_one()
        # sudo: the campaign behind the mailing, whoever sends it (the queue, a marketer's "send now")
        campaign = self.env["member.campaign"].sudo().search([("mailing_id", "=", self.id)], limit=1)
        if not campaign:
            return Domain.FALSE
        partners = (
            self.env["res.partner"]
            .sudo()
            .with_company(campaign.company_id)
            ._search(campaign._member_partner_model()._member_audience_domain(campaign.channel))
        )
        return Domain(
            [
                ("campaign_id", "=", campaign.id),
                ("holdout", "=", False),
                ("partner_id", "in", partners),
            ]
        )
