"""The member's interaction timeline (互动历史): one SQL view over the documents that already exist.

Nothing is copied: each kind is a branch of one ``UNION ALL`` over its source table (POS and sale orders,
campaign mail traces, coupon uses, complaints and their ratings when the complaint model is installed,
logins and social events of ``member.interaction``). A row's ``id`` is ``source id * 16 + branch``
(unique across branches, an integer as the ORM needs), ``res_model``/``res_id`` open the source.

A filter on the member (``partner_id``), the company or the kind is pushed by PostgreSQL into every
branch, where it meets an index on the member: a page of a member's timeline is one query.

Access per kind is given by record rules (security/member_timeline_rules.xml): each role sees the kinds
it could open elsewhere.
"""

import datetime as dt

from odoo import api, fields, models, tools
from odoo.exceptions import UserError
from odoo.fields import Domain
from odoo.tools import SQL

from .member_interaction import CHANNELS, SOCIAL_ACTIONS

KINDS = [
    ("pos_order", "POS Order"),
    ("sale_order", "Sales Order"),
    ("mail_sent", "Campaign Message"),
    ("mail_open", "Message Opened"),
    ("mail_click", "Link Clicked"),
    ("coupon_use", "Coupon Used"),
    ("complaint", "Complaint / Inquiry"),
    ("rating", "Satisfaction Rating"),
    ("login", "Portal Login"),
    ("social", "Social Media"),
]
# the kinds of the seed's activity (会员活跃度: login, purchase, participation)
ACTIVITY_KINDS = {
    "login": ("login",),
    "purchase": ("pos_order", "sale_order"),
    "participation": ("mail_open", "mail_click", "coupon_use", "social"),
}
ACTIVITY_DAYS = 90
# branch numbers: id = source id * ID_FACTOR + branch
ID_FACTOR = 16
BRANCH_POS, BRANCH_SALE, BRANCH_MAIL, BRANCH_COUPON_SALE, BRANCH_COUPON_POS = 1, 2, 3, 6, 7
BRANCH_COMPLAINT, BRANCH_RATING, BRANCH_INTERACTION = 8, 9, 10
# the mail events of one trace: branch 3 (sent), 4 (opened), 5 (clicked)
# the indexes the view adds to core tables (init), which the uninstall hook drops: name -> (table, definition)
CORE_TABLE_INDEXES = {
    "member_crm_mailing_trace_recipient_idx": ("mailing_trace", "(res_id) WHERE model = 'member.campaign.recipient'"),
    "member_crm_sale_order_line_coupon_idx": ("sale_order_line", "(coupon_id) WHERE coupon_id IS NOT NULL"),
    "member_crm_pos_order_line_coupon_idx": ("pos_order_line", "(coupon_id) WHERE coupon_id IS NOT NULL"),
}


class MemberTimeline(models.Model):
    _name = "member.timeline"
    _description = "Member Interaction Timeline"
    _auto = False
    _order = "date desc, id desc"
    _rec_name = "name"
    _depends = {
        "pos.order": ["partner_id", "state", "date_order", "company_id", "name", "amount_total", "user_id"],
        "pos.order.line": ["order_id", "reward_id", "coupon_id", "price_subtotal_incl"],
        "sale.order": ["partner_id", "state", "date_order", "company_id", "name", "amount_total", "currency_id"],
        "sale.order.line": ["order_id", "reward_id", "coupon_id", "price_total"],
        "loyalty.card": ["member_bound", "partner_id"],
        "res.partner": ["commercial_partner_id"],
        "res.company": ["currency_id"],
        "mailing.trace": ["model", "res_id", "sent_datetime", "open_datetime", "links_click_datetime"],
        "member.campaign.recipient": ["partner_id", "company_id", "campaign_id"],
        "member.campaign": ["name"],
        "member.interaction": [
            "kind",
            "partner_id",
            "company_id",
            "date",
            "user_id",
            "social_action",
            "channel",
            "note",
            "url",
        ],
    }

    kind = fields.Selection(KINDS, readonly=True)
    date = fields.Datetime(readonly=True)
    partner_id = fields.Many2one("res.partner", string="Member", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    name = fields.Char(string="Label", readonly=True)
    res_model = fields.Char(string="Source Model", readonly=True)
    res_id = fields.Many2oneReference(string="Source", model_field="res_model", readonly=True)
    amount = fields.Monetary(currency_field="currency_id", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    rating = fields.Integer(readonly=True, aggregator="avg")
    user_id = fields.Many2one("res.users", readonly=True, help="Salesperson, cashier or user who logged in.")
    channel = fields.Selection(CHANNELS, readonly=True)
    social_action = fields.Selection(SOCIAL_ACTIONS, string="Action", readonly=True)

    @property
    def _table_query(self):
        return self._member_table_query()

    @api.model
    @tools.ormcache(cache="stable")
    def _member_table_query(self):
        # built once per registry: the branches depend on the installed modules only, and building them is a
        # good part of a page's Python time
        return SQL(" UNION ALL ").join(self._member_branches())

    def _member_branches(self):
        """The view's branches: SQL selecting ``id, kind, date, partner_id, company_id, name, res_model, res_id,
        amount, currency_id, rating, user_id, channel, social_action``. Bridges add theirs."""
        branches = [
            self._member_pos_branch(),
            self._member_sale_branch(),
            self._member_mail_branch(),
            self._member_coupon_sale_branch(),
            self._member_coupon_pos_branch(),
            self._member_interaction_branch(),
        ]
        if self._member_complaints_installed():
            branches += [self._member_complaint_branch(), self._member_rating_branch()]
        return branches

    @api.model
    def _member_complaints_installed(self):
        return "member.complaint" in self.env and not self.env["member.complaint"]._abstract

    def _member_columns(self, **columns):
        """The SELECT list in the view's column order; missing columns are NULL of the right type.

        Only the NULLs, the ids and the ratings are cast: a cast on every column of every branch is a third of
        the query's planning time, and the union resolves each column's type from the given expressions."""
        types = {
            "id": "bigint",
            "kind": "varchar",
            "date": "timestamp",
            "partner_id": "integer",
            "company_id": "integer",
            "name": "varchar",
            "res_model": "varchar",
            "res_id": "integer",
            "amount": "numeric",
            "currency_id": "integer",
            "rating": "integer",
            "user_id": "integer",
            "channel": "varchar",
            "social_action": "varchar",
        }
        return SQL(", ").join(
            SQL("%s AS %s", columns[name], SQL.identifier(name))
            if name in columns and name not in ("id", "rating")
            else SQL("(%s)::%s AS %s", columns.get(name, SQL("NULL")), SQL(sql_type), SQL.identifier(name))
            for name, sql_type in types.items()
        )

    def _member_pos_branch(self):
        # paid and posted orders (19 has no 'invoiced' state: an invoiced order is 'done'), refunds included
        return SQL(
            """SELECT %s FROM pos_order po
                 JOIN res_partner rp ON rp.id = po.partner_id
                 JOIN res_company rc ON rc.id = po.company_id
                WHERE po.state IN ('paid', 'done')""",
            self._member_columns(
                id=SQL("po.id * %s + %s", ID_FACTOR, BRANCH_POS),
                kind=SQL("'pos_order'"),
                date=SQL("po.date_order"),
                partner_id=SQL("rp.commercial_partner_id"),
                company_id=SQL("po.company_id"),
                name=SQL("po.name"),
                res_model=SQL("'pos.order'"),
                res_id=SQL("po.id"),
                amount=SQL("po.amount_total"),
                currency_id=SQL("rc.currency_id"),
                user_id=SQL("po.user_id"),
            ),
        )

    def _member_sale_branch(self):
        return SQL(
            """SELECT %s FROM sale_order so
                 JOIN res_partner rp ON rp.id = so.partner_id
                WHERE so.state = 'sale'""",
            self._member_columns(
                id=SQL("so.id * %s + %s", ID_FACTOR, BRANCH_SALE),
                kind=SQL("'sale_order'"),
                date=SQL("so.date_order"),
                partner_id=SQL("rp.commercial_partner_id"),
                company_id=SQL("so.company_id"),
                name=SQL("so.name"),
                res_model=SQL("'sale.order'"),
                res_id=SQL("so.id"),
                amount=SQL("so.amount_total"),
                currency_id=SQL("so.currency_id"),
                user_id=SQL("so.user_id"),
            ),
        )

    def _member_mail_branch(self):
        # one scan of the campaign's traces, three events each: sent, opened, clicked (each with its date)
        return SQL(
            """SELECT %s FROM member_campaign_recipient r
                 JOIN mailing_trace t ON t.model = 'member.campaign.recipient' AND t.res_id = r.id
                 JOIN member_campaign c ON c.id = r.campaign_id
                CROSS JOIN LATERAL (VALUES (%s, 'mail_sent', t.sent_datetime),
                                           (%s, 'mail_open', t.open_datetime),
                                           (%s, 'mail_click', t.links_click_datetime)) AS ev(branch, kind, date)
                WHERE ev.date IS NOT NULL""",
            self._member_columns(
                id=SQL("t.id * %s + ev.branch", ID_FACTOR),
                kind=SQL("ev.kind"),
                date=SQL("ev.date"),
                partner_id=SQL("r.partner_id"),
                company_id=SQL("r.company_id"),
                name=SQL("c.name"),
                res_model=SQL("'member.campaign'"),
                res_id=SQL("c.id"),
            ),
            BRANCH_MAIL,
            BRANCH_MAIL + 1,
            BRANCH_MAIL + 2,
        )

    def _member_coupon_sale_branch(self):
        # a member-bound coupon (campaign or benefit) used on a confirmed sale order: one event per order and coupon.
        # Found from the member's bound cards (a bound card is used by its holder's family only, member_crm)
        return SQL(
            """SELECT %s FROM loyalty_card lc
                 JOIN res_partner rp ON rp.id = lc.partner_id
                 JOIN sale_order_line sol ON sol.coupon_id = lc.id AND sol.reward_id IS NOT NULL
                 JOIN sale_order so ON so.id = sol.order_id AND so.state = 'sale'
                WHERE lc.member_bound
                GROUP BY so.id, lc.id, rp.commercial_partner_id""",
            self._member_columns(
                id=SQL("MIN(sol.id) * %s + %s", ID_FACTOR, BRANCH_COUPON_SALE),
                kind=SQL("'coupon_use'"),
                date=SQL("so.date_order"),
                partner_id=SQL("rp.commercial_partner_id"),
                company_id=SQL("so.company_id"),
                name=SQL("so.name"),
                res_model=SQL("'sale.order'"),
                res_id=SQL("so.id"),
                amount=SQL("SUM(sol.price_total)"),
                currency_id=SQL("so.currency_id"),
                user_id=SQL("so.user_id"),
            ),
        )

    def _member_coupon_pos_branch(self):
        return SQL(
            """SELECT %s FROM loyalty_card lc
                 JOIN res_partner rp ON rp.id = lc.partner_id
                 JOIN pos_order_line pol ON pol.coupon_id = lc.id AND pol.reward_id IS NOT NULL
                 JOIN pos_order po ON po.id = pol.order_id AND po.state IN ('paid', 'done')
                 JOIN res_company rc ON rc.id = po.company_id
                WHERE lc.member_bound
                GROUP BY po.id, lc.id, rp.commercial_partner_id, rc.currency_id""",
            self._member_columns(
                id=SQL("MIN(pol.id) * %s + %s", ID_FACTOR, BRANCH_COUPON_POS),
                kind=SQL("'coupon_use'"),
                date=SQL("po.date_order"),
                partner_id=SQL("rp.commercial_partner_id"),
                company_id=SQL("po.company_id"),
                name=SQL("po.name"),
                res_model=SQL("'pos.order'"),
                res_id=SQL("po.id"),
                amount=SQL("SUM(pol.price_subtotal_incl)"),
                currency_id=SQL("rc.currency_id"),
                user_id=SQL("po.user_id"),
            ),
        )

    def _member_interaction_branch(self):
        return SQL(
            "SELECT %s FROM member_interaction i",
            self._member_columns(
                id=SQL("i.id * %s + %s", ID_FACTOR, BRANCH_INTERACTION),
                kind=SQL("i.kind"),
                date=SQL("i.date"),
                partner_id=SQL("i.partner_id"),
                company_id=SQL("i.company_id"),
                name=SQL("left(COALESCE(i.note, i.url), 120)"),
                res_model=SQL("'member.interaction'"),
                res_id=SQL("i.id"),
                user_id=SQL("i.user_id"),
                channel=SQL("i.channel"),
                social_action=SQL("i.social_action"),
            ),
        )

    def _member_complaint_branch(self):
        # complaints, inquiries and feedback on the member (commercial entity, stored and indexed on the ticket)
        Complaint = self.env["member.complaint"]
        return SQL(
            "SELECT %s FROM member_complaint mc WHERE mc.commercial_partner_id IS NOT NULL %s",
            self._member_columns(
                id=SQL("mc.id * %s + %s", ID_FACTOR, BRANCH_COMPLAINT),
                kind=SQL("'complaint'"),
                date=SQL("COALESCE(mc.date_open, mc.create_date)"),
                partner_id=SQL("mc.commercial_partner_id"),
                company_id=SQL("mc.company_id"),
                name=SQL("mc.name"),
                res_model=SQL("'member.complaint'"),
                res_id=SQL("mc.id"),
                user_id=SQL("mc.user_id"),
            ),
            self._member_flush_marks(Complaint, "commercial_partner_id", "company_id", "name", "date_open", "user_id"),
        )

    def _member_rating_branch(self):
        # submitted ratings of complaints (a rating's write date is when the member answered)
        return SQL(
            """SELECT %s FROM rating_rating rr
                 JOIN member_complaint mc ON rr.res_model = 'member.complaint' AND mc.id = rr.res_id
                WHERE rr.consumed AND mc.commercial_partner_id IS NOT NULL %s""",
            self._member_columns(
                id=SQL("rr.id * %s + %s", ID_FACTOR, BRANCH_RATING),
                kind=SQL("'rating'"),
                date=SQL("rr.write_date"),
                partner_id=SQL("mc.commercial_partner_id"),
                company_id=SQL("mc.company_id"),
                name=SQL("mc.name"),
                res_model=SQL("'member.complaint'"),
                res_id=SQL("mc.id"),
                rating=SQL("round(rr.rating)"),
                user_id=SQL("mc.user_id"),
            ),
            SQL().join(
                [
                    self._member_flush_marks(self.env["rating.rating"], "res_model", "res_id", "consumed", "rating"),
                    self._member_flush_marks(self.env["member.complaint"], "commercial_partner_id", "company_id"),
                ]
            ),
        )

    @api.model
    def _member_flush_marks(self, model, *names):
        """Empty SQL that makes the ORM flush these fields before the view is read (models outside ``_depends``)."""
        return SQL().join(SQL(to_flush=model._fields[name]) for name in names)

    def init(self):
        # Indexes on core tables, partial so they stay small and cheap to keep (dropped by the uninstall hook):
        # - mailing_trace has no index on the document it went to: without this one a member's timeline reads
        #   every trace of the database;
        # - order lines have no index on the coupon used: without these the coupon branches read every order line
        #   of the member's orders (reward lines with a coupon are a few per cent of the lines).
        self.env.cr.execute(
            SQL("; ").join(
                SQL("CREATE INDEX IF NOT EXISTS %s ON %s %s", SQL.identifier(name), SQL.identifier(table), SQL(spec))
                for name, (table, spec) in CORE_TABLE_INDEXES.items()
            )
        )

    def action_open_source(self):
        """Open the document behind the row (the reader's own rights apply there)."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
        }


# pylint: disable=consider-merging-classes-inherited
# (the activity computed from the timeline, next to the timeline)
class ResPartner(models.Model):
    _inherit = "res.partner"

    member_activity_logins = fields.Integer(
        string="Logins (90 days)", compute="_compute_member_activity", groups="member_crm.group_member_crm_user"
    )
    member_activity_purchases = fields.Integer(
        string="Purchases (90 days)", compute="_compute_member_activity", groups="member_crm.group_member_crm_user"
    )
    member_activity_participations = fields.Integer(
        string="Participations (90 days)",
        compute="_compute_member_activity",
        groups="member_crm.group_member_crm_user",
        help="Campaign messages opened, links clicked, member coupons used and social-media events.",
    )
    member_active_90d = fields.Boolean(
        string="Active (90 days)",
        compute="_compute_member_activity",
        search="_search_member_active_90d",
        groups="member_crm.group_member_crm_user",
        help="Logged in, bought or took part in a campaign or on social media in the last 90 days, in the "
        "current company (from the member's timeline).",
    )

    @api.model
    def _member_activity_domain(self):
        """Timeline rows that make a member active: the activity kinds, in the current company, last 90 days."""
        since = fields.Datetime.now() - dt.timedelta(days=ACTIVITY_DAYS)
        kinds = [kind for group in ACTIVITY_KINDS.values() for kind in group]
        return Domain([("company_id", "=", self.env.company.id), ("date", ">=", since), ("kind", "in", kinds)])

    @api.depends_context("company")
    def _compute_member_activity(self):
        # sudo: the counts of every kind, whichever kinds the reader may list (the rows stay behind the rules)
        groups = (
            self.env["member.timeline"]
            .sudo()
            ._read_group(
                self._member_activity_domain() & Domain("partner_id", "in", self.commercial_partner_id.ids),
                ["partner_id", "kind"],
                ["__count"],
            )
        )
        counts = {}
        for partner, kind, count in groups:
            counts[partner.id, kind] = count
        for partner in self:
            entity = partner.commercial_partner_id.id
            figures = {
                activity: sum(counts.get((entity, kind), 0) for kind in kinds)
                for activity, kinds in ACTIVITY_KINDS.items()
            }
            partner.member_activity_logins = figures["login"]
            partner.member_activity_purchases = figures["purchase"]
            partner.member_activity_participations = figures["participation"]
            partner.member_active_90d = any(figures.values())

    def _search_member_active_90d(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on Active (90 days)."))
        positive = (operator == "=") == value
        # sudo: a set of partner ids (the audience), not the rows
        active = self.env["member.timeline"].sudo()._search(self._member_activity_domain())
        return [("id", "in" if positive else "not in", active.subselect("partner_id"))]

    def action_member_view_timeline(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("member_crm_marketing.member_timeline_action")
        action["name"] = self.env._("Timeline of %(name)s", name=self.commercial_partner_id.display_name)
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        return action


class MemberCampaign(models.Model):
    _inherit = "member.campaign"

    activity_filter = fields.Selection(
        [("active", "Active in the Last 90 Days"), ("inactive", "Inactive in the Last 90 Days")],
        string="Activity",
        help="Audience: members who logged in, bought or took part (campaign messages opened or clicked, member "
        "coupons used, social-media events) in the campaign's company in the last 90 days, or who did not.",
    )

    def write(self, vals):
        if "activity_filter" in vals and self.filtered(lambda c: c.state not in ("draft", "cancel")):
            raise UserError(
                self.env._("A scheduled or launched campaign keeps its audience and offer: set it back to draft first.")
            )
        return super().write(vals)

    def _member_extra_domain(self):
        domain = super()._member_extra_domain()
        if self.activity_filter:
            domain &= Domain("member_active_90d", "=", self.activity_filter == "active")
        return domain
