"""Membership: one record per (partner, company), with its tier.

The instant check (after a qualifying document) and the periodic review read
the qualification ledger with one set-based aggregate and let
``engine.tiers`` decide; this model only applies the decisions.
"""

import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..engine import tiers as engine
from ..tools.trusted import MEMBERSHIP_WRITE, is_trusted, trusted

_logger = logging.getLogger(__name__)

REVIEW_MARKER = "member_crm.review_marker"
# "<last ledger entry id>,<last membership id>" read by the home store fill, per company (key + ".<company id>")
HOME_STORE_MARKER = "member_crm.home_store_marker"
# set by the tier engine, the Change Tier wizard and the import only (``trusted(MEMBERSHIP_WRITE)``)
TIER_FIELDS = ("tier_id", "tier_level", "tier_since", "tier_protected_until", "grace_since")
# set at enrolment, then never by hand
IDENTITY_FIELDS = ("number", "partner_id", "company_id")


class MemberMembership(models.Model):
    _name = "member.membership"
    _description = "Membership"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "company_id, number, id"
    _rec_name = "number"
    _check_company_auto = True

    # partner_id and number are indexed by the UNIQUE constraints below (as
    # first column): no separate index, every index costs the review's writes
    partner_id = fields.Many2one("res.partner", required=True, ondelete="cascade", tracking=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    number = fields.Char(string="Member Number", required=True, copy=False, readonly=True)
    state = fields.Selection(
        [("active", "Active"), ("suspended", "Suspended"), ("left", "Left")],
        default="active",
        required=True,
        tracking=True,
    )
    member_since = fields.Date(default=fields.Date.context_today, required=True)
    # set by the migration import for members whose file gives no date (member_since is then the import's
    # as-of date): reports counting new members by member_since leave them out. A date written later clears it.
    member_since_unknown = fields.Boolean(
        compute="_compute_member_since_unknown",
        store=True,
        readonly=False,
        help="Imported without a date of joining: Member Since is the import's date, not the day this member joined.",
    )
    tier_id = fields.Many2one("member.tier", index=True, readonly=True, check_company=True)
    tier_level = fields.Integer(related="tier_id.level", store=True)
    tier_color = fields.Integer(related="tier_id.color")
    tier_since = fields.Date(string="Tier Reached On", readonly=True)
    tier_protected_until = fields.Date(string="Tier Kept Until", readonly=True)
    grace_since = fields.Date(
        string="Drop Notified On", readonly=True, help="The member was told of a coming drop on this day."
    )
    # window figures are read live from the ledger (one aggregate per recordset read), not stored: the
    # window moves every day, so a stored copy would be stale for everyone without a new order, and
    # refreshing a million copies would double the review's writes
    qualify_spend = fields.Monetary(
        string="Spend in Window", currency_field="currency_id", compute="_compute_qualify_figures"
    )
    qualify_orders = fields.Integer(string="Orders in Window", compute="_compute_qualify_figures")
    qualify_feedback = fields.Integer(string="Feedback in Window", compute="_compute_qualify_figures")
    pricelist_manual = fields.Boolean(
        string="Pricelist Set by Hand",
        help="The partner's pricelist was chosen by hand: tier changes keep it. "
        "Clear the pricelist to follow the tier again.",
    )
    account_manager_id = fields.Many2one("res.users", tracking=True)
    response_hours = fields.Float(string="Response Target (hours)", compute="_compute_service_targets")
    resolution_hours = fields.Float(string="Resolution Target (hours)", compute="_compute_service_targets")
    last_qualifying_at = fields.Datetime(
        string="Last Qualifying Document",
        readonly=True,
        help="When the last order, refund or feedback of this member was recorded in the ledger.",
    )
    next_tier_id = fields.Many2one("member.tier", compute="_compute_next_tier")
    next_tier_spend_missing = fields.Monetary(compute="_compute_next_tier", currency_field="currency_id")
    next_tier_orders_missing = fields.Integer(compute="_compute_next_tier")
    next_tier_progress = fields.Float(compute="_compute_next_tier", string="Progress to Next Tier (%)")
    history_ids = fields.One2many("member.tier.history", "membership_id", string="Tier History")
    interval_ids = fields.One2many("member.membership.interval", "membership_id", string="Membership Periods")
    # the store the member belongs to, for the reports: the till that enrolled them, else the store of their
    # first ledger entry with one (filled by the nightly snapshot step, ``_member_fill_home_config``)
    home_config_id = fields.Many2one(
        "pos.config", string="Home Store", check_company=True, tracking=True, help="The store this member belongs to."
    )
    phone = fields.Char(related="partner_id.phone")
    email = fields.Char(related="partner_id.email")

    _partner_company_uniq = models.Constraint(
        "UNIQUE(partner_id, company_id)", "A contact is a member of a company only once."
    )
    _number_company_uniq = models.Constraint(
        "UNIQUE(number, company_id)", "A member number must be unique per company."
    )

    @api.depends("partner_id.name", "number")
    def _compute_display_name(self):
        for membership in self:
            membership.display_name = f"{membership.number} {membership.partner_id.name or ''}".strip()

    @api.depends("member_since")
    def _compute_member_since_unknown(self):
        # only the import sets it (with the date); any date written afterwards is a known one
        self.member_since_unknown = False

    def _compute_qualify_figures(self):
        rows = {row["id"]: row for row in self._member_aggregate(membership_ids=self.ids)} if self.ids else {}
        for membership in self:
            row = rows.get(membership.id) or {"spend": 0.0, "orders": 0, "feedback": 0}
            membership.qualify_spend = float(row["spend"])
            membership.qualify_orders = int(row["orders"])
            membership.qualify_feedback = int(row["feedback"])

    @api.depends("tier_id", "qualify_spend", "qualify_orders", "company_id")
    def _compute_next_tier(self):
        tiers = self.env["member.tier"].search([("company_id", "in", self.company_id.ids)], order="level")
        for membership in self:
            ladder = tiers.filtered(lambda t, m=membership: t.company_id == m.company_id and not t.invitation_only)
            current_level = membership.tier_id.level if membership.tier_id else None
            nxt = ladder.filtered(lambda t, lv=current_level: lv is None or t.level > lv)[:1]
            if membership.tier_id.invitation_only:
                nxt = ladder.browse()
            membership.next_tier_id = nxt
            membership.next_tier_spend_missing = max(0.0, nxt.min_spend - membership.qualify_spend) if nxt else 0.0
            membership.next_tier_orders_missing = max(0, nxt.min_orders - membership.qualify_orders) if nxt else 0
            parts = [min(1.0, membership.qualify_spend / nxt.min_spend)] if nxt and nxt.min_spend else []
            parts += [min(1.0, membership.qualify_orders / nxt.min_orders)] if nxt and nxt.min_orders else []
            membership.next_tier_progress = 100.0 * min(parts) if parts else (100.0 if not nxt else 0.0)

    # ------------------------------------------------------------------
    # server-side guard: ``readonly`` only hides a field in the form
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        # an empty tier is what a creation without one gives anyway; numbers come from enrolment's sequence
        given = {name for vals in vals_list for name, value in vals.items() if value}
        self._member_check_guarded_fields(given, (*TIER_FIELDS, "number"))
        memberships = super().create(vals_list)
        memberships._member_log_state()
        return memberships

    def write(self, vals):
        self._member_check_guarded_fields(vals, TIER_FIELDS + IDENTITY_FIELDS)
        res = super().write(vals)
        if "state" in vals or "member_since" in vals:
            self._member_log_state()
        return res

    @api.model
    def _member_check_guarded_fields(self, names, guarded):
        """Refuse a write of ``guarded`` fields that our own code did not flag, whoever the user (sudo too).

        Data files loaded while the registry is not ready yet (install, update) keep working.
        """
        refused = [name for name in guarded if name in names]
        if not refused or is_trusted(self.env, MEMBERSHIP_WRITE) or not self.pool.ready:
            return
        raise AccessError(
            self.env._(
                "%(fields)s of a membership are set by enrolment, the tier rules, the Change Tier wizard "
                "or the import only; they cannot be written directly.",
                fields=", ".join(self._fields[name]._description_string(self.env) for name in refused),
            )
        )

    # ------------------------------------------------------------------
    # enrolment
    # ------------------------------------------------------------------
    @api.model
    def _member_enroll(self, partners, company, trigger="enroll", source=None, partner_sources=None, home_config=None):
        """Enrol ``partners`` in ``company`` (existing members are reactivated) and place them.

        ``partner_sources``: {partner id: "model,id"} of the document that enrolled each one.
        ``home_config``: the register that enrols them (``pos.config``), the new members' home store.
        """
        partners = partners.commercial_partner_id
        existing = self.sudo().search([("partner_id", "in", partners.ids), ("company_id", "=", company.id)])
        existing.filtered(lambda m: m.state != "active").write({"state": "active"})
        new_partners = partners - existing.partner_id
        if not new_partners:
            return existing
        sequence = company._member_sequence()
        today = company._member_today()
        created = (
            self.sudo()
            .with_context(tracking_disable=True, **trusted(MEMBERSHIP_WRITE))
            .create(
                [
                    {
                        "partner_id": partner.id,
                        "company_id": company.id,
                        "number": sequence.next_by_id(),
                        "member_since": today,
                        **({"home_config_id": home_config.id} if home_config else {}),
                    }
                    for partner in new_partners
                ]
            )
        )
        created._member_place(trigger=trigger, source=source, partner_sources=partner_sources)
        self._member_invalidate_partners()
        return existing | created

    @api.model
    def _member_invalidate_partners(self):
        """The partner's member fields read memberships that SQL may have changed."""
        self.env["res.partner"].invalidate_model(
            ["member_membership_id", "is_member", "member_number", "member_tier_id", "member_since", "member_state"]
        )

    # ------------------------------------------------------------------
    # state periods: the one writer of member.membership.interval
    # ------------------------------------------------------------------
    def _member_log_state(self, start_kind=None, day=None):
        """Record the state periods of these memberships (``member.membership.interval``), set-based, in SQL.

        - A membership without a period (just created) opens its first one on its ``member_since``, in its
          state, started by ``start_kind`` when active ("enrolled" by default; the import passes "imported").
        - A membership whose open period has another state: that period ends on ``day`` (by default the
          company's today) and the next one starts there, started by "re_enrolled" (back to active),
          "suspended" or "left". One statement closes and opens: the open row moves forward in place and
          the ended period is inserted as a closed row, so that the one-open-period index holds whatever
          the order PostgreSQL applies the rows in.
        - The first period starts on ``member_since``: a joining date written later (the import, a contact
          merge, by hand) moves its start, unless the period ended before that date.
        - Memberships whose open period already has their state: nothing.

        Called by ``create`` and ``write`` (state, joining date) and by the import's bulk insert.
        Returns the number of memberships that got a new period.
        """
        if not self:
            return 0
        # sudo: the companies' time zones only (today's date), for memberships the caller is writing
        companies = self.sudo().company_id
        days = {company.id: day or company._member_today() for company in companies}
        self.flush_recordset(["partner_id", "company_id", "state", "member_since"])
        now, uid = fields.Datetime.now(), self.env.uid
        ids = list(self.ids)
        self.env.execute_query(
            SQL(
                """
                UPDATE member_membership_interval i
                   SET date_from = m.member_since, write_uid = %(uid)s, write_date = %(now)s
                  FROM member_membership m
                 WHERE m.id = ANY(%(ids)s) AND i.membership_id = m.id AND i.date_from <> m.member_since
                   AND (i.date_to IS NULL OR i.date_to >= m.member_since)
                   AND i.id = (SELECT f.id FROM member_membership_interval f
                                WHERE f.membership_id = m.id
                             ORDER BY f.date_from, f.date_to NULLS LAST, f.id
                                LIMIT 1)
                """,
                ids=ids,
                uid=uid,
                now=now,
            )
        )
        (count,) = self.env.execute_query(
            SQL(
                """
                WITH d(company_id, day) AS (SELECT * FROM unnest(%(companies)s::int[], %(days)s::date[])),
                cur AS (
                    SELECT m.id, m.partner_id, m.company_id, m.state, m.member_since, d.day,
                           i.id AS open_id, i.state AS open_state, i.date_from AS open_from,
                           i.start_kind AS open_kind,
                           CASE WHEN i.id IS NULL THEN (SELECT MAX(e.date_to) FROM member_membership_interval e
                                                         WHERE e.membership_id = m.id) END AS last_to
                      FROM member_membership m
                      JOIN d ON d.company_id = m.company_id
                 LEFT JOIN member_membership_interval i ON i.membership_id = m.id AND i.date_to IS NULL
                     WHERE m.id = ANY(%(ids)s) AND i.state IS DISTINCT FROM m.state
                ),
                ended AS (
                    INSERT INTO member_membership_interval (membership_id, partner_id, company_id, state, date_from,
                                                            date_to, start_kind,
                                                            create_uid, create_date, write_uid, write_date)
                    SELECT cur.id, cur.partner_id, cur.company_id, cur.open_state, cur.open_from,
                           GREATEST(cur.day, cur.open_from), cur.open_kind, %(uid)s, %(now)s, %(uid)s, %(now)s
                      FROM cur
                     WHERE cur.open_id IS NOT NULL
                ),
                moved AS (
                    UPDATE member_membership_interval i
                       SET state = cur.state, date_from = GREATEST(cur.day, cur.open_from),
                           start_kind = CASE WHEN cur.state = 'active' THEN 're_enrolled' ELSE cur.state END,
                           partner_id = cur.partner_id, write_uid = %(uid)s, write_date = %(now)s
                      FROM cur
                     WHERE i.id = cur.open_id
                 RETURNING i.id
                ),
                opened AS (
                    INSERT INTO member_membership_interval (membership_id, partner_id, company_id, state, date_from,
                                                            start_kind,
                                                            create_uid, create_date, write_uid, write_date)
                    SELECT cur.id, cur.partner_id, cur.company_id, cur.state,
                           CASE WHEN cur.last_to IS NULL THEN cur.member_since
                                ELSE GREATEST(cur.day, cur.last_to) END,
                           CASE WHEN cur.last_to IS NULL AND cur.state = 'active' THEN %(first_kind)s
                                WHEN cur.state = 'active' THEN 're_enrolled'
                                ELSE cur.state END,
                           %(uid)s, %(now)s, %(uid)s, %(now)s
                      FROM cur
                     WHERE cur.open_id IS NULL
                 RETURNING id
                )
                SELECT (SELECT COUNT(*) FROM moved) + (SELECT COUNT(*) FROM opened)
                """,
                companies=list(days),
                days=list(days.values()),
                ids=ids,
                first_kind=start_kind or "enrolled",
                uid=uid,
                now=now,
            )
        )[0]
        self.env["member.membership.interval"].invalidate_model()
        self.invalidate_recordset(["interval_ids"])
        return count

    @api.model
    def _member_fill_home_config(self, company):
        """Give the company's members without a home store the store of their first ledger entry with one.

        Incremental, one statement: the ledger entries with a store written since the last fill (an id
        range of the ledger's primary key), and the memberships created since then (their first store entry
        may be older: a customer who bought at a till before joining). The marker (``HOME_STORE_MARKER``
        per company: last ledger entry id, last membership id) stays an hour behind, so that a transaction
        still open when the fill runs is read next time. Members who never bought at a till keep none.
        Returns how many got one.
        """
        # sudo: the fill's own progress marker (system parameters are administrators' otherwise)
        params = self.env["ir.config_parameter"].sudo()
        key = f"{HOME_STORE_MARKER}.{company.id}"
        after_entry, after_membership = (int(part) for part in (params.get_param(key) or "0,0").split(","))
        self.env.flush_all()
        now = fields.Datetime.now()
        filled, entry_mark, membership_mark = self.env.execute_query(
            SQL(
                """
                WITH fresh AS (
                    SELECT DISTINCT ON (l.partner_id) l.partner_id, l.pos_config_id, 1 AS rank
                      FROM member_ledger l
                     WHERE l.id > %(after_entry)s AND l.company_id = %(company)s AND l.pos_config_id IS NOT NULL
                  ORDER BY l.partner_id, l.date, l.id
                ),
                newcomers AS (
                    SELECT m.partner_id,
                           (SELECT l.pos_config_id FROM member_ledger l
                             WHERE l.partner_id = m.partner_id AND l.company_id = m.company_id
                               AND l.pos_config_id IS NOT NULL
                          ORDER BY l.date, l.id
                             LIMIT 1) AS pos_config_id,
                           0 AS rank
                      FROM member_membership m
                     WHERE m.id > %(after_membership)s AND m.company_id = %(company)s AND m.home_config_id IS NULL
                ),
                found AS (
                    SELECT DISTINCT ON (partner_id) partner_id, pos_config_id
                      FROM (SELECT * FROM newcomers UNION ALL SELECT * FROM fresh) candidate
                     WHERE pos_config_id IS NOT NULL
                  ORDER BY partner_id, rank
                ),
                filled AS (
                    UPDATE member_membership m
                       SET home_config_id = found.pos_config_id
                      FROM found
                     WHERE m.partner_id = found.partner_id AND m.company_id = %(company)s AND m.home_config_id IS NULL
                 RETURNING m.id
                )
                SELECT ARRAY(SELECT id FROM filled),
                       COALESCE((SELECT MAX(id) FROM member_ledger
                                  WHERE id > %(after_entry)s AND create_date < %(settled)s), %(after_entry)s),
                       COALESCE((SELECT MAX(id) FROM member_membership
                                  WHERE id > %(after_membership)s AND create_date < %(settled)s), %(after_membership)s)
                """,
                company=company.id,
                after_entry=after_entry,
                after_membership=after_membership,
                settled=now - timedelta(hours=1),
            )
        )[0]
        params.set_param(key, f"{entry_mark},{membership_mark}")
        if filled:
            self.browse(filled).invalidate_recordset(["home_config_id"])
        return len(filled)

    def _member_place(self, trigger="enroll", source=None, partner_sources=None):
        """Give new members the tier their ledger history earns (never down)."""
        rows = self._member_aggregate(membership_ids=self.ids)
        sources = {row["id"]: (partner_sources or {}).get(row["partner_id"]) for row in rows}
        self._member_upgrade(rows, trigger, source=source, sources=sources)

    # ------------------------------------------------------------------
    # window figures: the one aggregate of the ledger
    # ------------------------------------------------------------------
    @api.model
    def _member_windows(self, company_ids, as_of=None, settings=None):
        """{company id: (first day, last day)} of the companies' qualification windows ending on ``as_of``.

        ``as_of``: by default each company's today, in its time zone. ``settings``: {company id:
        (window type, months)} to use instead of the company's (the simulation tries them without writing).
        """
        windows = {}
        for company in self.env["res.company"].sudo().browse(company_ids):
            kind, months = (settings or {}).get(company.id) or (
                company.member_window_type,
                company.member_window_months,
            )
            last_day = as_of or company._member_today()
            windows[company.id] = (engine.window_start(last_day, kind, months or 12), last_day)
        return windows

    @api.model
    def _member_window_sql(self, mem, windows, categories, batch=None):
        """The CTEs ``w``, ``mem`` and ``agg``: window figures of memberships, the one aggregate of the ledger.

        Every reader goes through here: the figures shown, the placement, the instant check, the
        simulation and the review.

        - ``mem`` (SQL): the memberships, with the columns id, partner_id, company_id, tier_id,
          protected_until and grace_since.
        - ``windows``: {company id: (first day, last day)}.
        - ``categories``: {tier id: category ids}, for a column ``engine.category_column(tier id)`` each:
          the spend in those categories and their subcategories.
        - ``batch``: (company id, after partner id) when ``mem`` is the next partners of one company
          in partner order (the review): the ledger is then read as one range of its index (a lookup
          per member costs twice as much at a million members), else member by member.

        ``agg`` has mem's columns, spend, orders, feedback, the category columns, start_date and stop_date.
        """

        def ledger(table, alias):
            t = SQL.identifier(alias)
            if batch:
                company_id, after_id = batch
                start, stop = windows[company_id]
                return SQL(
                    """FROM %(table)s %(t)s
                      WHERE %(t)s.partner_id > %(after)s AND %(t)s.partner_id <= (SELECT MAX(partner_id) FROM mem)
                        AND %(t)s.company_id = %(company)s AND %(t)s.date BETWEEN %(start)s AND %(stop)s""",
                    table=SQL.identifier(table),
                    t=t,
                    after=after_id or 0,
                    company=company_id,
                    start=start,
                    stop=stop,
                )
            return SQL(
                """FROM mem JOIN w ON w.company_id = mem.company_id
                   JOIN %(table)s %(t)s ON %(t)s.partner_id = mem.partner_id AND %(t)s.company_id = mem.company_id
                                       AND %(t)s.date BETWEEN w.start_date AND w.stop_date""",
                table=SQL.identifier(table),
                t=t,
            )

        category_columns, category_join = SQL(""), SQL("")
        if categories:
            columns = [SQL.identifier(engine.category_column(key)) for key in categories]
            category_columns = SQL("").join(SQL(", COALESCE(c.%s, 0) AS %s", column, column) for column in columns)
            sums = SQL(", ").join(
                SQL("SUM(ll.amount) FILTER (WHERE %s) AS %s", self._member_category_match(ids), column)
                for ids, column in zip(categories.values(), columns, strict=True)
            )
            category_join = SQL(
                """
                LEFT JOIN (
                    SELECT ll.partner_id, ll.company_id, %(sums)s
                      %(lines)s
                  GROUP BY ll.partner_id, ll.company_id
                ) c ON c.partner_id = mem.partner_id AND c.company_id = mem.company_id""",
                sums=sums,
                lines=ledger("member_ledger_line", "ll"),
            )
        window_values = SQL(", ").join(SQL("(%s, %s::date, %s::date)", c, s, e) for c, (s, e) in windows.items())
        return SQL(
            """
            w(company_id, start_date, stop_date) AS (VALUES %(windows)s),
            mem AS (%(mem)s),
            agg AS (
                SELECT mem.*, COALESCE(a.spend, 0) AS spend, COALESCE(a.orders, 0) AS orders,
                       COALESCE(a.feedback, 0) AS feedback %(category_columns)s, w.start_date, w.stop_date
                  FROM mem
                  JOIN w ON w.company_id = mem.company_id
             LEFT JOIN (
                       SELECT l.partner_id, l.company_id, SUM(l.amount) AS spend, SUM(l.order_count) AS orders,
                              SUM(l.feedback_count) AS feedback
                         %(ledger)s
                     GROUP BY l.partner_id, l.company_id
                       ) a ON a.partner_id = mem.partner_id AND a.company_id = mem.company_id %(category_join)s
            )""",
            windows=window_values,
            mem=mem,
            category_columns=category_columns,
            ledger=ledger("member_ledger", "l"),
            category_join=category_join,
        )

    @api.model
    def _member_category_match(self, category_ids):
        """SQL: ``ll.categ_id`` is one of ``category_ids`` or of their subcategories (archived ones too)."""
        return SQL(
            """ll.categ_id IN (SELECT sub.id FROM product_category sub
                                 JOIN product_category root ON sub.parent_path LIKE root.parent_path || '%%'
                                WHERE root.id = ANY(%s))""",
            list(category_ids),
        )

    @api.model
    def _member_aggregate(self, membership_ids=None, pairs=None, as_of=None, windows=None):
        """Window figures of memberships from the ledger, in one query (nothing written).

        Select by ``membership_ids`` or by (partner, company) ``pairs`` (active memberships).
        ``windows``: {company id: (first day, last day)}, by default the companies' own windows
        ending ``as_of`` (by default their today). Returns dicts with the membership's id,
        partner_id, company_id, tier_id, protected_until, grace_since, the window's start_date and
        stop_date, its spend, orders and feedback, and category_spend ({tier id: spend in the
        tier's categories}, for the tiers that have categories).
        """
        return self._member_window_rows(membership_ids=membership_ids, pairs=pairs, as_of=as_of, windows=windows)

    @api.model
    def _member_stamp_qualifying(self, pairs):
        """Stamp ``last_qualifying_at`` on the active memberships of (partner, company) ``pairs``; return their figures.

        One statement: its UPDATE locks the rows, so the loser of two concurrent orders of one
        member waits, then fails to serialize and is retried by Odoo with the winner's ledger entry
        in its snapshot. Returns the rows of ``_member_aggregate``.
        """
        rows = self._member_window_rows(pairs=pairs, stamp=True)
        if rows:
            self.browse([r["id"] for r in rows]).invalidate_recordset(["last_qualifying_at"])
        return rows

    @api.model
    def _member_window_rows(self, membership_ids=None, pairs=None, as_of=None, windows=None, stamp=False):
        if pairs is not None:
            company_ids = list({c for _p, c in pairs})
            # arrays, not a list of tuples: an import checks tens of thousands of pairs in one statement
            where = SQL(
                "(m.partner_id, m.company_id) IN (SELECT * FROM unnest(%s::int[], %s::int[])) AND m.state = 'active'",
                [p for p, _c in pairs],
                [c for _p, c in pairs],
            )
        else:
            company_ids = self.sudo().browse(membership_ids).company_id.ids
            where = SQL("m.id = ANY(%s)", list(membership_ids))
        if not company_ids:
            return []
        windows = windows or self._member_windows(company_ids, as_of)
        Tier = self.env["member.tier"]
        categories = {
            tier_id: category_ids
            for company_id in company_ids
            for tier_id, category_ids in Tier._member_category_tiers(company_id).items()
            if category_ids
        }
        mem = SQL(
            """SELECT m.id, m.partner_id, m.company_id, m.tier_id, m.tier_protected_until AS protected_until,
                      m.grace_since
                 FROM member_membership m
                WHERE %s""",
            where,
        )
        stamp_sql = SQL("")
        if stamp:
            stamp_sql = SQL(
                ", stamped AS (UPDATE member_membership m SET last_qualifying_at = %s FROM agg WHERE m.id = agg.id)",
                fields.Datetime.now(),
            )
        self.env.flush_all()
        rows = self.env.execute_query_dict(
            SQL(
                "WITH %s%s SELECT * FROM agg ORDER BY id",
                self._member_window_sql(mem, windows, categories),
                stamp_sql,
            )
        )
        for row in rows:
            row["category_spend"] = {key: float(row.pop(engine.category_column(key)) or 0.0) for key in categories}
        return rows

    @api.model
    def _member_qualification(self, row):
        """What the engine judges: the figures of a row of ``_member_aggregate``."""
        return engine.Qualification(
            spend=float(row["spend"]),
            orders=int(row["orders"]),
            feedback=int(row["feedback"]),
            category_spend=row["category_spend"],
        )

    # ------------------------------------------------------------------
    # instant check: after a qualifying document, upgrades only
    # ------------------------------------------------------------------
    @api.model
    def _member_instant_check(self, inserted, trigger="order", enroll=True):
        """Upgrade the members of freshly recorded documents, in the same transaction.

        ``inserted``: [(partner id, company id, source model, source id)].
        ``enroll``: whether "Enrol on First Order" may enrol the non-members among them (an order, yes;
        feedback never enrols anybody).
        Cost per document: one aggregate that also stamps (and so locks) the membership row.
        """
        sources = {(p, c): (m, s) for p, c, m, s in inserted}
        rows = self._member_stamp_qualifying(list(sources))
        if enroll:
            self._member_auto_enroll(set(sources) - {(r["partner_id"], r["company_id"]) for r in rows}, sources)
        self._member_upgrade(
            rows,
            trigger,
            sources={row["id"]: "{},{}".format(*sources[(row["partner_id"], row["company_id"])]) for row in rows},
        )

    @api.model
    def _member_upgrade(self, rows, trigger, source=None, sources=None):
        """Move the members of ``_member_aggregate`` rows up to the tier they qualify for (never down)."""
        changes = []
        for row in rows:
            rules = self.env["member.tier"]._member_rules(row["company_id"])
            target = engine.instant_upgrade(row["tier_id"], rules, self._member_qualification(row))
            if target:
                changes.append((row["id"], row["tier_id"], target))
        self._member_apply_changes(changes, trigger, source=source, sources=sources)

    @api.model
    def _member_auto_enroll(self, pairs, sources):
        if not pairs:
            return
        companies = self.env["res.company"].sudo().browse({c for _p, c in pairs}).filtered("member_auto_enroll")
        for company in companies:  # one batch per company
            partner_ids = [p for p, c in pairs if c == company.id]
            partner_sources = {p: "{},{}".format(*sources[(p, company.id)]) for p in partner_ids}
            self._member_enroll(
                self.env["res.partner"].browse(partner_ids), company, trigger="order", partner_sources=partner_sources
            )

    # ------------------------------------------------------------------
    # tier moves: the one writer of a membership's tier and its history line
    # ------------------------------------------------------------------
    @api.model
    def _member_move_sql(self, moves, trigger, reason=None, now=None):
        """The CTEs ``moved`` and ``logged``: move memberships to new tiers and log each move.

        ``moves`` (SQL): a relation with the columns id, from_tier_id, target (tier id or NULL),
        direction ('up' or 'down'), protected_until (the end of a new keep period, or NULL to keep
        the current one), since (the day of the move) and source_ref. Every move ends a grace period:
        a member in grace gets a "grace_end" line (on the tier left) before the move's line.
        ``moved`` returns the moved memberships' ids.
        """
        now = now or fields.Datetime.now()
        return SQL(
            """
            moved AS (
                UPDATE member_membership m
                   SET tier_id = mv.target, tier_level = t.level, tier_since = mv.since, grace_since = NULL,
                       tier_protected_until = COALESCE(mv.protected_until, m.tier_protected_until),
                       write_uid = %(uid)s, write_date = %(now)s
                  FROM %(moves)s mv
                  JOIN member_membership old ON old.id = mv.id
             LEFT JOIN member_tier t ON t.id = mv.target
                 WHERE m.id = mv.id
             RETURNING m.id, m.partner_id, m.company_id, mv.from_tier_id, mv.target, mv.direction, mv.source_ref,
                       old.grace_since AS graced
            ),
            logged AS (
                INSERT INTO member_tier_history (membership_id, partner_id, company_id, from_tier_id, to_tier_id,
                                                 direction, source_ref, trigger, date, user_id, reason,
                                                 create_uid, create_date, write_uid, write_date)
                SELECT line.id, line.partner_id, line.company_id, line.from_tier_id, line.to_tier_id,
                       line.direction, line.source_ref, %(trigger)s, %(now)s, %(uid)s, line.reason,
                       %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM (SELECT moved.id, moved.partner_id, moved.company_id, moved.from_tier_id,
                               moved.from_tier_id AS to_tier_id, 'grace_end'::varchar AS direction,
                               moved.source_ref, NULL::text AS reason, 0 AS step
                          FROM moved
                         WHERE moved.graced IS NOT NULL
                     UNION ALL
                        SELECT moved.id, moved.partner_id, moved.company_id, moved.from_tier_id, moved.target,
                               moved.direction::varchar, moved.source_ref, %(reason)s::text, 1
                          FROM moved) line
              ORDER BY line.id, line.step
            )""",
            moves=moves,
            trigger=trigger,
            reason=reason,
            uid=self.env.uid,
            now=now,
        )

    @api.model
    def _member_apply_changes(self, changes, trigger, sources=None, source=None, reason=None, as_of=None):
        """Move memberships to new tiers and log each move, in one statement.

        ``changes``: [(membership id, old tier id, new tier id)]. Upward moves start the keep
        period; every move ends a grace period. ``as_of``: the day of the moves, by default each
        company's today. Arrays are passed with ``unnest``: one statement whatever the batch.
        """
        if not changes:
            return
        ids = [mid for mid, _old, _new in changes]
        info = {
            mid: (company_id, keep)
            for mid, company_id, keep in self.env.execute_query(
                SQL(
                    """SELECT m.id, m.company_id, c.member_keep_months
                         FROM member_membership m JOIN res_company c ON c.id = m.company_id
                        WHERE m.id = ANY(%s)""",
                    ids,
                )
            )
        }
        levels, days = {}, {}
        for company in self.env["res.company"].sudo().browse({c for c, _k in info.values()}):
            levels.update({rule.key: rule.level for rule in self.env["member.tier"]._member_rules(company.id)})
            days[company.id] = as_of or company._member_today()
        columns = {name: [] for name in ("id", "from", "to", "direction", "protected", "since", "source")}
        for mid, old, new in changes:
            up = old is None or (new is not None and levels.get(new, 0) > levels.get(old, 0))
            company_id, keep = info[mid]
            day = days[company_id]
            columns["id"].append(mid)
            columns["from"].append(old or None)
            columns["to"].append(new or None)
            columns["direction"].append("up" if up else "down")
            # the keep period starts with an upward move; a downward one keeps the date it had
            columns["protected"].append(engine.add_months(day, keep or 0) if up else None)
            columns["since"].append(day)
            columns["source"].append((sources or {}).get(mid) or source or None)
        self.env.flush_all()
        moves = SQL(
            """(SELECT * FROM unnest(%s::int[], %s::int[], %s::int[], %s::varchar[], %s::date[], %s::date[],
                                     %s::varchar[])
                   AS v(id, from_tier_id, target, direction, protected_until, since, source_ref))""",
            *columns.values(),
        )
        self.env.execute_query(
            SQL("WITH %s SELECT COUNT(*) FROM moved", self._member_move_sql(moves, trigger, reason=reason))
        )
        self.browse(ids).invalidate_recordset(self._member_tier_state_fields())
        self._member_invalidate_partners()
        self._member_on_tier_changed(self.browse(ids), list(days))

    @api.model
    def _member_tier_state_fields(self):
        return ["tier_id", "tier_since", "grace_since", "tier_protected_until", "tier_level", "history_ids"]

    def _member_on_tier_changed(self, memberships, company_ids):
        """What a tier change sets off: the benefits of the new tier.

        ``company_ids``: the companies of ``memberships``. Where none has a benefit that a tier change
        delivers (``member.benefit._member_deliver``: a tier pricelist, archived ones too since their
        pricelists are taken back; a welcome gift; an account manager; a VIP service), there is nothing
        to deliver, and a review moving tens of thousands of members does not read them one by one.
        Service targets, points multipliers, birthday gifts and early access are read when they apply.
        """
        self.env["member.benefit"].flush_model(["company_id", "benefit_type", "user_id"])
        with_benefits = self.env.execute_query(
            SQL(
                """SELECT 1 FROM member_benefit
                    WHERE company_id = ANY(%s)
                      AND (benefit_type IN ('discount', 'welcome_gift', 'custom')
                           OR (benefit_type = 'service' AND user_id IS NOT NULL))
                    LIMIT 1""",
                list(company_ids),
            )
        )
        if with_benefits:
            self.env["member.benefit"]._member_deliver(memberships)

    def _member_moved_up(self):
        """Those of these memberships whose last tier change was a move up (or their first placement)."""
        if not self:
            return self
        self.env["member.tier.history"].flush_model()
        rows = self.env.execute_query(
            SQL(
                """SELECT DISTINCT ON (membership_id) membership_id, direction
                     FROM member_tier_history
                    WHERE membership_id = ANY(%s) AND direction IN ('up', 'down')
                 ORDER BY membership_id, id DESC""",
                self.ids,
            )
        )
        return self.browse([mid for mid, direction in rows if direction == "up"])

    @api.depends("tier_id")
    def _compute_service_targets(self):
        for membership in self:
            service = membership.tier_id._member_benefits("service")
            membership.response_hours = min(filter(None, service.mapped("response_hours")), default=0.0)
            membership.resolution_hours = min(filter(None, service.mapped("resolution_hours")), default=0.0)

    # ------------------------------------------------------------------
    # periodic review
    # ------------------------------------------------------------------
    @api.model
    def _member_review_plan(self, company, as_of):
        """What a company's review needs, compiled once per run from its tier rules."""
        rules = self.env["member.tier"]._member_rules(company.id)
        compiled = engine.compile_review_sql(
            rules, as_of, max_drop=company.member_max_drop, grace_days=company.member_grace_days
        )
        plan = {
            name: SQL(value.text, *value.params) if isinstance(value, engine.SqlExpr) else value
            for name, value in compiled.items()
        }
        categories = self.env["member.tier"]._member_category_tiers(company.id)
        plan["categories"] = {key: categories.get(key, ()) for key in compiled["category_keys"]}
        plan["company_id"] = company.id
        plan["today"] = as_of
        plan["windows"] = self._member_windows([company.id], as_of)
        plan["protected_until"] = engine.add_months(as_of, company.member_keep_months or 0)
        return plan

    @api.model
    def _member_review_sql(self, plan, after_id, limit):
        """The statement that reviews the next ``limit`` active memberships after partner ``after_id``.

        Aggregates their window (``_member_window_sql``), decides with the rules compiled by
        ``engine.compile_review_sql`` (the same decisions as ``engine.review``), moves and logs the
        members that go up or down (``_member_move_sql``) and starts or ends grace periods. Yields
        one row: the batch's last partner id, its size, the moved and the notified membership ids.
        A grace period that starts (notified) or ends (qualifying again) is logged in the tier history
        ("grace_start", "grace_end") by the same statement; a move ends it in ``_member_move_sql``.
        """
        now = fields.Datetime.now()
        mem = SQL(
            """SELECT m.id, m.partner_id, m.company_id, m.tier_id, m.tier_protected_until AS protected_until,
                      m.grace_since
                 FROM member_membership m
                WHERE m.company_id = %(company)s AND m.state = 'active' AND m.partner_id > %(after)s
             ORDER BY m.partner_id
                LIMIT %(limit)s""",
            company=plan["company_id"],
            after=after_id or 0,
            limit=limit,
        )
        window = self._member_window_sql(
            mem, plan["windows"], plan["categories"], batch=(plan["company_id"], after_id or 0)
        )
        return SQL(
            """
            WITH %(window)s,
            pos AS (SELECT agg.*, %(qpos)s AS qpos, %(cpos)s AS cpos FROM agg),
            act AS (SELECT pos.*, %(action)s AS action FROM pos),
            dec AS (
                SELECT act.id, act.partner_id, act.tier_id, act.grace_since, act.action, %(target)s AS target
                  FROM act
                 WHERE act.action IN ('up', 'down', 'notify')
                    OR (act.action = 'none' AND act.grace_since IS NOT NULL)
            ),
            mv AS (
                SELECT dec.id, dec.tier_id AS from_tier_id, dec.target, dec.action AS direction,
                       CASE WHEN dec.action = 'up' THEN %(protected)s::date END AS protected_until,
                       %(today)s::date AS since, NULL::varchar AS source_ref
                  FROM dec
                 WHERE dec.action IN ('up', 'down')
            ),
            %(move)s,
            graced AS (
                UPDATE member_membership m
                   SET grace_since = CASE WHEN dec.action = 'notify' THEN %(today)s::date END
                  FROM dec
                 WHERE m.id = dec.id AND dec.action IN ('notify', 'none')
             RETURNING m.id, m.partner_id, m.company_id, m.tier_id, dec.action
            ),
            grace_logged AS (
                INSERT INTO member_tier_history (membership_id, partner_id, company_id, from_tier_id, to_tier_id,
                                                 direction, trigger, date, user_id,
                                                 create_uid, create_date, write_uid, write_date)
                SELECT graced.id, graced.partner_id, graced.company_id, graced.tier_id, graced.tier_id,
                       CASE WHEN graced.action = 'notify' THEN 'grace_start' ELSE 'grace_end' END, 'review',
                       %(now)s, %(uid)s, %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM graced
              ORDER BY graced.id
            )
            SELECT (SELECT MAX(partner_id) FROM mem), (SELECT COUNT(*) FROM mem),
                   ARRAY(SELECT id FROM moved), ARRAY(SELECT id FROM graced WHERE action = 'notify')
            """,
            window=window,
            qpos=plan["qpos"],
            cpos=plan["cpos"],
            action=plan["action"],
            target=plan["target"],
            protected=plan["protected_until"],
            today=plan["today"],
            move=self._member_move_sql(SQL("mv"), "review", now=now),
            now=now,
            uid=self.env.uid,
        )

    @api.model
    def _member_review_batch(self, company, as_of, after_id=0, limit=5000, plan=None):
        """Review one batch of a company's active memberships: run ``_member_review_sql``, then what follows.

        Batches follow the partner id (``after_id``: the last partner id of the previous batch),
        so that the batch's ledger is one index range. Only the memberships that move or whose
        grace starts or ends are written. Returns (last partner id, count).
        """
        plan = plan or self._member_review_plan(company, as_of)
        self.env.flush_all()
        last_id, count, moved, notified = self.env.execute_query(self._member_review_sql(plan, after_id, limit))[0]
        if not count:
            return None, 0
        if moved or notified:
            self.browse(moved + notified).invalidate_recordset(self._member_tier_state_fields())
        self.invalidate_model(["grace_since", "history_ids"])  # grace periods that ended
        if moved:
            self._member_invalidate_partners()
            self._member_on_tier_changed(self.browse(moved), [company.id])
        if notified:
            self._member_notify_drop(self.browse(notified))
        return last_id, count

    def _member_notify_drop(self, memberships):
        """Tell members of a coming drop (queued mail, sent by the mail queue, not now)."""
        template = self.env.ref("member_crm.mail_template_member_tier_drop_notice", raise_if_not_found=False)
        with_email = memberships.filtered(lambda m: m.partner_id.email)
        if template and with_email:
            template.sudo().send_mail_batch(with_email.ids, force_send=False)

    @api.model
    def _member_review_run(self, as_of=None, batch_size=5000, max_batches=None, commit=None):
        """Run (or resume) the review of every company with membership on.

        Companies in id order, each in batches of memberships in partner order, as of
        ``as_of`` or else the company's today in its time zone, then the company's members without a
        home store get one and its snapshots are written (``member.tier.snapshot``: the month, and the month
        before rebuilt from the history); the stored marker (day, company, last partner id) makes a crashed run
        resume where it stopped, on that day.
        ``commit``: called after each batch with (processed, remaining flag); the cron passes
        ``ir.cron._commit_progress``; tests pass nothing. Returns ``as_of`` (None: each company's
        today) once every company is reviewed, None when stopped early.
        """
        params = self.env["ir.config_parameter"].sudo()
        marker = params.get_param(REVIEW_MARKER)
        resume_company, after_id = 0, 0
        if marker:
            day, company_id, last = marker.split("|")
            as_of, resume_company, after_id = fields.Date.to_date(day), int(company_id), int(last)
        companies = (
            self.env["res.company"]
            .sudo()
            .search([("member_crm_enabled", "=", True), ("id", ">=", resume_company)], order="id")
        )
        batches = 0
        for company in companies:
            day = as_of or company._member_today()
            plan = self._member_review_plan(company, day)
            after = after_id if company.id == resume_company else 0
            while True:
                last_id, count = self._member_review_batch(company, day, after, batch_size, plan=plan)
                if not count:
                    break
                after = last_id
                params.set_param(REVIEW_MARKER, f"{day}|{company.id}|{after}")
                batches += 1
                if commit and commit(count, True) <= 0:
                    return None
                if max_batches and batches >= max_batches:
                    return None
            # the company is reviewed: home stores, then its snapshots (idempotent: a resumed run writes them
            # again): the month before rebuilt from the history, which counts what came after its last run (a
            # member who joined on its last evening), and the month of the day
            self._member_fill_home_config(company)
            Snapshot = self.env["member.tier.snapshot"]
            previous = (day.replace(day=1) - timedelta(days=1)).replace(day=1)
            Snapshot._member_rebuild(company, previous, previous, fill_home=False)
            Snapshot._member_snapshot(company, day)
        params.set_param(REVIEW_MARKER, False)
        if commit:
            commit(0, False)
        return as_of

    @api.model
    def _cron_member_tier_review(self, batch_size=5000):
        cron = self.env["ir.cron"]

        def commit(processed, more):
            return cron._commit_progress(processed, remaining=1 if more else 0)

        self._member_review_run(batch_size=batch_size, commit=commit)
        # every company reviewed (no marker left): then the RFM scores, one statement and commit per company;
        # sudo: the cron's job, the only writer of member.rfm (in SQL, into its own table)
        if not self.env["ir.config_parameter"].sudo().get_param(REVIEW_MARKER):
            try:
                self.env["member.rfm"].sudo()._member_rfm_refresh(commit=lambda written: cron._commit_progress(written))
            except Exception:
                # the review is done and committed: a failing refresh must not fail (and at length disable) its cron
                self.env.cr.rollback()
                _logger.exception("RFM refresh failed after the tier review; the scores stay as they were")

    # ------------------------------------------------------------------
    # actions
    # ------------------------------------------------------------------
    def action_view_history(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("member_crm.action_member_tier_history")
        action["domain"] = [("membership_id", "=", self.id)]
        return action

    def action_view_ledger(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("member_crm.action_member_ledger")
        action["domain"] = [("partner_id", "=", self.partner_id.id), ("company_id", "=", self.company_id.id)]
        return action

    def action_change_tier(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Change Tier"),
            "res_model": "member.tier.change",
            "view_mode": "form",
            "target": "new",
            "context": {"default_membership_ids": self.ids},
        }

    @api.ondelete(at_uninstall=False)
    def _unlink_only_manager(self):
        if not self.env.user.has_group("member_crm.group_member_crm_manager"):
            raise UserError(self.env._("Only a member manager can delete a membership; set it to Left instead."))
