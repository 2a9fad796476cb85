from odoo import fields, models


# pylint: disable=consider-merging-classes-inherited
# (the member's campaigns kept apart from the erasure of marketing traces)
class ResPartner(models.Model):
    _inherit = "res.partner"

    member_campaign_recipient_ids = fields.One2many(
        "member.campaign.recipient",
        "partner_id",
        string="Campaigns Received",
        groups="member_crm.group_member_crm_user",
    )
    member_campaign_count = fields.Integer(
        compute="_compute_member_campaign_count", string="Campaigns", groups="member_crm.group_member_crm_user"
    )

    def _compute_member_campaign_count(self):
        counts = dict(
            self.env["member.campaign.recipient"]._read_group(
                [("partner_id", "in", self.ids)], ["partner_id"], ["__count"]
            )
        )
        for partner in self:
            partner.member_campaign_count = counts.get(partner, 0)

    def action_member_view_campaigns(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Campaigns of %(name)s", name=self.display_name),
            "res_model": "member.campaign.recipient",
            "view_mode": "list,form",
            "domain": [("partner_id", "=", self.id)],
        }
