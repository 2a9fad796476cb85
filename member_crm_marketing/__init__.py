from odoo.tools import SQL

from . import controllers
from . import models


def uninstall_hook(env):
    """Drop the indexes the timeline view added to core tables (member_timeline.py ``init``): Odoo drops the
    tables and columns of an uninstalled module, not indexes it made on other modules' tables."""
    env.cr.execute(
        SQL("; ").join(
            SQL("DROP INDEX IF EXISTS %s", SQL.identifier(name)) for name in models.member_timeline.CORE_TABLE_INDEXES
        )
    )
