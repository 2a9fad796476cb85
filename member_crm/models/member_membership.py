"""Membership: one record per (partner, company), with its tier.

The instant check (after a qualifying document) and the periodic review read
the qualification ledger with one set-based aggregate and let
``engine.tiers`` decide; this model only applies the decisions.
"""

import logging

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..engine import tiers as engine
from ..tools.trusted import MEMBERSHIP_WRITE, is_trusted

_logger = logging.getLogger(__name__)

REVIEW_MARKER = "member_crm.review_marker"
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
        # an empty tier is what a creation without one gives anyway
        given = {name for vals in vals_list for name, value in vals.items() if value}
        self._member_check_guarded_fields(given, TIER_FIELDS)
        return super().create(vals_list)

    def write(self, vals):
        self._member_check_guarded_fields(vals, TIER_FIELDS + IDENTITY_FIELDS)
        return super().write(vals)

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
    def _member_enroll(self, partners, company, trigger="enroll", source=None, partner_sources=None):
        """Enrol ``partners`` in ``company`` (existing members are reactivated) and place them.

        ``partner_sources``: {partner id: "model,id"} of the document that enrolled each one.
        """
        partners = partners.commercial_partner_id
        existing = self.sudo().search([("partner_id", "in", partners.ids), ("company_id", "=", company.id)])
        existing.filtered(lambda m: m.state != "active").write({"state": "active"})
        new_partners = partners - existing.partner_id
        if not new_partners:
            return existing
        sequence = company._member_sequence()
        today = fields.Date.context_today(self)
        created = (
            self.sudo()
            .with_context(tracking_disable=True)
            .create(
                [
                    {
                        "partner_id": partner.id,
                        "company_id": company.id,
                        "number": sequence.next_by_id(),
                        "member_since": today,
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

    def _member_place(self, trigger="enroll", source=None, partner_sources=None):
        """Give new members the tier their ledger history earns (never down)."""
        rows = self._member_aggregate(self.ids, fields.Date.context_today(self))
        category_spend = self._member_category_spend(rows)
        changes, sources = [], {}
        for row in rows:
            rules = self.env["member.tier"]._member_rules(row["company_id"])
            target = engine.instant_upgrade(row["tier_id"], rules, self._member_qualification(row, category_spend))
            if target:
                changes.append((row["id"], row["tier_id"], target))
                sources[row["id"]] = (partner_sources or {}).get(row["partner_id"])
        self._member_apply_changes(changes, trigger, source=source, sources=sources)

    # ------------------------------------------------------------------
    # aggregates
    # ------------------------------------------------------------------
    @api.model
    def _member_windows(self, company_ids, as_of):
        companies = self.env["res.company"].sudo().browse(company_ids)
        # the simulation tries another window without writing it
        override = self.env.context.get("member_window_override") or (None, None, None)
        windows = {}
        for company in companies:
            kind, months = company.member_window_type, company.member_window_months or 12
            if override[0] == company.id:
                kind, months = override[1], override[2] or 12
            windows[company.id] = (engine.window_start(as_of, kind, months), as_of)
        return windows

    @api.model
    def _member_aggregate(self, membership_ids=None, as_of=None, pairs=None, lock=False):
        """Window figures of memberships from the ledger, in one query.

        Select by ``membership_ids`` or by (partner, company) ``pairs`` (active
        memberships). Returns dicts with the membership's id, partner_id,
        company_id, tier_id, tier_protected_until, grace_since, the window's
        start_date and stop_date, and its spend, orders and feedback.
        With ``lock`` (the instant check after an order), the same statement
        stamps ``last_qualifying_at``: that UPDATE locks the rows, so the loser of
        two concurrent orders of one member waits, then fails to serialize and
        is retried by Odoo with the winner's ledger entry in its snapshot.
        """
        as_of = as_of or fields.Date.context_today(self)
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
        windows = self._member_windows(company_ids, as_of)
        window_values = SQL(", ").join(SQL("(%s, %s::date, %s::date)", c, s, e) for c, (s, e) in windows.items())
        self.env.flush_all()
        lock_sql = SQL(
            """,
            upd AS (
                UPDATE member_membership m SET last_qualifying_at = %s FROM agg WHERE m.id = agg.id
            )""",
            fields.Datetime.now(),
        )
        rows = self.env.execute_query_dict(
            SQL(
                """
                WITH w(company_id, start_date, stop_date) AS (VALUES %(windows)s),
                mem AS (
                    SELECT m.id, m.partner_id, m.company_id, m.tier_id, m.tier_protected_until, m.grace_since
                      FROM member_membership m
                     WHERE %(where)s
                ),
                agg AS (
                    SELECT mem.*, COALESCE(a.spend, 0) AS spend, COALESCE(a.orders, 0) AS orders,
                           COALESCE(a.feedback, 0) AS feedback, w.start_date, w.stop_date
                      FROM mem
                      JOIN w ON w.company_id = mem.company_id
                 LEFT JOIN LATERAL (
                           SELECT SUM(l.amount) AS spend, SUM(l.order_count) AS orders,
                                  SUM(l.feedback_count) AS feedback
                             FROM member_ledger l
                            WHERE l.partner_id = mem.partner_id AND l.company_id = mem.company_id
                              AND l.date BETWEEN w.start_date AND w.stop_date
                           ) a ON TRUE
                )%(lock)s
                SELECT * FROM agg ORDER BY id
                """,
                windows=window_values,
                where=where,
                lock=lock_sql if lock else SQL(""),
            )
        )
        if rows and lock:
            self.browse([r["id"] for r in rows]).invalidate_recordset(["last_qualifying_at"])
        return rows

    @api.model
    def _member_category_spend(self, rows):
        """{membership id: {tier id: spend in the tier's categories}} for tiers using that criterion."""
        result = {}
        by_company = {}
        for row in rows:
            by_company.setdefault(row["company_id"], []).append(row)
        for company_id, company_rows in by_company.items():
            tiers = self.env["member.tier"]._member_category_tiers(company_id)
            tiers = {tier: categs for tier, categs in tiers.items() if categs}
            if not tiers:
                continue
            tier_values = SQL(", ").join(SQL("(%s, %s)", t, c) for t, categs in tiers.items() for c in categs)
            mem_values = SQL(", ").join(
                SQL("(%s, %s, %s::date, %s::date)", r["id"], r["partner_id"], r["start_date"], r["stop_date"])
                for r in company_rows
            )
            for membership_id, tier_id, spend in self.env.execute_query(
                SQL(
                    """
                    WITH tc(tier_id, categ_id) AS (VALUES %(tiers)s),
                    mem(id, partner_id, start_date, stop_date) AS (VALUES %(mems)s)
                    SELECT mem.id, tc.tier_id, SUM(ll.amount)
                      FROM mem
                      JOIN member_ledger_line ll ON ll.partner_id = mem.partner_id AND ll.company_id = %(company)s
                                                AND ll.date BETWEEN mem.start_date AND mem.stop_date
                      JOIN product_category pc ON pc.id = ll.categ_id
                      JOIN product_category root ON pc.parent_path LIKE root.parent_path || '%%'
                      JOIN tc ON tc.categ_id = root.id
                  GROUP BY mem.id, tc.tier_id
                    """,
                    tiers=tier_values,
                    mems=mem_values,
                    company=company_id,
                )
            ):
                result.setdefault(membership_id, {})[tier_id] = float(spend or 0.0)
        return result

    @api.model
    def _member_qualification(self, row, category_spend=None):
        return engine.Qualification(
            spend=float(row["spend"]),
            orders=int(row["orders"]),
            feedback=int(row["feedback"]),
            category_spend=(category_spend or {}).get(row["id"], {}),
        )

    # ------------------------------------------------------------------
    # instant check: after a qualifying document, upgrades only
    # ------------------------------------------------------------------
    @api.model
    def _member_instant_check(self, inserted, trigger="order"):
        """Upgrade the members of freshly recorded documents, in the same transaction.

        ``inserted``: [(partner id, company id, source model, source id)].
        Cost per document: one aggregate that also stamps (and so locks) the membership row.
        """
        sources = {(p, c): (m, s) for p, c, m, s in inserted}
        rows = self._member_aggregate(pairs=list(sources), lock=True)
        self._member_auto_enroll(set(sources) - {(r["partner_id"], r["company_id"]) for r in rows}, sources)
        if not rows:
            return
        category_spend = self._member_category_spend(rows)
        changes = []
        for row in rows:
            rules = self.env["member.tier"]._member_rules(row["company_id"])
            target = engine.instant_upgrade(row["tier_id"], rules, self._member_qualification(row, category_spend))
            if target:
                model, source_id = sources[(row["partner_id"], row["company_id"])]
                changes.append((row["id"], row["tier_id"], target, f"{model},{source_id}"))
        self._member_apply_changes([c[:3] for c in changes], trigger, sources={c[0]: c[3] for c in changes})

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
    # applying decisions
    # ------------------------------------------------------------------
    @api.model
    def _member_apply_changes(self, changes, trigger, sources=None, source=None, reason=None, as_of=None):
        """Move memberships to new tiers and log each move: one UPDATE and one INSERT.

        ``changes``: [(membership id, old tier id, new tier id)]. Upward moves
        start the keep period; every move ends a grace period. Arrays are passed
        with ``unnest``: one statement whatever the batch.
        """
        if not changes:
            return
        as_of = as_of or fields.Date.context_today(self)
        ids = [mid for mid, _old, _new in changes]
        info = {
            mid: (partner_id, company_id, keep)
            for mid, partner_id, company_id, keep in self.env.execute_query(
                SQL(
                    """SELECT m.id, m.partner_id, m.company_id, c.member_keep_months
                         FROM member_membership m JOIN res_company c ON c.id = m.company_id
                        WHERE m.id = ANY(%s)""",
                    ids,
                )
            )
        }
        levels = {}
        for company_id in {c for _p, c, _k in info.values()}:
            levels.update({rule.key: rule.level for rule in self.env["member.tier"]._member_rules(company_id)})
        columns = {name: [] for name in ("id", "tier", "protected")}
        log = []
        for mid, old, new in changes:
            up = old is None or (new is not None and levels.get(new, 0) > levels.get(old, 0))
            partner_id, company_id, keep = info[mid]
            columns["id"].append(mid)
            columns["tier"].append(new)
            # the keep period starts with an upward move; a downward one keeps the date it had
            columns["protected"].append(engine.add_months(as_of, keep or 0) if up else None)
            log.append(
                {
                    "membership_id": mid,
                    "partner_id": partner_id,
                    "company_id": company_id,
                    "from_tier_id": old,
                    "to_tier_id": new,
                    "direction": "up" if up else "down",
                    "source_ref": (sources or {}).get(mid) or source,
                }
            )
        self.env.flush_all()
        now = fields.Datetime.now()
        self.env.execute_query(
            SQL(
                """
                UPDATE member_membership m
                   SET tier_id = v.tier, tier_level = t.level, tier_since = %(today)s, grace_since = NULL,
                       tier_protected_until = COALESCE(v.protected, m.tier_protected_until),
                       write_uid = %(uid)s, write_date = %(now)s
                  FROM unnest(%(ids)s::int[], %(tiers)s::int[], %(protected)s::date[]) AS v(id, tier, protected)
             LEFT JOIN member_tier t ON t.id = v.tier
                 WHERE m.id = v.id
                """,
                ids=columns["id"],
                tiers=columns["tier"],
                protected=columns["protected"],
                today=as_of,
                uid=self.env.uid,
                now=now,
            )
        )
        self.browse(ids).invalidate_recordset(self._member_tier_state_fields())
        self.env["member.tier.history"]._member_log(log, trigger=trigger, reason=reason)
        self._member_invalidate_partners()
        self._member_on_tier_changed(self.browse(ids))

    @api.model
    def _member_tier_state_fields(self):
        return ["tier_id", "tier_since", "grace_since", "tier_protected_until", "tier_level", "history_ids"]

    def _member_on_tier_changed(self, memberships):
        """What a tier change sets off: the benefits of the new tier."""
        self.env["member.benefit"]._member_deliver(memberships)

    def _member_moved_up(self):
        """Those of these memberships whose last tier change was a move up (or their first placement)."""
        if not self:
            return self
        self.env["member.tier.history"].flush_model()
        rows = self.env.execute_query(
            SQL(
                """SELECT DISTINCT ON (membership_id) membership_id, direction
                     FROM member_tier_history WHERE membership_id = ANY(%s)
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
        """The SQL of a company's review, compiled once per run from its tier rules."""
        rules = self.env["member.tier"]._member_rules(company.id)
        compiled = engine.compile_review_sql(
            rules, as_of, max_drop=company.member_max_drop, grace_days=company.member_grace_days
        )
        compiled = {
            name: SQL(value.text, *value.params) if isinstance(value, engine.SqlExpr) else value
            for name, value in compiled.items()
        }
        category_ids = {}
        if compiled["category_keys"]:
            categories = self.env["member.tier"]._member_category_tiers(company.id)
            Category = self.env["product.category"].sudo().with_context(active_test=False)
            for key in compiled["category_keys"]:
                # the tier's categories and their subcategories, resolved once per run
                category_ids[key] = Category.search([("id", "child_of", list(categories.get(key, ())))]).ids
        compiled["category_ids"] = category_ids
        compiled["window"] = self._member_windows([company.id], as_of)[company.id]
        compiled["protected_until"] = engine.add_months(as_of, company.member_keep_months or 0)
        return compiled

    @api.model
    def _member_review_batch(self, company, as_of, after_id=0, limit=5000, plan=None):
        """Review one batch of a company's active memberships in one statement.

        Batches follow the partner id (``after_id``: the last partner id of the
        previous batch), so that the batch's ledger is one index range.

        Aggregates the ledger, decides with the compiled rules of
        ``engine.compile_review_sql`` (the same decisions as ``engine.review``),
        writes only the memberships that move or whose grace starts or ends, and
        logs each move in the tier history. Returns (last partner id, count).
        """
        plan = plan or self._member_review_plan(company, as_of)
        start, stop = plan["window"]
        category_join = SQL("")
        if plan["category_ids"]:
            sums = SQL(", ").join(
                SQL(
                    "COALESCE(SUM(ll.amount) FILTER (WHERE ll.categ_id = ANY(%s)), 0) AS %s",
                    ids,
                    SQL.identifier(engine.category_column(key)),
                )
                for key, ids in plan["category_ids"].items()
            )
            category_join = SQL(
                """
                LEFT JOIN (
                    SELECT ll.partner_id, %(sums)s FROM member_ledger_line ll
                     WHERE ll.partner_id > %(after)s AND ll.partner_id <= (SELECT MAX(partner_id) FROM mem)
                       AND ll.company_id = %(company)s AND ll.date BETWEEN %(start)s AND %(stop)s
                  GROUP BY ll.partner_id
                ) c ON c.partner_id = mem.partner_id""",
                after=after_id or 0,
                sums=sums,
                company=company.id,
                start=start,
                stop=stop,
            )
        self.env.flush_all()
        now = fields.Datetime.now()
        last_id, count, moved, notified = self.env.execute_query(
            SQL(
                """
                WITH mem AS (
                    SELECT m.id, m.partner_id, m.tier_id, m.tier_protected_until AS protected_until, m.grace_since
                      FROM member_membership m
                     WHERE m.company_id = %(company)s AND m.state = 'active' AND m.partner_id > %(after)s
                  ORDER BY m.partner_id
                     LIMIT %(limit)s
                ),
                -- one range scan of the ledger index for the batch's partners, grouped
                -- (a lookup per member costs twice as much at a million members)
                agg AS (
                    SELECT mem.*, COALESCE(a.spend, 0) AS spend, COALESCE(a.orders, 0) AS orders,
                           COALESCE(a.feedback, 0) AS feedback %(category_columns)s
                      FROM mem
                 LEFT JOIN (
                           SELECT l.partner_id, SUM(l.amount) AS spend, SUM(l.order_count) AS orders,
                                  SUM(l.feedback_count) AS feedback
                             FROM member_ledger l
                            WHERE l.partner_id > %(after)s AND l.partner_id <= (SELECT MAX(partner_id) FROM mem)
                              AND l.company_id = %(company)s AND l.date BETWEEN %(start)s AND %(stop)s
                         GROUP BY l.partner_id
                           ) a ON a.partner_id = mem.partner_id %(category_join)s
                ),
                pos AS (SELECT agg.*, %(qpos)s AS qpos, %(cpos)s AS cpos FROM agg),
                act AS (SELECT pos.*, %(action)s AS action FROM pos),
                dec AS (
                    SELECT act.id, act.partner_id, act.tier_id, act.grace_since, act.action, %(target)s AS target
                      FROM act
                     WHERE act.action IN ('up', 'down', 'notify')
                        OR (act.action = 'none' AND act.grace_since IS NOT NULL)
                ),
                moved AS (
                    UPDATE member_membership m
                       SET tier_id = dec.target, tier_level = t.level, tier_since = %(today)s, grace_since = NULL,
                           tier_protected_until = CASE WHEN dec.action = 'up' THEN %(protected)s
                                                       ELSE m.tier_protected_until END,
                           write_uid = %(uid)s, write_date = %(now)s
                      FROM dec LEFT JOIN member_tier t ON t.id = dec.target
                     WHERE m.id = dec.id AND dec.action IN ('up', 'down')
                 RETURNING m.id, m.partner_id, dec.tier_id AS from_tier_id, dec.target, dec.action
                ),
                graced AS (
                    UPDATE member_membership m
                       SET grace_since = CASE WHEN dec.action = 'notify' THEN %(today)s::date END
                      FROM dec
                     WHERE m.id = dec.id AND dec.action IN ('notify', 'none')
                 RETURNING m.id, dec.action
                ),
                logged AS (
                    INSERT INTO member_tier_history (membership_id, partner_id, company_id, from_tier_id, to_tier_id,
                                                     direction, trigger, date, user_id,
                                                     create_uid, create_date, write_uid, write_date)
                    SELECT moved.id, moved.partner_id, %(company)s, moved.from_tier_id, moved.target, moved.action,
                           'review', %(now)s, %(uid)s, %(uid)s, %(now)s, %(uid)s, %(now)s
                      FROM moved
                )
                SELECT (SELECT MAX(partner_id) FROM mem), (SELECT COUNT(*) FROM mem),
                       ARRAY(SELECT id FROM moved), ARRAY(SELECT id FROM graced WHERE action = 'notify')
                """,
                company=company.id,
                after=after_id or 0,
                limit=limit,
                start=start,
                stop=stop,
                category_columns=SQL("").join(
                    SQL(", c.%s", SQL.identifier(engine.category_column(key))) for key in plan["category_ids"]
                ),
                category_join=category_join,
                qpos=plan["qpos"],
                cpos=plan["cpos"],
                action=plan["action"],
                target=plan["target"],
                today=as_of,
                protected=plan["protected_until"],
                uid=self.env.uid,
                now=now,
            )
        )[0]
        if not count:
            return None, 0
        if moved or notified:
            self.browse(moved + notified).invalidate_recordset(self._member_tier_state_fields())
        self.invalidate_model(["grace_since"])  # grace periods that ended
        if moved:
            self._member_invalidate_partners()
            self._member_on_tier_changed(self.browse(moved))
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

        Companies in id order, each in batches of memberships in partner order;
        the stored marker (day, company, last partner id) makes a crashed run resume where
        it stopped. ``commit``: called after each batch with (processed,
        remaining flag); the cron passes ``ir.cron._commit_progress``; tests pass
        nothing.
        """
        params = self.env["ir.config_parameter"].sudo()
        marker = params.get_param(REVIEW_MARKER)
        resume_company, after_id = 0, 0
        if marker:
            day, company_id, last = marker.split("|")
            as_of, resume_company, after_id = fields.Date.to_date(day), int(company_id), int(last)
        else:
            as_of = as_of or fields.Date.context_today(self)
        companies = (
            self.env["res.company"]
            .sudo()
            .search([("member_crm_enabled", "=", True), ("id", ">=", resume_company)], order="id")
        )
        batches = 0
        for company in companies:
            plan = self._member_review_plan(company, as_of)
            after = after_id if company.id == resume_company else 0
            while True:
                last_id, count = self._member_review_batch(company, as_of, after, batch_size, plan=plan)
                if not count:
                    break
                after = last_id
                params.set_param(REVIEW_MARKER, f"{as_of}|{company.id}|{after}")
                batches += 1
                if commit and commit(count, True) <= 0:
                    return None
                if max_batches and batches >= max_batches:
                    return None
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
