"""Backup and restore: encrypted values come back only with their key, which is not in the dump."""

import subprocess
import tempfile
import uuid
from unittest.mock import patch

from odoo import SUPERUSER_ID, api, sql_db
from odoo.exceptions import UserError
from odoo.modules.registry import Registry
from odoo.tests import tagged
from odoo.tools import config, mute_logger
from odoo.tools.misc import exec_pg_environ, find_pg_tool

from odoo.addons.base.tests.common import BaseCommon

from ..engine import crypto
from ..models.member_sensitive import KEY_OPTION, OLD_KEYS_OPTION

CLEAR = "E24681357"


def _run(tool, *args, **kwargs):
    return subprocess.run(
        [find_pg_tool(tool), *args], env=exec_pg_environ(), capture_output=True, text=True, check=True, **kwargs
    )


@tagged("post_install", "-at_install")
class TestMemberBackup(BaseCommon):
    def _backup_and_restore(self, target):
        """pg_dump of this database, restored into ``target``, as an administrator would."""
        with tempfile.NamedTemporaryFile(suffix=".dump") as dump:
            _run("pg_dump", "--no-owner", "--format=custom", f"--file={dump.name}", self.env.cr.dbname)
            _run("createdb", "--template=template0", "--encoding=UTF8", target)
            self.addCleanup(self._drop, target)
            _run("pg_restore", "--no-owner", "--exit-on-error", f"--dbname={target}", dump.name)

    def _drop(self, target):
        Registry.delete(target)
        sql_db.close_db(target)
        _run("dropdb", "--if-exists", "--force", target)

    def test_restored_values_open_only_with_the_key(self):
        key = crypto.generate_key()
        target = f"{self.env.cr.dbname}_restore_{uuid.uuid4().hex[:8]}"
        # a dump sees committed data only: written on a cursor of its own, removed again once dumped
        with patch.dict(config.options, {KEY_OPTION: key}), self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            partner = env["res.partner"].create({"name": "Backup check"})
            value = env["member.sensitive.value"].create(
                {
                    "partner_id": partner.id,
                    "company_id": env.company.id,
                    "attribute_id": env.ref("member_crm.sensitive_attribute_passport").id,
                    "value": CLEAR,
                }
            )
            value_id, cipher = value.id, value.cipher
            cr.commit()  # pylint: disable=invalid-commit
            try:
                self._backup_and_restore(target)
            finally:
                cr.execute("DELETE FROM member_audit_log WHERE partner_id = %s", [partner.id])
                partner.unlink()
                cr.commit()  # pylint: disable=invalid-commit

        restored = Registry(target)
        with restored.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            value = env["member.sensitive.value"].browse(value_id)
            # with the key from the configuration file: as before the backup
            with patch.dict(config.options, {KEY_OPTION: key}):
                self.assertEqual(value.value, CLEAR)
            # the dump alone: locked, nothing lost, nothing overwritten
            with patch.dict(config.options, {KEY_OPTION: None, OLD_KEYS_OPTION: None}):
                env.invalidate_all()
                self.assertFalse(value.value)
                self.assertIn(KEY_OPTION, value.locked_reason)
                with self.assertRaises(UserError), mute_logger("odoo.sql_db"):
                    value.value = "E11111111"
                env.invalidate_all()
                self.assertEqual(value.cipher, cipher, "the ciphertext came back intact")
            # another key (e.g. a new installation's): locked, naming the key it needs
            with patch.dict(config.options, {KEY_OPTION: crypto.generate_key()}):
                env.invalidate_all()
                self.assertFalse(value.value)
                self.assertIn(crypto.Keyring(key).current_id, value.locked_reason)
            # the key put back
            with patch.dict(config.options, {KEY_OPTION: key}):
                env.invalidate_all()
                self.assertEqual(value.value, CLEAR)
            cr.rollback()
