"""Ledger entries get their report dimensions: store, sales team and the member's region.

New entries are written with them (``member.ledger._member_insert``); the
existing ones are filled here, in SQL since the ledger refuses ORM writes:

- store and team from the source documents: a POS order's point of sale and its
  team (else its store's, with pos_sale), a sale order's or an invoice's team;
- the region from the member's (commercial partner's) address today: the
  address at the time of older orders is not known;
- refunds, then cancellations (which may take back a refund), from the entry
  they reverse.

Only entries with no dimension at all are filled (rows that would stay empty are not
rewritten): running it again changes nothing.
"""

import logging

from odoo import SUPERUSER_ID, api
from odoo.tools import SQL
from odoo.tools.sql import column_exists

_logger = logging.getLogger(__name__)

BLANK = SQL(
    "l.pos_config_id IS NULL AND l.team_id IS NULL AND l.country_id IS NULL AND l.state_id IS NULL AND l.city IS NULL"
)


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    pos_team = SQL("NULL::int")
    if column_exists(cr, "pos_order", "crm_team_id") and column_exists(cr, "pos_config", "crm_team_id"):
        pos_team = SQL("COALESCE(o.crm_team_id, cfg.crm_team_id)")
    sale_team = SQL("so.team_id") if column_exists(cr, "sale_order", "team_id") else SQL("NULL::int")
    move_team = SQL("m.team_id") if column_exists(cr, "account_move", "team_id") else SQL("NULL::int")
    counts = {}
    cr.execute(
        SQL(
            """
            WITH dims AS (
                SELECT l.id,
                       CASE WHEN l.kind = 'order' THEN o.config_id END AS pos_config_id,
                       CASE WHEN l.kind <> 'order' THEN NULL
                            WHEN l.source_model = 'pos.order' THEN %(pos_team)s
                            WHEN l.source_model = 'sale.order' THEN %(sale_team)s
                            WHEN l.source_model = 'account.move' THEN %(move_team)s END AS team_id,
                       cp.country_id, cp.state_id, cp.city
                  FROM member_ledger l
                  JOIN res_partner rp ON rp.id = l.partner_id
                  JOIN res_partner cp ON cp.id = rp.commercial_partner_id
             LEFT JOIN pos_order o ON l.source_model = 'pos.order' AND o.id = l.source_id
             LEFT JOIN pos_config cfg ON cfg.id = o.config_id
             LEFT JOIN sale_order so ON l.source_model = 'sale.order' AND so.id = l.source_id
             LEFT JOIN account_move m ON l.source_model = 'account.move' AND m.id = l.source_id
                 WHERE l.refund_of_id IS NULL AND %(blank)s
            )
            UPDATE member_ledger l
               SET pos_config_id = dims.pos_config_id, team_id = dims.team_id,
                   country_id = dims.country_id, state_id = dims.state_id, city = dims.city
              FROM dims
             WHERE l.id = dims.id
               AND num_nonnulls(dims.pos_config_id, dims.team_id, dims.country_id, dims.state_id, dims.city) > 0
            """,
            pos_team=pos_team,
            sale_team=sale_team,
            move_team=move_team,
            blank=BLANK,
        )
    )
    counts["documents"] = cr.rowcount
    # refunds first: a cancellation may take back a refund
    for kind in ("refund", "cancel"):
        cr.execute(
            SQL(
                """
                UPDATE member_ledger l
                   SET pos_config_id = orig.pos_config_id, team_id = orig.team_id,
                       country_id = orig.country_id, state_id = orig.state_id, city = orig.city
                  FROM member_ledger orig
                 WHERE orig.id = l.refund_of_id AND l.kind = %(kind)s AND %(blank)s
                   AND num_nonnulls(orig.pos_config_id, orig.team_id, orig.country_id, orig.state_id, orig.city) > 0
                """,
                kind=kind,
                blank=BLANK,
            )
        )
        counts[kind] = cr.rowcount
    env.invalidate_all()
    _logger.info(
        "Ledger dimensions (store, team, region) filled on %s entries (%s)",
        sum(counts.values()),
        ", ".join(f"{name}: {count}" for name, count in counts.items()),
    )
