from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    member_campaign_weekly_cap = fields.Integer(
        string="Campaign Messages per Member per Week",
        default=3,
        help="Members who had this many campaign messages in the last 7 days are left out of new campaigns "
        "(0: no cap).",
    )
    member_sms_quiet_start = fields.Float(
        string="SMS Quiet Hours From", default=21.0, help="No campaign SMS from this local hour..."
    )
    member_sms_quiet_end = fields.Float(string="SMS Quiet Hours Until", default=9.0, help="...until this local hour.")
    member_complaint_response_hours = fields.Float(
        string="Non-member Response Target (hours)",
        default=48.0,
        help="Working hours to answer a ticket of a customer who is not a member (members: their tier's benefit).",
    )
    member_complaint_resolution_hours = fields.Float(
        string="Non-member Resolution Target (hours)",
        default=120.0,
        help="Working hours to solve a ticket of a customer who is not a member (members: their tier's benefit).",
    )

    member_compensation_program_id = fields.Many2one(
        "loyalty.program",
        string="Compensation Coupon Program",
        domain="[('company_id', 'in', (id, False)), ('program_type', 'in', ('coupons', 'gift_card'))]",
        help="Coupon compensations of complaints are cards of this program. Its only reward must be a discount of "
        "a fixed amount per point in the company currency, so that a coupon is worth exactly what was approved.",
    )

    _member_campaign_weekly_cap_positive = models.Constraint(
        "CHECK(member_campaign_weekly_cap >= 0)", "The weekly cap on campaign messages cannot be negative."
    )
    _member_complaint_hours_positive = models.Constraint(
        "CHECK(member_complaint_response_hours >= 0 AND member_complaint_resolution_hours >= 0)",
        "Service targets cannot be negative.",
    )
    _member_sms_quiet_hours = models.Constraint(
        "CHECK(member_sms_quiet_start >= 0 AND member_sms_quiet_start < 24 "
        "AND member_sms_quiet_end >= 0 AND member_sms_quiet_end < 24)",
        "SMS quiet hours are hours of the day (0 to 24).",
    )
