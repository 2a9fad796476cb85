from odoo import api, models


class MemberLedger(models.Model):
    _inherit = "member.ledger"

    @api.model
    def _selection_source_models(self):
        # NPS answers are feedback entries' sources
        return [*super()._selection_source_models(), ("survey.user_input", self.env._("Survey Answer"))]
