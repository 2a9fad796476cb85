from unittest.mock import patch

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tools import config, mute_logger

from odoo.addons.point_of_sale.tests.common import TestPoSCommon

from ..engine import crypto
from ..models.member_sensitive import KEY_OPTION
from .test_member_benefits import MemberBenefitsMixin

KEY = crypto.generate_key()


@tagged("post_install", "-at_install")
class TestMemberMerge(TestPoSCommon, MemberBenefitsMixin):
    """Odoo's Merge Contacts on two members of one company: one membership, one card, nothing lost."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._member_pos_points_setup()
        cls.kept = cls._member_partner("Li Na", cls.company)
        cls.duplicate = cls._member_partner("Li Na (old system)", cls.company)
        cls.duplicate.email = cls.kept.email

    def _sync(self, lines, customer, **order_args):
        data = self.create_ui_order_data(lines, customer=customer, pos_order_ui_args=order_args)
        result = self.env["pos.order"].sync_from_ui([data])
        return self.env["pos.order"].browse(result["pos.order"][0]["id"])

    def _merge(self, partners, dst, groups="member_crm.group_member_crm_manager"):
        """As a member manager who manages contacts (sales rights: website's own merge step reads the
        visitors on a shop's database)."""
        contacts = new_test_user(
            self.env,
            login=f"contacts_manager_{len(groups)}",
            groups=f"base.group_user,base.group_partner_manager,sales_team.group_sale_salesman,{groups}",
        )
        Wizard = self.env["base.partner.merge.automatic.wizard"].with_user(contacts)
        Wizard._merge(partners.ids, dst.with_user(contacts))

    @mute_logger("odoo.models")
    def test_only_member_managers_merge_members(self):
        """A contact manager could set an email to match and merge a member's points onto anybody."""
        stranger = self.env["res.partner"].create({"name": "Stranger", "email": self.duplicate.email})
        membership = self._membership(self.duplicate, self.company)
        with self.assertRaises(AccessError):
            self._merge(stranger | self.duplicate, stranger, groups="base.group_user")
        self.assertEqual(membership.partner_id, self.duplicate)

    def test_merge_keeps_sensitive_values_readable(self):
        """Values are encrypted for their contact: they are stored again for the kept one, not lost."""
        attribute = self.env.ref("member_crm.sensitive_attribute_cn_id")
        with patch.dict(config.options, {KEY_OPTION: KEY}):
            self.env["member.sensitive.value"].create(
                {
                    "partner_id": self.duplicate.id,
                    "company_id": self.company.id,
                    "attribute_id": attribute.id,
                    "value": "11010519491231002X",
                }
            )
            self._merge(self.kept | self.duplicate, self.kept)
            self.env.invalidate_all()
            value = self.env["member.sensitive.value"].search([("partner_id", "=", self.kept.id)])
            self.assertEqual(value.value, "11010519491231002X", "readable for the kept contact")

    def test_merge_two_members_keeps_everything(self):
        old = self._membership(self.duplicate, self.company)
        kept = self._membership(self.kept, self.company)
        # the duplicate joined earlier and reached Gold; both hold orders, points and tier history
        old.member_since = fields.Date.to_date("2019-05-12")
        self._move_to(self.duplicate, self.company, self.tiers["GOLD"])
        self.open_new_session()
        old_order = self._sync([(self.tea, 1)], self.duplicate)
        self._sync([(self.tea, 2)], self.kept)
        old_card = self._card(self.duplicate, self.program)
        kept_card = self.env["loyalty.card"].create({"partner_id": self.kept.id, "program_id": self.program.id})
        self._odoo_balance(kept_card, 80.0, "Till")
        self.assertEqual((old_card.points, kept_card.points), (350.0, 80.0))
        history = old.history_ids | kept.history_ids
        ledger = self._ledger(self.duplicate, self.company) | self._ledger(self.kept, self.company)
        self.assertTrue(old.history_ids, "the duplicate has tier history")

        self._merge(self.kept | self.duplicate, self.kept)

        self.assertFalse(self.duplicate.exists())
        memberships = self.env["member.membership"].search([("partner_id", "=", self.kept.id)])
        self.assertEqual(memberships, kept, "one membership, the kept contact's")
        self.assertEqual(kept.tier_id, self.tiers["GOLD"], "the higher tier")
        self.assertEqual(kept.member_since, fields.Date.to_date("2019-05-12"), "the earlier start")
        self.assertEqual(kept.history_ids & history, history, "no tier history lost")
        merge_line = kept.history_ids - history
        self.assertEqual(
            (merge_line.trigger, merge_line.to_tier_id), ("merge", self.tiers["GOLD"]), "the move is in the history"
        )
        self.assertEqual(self._ledger(self.kept, self.company), ledger, "the ledger follows the contact")
        # points: the kept card holds both balances, the other ends at 0, moves on both cards
        cards = self._card(self.kept, self.program)
        self.assertEqual(cards, kept_card, "loyalty's own merge archives the emptied card")
        cards = old_card | kept_card
        self.assertEqual(old_card.partner_id, self.kept)
        cards.invalidate_recordset()
        self.assertEqual((kept_card.points, old_card.points), (430.0, 0.0))
        self.assertEqual(kept_card.member_move_ids.filtered(lambda m: m.kind == "merge").points, 350.0)
        self.assertEqual(old_card.member_move_ids.filtered(lambda m: m.kind == "merge").points, -350.0)
        self.assertFalse(self.env["member.points.move"]._member_check_balances(cards))
        for card in cards:
            self.assertLotsAgree(card)
        # a later refund of the duplicate's order takes its bonus back from the kept card
        self._sync(
            [{"product": self.tea, "quantity": -1, "refunded_orderline_id": old_order.lines.id}],
            self.kept,
            is_refund=True,
        )
        kept_card.invalidate_recordset()
        self.assertEqual(kept_card.points, 80.0)
        audit = self.env["member.audit.log"].search([("action", "=", "merge"), ("partner_id", "=", self.kept.id)])
        self.assertEqual(len(audit), 1)
        self.assertIn(kept.number, audit.description)
        self.assertIn(old_card.code, audit.description)

    def test_merge_with_a_non_member_moves_the_membership(self):
        guest = self.env["res.partner"].create({"name": "Guest", "email": self.duplicate.email})
        membership = self._membership(self.duplicate, self.company)
        self._merge(guest | self.duplicate, guest)
        self.assertEqual(membership.partner_id, guest, "Odoo's merge moves a membership that meets no other")
        self.assertFalse(self.env["member.audit.log"].search([("action", "=", "merge")]), "nothing of ours to merge")
