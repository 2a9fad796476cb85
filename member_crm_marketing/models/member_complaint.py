"""Complaints, inquiries and feedback of customers, with service levels by member tier.

Why our own model and not OCA's ``helpdesk_mgmt``: that addon is AGPL-3, and its
service levels and ratings are separate addons (``helpdesk_mgmt_sla``,
``helpdesk_mgmt_rating``). Ours is LGPL-3 like the rest of the member CRM, and
ties tickets to what the member CRM already has: deadlines from the member's
tier benefit, compensation through the points writer and the feedback
criterion of the qualification ledger.

Service levels: the response and resolution deadlines are set once, when the
ticket is created, from the member's tier benefit (non-members: the company's
setting), counted in working hours of the team's calendar (else the company's)
with its public holidays (``resource.calendar.plan_hours``). A later tier change
never moves them; only time spent "waiting for the customer" does. The first
response is the first message an internal user (not OdooBot) sends to the
customer; automatic stage mails and out-of-office replies are not responses.
A cron every 15 minutes flags breaches and gives the team leader one
escalation activity per ticket.
"""

import datetime

import pytz

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, email_normalize

from odoo.addons.member_crm.tools.trusted import is_trusted, trusted

# the service-level figures: written by the system only (creation, stage changes, first response, cron)
SLA_WRITE = "member_complaint_sla_write"
SLA_FIELDS = (
    "number",
    "date_open",
    "membership_id",
    "response_deadline",
    "resolution_deadline",
    "first_response_date",
    "closed_date",
    "response_breached",
    "resolution_breached",
    "escalated",
    "waiting_since",
    "waiting_hours",
)
COMPLAINT_TYPES = [("complaint", "Complaint"), ("inquiry", "Inquiry"), ("feedback", "Feedback")]
CHANNELS = [("phone", "Phone"), ("email", "Email"), ("portal", "Portal"), ("pos", "Point of Sale")]


class MemberComplaint(models.Model):
    _name = "member.complaint"
    _description = "Complaint or Inquiry"
    _inherit = ["mail.thread.cc", "mail.activity.mixin", "rating.mixin", "portal.mixin"]
    _order = "id desc"
    _primary_email = "email_from"
    _mail_thread_customer = True
    _check_company_auto = True

    number = fields.Char(string="Reference", readonly=True, copy=False, index="trigram")
    name = fields.Char(string="Subject", required=True, tracking=True)
    description = fields.Html()
    complaint_type = fields.Selection(COMPLAINT_TYPES, string="Type", required=True, default="complaint", tracking=True)
    channel = fields.Selection(CHANNELS, required=True, default="phone", tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company, tracking=True
    )
    partner_id = fields.Many2one("res.partner", string="Customer", index=True, check_company=True, tracking=True)
    commercial_partner_id = fields.Many2one(
        related="partner_id.commercial_partner_id", store=True, index=True, string="Customer Entity"
    )
    email_from = fields.Char(string="Email", help="The address the ticket came from, or to answer to.")
    membership_id = fields.Many2one(
        "member.membership",
        compute="_compute_membership_id",
        store=True,
        index="btree_not_null",
        help="The customer's membership in the ticket's company, if any: its tier gave the deadlines.",
    )
    tier_id = fields.Many2one(related="membership_id.tier_id", string="Tier")
    team_id = fields.Many2one(
        "member.service.team",
        string="Service Team",
        index=True,
        check_company=True,
        tracking=True,
        default=lambda self: self.env["member.service.team"]._member_default_team(self.env.company),
    )
    user_id = fields.Many2one(
        "res.users",
        string="Assigned to",
        index=True,
        check_company=True,
        domain=[("share", "=", False)],
        tracking=True,
    )
    stage_id = fields.Many2one(
        "member.complaint.stage",
        index=True,
        tracking=True,
        ondelete="restrict",
        copy=False,
        group_expand="_read_group_stage_ids",
        default=lambda self: self._default_stage_id(),
        domain="['|', ('company_id', '=', False), ('company_id', '=', company_id)]",
    )
    is_closed = fields.Boolean(related="stage_id.is_closed")
    is_waiting = fields.Boolean(related="stage_id.is_waiting")
    fold = fields.Boolean(related="stage_id.fold")
    # what the ticket is about (returns, defects)
    sale_order_id = fields.Many2one("sale.order", string="Sales Order", check_company=True, index="btree_not_null")
    pos_order_id = fields.Many2one("pos.order", string="POS Order", check_company=True, index="btree_not_null")
    account_move_id = fields.Many2one(
        "account.move",
        string="Invoice",
        check_company=True,
        index="btree_not_null",
        domain=[("move_type", "in", ("out_invoice", "out_refund", "out_receipt"))],
    )
    product_id = fields.Many2one("product.product", check_company=True)
    # service levels (SLA_FIELDS: the system's, never an agent's)
    date_open = fields.Datetime(string="Opened On", readonly=True, copy=False)
    response_deadline = fields.Datetime(readonly=True, copy=False)
    resolution_deadline = fields.Datetime(readonly=True, copy=False)
    first_response_date = fields.Datetime(string="First Response On", readonly=True, copy=False)
    closed_date = fields.Datetime(string="Closed On", readonly=True, copy=False)
    response_breached = fields.Boolean(string="Response Late", readonly=True, copy=False)
    resolution_breached = fields.Boolean(string="Resolution Late", readonly=True, copy=False)
    escalated = fields.Boolean(readonly=True, copy=False, help="The team leader was given an escalation activity.")
    waiting_since = fields.Datetime(readonly=True, copy=False)
    waiting_hours = fields.Float(
        string="Working Hours Waited",
        readonly=True,
        copy=False,
        help="Working hours spent waiting for the customer: the open deadlines moved by as much.",
    )

    _hours_positive = models.Constraint("CHECK(waiting_hours >= 0)", "Waiting hours cannot be negative.")

    @api.depends("number", "name")
    def _compute_display_name(self):
        for complaint in self:
            complaint.display_name = f"{complaint.number or ''} {complaint.name or ''}".strip()

    @api.depends("partner_id", "company_id")
    def _compute_membership_id(self):
        partners = self.partner_id.commercial_partner_id
        # sudo: the ticket's creator (an agent, the mail gateway, a portal user) links the membership whatever
        # their own rights on memberships; only the link is written
        memberships = (
            self.env["member.membership"]
            .sudo()
            .search([("partner_id", "in", partners.ids), ("company_id", "in", self.company_id.ids)])
            if partners
            else self.env["member.membership"]
        )
        by_key = {(m.partner_id.id, m.company_id.id): m.id for m in memberships}
        for complaint in self:
            complaint.membership_id = by_key.get(
                (complaint.partner_id.commercial_partner_id.id, complaint.company_id.id), False
            )

    def _compute_access_url(self):
        # the customer's page under My Membership (portal routes: member_crm's portal)
        for complaint in self:
            complaint.access_url = f"/my/membership/complaints/{complaint.id}"

    @api.model
    def _default_stage_id(self):
        return self.env["member.complaint.stage"].search([("is_closed", "=", False)], limit=1)

    @api.model
    def _read_group_stage_ids(self, stages, domain):
        # every stage is a column, empty ones included (a handful of records)
        return stages.search([("active", "=", True)], order=stages._order)

    # ------------------------------------------------------------------
    # server-side guard of the service-level figures
    # ------------------------------------------------------------------
    def _member_sla_trusted(self):
        return self.env.su or is_trusted(self.env, SLA_WRITE)

    def _member_check_sla_fields(self, names):
        forbidden = set(names) & set(SLA_FIELDS)
        if forbidden and not self._member_sla_trusted():
            raise AccessError(
                self.env._(
                    "Deadlines, response and closing dates, breaches and escalations of a ticket are set by "
                    "the system (%(fields)s).",
                    fields=", ".join(sorted(forbidden)),
                )
            )

    def _member_sla_write(self, vals):
        """Write service-level figures (``SLA_FIELDS``) as the system does."""
        return self.with_context(**trusted(SLA_WRITE)).write(vals)

    def _member_without_sla_defaults(self):
        """Nor through the context: a caller's ``default_response_deadline`` would fill them after the check."""
        if self._member_sla_trusted():
            return self
        names = {f"default_{name}" for name in SLA_FIELDS}
        return self.with_env(self.env(context={k: v for k, v in self.env.context.items() if k not in names}))

    @api.model_create_multi
    def create(self, vals_list):
        self._member_check_sla_fields({name for vals in vals_list for name, value in vals.items() if value})
        sequence = self.env["ir.sequence"].sudo()  # the ticket numbers, whoever opens the ticket
        now = fields.Datetime.now()
        teams = {}  # the default team per company
        for vals in vals_list:
            company = self.env["res.company"].browse(vals.get("company_id")) or self.env.company
            if "team_id" not in vals and "default_team_id" not in self.env.context:
                # the default team is the ticket's company's (a portal or POS ticket may be in another company)
                if company not in teams:
                    teams[company] = self.env["member.service.team"]._member_default_team(company)
                vals["team_id"] = teams[company].id
            if not vals.get("number"):
                vals["number"] = sequence.with_company(company).next_by_code("member.complaint")
            if not vals.get("date_open"):
                vals["date_open"] = now
        complaints = super(MemberComplaint, self._member_without_sla_defaults()).create(vals_list)
        complaints._member_start_sla()
        complaints._member_stage_changed({})
        return complaints

    def write(self, vals):
        self._member_check_sla_fields(vals)
        self._member_check_compensated_customer(vals)
        previous = {complaint.id: complaint.stage_id for complaint in self} if "stage_id" in vals else None
        res = super().write(vals)
        if previous is not None:
            self._member_stage_changed(previous)
        return res

    def _member_check_compensated_customer(self, vals):
        """A ticket's customer and company stay while a compensation of it is proposed or approved."""
        changed = self.filtered(
            lambda c: (
                ("partner_id" in vals and c.partner_id.id != vals["partner_id"])
                or ("company_id" in vals and c.company_id.id != vals["company_id"])
            )
        )
        if not changed:
            return
        # sudo: whoever edits the ticket, its compensations (maybe not theirs to read) pin its customer
        if (
            self.env["member.complaint.compensation"]
            .sudo()
            .search_count([("complaint_id", "in", changed.ids), ("state", "in", ("proposed", "approved"))], limit=1)
        ):
            raise UserError(
                self.env._(
                    "This ticket has a proposed or approved compensation: its customer and company cannot change."
                )
            )

    # ------------------------------------------------------------------
    # service levels
    # ------------------------------------------------------------------
    def _member_calendar(self):
        self.ensure_one()
        return self.team_id._member_calendar() if self.team_id else self.company_id.resource_calendar_id

    @api.model
    def _member_plan(self, calendar, hours, start):
        """``start`` (naive UTC) + ``hours`` working hours of ``calendar`` and its public holidays, naive UTC.

        ``plan_hours`` lays the calendar's attendances out in the calendar's own time zone; the start is
        given to it as an aware datetime in that zone, and the result brought back to naive UTC as stored.
        Without a calendar (or one without attendances), the hours are counted round the clock.
        """
        if not hours or not start:
            return False
        if calendar:
            tz = pytz.timezone(calendar.tz or "UTC")
            end = calendar.plan_hours(hours, pytz.utc.localize(start).astimezone(tz), compute_leaves=True)
            if end:
                return end.astimezone(pytz.utc).replace(tzinfo=None)
        return start + datetime.timedelta(hours=hours)

    @api.model
    def _member_worked_hours(self, calendar, start, stop):
        """Working hours of ``calendar`` between two naive UTC datetimes (round the clock without one)."""
        if not start or not stop or stop <= start:
            return 0.0
        if calendar:
            return calendar.get_work_hours_count(pytz.utc.localize(start), pytz.utc.localize(stop), compute_leaves=True)
        return (stop - start).total_seconds() / 3600

    def _member_sla_hours(self):
        """(response hours, resolution hours) of this ticket: the member's tier benefit, else the company's."""
        self.ensure_one()
        # sudo: the tier benefit is configuration the system reads for whoever opens the ticket
        membership = self.sudo().membership_id
        company = self.company_id
        member = membership.state == "active" and membership.tier_id
        response = (member and membership.response_hours) or company.member_complaint_response_hours
        resolution = (member and membership.resolution_hours) or company.member_complaint_resolution_hours
        return response, resolution

    def _member_start_sla(self):
        """Set the deadlines of new tickets, once: one plan per (calendar, start, hours), one write per result."""
        plans, groups = {}, {}
        for complaint in self:
            key = (complaint._member_calendar(), complaint.date_open, *complaint._member_sla_hours())
            if key not in plans:
                calendar, start, response, resolution = key
                plans[key] = {
                    "response_deadline": self._member_plan(calendar, response, start),
                    "resolution_deadline": self._member_plan(calendar, resolution, start),
                }
            groups.setdefault(key, self.browse())
            groups[key] |= complaint
        for key, complaints in groups.items():
            complaints._member_sla_write(plans[key])

    def _member_stage_changed(self, previous):
        """Stop, pause and restart the clock after stage changes (``previous``: {id: the stage before})."""
        now = fields.Datetime.now()
        empty = self.env["member.complaint.stage"]
        updates = {}  # {frozen vals: complaints}, one write each
        for complaint in self:
            before, after = previous.get(complaint.id, empty), complaint.stage_id
            vals = {}
            if after.is_waiting and not before.is_waiting:
                vals["waiting_since"] = now
            elif before.is_waiting and not after.is_waiting and complaint.waiting_since:
                vals.update(complaint._member_resume_vals(now))
            if after.is_closed and not before.is_closed:
                vals["closed_date"] = now
                if complaint.resolution_deadline and now > complaint.resolution_deadline:
                    vals["resolution_breached"] = True
                if (
                    not complaint.first_response_date
                    and complaint.response_deadline
                    and now > complaint.response_deadline
                ):
                    vals["response_breached"] = True
            elif before.is_closed and not after.is_closed:
                vals["closed_date"] = False
            if vals:
                updates.setdefault(tuple(sorted(vals.items())), self.browse())
                updates[tuple(sorted(vals.items()))] |= complaint
        for vals, complaints in updates.items():
            complaints._member_sla_write(dict(vals))

    def _member_resume_vals(self, now):
        """Leaving "waiting for the customer": the open deadlines move by the working hours waited."""
        self.ensure_one()
        calendar = self._member_calendar()
        waited = self._member_worked_hours(calendar, self.waiting_since, now)
        vals = {"waiting_since": False, "waiting_hours": self.waiting_hours + waited}
        if waited:
            if not self.first_response_date and self.response_deadline:
                vals["response_deadline"] = self._member_plan(calendar, waited, self.response_deadline)
            if self.resolution_deadline:
                vals["resolution_deadline"] = self._member_plan(calendar, waited, self.resolution_deadline)
        return vals

    # ------------------------------------------------------------------
    # the first response
    # ------------------------------------------------------------------
    def _message_post_after_hook(self, message, msg_values):
        res = super()._message_post_after_hook(message, msg_values)
        self._member_register_response(message, msg_values)
        return res

    def _member_register_response(self, message, msg_values):
        """The first message an internal user (not OdooBot) sends to the customer is the response.

        A comment, or an email (an agent answering from their mailbox), with the comment subtype: log notes,
        automatic stage mails (``auto_comment``), out-of-office replies and the customer's own mails are not.
        """
        if self.first_response_date or msg_values.get("message_type") not in ("comment", "email"):
            return
        if msg_values.get("subtype_id") != self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_comment"):
            return
        author = self.env["res.partner"].browse(msg_values.get("author_id"))
        if not author or author == self.env.ref("base.partner_root"):
            return
        # sudo: whether the author is an employee, whoever reads (users of other companies included)
        if not author.sudo().user_ids.filtered(lambda user: not user.share):
            return
        date = message.date or fields.Datetime.now()
        vals = {"first_response_date": date}
        if self.response_deadline and date > self.response_deadline:
            vals["response_breached"] = True
        self._member_sla_write(vals)

    # ------------------------------------------------------------------
    # breaches and escalation
    # ------------------------------------------------------------------
    @api.model
    def _cron_member_sla_escalate(self, batch_size=5000):
        found = self._member_sla_escalate(limit=batch_size)
        self.env["ir.cron"]._commit_progress(len(found), remaining=batch_size if len(found) == batch_size else 0)

    @api.model
    def _member_breach_sql(self, now, limit=None):
        """Open tickets, not waiting, past a deadline not yet flagged: one statement for all of them."""
        return SQL(
            """
            SELECT c.id,
                   c.first_response_date IS NULL AND c.response_deadline < %(now)s AS response,
                   c.resolution_deadline < %(now)s AS resolution,
                   c.escalated IS TRUE AS escalated,
                   COALESCE(t.leader_id, c.user_id) AS responsible
              FROM member_complaint c
              JOIN member_complaint_stage s ON s.id = c.stage_id
         LEFT JOIN member_service_team t ON t.id = c.team_id
             WHERE s.is_closed IS NOT TRUE AND s.is_waiting IS NOT TRUE
               AND ((c.response_breached IS NOT TRUE AND c.first_response_date IS NULL
                     AND c.response_deadline < %(now)s)
                 OR (c.resolution_breached IS NOT TRUE AND c.resolution_deadline < %(now)s))
          ORDER BY c.id
             LIMIT %(limit)s
            """,
            now=now,
            limit=limit,
        )

    @api.model
    def _member_sla_escalate(self, limit=None):
        """Flag the new breaches and give each newly late ticket one activity for its team leader.

        One query finds them; the flags are written in at most three batch writes and the activities
        created in one batch: a ticket is escalated once, however many deadlines it misses.
        """
        now = fields.Datetime.now()
        self.env["member.complaint"].flush_model()
        self.env["member.complaint.stage"].flush_model(["is_closed", "is_waiting"])
        self.env["member.service.team"].flush_model(["leader_id"])
        rows = self.env.execute_query(self._member_breach_sql(now, limit))
        if not rows:
            return self.browse()
        late_response = self.browse([row[0] for row in rows if row[1]])
        late_resolution = self.browse([row[0] for row in rows if row[2]])
        new = [row for row in rows if not row[3]]
        late_response._member_sla_write({"response_breached": True})
        late_resolution._member_sla_write({"resolution_breached": True})
        escalated = self.browse([row[0] for row in new])
        escalated._member_sla_write({"escalated": True})
        activity_type = self.env.ref("mail.mail_activity_data_todo")
        model_id = self.env["ir.model"]._get_id(self._name)
        today = fields.Date.context_today(self)
        response_missed = self.env._("Response deadline missed")
        resolution_missed = self.env._("Resolution deadline missed")
        vals_list = [
            {
                "res_model_id": model_id,
                "res_id": complaint_id,
                "activity_type_id": activity_type.id,
                "user_id": responsible,
                "date_deadline": today,
                # a summary, no note: an HTML note is sanitized once per activity
                "summary": response_missed if response else resolution_missed,
            }
            for complaint_id, response, _resolution, _escalated, responsible in new
            if responsible
        ]
        # no mail per activity (``mail_activity_quick_update``): the leader sees them in their activities
        self.env["mail.activity"].with_context(mail_activity_quick_update=True).create(vals_list)
        return self.browse([row[0] for row in rows])

    # ------------------------------------------------------------------
    # mail gateway and stage mails
    # ------------------------------------------------------------------
    @api.model
    def message_new(self, msg_dict, custom_values=None):
        """An email to a team's alias: the sender's contact is the customer when it is clear who they are.

        Core sets no customer. With an address shared by several contacts, the one that is a member of the
        team's company wins; otherwise the ticket keeps no customer and its chatter says why.
        """
        values = dict(custom_values or {})
        team = self.env["member.service.team"].browse(values.get("team_id")).exists()
        company = team.company_id or self.env["res.company"].browse(values.get("company_id")).exists()
        company = company or self.env.company
        values.setdefault("channel", "email")
        values.setdefault("company_id", company.id)
        if msg_dict.get("body"):
            values.setdefault("description", msg_dict["body"])
        reason = None
        if not values.get("partner_id"):
            partner, reason = self._member_sender_partner(msg_dict.get("email_from"), company)
            if partner:
                values["partner_id"] = partner.id
        complaint = super().message_new(msg_dict, custom_values=values)
        if reason:
            complaint._message_log(body=reason)
        return complaint

    @api.model
    def _member_sender_partner(self, email_from, company):
        """(the sender's contact or an empty recordset, why none was chosen or None)."""
        email = email_normalize(email_from or "")
        if not email:
            return self.env["res.partner"], None
        # sudo: the gateway matches the sender against every contact's address, as core's author lookup does
        contacts = (
            self.env["res.partner"]
            .sudo()
            .search([("email_normalized", "=", email), ("company_id", "in", [False, company.id])])
        )
        entities = contacts.commercial_partner_id
        if len(entities) <= 1:
            return contacts.filtered(lambda p: p == p.commercial_partner_id)[:1] or contacts[:1], None
        members = (
            self.env["member.membership"]
            .sudo()
            .search([("partner_id", "in", entities.ids), ("company_id", "=", company.id), ("state", "=", "active")])
        )
        if len(members) == 1:
            return contacts.filtered(lambda p: p.commercial_partner_id == members.partner_id)[:1], None
        names = ", ".join(entities.mapped("display_name"))
        if members:
            reason = self.env._(
                "The sender's address %(email)s belongs to several members of %(company)s (%(names)s): "
                "no customer was chosen, choose one by hand.",
                email=email,
                company=company.name,
                names=names,
            )
        else:
            reason = self.env._(
                "The sender's address %(email)s belongs to several contacts (%(names)s), none of them a member "
                "of %(company)s: no customer was chosen, choose one by hand.",
                email=email,
                company=company.name,
                names=names,
            )
        return self.env["res.partner"], reason

    def _track_template(self, changes):
        res = super()._track_template(changes)
        complaint = self[0]
        if "stage_id" in changes and complaint.stage_id.template_id:
            # as project tasks: an automatic post (``auto_comment``), never the ticket's response
            res["stage_id"] = (
                complaint.stage_id.template_id,
                {
                    "auto_delete_keep_log": False,
                    "subtype_id": self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_note"),
                    "email_layout_xmlid": "mail.mail_notification_light",
                },
            )
        return res
