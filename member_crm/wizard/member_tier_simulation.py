"""Try tier rules on the whole history before applying them.

"With these rules, as of this date": the ledger is backfilled from the full
order history (one INSERT ... SELECT per source) inside a savepoint, every
member is placed by ``engine.tiers.placement``, and the savepoint is rolled
back. *Apply* runs the very same code without the rollback, so the numbers a
manager saw are the numbers applied.
"""

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..engine import tiers as engine
from ..models.member_tier import RULE_FIELDS


class MemberTierSimulation(models.TransientModel):
    _name = "member.tier.simulation"
    _description = "Tier Rules Simulation"

    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    as_of = fields.Date(required=True, default=lambda self: self.env.company._member_today())
    window_type = fields.Selection(
        [("rolling", "Rolling months"), ("calendar", "Calendar year")], required=True, default="rolling"
    )
    window_months = fields.Integer(default=12)
    line_ids = fields.One2many("member.tier.simulation.line", "simulation_id", string="Tier Rules")
    state = fields.Selection([("draft", "Draft"), ("done", "Simulated"), ("applied", "Applied")], default="draft")
    count_up = fields.Integer(readonly=True)
    count_down = fields.Integer(readonly=True)
    count_stay = fields.Integer(readonly=True)
    backfilled = fields.Integer(string="History Entries", readonly=True)
    result_ids = fields.One2many("member.tier.simulation.result", "simulation_id", readonly=True)
    move_ids = fields.One2many("member.tier.simulation.move", "simulation_id", readonly=True)

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        company = self.env["res.company"].browse(values.get("company_id")) or self.env.company
        values.setdefault("window_type", company.member_window_type)
        values.setdefault("window_months", company.member_window_months)
        if "line_ids" in fields_list:
            tiers = self.env["member.tier"].search([("company_id", "=", company.id)], order="level")
            values["line_ids"] = [
                fields.Command.create(
                    {
                        "tier_id": t.id,
                        "level": t.level,
                        "min_spend": t.min_spend,
                        "min_orders": t.min_orders,
                        "min_category_spend": t.min_category_spend,
                        "min_feedback": t.min_feedback,
                        "rule_operator": t.rule_operator,
                        "invitation_only": t.invitation_only,
                    }
                )
                for t in tiers
            ]
        return values

    def _rules(self):
        rules = [line.tier_id._member_rule(line._member_rule_values()) for line in self.line_ids]
        try:
            engine.validate_ladder(rules, self.window_months if self.window_type == "rolling" else 12)
        except engine.LadderError as error:
            raise ValidationError(self.env["member.tier"]._member_ladder_message(error)) from error
        return rules

    def _compute_moves(self):
        """Backfill the ledger and place every member: [(membership, from, to, direction)], entries written."""
        self.ensure_one()
        if not self.company_id.member_crm_enabled:
            raise UserError(self.env._("Turn membership on for %(company)s first.", company=self.company_id.name))
        rules = self._rules()
        Ledger = self.env["member.ledger"].sudo()
        Membership = self.env["member.membership"].sudo()
        backfilled = Ledger._member_backfill(self.company_id)
        ids = Membership.search([("company_id", "=", self.company_id.id), ("state", "=", "active")], order="id").ids
        # the window tried, not the company's
        windows = Membership._member_windows(
            self.company_id.ids, self.as_of, settings={self.company_id.id: (self.window_type, self.window_months)}
        )
        rows = Membership._member_aggregate(membership_ids=ids, windows=windows)
        moves = []
        for row in rows:
            target, direction = engine.placement(row["tier_id"], rules, Membership._member_qualification(row))
            moves.append((row["id"], row["tier_id"], target, direction))
        return moves, backfilled, rows

    def _store_results(self, moves, backfilled):
        summary = engine.summarize([(before, after, direction) for _m, before, after, direction in moves])
        self.result_ids.unlink()
        self.move_ids.unlink()
        self.write(
            {
                "count_up": summary["up"],
                "count_down": summary["down"],
                "count_stay": summary["stay"],
                "backfilled": backfilled,
                "result_ids": [
                    fields.Command.create({"from_tier_id": before, "to_tier_id": after, "count": count})
                    for (before, after), count in sorted(summary["by_tier"].items(), key=lambda kv: str(kv[0]))
                ],
                "move_ids": [
                    fields.Command.create(
                        {"membership_id": mid, "from_tier_id": before, "to_tier_id": after, "direction": direction}
                    )
                    for mid, before, after, direction in moves
                    if direction != "stay"
                ],
            }
        )

    def action_simulate(self):
        self.ensure_one()
        savepoint = self.env.cr.savepoint()
        moves, backfilled, _rows = self._compute_moves()
        self.env.flush_all()
        savepoint.close(rollback=True)  # a simulation writes nothing
        self.env.invalidate_all()
        self._store_results(moves, backfilled)
        self.state = "done"
        return self._reopen()

    def action_apply(self):
        self.ensure_one()
        if not self.env.user.has_group("member_crm.group_member_crm_manager"):
            raise UserError(self.env._("Only a member manager can apply tier rules."))
        self._rules()  # refuses an invalid ladder before anything is written
        self.company_id.write({"member_window_type": self.window_type, "member_window_months": self.window_months})
        for line in self.line_ids:
            line.tier_id.with_context(member_ladder_check_deferred=True).write(line._member_rule_values())
        self.env["member.tier"]._member_validate_companies(self.company_id)  # the whole new ladder, once
        moves, backfilled, _rows = self._compute_moves()
        Membership = self.env["member.membership"].sudo()
        Membership._member_apply_changes(
            [(mid, before, after) for mid, before, after, direction in moves if direction != "stay"],
            "review",
            as_of=self.as_of,
            reason=self.env._("Tier rules applied from a simulation"),
        )
        self._store_results(moves, backfilled)
        self.state = "applied"
        return self._reopen()

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": self.env._("Tier Rules Simulation"),
        }


class MemberTierSimulationLine(models.TransientModel):
    _name = "member.tier.simulation.line"
    _description = "Tier Rules Simulation: Rule"
    _order = "level"

    simulation_id = fields.Many2one("member.tier.simulation", required=True, ondelete="cascade")
    tier_id = fields.Many2one("member.tier", required=True, readonly=True)
    level = fields.Integer(required=True)
    min_spend = fields.Float()
    min_orders = fields.Integer()
    min_category_spend = fields.Float()
    min_feedback = fields.Integer()
    rule_operator = fields.Selection([("all", "All"), ("any", "Any")], required=True, default="all")
    invitation_only = fields.Boolean()

    def _member_rule_values(self):
        """The tier settings this line tries, for ``member.tier._member_rule``."""
        self.ensure_one()
        return {name: self[name] for name in RULE_FIELDS}


class MemberTierSimulationResult(models.TransientModel):
    _name = "member.tier.simulation.result"
    _description = "Tier Rules Simulation: Moves per Tier"

    simulation_id = fields.Many2one("member.tier.simulation", required=True, ondelete="cascade")
    from_tier_id = fields.Many2one("member.tier", string="From")
    to_tier_id = fields.Many2one("member.tier", string="To")
    count = fields.Integer()


class MemberTierSimulationMove(models.TransientModel):
    _name = "member.tier.simulation.move"
    _description = "Tier Rules Simulation: Member Moving"

    simulation_id = fields.Many2one("member.tier.simulation", required=True, ondelete="cascade")
    membership_id = fields.Many2one("member.membership", string="Member")
    from_tier_id = fields.Many2one("member.tier", string="From")
    to_tier_id = fields.Many2one("member.tier", string="To")
    direction = fields.Selection([("up", "Up"), ("down", "Down")])
