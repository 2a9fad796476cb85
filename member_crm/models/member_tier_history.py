from odoo import api, fields, models

TRIGGERS = [
    ("order", "Order"),
    ("review", "Review"),
    ("manual", "Manual"),
    ("import", "Import"),
    ("enroll", "Enrolment"),
    ("merge", "Contact Merge"),
]

DIRECTIONS = [
    ("up", "Up"),
    ("down", "Down"),
    ("grace_start", "Grace Started"),
    ("grace_end", "Grace Ended"),
]
# the directions that change the tier (grace lines keep it)
MOVES = ("up", "down")


class MemberTierHistory(models.Model):
    """The log of tier changes: mass changes write here, never chatter tracking per member.

    Lines are written with their move, by ``member.membership._member_move_sql`` only, and the grace
    periods' start and end lines by the review's statement (``_member_review_sql``) or with the move
    that ends them.
    """

    _name = "member.tier.history"
    _description = "Member Tier History"
    _order = "date desc, id desc"
    _check_company_auto = True

    membership_id = fields.Many2one("member.membership", required=True, index=True, ondelete="cascade", readonly=True)
    partner_id = fields.Many2one("res.partner", required=True, index=True, ondelete="cascade", readonly=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True)  # few values: no index
    from_tier_id = fields.Many2one("member.tier", string="From", readonly=True, ondelete="set null")
    to_tier_id = fields.Many2one("member.tier", string="To", readonly=True, ondelete="set null")
    # up and down are tier moves; grace_start and grace_end (from = to = the tier concerned) are the grace
    # periods the review starts (drop notified) and ends (qualifying again, or the move after the grace)
    direction = fields.Selection(DIRECTIONS, required=True, readonly=True)
    trigger = fields.Selection(TRIGGERS, required=True, readonly=True)
    date = fields.Datetime(required=True, default=fields.Datetime.now, readonly=True)
    source_ref = fields.Reference(selection="_selection_source_models", string="Source Document", readonly=True)
    user_id = fields.Many2one("res.users", string="By", readonly=True, default=lambda self: self.env.user)
    reason = fields.Text(readonly=True)

    @api.model
    def _selection_source_models(self):
        return self.env["member.ledger"]._selection_source_models()
