"""Start the append-only points log: opening moves for the lots of today.

From 19.0.1.1.0 every change to a member card's points appends a
``member.points.move``. Cards that have points from before get one opening
move per lot with points left (pending lots: a pending move), and a balance
the lots do not explain first becomes an opening lot, so that the balance check
(``member.points.move._member_check_balances``) reads nothing afterwards.
Set-based SQL (``_member_open_log``); cards that already have moves are left
alone, so running it twice changes nothing.
"""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["member.points.move"]._member_open_log()
