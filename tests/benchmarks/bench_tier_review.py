"""Tier review at scale: ours vs a hand-written SQL aggregate + update vs a naive ORM loop.

Prints ratios measured side by side in one run on the same database; asserts
only that our review and the hand-written SQL give the same tiers.

    python tests/benchmarks/bench_tier_review.py --db DB [--addons-path PATH] [--sample 2000]

The database needs the addons and scale data (scale_data.py). The benchmark
enables membership in the company of the scale data, enrols every demo
contact and backfills the ledger with SQL, all inside a transaction that is
rolled back at the end: the database is left as it was. With
``--commit-setup`` the enrolment and the ledger are committed instead (the
reviews are still rolled back), so that later runs skip the setup (at a
million members the backfill takes about ten minutes) and read a vacuumed
ledger, as a production review does.
"""

import argparse
import pathlib
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]


def timed(label, func, results):
    started = time.perf_counter()
    value = func()
    results[label] = time.perf_counter() - started
    print(f"{label:<44} {results[label]:9.2f} s", flush=True)
    return value


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--addons-path", default=str(ROOT))
    parser.add_argument("--sample", type=int, default=2000, help="members of the naive ORM loop")
    parser.add_argument("--batch", type=int, default=50000)
    parser.add_argument("--commit-setup", action="store_true", help="commit enrolment and ledger for later runs")
    args = parser.parse_args(argv)

    import odoo
    from odoo import api
    from odoo.modules.registry import Registry
    from odoo.tools import SQL

    odoo.tools.config.parse_config(["-d", args.db, "--addons-path", args.addons_path, "--log-level", "warn"])
    registry = Registry(args.db)
    from odoo.addons.member_crm.tools.trusted import MEMBERSHIP_WRITE, trusted  # once the addons path is set

    results = {}
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        company = env.ref("base.main_company")
        env = env(context={"allowed_company_ids": [company.id]})
        company = company.with_env(env)
        company.member_crm_enabled = True
        tiers = env["member.tier"].search([("company_id", "=", company.id)])
        entry = tiers.filtered(lambda t: t.level == min(tiers.mapped("level")))
        env.flush_all()
        members = timed(
            "enrol every contact (SQL)",
            lambda: env.execute_query(
                SQL(
                    """
                    INSERT INTO member_membership (partner_id, company_id, number, state, member_since, tier_id,
                                                   tier_level, create_uid, create_date, write_uid, write_date)
                    SELECT p.id, %(company)s, 'B' || p.id, 'active', CURRENT_DATE, %(entry)s, %(level)s,
                           1, now(), 1, now()
                      FROM res_partner p
                     WHERE p.ref LIKE 'MCRM-DEMO-%%'
                       AND NOT EXISTS (SELECT 1 FROM member_membership m
                                        WHERE m.partner_id = p.id AND m.company_id = %(company)s)
                    RETURNING id
                    """,
                    company=company.id,
                    entry=entry.id,
                    level=entry.level,
                )
            ),
            results,
        )
        print(f"members: {len(members)}")
        cr.execute("SELECT COUNT(*) FROM member_ledger WHERE company_id = %s", (company.id,))
        committed = cr.fetchone()[0]
        if committed and not members:
            print(f"ledger entries: {committed} (committed by an earlier --commit-setup run; no backfill)")
        else:
            entries = timed(
                "backfill the ledger (INSERT ... SELECT)",
                lambda: env["member.ledger"]._member_backfill(company),
                results,
            )
            print(f"ledger entries: {entries}")
        if args.commit_setup:
            cr.commit()
            with registry.cursor() as vacuum_cr:
                vacuum_cr._cnx.autocommit = True  # VACUUM cannot run in a transaction
                vacuum_cr._obj.execute("VACUUM ANALYZE member_ledger, member_ledger_line, member_membership")
            print("setup committed and vacuumed", flush=True)
        else:
            cr.execute("ANALYZE member_ledger; ANALYZE member_ledger_line; ANALYZE member_membership;")
        as_of = odoo.fields.Date.context_today(env["res.partner"])
        start, stop = env["member.membership"]._member_windows([company.id], as_of)[company.id]

        cr.execute("SAVEPOINT before_review")
        timed(
            "our review (engine + batch writes + history)",
            lambda: env["member.membership"]._member_review_run(as_of=as_of, batch_size=args.batch),
            results,
        )
        env.flush_all()
        cr.execute("SELECT id, tier_id FROM member_membership WHERE company_id = %s ORDER BY id", (company.id,))
        ours = dict(cr.fetchall())
        timed(
            "our review again, nothing to change (daily)",
            lambda: env["member.membership"]._member_review_run(as_of=as_of, batch_size=args.batch),
            results,
        )
        cr.execute("ROLLBACK TO SAVEPOINT before_review")
        env.invalidate_all()

        ladder = SQL(", ").join(
            SQL("(%s, %s, %s::numeric, %s)", t.id, t.level, t.min_spend, t.min_orders)
            for t in tiers
            if not t.invitation_only
        )

        def hand_sql_run(same_rows=False):
            # same_rows: the same rows as the review writes (tier, level, dates, and one history line per move)
            write = (
                SQL(
                    """,
                moved AS (
                    UPDATE member_membership m
                       SET tier_id = target.tier_id, tier_level = target.level, tier_since = %(day)s,
                           grace_since = NULL, write_uid = 1, write_date = now()
                      FROM target WHERE m.id = target.id AND m.tier_id IS DISTINCT FROM target.tier_id
                 RETURNING m.id, m.partner_id, m.company_id, target.old_tier_id, target.tier_id, target.level,
                           target.old_level
                )
                INSERT INTO member_tier_history (membership_id, partner_id, company_id, from_tier_id, to_tier_id,
                                                 direction, trigger, date, user_id,
                                                 create_uid, create_date, write_uid, write_date)
                SELECT id, partner_id, company_id, old_tier_id, tier_id,
                       CASE WHEN level > old_level THEN 'up' ELSE 'down' END, 'review', now(), 1,
                       1, now(), 1, now()
                  FROM moved
                    """,
                    day=as_of,
                )
                if same_rows
                else SQL(
                    """
                UPDATE member_membership m SET tier_id = target.tier_id
                  FROM target WHERE m.id = target.id AND m.tier_id IS DISTINCT FROM target.tier_id
                    """
                )
            )
            query = SQL(
                """
                WITH ladder(tier_id, level, min_spend, min_orders) AS (VALUES %(ladder)s),
                agg AS (
                    SELECT l.partner_id, SUM(l.amount) AS spend, SUM(l.order_count) AS orders
                      FROM member_ledger l
                     WHERE l.company_id = %(company)s AND l.date BETWEEN %(start)s AND %(stop)s
                  GROUP BY l.partner_id
                ),
                best AS (
                    SELECT m.id, m.tier_id AS old_tier_id, m.tier_level AS old_level,
                           (SELECT ARRAY[ladder.tier_id, ladder.level] FROM ladder
                             WHERE COALESCE(agg.spend, 0) >= ladder.min_spend
                               AND COALESCE(agg.orders, 0) >= ladder.min_orders
                          ORDER BY ladder.level DESC LIMIT 1) AS pick
                      FROM member_membership m
                 LEFT JOIN agg ON agg.partner_id = m.partner_id
                     WHERE m.company_id = %(company)s AND m.state = 'active'
                ),
                target AS (
                    SELECT id, old_tier_id, old_level, pick[1] AS tier_id, pick[2] AS level FROM best
                )
                %(write)s
                """,
                write=write,
                ladder=ladder,
                company=company.id,
                start=start,
                stop=stop,
            )
            env.execute_query(query)

        cr.execute("SAVEPOINT before_hand")
        timed("hand-written SQL aggregate + update", hand_sql_run, results)
        cr.execute("SELECT id, tier_id FROM member_membership WHERE company_id = %s ORDER BY id", (company.id,))
        hand = dict(cr.fetchall())
        timed("hand-written SQL again, nothing to change", hand_sql_run, results)
        cr.execute("ROLLBACK TO SAVEPOINT before_hand")
        cr.execute("SAVEPOINT before_same_rows")
        timed("hand-written SQL, same rows (+ history)", lambda: hand_sql_run(same_rows=True), results)
        cr.execute("SELECT id, tier_id FROM member_membership WHERE company_id = %s ORDER BY id", (company.id,))
        same_rows = dict(cr.fetchall())
        cr.execute("ROLLBACK TO SAVEPOINT before_same_rows")
        env.invalidate_all()
        assert same_rows == hand, "the two hand-written variants choose the same tiers"

        differ = [mid for mid in ours if ours[mid] != hand.get(mid)]
        assert not differ, f"{len(differ)} memberships differ, e.g. {differ[:5]}"
        print(f"same tiers: {len(ours)} memberships", flush=True)

        sample_ids = sorted(ours)[: args.sample]

        def naive_orm():
            Ledger = env["member.ledger"]
            rules = sorted((t for t in tiers if not t.invitation_only), key=lambda t: t.level)
            for membership in env["member.membership"].browse(sample_ids):
                entries = Ledger.search(
                    [
                        ("partner_id", "=", membership.partner_id.id),
                        ("company_id", "=", company.id),
                        ("date", ">=", start),
                        ("date", "<=", stop),
                    ]
                )
                spend, orders = sum(entries.mapped("amount")), sum(entries.mapped("order_count"))
                best = next(t for t in reversed(rules) if spend >= t.min_spend and orders >= t.min_orders)
                if membership.tier_id != best:
                    # tier fields are guarded: only code that flags the write may set them
                    membership.with_context(**trusted(MEMBERSHIP_WRITE)).tier_id = best
            env.flush_all()

        cr.execute("SAVEPOINT before_naive")
        timed(f"naive ORM loop on {len(sample_ids)} members", naive_orm, results)
        cr.execute("ROLLBACK TO SAVEPOINT before_naive")
        cr.rollback()

    n = len(ours)
    ours_s = results["our review (engine + batch writes + history)"]
    ratio = ours_s / results["hand-written SQL aggregate + update"]
    naive_full = results[f"naive ORM loop on {len(sample_ids)} members"] / max(1, len(sample_ids)) * n
    print()
    print(f"review / hand-written SQL:          {ratio:5.2f}x   (the SQL writes the tier only, no history)")
    like = ours_s / results["hand-written SQL, same rows (+ history)"]
    print(f"review / hand-written SQL, same rows: {like:5.2f}x (goal <= 1.5x: tier, level, dates, history line)")
    daily = (
        results["our review again, nothing to change (daily)"] / results["hand-written SQL again, nothing to change"]
    )
    print(f"daily review / hand-written SQL:    {daily:5.2f}x   (second run, nothing to change)")
    print(f"naive ORM (extrapolated) / review:  {naive_full / ours_s:5.1f}x")
    print(f"members reviewed per second (ours): {n / ours_s:,.0f}")


if __name__ == "__main__":
    main()
