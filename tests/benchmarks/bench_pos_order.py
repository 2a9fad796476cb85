"""Cost of the addon per synced POS order: queries and time, with and without membership.

    python tests/benchmarks/bench_pos_order.py --db DB [--orders 200]

The database needs the addons, a Point of Sale and the demo history
(setup/run). Orders are synced through pos.order.sync_from_ui, the till's own
entry point, for a member, alternately with membership on and off in the same
run; everything is rolled back at the end.
"""

import argparse
import pathlib
import time
import uuid

ROOT = pathlib.Path(__file__).resolve().parents[2]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--addons-path", default=str(ROOT))
    parser.add_argument("--orders", type=int, default=200)
    args = parser.parse_args(argv)

    import odoo
    from odoo import api
    from odoo.modules.registry import Registry

    odoo.tools.config.parse_config(["-d", args.db, "--addons-path", args.addons_path, "--log-level", "warn"])
    registry = Registry(args.db)
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        admin = env.ref("base.user_admin")
        env = env(user=admin.id, context={"allowed_company_ids": [admin.company_id.id]})
        company = env.company
        demo = env["member.crm.demo"]
        config = env["pos.config"].search([("company_id", "=", company.id)], limit=1)
        partner = env["res.partner"].search([("ref", "=like", "MCRM-DEMO-%")], limit=1)
        company.member_crm_enabled = True
        partner.action_member_enroll()
        session = config.current_session_id
        if not session:
            config._check_before_creating_new_session()
            session = env["pos.session"].create({"user_id": env.uid, "config_id": config.id})
        from odoo.addons.member_crm.engine import demo_data

        products = demo._demo_products(demo_data.CATALOG)
        payment_method = config.payment_method_ids[:1]
        tax_domain = env["account.tax"]._check_company_domain(company)
        stats = {True: [0, 0.0], False: [0, 0.0]}
        for n in range(args.orders * 2):
            enabled = n % 2 == 0
            company.member_crm_enabled = enabled
            order = demo_data.Order(
                key=f"BENCH-ORDER-{uuid.uuid4()}",
                member_key=partner.ref,
                channel="pos",
                date=odoo.fields.Datetime.now(),
                lines=(demo_data.OrderLine(demo_data.CATALOG[-1].code, 1),),
            )
            payload = demo._demo_pos_payload(order, partner, products, session, payment_method, tax_domain)
            env.flush_all()
            before, started = cr.sql_log_count, time.perf_counter()
            env["pos.order"].sync_from_ui([payload])
            env.flush_all()
            if n >= 4:  # the first orders warm caches
                stats[enabled][0] += cr.sql_log_count - before
                stats[enabled][1] += time.perf_counter() - started
        cr.rollback()
    measured = args.orders - 2
    on_q, on_t = stats[True][0] / measured, stats[True][1] / measured * 1000
    off_q, off_t = stats[False][0] / measured, stats[False][1] / measured * 1000
    print(f"per synced order, membership on:  {on_q:6.1f} queries {on_t:7.2f} ms")
    print(f"per synced order, membership off: {off_q:6.1f} queries {off_t:7.2f} ms")
    print(f"extra: {on_q - off_q:+.1f} queries (budget 5), time ratio {on_t / off_t:.2f}x")


if __name__ == "__main__":
    main()
