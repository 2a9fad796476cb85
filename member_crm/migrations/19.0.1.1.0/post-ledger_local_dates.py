"""Ledger dates become local: re-date the entries earlier versions wrote as UTC dates.

POS and sales orders were dated ``(date_order AT TIME ZONE 'UTC')::date``: a
Shanghai store's order at 00:30 on 1 January counted for the previous year. They
are now dated by the day in the company's time zone (``res.company._member_tz``,
the one Odoo's loyalty checks coupon validity in). Refunds and cancellations
carry their original's date, and the category lines their entry's. The ledger
refuses ORM writes, so this is SQL; tiers follow at the next review.
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
    counts = {}
    for model, table in (("pos.order", "pos_order"), ("sale.order", "sale_order")):
        counts[model] = env.execute_query(
            SQL(
                """
                WITH local AS (
                    SELECT l.id, %(local_date)s AS date
                      FROM member_ledger l
                      JOIN %(table)s doc ON doc.id = l.source_id
                     WHERE l.source_model = %(model)s AND l.kind = 'order'
                )
                UPDATE member_ledger l SET date = local.date
                  FROM local
                 WHERE l.id = local.id AND l.date <> local.date
             RETURNING l.id
                """,
                local_date=Company._member_local_date_sql(SQL("doc.date_order"), SQL("doc.company_id")),
                table=SQL.identifier(table),
                model=model,
            )
        )
    # refunds first: a cancellation may take back a refund (a credit note reset to draft)
    for kind in ("refund", "cancel"):
        counts[kind] = env.execute_query(
            SQL(
                """
                UPDATE member_ledger l SET date = orig.date
                  FROM member_ledger orig
                 WHERE orig.id = l.refund_of_id AND l.kind = %s AND l.date <> orig.date
             RETURNING l.id
                """,
                kind,
            )
        )
    lines = env.execute_query(
        SQL(
            """
            UPDATE member_ledger_line ll SET date = l.date
              FROM member_ledger l
             WHERE l.id = ll.ledger_id AND ll.date <> l.date
         RETURNING ll.id
            """
        )
    )
    env.invalidate_all()
    _logger.info(
        "Ledger re-dated in the companies' time zones: %s entries (%s), %s category lines",
        sum(len(ids) for ids in counts.values()),
        ", ".join(f"{name}: {len(ids)}" for name, ids in counts.items()),
        len(lines),
    )
