from odoo import fields, models
from odoo.fields import Domain


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

    member_campaign_audience_id = fields.Many2one(
        "member.campaign",
        string="In the Audience of",
        compute="_compute_member_campaign_audience_id",
        search="_search_member_campaign_audience_id",
        groups="member_crm.group_member_crm_user",
        help="Search only: the contacts a campaign would reach now (its audience preview).",
    )

    def _compute_member_campaign_audience_id(self):
        self.member_campaign_audience_id = False

    def _search_member_campaign_audience_id(self, operator, value):
        """The audience of the campaigns named, as a sub-query (never a list of ids): the preview of a campaign
        of 100,000 members opens like any list. Only campaigns the user may read count."""
        if operator != "in":
            return NotImplemented
        campaigns = self.env["member.campaign"].search([("id", "in", [v for v in value if v])])
        return Domain.OR(
            Domain("id", "in", campaign._member_partner_model()._search(campaign._member_audience()))
            for campaign in campaigns
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
