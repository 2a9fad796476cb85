from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    # Odoo core has no birth date on contacts. OCA's partner_contact_birthdate
    # (19.0) defines the same field, but it is AGPL-3 and would make this LGPL-3
    # addon AGPL-3 too. We declare the field under the very same name and type,
    # so both addons share one column when a database has them both.
    # Personal data: readable by member users only (cashiers see day/month
    # through the membership fields, never the year: privacy issue).
    birthdate_date = fields.Date(
        string="Birthdate",
        groups="member_crm.group_member_crm_user",
    )
