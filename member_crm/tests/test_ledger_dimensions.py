"""Ledger entries keep the store, the sales team and the member's region of the day they were written.

Orders go through the real entry points (POS ``sync_from_ui``, sale order
confirmation and cancellation, invoices and credit notes); refunds and
cancellations are filed as their original even when the till, the team or the
member's address changed in between.
"""

import importlib.util
import pathlib

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import SQL, mute_logger

from odoo.addons.point_of_sale.tests.common import TestPoSCommon

from .common import MemberTierMixin

MIGRATION = pathlib.Path(__file__).parents[1] / "migrations" / "19.0.1.4.0" / "post-ledger_dimensions.py"


@tagged("post_install", "-at_install")
class TestLedgerDimensions(TestPoSCommon, MemberTierMixin):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.config = cls.basic_config
        cls.env.user.group_ids |= cls.env.ref("member_crm.group_member_crm_manager") | cls.env.ref(
            "sales_team.group_sale_manager"
        )
        cls.tiers = cls._member_enable(cls.company)
        Team = cls.env["crm.team"]
        cls.team_store, cls.team_other_store, cls.team_online, cls.team_later = Team.create(
            [{"name": name, "company_id": cls.company.id} for name in ("Store A", "Store B", "Online", "Later")]
        )
        cls.basic_config.crm_team_id = cls.team_store
        cls.other_currency_config.crm_team_id = cls.team_other_store
        cls.country = cls.env.ref("base.cn")
        cls.zhejiang, cls.shanghai = cls.env["res.country.state"].create(
            [
                {"name": "Zhejiang (test)", "code": "MZJ", "country_id": cls.country.id},
                {"name": "Shanghai (test)", "code": "MSH", "country_id": cls.country.id},
            ]
        )
        cls.tea = cls.create_product("Region Tea", cls.categ_basic, 700.0)
        cls.member = cls._member_partner("Zhao Lei", cls.company)
        cls.hangzhou = {"country_id": cls.country.id, "state_id": cls.zhejiang.id, "city": "Hangzhou"}
        cls.pudong = {"country_id": cls.country.id, "state_id": cls.shanghai.id, "city": "Pudong"}
        cls.member.write(cls.hangzhou)

    def _sync(self, lines, **order_args):
        data = self.create_ui_order_data(lines, customer=self.member, pos_order_ui_args=order_args)
        self.env["pos.order"].sync_from_ui([data])
        # by uuid: the result also lists the order a refund refunds
        return self.env["pos.order"].search([("uuid", "=", data["uuid"])])

    def _entries(self, record, kind=None):
        domain = [("source_model", "=", record._name), ("source_id", "=", record.id)]
        return self.env["member.ledger"].search(domain + ([("kind", "=", kind)] if kind else []))

    def _dims(self, entry):
        entry.ensure_one()
        return (entry.pos_config_id, entry.team_id, entry.country_id, entry.state_id, entry.city)

    def _region(self, address):
        return (
            self.env["res.country"].browse(address["country_id"]),
            self.env["res.country.state"].browse(address["state_id"]),
            address["city"],
        )

    def _sale(self, team):
        sale = (
            self.env["sale.order"]
            .sudo()
            .create(
                {
                    "partner_id": self.member.id,
                    "team_id": team.id,
                    "order_line": [Command.create({"product_id": self.tea.id, "product_uom_qty": 1})],
                }
            )
        )
        sale.action_confirm()
        return sale

    def test_pos_order_and_refund_at_another_till_after_a_move(self):
        self.open_new_session()
        order = self._sync([(self.tea, 2)])
        self.assertEqual(order.crm_team_id, self.team_store, "pos_sale: the till's team")
        entry = self._entries(order, "order")
        self.assertEqual(self._dims(entry), (self.config, self.team_store, *self._region(self.hangzhou)))

        # the member moves, and brings one tea back to another store
        self.member.write(self.pudong)
        self.config = self.other_currency_config
        self.open_new_session()
        refund_line = {"product": self.tea, "quantity": -1, "refunded_orderline_id": order.lines.id}
        refund = self._sync([refund_line], is_refund=True)
        self.assertEqual(
            (refund.config_id, refund.crm_team_id),
            (self.other_currency_config, self.team_other_store),
            "the refund itself belongs to the other store",
        )
        refund_entry = self._entries(refund, "refund")
        self.assertEqual(refund_entry.refund_of_id, entry)
        self.assertEqual(self._dims(refund_entry), self._dims(entry), "filed as the order it refunds")

        # a new order after the move: the new region; the old entry keeps the old one
        new_order = self._sync([(self.tea, 1)])
        self.assertEqual(
            self._dims(self._entries(new_order, "order")),
            (self.other_currency_config, self.team_other_store, *self._region(self.pudong)),
        )
        self.env.invalidate_all()
        self.assertEqual(self._dims(entry), (self.basic_config, self.team_store, *self._region(self.hangzhou)))

    def test_sale_confirm_mode_cancel_and_reconfirm(self):
        self.company.member_sale_qualify_on = "confirm"
        sale = self._sale(self.team_online)
        entry = self._entries(sale, "order")
        self.assertEqual(self._dims(entry), (self.env["pos.config"], self.team_online, *self._region(self.hangzhou)))

        self.member.write(self.pudong)
        sale.team_id = self.team_later
        sale._action_cancel()
        cancel = self._entries(sale, "cancel")
        self.assertEqual(cancel.refund_of_id, entry)
        self.assertEqual(self._dims(cancel), self._dims(entry), "a cancellation is filed as what it takes back")

        # confirmed again: a new revision, written with today's team and address
        sale.action_draft()
        sale.action_confirm()
        again = self._entries(sale, "order").filtered(lambda e: e.revision == 1)
        self.assertEqual(self._dims(again), (self.env["pos.config"], self.team_later, *self._region(self.pudong)))

    def test_invoice_and_credit_note_in_paid_mode(self):
        self.company.member_sale_qualify_on = "paid"
        invoice = (
            self.env["account.move"]
            .sudo()
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.member.id,
                    "team_id": self.team_online.id,
                    "invoice_date": fields.Date.today(),
                    "invoice_line_ids": [Command.create({"product_id": self.tea.id, "price_unit": 700.0})],
                }
            )
        )
        invoice.action_post()
        invoice._invoice_paid_hook()
        entry = self._entries(invoice, "order")
        self.assertEqual(self._dims(entry), (self.env["pos.config"], self.team_online, *self._region(self.hangzhou)))

        self.member.write(self.pudong)
        credit_note = invoice._reverse_moves()
        credit_note.team_id = self.team_later
        credit_note.action_post()
        credit_note._invoice_paid_hook()
        refund = self._entries(credit_note, "refund")
        self.assertEqual(refund.refund_of_id, entry)
        self.assertEqual(self._dims(refund), self._dims(entry))

    def test_opening_and_feedback_take_the_region_only(self):
        today = fields.Date.today()
        [(opening_id, *_rest)] = self._opening(self.member, self.company, today, 500.0, key=self.member.id)
        self.env["member.ledger"]._member_record_feedback(
            [(self.member.id, self.company.id, today, "res.partner", self.member.id)]
        )
        feedback = self._entries(self.member, "feedback")
        for entry in (self.env["member.ledger"].browse(opening_id), feedback):
            self.assertEqual(
                self._dims(entry),
                (self.env["pos.config"], self.env["crm.team"], *self._region(self.hangzhou)),
                entry.kind,
            )

    def test_migration_fills_existing_entries(self):
        self.company.member_sale_qualify_on = "confirm"
        self.open_new_session()
        order = self._sync([(self.tea, 2)])
        refund_line = {"product": self.tea, "quantity": -1, "refunded_orderline_id": order.lines.id}
        refund = self._sync([refund_line], is_refund=True)
        sale = self._sale(self.team_online)
        sale._action_cancel()
        [(opening_id, *_rest)] = self._opening(self.member, self.company, fields.Date.today(), 100.0, key=1)
        # another member's entry, written before a move: not touched by the migration
        neighbour = self._member_partner("Qian Yu", self.company)
        neighbour.write(self.hangzhou)
        neighbour_entry = self.env["member.ledger"].browse(
            self._opening(neighbour, self.company, fields.Date.today(), 100.0, key=neighbour.id)[0][0]
        )
        neighbour.write(self.pudong)

        Ledger = self.env["member.ledger"]
        entries = {
            "pos order": self._entries(order, "order"),
            "pos refund": self._entries(refund, "refund"),
            "sale": self._entries(sale, "order"),
            "sale cancel": self._entries(sale, "cancel"),
            "opening": Ledger.browse(opening_id),
        }
        for name, entry in entries.items():
            self.assertEqual(len(entry), 1, name)
        # as earlier versions wrote them: no dimensions; the member has moved since
        self.env.flush_all()
        ids = [entry.id for entry in entries.values()]
        self.env.cr.execute(
            SQL(
                """UPDATE member_ledger SET pos_config_id = NULL, team_id = NULL, country_id = NULL,
                                            state_id = NULL, city = NULL WHERE id = ANY(%s)""",
                ids,
            )
        )
        self.member.write(self.pudong)
        self.env.flush_all()
        self.env.invalidate_all()
        nothing = (self.env["pos.config"], self.env["crm.team"], self.env["res.country"], self.env["res.country.state"])
        self.assertEqual({self._dims(entry) for entry in entries.values()}, {(*nothing, False)})

        spec = importlib.util.spec_from_file_location("member_crm_post_ledger_dimensions", MIGRATION)
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        migration.migrate(self.env.cr, "19.0.1.3.0")

        now = self._region(self.pudong)
        no_store, no_team = nothing[:2]
        expected = {
            "pos order": (self.config, self.team_store, *now),
            "pos refund": (self.config, self.team_store, *now),
            "sale": (no_store, self.team_online, *now),
            "sale cancel": (no_store, self.team_online, *now),
            "opening": (no_store, no_team, *now),
        }
        for name, entry in entries.items():
            self.assertEqual(self._dims(entry), expected[name], name)
        self.assertEqual(
            self._dims(neighbour_entry), (no_store, no_team, *self._region(self.hangzhou)), "filled entries stay"
        )
        migration.migrate(self.env.cr, "19.0.1.3.0")  # run twice: nothing changes
        for name, entry in entries.items():
            self.assertEqual(self._dims(entry), expected[name], name)

    @mute_logger("odoo.models", "odoo.addons.base.models.ir_model")
    def test_roles_cannot_write_the_dimensions(self):
        self.open_new_session()
        entry = self._entries(self._sync([(self.tea, 1)]), "order")
        company_args = {"company_id": self.company.id, "company_ids": [self.company.id]}
        users = {
            group: new_test_user(
                self.env, login=f"dims_{group}", groups=f"member_crm.group_member_crm_{group}", **company_args
            )
            for group in ("user", "officer", "accountant", "manager")
        }
        with self.assertRaises(AccessError):
            entry.with_user(users["user"]).read(["pos_config_id"])
        attack = {
            "pos_config_id": self.other_currency_config.id,
            "team_id": self.team_online.id,
            "country_id": self.env.ref("base.us").id,
            "state_id": False,
            "city": "Elsewhere",
        }
        for group, user in users.items():
            self.assertFalse(entry.with_user(user).has_access("write"), group)
            for field, value in attack.items():
                # AccessError (no write right) is a UserError too; the ledger refuses before the rights are checked
                with self.subTest(group=group, field=field), self.assertRaises(UserError):
                    entry.with_user(user).write({field: value})
        with self.assertRaises(UserError):
            entry.sudo().write({"city": "Elsewhere"})  # not even with sudo: corrections are new entries
        self.env.invalidate_all()
        self.assertEqual(self._dims(entry), (self.config, self.team_store, *self._region(self.hangzhou)))
