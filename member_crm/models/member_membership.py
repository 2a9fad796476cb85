"""Membership: one record per (partner, company), with its tier.

The instant check (after a qualifying document) and the periodic review read
the qualification ledger with one set-based aggregate and let
``engine.tiers`` decide; this model only applies the decisions.
"""

import logging

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..engine import tiers as engine

_logger = logging.getLogger(__name__)

REVIEW_MARKER = "member_crm.review_marker"


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
    qualify_spend = fields.Monetary(string="Spend in Window", currency_field="currency_id", readonly=True)
    qualify_orders = fields.Integer(string="Orders in Window", readonly=True)
    qualify_feedback = fields.Integer(string="Feedback in Window", readonly=True)
    qualified_at = fields.Datetime(string="Figures As Of", readonly=True)
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
    def _member_aggregate(self, membership_ids=None, as_of=None, pairs=None, after_id=None, limit=None, store=False):
        """Window figures of memberships from the ledger, in one query.

        Select by ``membership_ids``, by (partner, company) ``pairs`` or by an
        id range (``after_id``, ``limit``; the review). Returns dicts with the
        membership's id, partner_id, company_id, tier_id, protected_until,
        grace_since, cached figures and the window's spend, orders, feedback.
        With ``store``, the same statement writes the figures into the
        memberships' cache: that UPDATE also locks the rows, so the loser of two
        concurrent orders of one member waits, then fails to serialize and is
        retried by Odoo with the winner's ledger entry in its snapshot.
        """
        as_of = as_of or fields.Date.context_today(self)
        if pairs is not None:
            company_ids = list({c for _p, c in pairs})
            where = SQL(
                "(m.partner_id, m.company_id) IN (%s) AND m.state = 'active'",
                SQL(", ").join(SQL("(%s, %s)", p, c) for p, c in pairs),
            )
        elif membership_ids is not None:
            company_ids = self.sudo().browse(membership_ids).company_id.ids
            where = SQL("m.id = ANY(%s)", list(membership_ids))
        else:
            company_ids = self.env["res.company"].sudo().search([("member_crm_enabled", "=", True)]).ids
            where = SQL("m.id > %s AND m.state = 'active' AND m.company_id = ANY(%s)", after_id or 0, company_ids)
        if not company_ids:
            return []
        windows = self._member_windows(company_ids, as_of)
        window_values = SQL(", ").join(SQL("(%s, %s::date, %s::date)", c, s, e) for c, (s, e) in windows.items())
        self.env.flush_all()
        store_sql = SQL(
            """,
            upd AS (
                UPDATE member_membership m
                   SET qualify_spend = agg.spend, qualify_orders = agg.orders, qualify_feedback = agg.feedback,
                       qualified_at = %s
                  FROM agg
                 WHERE m.id = agg.id
            )""",
            fields.Datetime.now(),
        )
        rows = self.env.execute_query_dict(
            SQL(
                """
                WITH w(company_id, start_date, stop_date) AS (VALUES %(windows)s),
                mem AS (
                    SELECT m.id, m.partner_id, m.company_id, m.tier_id, m.tier_protected_until,
                           m.grace_since, m.qualify_spend, m.qualify_orders, m.qualify_feedback
                      FROM member_membership m
                     WHERE %(where)s
                  ORDER BY m.id
                     %(limit)s
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
                )%(store)s
                SELECT * FROM agg ORDER BY id
                """,
                windows=window_values,
                where=where,
                limit=SQL("LIMIT %s", limit) if limit else SQL(""),
                store=store_sql if store else SQL(""),
            )
        )
        if store and rows:
            self.browse([r["id"] for r in rows]).invalidate_recordset(
                ["qualify_spend", "qualify_orders", "qualify_feedback", "qualified_at"]
            )
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
        Cost per document: one locking aggregate and one cache update.
        """
        sources = {(p, c): (m, s) for p, c, m, s in inserted}
        rows = self._member_aggregate(pairs=list(sources), store=True)
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

    @api.model
    def _member_changed_figures(self, rows):
        """{membership id: (spend, orders, feedback)} of the rows whose cached figures are stale."""
        return {
            r["id"]: (r["spend"], int(r["orders"]), int(r["feedback"]))
            for r in rows
            if (float(r["spend"]), int(r["orders"]), int(r["feedback"]))
            != (float(r["qualify_spend"] or 0), r["qualify_orders"] or 0, r["qualify_feedback"] or 0)
        }

    # ------------------------------------------------------------------
    # applying decisions
    # ------------------------------------------------------------------
    @api.model
    def _member_apply_changes(self, changes, trigger, sources=None, source=None, reason=None, as_of=None, figures=None):
        """Move memberships to new tiers and log each move: one UPDATE and one INSERT.

        ``changes``: [(membership id, old tier id, new tier id)]. Upward moves
        start the keep period; every move ends a grace period. ``figures``
        ({membership id: (spend, orders, feedback)}) rides along in the same
        UPDATE (the review refreshes the cache of every member it reads).
        Arrays are passed with ``unnest``: one statement whatever the batch.
        """
        figures = figures or {}
        if not changes and not figures:
            return
        as_of = as_of or fields.Date.context_today(self)
        change_by_id = {mid: (old, new) for mid, old, new in changes}
        ids = list(change_by_id.keys() | figures.keys())
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
        columns = {name: [] for name in ("id", "tier", "protected", "up", "moved", "spend", "orders", "feedback")}
        log = []
        for mid in ids:
            old, new = change_by_id.get(mid, (None, None))
            moved = mid in change_by_id
            up = moved and (old is None or (new is not None and levels.get(new, 0) > levels.get(old, 0)))
            partner_id, company_id, keep = info[mid]
            spend, orders, feedback = figures.get(mid, (None, None, None))
            for name, value in (
                ("id", mid),
                ("tier", new),
                ("protected", engine.add_months(as_of, keep or 0) if up else None),
                ("up", up),
                ("moved", moved),
                ("spend", spend),
                ("orders", orders),
                ("feedback", feedback),
            ):
                columns[name].append(value)
            if moved:
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
                   SET tier_id = CASE WHEN v.moved THEN v.tier ELSE m.tier_id END,
                       tier_since = CASE WHEN v.moved THEN %(today)s ELSE m.tier_since END,
                       grace_since = CASE WHEN v.moved THEN NULL ELSE m.grace_since END,
                       tier_protected_until = CASE WHEN v.up THEN v.protected ELSE m.tier_protected_until END,
                       tier_level = CASE WHEN v.moved THEN t.level ELSE m.tier_level END,
                       qualify_spend = COALESCE(v.spend, m.qualify_spend),
                       qualify_orders = COALESCE(v.orders, m.qualify_orders),
                       qualify_feedback = COALESCE(v.feedback, m.qualify_feedback),
                       qualified_at = CASE WHEN v.spend IS NULL THEN m.qualified_at ELSE %(now)s END,
                       write_uid = %(uid)s, write_date = %(now)s
                  FROM unnest(%(ids)s::int[], %(tiers)s::int[], %(protected)s::date[], %(up)s::bool[],
                              %(moved)s::bool[], %(spend)s::numeric[], %(orders)s::int[], %(feedback)s::int[])
                       AS v(id, tier, protected, up, moved, spend, orders, feedback)
             LEFT JOIN member_tier t ON t.id = v.tier
                 WHERE m.id = v.id
                """,
                ids=columns["id"],
                tiers=columns["tier"],
                protected=columns["protected"],
                up=columns["up"],
                moved=columns["moved"],
                spend=columns["spend"],
                orders=columns["orders"],
                feedback=columns["feedback"],
                today=as_of,
                uid=self.env.uid,
                now=now,
            )
        )
        memberships = self.browse(ids)
        memberships.invalidate_recordset(
            [
                "tier_id",
                "tier_since",
                "grace_since",
                "tier_protected_until",
                "tier_level",
                "history_ids",
                "qualify_spend",
                "qualify_orders",
                "qualify_feedback",
                "qualified_at",
            ]
        )
        if log:
            self.env["member.tier.history"]._member_log(log, trigger=trigger, reason=reason)
            self._member_invalidate_partners()
            self._member_on_tier_changed(self.browse([entry["membership_id"] for entry in log]))

    def _member_on_tier_changed(self, memberships):
        """Hook for what a tier change sets off (benefits, notifications): the benefits issue fills it."""
        return True

    # ------------------------------------------------------------------
    # periodic review
    # ------------------------------------------------------------------
    @api.model
    def _member_review_batch(self, as_of, after_id=0, limit=5000):
        """Review one batch of memberships (ids after ``after_id``); returns (last id, count)."""
        rows = self._member_aggregate(as_of=as_of, after_id=after_id, limit=limit)
        if not rows:
            return None, 0
        category_spend = self._member_category_spend(rows)
        companies = {c.id: c for c in self.env["res.company"].sudo().browse({r["company_id"] for r in rows})}
        changes, notify, clear_grace = [], [], []
        for row in rows:
            company = companies[row["company_id"]]
            decision = engine.review(
                engine.MemberState(row["id"], row["tier_id"], row["tier_protected_until"], row["grace_since"]),
                self.env["member.tier"]._member_rules(row["company_id"]),
                self._member_qualification(row, category_spend),
                as_of,
                max_drop=company.member_max_drop,
                grace_days=company.member_grace_days,
            )
            if decision.action in (engine.UP, engine.DOWN):
                changes.append((row["id"], row["tier_id"], decision.tier))
            elif decision.action == engine.NOTIFY:
                notify.append(row["id"])
            elif decision.action == engine.NONE and row["grace_since"]:
                clear_grace.append(row["id"])
        self._member_apply_changes(changes, "review", as_of=as_of, figures=self._member_changed_figures(rows))
        self._member_set_grace(notify, as_of)
        self._member_set_grace(clear_grace, None)
        return rows[-1]["id"], len(rows)

    @api.model
    def _member_set_grace(self, membership_ids, day):
        if not membership_ids:
            return
        self.env.execute_query(
            SQL("UPDATE member_membership SET grace_since = %s WHERE id = ANY(%s)", day, list(membership_ids))
        )
        memberships = self.browse(membership_ids)
        memberships.invalidate_recordset(["grace_since"])
        if day:
            self._member_notify_drop(memberships)

    def _member_notify_drop(self, memberships):
        """Tell members of a coming drop (queued mail, sent by the mail queue, not now)."""
        template = self.env.ref("member_crm.mail_template_member_tier_drop_notice", raise_if_not_found=False)
        with_email = memberships.filtered(lambda m: m.partner_id.email)
        if template and with_email:
            template.sudo().send_mail_batch(with_email.ids, force_send=False)

    @api.model
    def _member_review_run(self, as_of=None, batch_size=5000, max_batches=None, commit=None):
        """Run (or resume) the review; the stored marker makes a crashed run resume where it stopped.

        ``commit``: called after each batch with (processed, remaining flag);
        the cron passes ``ir.cron._commit_progress``; tests pass nothing.
        """
        params = self.env["ir.config_parameter"].sudo()
        marker = params.get_param(REVIEW_MARKER)
        if marker:
            day, last = marker.split("|")
            as_of, after_id = fields.Date.to_date(day), int(last)
        else:
            as_of, after_id = as_of or fields.Date.context_today(self), 0
        batches = 0
        while True:
            last_id, count = self._member_review_batch(as_of, after_id, batch_size)
            if not count:
                params.set_param(REVIEW_MARKER, False)
                if commit:
                    commit(0, False)
                return as_of
            after_id = last_id
            params.set_param(REVIEW_MARKER, f"{as_of}|{after_id}")
            batches += 1
            if commit and commit(count, True) <= 0:
                return None
            if max_batches and batches >= max_batches:
                return None

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
