"""The analytics job's RFM copy + predicted CLV at scale (scores written) vs reading the per-member summary.

Prints ratios measured side by side in one run on the same database; asserts only that the job
scored every member with a repeat-or-single purchase the summary has.

    python tests/benchmarks/bench_analytics_job.py --db DB [--members 1000000] [--addons-path PATH]

The database needs member_crm_reports installed (no demo or scale data: the data is written with
SQL by ``bench_rfm.generate``: contacts, memberships, a ledger over 18 months with refunds,
cancellations, opening and feedback entries), plus one active membership period per membership
from 600 days back (the job counts the orders made while a member). The data is committed (run
it on a throwaway database) and reused by later runs; the job's rows are deleted at the end.

Timed, side by side, each in its own transaction:

- the job's RFM and CLV steps: the month's RFM copy, the member orders read with one query,
  the BG/NBD and Gamma-Gamma fits on a 200,000-member sample, everyone scored, the scores upserted
  in batches (first run: every row inserted; second run: every row rewritten);
- the baseline: ``pd.read_sql`` of the per-member summary itself (frequency, recency, T, monetary
  in weeks), computed by PostgreSQL from the same member orders, nothing fitted or written.

Printed: the ratio with the RFM copy (it runs once a month) and without it (the weekly CLV run).
The nightly RFM refresh of member_crm (not the job's) runs once before, timed apart.
"""

import argparse
import datetime as dt
import itertools
import pathlib
import time
import warnings

from bench_rfm import BENCH_PREFIX, generate  # this folder is on sys.path when run as a script

ROOT = pathlib.Path(__file__).resolve().parents[2]


def timed(label, func, results):
    started = time.perf_counter()
    value = func()
    results[label] = time.perf_counter() - started
    print(f"{label:<60} {results[label]:9.2f} s", flush=True)
    return value


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--addons-path", default=str(ROOT))
    parser.add_argument("--members", type=int, default=1000000)
    args = parser.parse_args(argv)

    import pandas as pd

    import odoo
    from odoo import api
    from odoo.modules.registry import Registry
    from odoo.tools import SQL

    odoo.tools.config.parse_config(["-d", args.db, "--addons-path", args.addons_path, "--log-level", "warn"])
    registry = Registry(args.db)

    def vacuum(tables):
        with registry.cursor() as vacuum_cr:
            vacuum_cr._cnx.autocommit = True  # VACUUM cannot run in a transaction
            vacuum_cr._obj.execute(f"VACUUM ANALYZE {tables}")

    results = {}
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        company = env.ref("base.main_company")
        env = env(context={"allowed_company_ids": [company.id]})
        company = company.with_env(env)
        company.member_crm_enabled = True
        env.flush_all()
        today = company._member_today()
        cr.execute("SELECT COUNT(*) FROM res_partner WHERE name LIKE %s", (BENCH_PREFIX + "%",))
        missing = args.members - cr.fetchone()[0]
        if missing > 0:
            timed(
                f"generate {missing:,} members and their ledger (SQL)",
                lambda: generate(env, SQL, company.id, missing, today),
                results,
            )
        # one active period per benchmark membership (the member-order rule reads them)
        cr.execute(
            SQL(
                """
                INSERT INTO member_membership_interval (membership_id, partner_id, company_id, state, start_kind,
                                                        date_from, create_uid, create_date, write_uid, write_date)
                SELECT m.id, m.partner_id, m.company_id, 'active', 'enrolled', %(today)s::date - 600,
                       1, now(), 1, now()
                  FROM member_membership m
                 WHERE m.company_id = %(company)s AND m.number LIKE 'R%%'
                   AND NOT EXISTS (SELECT 1 FROM member_membership_interval i WHERE i.membership_id = m.id)
                """,
                today=today,
                company=company.id,
            )
        )
        cr.execute("SELECT COUNT(*) FROM member_membership WHERE company_id = %s", (company.id,))
        memberships = cr.fetchone()[0]
        cr.execute("SELECT COUNT(*) FROM member_ledger WHERE company_id = %s", (company.id,))
        print(f"memberships: {memberships:,}, ledger entries: {cr.fetchone()[0]:,}", flush=True)
        for table in ("member_clv_score", "member_rfm_month", "member_rfm"):
            cr.execute(SQL("DELETE FROM %s WHERE company_id = %s", SQL.identifier(table), company.id))
        cr.commit()
        vacuum("member_ledger, member_membership, member_membership_interval, member_rfm, member_clv_score")

        def refresh_rfm():
            env["member.rfm"]._member_rfm_refresh(company, today)
            cr.commit()

        timed("member_crm's nightly RFM refresh (setup, not the job's)", refresh_rfm, results)
        vacuum("member_ledger, member_membership, member_membership_interval, member_rfm, member_clv_score")

        Job = env["member.analytics"]

        def job(label):
            def run():
                now = env.execute_query(SQL("SELECT clock_timestamp() AT TIME ZONE 'UTC'"))[0][0]
                steps = [time.perf_counter()]
                copied = Job._member_copy_rfm(company, today)
                steps.append(time.perf_counter())
                orders = Job._member_orders_frame(company, today)
                steps.append(time.perf_counter())
                written = Job._member_write_clv(company, orders, today, now)
                cr.commit()
                steps.append(time.perf_counter())
                copy_s, read_s, clv_s = (b - a for a, b in itertools.pairwise(steps))
                results[f"{label} CLV only"] = read_s + clv_s
                print(
                    f"  {label}: rfm copied {copied:,} ({copy_s:.2f} s), orders read {len(orders):,} ({read_s:.2f} s), "
                    f"scores fitted and written {written:,} ({clv_s:.2f} s)",
                    flush=True,
                )
                return written

            return run

        first = timed("job RFM + CLV, first run (every score inserted)", job("first"), results)
        cr.execute(SQL("DELETE FROM member_rfm_month WHERE company_id = %s", company.id))  # copy again
        cr.commit()
        vacuum("member_clv_score, member_rfm_month")
        timed("job RFM + CLV, second run (every score rewritten)", job("second"), results)

        orders_sql = Job._member_orders_sql(company, today)
        end_week = (today - dt.date(1970, 1, 5)).days // 7
        baseline = SQL(
            """
            WITH w AS (
                SELECT o.partner, (o.date - DATE '1970-01-05') / 7 AS week, SUM(o.amount) AS amount
                  FROM (%(orders)s) o
              GROUP BY o.partner, week
                HAVING SUM(o.amount) > 0
            ),
            p AS (
                SELECT w.partner, COUNT(*) - 1 AS frequency, MIN(w.week) AS first, MAX(w.week) AS last,
                       SUM(w.amount) AS total, (ARRAY_AGG(w.amount ORDER BY w.week))[1] AS first_amount
                  FROM w
              GROUP BY w.partner
            )
            SELECT p.partner, p.frequency, p.last - p.first AS recency, %(end_week)s - p.first AS "T",
                   CASE WHEN p.frequency > 0 THEN (p.total - p.first_amount) / p.frequency ELSE 0 END AS monetary
              FROM p
            """,
            orders=orders_sql,
            end_week=end_week,
        )

        def read_summary():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # pandas prefers SQLAlchemy; psycopg2 works
                frame = pd.read_sql(baseline.code, cr._cnx, params=baseline.params)
            cr.rollback()
            return frame

        summary = timed("baseline: pd.read_sql of the per-member summary", read_summary, results)
        timed("baseline again", read_summary, results)
        print(f"summary rows: {len(summary):,}, scores written: {first:,}", flush=True)
        assert first == len(summary), "the job scored another set of members than the summary has"
        for table in ("member_clv_score", "member_rfm_month"):
            cr.execute(SQL("DELETE FROM %s WHERE company_id = %s", SQL.identifier(table), company.id))
        cr.commit()

    base = min(results["baseline: pd.read_sql of the per-member summary"], results["baseline again"])
    runs = [
        results["job RFM + CLV, first run (every score inserted)"],
        results["job RFM + CLV, second run (every score rewritten)"],
    ]
    print()
    clv_runs = [results["first CLV only"], results["second CLV only"]]
    print(f"job RFM + CLV (scores written) / pd.read_sql summary: {min(runs) / base:5.2f}x .. {max(runs) / base:5.2f}x")
    print(
        f"job CLV only (the monthly RFM copy left out) / summary: "
        f"{min(clv_runs) / base:5.2f}x .. {max(clv_runs) / base:5.2f}x"
    )
    print("   (goal <= 3x)")


if __name__ == "__main__":
    main()
