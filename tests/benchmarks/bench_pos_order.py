"""Cost of the addon per synced POS order: queries and time, with and without membership.

    python tests/benchmarks/bench_pos_order.py --db DB [--orders 200] [--mode tiers|points|both]

The database needs the addons, a Point of Sale and the demo history
(setup/run). Orders are synced through pos.order.sync_from_ui, the till's own
entry point, for a member, alternately with membership on and off in the same
run; everything is rolled back at the end.

Modes: ``tiers`` (no member points program: the ledger and the tiers only),
``points`` (a member points program and a tier bonus on the member's tier: the
bonus, the card, the lots and the moves too), ``both`` (default; printed side
by side). The budgets are in extra queries (tiers 5, with points 10); time is
printed as a ratio, never asserted.
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
    parser.add_argument("--mode", choices=("tiers", "points", "both"), default="both")
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

        def measure(orders):
            stats = {True: [0, 0.0], False: [0, 0.0]}
            for n in range(orders * 2):
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
                if n >= 4:  # the first orders warm caches (and create the member's card)
                    stats[enabled][0] += cr.sql_log_count - before
                    stats[enabled][1] += time.perf_counter() - started
            company.member_crm_enabled = True
            measured = orders - 2
            on_q, on_t = stats[True][0] / measured, stats[True][1] / measured * 1000
            off_q, off_t = stats[False][0] / measured, stats[False][1] / measured * 1000
            return on_q, off_q, on_t, off_t

        results = {}
        if args.mode in ("tiers", "both"):
            company.member_loyalty_program_id = False
            results["tiers only"] = (5, *measure(args.orders))
        if args.mode in ("points", "both"):
            _setup_points(env, company, partner)
            results["with points program"] = (10, *measure(args.orders))
        cr.rollback()
    header = ("on", "off", "extra", "budget", "on ms", "off ms", "time")
    print(f"{'per synced order':22} " + " ".join(f"{title:>7}" for title in header))
    for name, (budget, on_q, off_q, on_t, off_t) in results.items():
        print(
            f"{name:22} {on_q:7.1f} {off_q:7.1f} {on_q - off_q:+7.1f} {budget:7d} {on_t:7.2f} {off_t:7.2f} "
            f"{on_t / off_t:6.2f}x"
        )


def _setup_points(env, company, partner):
    """A member points program (1 point per currency unit) and a x1.5 bonus on the member's tier."""
    from odoo import Command

    if not company.member_loyalty_program_id:
        company.member_loyalty_program_id = env["loyalty.program"].create(
            {
                "name": "Bench member points",
                "program_type": "loyalty",
                "applies_on": "both",
                "trigger": "auto",
                "company_id": company.id,
                "rule_ids": [Command.create({"reward_point_mode": "money", "reward_point_amount": 1})],
                "reward_ids": [Command.create({"reward_type": "discount", "discount": 1, "required_points": 100})],
            }
        )
    membership = env["member.membership"].search([("partner_id", "=", partner.id), ("company_id", "=", company.id)])
    if not membership.tier_id:
        raise SystemExit("the benchmark member has no tier: run the tier review first")
    env["member.benefit"].create(
        {
            "name": "Bench bonus x1.5",
            "benefit_type": "points",
            "points_factor": 0.5,
            "company_id": company.id,
            "tier_ids": [Command.link(membership.tier_id.id)],
        }
    )


if __name__ == "__main__":
    main()
