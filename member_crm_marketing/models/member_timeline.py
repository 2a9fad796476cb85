"""The member's interaction timeline (互动历史): one SQL view over the documents that already exist.

Nothing is copied: each kind is a branch of one ``UNION ALL`` over its source table (POS and sale orders,
campaign mail traces, coupon uses, complaints and their ratings when the complaint model is installed,
logins and social events of ``member.interaction``). A row's ``id`` is ``source id * 16 + branch``
(unique across branches, an integer as the ORM needs), ``res_model``/``res_id`` open the source.

A filter on the member (``partner_id``), the company or the kind is pushed by PostgreSQL into every
branch, where it meets an index on the member: a page of a member's timeline is one query.

Access per kind is given by record rules (security/member_timeline_rules.xml): each role sees the kinds
it could open elsewhere.

A page of one member's timeline (a search whose domain fixes one member, as the member form's does) reads
the same branches through PL/pgSQL functions of the member, made by ``init`` from the branches' SQL (the
view stays the one definition; a test compares both for every role, page and filter):
- PostgreSQL plans their eight-branch union once per connection (a generic plan) instead of on every page,
  which was more than half of a page's time (planning 3.1 ms, execution 1.7-2.9 ms at 2,000 events);
- ``..._all(member, companies, kinds)`` returns the member's rows; ``..._first(..., n)``, for the first
  pages when the search and the reader's record rules only filter on company and kind, returns each
  branch's first n rows in the view's order, the orders read on their (partner, date) index.
The domain, the record rules, the order and the limit still apply outside, as on the view. The functions'
name holds the hash of their SQL: when installed modules change the branches without ``init`` having run
(a bridge uninstalled), no function matches and the page reads the view.
"""

import datetime as dt
import hashlib

from odoo import api, fields, models, tools
from odoo.exceptions import UserError
from odoo.fields import Domain
from odoo.orm.domains import DomainAnd, DomainCondition
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
    "member_crm_sale_order_partner_date_idx": ("sale_order", "(partner_id, date_order DESC, id DESC)"),
    "member_crm_pos_order_partner_date_idx": ("pos_order", "(partner_id, date_order DESC, id DESC)"),
}
# the function of one member's rows (init): this prefix and the hash of the branches' SQL
ROWS_FUNCTION = "member_timeline_rows_"
# the orders of a member's page in two parts (_member_pos_branch, _member_sale_branch)
MEMBER_ANY, MEMBER_OWN, MEMBER_CONTACTS = "any", "own", "contacts"
# the conditions a page can take into the function: (field, the function's argument)
PAGE_FILTERS = {"company_id": "companies", "kind": "kinds"}
ALL_ROWS, FIRST_ROWS = "_all", "_first"  # the two functions: every row of the member, each branch's first rows
ALL_ROWS_ARGUMENTS = "integer, integer[], character varying[]"
# the function cuts each branch at offset + limit up to this many rows (the first pages)
PAGE_ROWS_CUT = 400
COLUMN_TYPES = {
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
        types = COLUMN_TYPES
        return SQL(", ").join(
            SQL("%s AS %s", columns[name], SQL.identifier(name))
            if name in columns and name not in ("id", "rating")
            else SQL("(%s)::%s AS %s", columns.get(name, SQL("NULL")), SQL(sql_type), SQL.identifier(name))
            for name, sql_type in types.items()
        )

    # The orders' member is the commercial entity of the order's contact. The view finds a member's orders
    # through that entity (every contact of the member); a page of one member reads them in two parts, the
    # member's own orders (in date order on the member's index: only the page's rows) and those of its other
    # contacts: MEMBER_* selects the part, and the two parts are exactly the view's rows.
    def _member_pos_branch(self, member=MEMBER_ANY):
        # paid and posted orders (19 has no 'invoiced' state: an invoiced order is 'done'), refunds included
        return SQL(
            """SELECT %s FROM pos_order po
                 JOIN res_partner rp ON rp.id = po.partner_id %s
                 JOIN res_company rc ON rc.id = po.company_id
                WHERE po.state IN ('paid', 'done')""",
            self._member_columns(
                id=SQL("po.id * %s + %s", ID_FACTOR, BRANCH_POS),
                kind=SQL("'pos_order'"),
                date=SQL("po.date_order"),
                partner_id=SQL("po.partner_id") if member == MEMBER_OWN else SQL("rp.commercial_partner_id"),
                company_id=SQL("po.company_id"),
                name=SQL("po.name"),
                res_model=SQL("'pos.order'"),
                res_id=SQL("po.id"),
                amount=SQL("po.amount_total"),
                currency_id=SQL("rc.currency_id"),
                user_id=SQL("po.user_id"),
            ),
            self._member_contact_condition(member),
        )

    def _member_sale_branch(self, member=MEMBER_ANY):
        return SQL(
            """SELECT %s FROM sale_order so
                 JOIN res_partner rp ON rp.id = so.partner_id %s
                WHERE so.state = 'sale'""",
            self._member_columns(
                id=SQL("so.id * %s + %s", ID_FACTOR, BRANCH_SALE),
                kind=SQL("'sale_order'"),
                date=SQL("so.date_order"),
                partner_id=SQL("so.partner_id") if member == MEMBER_OWN else SQL("rp.commercial_partner_id"),
                company_id=SQL("so.company_id"),
                name=SQL("so.name"),
                res_model=SQL("'sale.order'"),
                res_id=SQL("so.id"),
                amount=SQL("so.amount_total"),
                currency_id=SQL("so.currency_id"),
                user_id=SQL("so.user_id"),
            ),
            self._member_contact_condition(member),
        )

    @api.model
    def _member_contact_condition(self, member):
        """The join condition on the order's contact ``rp`` for the part ``member`` of the orders."""
        return {
            MEMBER_ANY: SQL(),
            MEMBER_OWN: SQL("AND rp.commercial_partner_id = rp.id"),
            MEMBER_CONTACTS: SQL("AND rp.commercial_partner_id <> rp.id"),
        }[member]

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

    # ------------------------------------------------------------------
    # one member's page: the branches planned once per connection
    # ------------------------------------------------------------------
    @api.model
    def _search(self, domain, offset=0, limit=None, order=None, **kwargs):
        query = super()._search(domain, offset, limit, order, **kwargs)
        check_access = not (self.env.su or kwargs.get("bypass_access"))
        return self._member_page_query(query, domain, offset, limit, order, check_access)

    @api.model
    def _member_page_query(self, query, domain, offset, limit, order, check_access):
        """``query`` reading the page functions instead of the view when the search fixes one member."""
        function = self._member_rows_function()
        if not function or query.is_empty() or query.table != self._table:
            return query
        page = self._member_page_arguments(domain, offset, limit, order, check_access)
        if page:
            arguments, rows = page
            if rows:
                function, arguments = function + FIRST_ROWS, [*arguments, SQL("%s", rows)]
            else:
                function += ALL_ROWS
            # the FROM of the main alias only (Odoo's Query has no public setter for it), with the view's flush
            # marks (its _depends and the branches'): every WHERE (domain, record rules), the order and the limit
            # built by the ORM stay as they are
            flush = self._member_flush_marks_of(query._tables[query.table])
            query._tables[query.table] = SQL("%s(%s)%s", SQL.identifier(function), SQL(", ").join(arguments), flush)
        return query

    @api.model
    def _member_page_arguments(self, domain, offset, limit, order, check_access):
        """([member, companies, kinds], rows per branch or None) for a search, None when it fixes no one member.

        The member: a top-level ``partner_id`` condition on one id. The companies and kinds (NULL: all) and a
        number of rows per branch (offset + limit, in the view's order, first pages only) go into the function
        when every condition of the search and of the reader's record rules is one of these (``in`` on partner,
        company or kind): then each branch's first rows are all the page can hold of it. Otherwise the function
        returns all the member's rows and the conditions apply outside, as on the view."""
        try:
            conditions = self._member_conjuncts(Domain(domain).optimize_full(self))
            if check_access:
                rules = self.env["ir.rule"]._compute_domain(self._name, "read")
                conditions += self._member_conjuncts(rules.optimize_full(self.sudo()))
        except (ValueError, TypeError):
            return None
        partners = [
            c.value for c in conditions if c is not None and c.field_expr == "partner_id" and c.operator == "in"
        ]
        if len(partners) != 1 or len(partners[0]) != 1:
            return None
        (partner_id,) = partners[0]
        if not isinstance(partner_id, int) or isinstance(partner_id, bool) or partner_id <= 0:
            return None
        values = dict.fromkeys(PAGE_FILTERS)
        pushable = True
        for condition in conditions:
            if condition is None:
                pushable = False
            elif condition.field_expr == "partner_id" and condition.operator == "in":
                continue
            elif (
                condition.field_expr in PAGE_FILTERS
                and condition.operator == "in"
                and all(value and isinstance(value, (int, str)) for value in condition.value)
            ):
                given = set(condition.value)
                known = values[condition.field_expr]
                values[condition.field_expr] = given if known is None else known & given
            else:
                pushable = False
        if not pushable:
            return [SQL("%s", partner_id), SQL("NULL"), SQL("NULL")], None
        rows = None
        if limit and (order or "").replace(" ", "").lower() == "datedesc,iddesc":
            rows = (offset or 0) + limit
            if rows > PAGE_ROWS_CUT:
                rows = None  # a deep page: each branch's sort would cost more than the rows it saves
        companies, kinds = values["company_id"], values["kind"]
        return [
            SQL("%s", partner_id),
            SQL("%s::int[]", sorted(companies)) if companies is not None else SQL("NULL"),
            SQL("%s::varchar[]", sorted(kinds)) if kinds is not None else SQL("NULL"),
        ], rows

    @api.model
    def _member_conjuncts(self, domain):
        """The top-level conditions of an optimized domain (None for anything that is no simple condition)."""
        if domain.is_true():
            return []
        children = domain.children if isinstance(domain, DomainAnd) else (domain,)
        return [child if isinstance(child, DomainCondition) else None for child in children]

    @api.model
    def _member_page_branches(self):
        """The view's branches, the orders in their two parts (see _member_pos_branch)."""
        split = {
            self._member_pos_branch(): [
                self._member_pos_branch(MEMBER_OWN),
                self._member_pos_branch(MEMBER_CONTACTS),
            ],
            self._member_sale_branch(): [
                self._member_sale_branch(MEMBER_OWN),
                self._member_sale_branch(MEMBER_CONTACTS),
            ],
        }
        return [part for branch in self._member_branches() for part in split.get(branch, [branch])]

    @api.model
    def _member_rows_body(self, first):
        """A function's body: each branch's rows of the member $1, of the companies $2 and kinds $3 (all when
        NULL); with ``first``, only each branch's first $4 rows in the view's order. Literals inlined."""
        columns = SQL(", ").join(
            SQL("b.%s::%s", SQL.identifier(name), SQL(sql_type)) for name, sql_type in COLUMN_TYPES.items()
        )
        cut = SQL("ORDER BY b.date DESC, b.id DESC LIMIT $4") if first else SQL()
        query = SQL(" UNION ALL ").join(
            SQL(
                """(SELECT %s FROM (%s) b
                     WHERE b.partner_id = $1 AND ($2 IS NULL OR b.company_id = ANY($2))
                       AND ($3 IS NULL OR b.kind = ANY($3)) %s)""",
                columns,
                branch,
                cut,
            )
            # the orders in two parts when cut: each part read in date order (see _member_pos_branch)
            for branch in (self._member_page_branches() if first else self._member_branches())
        )
        select = self.env.cr.mogrify(query.code, query.params).decode()
        # the output columns are named as the view's: column references win over them (use_column)
        return f"#variable_conflict use_column\nBEGIN RETURN QUERY {select}; END"

    @api.model
    def _member_rows_function_name(self):
        bodies = self._member_rows_body(first=False) + self._member_rows_body(first=True)
        return ROWS_FUNCTION + hashlib.sha256(bodies.encode()).hexdigest()[:16]

    @api.model
    @tools.ormcache(cache="stable")
    def _member_rows_function(self):
        """The name (without its suffix) of the two functions of the installed branches if ``init`` made them,
        else None (read the view)."""
        name = self._member_rows_function_name()
        self.env.cr.execute(
            SQL(
                "SELECT to_regprocedure(%s) IS NOT NULL AND to_regprocedure(%s) IS NOT NULL",
                f"{name}{ALL_ROWS}({ALL_ROWS_ARGUMENTS})",
                f"{name}{FIRST_ROWS}({ALL_ROWS_ARGUMENTS}, integer)",
            )
        )
        return name if self.env.cr.fetchone()[0] else None

    @api.model
    def _member_flush_marks_of(self, query):
        return SQL().join(SQL(to_flush=field) for field in query.to_flush)

    def _member_create_rows_function(self):
        """(Re)make the two functions of the installed branches. Those of other branches (an earlier version, a
        bridge uninstalled) stay until the uninstall hook: a worker that has not reloaded its registry yet may
        still call them."""
        name = self._member_rows_function_name()
        for suffix, first in ((ALL_ROWS, False), (FIRST_ROWS, True)):
            self.env.cr.execute(
                SQL(
                    """CREATE OR REPLACE FUNCTION %(name)s(partner integer, companies integer[], kinds varchar[]
                                                           %(max_rows)s)
                       RETURNS TABLE (%(columns)s) LANGUAGE plpgsql STABLE
                       SET plan_cache_mode = force_generic_plan AS %(body)s""",
                    name=SQL.identifier(name + suffix),
                    max_rows=SQL(", max_rows integer") if first else SQL(),
                    columns=SQL(", ").join(
                        SQL("%s %s", SQL.identifier(column), SQL(sql_type)) for column, sql_type in COLUMN_TYPES.items()
                    ),
                    body=self._member_rows_body(first),
                )
            )
        self.env.registry.clear_cache("stable")

    def init(self):
        # Indexes on core tables, partial so they stay small and cheap to keep (dropped by the uninstall hook):
        # - mailing_trace has no index on the document it went to: without this one a member's timeline reads
        #   every trace of the database;
        # - order lines have no index on the coupon used: without these the coupon branches read every order line
        #   of the member's orders (reward lines with a coupon are a few per cent of the lines);
        # - orders by contact and date (Odoo indexes each apart): a member's first page reads its newest orders
        #   only (the page functions), where the contact index alone reads them all.
        self.env.cr.execute(
            SQL("; ").join(
                SQL("CREATE INDEX IF NOT EXISTS %s ON %s %s", SQL.identifier(name), SQL.identifier(table), SQL(spec))
                for name, (table, spec) in CORE_TABLE_INDEXES.items()
            )
        )
        self._member_create_rows_function()

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
