from odoo.tools import SQL

from . import controllers
from . import models


def uninstall_hook(env):
    """Drop what the timeline (member_timeline.py ``init``) made outside the module's tables, which Odoo drops
    by itself: its indexes on core tables and its functions of one member's rows."""
    env.cr.execute(
        SQL(
            """SELECT oid::regprocedure::text FROM pg_proc
                WHERE proname LIKE %s AND pronamespace = current_schema()::regnamespace""",
            models.member_timeline.ROWS_FUNCTION.replace("_", "\\_") + "%",
        )
    )
    # each function by its signature as the catalogue spells it (quoted where needed)
    functions = [SQL(signature) for (signature,) in env.cr.fetchall()]
    env.cr.execute(
        SQL("; ").join(
            [
                *(
                    SQL("DROP INDEX IF EXISTS %s", SQL.identifier(name))
                    for name in models.member_timeline.CORE_TABLE_INDEXES
                ),
                *(SQL("DROP FUNCTION IF EXISTS %s", signature) for signature in functions),
            ]
        )
    )
