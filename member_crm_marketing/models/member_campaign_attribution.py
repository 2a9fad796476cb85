"""Which campaign an order is attributed to: one row per ledger source document.

Written only by ``member.campaign._member_refresh_results`` (one SQL refresh,
nightly and on demand); users read them, nobody edits them. The UNIQUE source
index is the rule "one order goes to at most one campaign".
"""

from odoo import api, fields, models
from odoo.exceptions import UserError

from odoo.addons.base.models.ir_model import MODULE_UNINSTALL_FLAG

ATTRIBUTION_METHODS = [("coupon", "Coupon Used"), ("window", "Purchase Window")]


class MemberCampaignAttribution(models.Model):
    _name = "member.campaign.attribution"
    _description = "Campaign Attribution"
    _order = "date desc, id desc"
    _check_company_auto = True

    campaign_id = fields.Many2one("member.campaign", required=True, readonly=True, ondelete="cascade", index=True)
    recipient_id = fields.Many2one(
        "member.campaign.recipient", required=True, readonly=True, ondelete="cascade", index=True
    )
    partner_id = fields.Many2one("res.partner", string="Member", required=True, readonly=True, ondelete="cascade")
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    holdout = fields.Boolean(readonly=True, help="Attributed to a holdout member, who got no message and no coupon.")
    method = fields.Selection(ATTRIBUTION_METHODS, required=True, readonly=True)
    source_model = fields.Char(required=True, readonly=True)
    source_id = fields.Many2oneReference(string="Source ID", model_field="source_model", required=True, readonly=True)
    source_ref = fields.Reference(selection="_selection_source_models", string="Order", compute="_compute_source_ref")
    date = fields.Date(readonly=True, help="The order's day in the company's time zone (from the ledger).")
    revenue = fields.Monetary(
        currency_field="currency_id",
        readonly=True,
        help="Untaxed, in company currency, net of the order's refunds and cancellations (from the ledger).",
    )
    order_count = fields.Integer(readonly=True)

    _source_uniq = models.UniqueIndex("(source_model, source_id)")

    @api.model
    def _selection_source_models(self):
        return self.env["member.ledger"]._selection_source_models()

    @api.depends("source_model", "source_id")
    def _compute_source_ref(self):
        models_ok = dict(self._selection_source_models())
        for row in self:
            ok = row.source_model in models_ok and row.source_id
            row.source_ref = f"{row.source_model},{row.source_id}" if ok else False

    @api.model_create_multi
    def create(self, vals_list):
        if vals_list:
            self.check_access("create")  # nobody has the right: Odoo's own access error first
            raise UserError(
                self.env._("Attributions are computed by the results refresh; they cannot be created by hand.")
            )
        return super().create(vals_list)

    def write(self, vals):
        if self:
            self.check_access("write")  # nobody has the right: Odoo's own access error first
            raise UserError(self.env._("Attributions are computed by the results refresh; they cannot be changed."))
        return super().write(vals)

    @api.ondelete(at_uninstall=True)
    def _unlink_never(self):
        if not self.env.context.get(MODULE_UNINSTALL_FLAG):
            raise UserError(self.env._("Attributions are computed by the results refresh; they cannot be deleted."))
