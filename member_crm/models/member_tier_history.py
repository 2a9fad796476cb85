from odoo import api, fields, models
from odoo.tools import SQL

TRIGGERS = [
    ("order", "Order"),
    ("review", "Review"),
    ("manual", "Manual"),
    ("import", "Import"),
    ("enroll", "Enrolment"),
]


class MemberTierHistory(models.Model):
    """The log of tier changes: mass changes write here, never chatter tracking per member."""

    _name = "member.tier.history"
    _description = "Member Tier History"
    _order = "date desc, id desc"
    _check_company_auto = True

    membership_id = fields.Many2one("member.membership", required=True, index=True, ondelete="cascade", readonly=True)
    partner_id = fields.Many2one("res.partner", required=True, index=True, ondelete="cascade", readonly=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True)  # few values: no index
    from_tier_id = fields.Many2one("member.tier", string="From", readonly=True, ondelete="set null")
    to_tier_id = fields.Many2one("member.tier", string="To", readonly=True, ondelete="set null")
    direction = fields.Selection([("up", "Up"), ("down", "Down")], required=True, readonly=True)
    trigger = fields.Selection(TRIGGERS, required=True, readonly=True)
    date = fields.Datetime(required=True, default=fields.Datetime.now, readonly=True)
    source_ref = fields.Reference(selection="_selection_source_models", string="Source Document", readonly=True)
    user_id = fields.Many2one("res.users", string="By", readonly=True, default=lambda self: self.env.user)
    reason = fields.Text(readonly=True)

    @api.model
    def _selection_source_models(self):
        return self.env["member.ledger"]._selection_source_models()

    @api.model
    def _member_log(self, entries, trigger, reason=None):
        """Insert history lines with one statement (the review can move thousands at once)."""
        if not entries:
            return
        now = fields.Datetime.now()
        columns = ("membership_id", "partner_id", "company_id", "from_tier_id", "to_tier_id", "direction", "source_ref")
        arrays = {name: [entry.get(name) or None for entry in entries] for name in columns}
        self.env.execute_query(
            SQL(
                """
                INSERT INTO member_tier_history (membership_id, partner_id, company_id, from_tier_id, to_tier_id,
                                                 direction, source_ref, trigger, date, user_id, reason,
                                                 create_uid, create_date, write_uid, write_date)
                SELECT v.*, %(trigger)s, %(now)s, %(uid)s, %(reason)s, %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM unnest(%(membership)s::int[], %(partner)s::int[], %(company)s::int[], %(from_tier)s::int[],
                              %(to_tier)s::int[], %(direction)s::varchar[], %(source)s::varchar[])
                       AS v(membership_id, partner_id, company_id, from_tier_id, to_tier_id, direction, source_ref)
                """,
                membership=arrays["membership_id"],
                partner=arrays["partner_id"],
                company=arrays["company_id"],
                from_tier=arrays["from_tier_id"],
                to_tier=arrays["to_tier_id"],
                direction=arrays["direction"],
                source=arrays["source_ref"],
                trigger=trigger,
                now=now,
                uid=self.env.uid,
                reason=reason,
            )
        )
