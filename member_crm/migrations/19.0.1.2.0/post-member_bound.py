"""Coupons given as member benefits are bound to their member by an explicit flag from 19.0.1.2.0 on.

The column is new (its compute filled it for existing cards at the upgrade); this makes sure every benefit coupon of
an older version carries it, in SQL, whatever the ORM computed."""

from odoo.tools import SQL


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        SQL(
            "UPDATE loyalty_card SET member_bound = TRUE"
            " WHERE member_benefit_id IS NOT NULL AND member_bound IS NOT TRUE"
        )
    )
