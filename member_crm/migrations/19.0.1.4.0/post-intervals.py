"""Membership periods and grace lines start with 19.0.1.4.0.

- Every membership gets its state periods (``member.membership.interval``): an active one gets one period
  from its ``member_since``; a suspended or left one was active from ``member_since`` until its last change
  (``write_date``, as a local day: the best date earlier versions kept) and is in its state since. Started
  by "imported" where the import created it (joining date unknown, or an "Import" line in its tier
  history), else "enrolled".
- Members in grace today (``grace_since``) get the "grace_start" line their review did not write then,
  dated at the start of that local day.

SQL (the periods and the history refuse ORM writes); memberships that have periods already and grace
periods that have their line are left alone, so running it twice changes nothing. Past months' snapshots
are not written here: a member manager rebuilds them (Reporting > Monthly Snapshots > Rebuild Snapshots);
the nightly review writes the current month's.
"""

import logging

from odoo import SUPERUSER_ID, api
from odoo.tools import SQL

_logger = logging.getLogger(__name__)


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    Company = env["res.company"]
    periods = env.execute_query(
        SQL(
            """
            WITH src AS (
                SELECT m.id, m.partner_id, m.company_id, m.state, m.member_since,
                       GREATEST(%(changed_on)s, m.member_since) AS changed_on,
                       CASE WHEN m.member_since_unknown
                                 OR EXISTS (SELECT 1 FROM member_tier_history h
                                             WHERE h.membership_id = m.id AND h.trigger = 'import')
                            THEN 'imported' ELSE 'enrolled' END AS first_kind
                  FROM member_membership m
                 WHERE NOT EXISTS (SELECT 1 FROM member_membership_interval i WHERE i.membership_id = m.id)
            ),
            periods AS (
                SELECT id, partner_id, company_id, 'active' AS state, member_since AS date_from,
                       changed_on AS date_to, first_kind AS start_kind
                  FROM src
                 WHERE state <> 'active' AND changed_on > member_since
             UNION ALL
                SELECT id, partner_id, company_id, state,
                       CASE WHEN state = 'active' THEN member_since ELSE changed_on END, NULL::date,
                       CASE WHEN state = 'active' THEN first_kind ELSE state END
                  FROM src
            )
            INSERT INTO member_membership_interval (membership_id, partner_id, company_id, state, date_from, date_to,
                                                    start_kind, create_uid, create_date, write_uid, write_date)
            SELECT id, partner_id, company_id, state, date_from, date_to, start_kind,
                   %(uid)s, NOW() AT TIME ZONE 'UTC', %(uid)s, NOW() AT TIME ZONE 'UTC'
              FROM periods
          ORDER BY id, date_from
         RETURNING id
            """,
            changed_on=Company._member_local_date_sql(
                SQL("COALESCE(m.write_date, m.create_date)"), SQL("m.company_id")
            ),
            uid=SUPERUSER_ID,
        )
    )
    companies = Company.with_context(active_test=False).search([])
    graces = env.execute_query(
        SQL(
            """
            INSERT INTO member_tier_history (membership_id, partner_id, company_id, from_tier_id, to_tier_id,
                                             direction, trigger, date, user_id,
                                             create_uid, create_date, write_uid, write_date)
            SELECT m.id, m.partner_id, m.company_id, m.tier_id, m.tier_id, 'grace_start', 'review',
                   (m.grace_since::timestamp AT TIME ZONE tz.name) AT TIME ZONE 'UTC', %(uid)s,
                   %(uid)s, NOW() AT TIME ZONE 'UTC', %(uid)s, NOW() AT TIME ZONE 'UTC'
              FROM member_membership m
              JOIN (SELECT * FROM unnest(%(companies)s::int[], %(zones)s::varchar[])) AS tz(company_id, name)
                ON tz.company_id = m.company_id
             WHERE m.grace_since IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM member_tier_history h
                                WHERE h.membership_id = m.id AND h.direction = 'grace_start')
          ORDER BY m.id
         RETURNING id
            """,
            companies=companies.ids,
            zones=[company._member_tz() for company in companies],
            uid=SUPERUSER_ID,
        )
    )
    _logger.info("Membership periods: %s written; grace lines: %s written", len(periods), len(graces))
