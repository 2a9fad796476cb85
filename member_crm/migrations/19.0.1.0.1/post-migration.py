"""Export Member Data no longer stores its file: remove the ones earlier versions attached.

Those JSON files hold decrypted ID numbers, the full birth date and consent
addresses, and as attachments of the contact they were readable by every
internal user who could read the contact. The export now streams the file to
the manager who asks and stores nothing.
"""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    files = env["ir.attachment"].search([("name", "=like", "member-data-%.json"), ("res_model", "=", "res.partner")])
    files.unlink()
