"""Launching a member campaign vs mass_mailing alone, on the same list of members, through a loopback SMTP sink.

    python tests/benchmarks/bench_campaign_launch.py --db SCRATCH_DB [--members 100000]

Odoo's mailing commits as it goes (it does outside tests), so run this on a scratch copy of a database
with the addons installed (``createdb -T DB SCRATCH_DB``; drop it afterwards). The members (contacts,
active memberships, email consent) are written with SQL. Both sides send every mail to a tiny SMTP sink on
127.0.0.1 started by the script:

- **mass_mailing alone**: a ``mailing.mailing`` on ``res.partner`` with the members' domain, sent as the
  queue sends it (``_action_send_mail``), then its mails sent (``mail.mail.send``);
- **campaign**: a ``member.campaign`` (no holdout: the same list) scheduled and launched by its cron's
  steps (audience with consent, recipient rows, one coupon each, in batches, committed per batch), then
  its mailing sent the same way (consent checked again at send time) and its mails sent.

Printed side by side: seconds and queries, the time ratio (goal <= 2x) and the extra queries per member
(goal <= 0.1). Nothing is asserted.
"""

import argparse
import pathlib
import socketserver
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
EMAIL_LIKE = "bench.camp.%@example.com"


class SinkHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP to accept any mail and forget it."""

    def handle(self):
        self.wfile.write(b"220 sink ESMTP\r\n")
        data = False
        while line := self.rfile.readline():
            if data:
                if line in (b".\r\n", b".\n"):
                    data = False
                    self.wfile.write(b"250 OK\r\n")
                continue
            command = line[:4].upper()
            if command in (b"EHLO", b"HELO"):
                self.wfile.write(b"250-sink\r\n250 SIZE 0\r\n")
            elif command == b"DATA":
                data = True
                self.wfile.write(b"354 go ahead\r\n")
            elif command == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 OK\r\n")


def start_sink():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), SinkHandler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def populate(env, company, count):
    """``count`` members with email consent in ``company``, written with SQL (one statement per table)."""
    from odoo.tools import SQL

    env.flush_all()
    cr = env.cr
    cr.execute(SQL("SELECT count(*) FROM res_partner WHERE email LIKE %s", EMAIL_LIKE))
    if cr.fetchone()[0] >= count:
        return
    cr.execute(
        SQL(
            """
            WITH p AS (
                INSERT INTO res_partner (name, complete_name, email, email_normalized, active, type, lang,
                                         autopost_bills, is_company, create_date, write_date, create_uid, write_uid)
                SELECT 'Bench Member ' || i, 'Bench Member ' || i, 'bench.camp.' || i || '@example.com',
                       'bench.camp.' || i || '@example.com', TRUE, 'contact', 'en_US', 'ask', FALSE,
                       now(), now(), 1, 1
                  FROM generate_series(1, %(count)s) i
             RETURNING id
            ), m AS (
                INSERT INTO member_membership (partner_id, company_id, number, state, member_since,
                                               create_date, write_date, create_uid, write_uid)
                SELECT id, %(company)s, 'BENCH-' || id, 'active', current_date, now(), now(), 1, 1 FROM p
            )
            INSERT INTO member_consent (partner_id, company_id, channel, state, source, date, address, user_id,
                                        create_date, write_date, create_uid, write_uid)
            SELECT p.id, %(company)s, 'email', 'given', 'import', now() - interval '1 day',
                   'bench.camp.' || p.id || '@example.com', 1, now(), now(), 1, 1 FROM p
            """,
            count=count,
            company=company.id,
        )
    )
    cr.execute("UPDATE res_partner SET commercial_partner_id = id WHERE commercial_partner_id IS NULL")
    cr.execute("ANALYZE res_partner; ANALYZE member_membership; ANALYZE member_consent")
    cr.commit()
    env.invalidate_all()


def send_mails(env, mailing):
    """Send what the composer left outgoing (small mailings go out at once); returns the mails sent."""
    mails = env["mail.mail"].search([("mailing_id", "=", mailing.id), ("state", "=", "outgoing")])
    mails.send(auto_commit=True)
    return env["mailing.trace"].search_count([("mass_mailing_id", "=", mailing.id), ("trace_status", "=", "sent")])


def measure(env, run):
    cr = env.cr
    env.flush_all()
    before, started = cr.sql_log_count, time.perf_counter()
    result = run()
    env.flush_all()
    return result, time.perf_counter() - started, cr.sql_log_count - before


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--addons-path", default=str(ROOT))
    parser.add_argument("--members", type=int, default=100000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--campaign-first", action="store_true", help="measure the campaign first (warm-up bias)")
    parser.add_argument(
        "--launch-only",
        action="store_true",
        help="measure only the campaign's launch (audience, recipients, coupons, mailing queued), no sending",
    )
    args = parser.parse_args(argv)

    import odoo
    from odoo import api, fields
    from odoo.modules.registry import Registry

    odoo.tools.config.parse_config(["-d", args.db, "--addons-path", args.addons_path, "--log-level", "warn"])
    registry = Registry(args.db)
    sink = start_sink()
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        admin = env.ref("base.user_admin")
        env = env(user=admin.id, context={"allowed_company_ids": [admin.company_id.id]})
        company = env.company
        company.write({"member_crm_enabled": True, "member_campaign_weekly_cap": 0})
        admin.partner_id.email = admin.partner_id.email or "bench.admin@example.com"  # the mailings' sender
        env["ir.mail_server"].search([]).write({"active": False})
        env["ir.mail_server"].create(
            {"name": "bench sink", "smtp_host": "127.0.0.1", "smtp_port": sink.server_address[1], "sequence": 1}
        )
        cr.commit()
        started = time.perf_counter()
        populate(env, company, args.members)
        print(f"members: {args.members} (written in {time.perf_counter() - started:.1f} s)")
        body = '<p>Hello <t t-out="object.name"/></p><p><a href="/unsubscribe_from_list">Unsubscribe</a></p>'

        def baseline():
            mailing = env["mailing.mailing"].create(
                {
                    "subject": "Bench mass_mailing",
                    "mailing_model_id": env["ir.model"]._get_id("res.partner"),
                    "mailing_domain": repr([("email", "=like", EMAIL_LIKE)]),
                    "body_arch": body,
                    "body_html": body,
                }
            )
            mailing._action_send_mail()
            return send_mails(env, mailing)

        def campaign_run():
            campaign = env["member.campaign"].create(
                {
                    "name": "Bench campaign",
                    "holdout_percent": 0.0,
                    "date_start": fields.Datetime.now(),
                    "audience_domain": repr([("email", "=like", EMAIL_LIKE)]),
                }
            )
            campaign.action_schedule()
            campaign.mailing_id.write(
                {"body_arch": body.replace("object.name", "object.coupon_code"), "body_html": body}
            )
            for _step in range(10 * args.members):
                _done, remaining = env["member.campaign"]._member_launch_step(args.batch)
                cr.commit()  # as the cron's _commit_progress
                if not remaining:
                    break
            campaign.mailing_id._action_send_mail()
            return send_mails(env, campaign.mailing_id), len(campaign.recipient_ids.coupon_id)

        if args.launch_only:

            def launch():
                campaign = env["member.campaign"].create(
                    {
                        "name": "Bench launch",
                        "holdout_percent": 10.0,
                        "date_start": fields.Datetime.now(),
                        "audience_domain": repr([("email", "=like", EMAIL_LIKE)]),
                    }
                )
                campaign.action_schedule()
                for _step in range(10 * args.members):
                    _done, remaining = env["member.campaign"]._member_launch_step(args.batch)
                    cr.commit()
                    if not remaining:
                        break
                return len(campaign.recipient_ids), len(campaign.recipient_ids.coupon_id)

            (recipients, coupons), seconds, queries = measure(env, launch)
            print(f"launch: {recipients} recipients, {coupons} coupons, {seconds:.1f} s, {queries} queries")
            print(f"per member: {1000 * seconds / args.members:.2f} ms, {queries / args.members:.3f} queries")
            sink.shutdown()
            return
        if args.campaign_first:
            (sent_camp, coupons), seconds_camp, queries_camp = measure(env, campaign_run)
            sent_base, seconds_base, queries_base = measure(env, baseline)
        else:
            sent_base, seconds_base, queries_base = measure(env, baseline)
            (sent_camp, coupons), seconds_camp, queries_camp = measure(env, campaign_run)
        print(f"mass_mailing alone: {sent_base} mails, {seconds_base:.1f} s, {queries_base} queries")
        print(f"campaign:           {sent_camp} mails, {coupons} coupons, {seconds_camp:.1f} s, {queries_camp} queries")
        print(f"time ratio: {seconds_camp / seconds_base:.2f}x (goal <= 2x)")
        print(f"extra queries per member: {(queries_camp - queries_base) / args.members:.3f} (goal <= 0.1)")
    sink.shutdown()


if __name__ == "__main__":
    main()
