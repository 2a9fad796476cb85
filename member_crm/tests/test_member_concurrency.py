import threading
import time
import uuid
from unittest.mock import patch

from psycopg2.errors import SerializationFailure

from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry
from odoo.orm.registry import DummyRLock
from odoo.service.model import retrying
from odoo.tests import BaseCase, get_db_name, tagged
from odoo.tools import SQL, mute_logger


@tagged("post_install", "-at_install")
class TestMemberConcurrency(BaseCase):
    """Two POS sessions record orders of one member at the same time.

    Needs committed fixtures and two real cursors, so it commits its own data
    (in a company of its own) and removes it afterwards.
    """

    def setUp(self):
        super().setUp()
        self.registry = Registry(get_db_name())
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            company = env["res.company"].create({"name": f"Member CRM race test {uuid.uuid4().hex[:8]}"})
            company.member_crm_enabled = True
            partner = env["res.partner"].create({"name": "Race Member"})
            partner.with_company(company).with_context(allowed_company_ids=[company.id]).action_member_enroll()
            self.company_id, self.partner_id = company.id, partner.id
            self.gold_id = env["member.tier"].search([("company_id", "=", company.id), ("code", "=", "GOLD")]).id
        self.addCleanup(self._cleanup)
        # The test runner holds the registry class lock for the whole run; a
        # second thread needs it to look the registry up (HttpCase does the same)
        lock_patch = patch.object(Registry, "_lock", DummyRLock())
        lock_patch.start()
        self.addCleanup(lock_patch.stop)

    def _cleanup(self):
        with self.registry.cursor() as cr:
            for table in ("member_ledger_line", "member_ledger", "member_tier_history", "member_membership"):
                cr.execute(SQL("DELETE FROM %s WHERE company_id = %s", SQL.identifier(table), self.company_id))
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["member.tier"].search([("company_id", "=", self.company_id)]).unlink()
            env["res.partner"].browse(self.partner_id).unlink()
            company = env["res.company"].browse(self.company_id)
            company.member_sequence_id.unlink()
            company.active = False

    def _record(self, env, key, amount):
        env["member.ledger"]._member_record_opening(
            [
                {
                    "partner_id": self.partner_id,
                    "company_id": self.company_id,
                    "date": "2026-01-15",
                    "amount": amount,
                    "order_count": 2,
                    "source_model": "res.partner",
                    "source_id": self.partner_id * 10 + key,  # unique per run: the UNIQUE index is global
                }
            ]
        )

    @mute_logger("odoo.sql_db", "odoo.service.model")  # the expected serialization failure
    def test_concurrent_orders_give_exact_totals_and_tier(self):
        """1,100 / 2 orders each: neither alone reaches Gold (2,000 / 3), both together do."""
        attempts, errors = [], []

        def second_session():
            try:
                with self.registry.cursor() as cr2:
                    env2 = api.Environment(cr2, SUPERUSER_ID, {})

                    def work():
                        attempts.append(time.monotonic())
                        self._record(env2, 2, 1100.0)

                    retrying(work, env2)  # what Odoo does for every RPC request
            except Exception as error:  # noqa: BLE001  (reported by the main thread)
                errors.append(error)

        with self.registry.cursor() as cr1:
            env1 = api.Environment(cr1, SUPERUSER_ID, {})
            self._record(env1, 1, 1100.0)
            thread = threading.Thread(target=second_session)
            thread.start()
            # wait until the second session is blocked on the membership row
            for _i in range(200):
                cr1.execute("SELECT pg_stat_clear_snapshot()")  # activity stats are cached per transaction
                cr1.execute(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
                if cr1.fetchone()[0]:
                    break
                time.sleep(0.05)
            else:
                self.fail(f"the second session never waited for the first one ({errors})")
            cr1.commit()
        thread.join(timeout=60)
        self.assertFalse(thread.is_alive())
        self.assertFalse(errors, errors)
        self.assertGreaterEqual(len(attempts), 2, "the loser failed to serialize and was retried")

        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            membership = env["member.membership"].search(
                [("partner_id", "=", self.partner_id), ("company_id", "=", self.company_id)]
            )
            self.assertEqual((membership.qualify_spend, membership.qualify_orders), (2200.0, 4))
            self.assertEqual(membership.tier_id.id, self.gold_id)
            self.assertEqual(
                len(membership.history_ids.filtered(lambda h: h.direction == "up" and h.trigger == "import")), 1
            )

    @mute_logger("odoo.sql_db")
    def test_serialization_failure_is_what_the_loser_sees(self):
        """Without Odoo's retry the loser gets a serialization failure, never a silently wrong total."""
        with self.registry.cursor() as cr1, self.registry.cursor() as cr2:
            env1 = api.Environment(cr1, SUPERUSER_ID, {})
            env2 = api.Environment(cr2, SUPERUSER_ID, {})
            cr2.execute("SELECT 1")  # take the snapshot before the winner commits
            self._record(env1, 3, 10.0)
            cr1.commit()
            with self.assertRaises(SerializationFailure):
                self._record(env2, 4, 10.0)
            cr2.rollback()
