"""Compensation of a complaint: points or a member-bound coupon, proposed by an agent, approved by a manager.

The flow:

- a service agent proposes it on the ticket (points on the member's card, or a coupon of a loyalty
  program worth a value in the company currency);
- a Member Manager who is not the proposer approves or refuses it, within the caps of the member's
  tier (``member.tier.compensation_max_points`` / ``compensation_max_value``, per ticket);
- on approval the points go through member_crm's points writer with the ticket as the source of the
  lot and the move; a coupon is a ``loyalty.card`` bound to the member. A ticket has at most one
  approved compensation (a unique index), and approving twice writes once (the rows are locked,
  the second approval finds them approved and does nothing).

The state, the approver and what the approval wrote are flow fields: only the buttons' code can
write them (``trusted`` context flag, which an RPC caller cannot forge), neither through the values
nor through ``default_<field>`` context keys. The member is fixed when the compensation is proposed
(the ticket's customer then; the ticket's customer and company cannot change while a compensation is
open), the approval checks it is still the ticket's, and that it is neither the approver's nor the
proposer's own. A coupon is a card of the company's compensation program (a manager's setting),
whose only reward is an amount per point in the company currency, so that the coupon's value is exact.
"""

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL

from odoo.addons.member_crm.tools.trusted import is_trusted, trusted

COMPENSATION_FLOW = "member_crm_compensation_flow"
# written by the approval and refusal only
FLOW_FIELDS = {"state", "proposer_id", "approver_id", "decided_on", "lot_id", "coupon_id"}
# set when proposed, from the ticket and the company: never written by a caller
FIXED_FIELDS = {"complaint_id", "partner_id", "coupon_program_id"}
# what the proposer proposes, changeable while the proposal is open
PROPOSAL_FIELDS = {"kind", "points", "coupon_value"}


class MemberComplaintCompensation(models.Model):
    _name = "member.complaint.compensation"
    _description = "Complaint Compensation"
    _inherit = ["mail.thread"]
    _order = "id desc"
    _check_company_auto = True

    complaint_id = fields.Many2one(
        "member.complaint", string="Ticket", required=True, ondelete="restrict", index=True, check_company=True
    )
    company_id = fields.Many2one(
        "res.company", related="complaint_id.company_id", store=True, precompute=True, index=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_id = fields.Many2one(
        "res.partner",
        string="Member",
        readonly=True,
        index=True,
        help="The commercial entity of the ticket's customer when proposed: the points or the coupon are theirs.",
    )
    tier_id = fields.Many2one(
        "member.tier", compute="_compute_tier_id", help="The member's tier now: its caps apply to the approval."
    )
    kind = fields.Selection(
        [("points", "Points"), ("coupon", "Coupon")], required=True, default="points", tracking=True
    )
    points = fields.Float(tracking=True, help="Points added to the member's card of the company's member program.")
    coupon_program_id = fields.Many2one(
        "loyalty.program",
        check_company=True,
        compute="_compute_coupon_program_id",
        store=True,
        precompute=True,
        help="The company's compensation program (Settings): the coupon is a card of it bound to the member.",
    )
    coupon_value = fields.Monetary(currency_field="currency_id", tracking=True)
    reason = fields.Text()
    state = fields.Selection(
        [("proposed", "Proposed"), ("approved", "Approved"), ("refused", "Refused")],
        default="proposed",
        required=True,
        readonly=True,
        tracking=True,
    )
    proposer_id = fields.Many2one(
        "res.users", string="Proposed by", default=lambda self: self.env.user, readonly=True, required=True
    )
    approver_id = fields.Many2one("res.users", string="Decided by", readonly=True)
    decided_on = fields.Datetime(readonly=True)
    lot_id = fields.Many2one("member.points.lot", string="Points Lot", readonly=True)
    coupon_id = fields.Many2one("loyalty.card", readonly=True)

    # one compensation written per ticket, whatever replays the approval
    _approved_once = models.UniqueIndex(
        "(complaint_id) WHERE state = 'approved'", "A ticket has one approved compensation at most."
    )
    _amounts_positive = models.Constraint(
        "CHECK(points >= 0 AND coupon_value >= 0)", "A compensation cannot be negative."
    )

    @api.depends("kind", "company_id")
    def _compute_coupon_program_id(self):
        # set when proposed (or the kind changed): a later change of the setting leaves the compensation as it is
        for compensation in self:
            compensation.coupon_program_id = (
                compensation.company_id.member_compensation_program_id if compensation.kind == "coupon" else False
            )

    @api.depends("partner_id", "company_id")
    def _compute_tier_id(self):
        tiers = self._member_tiers()
        for compensation in self:
            compensation.tier_id = tiers.get((compensation.partner_id.id, compensation.company_id.id), False)

    def _member_tiers(self):
        """{(partner id, company id): tier} of the active memberships of these compensations' members."""
        # sudo: an agent sees the tier of the ticket's member, not the memberships themselves
        memberships = (
            self.env["member.membership"]
            .sudo()
            .search(
                [
                    ("partner_id", "in", self.partner_id.ids),
                    ("company_id", "in", self.company_id.ids),
                    ("state", "=", "active"),
                ]
            )
        )
        return {(m.partner_id.id, m.company_id.id): m.tier_id for m in memberships}

    @api.constrains("kind", "points", "coupon_value", "coupon_program_id")
    def _check_amounts(self):
        for compensation in self:
            if compensation.kind == "points" and compensation.points <= 0:
                raise ValidationError(self.env._("A points compensation needs a number of points above zero."))
            if compensation.kind == "coupon" and not compensation.coupon_program_id:
                raise ValidationError(
                    self.env._(
                        "Company %(company)s has no compensation program: set one in the Member CRM settings.",
                        company=compensation.company_id.name,
                    )
                )
            if compensation.kind == "coupon" and compensation.coupon_value <= 0:
                raise ValidationError(
                    self.env._("A coupon compensation needs a coupon program and a value above zero.")
                )

    # ------------------------------------------------------------------
    # who may write what
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        model = self
        if not is_trusted(self.env, COMPENSATION_FLOW):
            for vals in vals_list:
                if (FLOW_FIELDS - {"proposer_id"}) & set(vals) or vals.get("proposer_id", self.env.uid) != self.env.uid:
                    raise AccessError(
                        self.env._("A compensation is proposed in the Proposed state, by the current user.")
                    )
            model = self._member_without_flow_defaults()
        Complaint = self.env["member.complaint"]
        for vals in vals_list:
            complaint = Complaint.browse(vals.get("complaint_id") or self.env.context.get("default_complaint_id"))
            vals.update(self._member_fixed_values(complaint, vals))
        records = super(MemberComplaintCompensation, model).create(vals_list)
        if not is_trusted(self.env, COMPENSATION_FLOW) and any(
            (r.state, r.approver_id, r.decided_on, r.lot_id, r.coupon_id, r.proposer_id)
            != (
                "proposed",
                self.env["res.users"],
                False,
                self.env["member.points.lot"],
                self.env["loyalty.card"],
                self.env.user,
            )
            for r in records
        ):
            raise AccessError(self.env._("A compensation is proposed in the Proposed state, by the current user."))
        records._member_check_open_ticket()
        records._member_check_caps()
        return records

    def _member_without_flow_defaults(self):
        """Nor through the context: a caller's ``default_state`` would fill the flow fields after the check."""
        # the ticket may come as a default (the ticket's Compensations button): the member is derived from it
        names = {f"default_{name}" for name in FLOW_FIELDS | FIXED_FIELDS - {"complaint_id"}}
        return self.with_env(self.env(context={k: v for k, v in self.env.context.items() if k not in names}))

    def _member_fixed_values(self, complaint, vals):
        """The member (the ticket's customer) and the coupon program (the company's), whatever the caller sent."""
        if not complaint:
            return {}
        if vals.get("partner_id") and vals["partner_id"] != complaint.partner_id.commercial_partner_id.id:
            raise AccessError(self.env._("A compensation goes to the ticket's customer."))
        program = complaint.company_id.member_compensation_program_id
        if vals.get("coupon_program_id") and vals["coupon_program_id"] != program.id:
            raise UserError(self.env._("A coupon compensation is a coupon of the company's compensation program."))
        return {"partner_id": complaint.partner_id.commercial_partner_id.id}

    def write(self, vals):
        if "coupon_program_id" in vals and all(
            vals["coupon_program_id"]
            == (c.company_id.member_compensation_program_id.id if vals.get("kind", c.kind) == "coupon" else False)
            for c in self
        ):
            # what the form sends back after the kind changed: the company's program, set by the compute anyway
            vals = {k: v for k, v in vals.items() if k != "coupon_program_id"}
        if not is_trusted(self.env, COMPENSATION_FLOW):
            if FLOW_FIELDS & set(vals):
                raise AccessError(
                    self.env._("A compensation's state and approval are set by its Approve and Refuse buttons only.")
                )
            if FIXED_FIELDS & set(vals):
                raise AccessError(
                    self.env._("A compensation's ticket, member and coupon program are set when it is proposed.")
                )
            if PROPOSAL_FIELDS & set(vals) and any(
                c.state != "proposed" or c.proposer_id != self.env.user for c in self
            ):
                raise AccessError(
                    self.env._("Only the proposer changes a compensation, and only while it is proposed.")
                )
        res = super().write(vals)
        if PROPOSAL_FIELDS & set(vals):
            self._member_check_caps()
        return res

    @api.ondelete(at_uninstall=False)
    def _unlink_if_proposed(self):
        if any(c.state == "approved" for c in self):
            raise UserError(self.env._("An approved compensation was given to the member: it cannot be deleted."))

    def _member_check_open_ticket(self):
        approved = self.search_count(
            [("complaint_id", "in", self.complaint_id.ids), ("state", "=", "approved"), ("id", "not in", self.ids)]
        )
        if approved:
            raise UserError(self.env._("This ticket has been compensated already."))

    def _member_check_caps(self):
        """Refuse what the member's tier does not allow per ticket (non-members: no compensation)."""
        tiers = self._member_tiers()
        self.filtered(lambda c: c.state == "proposed" and c.kind == "coupon")._member_coupon_rewards()
        for compensation in self.filtered(lambda c: c.state == "proposed"):
            tier = tiers.get((compensation.partner_id.id, compensation.company_id.id))
            if not tier:
                raise UserError(
                    self.env._(
                        "%(partner)s is not a member of %(company)s: compensation is a member benefit.",
                        partner=compensation.partner_id.display_name or self.env._("The ticket's customer"),
                        company=compensation.company_id.name,
                    )
                )
            if compensation.kind == "points" and compensation.points > tier.compensation_max_points + 1e-6:
                raise UserError(
                    self.env._(
                        "Tier %(tier)s allows at most %(cap)s points of compensation per ticket, not %(points)s.",
                        tier=tier.name,
                        cap=f"{tier.compensation_max_points:g}",
                        points=f"{compensation.points:g}",
                    )
                )
            if compensation.kind == "coupon" and compensation.coupon_value > tier.compensation_max_value + 0.005:
                raise UserError(
                    self.env._(
                        "Tier %(tier)s allows coupons worth at most %(cap)s per ticket, not %(value)s.",
                        tier=tier.name,
                        cap=f"{tier.compensation_max_value:.2f}",
                        value=f"{compensation.coupon_value:.2f}",
                    )
                )

    # ------------------------------------------------------------------
    # approval and refusal
    # ------------------------------------------------------------------
    def _member_check_manager(self):
        if not self.env.user.has_group("member_crm.group_member_crm_manager"):
            raise AccessError(self.env._("Only a Member Manager approves or refuses a compensation."))

    def _member_lock_open(self):
        """Lock the rows and return those still proposed: two approvals of one compensation write once."""
        self.flush_recordset()
        self.env.execute_query(
            SQL("SELECT id FROM member_complaint_compensation WHERE id = ANY(%s) FOR UPDATE", self.ids)
        )
        self.invalidate_recordset()
        return self.filtered(lambda c: c.state == "proposed")

    def action_approve(self):
        self._member_check_manager()
        todo = self._member_lock_open()
        if not todo:
            return True
        if any(c.proposer_id == self.env.user for c in todo):
            raise UserError(self.env._("A compensation is approved by a manager other than the one who proposed it."))
        todo._member_check_member()
        todo._member_check_caps()
        todo._member_check_open_ticket()
        if len(todo.complaint_id) < len(todo):
            raise UserError(self.env._("A ticket has one approved compensation at most: approve one of them."))
        flow = todo.with_context(**trusted(COMPENSATION_FLOW))
        # the state first, flushed: the unique index refuses a concurrent approval of another compensation
        # of the ticket before anything is written to the member's card
        flow.write({"state": "approved", "approver_id": self.env.uid, "decided_on": fields.Datetime.now()})
        todo.flush_recordset(["state"])
        todo.filtered(lambda c: c.kind == "points")._member_give_points()
        todo.filtered(lambda c: c.kind == "coupon")._member_give_coupons()
        return True

    def _member_check_member(self):
        """The member is still the ticket's customer, and neither the approver nor the proposer themselves."""
        approver = self.env.user.partner_id.commercial_partner_id
        for compensation in self:
            if compensation.partner_id != compensation.complaint_id.partner_id.commercial_partner_id:
                raise UserError(
                    self.env._(
                        "%(ticket)s's customer is no longer %(partner)s: refuse this compensation and propose again.",
                        ticket=compensation.complaint_id.display_name,
                        partner=compensation.partner_id.display_name,
                    )
                )
            if compensation.partner_id in approver | compensation.proposer_id.partner_id.commercial_partner_id:
                raise UserError(
                    self.env._("A compensation to the approver or to its proposer is approved by another manager.")
                )

    def action_refuse(self):
        self._member_check_manager()
        todo = self._member_lock_open()
        todo.with_context(**trusted(COMPENSATION_FLOW)).write(
            {"state": "refused", "approver_id": self.env.uid, "decided_on": fields.Datetime.now()}
        )
        return True

    def _member_coupon_rewards(self):
        """{compensation: the reward of its program}: refused unless it is the program's only reward, an amount
        per point in the company currency (so that the coupon's value is exact, and no other reward is in it)."""
        rewards = {}
        for compensation in self:
            program = compensation.coupon_program_id
            # sudo: the agent proposing a coupon reads the company's program, not loyalty's configuration
            reward = program.sudo().reward_ids
            if not program:
                raise UserError(
                    self.env._(
                        "Company %(company)s has no compensation program: set one in the Member CRM settings.",
                        company=compensation.company_id.name,
                    )
                )
            if (
                len(reward) != 1
                or reward.reward_type != "discount"
                or reward.discount_mode != "per_point"
                or reward.discount <= 0
                or program.sudo().currency_id != compensation.company_id.currency_id
            ):
                raise UserError(
                    self.env._(
                        "Program %(program)s must have one reward only, a discount of a fixed amount per point in "
                        "%(currency)s: the coupon's value would not be exact.",
                        program=program.sudo().name,
                        currency=compensation.company_id.currency_id.name,
                    )
                )
            rewards[compensation] = reward
        return rewards

    def _member_give_points(self):
        if not self:
            return
        Card = self.env["loyalty.card"]
        missing = self.filtered(lambda c: not c.company_id.member_loyalty_program_id)
        if missing:
            raise UserError(
                self.env._(
                    "Company %(company)s has no member loyalty program: points cannot be given.",
                    company=missing[0].company_id.name,
                )
            )
        cards = Card._member_cards([(c.partner_id.id, c.company_id.member_loyalty_program_id.id) for c in self])
        entries = [
            {
                "card": cards[(c.partner_id.id, c.company_id.member_loyalty_program_id.id)],
                "points": c.points,
                "kind": "compensation",
                "description": self.env._("Compensation for %(ticket)s", ticket=c.complaint_id.display_name),
                "source": ("member.complaint", c.complaint_id.id),
            }
            for c in self
        ]
        # sudo: the points writer's lots and moves are the system's; the manager's right is checked above
        lots = self.env["member.points.lot"].sudo()._member_points_earn(entries)
        for compensation, lot in zip(self, lots, strict=True):
            compensation.with_context(**trusted(COMPENSATION_FLOW)).lot_id = lot

    def _member_give_coupons(self):
        if not self:
            return
        rewards = self._member_coupon_rewards()
        vals_list = [
            {
                "program_id": compensation.coupon_program_id.id,
                "partner_id": compensation.partner_id.id,
                "points": compensation.coupon_value / rewards[compensation].discount,
                "member_bound": True,
            }
            for compensation in self
        ]
        # sudo: coupons are issued by the system, as the benefit gifts are (loyalty cards are a sales manager's)
        coupons = self.env["loyalty.card"].sudo().with_context(loyalty_no_mail=True).create(vals_list)
        for compensation, coupon in zip(self, coupons, strict=True):
            compensation.with_context(**trusted(COMPENSATION_FLOW)).coupon_id = coupon


class MemberTier(models.Model):
    _inherit = "member.tier"

    compensation_max_points = fields.Float(
        string="Max Compensation Points per Ticket",
        tracking=True,
        help="The most points a Member Manager may approve as compensation of one complaint (0: none).",
    )
    compensation_max_value = fields.Monetary(
        string="Max Compensation Coupon per Ticket",
        currency_field="currency_id",
        tracking=True,
        help="The highest coupon value a Member Manager may approve as compensation of one complaint (0: none).",
    )

    _compensation_caps_positive = models.Constraint(
        "CHECK(compensation_max_points >= 0 AND compensation_max_value >= 0)",
        "Compensation caps cannot be negative.",
    )


class MemberPointsMove(models.Model):
    _inherit = "member.points.move"

    @api.model
    def _selection_source_models(self):
        # compensation points name their ticket as the source
        return [*super()._selection_source_models(), ("member.complaint", self.env._("Complaint"))]
