"""Bulk creation for the migration import: one INSERT per batch, the ORM's own values.

``Model.create()`` of a contact costs about 2.3 ms here whatever the batch:
defaults computed per record, followers, the chatter's creation log, access
checks per record. That is also what Odoo's base_import spends per row. A
legacy import of 100,000 members must not take four minutes, so the import
inserts its plain records with one statement per batch:

- the caller checks the access right to create;
- defaults come from the model's own ``default_get``, computed once for the
  batch (only models whose defaults do not differ per record go through here);
- values are converted by each field's ``convert_to_column_insert``;
- the stored computed fields are then computed by the ORM, in batch, as after
  any create (``add_to_compute`` + ``flush``), except those the caller gives
  (values the import already holds in their final form, e.g. a normalised
  email) and the many2one fields that point at the record itself
  (``self_refs``, e.g. a person's ``commercial_partner_id``).
  ``test_member_bulk`` checks that records made here equal, column by column,
  the records ``create()`` makes from the same values.

Records that need per-record logic of their model (chatter, sequences,
inverse fields, translations) still go through ``create()``.
"""

import json

from psycopg2.extras import Json as PsycopgJson

from odoo.tools import SQL

BATCH = 5000
LOG_ACCESS = ("create_uid", "create_date", "write_uid", "write_date")


def _text(value):
    """A column value as the text PostgreSQL casts back to the column's type."""
    if value is None:
        return None
    if isinstance(value, PsycopgJson):
        return json.dumps(value.adapted)
    return str(value)


def _plain(value):
    return None if value is None or value is False else str(value)


def _converter(model, field):
    """(value, full vals) -> column text; the field's own conversion except for plain types, where it is str()."""
    if field.company_dependent or field.translate:
        return lambda value, full: _text(field.convert_to_column_insert(value, model, full))
    if field.type == "integer" or (field.type == "float" and not field.get_digits(model.env)):
        return lambda value, _full: str(value or 0)  # as the ORM: an empty number is stored as 0
    if field.type in ("date", "selection", "text") or (field.type == "char" and not field.size):
        return lambda value, _full: _plain(value)
    if field.type == "boolean":
        return lambda value, _full: "true" if value else "false"
    if field.type == "many2one":
        return lambda value, _full: _plain(value.id if hasattr(value, "_name") else value)
    return lambda value, full: _text(field.convert_to_column_insert(value, model, full))


def bulk_create(model, vals_list, self_refs=()):
    """Insert ``vals_list`` into ``model``'s table; returns the records, stored computed fields computed."""
    if not vals_list:
        return model.browse()
    env = model.env
    written = sorted({name for vals in vals_list for name in vals})
    for name in written:
        field = model._fields[name]
        if not field.column_type or field.translate or (field.inverse and not field.compute):
            raise ValueError(f"bulk_create cannot write {model._name}.{name}")  # a programming error
    plain = [
        name
        for name, field in model._fields.items()
        # as create(): defaults for plain fields and for editable computed ones (a default then wins over the compute)
        if field.store
        and field.column_type
        and (not field.compute or not field.readonly)
        and name not in LOG_ACCESS
        and name != "id"
    ]
    defaults = {
        name: value
        for name, value in model.default_get([n for n in plain if n not in written]).items()
        if model._fields[name].column_type and not model._fields[name].translate
    }
    columns = written + [name for name in defaults if name not in written]
    now = env.cr.now()
    # ids drawn first (one statement), so that fields pointing at the record itself are inserted with it
    ids = [
        row[0]
        for row in env.execute_query(
            SQL(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                model._table,
                len(vals_list),
            )
        )
    ]
    converters = {name: _converter(model, model._fields[name]) for name in columns}
    # one array per column, unnested: a parameter per column, not one per value (20,000 rows x 30 columns)
    names = ["id", *columns, *self_refs, *LOG_ACCESS]
    types = ["int4", *(model._fields[name].column_type[1] for name in columns), *(["int4"] * len(self_refs))]
    types += ["int4", "timestamp", "int4", "timestamp"]
    for start in range(0, len(vals_list), BATCH):
        chunk_ids = ids[start : start + BATCH]
        arrays = [[str(i) for i in chunk_ids]]
        fulls = [{**defaults, **vals} for vals in vals_list[start : start + BATCH]]
        for name in columns:
            field = model._fields[name]
            convert = converters[name]
            arrays.append([convert(full.get(name), full) for full in fulls])
        arrays += [[str(i) for i in chunk_ids] for _ref in self_refs]
        arrays += [[str(env.uid)] * len(chunk_ids), [str(now)] * len(chunk_ids)] * 2
        env.execute_query(
            SQL(
                "INSERT INTO %s (%s) SELECT %s FROM unnest(%s) AS u(%s)",
                SQL.identifier(model._table),
                SQL(", ").join(SQL.identifier(name) for name in names),
                SQL(", ").join(SQL(f"u.c{index}::{kind}") for index, kind in enumerate(types)),
                SQL(", ").join(SQL("%s::text[]", array) for array in arrays),
                SQL(", ").join(SQL(f"c{index}") for index in range(len(names))),
            )
        )
    records = model.browse(ids)
    for field in model._fields.values():
        # computed images (resized copies of an image) stay empty: new records have no image to resize
        given = field.name in written or field.name in self_refs or field.name in defaults
        if field.store and field.compute and not given and field.type not in ("binary", "image"):
            env.add_to_compute(field, records)
    records.flush_recordset()
    env.flush_all()
    return records
