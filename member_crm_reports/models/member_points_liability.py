"""Points liability: a provision remeasured each month, reconciled from the points moves.

At each month end the outstanding points of a company's member program are valued::

    target = round(Σ over member cards of max(0, balance at month end) × value per point × (1 − breakage %))

(pending points shown apart, and counted when the company says so: then Σ max(0, balance + pending)). One
entry, dated at month end, brings the liability account to the target; it is keyed by our own (company, month)
record, so a re-run posts nothing, and a reversal of that entry followed by a re-run posts exactly one new entry.
A locked month gets its entry on the first open day after the lock. The balances at a date are sums of the append-only
``member.points.move`` (the card's ``points`` are only today's), so past months can be rebuilt exactly.
"""

import datetime
import logging

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Command
from odoo.tools import SQL, date_utils

_logger = logging.getLogger(__name__)
RUN_LOCK = 0x4D4C50  # advisory lock key of a company's liability run (with the company id)

# member.points.move kinds with a line of their own in the reconciliation; the others (opening balances,
# adjustments, contact merges) are "other"
RECONCILED_KINDS = ("earn", "bonus", "spend", "release", "expire", "refund", "cancel", "compensation")


class MemberPointsLiabilityPeriod(models.Model):
    _name = "member.points.liability.period"
    _description = "Member Points Liability Period"
    _order = "period desc, company_id"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    period = fields.Date(string="Month", required=True, readonly=True, help="First day of the month.")
    date_end = fields.Date(string="Month End", readonly=True)
    state = fields.Selection(
        [("posted", "Entry posted"), ("no_entry", "Nothing to post")], required=True, readonly=True
    )
    entry_date = fields.Date(readonly=True)
    move_id = fields.Many2one("account.move", string="Entry", readonly=True, ondelete="restrict", check_company=True)
    move_ids = fields.Many2many("account.move", string="All Entries", readonly=True)
    note = fields.Text(readonly=True)
    # the valuation used: a later change of value or breakage is a revaluation of the opening points
    value_per_point = fields.Float(readonly=True, digits=(16, 6), aggregator="avg")
    breakage_percent = fields.Float(string="Breakage (%)", readonly=True, aggregator="avg")
    include_pending = fields.Boolean(readonly=True)
    # reconciliation in points (balances summed over the cards, pending points counted when included)
    points_opening = fields.Float(readonly=True)
    points_earn = fields.Float(string="Earned", readonly=True)
    points_bonus = fields.Float(string="Tier Bonus", readonly=True)
    points_spend = fields.Float(string="Spent", readonly=True)
    points_release = fields.Float(string="Released", readonly=True)
    points_expire = fields.Float(string="Expired (Breakage Realised)", readonly=True)
    points_refund = fields.Float(string="Refunded", readonly=True)
    points_cancel = fields.Float(string="Orders Cancelled", readonly=True)
    points_compensation = fields.Float(string="Compensation", readonly=True)
    points_other = fields.Float(
        string="Other Moves", readonly=True, help="Adjustments, contact merges and opening balances of imports."
    )
    points_closing = fields.Float(readonly=True)
    points_pending = fields.Float(
        string="Pending Points", readonly=True, help="Points waiting for the return window at month end."
    )
    points_unexplained = fields.Float(
        string="Unexplained Points",
        readonly=True,
        help="Card balances − sum of their moves, when the period was computed. Must read 0.",
    )
    # reconciliation in money
    amount_opening = fields.Monetary(string="Opening Value", readonly=True)
    amount_movement = fields.Monetary(string="Movements Value", readonly=True)
    amount_revaluation = fields.Monetary(
        string="Revaluation", readonly=True, help="Opening points × change of the value per point after breakage."
    )
    amount_other = fields.Monetary(
        string="Other Moves Value", readonly=True, help="Other moves (adjustments, merges, imports) × the value."
    )
    amount_residual = fields.Monetary(
        string="Negative Balances and Rounding",
        readonly=True,
        help="Cards below zero are no liability (they count as 0), and each value is rounded.",
    )
    amount_closing = fields.Monetary(string="Target (Closing Value)", readonly=True)
    amount_pending = fields.Monetary(string="Pending Points Value", readonly=True)
    liability_balance = fields.Monetary(
        string="Account Balance Before Entry", readonly=True, help="Liability account balance the entry corrects."
    )
    amount_posted = fields.Monetary(string="Entry Amount", readonly=True)

    _company_period_uniq = models.Constraint(
        "UNIQUE(company_id, period)", "A company has one points liability record per month."
    )

    @api.depends("period")
    def _compute_name(self):
        for rec in self:
            rec.name = rec.period.strftime("%Y-%m") if rec.period else False

    # ------------------------------------------------------------------
    # entry points: the cron, and the accountants' button
    # ------------------------------------------------------------------
    @api.model
    def _cron_member_liability(self):
        """Daily: every company's closed months that have no entry yet (catching up missed months)."""
        # sudo: the cron reads the liability settings (accounting-manager fields) of every company
        companies = self.env["res.company"].sudo().search([("member_liability_enabled", "=", True)])
        for index, company in enumerate(companies):
            try:
                with self.env.cr.savepoint():
                    # sudo: the periods are read-only for everyone; only this run writes them and posts the entries
                    self.sudo()._member_liability_run(company)
            except (UserError, ValidationError) as error:
                # logged, not raised: a run that fails counts against the cron, which Odoo deactivates after five
                # failures in a week; one company's settings would stop every company's entries
                _logger.error("Points liability of company %s (id %s) not posted: %s", company.name, company.id, error)
            self.env["ir.cron"]._commit_progress(1, remaining=len(companies) - index - 1)

    @api.model
    def action_member_liability_run(self):
        """Post the missing months of the user's companies now (what the cron does)."""
        if not (
            self.env.user.has_group("member_crm.group_member_crm_accountant")
            and self.env.user.has_group("account.group_account_manager")
        ):
            raise AccessError(
                self.env._("Only an accounting administrator who audits member figures can post the points liability.")
            )
        companies = self.env.companies.filtered("member_liability_enabled")
        if not companies:
            raise UserError(self.env._("The points liability entries are not turned on in the selected companies."))
        drafts = (
            self.sudo()
            .search([("company_id", "in", companies.ids)])
            .move_id.filtered(lambda move: move.state == "draft")
        )
        if drafts:
            raise UserError(
                self.env._(
                    "Points liability entries reset to draft: %(moves)s. Post them again, or cancel or reverse them, "
                    "before posting the missing months.",
                    moves=", ".join(drafts.mapped("display_name")),
                )
            )
        for company in companies:
            # sudo: the periods are read-only for everyone; the checked accountant posts them through the run
            self.sudo()._member_liability_run(company)
        return {"type": "ir.actions.client", "tag": "soft_reload"}

    # ------------------------------------------------------------------
    # the run for one company
    # ------------------------------------------------------------------
    @api.model
    def _member_liability_run(self, company, today=None):
        """Post the entries of ``company``'s closed months from go-live, in order. Returns the periods touched."""
        company._member_liability_check_settings(UserError)
        # one run per company at a time (the daily job, Post Missing Months): a reversed month's record exists,
        # so its unique key would not stop a second run from posting the replacement entry again
        self.env.cr.execute(SQL("SELECT pg_try_advisory_xact_lock(%s, %s)", RUN_LOCK, company.id))
        if not self.env.cr.fetchone()[0]:
            raise UserError(
                self.env._(
                    "The points liability of %(company)s is being posted by another run: try again in a moment.",
                    company=company.name,
                )
            )
        today = today or company._member_today()
        first = date_utils.start_of(company.member_liability_start, "month")
        last = date_utils.start_of(today, "month") - datetime.timedelta(days=1)
        periods = self.search([("company_id", "=", company.id)])
        by_month = {rec.period: rec for rec in periods}
        touched = self.browse()
        month = first
        while month <= last:
            rec = by_month.get(month)
            if rec and rec.move_id.state == "draft":
                # the later months would book this month's amount again once the draft is reposted: they wait
                rec._member_liability_note_draft()
                break
            if not rec or rec._member_needs_entry():
                done = self._member_liability_post(company, month, rec, today)
                if not done:
                    break  # locked beyond today: this month and the next wait for the first open day
                touched |= done
            month = date_utils.add(month, months=1)
        return touched

    def _member_liability_add_note(self, note):
        """Append ``note`` to this period's note unless it is there already (the run is daily)."""
        self.ensure_one()
        if note not in (self.note or ""):
            self.note = "\n".join(filter(None, [self.note, note]))

    def _member_liability_note_draft(self):
        """The month's entry was reset to draft: neither repost nor ignore it silently."""
        self.ensure_one()
        _logger.warning(
            "Points liability %s of company %s: entry %s is in draft, the month is not reposted",
            self.name,
            self.company_id.id,
            self.move_id.display_name,
        )
        self._member_liability_add_note(
            self.env._(
                "Entry %(move)s was reset to draft: it is not reposted. Post it again, or cancel or reverse it.",
                move=self.move_id.display_name,
            )
        )

    def _member_needs_entry(self):
        """A posted month needs a new entry only when its entry was reversed (or cancelled).

        An entry reset to draft is handled by the run (a note and a warning), never reposted.
        """
        self.ensure_one()
        if self.state != "posted" or not self.move_id:
            return False
        move = self.move_id
        return move.state == "cancel" or bool(move.reversal_move_ids.filtered(lambda m: m.state == "posted"))

    @api.model
    def _member_liability_post(self, company, month, rec, today):
        """Compute ``month`` of ``company``, post its entry and write its record. False when locked beyond today."""
        end = date_utils.end_of(month, "month")
        journal = company.member_liability_journal_id
        # the strict lock: nobody's exception, fiscal year and hard lock dates of the company and its parents
        lock = company._get_user_fiscal_lock_date(journal, ignore_exceptions=True)
        entry_date, notes = end, []
        if end <= lock:
            entry_date = lock + datetime.timedelta(days=1)
            if entry_date > today:
                self._member_liability_note_waiting(company, month, rec, lock)
                return False
            notes.append(
                self.env._(
                    "%(month)s was locked (until %(lock)s): its entry is dated %(date)s, the first open day.",
                    month=month.strftime("%Y-%m"),
                    lock=fields.Date.to_string(lock),
                    date=fields.Date.to_string(entry_date),
                )
            )
        figures = self._member_liability_figures(company, month)
        earlier = self.search([("company_id", "=", company.id), ("period", "<", month)], order="period desc")
        previous = earlier[:1]
        currency = company.currency_id
        effective = figures["value"] * (1 - figures["breakage"] / 100)
        if previous:
            before = previous.value_per_point * (1 - previous.breakage_percent / 100)
            opening = previous.amount_closing
        else:
            before = effective
            opening = currency.round(figures["clamped_opening"] * effective)
        revaluation = currency.round(figures["clamped_opening"] * (effective - before))
        movement = currency.round(sum(figures["kinds"].values()) * effective)
        other = currency.round(figures["other"] * effective)
        target = figures["target"]
        balance = self._member_liability_balance(company, month)
        amount = currency.round(target - balance)
        # the first month: what the points from before go-live are worth goes against the opening account
        opening_part = 0.0
        if not earlier:
            opening_part = currency.round(opening - self._member_liability_balance(company, month, before=True))
        vals = {
            "company_id": company.id,
            "period": month,
            "date_end": end,
            "value_per_point": figures["value"],
            "breakage_percent": figures["breakage"],
            "include_pending": figures["include_pending"],
            "points_opening": figures["opening"],
            "points_closing": figures["closing"],
            "points_pending": figures["pending"],
            "points_unexplained": figures["unexplained"],
            "points_other": figures["other"],
            **{f"points_{kind}": figures["kinds"].get(kind, 0.0) for kind in RECONCILED_KINDS},
            "amount_opening": opening,
            "amount_movement": movement,
            "amount_revaluation": revaluation,
            "amount_other": other,
            "amount_residual": currency.round(target - opening - revaluation - movement - other),
            "amount_closing": target,
            "amount_pending": figures["amount_pending"],
            "liability_balance": balance,
            "amount_posted": amount,
        }
        if currency.is_zero(amount):
            vals.update(state="no_entry", entry_date=False, move_id=False)
            if rec and rec.move_id:
                notes.append(self.env._("The entry was reversed and the account already holds the target."))
        else:
            move = self._member_liability_move(company, month, entry_date, amount, opening_part)
            vals.update(state="posted", entry_date=entry_date, move_id=move.id, move_ids=[Command.link(move.id)])
            if rec and rec.move_id:
                notes.append(
                    self.env._("Entry %(old)s was reversed: %(new)s replaces it.", old=rec.move_id.name, new=move.name)
                )
        if rec:
            if notes:
                vals["note"] = "\n".join(filter(None, [rec.note, *notes]))
            rec.write(vals)
            return rec
        vals["note"] = "\n".join(notes) or False
        return self.create(vals)

    @api.model
    def _member_liability_note_waiting(self, company, month, rec, lock):
        """``month`` is locked beyond today: say so on its record, or on the company's last period."""
        _logger.info(
            "Points liability %s of company %s waits: locked until %s", month.strftime("%Y-%m"), company.id, lock
        )
        target = rec or self.search([("company_id", "=", company.id)], order="period desc", limit=1)
        if target:
            target._member_liability_add_note(
                self.env._(
                    "%(month)s waits: it is locked until %(lock)s, its entry is posted on the first open day.",
                    month=month.strftime("%Y-%m"),
                    lock=fields.Date.to_string(lock),
                )
            )

    @api.model
    def _member_liability_move(self, company, month, date, amount, opening_part):
        label = self.env._("Points liability %(month)s", month=month.strftime("%Y-%m"))
        lines = [
            (company.member_liability_account_id, -amount),
            (company.member_liability_opening_account_id, opening_part),
            (company.member_liability_expense_account_id, company.currency_id.round(amount - opening_part)),
        ]
        move = (
            self.env["account.move"]
            .with_company(company)
            .create(
                {
                    "move_type": "entry",
                    "company_id": company.id,
                    "journal_id": company.member_liability_journal_id.id,
                    "date": date,
                    "ref": label,
                    "line_ids": [
                        Command.create({"account_id": account.id, "name": label, "balance": balance})
                        for account, balance in lines
                        if not company.currency_id.is_zero(balance)
                    ],
                }
            )
        )
        move.action_post()
        return move

    # ------------------------------------------------------------------
    # the figures: set-based, from the moves and the journal items
    # ------------------------------------------------------------------
    @api.model
    def _member_liability_target(self, company, day):
        """{"target", "amount_pending", "points", "pending", ...} of ``company`` at ``day`` (the valuation of today)."""
        return self._member_liability_figures(company, date_utils.start_of(day, "month"), end=day)

    @api.model
    def _member_liability_figures(self, company, month, end=None):
        """The month's balances, moves by kind and target of ``company``: one statement over the moves."""
        if not company.member_point_value:
            raise UserError(
                self.env._(
                    "Points liability of %(company)s: the value per point is not set (Members settings). "
                    "It is never taken as 0.",
                    company=company.name,
                )
            )
        program = company.member_loyalty_program_id
        if not program:
            raise UserError(
                self.env._("Points liability of %(company)s: set the member points program.", company=company.name)
            )
        end = end or date_utils.end_of(month, "month")
        before = month - datetime.timedelta(days=1)
        include = company.member_liability_include_pending
        self.env["member.points.move"].flush_model()
        self.env["loyalty.card"].flush_model(["points", "program_id", "company_id"])
        row = self.env.execute_query_dict(
            SQL(
                """
                WITH cards AS (
                    SELECT c.id, c.points
                      FROM loyalty_card c
                     WHERE c.program_id = %(program)s
                       AND (c.company_id = %(company)s
                            OR (c.company_id IS NULL AND EXISTS (SELECT 1 FROM member_points_move x
                                                                  WHERE x.card_id = c.id
                                                                    AND x.company_id = %(company)s)))
                ), per_card AS (
                    -- balances of this company's moves; "ab" (all the card's moves) for the unexplained line
                    SELECT m.card_id,
                           COALESCE(SUM(m.points) FILTER (WHERE mine AND NOT m.pending AND m.date <= %(before)s), 0) ob,
                           COALESCE(SUM(m.points) FILTER (WHERE mine AND m.pending AND m.date <= %(before)s), 0) op,
                           COALESCE(SUM(m.points) FILTER (WHERE mine AND NOT m.pending AND m.date <= %(end)s), 0) cb,
                           COALESCE(SUM(m.points) FILTER (WHERE mine AND m.pending AND m.date <= %(end)s), 0) cp,
                           COALESCE(SUM(m.points) FILTER (WHERE NOT m.pending), 0) AS ab
                      FROM member_points_move m
                      JOIN cards ON cards.id = m.card_id,
                           LATERAL (SELECT m.company_id = %(company)s AS mine) t
                  GROUP BY m.card_id
                )
                SELECT COALESCE(SUM(ob), 0) AS ob, COALESCE(SUM(op), 0) AS op,
                       COALESCE(SUM(GREATEST(ob, 0)), 0) AS obp,
                       COALESCE(SUM(cb), 0) AS cb, COALESCE(SUM(cp), 0) AS cp,
                       COALESCE(SUM(GREATEST(cb, 0)), 0) AS cbp, COALESCE(SUM(GREATEST(cp, 0)), 0) AS cpp,
                       COALESCE(SUM(GREATEST(ob + op, 0)), 0) AS obt, COALESCE(SUM(GREATEST(cb + cp, 0)), 0) AS cbt,
                       COALESCE((SELECT SUM(points) FROM cards), 0) - COALESCE(SUM(ab), 0) AS unexplained
                  FROM per_card
                """,
                program=program.id,
                company=company.id,
                before=before,
                end=end,
            )
        )[0]
        domain = [
            ("company_id", "=", company.id),
            ("card_id.program_id", "=", program.id),
            ("date", ">=", month),
            ("date", "<=", end),
        ]
        if not include:
            domain.append(("pending", "=", False))
        # sudo: accountants and the cron read every member's moves to total them
        groups = self.env["member.points.move"].sudo()._read_group(domain, ["kind"], ["points:sum"])
        by_kind = dict(groups)
        value, breakage = company.member_point_value, company.member_breakage_percent
        effective = value * (1 - breakage / 100)
        currency = company.currency_id
        # with pending points: a card's pending points first cover its negative balance (Σ max(0, balance + pending))
        clamped_closing = row["cbt"] if include else row["cbp"]
        return {
            "value": value,
            "breakage": breakage,
            "include_pending": include,
            "opening": round(row["ob"] + (row["op"] if include else 0.0), 2),
            "closing": round(row["cb"] + (row["cp"] if include else 0.0), 2),
            "clamped_opening": row["obt"] if include else row["obp"],
            "clamped_closing": clamped_closing,
            "pending": round(row["cp"], 2),
            "unexplained": round(row["unexplained"], 2),
            "kinds": {kind: round(by_kind.get(kind, 0.0), 2) for kind in RECONCILED_KINDS},
            "other": round(sum(points for kind, points in by_kind.items() if kind not in RECONCILED_KINDS), 2),
            "target": currency.round(clamped_closing * effective),
            "amount_pending": currency.round(row["cpp"] * effective),
        }

    @api.model
    def _member_liability_balance(self, company, month, before=False):
        """Credit balance of the liability account for ``company`` as ``month``'s entry must see it.

        The journal items dated up to the month end, except our own entries (and their reversals), which count
        for the month they belong to whatever their date: a locked month's entry dated after the lock,
        a reversal dated the day it was made. ``before``: as at go-live (none of our entries).
        """
        periods = self.search([("company_id", "=", company.id)])
        ours = periods.move_ids | periods.move_id
        ours |= ours.reversal_move_ids
        mine = periods.filtered(lambda p: p.period < month or (p.period == month and not before))
        counted = mine.move_ids | mine.move_id
        counted |= counted.reversal_move_ids
        self.env["account.move.line"].flush_model(["balance", "account_id", "company_id", "date", "parent_state"])
        (balance,) = self.env.execute_query(
            SQL(
                """
                SELECT COALESCE(-SUM(l.balance), 0)
                  FROM account_move_line l
                 WHERE l.account_id = %(account)s AND l.company_id = %(company)s AND l.parent_state = 'posted'
                   AND ((l.date <= %(end)s AND NOT l.move_id = ANY(%(ours)s)) OR l.move_id = ANY(%(counted)s))
                """,
                account=company.member_liability_account_id.id,
                company=company.id,
                end=month - datetime.timedelta(days=1) if before else date_utils.end_of(month, "month"),
                ours=ours.ids,
                counted=counted.ids,
            )
        )[0]
        return company.currency_id.round(balance)
