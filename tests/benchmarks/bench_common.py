"""Helpers shared by the benchmark scripts (run as scripts: this folder is on ``sys.path``)."""


def clone_sql(env, table, template_id, overrides, source):
    """SQL: INSERT INTO ``table`` one row per row of ``source`` (a FROM clause), every column copied
    from row ``template_id`` except ``overrides`` ({column: SQL expression over ``source``})."""
    from odoo.tools import SQL

    columns = [
        name
        for (name,) in env.execute_query(
            SQL(
                "SELECT column_name FROM information_schema.columns WHERE table_name = %s ORDER BY ordinal_position",
                table,
            )
        )
    ]
    names = [name for name in columns if name != "id" or name in overrides]
    values = [overrides[name] if name in overrides else SQL("tpl.%s", SQL.identifier(name)) for name in names]
    return SQL(
        "INSERT INTO %s (%s) SELECT %s FROM %s, %s tpl WHERE tpl.id = %s",
        SQL.identifier(table),
        SQL(", ").join(SQL.identifier(name) for name in names),
        SQL(", ").join(values),
        source,
        SQL.identifier(table),
        template_id,
    )
