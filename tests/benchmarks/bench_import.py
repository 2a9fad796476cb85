"""Migration import of members vs Odoo's base_import of the same contacts, from the same file.

    python tests/benchmarks/bench_import.py --db DB [--rows 100000]

DB needs member_crm installed (any database where it is; nothing is kept).
One CSV of ``--rows`` legacy members (member number, name, mobile written
"138 0013 8000", email, birth date, street, city, old level, points, spend) is
imported three ways in one run, each inside a savepoint that is rolled back:

1. Odoo's ``base_import.import.execute_import`` into ``res.partner`` (name,
   phone, email, birth date, street, city; it cannot do the member columns);
2. our wizard's dry run (read, map, validate every cell, match existing
   contacts; nothing written);
3. our wizard's import (the same validation, then contacts, memberships with
   the file's numbers, opening tier, ledger entry and points lot per member).

Both imports are checked to produce the same contacts (name, email, digits of
the phone, birth date, street, city). Printed: times and base_import / ours
ratios (goal: at least 5x with full validation).
"""

import argparse
import base64
import csv
import datetime
import io
import pathlib
import random
import re
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
HEADER = ["会员卡号", "姓名", "手机号", "邮箱", "生日", "地址", "城市", "等级", "积分", "累计消费"]
CITIES = ["上海", "北京", "广州", "深圳", "杭州", "成都"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平"


def legacy_file(rows, seed=1, contacts_only=False):
    rng = random.Random(seed)
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    width = 7 if contacts_only else len(HEADER)
    writer.writerow(HEADER[:width])
    for i in range(rows):
        mobile = f"1{rng.choice('3456789')}{i:09d}"
        birth = datetime.date(1950, 1, 1) + datetime.timedelta(days=rng.randrange(20000))
        row = [
            f"L{i:07d}",
            rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
            f"{mobile[:3]} {mobile[3:7]} {mobile[7:]}",
            f"member{i}@legacy.example.cn",
            birth.isoformat(),
            f"{rng.randint(1, 999)}号",
            rng.choice(CITIES),
            rng.choice(["普卡", "金卡"]),
            rng.randrange(0, 5000),
            f"{rng.randrange(0, 500000) / 100:.2f}",
        ]
        writer.writerow(row[:width])
    return out.getvalue().encode()


def contacts(env, since_id):
    """The contacts created after ``since_id``, in a comparable form."""
    from odoo.tools import SQL

    env.flush_all()
    rows = env.execute_query(
        SQL("SELECT name, email, phone, birthdate_date, street, city FROM res_partner WHERE id > %s", since_id)
    )
    digits = re.compile(r"\D")
    return sorted(
        (name, email, digits.sub("", phone or "")[-11:], str(birth), street, city)
        for name, email, phone, birth, street, city in rows
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--addons-path", default=str(ROOT))
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--contacts-only",
        action="store_true",
        help="leave the member columns (level, points, spend) out of the file: both sides import contacts only",
    )
    args = parser.parse_args(argv)

    import odoo
    from odoo import api
    from odoo.modules.registry import Registry

    odoo.tools.config.parse_config(["-d", args.db, "--addons-path", args.addons_path, "--log-level", "warn"])
    registry = Registry(args.db)
    data = legacy_file(args.rows, contacts_only=args.contacts_only)
    print(f"file: {args.rows} rows, {len(data) / 1e6:.1f} MB")
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        admin = env.ref("base.user_admin")
        env = env(user=admin.id, context={"allowed_company_ids": [admin.company_id.id], "tz": "UTC"})
        company = env.company
        company.member_crm_enabled = True
        if not company.member_loyalty_program_id:
            company.member_loyalty_program_id = env["loyalty.program"].create(
                {"name": "Bench points", "program_type": "loyalty", "company_id": company.id}
            )
        tiers = env["member.tier"].search([("company_id", "=", company.id)], order="level")
        env.flush_all()
        since = env.execute_query(odoo.tools.SQL("SELECT COALESCE(MAX(id), 0) FROM res_partner"))[0][0]

        # 1. base_import
        savepoint = cr.savepoint(flush=False)
        importer = env["base_import.import"].create(
            {"res_model": "res.partner", "file": data, "file_name": "legacy.csv", "file_type": "text/csv"}
        )
        fields = [False, "name", "phone", "email", "birthdate_date", "street", "city", False, False, False]
        columns = HEADER[: 7 if args.contacts_only else len(HEADER)]
        fields = fields[: len(columns)]
        options = {
            "has_headers": True,
            "separator": ",",
            "quoting": '"',
            "encoding": "utf-8",
            "date_format": "%Y-%m-%d",
            "datetime_format": "",
            "float_thousand_separator": ",",
            "float_decimal_separator": ".",
        }
        start = time.perf_counter()
        result = importer.execute_import(fields, columns, options)
        env.flush_all()
        base_time = time.perf_counter() - start
        errors = [m for m in result.get("messages", []) if m.get("type") == "error"]
        base_contacts = contacts(env, since)
        savepoint.close(rollback=True)
        env.invalidate_all()
        created = len(result.get("ids") or [])
        print(f"base_import.execute_import: {base_time:8.1f} s  ({created} contacts, {len(errors)} errors)")

        # 2. and 3. ours
        savepoint = cr.savepoint(flush=False)
        wizard = env["member.import"].create(
            {"file": base64.b64encode(data), "filename": "legacy.csv", "spend_as_of": datetime.date.today()}
        )
        wizard.action_analyse()
        for line in wizard.level_ids:
            line.tier_id = tiers[-1 if line.old_level == "金卡" else 0]
        start = time.perf_counter()
        wizard.action_dry_run()
        dry_time = time.perf_counter() - start
        valid, invalid = wizard.rows_valid, wizard.rows_invalid
        print(f"member import, dry run:     {dry_time:8.1f} s  ({valid} valid, {invalid} invalid)")
        start = time.perf_counter()
        wizard.action_apply()
        env.flush_all()
        apply_time = time.perf_counter() - start
        ours = contacts(env, since)
        members = env["member.membership"].search_count([("number", "=like", "L%")])
        lots = env["member.points.lot"].search_count(
            [("kind", "=", "opening"), ("source_model", "=", "member.membership")]
        )
        print(
            f"member import, apply:       {apply_time:8.1f} s  ({wizard.rows_new} contacts, {members} members, "
            f"{lots} points lots)"
        )
        savepoint.close(rollback=True)
        same = ours == base_contacts and len(ours) == args.rows
        print(f"same contacts from both: {same}")
        print(f"ratio base_import / our dry run: {base_time / dry_time:5.1f}x")
        print(f"ratio base_import / our import:  {base_time / apply_time:5.1f}x  (goal >= 5x)")
        cr.rollback()
        return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
