"""Compensation of complaints: proposed by an agent, approved by another manager within the tier's caps."""

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from odoo.addons.member_crm.tests.common import MemberCrmCommon, MemberTierMixin


class ComplaintSetup(MemberTierMixin):
    @classmethod
    def _complaint_setup(cls):
        cls.company = cls.env.company
        cls.tiers = cls._member_enable(cls.company)
        cls.stage_new = cls.env["member.complaint.stage"].create({"name": "New (test)", "sequence": 1})
        cls.stage_closed = cls.env["member.complaint.stage"].create(
            {"name": "Solved (test)", "sequence": 99, "is_closed": True}
        )
        cls.member = cls._member_partner("Comp Member", cls.company)
        cls.agent = cls.role_users["member_service"]

    @classmethod
    def _complaint(cls, partner, company=None, name="Broken kettle"):
        company = company or cls.company
        return (
            cls.env["member.complaint"]
            .with_company(company)
            .create(
                {
                    "name": name,
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "complaint_type": "complaint",
                    "stage_id": cls.stage_new.id,
                }
            )
        )


@tagged("post_install", "-at_install")
class TestComplaintCompensation(ComplaintSetup, MemberCrmCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._complaint_setup()
        cls.program = cls.env["loyalty.program"].create(
            {
                "name": "Member points (compensation test)",
                "program_type": "loyalty",
                "applies_on": "both",
                "trigger": "auto",
                "company_id": cls.company.id,
                "rule_ids": [Command.create({"reward_point_mode": "money", "reward_point_amount": 1})],
                "reward_ids": [Command.create({"reward_type": "discount", "discount": 1, "required_points": 100})],
            }
        )
        cls.company.member_loyalty_program_id = cls.program
        cls.tier = cls.member.with_company(cls.company).member_tier_id
        cls.tier.write({"compensation_max_points": 200.0, "compensation_max_value": 50.0})
        # two managers: one proposes, the other approves
        cls.manager = new_test_user(cls.env, login="comp_manager_a", groups="member_crm.group_member_crm_manager")
        cls.manager_b = new_test_user(cls.env, login="comp_manager_b", groups="member_crm.group_member_crm_manager")
        cls.complaint = cls._complaint(cls.member)

    def _propose(self, user=None, **vals):
        vals = {"complaint_id": self.complaint.id, "kind": "points", "points": 120.0, **vals}
        return self.env["member.complaint.compensation"].with_user(user or self.agent).create(vals)

    def _card(self):
        return self.env["loyalty.card"].search(
            [("partner_id", "=", self.member.id), ("program_id", "=", self.program.id)]
        )

    def test_refused_when_approved_by_its_proposer(self):
        self.assertEqual(self.tier.code, "STD")
        compensation = self._propose(user=self.manager)
        with self.assertRaisesRegex(UserError, "other than the one who proposed"):
            compensation.with_user(self.manager).action_approve()
        self.assertEqual(compensation.state, "proposed")
        self.assertFalse(self._card(), "nothing written to the member")

    def test_refused_above_the_tier_cap(self):
        with self.assertRaisesRegex(UserError, "at most 200 points"):
            self._propose(points=250.0)
        with self.assertRaisesRegex(UserError, "at most 50.00 per ticket"):
            self._propose(kind="coupon", coupon_program_id=self._gift_program().id, coupon_value=60.0)
        # within the cap when proposed, above it when approved: the approval checks again
        compensation = self._propose(points=150.0)
        self.tier.compensation_max_points = 100.0
        with self.assertRaisesRegex(UserError, "at most 100 points"):
            compensation.with_user(self.manager_b).action_approve()
        self.assertEqual(compensation.state, "proposed")
        self.assertFalse(self._card())

    def test_non_member_gets_no_compensation(self):
        stranger = self.env["res.partner"].create({"name": "Comp Stranger", "email": "comp.stranger@example.com"})
        with self.assertRaisesRegex(UserError, "is not a member"):
            self._propose(complaint_id=self._complaint(stranger).id)

    def test_approved_twice_writes_once(self):
        compensation = self._propose(points=120.0)
        compensation.with_user(self.manager_b).action_approve()
        compensation.with_user(self.manager_b).action_approve()
        compensation.with_user(self.manager).action_approve()
        card = self._card()
        self.assertEqual(len(card), 1)
        self.assertEqual(card.points, 120.0)
        lots = self.env["member.points.lot"].search([("card_id", "=", card.id)])
        self.assertEqual(
            [(lot.kind, lot.points, lot.source_model, lot.source_id) for lot in lots],
            [("compensation", 120.0, "member.complaint", self.complaint.id)],
        )
        moves = self.env["member.points.move"].search([("card_id", "=", card.id)])
        self.assertEqual([(m.kind, m.points, m.source_ref) for m in moves], [("compensation", 120.0, self.complaint)])
        self.assertEqual(
            (compensation.state, compensation.approver_id, compensation.lot_id), ("approved", self.manager_b, lots)
        )
        # one compensation per ticket
        with self.assertRaisesRegex(UserError, "compensated already"):
            self._propose(points=10.0)
        self.assertEqual(self.env["member.points.move"].search_count([("card_id", "=", card.id)]), 1)

    def _gift_program(self, setting=True, **vals):
        """A gift card program; ``setting``: the company's compensation program (a manager's setting)."""
        program = self.env["loyalty.program"].create(
            {
                "name": "Compensation gift card",
                "program_type": "gift_card",
                "company_id": self.company.id,
                # as the gift card form fills it in: one currency unit per point
                "reward_ids": [
                    Command.create(
                        {"reward_type": "discount", "discount_mode": "per_point", "discount": 1, "required_points": 1}
                    )
                ],
                **vals,
            }
        )
        if setting:
            self.company.member_compensation_program_id = program
        return program

    def test_coupon_is_bound_to_the_member(self):
        program = self._gift_program()
        compensation = self._propose(kind="coupon", coupon_program_id=program.id, coupon_value=40.0, points=0.0)
        compensation.with_user(self.manager_b).action_approve()
        compensation.with_user(self.manager_b).action_approve()
        coupons = self.env["loyalty.card"].search([("program_id", "=", program.id)])
        self.assertEqual(len(coupons), 1)
        self.assertEqual(
            (coupons.partner_id, coupons.member_bound, coupons.points, compensation.coupon_id),
            (self.member, True, 40.0, coupons),
        )

    def test_refuse(self):
        compensation = self._propose()
        compensation.with_user(self.manager_b).action_refuse()
        compensation.with_user(self.manager_b).action_approve()  # refused stays refused
        self.assertEqual((compensation.state, compensation.approver_id), ("refused", self.manager_b))
        self.assertFalse(self._card())

    def test_attack_agent(self):
        compensation = self._propose()
        as_agent = compensation.with_user(self.agent)
        with self.assertRaises(AccessError):
            as_agent.action_approve()
        with self.assertRaises(AccessError):
            as_agent.action_refuse()
        for vals in ({"state": "approved"}, {"approver_id": self.agent.id}, {"lot_id": False, "state": "refused"}):
            with self.assertRaises(AccessError):
                as_agent.write(vals)
        with self.assertRaises(AccessError):
            self.env["member.complaint.compensation"].with_user(self.agent).create(
                {"complaint_id": self.complaint.id, "kind": "points", "points": 10.0, "state": "approved"}
            )
        # a manager cannot change the agent's proposal and approve it as if it were theirs either
        with self.assertRaises(AccessError):
            compensation.with_user(self.manager_b).write({"points": 200.0})
        # nor write the state without the button
        with self.assertRaises(AccessError):
            compensation.with_user(self.manager_b).write({"state": "approved"})
        self.assertEqual((compensation.state, compensation.points), ("proposed", 120.0))
        self.assertFalse(self._card())

    def test_attack_other_company_agent(self):
        compensation = self._propose()
        company_b = self.env["res.company"].create({"name": "Comp Company B"})
        agent_b = new_test_user(
            self.env,
            login="comp_agent_b",
            groups="member_crm.group_member_crm_service",
            company_id=company_b.id,
            company_ids=[Command.set(company_b.ids)],
        )
        Compensation = self.env["member.complaint.compensation"].with_user(agent_b)
        self.assertEqual(Compensation.search_read([], ["points"]), [])
        self.assertEqual(Compensation.search_count([("id", "=", compensation.id)]), 0)
        with self.assertRaises(AccessError):
            Compensation.browse(compensation.id).read(["points"])

    # -- review findings ------------------------------------------------
    def test_attack_agent_default_context(self):
        """Flow fields cannot come in through ``default_<field>`` context keys either (RPC sends any context)."""
        Compensation = self.env["member.complaint.compensation"].with_user(self.agent)
        compensation = Compensation.with_context(
            default_state="approved",
            default_approver_id=self.manager_b.id,
            default_decided_on="2026-01-01 10:00:00",
            default_partner_id=self.manager_b.partner_id.id,
        ).create({"complaint_id": self.complaint.id, "kind": "points", "points": 10.0})
        self.assertEqual(
            (compensation.state, compensation.approver_id, compensation.decided_on, compensation.partner_id),
            ("proposed", self.env["res.users"], False, self.member),
        )
        self.assertFalse(self._card())

    def test_attack_agent_redirects_the_ticket(self):
        """The member is fixed at proposal: the ticket's customer and company stay while it is open."""
        other = self._member_partner("Comp Other Member", self.company)
        compensation = self._propose(points=100.0)
        self.assertEqual(compensation.partner_id, self.member)
        complaint = self.complaint.with_user(self.agent)
        with self.assertRaisesRegex(UserError, "customer and company cannot change"):
            complaint.write({"partner_id": other.id})
        company_b = self.env["res.company"].create({"name": "Comp Company Redirect"})
        self.agent.company_ids |= company_b
        with self.assertRaisesRegex(UserError, "customer and company cannot change"):
            complaint.write({"company_id": company_b.id})
        with self.assertRaises(AccessError):
            compensation.with_user(self.agent).write({"partner_id": other.id})
        with self.assertRaises(AccessError):
            compensation.with_user(self.agent).write({"complaint_id": self._complaint(other).id})
        self.assertEqual((self.complaint.partner_id, compensation.partner_id), (self.member, self.member))
        # changed behind the guard (a database edit): the approval checks the member again
        self.env.cr.execute("UPDATE member_complaint SET partner_id = %s WHERE id = %s", (other.id, self.complaint.id))
        self.complaint.invalidate_recordset(["partner_id"])
        with self.assertRaisesRegex(UserError, "is no longer"):
            compensation.with_user(self.manager_b).action_approve()
        self.assertEqual(compensation.state, "proposed")
        self.assertFalse(self._card())
        # refused, the ticket is free again
        compensation.with_user(self.manager_b).action_refuse()
        self.complaint.with_user(self.agent).write({"partner_id": self.member.id})
        self.assertEqual(self.complaint.partner_id, self.member)

    def test_refused_to_the_approver_or_proposer(self):
        for user in (self.manager, self.manager_b):
            user.partner_id.with_company(self.company).action_member_enroll()
        # the approver's own ticket
        ticket_b = self._complaint(self.manager_b.partner_id, name="Manager B's kettle")
        compensation = self._propose(complaint_id=ticket_b.id, points=50.0)
        with self.assertRaisesRegex(UserError, "to the approver or to its proposer"):
            compensation.with_user(self.manager_b).action_approve()
        self.assertEqual(compensation.state, "proposed")
        # the proposer's own ticket
        ticket_a = self._complaint(self.manager.partner_id, name="Manager A's kettle")
        compensation = self._propose(user=self.manager, complaint_id=ticket_a.id, points=50.0)
        with self.assertRaisesRegex(UserError, "to the approver or to its proposer"):
            compensation.with_user(self.manager_b).action_approve()
        self.assertEqual(compensation.state, "proposed")
        self.assertEqual(self.env["member.points.lot"].search_count([("kind", "=", "compensation")]), 0)

    def test_coupon_program_is_the_company_setting(self):
        self.assertFalse(self.company.member_compensation_program_id)
        with self.assertRaisesRegex(UserError, "no compensation program"):
            self._propose(kind="coupon", coupon_value=10.0, points=0.0)
        program = self._gift_program()
        # the agent cannot pick another program (one whose reward is worth more per point)
        rich = self._gift_program(setting=False, name="Rich gift card")
        rich.reward_ids.discount = 10.0
        with self.assertRaisesRegex(UserError, "company's compensation program"):
            self._propose(kind="coupon", coupon_program_id=rich.id, coupon_value=40.0, points=0.0)
        compensation = self._propose(kind="coupon", coupon_value=40.0, points=0.0)
        self.assertEqual(compensation.coupon_program_id, program)
        with self.assertRaises(AccessError):
            compensation.with_user(self.agent).write({"coupon_program_id": rich.id})
        # a second reward (a product for one point) would make the coupon worth more than approved
        self.env["loyalty.reward"].create(
            {
                "program_id": program.id,
                "reward_type": "product",
                "reward_product_id": self.env["product.product"].create({"name": "Comp Gift"}).id,
                "required_points": 1,
            }
        )
        with self.assertRaisesRegex(UserError, "one reward only"):
            compensation.with_user(self.manager_b).action_approve()
        with self.assertRaisesRegex(UserError, "one reward only"):
            self._propose(kind="coupon", coupon_value=5.0, points=0.0, complaint_id=self._complaint(self.member).id)
        self.assertEqual(compensation.state, "proposed")
        self.assertEqual(self.env["loyalty.card"].search_count([("program_id", "in", (program | rich).ids)]), 0)

    def test_coupon_program_in_another_currency_is_refused(self):
        other = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search([("id", "!=", self.company.currency_id.id)], limit=1)
        )
        program = self._gift_program(currency_id=other.id)
        self.assertEqual(program.currency_id, other)
        with self.assertRaisesRegex(UserError, "one reward only"):
            self._propose(kind="coupon", coupon_value=40.0, points=0.0)

    def test_kind_change_takes_the_company_program(self):
        program = self._gift_program()
        compensation = self._propose(points=20.0)
        self.assertFalse(compensation.coupon_program_id)
        # as the form sends it: the kind and the program its onchange computed
        compensation.with_user(self.agent).write(
            {"kind": "coupon", "coupon_value": 15.0, "points": 0.0, "coupon_program_id": program.id}
        )
        self.assertEqual((compensation.kind, compensation.coupon_program_id), ("coupon", program))
        compensation.with_user(self.manager_b).action_approve()
        self.assertEqual((compensation.coupon_id.program_id, compensation.coupon_id.points), (program, 15.0))
