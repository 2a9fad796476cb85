from odoo import models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    def _action_confirm(self):
        res = super()._action_confirm()
        self._member_crm_on_confirm()
        return res

    def _action_cancel(self):
        res = super()._action_cancel()
        self._member_crm_on_cancel()
        return res

    def _member_crm_on_confirm(self):
        """In "confirm" mode a confirmed order qualifies (the SQL filters on the company setting)."""
        # sudo: salespeople write the ledger through their orders only
        self.env["member.ledger"].sudo()._member_record_sales(self)

    def _member_crm_on_cancel(self):
        """A counted order that is cancelled is taken back (confirmed again later, it counts again)."""
        counted = self.filtered(lambda o: o.company_id.member_crm_enabled)
        self.env["member.ledger"].sudo()._member_record_cancel("sale.order", counted)
