"""The analytics job's two per-membership tables, made without foreign keys.

``member.rfm.month`` (a copy of every membership's RFM row each month) and ``member.clv.score`` (one
predicted CLV per membership, rewritten each week) take about a million rows per run at a million
members. A foreign key checks each row it inserts with a ``SELECT ... FOR KEY SHARE`` on the row it
points to: on this 2-core machine that doubled the job's writes (a million RFM copies: 3.6 s without,
11 s with the membership key, 14.5 s with the company key too; a million scores 7.7 s vs 16.2 s), and it
stamps a lock on every membership row. So these two models are ``_auto = False``: ``init`` creates the
table from the stored fields as the ORM would (same columns, ``models.Constraint``/``models.Index``
applied by ``_add_sql_constraints``), without the foreign keys.

What the keys did, done otherwise:
- a deleted membership (Odoo's unlink, a contact deleted with its memberships by cascade, a contact merge
  deleting in SQL) must not leave rows pointing at nothing: one statement-level trigger on
  ``member_membership`` (``AFTER DELETE``, the deleted rows as a transition table, one statement per
  DELETE, not per row) deletes the membership's score and anonymises its RFM history (membership set
  to NULL: the segment sizes of past months stay as they were, without anyone's identity);
- a company is never deleted while it has memberships (``member.membership.company_id`` is required,
  hence ``ondelete='restrict'``), and rows of a deleted company would match no user's companies in the
  record rules.

Columns added to these models later need a migration (the ORM does not alter an ``_auto = False`` table);
the uninstall hook drops the trigger and its function, Odoo drops the tables.
"""

from odoo.tools import SQL, sql

TRIGGER = "member_crm_reports_membership_deleted"


def create_job_table(model):
    """Create ``model``'s table (stored fields, constraints, indexes) unless it exists; no foreign key."""
    cr = model.env.cr
    if not sql.table_exists(cr, model._table):
        sql.create_model_table(
            cr,
            model._table,
            model._description,
            [
                (field.name, field.column_type[1] + (" NOT NULL" if field.required else ""), field.string)
                for field in sorted(model._fields.values(), key=lambda f: f.column_order)
                if field.name != "id" and field.store and field.column_type
            ],
        )
    model._add_sql_constraints()
    ensure_delete_trigger(model.env)


def ensure_delete_trigger(env):
    """(Re)create the trigger that does for the two tables what ``ON DELETE`` of a foreign key would."""
    env.cr.execute(
        SQL(
            """
            CREATE OR REPLACE FUNCTION %(function)s() RETURNS trigger LANGUAGE plpgsql AS $body$
            BEGIN
                IF to_regclass('member_clv_score') IS NOT NULL THEN
                    DELETE FROM member_clv_score s USING gone g WHERE s.membership_id = g.id;
                END IF;
                IF to_regclass('member_rfm_month') IS NOT NULL THEN
                    UPDATE member_rfm_month h SET membership_id = NULL FROM gone g WHERE h.membership_id = g.id;
                END IF;
                RETURN NULL;
            END
            $body$;
            DROP TRIGGER IF EXISTS %(trigger)s ON member_membership;
            CREATE TRIGGER %(trigger)s AFTER DELETE ON member_membership
                REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION %(function)s();
            """,
            function=SQL.identifier(TRIGGER),
            trigger=SQL.identifier(TRIGGER),
        )
    )


def drop_delete_trigger(env):
    env.cr.execute(
        SQL(
            "DROP TRIGGER IF EXISTS %(trigger)s ON member_membership; DROP FUNCTION IF EXISTS %(function)s()",
            trigger=SQL.identifier(TRIGGER),
            function=SQL.identifier(TRIGGER),
        )
    )
