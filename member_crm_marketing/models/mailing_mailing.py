from odoo import models
from odoo.exceptions import UserError
from odoo.fields import Domain

from odoo.addons.member_crm.tools.trusted import is_trusted

from .member_campaign import CAMPAIGN_FLOW


class MailingMailing(models.Model):
    _inherit = "mailing.mailing"

    def _get_recipients_domain(self):
        domain = super()._get_recipients_domain()
        if self.mailing_model_real == "member.campaign.recipient":
            domain &= self._member_campaign_send_domain()
        return domain

    def write(self, vals):
        if vals.get("state") == "in_queue":
            self._member_check_campaign_queue()
        return super().write(vals)

    def action_put_in_queue(self):
        # "Send" and "Schedule" (action_launch, action_schedule) all come here
        self._member_check_campaign_queue()
        return super().action_put_in_queue()

    def _member_check_campaign_queue(self):
        """A campaign's mailing is queued by the campaign's launch, once every recipient and coupon exists and
        outside SMS quiet hours: sent by hand, it would reach only the recipients written so far."""
        if is_trusted(self.env, CAMPAIGN_FLOW) or not self.filtered(
            lambda m: m.mailing_model_real == "member.campaign.recipient"
        ):
            return
        raise UserError(
            self.env._("This mailing belongs to a member campaign: its launch sends it. Use the campaign instead.")
        )

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
