"""19.0.1.2.0: the analytics job's tables lose their foreign keys (``models/job_tables.py``).

``member_rfm_month`` and ``member_clv_score`` were made by the ORM with foreign keys on the company and the
membership; from this version the models are ``_auto = False`` and ``init`` makes the trigger that does
what the keys' ``ON DELETE`` did. Before the registry loads: drop the four keys and their reflection
(``ir.model.constraint``, which the ORM no longer keeps for these models), and let an RFM copy outlive its
membership (anonymised). Running it twice changes nothing.
"""

from odoo.tools import SQL

KEYS = {
    "member_rfm_month": ("member_rfm_month_company_id_fkey", "member_rfm_month_membership_id_fkey"),
    "member_clv_score": ("member_clv_score_company_id_fkey", "member_clv_score_membership_id_fkey"),
}


def migrate(cr, version):
    if not version:
        return
    for table, keys in KEYS.items():
        cr.execute(SQL("SELECT to_regclass(%s) IS NOT NULL", table))
        if not cr.fetchone()[0]:
            continue
        for key in keys:
            cr.execute(SQL("ALTER TABLE %s DROP CONSTRAINT IF EXISTS %s", SQL.identifier(table), SQL.identifier(key)))
    cr.execute("SELECT to_regclass('member_rfm_month') IS NOT NULL")
    if cr.fetchone()[0]:
        cr.execute("ALTER TABLE member_rfm_month ALTER COLUMN membership_id DROP NOT NULL")
    cr.execute(
        SQL(
            "DELETE FROM ir_model_constraint WHERE type = 'f' AND name = ANY(%s)",
            [key for keys in KEYS.values() for key in keys],
        )
    )
