"""Interactions Odoo does not keep: portal logins and social-media events of members.

Odoo keeps only a user's last login (``res.users.log`` rows are garbage-collected) and knows nothing of
WeChat or Weibo. Both are rows here, one table, read by the member's timeline (``member.timeline``).

- Logins are written when a portal user's web sign-in completes (res_users.py): by ``res.users._login`` after the
  password, or, with two-factor authentication, after the second step (auth_totp's code or trusted device), never
  both; one row per company where the user's commercial partner is an active member, as the system.
- Social events come in through a CSV import (Odoo's import on this model, member number column) or the
  JSON-2 API: ``POST /json/2/member.interaction/member_record_social`` with a bearer API key.
"""

import datetime as dt

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Domain
from odoo.tools import SQL

KINDS = [("login", "Portal Login"), ("social", "Social Media")]
SOCIAL_ACTIONS = [("like", "Like"), ("comment", "Comment"), ("share", "Share"), ("follow", "Follow")]
CHANNELS = [
    ("wechat", "WeChat"),
    ("weibo", "Weibo"),
    ("douyin", "Douyin"),
    ("xiaohongshu", "Xiaohongshu"),
    ("other", "Other"),
]
# the keys an API event may carry
EVENT_KEYS = {"member_number", "partner_id", "company_id", "channel", "action", "date", "external_id", "url", "note"}
# what the campaign role may still change on a recorded event (everything else is the event itself)
EDITABLE_FIELDS = {"note", "url"}
# an event cannot be dated more than this after the server's clock (clock skew of the sender)
FUTURE_TOLERANCE = dt.timedelta(hours=1)


class MemberInteraction(models.Model):
    _name = "member.interaction"
    _description = "Member Interaction"
    _order = "date desc, id desc"
    _check_company_auto = True

    kind = fields.Selection(KINDS, required=True, default="social", readonly=True)
    partner_id = fields.Many2one(
        "res.partner",
        string="Member",
        required=True,
        ondelete="cascade",
        help="The member (commercial entity) the event belongs to.",
    )
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    date = fields.Datetime(required=True, default=fields.Datetime.now)
    user_id = fields.Many2one("res.users", readonly=True, ondelete="set null", help="Logins: who.")
    social_action = fields.Selection(SOCIAL_ACTIONS, string="Action")
    channel = fields.Selection(CHANNELS)
    external_id = fields.Char(
        string="External ID",
        help="The event's identifier on its channel: importing or posting it again does not record it twice.",
    )
    url = fields.Char(string="URL")
    note = fields.Text()
    # the import's member column: the member number in the row's company
    member_number = fields.Char(
        compute="_compute_member_number",
        inverse="_inverse_member_number",
        help="Import: the member number in the company of the row (or your current company).",
    )

    _partner_date_idx = models.Index("(partner_id, date DESC)")
    _external_uniq = models.UniqueIndex(
        "(company_id, channel, external_id) WHERE external_id IS NOT NULL",
        "This event (channel and external ID) is already recorded for this company.",
    )

    @api.depends("kind", "social_action", "channel")
    def _compute_display_name(self):
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        actions = dict(self._fields["social_action"]._description_selection(self.env))
        channels = dict(self._fields["channel"]._description_selection(self.env))
        for event in self:
            if event.kind == "social":
                event.display_name = self.env._(
                    "%(action)s on %(channel)s",
                    action=actions.get(event.social_action, ""),
                    channel=channels.get(event.channel, ""),
                )
            else:
                event.display_name = kinds.get(event.kind, "")

    @api.depends("partner_id", "company_id")
    def _compute_member_number(self):
        memberships = (
            self.env["member.membership"]
            .sudo()  # sudo: the number of a member the reader sees the event of
            .search([("partner_id", "in", self.partner_id.ids), ("company_id", "in", self.company_id.ids)])
        )
        numbers = {(m.partner_id.id, m.company_id.id): m.number for m in memberships}
        for event in self:
            event.member_number = numbers.get((event.partner_id.id, event.company_id.id), False)

    def _inverse_member_number(self):
        # the number is resolved to the member by create(); afterwards the member of an event does not change
        return

    @api.constrains("kind", "social_action", "channel", "user_id")
    def _check_kind_fields(self):
        for event in self:
            if event.kind == "social" and not (event.social_action and event.channel):
                raise ValidationError(self.env._("A social-media event needs an action and a channel."))
            if event.kind == "login" and (event.social_action or event.channel):
                raise ValidationError(self.env._("A login has no social action or channel."))

    # ------------------------------------------------------------------
    # create / write: events are facts, recorded once for a member
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and any(vals.get("kind") == "login" for vals in vals_list):
            raise AccessError(self.env._("Logins are recorded by Odoo when a user signs in, not by hand."))
        self._member_resolve_members(vals_list)
        return super().create(vals_list)

    def write(self, vals):
        refused = set(vals) - EDITABLE_FIELDS
        if refused and not self.env.su:
            raise UserError(
                self.env._(
                    "A recorded interaction keeps its member, kind, channel, date and ID; only its note and URL "
                    "can be changed (refused: %(fields)s).",
                    fields=", ".join(sorted(self._fields[name]._description_string(self.env) for name in refused)),
                )
            )
        return super().write(vals)

    @api.model
    def _member_resolve_members(self, vals_list):
        """Set ``partner_id`` of every row to an active member (commercial entity) of the row's company,
        from ``member_number`` or ``partner_id``; raise one error naming every bad row, before anything
        is written. Runs with the caller's rights: a company or member they cannot read is refused."""
        errors = []
        allowed = set(self.env.user._get_company_ids()) if not self.env.su else None
        for index, vals in enumerate(vals_list, 1):
            vals.setdefault("company_id", self.env.company.id)
            if allowed is not None and vals["company_id"] not in allowed:
                errors.append(self.env._("Row %(row)s: you do not work in this company.", row=index))
        numbers = {(vals["company_id"], vals["member_number"]) for vals in vals_list if vals.get("member_number")}
        by_number = {}
        if numbers:
            domain = Domain.OR(
                Domain("company_id", "=", company) & Domain("number", "=", number) for company, number in numbers
            )
            by_number = {
                (m.company_id.id, m.number): m.partner_id.id for m in self.env["member.membership"].search(domain)
            }
        for vals in vals_list:
            if vals.get("member_number"):
                vals["partner_id"] = by_number.get((vals["company_id"], vals.pop("member_number")), False)
            else:
                vals.pop("member_number", None)
        partners = self.env["res.partner"].browse({vals["partner_id"] for vals in vals_list if vals.get("partner_id")})
        commercial = {partner.id: partner.commercial_partner_id.id for partner in partners.exists()}
        for vals in vals_list:
            vals["partner_id"] = commercial.get(vals.get("partner_id"), False)
        active = {
            (m.partner_id.id, m.company_id.id)
            for m in self.env["member.membership"].search(
                [
                    ("partner_id", "in", list(set(commercial.values()))),
                    ("company_id", "in", list({vals["company_id"] for vals in vals_list})),
                    ("state", "=", "active"),
                ]
            )
        }
        for index, vals in enumerate(vals_list, 1):
            if not vals["partner_id"]:
                errors.append(self.env._("Row %(row)s: no member with this member number or contact.", row=index))
            elif (vals["partner_id"], vals["company_id"]) not in active:
                errors.append(self.env._("Row %(row)s: the contact is not an active member of the company.", row=index))
        if errors:
            raise ValidationError("\n".join(errors))

    # ------------------------------------------------------------------
    # social events through the API
    # ------------------------------------------------------------------
    @api.model
    def member_record_social(self, events):
        """Record social-media events of members, all or none (JSON-2:
        ``POST /json/2/member.interaction/member_record_social`` with ``{"events": [...]}``).

        Each event: ``member_number`` (in ``company_id``, default the caller's company) or ``partner_id``,
        ``channel`` (wechat, weibo, douyin, xiaohongshu, other), ``action`` (like, comment, share, follow),
        ``date`` (UTC, ``YYYY-MM-DD HH:MM:SS`` or ISO 8601 with an offset; default now), ``external_id``
        (the channel's ID: an event already recorded is skipped), ``url``, ``note``.

        Returns ``{"created": [ids], "skipped": [external IDs already recorded or repeated]}``.
        Needs the create right on interactions (Campaign Officer, Member Manager)."""
        self.check_access("create")
        if not isinstance(events, list) or not events:
            raise ValidationError(self.env._("Send a non-empty list of events."))
        errors, vals_list = [], []
        for index, event in enumerate(events, 1):
            vals, event_errors = self._member_social_vals(event)
            errors += [self.env._("Event %(row)s: %(error)s", row=index, error=error) for error in event_errors]
            vals_list.append(vals)
        if errors:
            raise ValidationError("\n".join(errors))
        vals_list, skipped = self._member_skip_recorded(vals_list)
        records = self.create(vals_list) if vals_list else self.browse()
        return {"created": records.ids, "skipped": skipped}

    @api.model
    def _member_social_vals(self, event):
        """(create values, errors) for one API event."""
        if not isinstance(event, dict):
            return {}, [self.env._("an event is an object with keys.")]
        errors = []
        unknown = set(event) - EVENT_KEYS
        if unknown:
            errors.append(self.env._("unknown keys %(keys)s.", keys=", ".join(sorted(map(str, unknown)))))
        channels = dict(CHANNELS)
        actions = dict(SOCIAL_ACTIONS)
        if event.get("channel") not in channels:
            errors.append(self.env._("channel must be one of %(values)s.", values=", ".join(channels)))
        if event.get("action") not in actions:
            errors.append(self.env._("action must be one of %(values)s.", values=", ".join(actions)))
        number, partner = event.get("member_number"), event.get("partner_id")
        if not (isinstance(number, str) and number.strip()) and not (isinstance(partner, int) and partner > 0):
            errors.append(self.env._("give the member's member_number (text) or partner_id (number)."))
        company = event.get("company_id", self.env.company.id)
        if not isinstance(company, int) or isinstance(company, bool):
            errors.append(self.env._("company_id must be a number."))
        elif not self.env.su and company not in self.env.companies.ids:
            # checked before anything is read: the skip query must not tell which IDs another company recorded
            errors.append(self.env._("company_id %(company)s is not one of your companies.", company=company))
        for key in ("external_id", "url", "note"):
            if event.get(key) is not None and not isinstance(event[key], str):
                errors.append(self.env._("%(key)s must be text.", key=key))
        date, date_error = self._member_parse_date(event.get("date"))
        if date_error:
            errors.append(date_error)
        if errors:
            return {}, errors
        vals = {
            "kind": "social",
            "company_id": company,
            "channel": event["channel"],
            "social_action": event["action"],
            "date": date,
            "external_id": (event.get("external_id") or "").strip() or False,
            "url": event.get("url") or False,
            "note": event.get("note") or False,
        }
        if isinstance(number, str) and number.strip():
            vals["member_number"] = number.strip()
        else:
            vals["partner_id"] = partner
        return vals, []

    @api.model
    def _member_parse_date(self, value):
        """(naive UTC datetime, error) from Odoo's format or ISO 8601; now when empty."""
        now = fields.Datetime.now()
        if value in (None, False, ""):
            return now, None
        if not isinstance(value, str):
            return None, self.env._("date must be text.")
        try:
            date = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None, self.env._("date %(value)s is not YYYY-MM-DD HH:MM:SS (UTC) nor ISO 8601.", value=value)
        if date.tzinfo:
            date = date.astimezone(dt.timezone.utc).replace(tzinfo=None)
        if date > now + FUTURE_TOLERANCE:
            return None, self.env._("date %(value)s is in the future.", value=value)
        return date.replace(microsecond=0), None

    @api.model
    def _member_skip_recorded(self, vals_list):
        """Leave out the events whose (company, channel, external ID) is recorded or repeated in the batch."""
        keyed = [
            (vals["company_id"], vals["channel"], vals["external_id"]) for vals in vals_list if vals["external_id"]
        ]
        recorded = set()
        if keyed:
            self.flush_model(["company_id", "channel", "external_id"])
            # SQL: the IDs recorded in any company the caller may post to, whatever the reader's record rules
            recorded = set(
                self.env.execute_query(
                    SQL(
                        """SELECT company_id, channel, external_id FROM member_interaction
                            WHERE external_id = ANY(%s) AND company_id = ANY(%s)""",
                        [key[2] for key in keyed],
                        list({key[0] for key in keyed}),
                    )
                )
            )
        kept, skipped = [], []
        for vals in vals_list:
            key = (vals["company_id"], vals["channel"], vals["external_id"])
            if vals["external_id"] and key in recorded:
                skipped.append(vals["external_id"])
                continue
            recorded.add(key)
            kept.append(vals)
        return kept, skipped

    # ------------------------------------------------------------------
    # logins
    # ------------------------------------------------------------------
    @api.model
    def _member_insert_login(self, user_id):
        """One login row per company where the user's commercial partner is an active member: one INSERT."""
        self.env["member.membership"].flush_model(["partner_id", "company_id", "state"])
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        self.env.execute_query(
            SQL(
                """
                INSERT INTO member_interaction (kind, partner_id, company_id, user_id, date,
                                                create_uid, create_date, write_uid, write_date)
                SELECT 'login', m.partner_id, m.company_id, u.id, now() AT TIME ZONE 'UTC',
                       u.id, now() AT TIME ZONE 'UTC', u.id, now() AT TIME ZONE 'UTC'
                  FROM res_users u
                  JOIN res_partner p ON p.id = u.partner_id
                  JOIN member_membership m ON m.partner_id = p.commercial_partner_id AND m.state = 'active'
                 WHERE u.id = %s
                """,
                user_id,
            )
        )
