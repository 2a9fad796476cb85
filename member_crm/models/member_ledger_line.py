"""The ledger's amounts per product category (the purchase-type criterion), one line per entry and category.

Written with their entry by ``member.ledger._member_insert``, dated as the entry; never changed.
"""

from odoo import fields, models
from odoo.exceptions import UserError


class MemberLedgerLine(models.Model):
    _name = "member.ledger.line"
    _description = "Member Qualification Ledger by Category"
    _order = "ledger_id, id"

    ledger_id = fields.Many2one("member.ledger", required=True, index=True, ondelete="cascade", readonly=True)
    partner_id = fields.Many2one("res.partner", required=True, readonly=True, ondelete="cascade")
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    date = fields.Date(required=True, readonly=True)
    categ_id = fields.Many2one("product.category", string="Category", readonly=True, ondelete="set null")
    amount = fields.Monetary(currency_field="currency_id", readonly=True)

    _member_window_idx = models.Index("(partner_id, company_id, date) INCLUDE (categ_id, amount)")

    def write(self, vals):
        if self:
            raise UserError(self.env._("Ledger entries cannot be changed: add a correction instead."))
        return super().write(vals)
