"""Service-level cron at scale: our escalation run vs one hand-written SQL that finds the breaches.

Prints ratios measured side by side in one run on the same database; asserts only that
both find the same tickets.

    python tests/benchmarks/bench_sla_cron.py --db DB [--tickets 100000] [--new 500] [--addons-path PATH]

The database needs member_crm_marketing installed (no demo or scale data: the benchmark
writes its own tickets with SQL). Everything happens in one transaction that is rolled
back at the end: nothing is left behind.

The tickets, all in open stages (5 % waiting for the customer): 60 % answered, 10 %
already late and escalated by earlier runs, ``--new`` tickets whose response or
resolution deadline has just passed (what one 15-minute run finds), the rest with
deadlines to come.

Timed, side by side (best of three, each of ours rolled back to a savepoint):

- the hand-written SQL: the same conditions, ids only, nothing written;
- our run with the ``--new`` fresh breaches (flags written, one activity each for the
  team leader);
- the same work written by hand: the SELECT, one UPDATE of the flags and one INSERT of
  the activities (no followers, no ORM);
- our run when nothing is new (the next 15 minutes, the usual case).
"""

import argparse
import pathlib
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
HAND_FIND = "hand-written SQL: find the breaches"
HAND_WORK = "hand-written SQL: find, flag and insert the activities"
HAND_NONE = "hand-written SQL: find the breaches, none new"


def best_of(label, func, results, runs=3, reset=None):
    times, value = [], None
    for _i in range(runs):
        started = time.perf_counter()
        value = func()
        times.append(time.perf_counter() - started)
        if reset:
            reset()
    results[label] = min(times)
    print(f"{label:<64} {results[label] * 1000:9.1f} ms  (runs: {', '.join(f'{t * 1000:.1f}' for t in times)})")
    return value


def generate(env, SQL, company_id, team_id, stages, tickets, new, now):
    """``tickets`` open tickets in SQL; ``new`` of them breached a minute ago, not flagged yet."""
    cr = env.cr
    cr.execute("SELECT setseed(0.15)")
    cr.execute(
        SQL(
            """
            INSERT INTO member_complaint (number, name, complaint_type, channel, company_id, team_id, stage_id,
                                          date_open, response_deadline, resolution_deadline, first_response_date,
                                          response_breached, resolution_breached, escalated, waiting_hours,
                                          create_uid, create_date, write_uid, write_date)
            SELECT 'BENCH' || g, 'Bench ticket ' || g, 'complaint', 'phone', %(company)s, %(team)s,
                   CASE WHEN r.waiting THEN %(waiting)s ELSE %(open)s END,
                   %(now)s - interval '3 days',
                   CASE WHEN g <= %(new)s THEN %(now)s - interval '1 minute'
                        WHEN r.late THEN %(now)s - interval '2 days'
                        ELSE %(now)s + interval '1 hour' + (r.dice * interval '2 days') END,
                   CASE WHEN r.late THEN %(now)s - interval '1 day'
                        ELSE %(now)s + interval '2 days' + (r.dice * interval '5 days') END,
                   CASE WHEN g > %(new)s AND r.answered THEN %(now)s - interval '2 days' END,
                   r.late, r.late, r.late, 0,
                   1, %(now)s, 1, %(now)s
              FROM generate_series(1, %(n)s) g
             CROSS JOIN LATERAL (
                   SELECT random() + g * 0 AS dice
                   ) d
             CROSS JOIN LATERAL (
                   SELECT d.dice,
                          g > %(new)s AND d.dice < 0.05 AS waiting,
                          g > %(new)s AND d.dice >= 0.05 AND d.dice < 0.15 AS late,
                          d.dice >= 0.40 AS answered
                   ) r
            """,
            company=company_id,
            team=team_id,
            open=stages["open"],
            waiting=stages["waiting"],
            now=now,
            new=new,
            n=tickets,
        )
    )
    cr.execute("ANALYZE member_complaint")


def hand_find(SQL, now):
    """The breaches, written once by hand: open, not waiting, a deadline past and not yet flagged."""
    return SQL(
        """
        SELECT c.id
          FROM member_complaint c
          JOIN member_complaint_stage s ON s.id = c.stage_id
         WHERE s.is_closed IS NOT TRUE AND s.is_waiting IS NOT TRUE
           AND ((c.response_breached IS NOT TRUE AND c.first_response_date IS NULL AND c.response_deadline < %(now)s)
             OR (c.resolution_breached IS NOT TRUE AND c.resolution_deadline < %(now)s))
        """,
        now=now,
    )


def hand_work(SQL, now, model_id, activity_type_id):
    """The same work as our run, by hand: find, flag, one activity each for the leader (no followers)."""
    return SQL(
        """
        WITH found AS (
            SELECT c.id, c.first_response_date IS NULL AND c.response_deadline < %(now)s AS response,
                   c.resolution_deadline < %(now)s AS resolution, c.escalated,
                   COALESCE(t.leader_id, c.user_id) AS responsible
              FROM member_complaint c
              JOIN member_complaint_stage s ON s.id = c.stage_id
         LEFT JOIN member_service_team t ON t.id = c.team_id
             WHERE s.is_closed IS NOT TRUE AND s.is_waiting IS NOT TRUE
               AND ((c.response_breached IS NOT TRUE AND c.first_response_date IS NULL
                     AND c.response_deadline < %(now)s)
                 OR (c.resolution_breached IS NOT TRUE AND c.resolution_deadline < %(now)s))
        ),
        flagged AS (
            UPDATE member_complaint c
               SET response_breached = c.response_breached OR f.response,
                   resolution_breached = c.resolution_breached OR f.resolution,
                   escalated = TRUE, write_uid = 1, write_date = %(now)s
              FROM found f WHERE f.id = c.id
        )
        INSERT INTO mail_activity (res_model_id, res_model, res_id, activity_type_id, user_id, date_deadline,
                                   summary, active, create_uid, create_date, write_uid, write_date)
        SELECT %(model)s, 'member.complaint', f.id, %(type)s, f.responsible, %(now)s::date,
               'Service deadline missed', TRUE, 1, %(now)s, 1, %(now)s
          FROM found f WHERE NOT f.escalated AND f.responsible IS NOT NULL
        """,
        now=now,
        model=model_id,
        type=activity_type_id,
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--addons-path", default=str(ROOT))
    parser.add_argument("--tickets", type=int, default=100000)
    parser.add_argument("--new", type=int, default=500, help="fresh breaches one run finds")
    args = parser.parse_args(argv)

    import odoo
    from odoo import api, fields
    from odoo.modules.registry import Registry
    from odoo.tools import SQL

    odoo.tools.config.parse_config(["-d", args.db, "--addons-path", args.addons_path, "--log-level", "warn"])
    registry = Registry(args.db)
    results = {}
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        company = env.ref("base.main_company")
        now = fields.Datetime.now().replace(microsecond=0)
        team = env["member.service.team"].create(
            {"name": "Bench Service", "company_id": company.id, "leader_id": env.ref("base.user_admin").id}
        )
        stages = {
            "open": env.ref("member_crm_marketing.member_complaint_stage_progress").id,
            "waiting": env.ref("member_crm_marketing.member_complaint_stage_waiting").id,
        }
        env.flush_all()
        started = time.perf_counter()
        generate(env, SQL, company.id, team.id, stages, args.tickets, args.new, now)
        cr.execute("SELECT COUNT(*) FROM member_complaint")
        print(
            f"generated {args.tickets:,} open tickets in {time.perf_counter() - started:.1f} s "
            f"({cr.fetchone()[0]:,} in the table); fresh breaches: {args.new:,}"
        )

        Complaint = env["member.complaint"]
        found = best_of(
            HAND_FIND,
            lambda: env.execute_query(hand_find(SQL, fields.Datetime.now())),
            results,
        )
        expected = {row[0] for row in found}

        cr.flush()
        cr.execute("SAVEPOINT bench_sla")

        def reset():
            cr.execute("ROLLBACK TO SAVEPOINT bench_sla")
            env.transaction.clear()
            cr.precommit.clear()
            cr.postcommit.clear()

        def ours():
            escalated = Complaint._member_sla_escalate()
            env.flush_all()
            return escalated

        ours_found = best_of(f"our escalation run ({args.new:,} fresh breaches)", ours, results, reset=reset)
        assert set(ours_found.ids) == expected, "not the same tickets"
        model_id = env["ir.model"]._get_id("member.complaint")
        activity_type = env.ref("mail.mail_activity_data_todo").id
        best_of(
            HAND_WORK,
            lambda: cr.execute(hand_work(SQL, fields.Datetime.now(), model_id, activity_type)),
            results,
            reset=reset,
        )
        ours()  # this run's breaches are now flagged: the next run finds none
        cr.execute("ANALYZE member_complaint")
        none_found = best_of(
            HAND_NONE,
            lambda: env.execute_query(hand_find(SQL, fields.Datetime.now())),
            results,
        )
        assert not none_found
        best_of("our escalation run, nothing new (the usual 15 minutes)", ours, results)
        cr.rollback()

    fresh = results[f"our escalation run ({args.new:,} fresh breaches)"]
    quiet = results["our escalation run, nothing new (the usual 15 minutes)"]
    print()
    print(f"our run / hand-written find, nothing new:               {quiet / results[HAND_NONE]:6.2f}x   (goal <= 2x)")
    print(f"our run / hand-written find, {args.new:,} fresh breaches:    {fresh / results[HAND_FIND]:6.2f}x")
    print(f"our run / hand-written find, flag and insert (like work): {fresh / results[HAND_WORK]:6.2f}x")


if __name__ == "__main__":
    main()
