"""Satisfaction (CSAT) asked when a ticket closes, and the ticket's compensations.

CSAT is Odoo's ``rating``: the request mail carries the rating page's links (``/rate/<token>/<rate>``,
the token from ``_rating_get_access_token``), as project and helpdesk send theirs. Odoo's page
offers three answers, Happy (5), Neutral (3) and Unhappy (1): "satisfied" means Happy. A customer
with no email but a phone number gets the link by SMS. The NPS bridge (member_crm_survey) adds its
survey link through ``_member_nps_url``.

The request goes out once per ticket (reopened and closed again: not asked again), and never when
the ticket is closed in a cancelled stage. Its answers, the rating and the NPS answer together, are
one feedback row of the ticket (see ``rating_rating``).
"""

from odoo import api, fields, models
from odoo.exceptions import AccessError

from odoo.addons.member_crm.tools.trusted import is_trusted, trusted

SATISFACTION_FLOW = "member_crm_satisfaction_flow"

# satisfaction and compensations of tickets apart from the ticket model itself (one concern per file)
# pylint: disable=consider-merging-classes-inherited


class MemberComplaint(models.Model):
    _inherit = "member.complaint"

    compensation_ids = fields.One2many("member.complaint.compensation", "complaint_id", string="Compensations")
    compensation_count = fields.Integer(compute="_compute_compensation_count")
    satisfaction_requested = fields.Boolean(
        readonly=True, copy=False, help="The customer was asked for their satisfaction (once per ticket)."
    )
    satisfaction_text = fields.Selection(
        related="rating_last_text",
        string="Satisfaction",
        help="The customer's answer to the satisfaction request: Happy (satisfied), Neutral or Unhappy.",
    )

    @api.depends("compensation_ids")
    def _compute_compensation_count(self):
        groups = self.env["member.complaint.compensation"]._read_group(
            [("complaint_id", "in", self.ids)], ["complaint_id"], ["__count"]
        )
        counts = {complaint.id: count for complaint, count in groups}
        for complaint in self:
            complaint.compensation_count = counts.get(complaint.id, 0)

    def write(self, vals):
        if "satisfaction_requested" in vals and not is_trusted(self.env, SATISFACTION_FLOW):
            raise AccessError(self.env._("The satisfaction request is recorded by the system when a ticket closes."))
        was_open = self.filtered(lambda c: not c.stage_id.is_closed) if "stage_id" in vals else self.browse()
        res = super().write(vals)
        if "company_id" in vals:
            # sudo: the ticket's ratings follow its company, for their record rules
            ratings = self.sudo().rating_ids
            self.env.add_to_compute(ratings._fields["member_company_id"], ratings)
        if was_open:
            was_open.filtered(
                lambda c: c.stage_id.is_closed and not c.stage_id.is_cancelled and not c.satisfaction_requested
            )._member_request_satisfaction()
        return res

    @api.model_create_multi
    def create(self, vals_list):
        model = self
        if not is_trusted(self.env, SATISFACTION_FLOW):
            if any(vals.get("satisfaction_requested") for vals in vals_list):
                raise AccessError(
                    self.env._("The satisfaction request is recorded by the system when a ticket closes.")
                )
            context = {k: v for k, v in self.env.context.items() if k != "default_satisfaction_requested"}
            model = self.with_env(self.env(context=context))
        return super(MemberComplaint, model).create(vals_list)

    # ------------------------------------------------------------------
    # satisfaction request
    # ------------------------------------------------------------------
    def _member_request_satisfaction(self):
        """Ask the customers of these closed tickets how satisfied they are: by email, else by SMS."""
        if not self:
            return
        # recorded first: the request is never sent twice, even if its sending fails half-way and is retried
        self.with_context(**trusted(SATISFACTION_FLOW)).write({"satisfaction_requested": True})
        template = self.env.ref("member_crm_marketing.mail_template_member_complaint_rating", raise_if_not_found=False)
        for complaint in self:
            partner = complaint._rating_get_partner()
            if not partner:
                continue
            if partner.email:
                if template:
                    complaint.rating_send_request(template, lang=partner.lang, force_send=False)
            elif partner.phone:
                complaint._member_send_rating_sms(partner)

    def _member_rating_url(self, partner=None, rate=3):
        """The rating page of this ticket for its customer (Neutral preselected: the page lets them choose)."""
        self.ensure_one()
        token = self._rating_get_access_token(partner=partner)
        return f"{self.get_base_url()}/rate/{token}/{rate}"

    def _member_nps_url(self):
        """The link of the NPS question sent with the satisfaction request (none here: see member_crm_survey)."""
        self.ensure_one()
        return ""

    def _member_send_rating_sms(self, partner):
        self.ensure_one()
        body = self.env._(
            "%(company)s: how satisfied are you with the handling of %(ticket)s? Happy, Neutral or Unhappy: %(url)s",
            company=self.company_id.name,
            ticket=self.display_name,
            url=self._member_rating_url(partner=partner),
        )
        nps = self._member_nps_url()
        if nps:
            body = self.env._("%(body)s How likely are you to recommend us (0-10)? %(url)s", body=body, url=nps)
        return self._message_sms(body, partner_ids=partner.ids)

    # ------------------------------------------------------------------
    # compensations
    # ------------------------------------------------------------------
    def action_view_compensations(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Compensations"),
            "res_model": "member.complaint.compensation",
            "view_mode": "list,form",
            "domain": [("complaint_id", "=", self.id)],
            "context": {"default_complaint_id": self.id},
        }


class MemberPointsLot(models.Model):
    _inherit = "member.points.lot"

    # compensation points come from their ticket once, whatever replays the approval
    _compensation_once = models.UniqueIndex("(source_model, source_id) WHERE kind = 'compensation'")
