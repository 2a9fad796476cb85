"""Monthly member snapshots: members and new members per (company, month, tier, home store, region).

Growth and tier-at-a-date over a million members must not re-aggregate the tier
history on each pivot click, so the reports read these rows. A month's rows say,
for each tier, home store and region (the member's current country and state):

- ``member_count``: the members active at the month's end (today for the current
  month) with that tier then;
- ``new_count``: the members whose ``member_since`` falls in the month (those imported
  without a known joining date are not new).

Written in SQL only (users read them): the nightly review upserts each company's
current month from the memberships as they are (``_member_snapshot``) and rebuilds
the month before from the history, so that what came after that month's last run (a
member who joined on its last evening) counts in it; a manager's "Rebuild Snapshots"
(``_member_rebuild``) recomputes every month from the tier history (the tier on a day:
the last move up to that day, else the tier left by the first move after it, else the
current tier) and the membership periods (``member.membership.interval``), all months
in one statement: each membership's active periods cut by its tier moves into pieces
(one tier, one active stretch), each piece counted +1 in the month it starts and -1 in
the month it ends, and a running sum per group over the months.
"""

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from odoo.addons.base.models.ir_model import MODULE_UNINSTALL_FLAG

from .member_tier_history import MOVES

# work_mem of the rebuild's statement (this transaction only): its sorts and hashes of the whole tier history
# and of every membership period then stay in memory
REBUILD_WORK_MEM = "64MB"


class MemberTierSnapshot(models.Model):
    _name = "member.tier.snapshot"
    _description = "Monthly Member Snapshot"
    _order = "month desc, company_id, tier_id, id"
    _rec_name = "month"
    _check_company_auto = True

    company_id = fields.Many2one("res.company", required=True, readonly=True, ondelete="cascade")
    month = fields.Date(required=True, readonly=True, help="First day of the month, in the company's time zone.")
    # cascade: a key that became NULL would collide with the row already holding NULL there; a rebuild
    # recomputes what a deleted tier or store took with it
    tier_id = fields.Many2one("member.tier", readonly=True, ondelete="cascade")
    home_config_id = fields.Many2one("pos.config", string="Home Store", readonly=True, ondelete="cascade")
    country_id = fields.Many2one("res.country", readonly=True, ondelete="cascade")
    state_id = fields.Many2one("res.country.state", readonly=True, ondelete="cascade")
    member_count = fields.Integer(
        string="Members", readonly=True, help="Active members at the month's end (today for the current month)."
    )
    new_count = fields.Integer(
        string="New Members", readonly=True, help="Members who joined in the month (imported without a date: not new)."
    )

    # the upsert's key; COALESCE: a NULL tier, store or region is one group (PostgreSQL 13 has no NULLS NOT DISTINCT)
    _key_uniq = models.UniqueIndex(
        "(company_id, month, COALESCE(tier_id, 0), COALESCE(home_config_id, 0), COALESCE(country_id, 0), "
        "COALESCE(state_id, 0))"
    )

    @api.model_create_multi
    def create(self, vals_list):
        if vals_list:
            self.check_access("create")  # a user without the right gets the access error first
            raise UserError(self.env._("Member snapshots are written by the nightly review and by a rebuild only."))
        return super().create(vals_list)

    def write(self, vals):
        if self:
            self.check_access("write")
            raise UserError(self.env._("Member snapshots cannot be changed: rebuild them instead."))
        return super().write(vals)

    @api.ondelete(at_uninstall=True)
    def _unlink_never(self):
        if not self.env.context.get(MODULE_UNINSTALL_FLAG):
            raise UserError(self.env._("Member snapshots cannot be deleted: rebuild them instead."))

    # ------------------------------------------------------------------
    # the writer (SQL)
    # ------------------------------------------------------------------
    @api.model
    def _member_snapshot(self, company, day=None):
        """Upsert ``company``'s snapshot of the month of ``day`` (by default its today) from the memberships as
        they are now: the nightly review's last step. Returns (rows written, stale rows removed)."""
        day = day or company._member_today()
        return self._member_snapshot_write(company, day.replace(day=1))

    @api.model
    def _member_rebuild(self, company, date_from, date_to, fill_home=True):
        """Recompute ``company``'s snapshots of the months from ``date_from``'s to ``date_to``'s, from the tier
        history and the membership periods (the current month as of today; later months are skipped).

        One statement for all the months (``_member_rebuild_write``); members without a home store get theirs
        first unless ``fill_home`` is false (the nightly review has just filled them). Returns the number of
        months.
        """
        if not date_from or not date_to or date_from > date_to:
            raise UserError(self.env._("Choose a first month that is not after the last one."))
        today = company._member_today()
        first, last = date_from.replace(day=1), min(date_to, today).replace(day=1)
        if first > last:
            return 0
        if fill_home:
            self.env["member.membership"]._member_fill_home_config(company)
        self._member_rebuild_write(company, first, last, today)
        return (last.year - first.year) * 12 + last.month - first.month + 1

    @api.model
    def _member_rebuild_write(self, company, first, last, today):
        """Replace ``company``'s rows of the months ``first`` to ``last`` (first days) by the figures from the
        tier history and the membership periods, each month as of its last day (``today`` for the current one):
        one statement, whatever the number of months. Returns (rows written, stale rows removed).

        The tier of a membership is a function of the day made of segments: before its first move the tier
        that move left, from each move's (local) day until the next move's day the tier it reached, no move:
        the current tier. Its active periods cut by these segments give pieces ``[p_from, p_to)`` (one tier,
        active throughout); a piece counts in the months whose day falls in it: +1 from the month holding
        ``p_from``, -1 from the month holding ``p_to`` (before the first month: the first month; after the
        last day: never), and a running sum per group and month gives the members. The history is read and
        its dates converted to local days once, not once per month.
        """
        last_day = min(last + relativedelta(months=1, days=-1), today)
        self.env.flush_all()
        now, uid = fields.Datetime.now(), self.env.uid
        # compiling this statement (JIT) costs more than the run of a month itself; the settings are restored after
        jit, work_mem = self.env.execute_query(SQL("SELECT current_setting('jit'), current_setting('work_mem')"))[0]
        self.env.execute_query(
            SQL("SELECT set_config('jit', 'off', true), set_config('work_mem', %s, true)", REBUILD_WORK_MEM)
        )
        saved, removed = self.env.execute_query(
            SQL(
                """
                WITH months AS (
                    SELECT gs::date AS month, LEAST((gs + INTERVAL '1 month - 1 day')::date, %(today)s::date) AS day
                      FROM generate_series(%(first)s::date, %(last)s::date, INTERVAL '1 month') gs
                ),
                hist AS (
                    SELECT membership_id, from_tier_id, to_tier_id, day,
                           ROW_NUMBER() OVER w AS seq, LEAD(day) OVER w AS next_day
                      FROM (SELECT h.id, h.membership_id, h.from_tier_id, h.to_tier_id, h.date, %(local_day)s AS day
                              FROM member_tier_history h
                             WHERE h.company_id = %(company)s AND h.direction IN %(moves)s) moved
                    WINDOW w AS (PARTITION BY membership_id ORDER BY day, date, id)
                ),
                seg AS (
                    -- [seg_from, seg_to), NULL: open; the tier a move reached until the next move's day, and before
                    -- the first move the tier it left (a membership that never moved has none: its current tier);
                    -- those over before the first month count in none
                    SELECT hist.membership_id, s.tier_id, s.seg_from, s.seg_to
                      FROM hist
                CROSS JOIN LATERAL (VALUES (hist.to_tier_id, hist.day, hist.next_day),
                                           (hist.from_tier_id, NULL, hist.day)) s(tier_id, seg_from, seg_to)
                     WHERE (s.seg_from IS NOT NULL OR hist.seq = 1) AND (s.seg_to IS NULL OR s.seg_to > %(first)s)
                ),
                piece AS (
                    -- an active period cut by the segments (periods of a membership never overlap)
                    SELECT i.membership_id, s.membership_id IS NOT NULL AS moved, s.tier_id,
                           GREATEST(i.date_from, s.seg_from) AS p_from, LEAST(i.date_to, s.seg_to) AS p_to
                      FROM member_membership_interval i
                 LEFT JOIN seg s ON s.membership_id = i.membership_id
                                AND (s.seg_to IS NULL OR s.seg_to > i.date_from)
                                AND (s.seg_from IS NULL OR i.date_to IS NULL OR s.seg_from < i.date_to)
                     WHERE i.company_id = %(company)s AND i.state = 'active'
                       AND i.date_from <= %(last_day)s AND (i.date_to IS NULL OR i.date_to > %(first)s)
                ),
                counted AS (
                    SELECT piece.membership_id, piece.moved, piece.tier_id,
                           GREATEST(date_trunc('month', e.at::timestamp)::date, %(first)s::date) AS month,
                           e.step, 0 AS new
                      FROM piece
                CROSS JOIN LATERAL (VALUES (piece.p_from, 1), (piece.p_to, -1)) e(at, step)
                     WHERE (piece.p_to IS NULL OR piece.p_to > piece.p_from)
                       AND e.at IS NOT NULL AND e.at <= %(last_day)s
                     UNION ALL
                    -- the members who joined in a month, on their tier at its day
                    SELECT m.id, s.membership_id IS NOT NULL, s.tier_id, mo.month, 0, 1
                      FROM member_membership m
                      JOIN months mo ON mo.month = date_trunc('month', m.member_since::timestamp)::date
                 LEFT JOIN seg s ON s.membership_id = m.id
                                AND (s.seg_from IS NULL OR s.seg_from <= mo.day)
                                AND (s.seg_to IS NULL OR s.seg_to > mo.day)
                     WHERE m.company_id = %(company)s AND m.member_since_unknown IS NOT TRUE
                ),
                summed AS (
                    SELECT COALESCE(CASE WHEN c.moved THEN c.tier_id ELSE m.tier_id END, 0) AS tier,
                           COALESCE(m.home_config_id, 0) AS store, COALESCE(p.country_id, 0) AS country,
                           COALESCE(p.state_id, 0) AS region, c.month, SUM(c.step) AS step, SUM(c.new) AS new
                      FROM counted c
                      JOIN member_membership m ON m.id = c.membership_id
                      JOIN res_partner p ON p.id = m.partner_id
                     WHERE m.company_id = %(company)s
                  GROUP BY 1, 2, 3, 4, 5
                ),
                src AS (
                    -- every group in every month: the running sum of its steps
                    SELECT g.tier, g.store, g.country, g.region, mo.month,
                           SUM(COALESCE(s.step, 0)) OVER (PARTITION BY g.tier, g.store, g.country, g.region
                                                              ORDER BY mo.month)::int AS member_count,
                           COALESCE(s.new, 0)::int AS new_count
                      FROM (SELECT DISTINCT tier, store, country, region FROM summed) g
                CROSS JOIN months mo
                 LEFT JOIN summed s ON s.tier = g.tier AND s.store = g.store AND s.country = g.country
                                   AND s.region = g.region AND s.month = mo.month
                ),
                saved AS (
                    INSERT INTO member_tier_snapshot (company_id, month, tier_id, home_config_id, country_id, state_id,
                                                      member_count, new_count,
                                                      create_uid, create_date, write_uid, write_date)
                    SELECT %(company)s, src.month, NULLIF(src.tier, 0), NULLIF(src.store, 0), NULLIF(src.country, 0),
                           NULLIF(src.region, 0), src.member_count, src.new_count, %(uid)s, %(now)s, %(uid)s, %(now)s
                      FROM src
                     WHERE src.member_count > 0 OR src.new_count > 0
                        ON CONFLICT (company_id, month, COALESCE(tier_id, 0), COALESCE(home_config_id, 0),
                                     COALESCE(country_id, 0), COALESCE(state_id, 0))
                        DO UPDATE SET member_count = EXCLUDED.member_count, new_count = EXCLUDED.new_count,
                                      write_uid = EXCLUDED.write_uid, write_date = EXCLUDED.write_date
                 RETURNING id
                ),
                stale AS (
                    DELETE FROM member_tier_snapshot s
                     WHERE s.company_id = %(company)s AND s.month BETWEEN %(first)s AND %(last)s
                       AND s.id NOT IN (SELECT id FROM saved)
                 RETURNING s.id
                )
                SELECT (SELECT COUNT(*) FROM saved), (SELECT COUNT(*) FROM stale)
                """,
                local_day=self.env["res.company"]._member_local_date_sql(SQL("h.date"), company.id),
                company=company.id,
                moves=MOVES,
                first=first,
                last=last,
                last_day=last_day,
                today=today,
                uid=uid,
                now=now,
            )
        )[0]
        self.env.execute_query(
            SQL("SELECT set_config('jit', %s, true), set_config('work_mem', %s, true)", jit, work_mem)
        )
        self.invalidate_model()
        return saved, removed

    @api.model
    def _member_snapshot_write(self, company, month):
        """Replace ``company``'s rows of ``month`` by the memberships' current tier and state: one upsert
        statement that also removes the month's rows no group fills any more."""
        month_end = month + relativedelta(months=1, days=-1)
        self.env.flush_all()
        now, uid = fields.Datetime.now(), self.env.uid
        saved, removed = self.env.execute_query(
            SQL(
                """
                WITH mem AS (
                    SELECT m.partner_id, m.home_config_id, m.member_since, m.member_since_unknown, m.tier_id,
                           m.state = 'active' AS active
                      FROM member_membership m
                     WHERE m.company_id = %(company)s
                ),
                src AS (
                    SELECT mem.tier_id, mem.home_config_id, p.country_id, p.state_id,
                           COUNT(*) FILTER (WHERE mem.active) AS member_count,
                           COUNT(*) FILTER (WHERE mem.member_since BETWEEN %(month)s AND %(month_end)s
                                              AND mem.member_since_unknown IS NOT TRUE) AS new_count
                      FROM mem
                      JOIN res_partner p ON p.id = mem.partner_id
                  GROUP BY mem.tier_id, mem.home_config_id, p.country_id, p.state_id
                ),
                saved AS (
                    INSERT INTO member_tier_snapshot (company_id, month, tier_id, home_config_id, country_id, state_id,
                                                      member_count, new_count,
                                                      create_uid, create_date, write_uid, write_date)
                    SELECT %(company)s, %(month)s, src.tier_id, src.home_config_id, src.country_id, src.state_id,
                           src.member_count, src.new_count, %(uid)s, %(now)s, %(uid)s, %(now)s
                      FROM src
                     WHERE src.member_count > 0 OR src.new_count > 0
                        ON CONFLICT (company_id, month, COALESCE(tier_id, 0), COALESCE(home_config_id, 0),
                                     COALESCE(country_id, 0), COALESCE(state_id, 0))
                        DO UPDATE SET member_count = EXCLUDED.member_count, new_count = EXCLUDED.new_count,
                                      write_uid = EXCLUDED.write_uid, write_date = EXCLUDED.write_date
                 RETURNING id
                ),
                stale AS (
                    DELETE FROM member_tier_snapshot s
                     WHERE s.company_id = %(company)s AND s.month = %(month)s
                       AND s.id NOT IN (SELECT id FROM saved)
                 RETURNING s.id
                )
                SELECT (SELECT COUNT(*) FROM saved), (SELECT COUNT(*) FROM stale)
                """,
                company=company.id,
                month=month,
                month_end=month_end,
                uid=uid,
                now=now,
            )
        )[0]
        self.invalidate_model()
        return saved, removed

    # ------------------------------------------------------------------
    # the managers' button
    # ------------------------------------------------------------------
    def action_member_rebuild(self):
        """Rebuild Snapshots: every month since the first membership period, in the selected companies."""
        if not self.env.user.has_group("member_crm.group_member_crm_manager"):
            raise AccessError(self.env._("Only a member manager can rebuild the member snapshots."))
        companies = self.env.companies.filtered("member_crm_enabled")
        self.env["member.membership.interval"].flush_model(["company_id", "date_from"])
        starts = dict(
            self.env.execute_query(
                SQL(
                    """SELECT company_id, MIN(date_from) FROM member_membership_interval
                        WHERE company_id = ANY(%s) GROUP BY company_id""",
                    companies.ids,
                )
            )
        )
        months = 0
        for company in companies.filtered(lambda c: c.id in starts):
            months += self._member_rebuild(company, starts[company.id], company._member_today())
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._("%(months)s monthly snapshots rebuilt.", months=months),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }
