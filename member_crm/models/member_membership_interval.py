"""Membership state intervals: when each membership was active, suspended or left.

A membership is one record per (partner, company) whose ``state`` is overwritten:
re-enrolling reactivates the same record, so its dates alone cannot tell how many
members a company had on a past day. Each state period is an interval
``[date_from, date_to)`` (company-local days, ``date_to`` exclusive, empty while
open); "members at day D" are the active intervals with ``date_from <= D`` and no
``date_to`` or ``date_to > D``.

One writer, ``member.membership._member_log_state``, in SQL: called when
memberships are created (enrolment, POS and portal enrolment, the import) and
when their state or joining date is written (re-enrolment, suspension, leaving,
erasure, a contact merge, a manager's form). Users read intervals; nobody
writes or deletes them through the ORM.
"""

from odoo import api, fields, models
from odoo.exceptions import UserError

from odoo.addons.base.models.ir_model import MODULE_UNINSTALL_FLAG

STATES = [("active", "Active"), ("suspended", "Suspended"), ("left", "Left")]
START_KINDS = [
    ("enrolled", "Enrolled"),
    ("re_enrolled", "Re-enrolled"),
    ("suspended", "Suspended"),
    ("left", "Left"),
    ("imported", "Imported"),
]


class MemberMembershipInterval(models.Model):
    _name = "member.membership.interval"
    _description = "Membership State Interval"
    _order = "date_from desc, date_to desc nulls first, id desc"
    _check_company_auto = True

    membership_id = fields.Many2one("member.membership", required=True, readonly=True, index=True, ondelete="cascade")
    # the membership's contact (a contact merge re-points it with the membership)
    partner_id = fields.Many2one(
        "res.partner", string="Member", required=True, readonly=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    state = fields.Selection(STATES, required=True, readonly=True)
    date_from = fields.Date(string="From", required=True, readonly=True, help="First day, in the company's time zone.")
    date_to = fields.Date(
        string="Until",
        readonly=True,
        help="The day the next period starts (not part of this one); empty: the current period.",
    )
    start_kind = fields.Selection(START_KINDS, string="Started By", required=True, readonly=True)

    # one open period per membership: the writer moves it forward, never opens a second one
    _one_open_uniq = models.UniqueIndex("(membership_id) WHERE date_to IS NULL")
    _dates_check = models.Constraint(
        "CHECK (date_to IS NULL OR date_to >= date_from)", "A membership period cannot end before it starts."
    )
    # "members at day D": the active periods of a company around D
    _members_at_idx = models.Index("(company_id, date_from) INCLUDE (date_to, membership_id) WHERE state = 'active'")

    @api.model_create_multi
    def create(self, vals_list):
        if vals_list:
            self.check_access("create")  # a user without the right gets the access error first
            raise UserError(
                self.env._("Membership periods are recorded by enrolment and state changes; they cannot be created.")
            )
        return super().create(vals_list)

    def write(self, vals):
        if self:
            self.check_access("write")
            raise UserError(self.env._("Membership periods cannot be changed: change the membership's state instead."))
        return super().write(vals)

    @api.ondelete(at_uninstall=True)
    def _unlink_never(self):
        if not self.env.context.get(MODULE_UNINSTALL_FLAG):
            raise UserError(self.env._("Membership periods cannot be deleted: they count past members."))
