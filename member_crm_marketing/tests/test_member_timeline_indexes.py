"""The indexes the timeline view adds to core tables are made by its init() and dropped by the uninstall hook
(Odoo drops an uninstalled module's tables and columns, not indexes it made on other modules' tables)."""

from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL

from odoo.addons.member_crm_marketing import uninstall_hook
from odoo.addons.member_crm_marketing.models.member_timeline import (
    ALL_ROWS,
    CORE_TABLE_INDEXES,
    FIRST_ROWS,
    ROWS_FUNCTION,
)


@tagged("post_install", "-at_install")
class TestMemberTimelineIndexes(TransactionCase):
    def _indexes(self):
        return {
            (name, table)
            for name, table in self.env.execute_query(
                SQL("SELECT indexname, tablename FROM pg_indexes WHERE indexname = ANY(%s)", list(CORE_TABLE_INDEXES))
            )
        }

    def test_uninstall_hook_drops_the_core_table_indexes(self):
        expected = {(name, table) for name, (table, _definition) in CORE_TABLE_INDEXES.items()}
        self.assertEqual(self._indexes(), expected)
        # DDL is transactional in PostgreSQL: the test's rollback restores them
        uninstall_hook(self.env)
        self.assertEqual(self._indexes(), set())
        uninstall_hook(self.env)  # IF EXISTS: a second run (or a database that never had them) is fine
        self.env["member.timeline"].init()
        self.assertEqual(self._indexes(), expected)

    def test_uninstall_hook_drops_the_rows_functions(self):
        def functions():
            return self.env.execute_query(SQL("SELECT proname FROM pg_proc WHERE proname LIKE %s", ROWS_FUNCTION + "%"))

        name = self.env["member.timeline"]._member_rows_function()
        self.assertLessEqual({(name + ALL_ROWS,), (name + FIRST_ROWS,)}, set(functions()))
        uninstall_hook(self.env)  # every version's functions (init leaves older ones to workers not reloaded yet)
        self.assertEqual(functions(), [])
        self.env["member.timeline"].init()
        self.assertEqual(sorted(functions()), [(name + ALL_ROWS,), (name + FIRST_ROWS,)])
