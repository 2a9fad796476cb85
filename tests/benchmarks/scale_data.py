"""Stream the demo generator's members and orders into an Odoo 19 database.

The same generator that ``setup/run`` feeds through Odoo's real order flow
(``member_crm/engine/demo_data.py``) is written here with ``COPY`` at scale,
for the benchmarks. Run it with the Python that runs Odoo (it has psycopg2)::

    python tests/benchmarks/scale_data.py --db DB --members 100000 [--months 18]

The database needs the addons and the demo history (``setup/run``): one demo
contact, one paid POS order and one confirmed sale order, each with a line,
serve as templates. A new row copies every column of its template (company,
session, pricelist, journal, ...) except those the generator decides (ids from
the table's own sequence, names, contact data, dates, amounts, products), so
the rows look like ORM-created ones to the queries being measured. Sale orders
are written confirmed, not invoiced: at scale the benchmarks read POS orders
and sale orders. Member indexes continue after the contacts already there, so
the script can be run again to grow the data set.
"""

import argparse
import datetime as dt
import io
import pathlib
import sys
import time
import uuid

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
import conftest  # noqa: F401  (registers the addon packages without Odoo)

from member_crm.engine import demo_data

CHUNK = 5000  # members per COPY round


def copy_text(value) -> str:
    """One field of PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    text = value.isoformat(sep=" ") if isinstance(value, dt.datetime) else str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def copy_buffer(rows) -> io.StringIO:
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(copy_text(v) for v in row))
        buffer.write("\n")
    buffer.seek(0)
    return buffer


class Cloner:
    """Insert rows into a table, copying unset columns from a template row."""

    def __init__(self, cr, sql):
        self.cr, self.sql = cr, sql
        self._columns = {}

    def columns(self, table):
        if table not in self._columns:
            self.cr.execute(
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_name = %s AND table_schema = current_schema() AND is_generated = 'NEVER'"
                " ORDER BY ordinal_position",
                (table,),
            )
            self._columns[table] = [name for (name,) in self.cr.fetchall()]
        return self._columns[table]

    def next_ids(self, table, count):
        self.cr.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", (table, count))
        return [row[0] for row in self.cr.fetchall()]

    def insert(self, table, template_id, columns, rows):
        if not rows:
            return
        sql, cr = self.sql, self.cr
        all_columns = self.columns(table)
        unknown = set(columns) - set(all_columns)
        if unknown:
            raise ValueError(f"{table} has no column(s) {sorted(unknown)}")
        stage = sql.Identifier(f"stage_{table}")
        cr.execute(
            sql.SQL("CREATE TEMP TABLE {} ON COMMIT DROP AS SELECT {} FROM {} WITH NO DATA").format(
                stage, sql.SQL(", ").join(map(sql.Identifier, columns)), sql.Identifier(table)
            )
        )
        cr.copy_expert(
            sql.SQL("COPY {} ({}) FROM STDIN")
            .format(stage, sql.SQL(", ").join(map(sql.Identifier, columns)))
            .as_string(cr),
            copy_buffer(rows),
        )
        select = sql.SQL(", ").join(
            sql.SQL("s.{}").format(sql.Identifier(c)) if c in columns else sql.SQL("t.{}").format(sql.Identifier(c))
            for c in all_columns
        )
        cr.execute(
            sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {} s CROSS JOIN {} t WHERE t.id = %s").format(
                sql.Identifier(table),
                sql.SQL(", ").join(map(sql.Identifier, all_columns)),
                select,
                stage,
                sql.Identifier(table),
            ),
            (template_id,),
        )
        cr.execute(sql.SQL("DROP TABLE {}").format(stage))


def one(cr, query, params=()):
    cr.execute(query, params)
    row = cr.fetchone()
    if not row:
        raise SystemExit(f"missing template: {query % params}\nRun setup/run first (demo history).")
    return row[0]


def load(cr, sql, members, months, seed, end):
    prefix = demo_data.MEMBER_REF_PREFIX + "%"
    tpl_partner = one(cr, "SELECT id FROM res_partner WHERE ref LIKE %s ORDER BY id LIMIT 1", (prefix,))
    tpl_pos = one(
        cr,
        "SELECT o.id FROM pos_order o JOIN res_partner p ON p.id = o.partner_id"
        " WHERE p.ref LIKE %s AND o.state IN ('paid', 'done') ORDER BY o.id LIMIT 1",
        (prefix,),
    )
    tpl_pos_line = one(cr, "SELECT id FROM pos_order_line WHERE order_id = %s ORDER BY id LIMIT 1", (tpl_pos,))
    tpl_sale = one(
        cr,
        "SELECT o.id FROM sale_order o JOIN res_partner p ON p.id = o.partner_id"
        " WHERE p.ref LIKE %s AND o.state = 'sale' ORDER BY o.id LIMIT 1",
        (prefix,),
    )
    tpl_sale_line = one(cr, "SELECT id FROM sale_order_line WHERE order_id = %s ORDER BY id LIMIT 1", (tpl_sale,))
    tax_rate = 0.0
    cr.execute("SELECT amount_total, amount_tax FROM pos_order WHERE id = %s", (tpl_pos,))
    total, tax = cr.fetchone()
    if total and total != tax:
        tax_rate = float(tax) / float(total - tax)
    cr.execute(
        "SELECT default_code, id FROM product_product WHERE default_code = ANY(%s)",
        ([p.code for p in demo_data.CATALOG],),
    )
    products = dict(cr.fetchall())
    cr.execute(
        "SELECT d.name, d.res_id FROM ir_model_data d WHERE d.module = 'base' AND d.model = 'res.country.state'"
        " AND d.name LIKE 'state_cn_%%'"
    )
    states = {name.removeprefix("state_cn_"): res_id for name, res_id in cr.fetchall()}
    cr.execute("SELECT count(*) FROM res_partner WHERE ref LIKE %s", (prefix,))
    offset = cr.fetchone()[0]
    prices = {p.code: p for p in demo_data.CATALOG}
    now = dt.datetime.now().replace(microsecond=0)
    cloner = Cloner(cr, sql)
    counts = {"members": 0, "pos_orders": 0, "pos_lines": 0, "sale_orders": 0, "sale_lines": 0}

    for start in range(offset, offset + members, CHUNK):
        batch = [demo_data.make_member(i, seed) for i in range(start, min(start + CHUNK, offset + members))]
        partner_ids = cloner.next_ids("res_partner", len(batch))
        by_key = dict(zip((m.key for m in batch), partner_ids, strict=True))
        cloner.insert(
            "res_partner",
            tpl_partner,
            [
                "id",
                "name",
                "complete_name",
                "ref",
                "email",
                "email_normalized",
                "phone",
                "city",
                "state_id",
                "lang",
                "birthdate_date",
                "commercial_partner_id",
                "create_date",
                "write_date",
            ],
            [
                (
                    pid,
                    m.name,
                    m.name,
                    m.key,
                    m.email,
                    m.email.lower(),
                    m.phone,
                    m.city,
                    states.get(m.state_code),
                    m.lang,
                    m.birthdate,
                    pid,
                    now,
                    now,
                )
                for pid, m in zip(partner_ids, batch, strict=True)
            ],
        )
        orders = list(demo_data.iter_orders(batch, months, end, seed))
        pos = [o for o in orders if o.channel == "pos"]
        sale = [o for o in orders if o.channel == "sale"]
        for table, line_table, tpl, tpl_line, group in (
            ("pos_order", "pos_order_line", tpl_pos, tpl_pos_line, pos),
            ("sale_order", "sale_order_line", tpl_sale, tpl_sale_line, sale),
        ):
            order_ids = cloner.next_ids(table, len(group))
            lines = [
                (oid, o, k, line) for oid, o in zip(order_ids, group, strict=True) for k, line in enumerate(o.lines)
            ]
            line_ids = cloner.next_ids(line_table, len(lines))
            untaxed = [o.untaxed_amount() for o in group]
            if table == "pos_order":
                cloner.insert(
                    table,
                    tpl,
                    [
                        "id",
                        "name",
                        "pos_reference",
                        "uuid",
                        "partner_id",
                        "date_order",
                        "amount_tax",
                        "amount_total",
                        "amount_paid",
                        "amount_return",
                        "create_date",
                        "write_date",
                    ],
                    [
                        (
                            oid,
                            f"BENCH/{o.key}",
                            o.key,
                            o.uuid,
                            by_key[o.member_key],
                            o.date,
                            round(u * tax_rate, 2),
                            round(u * (1 + tax_rate), 2),
                            round(u * (1 + tax_rate), 2),
                            0,
                            o.date,
                            o.date,
                        )
                        for oid, o, u in zip(order_ids, group, untaxed, strict=True)
                    ],
                )
                cloner.insert(
                    line_table,
                    tpl_line,
                    [
                        "id",
                        "order_id",
                        "product_id",
                        "full_product_name",
                        "qty",
                        "price_unit",
                        "price_subtotal",
                        "price_subtotal_incl",
                        "uuid",
                        "create_date",
                        "write_date",
                    ],
                    [
                        (
                            lid,
                            oid,
                            products[line.product_code],
                            prices[line.product_code].name,
                            line.qty,
                            prices[line.product_code].price,
                            prices[line.product_code].price * line.qty,
                            round(prices[line.product_code].price * line.qty * (1 + tax_rate), 2),
                            str(uuid.uuid5(demo_data.ORDER_UUID_NAMESPACE, f"{o.key}/{k}")),
                            o.date,
                            o.date,
                        )
                        for lid, (oid, o, k, line) in zip(line_ids, lines, strict=True)
                    ],
                )
            else:
                cloner.insert(
                    table,
                    tpl,
                    [
                        "id",
                        "name",
                        "client_order_ref",
                        "partner_id",
                        "partner_invoice_id",
                        "partner_shipping_id",
                        "date_order",
                        "amount_untaxed",
                        "amount_tax",
                        "amount_total",
                        "access_token",
                        "create_date",
                        "write_date",
                    ],
                    [
                        (
                            oid,
                            f"BENCH/{o.key}",
                            o.key,
                            by_key[o.member_key],
                            by_key[o.member_key],
                            by_key[o.member_key],
                            o.date,
                            u,
                            round(u * tax_rate, 2),
                            round(u * (1 + tax_rate), 2),
                            None,
                            o.date,
                            o.date,
                        )
                        for oid, o, u in zip(order_ids, group, untaxed, strict=True)
                    ],
                )
                cloner.insert(
                    line_table,
                    tpl_line,
                    [
                        "id",
                        "order_id",
                        "order_partner_id",
                        "product_id",
                        "name",
                        "product_uom_qty",
                        "qty_to_invoice",
                        "price_unit",
                        "price_subtotal",
                        "price_tax",
                        "price_total",
                        "create_date",
                        "write_date",
                    ],
                    [
                        (
                            lid,
                            oid,
                            by_key[o.member_key],
                            products[line.product_code],
                            prices[line.product_code].name,
                            line.qty,
                            line.qty,
                            prices[line.product_code].price,
                            prices[line.product_code].price * line.qty,
                            round(prices[line.product_code].price * line.qty * tax_rate, 2),
                            round(prices[line.product_code].price * line.qty * (1 + tax_rate), 2),
                            o.date,
                            o.date,
                        )
                        for lid, (oid, o, _k, line) in zip(line_ids, lines, strict=True)
                    ],
                )
        counts["members"] += len(batch)
        counts["pos_orders"] += len(pos)
        counts["sale_orders"] += len(sale)
        counts["pos_lines"] += sum(len(o.lines) for o in pos)
        counts["sale_lines"] += sum(len(o.lines) for o in sale)
    return counts


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--members", type=int, default=100000)
    parser.add_argument("--months", type=int, default=demo_data.DEFAULT_MONTHS)
    parser.add_argument("--seed", type=int, default=demo_data.DEFAULT_SEED)
    parser.add_argument("--end", type=dt.date.fromisoformat, default=dt.date.today())
    args = parser.parse_args(argv)
    import psycopg2
    from psycopg2 import sql

    started = time.monotonic()
    with psycopg2.connect(dbname=args.db) as conn, conn.cursor() as cr:
        counts = load(cr, sql, args.members, args.months, args.seed, args.end)
        cr.execute("ANALYZE res_partner; ANALYZE pos_order; ANALYZE pos_order_line;")
        cr.execute("ANALYZE sale_order; ANALYZE sale_order_line;")
    print(f"loaded {counts} in {time.monotonic() - started:.1f}s")


if __name__ == "__main__":
    main()
