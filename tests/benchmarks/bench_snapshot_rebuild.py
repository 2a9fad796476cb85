"""Monthly member snapshots: the rebuild of every month (one statement) vs the nightly write, side by side.

Prints medians measured in one run (the sides alternate) and their ratios; asserts only that the figures
agree.

    python tests/benchmarks/bench_snapshot_rebuild.py --db DB [--members 100000] [--months 24] [--runs 3]

The database needs member_crm installed (no demo data). Its data is the KPI benchmark's
(``bench_reports_kpi.generate``: memberships with state periods, a gap for re-enrolled members,
tier moves up and down with grace lines, a ledger): when the database has none, it is written in
SQL and committed (use a throwaway database; ``bench_reports_kpi.py`` then reuses it). Timed, in a
transaction rolled back at the end:

- the nightly write of the current month from the memberships as they are (``_member_snapshot``);
- the nightly rebuild of the month before from the history (``_member_rebuild`` of one month);
- "Rebuild Snapshots" of ``--months`` months (``_member_rebuild``: one statement for all of them);
- the way it was before: one statement per month, each reading the whole tier history and converting
  its dates to local days (the former SQL, here computing only: it writes nothing; run with the
  rebuild's settings, JIT off and its work_mem, as the rebuild's statement is).

Checked: the rebuild's rows equal, month by month, the former per-month statement's figures; its current
month equals the nightly write but for the memberships the generator gives moves or period ends after
today (the night counts memberships as they are, a rebuild as of today).
"""

import argparse
import datetime as dt
import pathlib
import statistics
import time

from bench_reports_kpi import PREFIX, STORES, TZ, generate

ROOT = pathlib.Path(__file__).resolve().parents[2]


def former_month_sql(SQL, env, company_id, month, day, moves):
    """The figures of ``month`` as of ``day`` by the former per-month statement (no write)."""
    return SQL(
        """
        WITH hist AS (
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
        ),
        src AS (
            SELECT mem.tier_id, mem.home_config_id, p.country_id, p.state_id,
                   COUNT(*) FILTER (WHERE mem.active) AS member_count,
                   COUNT(*) FILTER (WHERE mem.member_since BETWEEN %(month)s AND %(month_end)s
                                      AND mem.member_since_unknown IS NOT TRUE) AS new_count
              FROM mem
              JOIN res_partner p ON p.id = mem.partner_id
          GROUP BY mem.tier_id, mem.home_config_id, p.country_id, p.state_id
        )
        SELECT tier_id, home_config_id, country_id, state_id, member_count, new_count
          FROM src WHERE member_count > 0 OR new_count > 0
        """,
        local_day=env["res.company"]._member_local_date_sql(SQL("h.date"), company_id),
        company=company_id,
        moves=moves,
        day=day,
        month=month,
        month_end=month_end(month),
    )


def month_end(month):
    following = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def months_between(first, last):
    month, months = first, []
    while month <= last:
        months.append(month)
        month = month_end(month) + dt.timedelta(days=1)
    return months


def rows_of(env, SQL, company_id, first, last):
    """{month: {(tier, store, country, state): (members, new)}} as stored."""
    rows = {}
    for month, *key, members, new in env.execute_query(
        SQL(
            """SELECT month, tier_id, home_config_id, country_id, state_id, member_count, new_count
                 FROM member_tier_snapshot WHERE company_id = %s AND month BETWEEN %s AND %s""",
            company_id,
            first,
            last,
        )
    ):
        rows.setdefault(month, {})[tuple(key)] = (members, new)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--addons-path", default=f"/opt/odoo19/src/addons,{ROOT}")
    parser.add_argument("--members", type=int, default=100000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)

    import odoo
    from odoo import api
    from odoo.modules.registry import Registry
    from odoo.tools import SQL

    odoo.tools.config.parse_config(["-d", args.db, "--addons-path", args.addons_path, "--log-level", "warn"])
    registry = Registry(args.db)
    from odoo.addons.member_crm.models.member_tier_history import MOVES
    from odoo.addons.member_crm.models.member_tier_snapshot import REBUILD_WORK_MEM

    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        company = env.ref("base.main_company")
        env = env(context={"allowed_company_ids": [company.id]})
        company = company.with_env(env)
        company.partner_id.tz = company.partner_id.tz or TZ
        company.member_crm_enabled = True
        tiers = env["member.tier"].search([("company_id", "=", company.id)], order="level")[:3]
        stores = env["pos.config"].search([("name", "in", STORES)])
        if not stores:
            stores = env["pos.config"].create([{"name": name, "payment_method_ids": [(6, 0, [])]} for name in STORES])
        env.flush_all()
        today = company._member_today()
        cr.execute("SELECT COUNT(*) FROM res_partner WHERE ref LIKE 'KPIB%'")
        if not cr.fetchone()[0]:
            started = time.perf_counter()
            generate(env, SQL, company, args.members, args.months, today, stores, tiers)
            env["member.membership"]._member_fill_home_config(company)
            cr.commit()
            print(f"{'generated (SQL, committed)':<60} {time.perf_counter() - started:9.1f} s", flush=True)
            with registry.cursor() as vacuum_cr:
                vacuum_cr._cnx.autocommit = True  # VACUUM cannot run in a transaction
                vacuum_cr._obj.execute("VACUUM ANALYZE")
        sizes = {}
        for table in ("member_membership", "member_membership_interval", "member_tier_history"):
            cr.execute(SQL("SELECT COUNT(*) FROM %s WHERE company_id = %s", SQL.identifier(table), company.id))
            sizes[table] = cr.fetchone()[0]
        print(", ".join(f"{table} {count:,}" for table, count in sizes.items()), f"({PREFIX.strip()} data)")

        Snapshot = env["member.tier.snapshot"]
        this_month = today.replace(day=1)
        previous = (this_month - dt.timedelta(days=1)).replace(day=1)
        first = this_month
        for _month in range(args.months - 1):
            first = (first - dt.timedelta(days=1)).replace(day=1)
        months = months_between(first, this_month)

        def nightly():
            Snapshot._member_snapshot(company)

        def nightly_previous():
            Snapshot._member_rebuild(company, previous, previous, fill_home=False)

        def rebuild():
            assert Snapshot._member_rebuild(company, first, today, fill_home=False) == len(months)

        former = {}

        def former_rebuild():
            # with the rebuild's settings (JIT off, its work_mem): the statements compared, not the settings
            settings = env.execute_query(SQL("SELECT current_setting('jit'), current_setting('work_mem')"))[0]
            env.execute_query(
                SQL("SELECT set_config('jit', 'off', true), set_config('work_mem', %s, true)", REBUILD_WORK_MEM)
            )
            for month in months:
                day = min(month_end(month), today)
                rows = env.execute_query(former_month_sql(SQL, env, company.id, month, day, MOVES))
                former[month] = {tuple(row[:4]): (row[4], row[5]) for row in rows}
            env.execute_query(SQL("SELECT set_config('jit', %s, true), set_config('work_mem', %s, true)", *settings))

        timings = {}
        runs = {"nightly": nightly, "previous": nightly_previous, "rebuild": rebuild, "former": former_rebuild}
        for func in runs.values():  # warm-up
            func()
        for _run in range(args.runs):
            for name, func in runs.items():
                started = time.perf_counter()
                func()
                timings.setdefault(name, []).append(time.perf_counter() - started)
        median = {name: statistics.median(times) for name, times in timings.items()}

        # the figures: the rebuild's equal the former statement's month by month; its current month the night's
        rebuild()
        stored = rows_of(env, SQL, company.id, first, this_month)
        assert stored == {month: rows for month, rows in former.items() if rows}, "rebuild != former per-month SQL"
        rebuilt_now = stored.get(this_month, {})
        nightly()
        nightly_now = rows_of(env, SQL, company.id, this_month, this_month).get(this_month, {})
        print(f"same figures: {sum(len(rows) for rows in stored.values()):,} rows over {len(months)} months")
        # the current month: the night counts the memberships as they are, the rebuild as of today; they
        # differ only by the memberships whose generated moves or period ends fall after today
        ((ahead,),) = env.execute_query(
            SQL(
                """SELECT COUNT(DISTINCT membership_id) FROM (
                        SELECT h.membership_id FROM member_tier_history h
                         WHERE h.company_id = %(company)s AND h.direction IN %(moves)s AND %(local_day)s > %(today)s
                         UNION ALL
                        SELECT i.membership_id FROM member_membership_interval i
                         WHERE i.company_id = %(company)s AND (i.date_from > %(today)s OR i.date_to > %(today)s)
                      ) ahead""",
                company=company.id,
                moves=MOVES,
                local_day=env["res.company"]._member_local_date_sql(SQL("h.date"), company.id),
                today=today,
            )
        )
        off = sum(
            abs(nightly_now.get(key, (0, 0))[0] - rebuilt_now.get(key, (0, 0))[0])
            for key in set(nightly_now) | set(rebuilt_now)
        )
        print(
            f"current month, nightly vs rebuild: members counted in another group or not {off:,}"
            f" (memberships with events after today: {ahead:,})"
        )
        assert off <= 2 * ahead, "rebuild and nightly differ beyond the events dated after today"

        def show(label, name):
            times = [round(t, 2) for t in timings[name]]
            print(f"  {label:<58} median {median[name]:7.2f} s {times}")

        print(f"\n{args.runs} runs each, alternated")
        show("nightly: current month from the memberships", "nightly")
        show("nightly: the month before, rebuilt from the history", "previous")
        show(f"Rebuild Snapshots: {len(months)} months, one statement", "rebuild")
        show(f"former: {len(months)} statements, one per month (no write)", "former")
        print(
            f"  ratio rebuild of {len(months)} months / nightly current month: "
            f"{median['rebuild'] / median['nightly']:.2f}x"
        )
        print(
            f"  ratio nightly (month before + current) / current month alone: "
            f"{(median['previous'] + median['nightly']) / median['nightly']:.2f}x"
        )
        print(f"  ratio former per-month / one statement: {median['former'] / median['rebuild']:.2f}x")
        cr.rollback()


if __name__ == "__main__":
    main()
