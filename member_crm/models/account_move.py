from odoo import models


class AccountMove(models.Model):
    _inherit = "account.move"

    def _invoice_paid_hook(self):
        res = super()._invoice_paid_hook()
        self.filtered(lambda m: m.move_type in ("out_invoice", "out_refund"))._member_crm_on_paid()
        return res

    def _post(self, soft=True):
        posted = super()._post(soft)
        posted.filtered(lambda m: m.move_type == "out_refund")._member_crm_on_refund_posted()
        # a paid invoice reset to draft keeps its payments: posted again, it is paid at once, with no hook call
        posted.filtered(
            lambda m: m.move_type in ("out_invoice", "out_refund") and m.payment_state in ("paid", "in_payment")
        )._member_crm_on_paid()
        return posted

    def button_draft(self):
        res = super().button_draft()  # button_cancel resets posted moves to draft through here
        self._member_crm_on_draft()
        return res

    def _member_crm_on_draft(self):
        """A counted invoice or credit note reset to draft (or cancelled) stops counting.

        Its ledger entry is taken back by a cancellation; posted (and paid) again later, it counts again.
        """
        documents = self.filtered(
            lambda m: m.move_type in ("out_invoice", "out_refund") and m.company_id.member_crm_enabled
        )
        # sudo: the ledger has no create right for anybody, by design
        self.env["member.ledger"].sudo()._member_record_cancel("account.move", documents)
        invoices = documents.filtered(lambda m: m.move_type == "out_invoice")
        if invoices:
            Lot = self.env["member.points.lot"].sudo()
            Lot._member_bonus(*Lot._member_invoice_bonus_rows(invoices, cancelled=True), cancelled=True)

    def _member_crm_on_paid(self):
        """In "paid" mode a paid customer invoice qualifies, a paid credit note takes back.

        May run twice (in_payment, then paid): the ledger counts a document once.
        Invoices of POS orders are skipped by the SQL: the POS counted them.
        """
        # sudo: the ledger and the points lots have no create right for anybody, by design
        self.env["member.ledger"].sudo()._member_record_invoices(self)
        # tier bonus points of sales: granted when the invoice is paid, whatever counts for the tier
        moves = self.filtered(lambda m: m.company_id.member_crm_enabled and m.company_id.member_loyalty_program_id)
        if moves:
            Lot = self.env["member.points.lot"].sudo()
            Lot._member_bonus(*Lot._member_invoice_bonus_rows(moves))

    def _member_crm_on_refund_posted(self):
        """In "confirm" mode a credit note of a counted sale order takes it back when posted."""
        self.env["member.ledger"].sudo()._member_record_credit_notes_confirm_mode(self)
