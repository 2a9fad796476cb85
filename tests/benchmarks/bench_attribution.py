"""Campaign results refresh at scale: ours vs one hand-written window-attribution query.

Prints the times side by side and their ratio; asserts only that both attribute
the same orders to the same campaigns.

    python tests/benchmarks/bench_attribution.py --db DB [--addons-path PATH] [--members 100000]

The database needs member_crm_marketing installed. Everything is generated with
SQL inside a transaction that is rolled back: members, three overlapping
campaigns (10 % holdout), one mailing trace per member and campaign, and
``--orders`` ledger orders per member spread over 60 days. Ours does more than
the hand-written query: coupon use (reward lines), refunds and cancellations,
trace results, the recipients' and campaigns' figures. The hand-written query
only picks, per order, the latest message within 14 days and inserts the pairs
into a temporary table.
"""

import argparse
import pathlib
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]


def timed(label, func, results):
    started = time.perf_counter()
    value = func()
    results[label] = time.perf_counter() - started
    print(f"{label:<48} {results[label]:9.2f} s", flush=True)
    return value


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--addons-path", default=str(ROOT))
    parser.add_argument("--members", type=int, default=100000)
    parser.add_argument("--orders", type=int, default=3, help="ledger orders per member")
    parser.add_argument(
        "--explain", action="store_true", help="print the plan of our main statement (nightly), then stop"
    )
    args = parser.parse_args(argv)

    import odoo
    from odoo import api
    from odoo.modules.registry import Registry
    from odoo.tools import SQL

    odoo.tools.config.parse_config(["-d", args.db, "--addons-path", args.addons_path, "--log-level", "warn"])
    registry = Registry(args.db)
    results = {}
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        company = env.ref("base.main_company")
        company.member_crm_enabled = True
        env.flush_all()
        q = env.execute_query

        def setup():
            q(
                SQL(
                    """
                    CREATE TEMP TABLE bench_member AS
                    WITH ins AS (
                        INSERT INTO res_partner (name, active, autopost_bills, type, create_date, write_date)
                        SELECT 'Bench ' || g, TRUE, 'ask', 'contact', now(), now() FROM generate_series(1, %s) g
                        RETURNING id
                    ) SELECT id FROM ins
                    """,
                    args.members,
                )
            )
            q(SQL("UPDATE res_partner SET commercial_partner_id = id WHERE id IN (SELECT id FROM bench_member)"))
            mailings = env["mailing.mailing"].create(
                [
                    {
                        "subject": f"Bench {g}",
                        "mailing_model_id": env["ir.model"]._get_id("member.campaign.recipient"),
                        "body_html": "<p>Bench</p>",
                    }
                    for g in (1, 2, 3)
                ]
            )
            env.flush_all()
            q(
                SQL(
                    """
                    INSERT INTO member_campaign (name, company_id, state, campaign_type, channel, date_start,
                                                 sent_date, mailing_id, cost_fixed, cost_per_message,
                                                 holdout_percent, create_date, write_date)
                    SELECT 'Bench ' || g, %(company)s, 'running', 'exclusive', 'email',
                           TIMESTAMP '2026-01-01 04:00' + (g * 10) * INTERVAL '1 day',
                           TIMESTAMP '2026-01-01 04:00' + (g * 10) * INTERVAL '1 day',
                           (%(mailings)s)[g],
                           100, 0.05, 10, now(), now()
                      FROM generate_series(1, 3) g
                    """,
                    company=company.id,
                    mailings=mailings.ids,
                )
            )
            q(
                SQL(
                    """
                    INSERT INTO member_campaign_recipient (campaign_id, partner_id, company_id, holdout,
                                                           create_date, write_date)
                    SELECT c.id, m.id, %(company)s, (m.id + c.id) %% 10 = 0, now(), now()
                      FROM bench_member m CROSS JOIN member_campaign c WHERE c.name LIKE 'Bench %%'
                    """,
                    company=company.id,
                )
            )
            q(
                SQL(
                    """
                    INSERT INTO mailing_trace (trace_type, model, res_id, mass_mailing_id, trace_status,
                                               sent_datetime, create_date, write_date)
                    SELECT 'mail', 'member.campaign.recipient', r.id, c.mailing_id,
                           (ARRAY['sent', 'open', 'pending', 'bounce'])[1 + r.id %% 4], c.sent_date, now(), now()
                      FROM member_campaign_recipient r JOIN member_campaign c ON c.id = r.campaign_id
                     WHERE c.name LIKE 'Bench %%' AND NOT r.holdout
                    """
                )
            )
            q(
                SQL(
                    """
                    INSERT INTO member_ledger (partner_id, company_id, date, kind, amount, order_count,
                                               feedback_count, source_model, source_id, revision,
                                               create_date, write_date)
                    SELECT m.id, %(company)s, DATE '2026-01-05' + ((m.id * 7 + k * 13) %% 60), 'order',
                           50 + (m.id %% 200), 1, 0, 'pos.order', 900000000 + m.id * 10 + k, 0, now(), now()
                      FROM bench_member m CROSS JOIN generate_series(1, %(orders)s) k
                    """,
                    company=company.id,
                    orders=args.orders,
                )
            )
            cr.execute("ANALYZE member_ledger, member_campaign_recipient, mailing_trace, res_partner")

        timed("setup (SQL)", setup, results)
        campaigns = env["member.campaign"].search([("name", "like", "Bench %")])
        if args.explain:
            env["member.campaign"]._member_refresh_results(company)  # the plan of a nightly refresh
            q(SQL("DELETE FROM member_campaign_attribution WHERE company_id = %s", company.id))
            env.flush_all()
            statement = env["member.campaign"]._member_results_sql([company.id])
            for (line,) in q(SQL("EXPLAIN (ANALYZE, COSTS OFF) %s", statement)):
                print(line)
            cr.rollback()
            return

        def hand_written():
            q(
                SQL(
                    """
                    CREATE TEMP TABLE bench_pick AS
                    SELECT DISTINCT ON (l.source_model, l.source_id) l.source_model, l.source_id, r.campaign_id
                      FROM member_ledger l
                      JOIN member_campaign_recipient r ON r.partner_id = l.partner_id
                      JOIN member_campaign c ON c.id = r.campaign_id
                 LEFT JOIN mailing_trace t ON t.mass_mailing_id = c.mailing_id AND t.res_id = r.id
                                          AND t.trace_status IN ('pending', 'sent', 'open', 'reply')
                     WHERE l.kind = 'order' AND l.company_id = %(company)s AND c.id = ANY(%(campaigns)s)
                       AND (r.holdout OR t.id IS NOT NULL)
                       AND l.date BETWEEN (COALESCE(t.sent_datetime, c.sent_date))::date
                                      AND (COALESCE(t.sent_datetime, c.sent_date))::date + 14
                  ORDER BY l.source_model, l.source_id, COALESCE(t.sent_datetime, c.sent_date) DESC, c.id DESC
                    """,
                    company=company.id,
                    campaigns=campaigns.ids,
                )
            )
            return q(SQL("SELECT COUNT(*) FROM bench_pick"))[0][0]

        hand = timed("hand-written window attribution (SQL)", hand_written, results)
        timed("ours: _member_refresh_results", lambda: env["member.campaign"]._member_refresh_results(company), results)
        ours = q(
            SQL(
                """
                SELECT COUNT(*) FROM member_campaign_attribution a
                  JOIN bench_pick p ON p.source_model = a.source_model AND p.source_id = a.source_id
                                   AND p.campaign_id = a.campaign_id
                """
            )
        )[0][0]
        total = q(SQL("SELECT COUNT(*) FROM member_campaign_attribution WHERE company_id = %s", company.id))[0][0]
        print(f"attributed orders: hand-written {hand}, ours {total}, same campaign {ours}")
        assert hand == total == ours, "both must attribute the same orders to the same campaigns"
        timed(
            "ours again, nothing changed (nightly)",
            lambda: env["member.campaign"]._member_refresh_results(company),
            results,
        )
        hand_time = results["hand-written window attribution (SQL)"]
        print(
            f"ratio ours / hand-written: first {results['ours: _member_refresh_results'] / hand_time:.2f}x, "
            f"nightly {results['ours again, nothing changed (nightly)'] / hand_time:.2f}x "
            f"({args.members} members, {args.members * args.orders} orders)"
        )
        cr.rollback()


if __name__ == "__main__":
    main()
