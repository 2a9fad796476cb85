"""A member's timeline page vs reading that member's orders alone.

Prints the median time of one page (80 rows) of the timeline of a member with about 2,000 events, the
same for a later page, and of one page of that member's orders read through the ORM; their ratio
(goal: <= 2x) and the number of queries per page (goal: 1); and the plan of the timeline's query.

    python tests/benchmarks/bench_timeline.py --db DB [--others 20000] [--rounds 50]

The baseline of the goal: "that member's orders" are their POS orders and their sales orders, the two
kinds of orders of the timeline; through the ORM that is two reads of one page each (``pos.order`` and
``sale.order``, the member's own orders, newest first), timed together. The ratio against the sales
orders alone (one read, the one with rows here) is printed too, for comparison: the timeline reads
those 900 orders as well, plus the member's mail traces and interactions, so it cannot come near one
read of one table.

Needs a database with member_crm_marketing. Everything happens in one transaction that is rolled back;
the tables it writes are then vacuumed, as autovacuum would, so that the database is left as it was
(they are vacuumed before too: the dead rows of an earlier interrupted run would slow the planner's
look-ups of index bounds, which a database with autovacuum does not pay). The data is written with SQL
(rows cloned from one sale order, one campaign, one recipient, one mail trace and one interaction made
with the ORM): the member has 900 confirmed sale orders, 133 campaign messages (sent, opened and
clicked: 399 events) and 700 logins and social events (1,999 events); ``--others`` other members have
5 sale orders, 5 interactions each, and 500 of them are recipients of each campaign, so that every
branch must find the member through an index. POS orders are not generated (their branch has the same
shape as the sales orders': ``pos_order.partner_id`` and ``date_order`` are indexed by Odoo).
"""

import argparse
import pathlib
import statistics
import time

from bench_common import clone_sql

ROOT = pathlib.Path(__file__).resolve().parents[2]
PAGE = 80


def measure(env, func, rounds):
    """(median seconds, queries) of ``func()``, caches cleared before each round."""
    times, queries = [], set()
    for _round in range(rounds):
        env.invalidate_all()
        env.registry.clear_cache()
        func()  # warm the rule and view caches once per round: what a user's next page meets
        env.invalidate_all()
        before = env.cr.sql_log_count
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
        queries.add(env.cr.sql_log_count - before)
    return statistics.median(times), sorted(queries)


TOUCHED = (
    "res_partner",
    "sale_order",
    "member_interaction",
    "member_campaign",
    "member_campaign_recipient",
    "mailing_trace",
)


def vacuum(dbname):
    """VACUUM ANALYZE the tables the benchmark writes (outside a transaction, as autovacuum does)."""
    import psycopg2

    from odoo.sql_db import connection_info_for

    connection = psycopg2.connect(**connection_info_for(dbname)[1])
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {', '.join(TOUCHED)}")
    finally:
        connection.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--addons-path", default=str(ROOT))
    parser.add_argument("--others", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args(argv)

    import odoo
    from odoo import api
    from odoo.modules.registry import Registry
    from odoo.tools import SQL

    odoo.tools.config.parse_config(["-d", args.db, "--addons-path", args.addons_path, "--log-level", "error"])
    registry = Registry(args.db)
    vacuum(args.db)
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        company = env.ref("base.main_company")
        env = env(context={"allowed_company_ids": [company.id]})
        company = company.with_env(env)
        company.member_crm_enabled = True
        # the templates, through the ORM
        product = env["product.product"].create({"name": "Bench tea", "type": "consu", "list_price": 10.0})
        member = env["res.partner"].create({"name": "Bench timeline member"})
        member.action_member_enroll()
        order = env["sale.order"].create(
            {"partner_id": member.id, "order_line": [(0, 0, {"product_id": product.id, "product_uom_qty": 1})]}
        )
        order.action_confirm()
        campaign = env["member.campaign"].create({"name": "Bench campaign", "company_id": company.id})
        recipient = env["member.campaign.recipient"].create(
            {"campaign_id": campaign.id, "partner_id": member.id, "company_id": company.id}
        )
        trace = env["mailing.trace"].create(
            {"model": "member.campaign.recipient", "res_id": recipient.id, "trace_type": "mail"}
        )
        interaction = env["member.interaction"].create(
            {"partner_id": member.id, "channel": "wechat", "social_action": "like", "company_id": company.id}
        )
        env.flush_all()

        def run(label, query):
            started = time.perf_counter()
            env.execute_query(query)
            print(f"    {label:<44} {time.perf_counter() - started:9.2f} s", flush=True)

        started = time.perf_counter()
        print("setup (SQL):", flush=True)
        run("no foreign-key triggers", SQL("SET LOCAL session_replication_role = replica"))
        run(
            "other partners",
            clone_sql(
                env,
                "res_partner",
                member.id,
                # their own commercial partner is set below: no dead index entries on the member's key
                {
                    "name": SQL("'Bench other ' || g"),
                    "complete_name": SQL("'Bench other ' || g"),
                    "commercial_partner_id": SQL("NULL"),
                },
                SQL("generate_series(1, %s) g", args.others),
            ),
        )
        run(
            "commercial partners",
            SQL(
                """UPDATE res_partner SET commercial_partner_id = id WHERE name LIKE 'Bench other %%';
                   CREATE TEMP TABLE bench_other AS
                   SELECT ROW_NUMBER() OVER (ORDER BY id) AS k, id FROM res_partner WHERE name LIKE 'Bench other %%'"""
            ),
        )
        run(
            "sale orders",
            clone_sql(
                env,
                "sale_order",
                order.id,
                {
                    "partner_id": SQL("src.partner"),
                    "name": SQL("'BENCH' || src.n"),
                    "date_order": SQL("now() - src.n * interval '37 minutes'"),
                },
                SQL(
                    """(SELECT %s AS partner, g AS n FROM generate_series(1, 899) g
                        UNION ALL
                        SELECT o.id, 1000 + o.k * 5 + g FROM bench_other o, generate_series(1, 5) g) src""",
                    member.id,
                ),
            ),
        )
        run(
            "interactions",
            clone_sql(
                env,
                "member_interaction",
                interaction.id,
                {
                    "partner_id": SQL("src.partner"),
                    "kind": SQL("CASE WHEN src.n %% 7 = 0 THEN 'login' ELSE 'social' END"),
                    "channel": SQL("CASE WHEN src.n %% 7 = 0 THEN NULL ELSE 'wechat' END"),
                    "social_action": SQL("CASE WHEN src.n %% 7 = 0 THEN NULL ELSE 'like' END"),
                    "date": SQL("now() at time zone 'UTC' - src.n * interval '41 minutes'"),
                },
                SQL(
                    """(SELECT %s AS partner, g AS n FROM generate_series(1, 699) g
                        UNION ALL
                        SELECT o.id, o.k * 5 + g FROM bench_other o, generate_series(1, 5) g) src""",
                    member.id,
                ),
            ),
        )
        run(
            "campaigns",
            clone_sql(
                env,
                "member_campaign",
                campaign.id,
                {"name": SQL("'Bench campaign ' || g")},
                SQL("generate_series(1, 133) g"),
            ),
        )
        run(
            "recipients",
            clone_sql(
                env,
                "member_campaign_recipient",
                recipient.id,
                {"campaign_id": SQL("src.campaign"), "partner_id": SQL("src.partner")},
                SQL(
                    """(SELECT c.id AS campaign, %s AS partner FROM member_campaign c
                         WHERE c.name LIKE 'Bench campaign %%'
                        UNION ALL
                        SELECT c.id, o.id FROM member_campaign c, bench_other o
                         WHERE c.name LIKE 'Bench campaign%%' AND o.k %% 40 = c.id %% 40) src""",
                    member.id,
                ),
            ),
        )
        run(
            "mail traces (sent, opened, clicked)",
            clone_sql(
                env,
                "mailing_trace",
                trace.id,
                {
                    "res_id": SQL("r.id"),
                    "sent_datetime": SQL("now() at time zone 'UTC' - r.id * interval '3 minutes'"),
                    "open_datetime": SQL("now() at time zone 'UTC' - r.id * interval '2 minutes'"),
                    "links_click_datetime": SQL("now() at time zone 'UTC' - r.id * interval '1 minutes'"),
                },
                SQL("(SELECT id FROM member_campaign_recipient WHERE id != %s) r", recipient.id),
            ),
        )
        run(
            "analyze",
            SQL("ANALYZE res_partner, sale_order, member_interaction, member_campaign_recipient, mailing_trace"),
        )
        print(f"setup {time.perf_counter() - started:.1f} s", flush=True)

        admin = env.ref("base.user_admin")  # a member manager: every kind, behind the company rule
        user_env = env(user=admin.id, su=False)
        Timeline = user_env["member.timeline"]
        domain = [("partner_id", "=", member.id)]
        events = Timeline.search_count(domain)
        kinds = dict(Timeline._read_group(domain, ["kind"], ["__count"]))
        print(f"member events: {events} {kinds}")
        fields = ["kind", "date", "name", "amount", "res_model", "res_id"]

        def timeline_page(offset=0):
            return Timeline.search_read(domain, fields, offset=offset, limit=PAGE)

        def orders_page(model, offset=0):
            return user_env[model].search_read(
                domain,
                ["name", "date_order", "amount_total", "state"],
                offset=offset,
                limit=PAGE,
                order="date_order desc, id desc",
            )

        def member_orders_page(offset=0):
            return orders_page("pos.order", offset) + orders_page("sale.order", offset)

        # interleaved, so that the machine's load weighs the same on each
        pages = {
            "timeline, first page": timeline_page,
            "timeline, page 10": lambda: timeline_page(9 * PAGE),
            "member's orders (POS + sales, 2 reads)": member_orders_page,
            "member's orders, page 10": lambda: member_orders_page(9 * PAGE),
            "sales orders alone (1 read)": lambda: orders_page("sale.order"),
        }
        timings = {label: ([], set()) for label in pages}
        for _round in range(args.rounds):
            for label, func in pages.items():
                median, queries = measure(user_env, func, 1)
                timings[label][0].append(median)
                timings[label][1].update(queries)
        results = {label: (statistics.median(times), sorted(queries)) for label, (times, queries) in timings.items()}
        for label, (median, queries) in results.items():
            print(f"{label:<40} {median * 1000:8.2f} ms  queries: {queries}")
        for label, base_label, goal in (
            ("timeline, first page", "member's orders (POS + sales, 2 reads)", " (goal <= 2x)"),
            ("timeline, page 10", "member's orders, page 10", " (goal <= 2x)"),
            ("timeline, page 10", "member's orders (POS + sales, 2 reads)", ""),
            ("timeline, first page", "sales orders alone (1 read)", ""),
        ):
            print(f"ratio {label} / {base_label}: {results[label][0] / results[base_label][0]:.2f}x{goal}")
        query = Timeline._search(domain, limit=PAGE, order=Timeline._order)
        plan = env.execute_query(
            SQL(
                "EXPLAIN (ANALYZE, BUFFERS) %s",
                query.select(*[SQL.identifier(query.table, name) for name in ("id", "kind", "date", "name", "amount")]),
            )
        )
        print("plan of the timeline page (nodes that ran, and the totals):")
        for (line,) in plan:
            if "never executed" not in line:
                print("   ", line.strip()[:150])
        cr.rollback()
    vacuum(args.db)


if __name__ == "__main__":
    main()
