"""One member a campaign reached (or held out): what its mailing targets.

The mailing (``mailing_model_real``) is this model: Odoo finds the address
through ``partner_id`` (``_mail_get_partner_fields``: email, and for SMS the
partner's phone as fallback), and the body may show the member's coupon code
(``mail_allowed_qweb_expressions``) without its editor being a template editor.
"""

from odoo import api, fields, models, tools
from odoo.exceptions import UserError
from odoo.tools import SQL


class MemberCampaignRecipient(models.Model):
    _name = "member.campaign.recipient"
    _description = "Campaign Recipient"
    # a mail thread: Odoo's mass mailing sends only to thread models (mail.compose.message ``model_is_thread``)
    _inherit = ["mail.thread"]
    _order = "campaign_id, id"
    _rec_name = "partner_id"
    _check_company_auto = True
    _mailing_enabled = True

    campaign_id = fields.Many2one("member.campaign", required=True, readonly=True, ondelete="cascade", index=True)
    partner_id = fields.Many2one("res.partner", required=True, readonly=True, ondelete="cascade", index=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    membership_id = fields.Many2one("member.membership", readonly=True, ondelete="set null", index="btree_not_null")
    tier_id = fields.Many2one("member.tier", string="Tier at Launch", readonly=True, ondelete="set null")
    # the code is the coupon: the campaign role and member managers read it, other member users do not
    coupon_id = fields.Many2one(
        "loyalty.card",
        readonly=True,
        ondelete="set null",
        index="btree_not_null",
        groups="member_crm.group_member_crm_marketing,member_crm.group_member_crm_manager",
    )
    coupon_code = fields.Char(
        related="coupon_id.code",
        groups="member_crm.group_member_crm_marketing,member_crm.group_member_crm_manager",
    )
    holdout = fields.Boolean(readonly=True, help="Kept out of the campaign: no message, no coupon.")
    campaign_state = fields.Selection(related="campaign_id.state", string="Campaign State")
    email = fields.Char(related="partner_id.email")
    phone = fields.Char(related="partner_id.phone")

    _campaign_partner_uniq = models.Constraint(
        "UNIQUE(campaign_id, partner_id)", "A member is a campaign's recipient only once."
    )

    @api.model
    def mail_allowed_qweb_expressions(self):
        # the personal coupon and the campaign's window, for marketers who are not template editors
        return (
            *super().mail_allowed_qweb_expressions(),
            "object.coupon_code",
            "object.coupon_id.code",
            "object.campaign_id.name",
            "object.campaign_id.date_end",
            "object.tier_id.name",
        )

    @api.model
    def _phone_get_number_fields(self):
        # the member's number, found through partner_id (Odoo's fallback); ``phone`` here is only a display
        return []

    def _mail_get_primary_email(self):
        # the member's address through partner_id, as Odoo's partner fallback finds it
        return dict.fromkeys(self.ids, False)

    def _member_issue_coupons(self):
        """One coupon of the campaign's program per recipient without one: one create per campaign, no
        creation mail (the mailing carries the code), bound to the member."""
        for campaign, recipients in (
            self.filtered(lambda r: not r.coupon_id and not r.holdout).grouped("campaign_id").items()
        ):
            program = campaign.program_id
            if not program:
                program = campaign._member_flow().program_id = campaign._member_create_program()
            _date_from, date_to = campaign._member_window_dates()
            codes = self._member_unique_codes(len(recipients))
            # sudo: coupons are the campaign's (launched by the cron or the campaign role), never the marketer's
            # hand-made cards; loyalty_no_mail: no per-card "coupon created" mail
            cards = (
                self.env["loyalty.card"]
                .sudo()
                .with_context(
                    loyalty_no_mail=True, action_no_send_mail=True, tracking_disable=True, mail_create_nolog=True
                )
                .create(
                    [
                        {
                            "program_id": program.id,
                            "code": code,
                            "partner_id": recipient.partner_id.id,
                            "points": 1.0,
                            "expiration_date": date_to,
                            "member_bound": True,
                        }
                        for recipient, code in zip(recipients, codes, strict=True)
                    ]
                )
            )
            for recipient, card in zip(recipients, cards, strict=True):
                recipient.coupon_id = card
        return True

    @api.model
    def _member_unique_codes(self, count):
        """``count`` new coupon codes in loyalty's own format, none in use yet. Its codes carry 36 random bits:
        among a hundred thousand coupons a clash is likely, and one clash would fail the whole batch."""
        Card = self.env["loyalty.card"]
        codes = [Card._generate_code() for _i in range(count)]
        for _attempt in range(10):
            Card.flush_model(["code"])
            rows = self.env.execute_query(SQL("SELECT code FROM loyalty_card WHERE code = ANY(%s)", codes))
            taken, seen, clashes = {code for (code,) in rows}, set(), []
            for index, code in enumerate(codes):
                if code in taken or code in seen:
                    clashes.append(index)
                seen.add(code)
            if not clashes:
                return codes
            for index in clashes:
                codes[index] = Card._generate_code()
        raise UserError(self.env._("Could not draw unique coupon codes: try the launch again."))

    @api.model
    def _member_unsubscribe(self, recipient_id, email):
        """Withdraw the email consent of the recipient's member for the campaign's company (the caller checked
        the mailing's token for this recipient and address)."""
        recipient = self.browse(recipient_id).exists()
        address = tools.email_normalize(email)
        if not recipient or not address:
            return False
        # every contact behind the address: one address, one opt-out (a twin sharing it would still be mailed)
        partners = self.env["res.partner"].with_context(active_test=False).search([("email_normalized", "=", address)])
        if not partners:
            return False
        self.env["member.consent"]._member_record(
            partners, ["email"], "withdrawn", "email", company=recipient.company_id
        )
        return True

    @api.model
    def _member_unsubscribe_sms(self, recipient_id, number):
        """Withdraw the SMS consent of the contacts behind ``number`` for the recipient's campaign's company (the
        caller checked the SMS trace's code for this recipient and number)."""
        recipient = self.browse(recipient_id).exists()
        if not recipient or not number:
            return False
        # every contact behind the number: one number, one opt-out (as for a shared email address)
        partners = self.env["res.partner"].with_context(active_test=False).search([("phone_sanitized", "=", number)])
        if not partners:
            return False
        self.env["member.consent"]._member_record(
            partners, ["sms"], "withdrawn", "website", company=recipient.company_id
        )
        return True
