"""Recommendations at scale: the nightly refresh vs one hand-written SQL co-occurrence aggregate.

Prints the times and their ratio, measured side by side in one run on the same data; checks that
both give the same top 10 (products and scores) for a sample of members.

    python tests/benchmarks/bench_recommendations.py --db DB [--members 100000] [--sample 1000]

Needs a database with member_crm_marketing. Everything happens in one transaction that is rolled
back: the database is left as it was. The data is written with SQL (rows cloned from one partner,
one membership, one confirmed sale order with its line and one product made with the ORM):
``--products`` products in themes of 20; per member ``--orders`` confirmed sale orders of 3 products
of a theme, 40 to 340 days ago, never the same product twice for a member. So no product is due for
replenishment and no promotion runs: the refresh's top 10 is the co-occurrence top 10 that the
hand-written aggregate computes (support >= 3, cosine, mean over the member's products, ties by
product id), and the two can be compared row for row.
"""

import argparse
import pathlib
import time

from bench_common import clone_sql

ROOT = pathlib.Path(__file__).resolve().parents[2]
THEME = 20


def timed(label, func, results):
    started = time.perf_counter()
    value = func()
    elapsed = time.perf_counter() - started
    results.setdefault(label, []).append(elapsed)
    print(f"{label:<48} {elapsed:9.2f} s", flush=True)
    return value


def reference_query(company_id, today, since):
    """The hand-written aggregate: co-occurrence top 10 of the members' confirmed sale orders."""
    from odoo.tools import SQL

    return SQL(
        """
        CREATE TEMP TABLE bench_reference AS
        WITH items AS (
            SELECT DISTINCT rp.commercial_partner_id AS member, so.id AS basket, sol.product_id
              FROM sale_order so
              JOIN res_partner rp ON rp.id = so.partner_id
              JOIN member_membership mm ON mm.partner_id = rp.commercial_partner_id
                                       AND mm.company_id = %(company)s AND mm.state = 'active'
              JOIN sale_order_line sol ON sol.order_id = so.id
             WHERE so.company_id = %(company)s AND so.state = 'sale' AND so.date_order >= %(since)s
        ),
        item_count AS (SELECT product_id, COUNT(*) AS n FROM items GROUP BY product_id),
        similarity AS (
            SELECT a.product_id AS i, b.product_id AS j,
                   COUNT(*) / sqrt(MIN(ci.n)::float8 * MIN(cj.n)) AS cosine
              FROM items a
              JOIN items b ON b.basket = a.basket AND b.product_id <> a.product_id
              JOIN item_count ci ON ci.product_id = a.product_id
              JOIN item_count cj ON cj.product_id = b.product_id
             GROUP BY a.product_id, b.product_id
            HAVING COUNT(*) >= 3
        ),
        history AS (SELECT DISTINCT member, product_id FROM items),
        history_size AS (SELECT member, COUNT(*) AS n FROM history GROUP BY member),
        scores AS (
            SELECT h.member, s.j AS product_id, ROUND((SUM(s.cosine) / MIN(hs.n))::numeric, 6) AS score
              FROM history h
              JOIN similarity s ON s.i = h.product_id
              JOIN history_size hs ON hs.member = h.member
             WHERE NOT EXISTS (SELECT 1 FROM history o WHERE o.member = h.member AND o.product_id = s.j)
             GROUP BY h.member, s.j
        )
        SELECT member, product_id, score, rank FROM (
            SELECT scores.*, ROW_NUMBER() OVER (PARTITION BY member ORDER BY score DESC, product_id) AS rank
              FROM scores) ranked
         WHERE rank <= 10
        """,
        company=company_id,
        since=since,
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--addons-path", default=str(ROOT))
    parser.add_argument("--members", type=int, default=100000)
    parser.add_argument("--products", type=int, default=2000)
    parser.add_argument("--orders", type=int, default=3, choices=(1, 2, 3, 4, 5, 6))
    parser.add_argument("--sample", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2, help="timed runs of each, alternating")
    args = parser.parse_args(argv)

    import odoo
    from odoo import api
    from odoo.modules.registry import Registry
    from odoo.tools import SQL

    odoo.tools.config.parse_config(["-d", args.db, "--addons-path", args.addons_path, "--log-level", "warn"])
    registry = Registry(args.db)
    # after the configuration: the addons path makes the addon importable
    from odoo.addons.member_crm_marketing.models.member_recommendation import RECOMMEND_WORK_MEM

    results = {}
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        company = env.ref("base.main_company")
        env = env(context={"allowed_company_ids": [company.id]})
        company = company.with_env(env)
        company.member_crm_enabled = True
        today = company._member_today()
        # the templates, through the ORM
        product = env["product.product"].create({"name": "Bench product", "type": "consu", "list_price": 10.0})
        partner = env["res.partner"].create({"name": "Bench member"})
        partner.action_member_enroll()
        membership = env["member.membership"].search([("partner_id", "=", partner.id)])
        order = env["sale.order"].create(
            {"partner_id": partner.id, "order_line": [(0, 0, {"product_id": product.id, "product_uom_qty": 1})]}
        )
        order.action_confirm()
        env.flush_all()
        # the data, through SQL
        n_members, n_products, n_orders = args.members, args.products, args.orders

        def run(query):
            started = time.perf_counter()
            env.execute_query(query)
            print(f"    {query.code.split()[2][:40]:<44} {time.perf_counter() - started:9.2f} s", flush=True)

        def setup():
            # no foreign-key triggers while the rows are cloned (their references are valid by construction)
            run(SQL("SET LOCAL session_replication_role = replica"))
            run(
                clone_sql(
                    env,
                    "product_template",
                    product.product_tmpl_id.id,
                    {"name": SQL("jsonb_build_object('en_US', 'Bench product ' || g)")},
                    SQL("generate_series(1, %s) g", n_products),
                )
            )
            run(
                SQL(
                    """CREATE TEMP TABLE bench_product AS
                       SELECT ROW_NUMBER() OVER (ORDER BY id) - 1 AS k, id AS tmpl FROM product_template
                        WHERE id > %s ORDER BY id""",
                    product.product_tmpl_id.id,
                )
            )
            run(
                clone_sql(
                    env,
                    "product_product",
                    product.id,
                    {"product_tmpl_id": SQL("bp.tmpl")},
                    SQL("bench_product bp"),
                )
            )
            run(
                SQL(
                    """ALTER TABLE bench_product ADD COLUMN pid int;
                       UPDATE bench_product bp SET pid = pp.id
                         FROM product_product pp WHERE pp.product_tmpl_id = bp.tmpl;
                       CREATE INDEX ON bench_product (k)"""
                )
            )
            run(
                clone_sql(
                    env,
                    "res_partner",
                    partner.id,
                    {
                        "name": SQL("'Bench member ' || g"),
                        "complete_name": SQL("'Bench member ' || g"),
                        "ref": SQL("'BENCH-' || g"),
                    },
                    SQL("generate_series(1, %s) g", n_members),
                )
            )
            run(
                SQL(
                    """UPDATE res_partner SET commercial_partner_id = id WHERE ref LIKE 'BENCH-%%';
                       CREATE TEMP TABLE bench_member AS
                       SELECT substr(ref, 7)::int AS m, id AS pid FROM res_partner WHERE ref LIKE 'BENCH-%%'"""
                )
            )
            run(
                clone_sql(
                    env,
                    "member_membership",
                    membership.id,
                    {"partner_id": SQL("bm.pid"), "number": SQL("'BENCH-' || bm.m")},
                    SQL("bench_member bm"),
                )
            )
            # order k of member m: theme (m + 37 k) mod themes, positions (7 (m div themes) + 3 k + j) mod 20:
            # distinct themes for k < 6, and every start position in each theme
            themes = max(1, n_products // THEME)
            run(
                SQL(
                    """CREATE TEMP TABLE bench_order AS
                       SELECT bm.m, bm.pid, k,
                              (%(today)s::date - (40 + (bm.m * 13 + k * 97) %% 300))::timestamp + interval '12 hours'
                                  AS date_order,
                              ((bm.m + 37 * k) %% %(themes)s) * %(theme)s AS theme_start
                         FROM bench_member bm, generate_series(0, %(orders)s - 1) k""",
                    today=today,
                    themes=themes,
                    theme=THEME,
                    orders=n_orders,
                )
            )
            run(
                clone_sql(
                    env,
                    "sale_order",
                    order.id,
                    {
                        "name": SQL("'BENCH/' || bo.m || '/' || bo.k"),
                        "partner_id": SQL("bo.pid"),
                        "partner_invoice_id": SQL("bo.pid"),
                        "partner_shipping_id": SQL("bo.pid"),
                        "date_order": SQL("bo.date_order"),
                    },
                    SQL("bench_order bo"),
                )
            )
            run(
                SQL(
                    """ALTER TABLE bench_order ADD COLUMN oid int;
                       UPDATE bench_order bo SET oid = so.id FROM sale_order so
                        WHERE so.name = 'BENCH/' || bo.m || '/' || bo.k"""
                )
            )
            run(
                clone_sql(
                    env,
                    "sale_order_line",
                    order.order_line.id,
                    {"order_id": SQL("bo.oid"), "product_id": SQL("bp.pid")},
                    SQL(
                        """bench_order bo CROSS JOIN generate_series(0, 2) j
                           JOIN bench_product bp
                             ON bp.k = bo.theme_start + (7 * (bo.m / %s) + 3 * bo.k + j) %% %s""",
                        themes,
                        THEME,
                    ),
                )
            )
            run(SQL("SET LOCAL session_replication_role = DEFAULT"))
            run(SQL("ANALYZE sale_order; ANALYZE sale_order_line; ANALYZE member_membership"))
            run(SQL("ANALYZE res_partner; ANALYZE product_product; ANALYZE product_template"))
            env.invalidate_all()

        timed(f"data: {n_members} members x {n_orders} orders x 3 lines (SQL)", setup, results)
        counts = env.execute_query(
            SQL(
                """SELECT (SELECT COUNT(*) FROM member_membership WHERE company_id = %(company)s AND state = 'active'),
                          (SELECT COUNT(*) FROM sale_order WHERE company_id = %(company)s AND state = 'sale'),
                          (SELECT COUNT(*) FROM sale_order_line sol JOIN sale_order so ON so.id = sol.order_id
                            WHERE so.company_id = %(company)s AND so.state = 'sale')""",
                company=company.id,
            )
        )
        print("active memberships, confirmed sale orders, their lines: {}, {}, {}".format(*counts[0]))
        Recommendation = env["member.recommendation"]
        since = today.replace(year=today.year - 1)

        def reference():
            # the settings the refresh gives its own statements (JIT off, RECOMMEND_WORK_MEM): like for like
            env.execute_query(
                SQL("SELECT set_config('jit', 'off', true), set_config('work_mem', %s, true)", RECOMMEND_WORK_MEM)
            )
            env.execute_query(reference_query(company.id, today, since))
            env.execute_query(SQL("SELECT set_config('jit', %s, true), set_config('work_mem', %s, true)", *settings))

        settings = env.execute_query(SQL("SELECT current_setting('jit'), current_setting('work_mem')"))[0]
        print(f"work_mem {settings[1]} (both sides run with {RECOMMEND_WORK_MEM} and JIT off)")
        for _round in range(args.rounds):
            env.execute_query(SQL("DROP TABLE IF EXISTS bench_reference"))
            timed("hand-written SQL co-occurrence top 10", reference, results)
            timed("member.recommendation refresh", lambda: Recommendation._member_recommend_refresh(company), results)
        reference, ours = (
            min(results["hand-written SQL co-occurrence top 10"]),
            min(results["member.recommendation refresh"]),
        )
        print(f"ratio refresh / hand-written (best of {args.rounds}): {ours / reference:.2f}x")
        rows = env.execute_query(SQL("SELECT COUNT(*), COUNT(DISTINCT partner_id) FROM member_recommendation"))
        print(f"rows: {rows[0][0]} recommendations for {rows[0][1]} members")
        diff = env.execute_query(
            SQL(
                """WITH sample AS (SELECT pid FROM bench_member ORDER BY md5(m::text) LIMIT %(sample)s),
                        ours AS (SELECT partner_id AS member, product_id, score, rank FROM member_recommendation
                                  WHERE company_id = %(company)s AND partner_id IN (SELECT pid FROM sample)),
                        ref AS (SELECT member, product_id, score, rank FROM bench_reference
                                 WHERE member IN (SELECT pid FROM sample))
                   SELECT (SELECT COUNT(*) FROM ours), (SELECT COUNT(*) FROM ref),
                          (SELECT COUNT(*)
                             FROM ((TABLE ours EXCEPT TABLE ref) UNION ALL (TABLE ref EXCEPT TABLE ours)) d)""",
                sample=args.sample,
                company=company.id,
            )
        )
        ours_rows, ref_rows, mismatches = diff[0]
        print(f"sample of {args.sample} members: {ours_rows} rows ours, {ref_rows} reference, {mismatches} differ")
        assert ours_rows and not mismatches, "the refresh and the hand-written aggregate disagree"
        cr.rollback()


if __name__ == "__main__":
    main()
