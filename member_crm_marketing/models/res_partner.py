from odoo import models
from odoo.tools import SQL


class ResPartner(models.Model):
    _inherit = "res.partner"

    def _member_erase_traces(self):
        res = super()._member_erase_traces()
        self._member_erase_marketing_traces()
        return res

    def _member_erase_marketing_traces(self):
        """Mailing statistics keep the address each mail or SMS went to (mailing_trace.email, sms_number):
        erased members' are cleared, the statistics stay. Unsent SMS to them are deleted.

        ``self``: the erased family, as superuser, before its addresses are cleared. The opt-out lists
        (mail.blacklist, phone.blacklist) keep theirs: a suppression list must."""
        emails = [email for email in set(self.mapped("email_normalized")) if email]
        phones = [phone for phone in set(self.mapped("phone_sanitized")) if phone]
        self.env["mailing.trace"].flush_model(["email", "sms_number", "model", "res_id"])
        self.env.execute_query(
            SQL(
                """UPDATE mailing_trace SET email = NULL, sms_number = NULL
                    WHERE (model = 'res.partner' AND res_id IN %(ids)s)
                       OR lower(email) = ANY(%(emails)s) OR sms_number = ANY(%(phones)s)""",
                ids=tuple(self.ids),
                emails=emails,
                phones=phones,
            )
        )
        self.env["mailing.trace"].invalidate_model(["email", "sms_number"])
        self.env["sms.sms"].sudo().search(["|", ("partner_id", "in", self.ids), ("number", "in", phones)]).filtered(
            lambda sms: sms.state == "outgoing"
        ).unlink()
        return True
