"""Member KPIs and the tier x month pivot at a million members: the ORM read path vs hand-written SQL.

Prints medians measured side by side in one run (the two sides alternate) and their ratios; asserts
only that both sides give the same figures.

    python tests/benchmarks/bench_reports_kpi.py --db DB [--members 1000000] [--months 24] [--runs 5]

1. The six headline KPIs of one month (the last complete one, D = its last day): members at D, new
   members, active members at D, average spend per active member, return rate, lifetime value. Ours:
   the dashboard's own calls for that month, as a member accountant (access rights and the report
   models' company rules apply): ``_read_group`` on ``member.report.members`` (the snapshot) and on
   ``member.report.order``, the dashboard's ``_member_window_figures`` for the activity window and its
   ``_member_cumulative`` (one rule-aware scan of ``member.ledger``) for the lifetime value.
   Against: one query written from the issue's definitions on the base tables (``member_ledger``,
   ``member_membership``, ``member_membership_interval``), not the views' SQL: each ledger entry
   is mapped to the order document it belongs to through ``refund_of_id``, and the documents' order,
   refund and amount sums decide. Goal: the same figures, <= 2x the time. The whole dashboard
   (``get_dashboard_data``: 13 months of ten figures) is timed too, and its "last month" figures are
   checked against the same query.
2. The pivot by tier x month over ``--months`` months on ``member.report.members``, as the web
   client's pivot asks it (one ``formatted_read_grouping_sets`` with the four grouping sets of a
   two-axis pivot), vs a plain GROUP BY tier, month on the snapshot table. Goal: <= 1 s per click.

The database needs member_crm_reports installed (no demo data). The first run writes, in SQL and
committed (use a throwaway database), the members and a ledger over ``--months`` months; later runs
reuse them. Written: ``--members`` contacts with a membership each (3 % imported without a known
date; 5 % suspended, 8 % left, 3 % left and re-enrolled: their state periods), 2 % more contacts
with orders and no membership (the ledger holds non-members' orders), three stores, tier moves (an
enrolment line each, 40 % up to Gold, some to Platinum, 10 % of those down again after a grace
period, 5 % a grace period that ended without a move), about 3.2 orders per contact (POS and sales),
5 % partly refunded once, 2 % twice, 3 % refunded in full, 3 % cancelled (two in five confirmed
again: a second revision), 15 % of the refunds cancelled, opening balances (4 %, with an old order
count that must not count), feedback (3 %) and corrections (1 %). Then the real rebuild path: the
members' home stores and the monthly snapshots (``member.tier.snapshot._member_rebuild``, from the
tier history and the state periods), and VACUUM ANALYZE (autovacuum is off on the benchmark machine).

The ledger is written directly (``generate_series``), not through ``scale_data.py``: that script writes
POS and sales orders, and their ledger backfill alone took 12 minutes at a million members; here the
whole data set takes about 6.5 minutes, with the refunds, cancellations, revisions and openings the
KPIs must tell apart, which the demo generator does not make.
"""

import argparse
import datetime as dt
import pathlib
import statistics
import time

from bench_common import clone_sql

ROOT = pathlib.Path(__file__).resolve().parents[2]
PREFIX = "KPI Bench "
STORES = ("KPI Bench Store A", "KPI Bench Store B", "KPI Bench Store C")
ACCOUNTANT = "kpi_bench_accountant"
TZ = "Asia/Shanghai"


def timed(label, func):
    started = time.perf_counter()
    value = func()
    print(f"{label:<64} {time.perf_counter() - started:9.1f} s", flush=True)
    return value


def vacuum(registry, statement):
    with registry.cursor() as vacuum_cr:
        vacuum_cr._cnx.autocommit = True  # VACUUM cannot run in a transaction
        timed(statement, lambda: vacuum_cr._obj.execute(statement))


def generate(env, SQL, company, members, months, today, stores, tiers):
    """Contacts, memberships, state periods, tier history and ledger, in SQL (one transaction)."""
    cr = env.cr
    cr.execute("SELECT setseed(0.16)")
    first_day = today - dt.timedelta(days=round(months * 30.44) - 1)
    horizon = (today - first_day).days  # order dates: first_day .. today
    states = [s.id for s in env["res.country.state"].search([("country_id.code", "=", "CN")], limit=31)]
    cn = env.ref("base.cn").id
    template = env["res.partner"].create({"name": PREFIX + "template", "country_id": cn, "city": "Shanghai"})
    total = members + members // 50
    # contacts, cloned from one ORM-made contact; the first ``members`` become members
    cr.execute(
        SQL(
            """CREATE TEMP TABLE bench_p AS
               SELECT g, nextval('res_partner_id_seq')::int AS pid,
                      (%(states)s::int[])[1 + floor(random() * %(n_states)s)::int] AS state_id
                 FROM generate_series(1, %(total)s) g""",
            states=states,
            n_states=len(states),
            total=total,
        )
    )
    cr.execute(
        clone_sql(
            env,
            "res_partner",
            template.id,
            {
                "id": SQL("src.pid"),
                "name": SQL("%s || src.g", PREFIX),
                "complete_name": SQL("%s || src.g", PREFIX),
                "ref": SQL("'KPIB' || src.g"),
                "commercial_partner_id": SQL("src.pid"),
                "state_id": SQL("src.state_id"),
                "city": SQL("'City ' || src.state_id"),
            },
            SQL("bench_p src"),
        )
    )
    # memberships and their fates: since, first period end (d1), re-enrolment (d2), tier moves (u1, u2, down)
    std, gold, plat = tiers
    cr.execute(
        SQL(
            """CREATE TEMP TABLE bench_m AS
               SELECT p.pid, nextval('member_membership_id_seq')::int AS mid, x.*
                 FROM bench_p p
           CROSS JOIN LATERAL (SELECT random() AS r_fate, random() < 0.03 AS unknown, random() AS r_up,
                                      random() AS r_up2, random() AS r_down, random() AS r_grace,
                                      %(today)s::date - floor(random() * %(span)s)::int AS since
                                WHERE p.g > 0) x
                WHERE p.g <= %(members)s""",
            today=today,
            span=horizon + 180,
            members=members,
        )
    )
    cr.execute(
        SQL(
            """ALTER TABLE bench_m ADD d1 date, ADD d2 date, ADD u1 timestamp, ADD u2 timestamp, ADD dn timestamp,
                                   ADD g1 timestamp, ADD g2 timestamp, ADD tier int;
               UPDATE bench_m SET since = %(today)s::date - %(span)s WHERE unknown;
               UPDATE bench_m SET d1 = since + 1 + floor(random() * GREATEST(%(today)s::date - since - 1, 1))::int
                WHERE r_fate < 0.16;
               UPDATE bench_m SET d2 = d1 + 1 + floor(random() * GREATEST(%(today)s::date - d1 - 1, 1))::int
                WHERE r_fate >= 0.13 AND r_fate < 0.16;
               UPDATE bench_m SET u1 = since + interval '1 day' * (1 + random() * GREATEST(%(today)s - since - 1, 1))
                WHERE r_up < 0.40;
               UPDATE bench_m SET u2 = u1 + random() * (%(today)s::timestamp - u1) WHERE r_up < 0.12;
               UPDATE bench_m SET dn = COALESCE(u2, u1) + random() * (%(today)s::timestamp - COALESCE(u2, u1)),
                                  g1 = COALESCE(u2, u1) + random() * (%(today)s::timestamp - COALESCE(u2, u1)) / 2
                WHERE u1 IS NOT NULL AND r_down < 0.10;
               UPDATE bench_m SET g1 = since + interval '1 day' * (1 + random() * GREATEST(%(today)s - since - 1, 1))
                WHERE u1 IS NULL AND r_grace < 0.05;
               UPDATE bench_m SET g2 = g1 + random() * (%(today)s::timestamp - g1) WHERE g1 IS NOT NULL AND dn IS NULL;
               UPDATE bench_m SET dn = GREATEST(dn, g1) WHERE dn IS NOT NULL;
               UPDATE bench_m SET tier = CASE WHEN u2 IS NOT NULL THEN (CASE WHEN dn IS NULL THEN %(plat)s
                                                                           ELSE %(gold)s END)
                                              WHEN u1 IS NOT NULL THEN (CASE WHEN dn IS NULL THEN %(gold)s
                                                                           ELSE %(std)s END)
                                              ELSE %(std)s END""",
            today=today,
            span=horizon + 180,
            std=std.id,
            gold=gold.id,
            plat=plat.id,
        )
    )
    audit = SQL("1, now(), 1, now()")
    cr.execute(
        SQL(
            """INSERT INTO member_membership (id, partner_id, company_id, number, state, member_since,
                                              member_since_unknown, tier_id, tier_level, tier_since,
                                              create_uid, create_date, write_uid, write_date)
               SELECT mid, pid, %(company)s, 'KB' || mid,
                      CASE WHEN r_fate < 0.05 THEN 'suspended' WHEN r_fate < 0.13 THEN 'left' ELSE 'active' END,
                      since, unknown, tier, (SELECT level FROM member_tier WHERE id = tier),
                      COALESCE(dn, u2, u1, since)::date, %(audit)s
                 FROM bench_m ORDER BY mid""",
            company=company.id,
            audit=audit,
        )
    )
    # state periods: [since, d1) active then suspended / left, re-enrolled at d2
    cr.execute(
        SQL(
            """INSERT INTO member_membership_interval (membership_id, partner_id, company_id, state, date_from,
                                                      date_to, start_kind, create_uid, create_date, write_uid,
                                                      write_date)
               SELECT mid, pid, %(company)s, i.state, i.date_from, i.date_to, i.kind, %(audit)s
                 FROM bench_m
           CROSS JOIN LATERAL (VALUES
                      ('active', since, d1, CASE WHEN unknown THEN 'imported' ELSE 'enrolled' END),
                      (CASE WHEN r_fate < 0.05 THEN 'suspended' ELSE 'left' END, d1, d2,
                       CASE WHEN r_fate < 0.05 THEN 'suspended' ELSE 'left' END),
                      ('active', d2, NULL, 're_enrolled')) i(state, date_from, date_to, kind)
                WHERE i.date_from IS NOT NULL""",
            company=company.id,
            audit=audit,
        )
    )
    # tier history: enrolment, moves up and down, grace periods (UTC timestamps)
    cr.execute(
        SQL(
            """INSERT INTO member_tier_history (membership_id, partner_id, company_id, from_tier_id, to_tier_id,
                                               direction, trigger, date, user_id, create_uid, create_date,
                                               write_uid, write_date)
               SELECT mid, pid, %(company)s, h.f, h.t, h.direction, h.trig, h.at, 1, %(audit)s
                 FROM bench_m
           CROSS JOIN LATERAL (VALUES
                      (NULL::int, %(std)s, 'up', 'enroll', since + time '02:00'),
                      (%(std)s, %(gold)s, 'up', 'review', u1),
                      (%(gold)s, %(plat)s, 'up', 'order', u2),
                      (CASE WHEN u2 IS NULL THEN %(gold)s ELSE %(plat)s END,
                       CASE WHEN u2 IS NULL THEN %(gold)s ELSE %(plat)s END, 'grace_start', 'review',
                       CASE WHEN dn IS NOT NULL THEN g1 END),
                      (CASE WHEN u2 IS NULL THEN %(gold)s ELSE %(plat)s END,
                       CASE WHEN u2 IS NULL THEN %(gold)s ELSE %(plat)s END, 'grace_end', 'review', dn),
                      (CASE WHEN u2 IS NULL THEN %(gold)s ELSE %(plat)s END,
                       CASE WHEN u2 IS NULL THEN %(std)s ELSE %(gold)s END, 'down', 'review', dn),
                      (%(std)s, %(std)s, 'grace_start', 'review', CASE WHEN dn IS NULL THEN g1 END),
                      (%(std)s, %(std)s, 'grace_end', 'review', CASE WHEN dn IS NULL THEN g2 END)
                      ) h(f, t, direction, trig, at)
                WHERE h.at IS NOT NULL
             ORDER BY h.at""",
            company=company.id,
            std=std.id,
            gold=gold.id,
            plat=plat.id,
            audit=audit,
        )
    )
    # orders: 0 to 6 per contact (members and not), dated over the months, in a store or a sales team
    cr.execute("CREATE TEMP SEQUENCE bench_doc")
    cr.execute(
        SQL(
            """CREATE TEMP TABLE bench_o AS
               WITH ins AS (
                   INSERT INTO member_ledger (partner_id, company_id, date, kind, amount, order_count, feedback_count,
                                              revision, source_model, source_id, pos_config_id, team_id, country_id,
                                              state_id, city, create_uid, create_date, write_uid, write_date)
                   SELECT p.pid, %(company)s, %(first)s::date + floor(random() * %(days)s)::int, 'order',
                          round((10 + random() * 990)::numeric, 2), 1, 0, 0,
                          CASE WHEN s.pos THEN 'pos.order' ELSE 'sale.order' END, nextval('bench_doc'),
                          CASE WHEN s.pos THEN (%(stores)s::int[])[1 + floor(random() * %(n_stores)s)::int] END,
                          CASE WHEN s.pos THEN %(pos_team)s ELSE %(sale_team)s END,
                          %(cn)s, p.state_id, 'City ' || p.state_id, %(audit)s
                     FROM bench_p p
               CROSS JOIN LATERAL generate_series(1, floor(random() * 7 + p.g * 0)::int) n
               CROSS JOIN LATERAL (SELECT random() < 0.7 + n * 0 AS pos) s
                 ORDER BY 1, 3
                RETURNING id, partner_id, date, amount, source_model, source_id
               )
               SELECT ins.*, random() AS dice, random() AS dice2 FROM ins""",
            company=company.id,
            first=first_day,
            days=horizon + 1,
            stores=stores.ids,
            n_stores=len(stores),
            pos_team=env.ref("sales_team.pos_sales_team").id,
            sale_team=env.ref("sales_team.team_sales_department").id,
            cn=cn,
            audit=audit,
        )
    )
    # refunds (dated and filed as their order): partial once or twice, full; cancellations, re-confirmations
    cr.execute(
        SQL(
            """CREATE TEMP TABLE bench_r AS
               WITH ins AS (
                   INSERT INTO member_ledger (partner_id, company_id, date, kind, amount, order_count, feedback_count,
                                              revision, source_model, source_id, refund_of_id, pos_config_id, team_id,
                                              country_id, state_id, city, create_uid, create_date, write_uid,
                                              write_date)
                   SELECT o.partner_id, %(company)s, o.date, r.kind, r.amount, r.orders, 0, r.revision,
                          o.source_model, CASE WHEN r.kind = 'refund' THEN nextval('bench_doc') ELSE o.source_id END,
                          o.id, l.pos_config_id, l.team_id, l.country_id, l.state_id, l.city, %(audit)s
                     FROM bench_o o
                     JOIN member_ledger l ON l.id = o.id
               CROSS JOIN LATERAL (VALUES
                          ('refund', -round(o.amount / 3, 2), 0, 0, o.dice < 0.05),
                          ('refund', -round(o.amount / 4, 2), 0, 0, o.dice >= 0.05 AND o.dice < 0.07),
                          ('refund', -round(o.amount / 4, 2), 0, 0, o.dice >= 0.05 AND o.dice < 0.07),
                          ('refund', -o.amount, -1, 0, o.dice >= 0.07 AND o.dice < 0.10),
                          ('cancel', -o.amount, -1, 0, o.dice >= 0.10 AND o.dice < 0.13)
                          ) r(kind, amount, orders, revision, keep)
                    WHERE o.dice < 0.13 AND r.keep
                RETURNING id, partner_id, date, kind, amount, order_count, source_model, source_id, refund_of_id
               )
               SELECT * FROM ins""",
            company=company.id,
            audit=audit,
        )
    )
    cr.execute(
        SQL(
            """-- two in five cancelled orders confirmed again: revision 1, same day and amount
               INSERT INTO member_ledger (partner_id, company_id, date, kind, amount, order_count, feedback_count,
                                          revision, source_model, source_id, pos_config_id, team_id, country_id,
                                          state_id, city, create_uid, create_date, write_uid, write_date)
               SELECT l.partner_id, l.company_id, l.date, 'order', l.amount, 1, 0, 1, l.source_model, l.source_id,
                      l.pos_config_id, l.team_id, l.country_id, l.state_id, l.city, %(audit)s
                 FROM bench_o o JOIN member_ledger l ON l.id = o.id
                WHERE o.dice >= 0.10 AND o.dice < 0.13 AND o.dice2 < 0.4;
               -- 15 %% of the refunds cancelled
               INSERT INTO member_ledger (partner_id, company_id, date, kind, amount, order_count, feedback_count,
                                          revision, source_model, source_id, refund_of_id, pos_config_id, team_id,
                                          country_id, state_id, city, create_uid, create_date, write_uid, write_date)
               SELECT l.partner_id, l.company_id, l.date, 'cancel', -l.amount, -l.order_count, 0, 0, l.source_model,
                      l.source_id, l.id, l.pos_config_id, l.team_id, l.country_id, l.state_id, l.city, %(audit)s
                 FROM bench_r r JOIN member_ledger l ON l.id = r.id
                WHERE r.kind = 'refund' AND random() < 0.15;
               -- entries that are no orders: openings (with an old order count), feedback, corrections
               INSERT INTO member_ledger (partner_id, company_id, date, kind, amount, order_count, feedback_count,
                                          revision, source_model, source_id, country_id, state_id, city,
                                          create_uid, create_date, write_uid, write_date)
               SELECT m.pid, %(company)s, e.day, e.kind, e.amount, e.orders, e.feedback, 0, e.model,
                      CASE WHEN e.kind = 'feedback' THEN nextval('bench_doc') END, %(cn)s, NULL, NULL, %(audit)s
                 FROM (SELECT pid, random() AS dice, random() AS r FROM bench_m) m
           CROSS JOIN LATERAL (VALUES
                      ('opening', round((100 + m.r * 4900)::numeric, 2), 1 + floor(m.r * 9)::int, 0,
                       'member.import', %(first)s::date - floor(m.r * 60)::int, m.dice < 0.04),
                      ('feedback', 0::numeric, 0, 1, 'rating.rating', %(first)s::date + floor(m.r * %(days)s)::int,
                       m.dice >= 0.04 AND m.dice < 0.07),
                      ('correction', round((m.r * 100 - 50)::numeric, 2), 0, 0, NULL,
                       %(first)s::date + floor(m.r * %(days)s)::int, m.dice >= 0.07 AND m.dice < 0.08)
                      ) e(kind, amount, orders, feedback, model, day, keep)
                WHERE e.keep""",
            company=company.id,
            first=first_day,
            days=horizon + 1,
            cn=cn,
            audit=audit,
        )
    )
    for table in ("bench_p", "bench_m", "bench_o", "bench_r"):
        cr.execute(SQL("DROP TABLE %s", SQL.identifier(table)))
    cr.execute("DROP SEQUENCE bench_doc")
    template.unlink()


def hand_query(SQL, company_id, first, last):
    """The six figures of the month ``first`` .. ``last`` (D = ``last``), from the issue's definitions.

    Written on the base tables: each order, refund and cancellation entry belongs to the order document
    at the root of its ``refund_of_id`` chain (a refund: its order; a cancellation: the order or the
    refund it takes back), and all of a document's entries carry its date. A document counts when its
    customer was an active member of the company on its date (an active state period holds the date);
    opening balances always count (spend only).
    """
    return SQL(
        """
        WITH mem AS (
            SELECT id, partner_id FROM member_membership WHERE company_id = %(company)s
        ),
        entry AS (
            SELECT mem.id AS membership_id, l.date, l.amount, l.order_count,
                   CASE WHEN l.kind = 'order' THEN l.source_model WHEN p.kind = 'order' THEN p.source_model
                        ELSE pp.source_model END AS doc_model,
                   CASE WHEN l.kind = 'order' THEN l.source_id WHEN p.kind = 'order' THEN p.source_id
                        ELSE pp.source_id END AS doc_id,
                   CASE WHEN l.kind = 'order' THEN 1 WHEN l.kind = 'cancel' AND p.kind = 'order' THEN -1
                        ELSE 0 END AS order_sign,
                   CASE WHEN l.kind = 'refund' THEN 1 WHEN l.kind = 'cancel' AND p.kind = 'refund' THEN -1
                        ELSE 0 END AS refund_sign
              FROM member_ledger l
              JOIN mem ON mem.partner_id = l.partner_id
         LEFT JOIN member_ledger p ON p.id = l.refund_of_id
         LEFT JOIN member_ledger pp ON pp.id = p.refund_of_id
             WHERE l.company_id = %(company)s AND l.kind IN ('order', 'refund', 'cancel') AND l.date <= %(last)s
        ),
        doc AS (
            SELECT membership_id, MIN(date) AS date, SUM(order_sign) AS live_orders,
                   SUM(refund_sign) AS live_refunds, SUM(order_count) AS net_orders, SUM(amount) AS net_amount
              FROM entry
          GROUP BY membership_id, doc_model, doc_id
        ),
        member_doc AS (
            SELECT doc.* FROM doc
             WHERE EXISTS (SELECT 1 FROM member_membership_interval i
                            WHERE i.membership_id = doc.membership_id AND i.state = 'active'
                              AND doc.date >= i.date_from AND (i.date_to IS NULL OR doc.date < i.date_to))
        ),
        active AS (
            SELECT COUNT(DISTINCT membership_id) AS members, SUM(net_amount) AS spend
              FROM member_doc WHERE date > %(last)s::date - 89 AND net_orders > 0
        ),
        returns AS (
            SELECT COUNT(*) AS orders, COUNT(*) FILTER (WHERE live_refunds > 0) AS returned
              FROM member_doc WHERE date >= %(first)s AND live_orders > 0
        ),
        spend AS (
            SELECT membership_id, net_amount FROM member_doc
         UNION ALL
            SELECT mem.id, l.amount
              FROM member_ledger l JOIN mem ON mem.partner_id = l.partner_id
             WHERE l.company_id = %(company)s AND l.kind = 'opening' AND l.date <= %(last)s
        ),
        lifetime AS (
            SELECT SUM(net_amount) AS spend, COUNT(DISTINCT membership_id) AS buyers FROM spend
        )
        SELECT (SELECT COUNT(DISTINCT i.membership_id) FROM member_membership_interval i
                 WHERE i.company_id = %(company)s AND i.state = 'active' AND i.date_from <= %(last)s
                   AND (i.date_to IS NULL OR i.date_to > %(last)s)),
               (SELECT COUNT(*) FROM member_membership
                 WHERE company_id = %(company)s AND member_since BETWEEN %(first)s AND %(last)s
                   AND member_since_unknown IS NOT TRUE),
               active.members, active.spend, returns.returned, returns.orders, lifetime.spend, lifetime.buyers
          FROM active, returns, lifetime
        """,
        company=company_id,
        first=first,
        last=last,
    )


def figures_of(members, new, active, spend, returned, orders, cumulative, buyers):
    """The six headline figures from the aggregates (None: nothing to divide by)."""
    return {
        "members": int(members),
        "new_members": int(new),
        "active_members": int(active),
        "average_spend": float(spend or 0) / active if active else None,
        "return_rate": returned / orders if orders else None,
        "lifetime_value": float(cumulative or 0) / buyers if buyers else None,
    }


def same(ours, hand, currency):
    for key, value in hand.items():
        other = ours[key]
        if value is None or other is None:
            ok = value is None and other is None
        elif key in ("average_spend", "lifetime_value"):
            ok = currency.is_zero(other - value)
        else:
            ok = abs(other - value) <= 1e-9 * max(1, abs(value))
        assert ok, f"{key}: ours {other!r} != hand-written {value!r}"


def median_pair(run_a, run_b, runs):
    """Medians of ``run_a`` and ``run_b``, alternated ``runs`` times after one warm-up each."""
    run_a(), run_b()
    times_a, times_b = [], []
    for _run in range(runs):
        for func, times in ((run_a, times_a), (run_b, times_b)):
            started = time.perf_counter()
            func()
            times.append(time.perf_counter() - started)
    return statistics.median(times_a), statistics.median(times_b), times_a, times_b


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--addons-path", default=f"/opt/odoo19/src/addons,{ROOT}")
    parser.add_argument("--members", type=int, default=1000000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)

    import odoo
    from odoo import api
    from odoo.modules.registry import Registry
    from odoo.tools import SQL

    odoo.tools.config.parse_config(["-d", args.db, "--addons-path", args.addons_path, "--log-level", "warn"])
    registry = Registry(args.db)
    from odoo.addons.member_crm_reports.engine import kpi  # once the addons path is set

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
        accountant = env["res.users"].search([("login", "=", ACCOUNTANT)])
        if not accountant:
            accountant = env["res.users"].create(
                {
                    "name": "KPI Bench Accountant",
                    "login": ACCOUNTANT,
                    "company_id": company.id,
                    "company_ids": [(6, 0, company.ids)],
                    "group_ids": [(6, 0, env.ref("member_crm.group_member_crm_accountant").ids)],
                }
            )
        env.flush_all()
        today = company._member_today()
        cr.execute("SELECT COUNT(*) FROM res_partner WHERE ref LIKE 'KPIB%'")
        if not cr.fetchone()[0]:
            started = time.perf_counter()
            generate(env, SQL, company, args.members, args.months, today, stores, tiers)
            cr.commit()
            print(f"{'generated (SQL, committed)':<64} {time.perf_counter() - started:9.1f} s", flush=True)
            vacuum(registry, "VACUUM ANALYZE")
        if not env["member.tier.snapshot"].search_count([("company_id", "=", company.id)]):
            first_month = kpi.add_months(today, -args.months)

            def rebuild():
                months = env["member.tier.snapshot"]._member_rebuild(company, first_month, today)
                cr.commit()
                return months

            months = timed("home stores + snapshots: member.tier.snapshot._member_rebuild", rebuild)
            print(f"  {months} monthly snapshots")
            vacuum(registry, "VACUUM ANALYZE member_membership, member_tier_snapshot")
        sizes = {}
        for table in (
            "member_membership",
            "member_membership_interval",
            "member_tier_history",
            "member_ledger",
            "member_tier_snapshot",
        ):
            cr.execute(SQL("SELECT COUNT(*) FROM %s WHERE company_id = %s", SQL.identifier(table), company.id))
            sizes[table] = cr.fetchone()[0]
        print(", ".join(f"{table} {count:,}" for table, count in sizes.items()), flush=True)

        # 1. the month's six figures
        first = kpi.add_months(today, -1)
        last = kpi.month_end(first)
        user_env = env(user=accountant.id, context={"allowed_company_ids": company.ids})
        Orders = user_env["member.report.order"]
        Members = user_env["member.report.members"]
        Dashboard = user_env["member.report.dashboard"]
        company_domain = [("company_id", "in", company.ids)]
        ours_values = {}

        def ours():
            user_env.invalidate_all()
            [(members, new)] = Members._read_group(
                [*company_domain, ("month", "=", first)], [], ["member_count:sum", "new_count:sum"]
            )
            [(orders, returned)] = Orders._read_group(
                [*company_domain, ("is_opening", "=", False), ("date", ">=", first), ("date", "<=", last)],
                [],
                ["order_count:sum", "returned:sum"],
            )
            window = Dashboard._member_window_figures(company.with_env(user_env), [(first, last)], kpi.active_window)
            active, spend, _net_orders = window.get((company.id, first), (0, 0.0, 0))
            spent, firsts = Dashboard._member_cumulative(company.with_env(user_env), last)
            cumulative, buyers = sum(spent.values()), sum(firsts.values())
            ours_values.update(figures_of(members, new, active, spend, returned, orders, cumulative, buyers))

        hand_sql = hand_query(SQL, company.id, first, last)
        hand_values = {}

        def hand():
            hand_values.update(figures_of(*env.execute_query(hand_sql)[0]))

        print(f"\nKPIs of {first:%Y-%m} (D = {last}), as {ACCOUNTANT}; {args.runs} runs each, alternated")
        orm_s, hand_s, orm_all, hand_all = median_pair(ours, hand, args.runs)
        same(ours_values, hand_values, company.currency_id)
        for key, value in hand_values.items():
            print(f"  {key:<16} {value if value is None or isinstance(value, int) else round(value, 4)!s:>14}")
        print(f"  same figures; ORM read path median {orm_s:.2f} s {[round(t, 2) for t in orm_all]}")
        print(f"  hand-written SQL on the base tables median {hand_s:.2f} s {[round(t, 2) for t in hand_all]}")
        print(f"  ratio ORM / hand-written: {orm_s / hand_s:.2f}x   (goal <= 2x)", flush=True)

        # the whole dashboard: 13 months of ten figures; its "last month" is the month above
        block = {}

        def dashboard():
            user_env.invalidate_all()
            block.update(Dashboard.get_dashboard_data(company.ids)["companies"][0]["figures"])

        dashboard()
        dash_times = []
        for _run in range(max(2, args.runs // 2)):
            started = time.perf_counter()
            dashboard()
            dash_times.append(time.perf_counter() - started)
        same({key: block[key]["previous"] for key in hand_values}, hand_values, company.currency_id)
        dash_s = statistics.median(dash_times)
        print(
            f"  get_dashboard_data (13 months x 10 figures) median {dash_s:.2f} s"
            f" {[round(t, 2) for t in dash_times]} = {dash_s / hand_s:.2f}x one month by hand;"
            " its last month: same figures",
            flush=True,
        )

        # 2. the pivot: tier x month over the months, as the web client asks it
        pivot_first = kpi.add_months(today, 1 - args.months)
        grouping_sets = [[], ["tier_id"], ["month:month"], ["tier_id", "month:month"]]
        measures = ["__count", "member_count:sum", "new_count:sum"]
        pivot_rows = []

        def pivot():
            user_env.invalidate_all()
            result = Members.formatted_read_grouping_sets(
                [("month", ">=", pivot_first), ("month", "<=", today)], grouping_sets, measures
            )
            pivot_rows[:] = result[3]

        plain_sql = SQL(
            """SELECT tier_id, month, SUM(member_count), SUM(new_count), COUNT(*) FROM member_tier_snapshot
                WHERE company_id = %s AND month BETWEEN %s AND %s GROUP BY tier_id, month""",
            company.id,
            pivot_first,
            today,
        )
        plain_rows = []

        def plain():
            plain_rows[:] = env.execute_query(plain_sql)

        pivot_s, plain_s, pivot_all, _plain_all = median_pair(pivot, plain, args.runs * 2)
        ours_cells = {
            (row["tier_id"][0] if row["tier_id"] else None, str(row["month:month"][0])[:10]): row["member_count:sum"]
            for row in pivot_rows
        }
        plain_cells = {(tier, month.isoformat()): members for tier, month, members, _new, _count in plain_rows}
        assert ours_cells == plain_cells, "pivot cells differ"
        print(f"\npivot tier x month over {args.months} months: {len(pivot_rows)} cells, same as the GROUP BY")
        print(
            f"  one click (formatted_read_grouping_sets, 4 grouping sets) median {pivot_s * 1000:.1f} ms"
            f" {[round(t * 1000, 1) for t in pivot_all]}   (goal <= 1 s)"
        )
        print(
            f"  plain GROUP BY on member_tier_snapshot median {plain_s * 1000:.1f} ms; ratio {pivot_s / plain_s:.1f}x"
        )
        cr.rollback()


if __name__ == "__main__":
    main()
