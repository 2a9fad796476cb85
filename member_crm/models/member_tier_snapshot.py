"""Monthly member snapshots: members and new members per (company, month, tier, home store, region).

Growth and tier-at-a-date over a million members must not re-aggregate the tier
history on each pivot click, so the reports read these rows. A month's rows say,
for each tier, home store and region (the member's current country and state):

- ``member_count``: the members active at the month's end (today for the current
  month) with that tier then;
- ``new_count``: the members whose ``member_since`` falls in the month (those imported
  without a known joining date are not new).

Written in SQL only (users read them): the nightly review upserts each company's
current month from the memberships as they are (``_member_snapshot``); a manager's
"Rebuild Snapshots" (``_member_rebuild``) recomputes past months from the tier
history (the tier on a day: the last move up to that day, else the tier left by the
first move after it, else the current tier) and the membership periods
(``member.membership.interval``).
"""

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from odoo.addons.base.models.ir_model import MODULE_UNINSTALL_FLAG

from .member_tier_history import MOVES


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
        return self._member_snapshot_write(company, day.replace(day=1), day, from_history=False)

    @api.model
    def _member_rebuild(self, company, date_from, date_to):
        """Recompute ``company``'s snapshots of the months from ``date_from``'s to ``date_to``'s, from the tier
        history and the membership periods (the current month as of today; later months are skipped).

        One statement per month; members without a home store get theirs first. Returns the number of months.
        """
        if not date_from or not date_to or date_from > date_to:
            raise UserError(self.env._("Choose a first month that is not after the last one."))
        today = company._member_today()
        self.env["member.membership"]._member_fill_home_config(company)
        month, last = date_from.replace(day=1), min(date_to, today).replace(day=1)
        count = 0
        while month <= last:
            self._member_snapshot_write(company, month, min(month + relativedelta(months=1, days=-1), today), True)
            month += relativedelta(months=1)
            count += 1
        return count

    @api.model
    def _member_snapshot_write(self, company, month, day, from_history):
        """Replace ``company``'s rows of ``month`` by the figures as of ``day``: one upsert statement that also
        removes the month's rows no group fills any more. ``from_history``: tiers and active members on ``day``
        from the tier history and the membership periods, else the memberships' current tier and state."""
        month_end = month + relativedelta(months=1, days=-1)
        self.env.flush_all()
        now, uid = fields.Datetime.now(), self.env.uid
        if from_history:
            mem = SQL(
                """
                hist AS (
                    SELECT h.id, h.membership_id, h.from_tier_id, h.to_tier_id, h.date, %(local_day)s AS day
                      FROM member_tier_history h
                     WHERE h.company_id = %(company)s AND h.direction IN %(moves)s
                ),
                last_before AS (
                    SELECT DISTINCT ON (membership_id) membership_id, to_tier_id
                      FROM hist WHERE day <= %(day)s
                  ORDER BY membership_id, date DESC, id DESC
                ),
                first_after AS (
                    SELECT DISTINCT ON (membership_id) membership_id, from_tier_id
                      FROM hist WHERE day > %(day)s
                  ORDER BY membership_id, date, id
                ),
                active_then AS (
                    SELECT i.membership_id
                      FROM member_membership_interval i
                     WHERE i.company_id = %(company)s AND i.state = 'active' AND i.date_from <= %(day)s
                       AND (i.date_to IS NULL OR i.date_to > %(day)s)
                ),
                mem AS (
                    SELECT m.partner_id, m.home_config_id, m.member_since, m.member_since_unknown,
                           CASE WHEN b.membership_id IS NOT NULL THEN b.to_tier_id
                                WHEN a.membership_id IS NOT NULL THEN a.from_tier_id
                                ELSE m.tier_id END AS tier_id,
                           act.membership_id IS NOT NULL AS active
                      FROM member_membership m
                 LEFT JOIN last_before b ON b.membership_id = m.id
                 LEFT JOIN first_after a ON a.membership_id = m.id
                 LEFT JOIN active_then act ON act.membership_id = m.id
                     WHERE m.company_id = %(company)s
                )""",
                local_day=self.env["res.company"]._member_local_date_sql(SQL("h.date"), company.id),
                company=company.id,
                moves=MOVES,
                day=day,
            )
        else:
            mem = SQL(
                """
                mem AS (
                    SELECT m.partner_id, m.home_config_id, m.member_since, m.member_since_unknown, m.tier_id,
                           m.state = 'active' AS active
                      FROM member_membership m
                     WHERE m.company_id = %(company)s
                )""",
                company=company.id,
            )
        saved, removed = self.env.execute_query(
            SQL(
                """
                WITH %(mem)s,
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
                mem=mem,
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
