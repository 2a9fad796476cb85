import base64
import csv
import datetime
import io
import random
import zipfile
from unittest.mock import patch

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import SQL, config, plaintext2html

from odoo.addons.base.tests.common import BaseCommon

from ..engine import crypto
from ..models.member_sensitive import KEY_OPTION
from ..models.res_company import DEFAULT_LADDER
from .test_member_benefits import MemberBenefitsMixin

HEADER = ["会员卡号", "姓名", "手机号", "邮箱", "生日", "等级", "积分", "累计消费", "消费次数"]


def csv_bytes(rows, header=None, encoding="utf-8"):
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(header or HEADER)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


@tagged("post_install", "-at_install")
class TestMemberImportWizard(MemberBenefitsMixin, BaseCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.tiers = cls._member_enable(
            cls.company, member_keep_months=12, member_window_months=12, member_points_expiry_months=24
        )
        cls.program = cls._member_points_program(cls.company)
        cls.existing = cls.env["res.partner"].create(
            {"name": "Existing Chen", "phone": "+86 139 0013 9000", "country_id": cls.env.ref("base.cn").id}
        )
        cls.today = datetime.date.today()

    def wizard(self, data, filename="members.csv", **values):
        wizard = self.env["member.import"].create(
            {"file": base64.b64encode(data), "filename": filename, "spend_as_of": self.today, **values}
        )
        wizard.action_analyse()
        for line in wizard.level_ids:
            line.tier_id = {"金卡": self.tiers["GOLD"], "普卡": self.tiers["STD"]}.get(line.old_level)
        return wizard

    def snapshot(self):
        counts = {
            model: self.env[model].with_context(active_test=False).search_count([])
            for model in (
                "res.partner",
                "member.membership",
                "member.ledger",
                "member.points.lot",
                "loyalty.card",
                "loyalty.history",
                "member.tier.history",
            )
        }
        counts["points"] = sum(self.env["loyalty.card"].search([("program_id", "=", self.program.id)]).mapped("points"))
        return counts

    ROWS = [
        ["M000101", "张三", "138 0013 8000", "ZS@example.cn", "1990/5/6", "金卡", "120", "3,500.00", "7"],
        ["M000102", "李四", "+86 13900139001", "", "06.05.1991", "普卡", "0", "", ""],
        ["M000103", "王五", "137-0013-7000", "ww@example.cn", "", "", "50", "80", "1"],
        ["M000104", "赵六", "1360013600", "", "", "", "", "", ""],  # mobile with 10 digits
        ["M000105", '=HYPERLINK("http://x")', "13500135000", "", "", "", "", "", ""],
        ["M000106", "孙七", "13400134000", "", "", "钛金卡", "", "", ""],  # unknown level
        ["M000107", "周八", "13800138000", "", "", "", "", "", ""],  # same phone as row 2
    ]

    def test_dry_run_writes_nothing_and_reports_every_problem(self):
        before = self.snapshot()
        wizard = self.wizard(csv_bytes(self.ROWS))
        wizard.action_dry_run()
        self.assertEqual(self.snapshot(), before)
        problems = {(i.row, i.column) for i in wizard.issue_ids}
        self.assertEqual(problems, {(5, "手机号"), (6, "姓名"), (7, "等级"), (8, "手机号")})
        self.assertIn("11 digits", wizard.issue_ids.filtered(lambda i: i.row == 5).reason)
        self.assertIn("row 2", wizard.issue_ids.filtered(lambda i: i.row == 8).reason)
        self.assertEqual((wizard.rows_total, wizard.rows_valid, wizard.rows_invalid), (7, 3, 4))
        self.assertEqual((wizard.rows_new, wizard.rows_matched), (3, 0))
        report = list(csv.reader(io.StringIO(base64.b64decode(wizard.problems_file).decode("utf-8-sig"))))
        self.assertEqual([r[0] for r in report[1:]], ["5", "6", "7", "8"], "every problem, row by row")
        self.assertTrue(all(not cell.startswith(("=", "+", "-", "@")) for r in report for cell in r))

    def test_apply_writes_valid_rows_whole_and_refuses_the_rest(self):
        wizard = self.wizard(csv_bytes(self.ROWS))
        wizard.action_apply()
        self.assertEqual((wizard.rows_valid, wizard.rows_invalid, wizard.rows_changed), (3, 4, 3))
        Membership = self.env["member.membership"]
        members = Membership.search([("number", "in", ["M000101", "M000102", "M000103"])])
        self.assertEqual(len(members), 3)
        zhang = members.filtered(lambda m: m.number == "M000101")
        self.assertEqual(zhang.partner_id.phone, "+8613800138000")
        self.assertEqual(zhang.partner_id.email, "zs@example.cn")
        self.assertEqual(zhang.partner_id.birthdate_date, datetime.date(1990, 5, 6))
        # opening tier from the level mapping, kept for the keep period
        self.assertEqual(zhang.tier_id, self.tiers["GOLD"])
        self.assertTrue(zhang.tier_protected_until)
        self.assertEqual(zhang.history_ids.trigger, "import")
        # one membership period, opened by the import on the joining date it gives (here: unknown, the as-of date)
        self.assertEqual(
            [(p.state, p.date_from, p.date_to, p.start_kind) for p in zhang.interval_ids],
            [("active", zhang.member_since, False, "imported")],
        )
        # historical spend: one opening entry on the as-of date
        entry = self._ledger(zhang.partner_id, self.company)
        self.assertEqual((entry.kind, entry.amount, entry.order_count, entry.date), ("opening", 3500.0, 7, self.today))
        # opening points: a lot and a history line; the card's balance is the lots'
        card = self.env["loyalty.card"].search(
            [("partner_id", "=", zhang.partner_id.id), ("program_id", "=", self.program.id)]
        )
        self.assertEqual(card.points, 120)
        lot = self.env["member.points.lot"].search([("card_id", "=", card.id)])
        self.assertEqual((lot.kind, lot.remaining), ("opening", 120))
        self.assertTrue(lot.expires_on)
        self.assertEqual(card.history_ids.issued, 120)
        # refused rows left no trace
        for number in ("M000104", "M000105", "M000106", "M000107"):
            self.assertFalse(Membership.search([("number", "=", number)]))
        self.assertFalse(self.env["res.partner"].search([("phone", "in", ["13400134000", "+8613400134000"])]))
        self.assertTrue(self.env["member.audit.log"].search([("action", "=", "import")]))

    def test_contacts_one_by_one_give_the_same_members(self):
        self.wizard(csv_bytes(self.ROWS[:3]), orm_create=True).action_apply()
        members = self.env["member.membership"].search([("number", "in", ["M000101", "M000102", "M000103"])])
        self.assertEqual(len(members), 3)
        zhang = members.filtered(lambda m: m.number == "M000101")
        self.assertEqual(
            (zhang.partner_id.phone, zhang.partner_id.email_normalized), ("+8613800138000", "zs@example.cn")
        )
        self.assertEqual(zhang.tier_id, self.tiers["GOLD"])

    def test_reimport_changes_nothing(self):
        data = csv_bytes(self.ROWS[:3])
        self.wizard(data).action_apply()
        before = self.snapshot()
        again = self.wizard(data)
        again.action_apply()
        self.assertEqual(self.snapshot(), before)
        self.assertEqual((again.rows_matched, again.rows_changed), (3, 0))

    def test_existing_contact_is_enrolled_not_duplicated_nor_overwritten(self):
        data = csv_bytes([["", "New name for Chen", "13900139000", "chen@example.cn", "", "", "", "", ""]])
        partners = self.env["res.partner"].search_count([])
        self.wizard(data).action_apply()
        self.assertEqual(self.env["res.partner"].search_count([]), partners)
        self.assertEqual(self.existing.name, "Existing Chen", "never overwritten")
        self.assertEqual(self.existing.email, "chen@example.cn", "filled where empty")
        line = self.env["member.audit.log"].search([("partner_id", "=", self.existing.id)])
        self.assertIn("contact fields filled: Email", line.description)
        membership = self._membership(self.existing, self.company)
        self.assertTrue(membership.number, "numbered by the company's sequence")
        self.assertEqual(membership.tier_id, self.tiers["STD"], "placed as an enrolment places")

    def test_strict_mode_refuses_the_whole_file(self):
        before = self.snapshot()
        with self.assertRaisesRegex(UserError, "Strict mode"):
            self.wizard(csv_bytes(self.ROWS), strict=True).action_apply()
        self.assertEqual(self.snapshot(), before)

    def test_spend_before_the_window_does_not_lift_the_tier(self):
        data = csv_bytes([["M000201", "老客户", "13300133000", "", "", "", "", "999999", "99"]])
        self.wizard(data, spend_as_of=self.today - datetime.timedelta(days=800)).action_apply()
        membership = self.env["member.membership"].search([("number", "=", "M000201")])
        self.assertEqual(membership.tier_id, self.tiers["STD"])
        data = csv_bytes([["M000202", "新客户", "13300133001", "", "", "", "", "999999", "99"]])
        self.wizard(data).action_apply()
        membership = self.env["member.membership"].search([("number", "=", "M000202")])
        self.assertGreater(membership.tier_id.level, self.tiers["GOLD"].level)

    def test_sequence_jumps_past_imported_numbers(self):
        self.company.member_number_prefix = "M"
        self.company._member_sequence()
        rows = [
            ["", "乙", "13300133003", "", "", "", "", "", ""],  # numbered by the sequence, after the file's numbers
            ["M000950", "甲", "13300133002", "", "", "", "", "", ""],
        ]
        self.wizard(csv_bytes(rows)).action_apply()
        numbered = self.env["member.membership"].search([("partner_id.name", "=", "乙")])
        self.assertEqual(numbered.number, "M000951")
        partner = self.env["res.partner"].create({"name": "Walk-in"})
        partner.action_member_enroll()
        self.assertEqual(self._membership(partner, self.company).number, "M000952")

    def test_gbk_file_and_file_level_errors(self):
        data = csv_bytes([["M000301", "欧阳", "13200132000", "", "", "", "", "", ""]], encoding="gbk")
        wizard = self.wizard(data)
        self.assertEqual(wizard.encoding, "gb18030")
        wizard.action_apply()
        self.assertTrue(self.env["res.partner"].search([("name", "=", "欧阳")]))
        with self.assertRaisesRegex(UserError, "empty"):
            self.wizard(b"\n\n")
        no_key = self.wizard("姓名,城市\n张三,上海\n".encode())
        with self.assertRaisesRegex(UserError, "member number, the phone or the email"):
            no_key.action_dry_run()
        with_ids = self.wizard("会员卡号,姓名,身份证号\nM9,甲,11010519491231002X\n".encode())
        with patch.dict(config.options, {KEY_OPTION: None}), self.assertRaisesRegex(UserError, "encryption key"):
            with_ids.action_apply()
        self.assertFalse(self.env["member.membership"].search([("number", "=", "M9")]))

    def test_id_numbers_are_encrypted(self):
        with patch.dict(config.options, {KEY_OPTION: crypto.generate_key()}):
            self.wizard("会员卡号,姓名,身份证号\nM9,甲,11010519491231002x\n".encode()).action_apply()
            value = self.env["member.sensitive.value"].search([])
            self.assertEqual(value.value, "11010519491231002X")
            self.assertNotIn("11010519491231002X", value.sudo().cipher)

    def test_fuzz_rows_are_written_whole_or_not_at_all(self):
        """Good rows broken in known ways; the expected outcome of each is kept beside it."""
        rng = random.Random(7)
        rows, expected = [], {}
        breakers = [
            ("手机号", "12345"),
            ("生日", "2023-02-30"),
            ("积分", "-5"),
            ("姓名", "@cmd"),
            ("邮箱", "nobody@"),
            ("等级", "钛金卡"),
            ("姓名", "张" * 400),
            ("累计消费", "abc"),
        ]
        for index in range(300):
            phone = f"13{index:09d}"
            row = [
                f"F{index:05d}",
                f"会员{index}",
                phone,
                f"f{index}@example.cn",
                "1988-08-08",
                "普卡",
                "10",
                "100",
                "2",
            ]
            if rng.random() < 0.5:
                column, bad = rng.choice(breakers)
                row[HEADER.index(column)] = bad
                expected[f"F{index:05d}"] = False
            else:
                expected[f"F{index:05d}"] = True
            rows.append(row)
        wizard = self.wizard(csv_bytes(rows))
        wizard.action_apply()
        self.assertEqual(wizard.rows_valid, sum(expected.values()))
        members = self.env["member.membership"].search([("number", "in", list(expected))])
        self.assertEqual(set(members.mapped("number")), {n for n, ok in expected.items() if ok})
        bad_phones = [f"+8613{int(n[1:]):09d}" for n, ok in expected.items() if not ok]
        self.assertFalse(self.env["res.partner"].search([("phone", "in", bad_phones)]), "no half-written contact")
        lots = self.env["member.points.lot"].search([("partner_id", "in", members.partner_id.ids)])
        self.assertEqual(len(lots), len(members))
        self.assertEqual(
            len(self.env["member.ledger"].search([("partner_id", "in", members.partner_id.ids)])), len(members)
        )


ID_NUMBER = "11010519491231002X"
OFFICER = "member_crm.group_member_crm_officer,base.group_partner_manager"
MANAGER = "member_crm.group_member_crm_manager,base.group_partner_manager"


@tagged("post_install", "-at_install")
class TestMemberImportSecurity(MemberBenefitsMixin, BaseCommon):
    """Issue 12: uploads are private and cleared, value and identity columns are managers', hostile files refused."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.env.company
        cls.company_b = cls.env["res.company"].create({"name": "Store B"})
        cls.tiers = cls._member_enable(cls.company_a)
        cls.tiers_b = cls._member_enable(cls.company_b)
        cls.program = cls._member_points_program(cls.company_a)
        cls.today = datetime.date.today()

        def user(login, groups, company):
            return new_test_user(
                cls.env, login=login, groups=groups, company_id=company.id, company_ids=[Command.set(company.ids)]
            )

        cls.officer_a = user("imp_officer_a", OFFICER, cls.company_a)
        cls.officer_a2 = user("imp_officer_a2", OFFICER, cls.company_a)
        cls.officer_b = user("imp_officer_b", OFFICER, cls.company_b)
        cls.manager_a = user("imp_manager_a", MANAGER, cls.company_a)

    def upload(self, user, data, filename="members.csv", **values):
        """The wizard as ``user`` creates and reads it (RPC: create, then the Read File button)."""
        wizard = (
            self.env["member.import"]
            .with_user(user)
            .create({"file": base64.b64encode(data), "filename": filename, "spend_as_of": self.today, **values})
        )
        wizard.action_analyse()
        return wizard

    def id_file(self):
        return csv_bytes(
            [["M000501", "甲", "13800138501", ID_NUMBER]], header=["会员卡号", "姓名", "手机号", "身份证号"]
        )

    def value_file(self):
        return csv_bytes(
            [
                ["M000601", "张三", "13800138601", "", "", "金卡", "120", "3,500.00", "7"],
                ["M000602", "李四", "13800138602", "", "", "普卡", "", "", ""],
            ]
        )

    def test_uploads_are_the_uploader_own(self):
        wizard = self.upload(self.officer_a, self.id_file())
        self.assertTrue(wizard.column_ids)
        for other in (self.officer_b, self.officer_a2, self.manager_a):
            for model in ("member.import", "member.import.column", "member.import.level", "member.import.issue"):
                self.assertFalse(self.env[model].with_user(other).search_read([], ["id"]), (other.login, model))
            with self.assertRaises(AccessError):
                wizard.with_user(other).read(["file"])
            with self.assertRaises(AccessError):
                wizard.column_ids.with_user(other).read(["sample"])
            with self.assertRaises(AccessError):
                wizard.with_user(other).write({"filename": "stolen.csv"})
        self.assertEqual(self.env["member.import"].with_user(self.officer_a).search([]), wizard)

    def test_wizard_of_a_company_not_allowed_is_refused(self):
        with self.assertRaises(AccessError):
            self.env["member.import"].with_user(self.officer_a).create(
                {"file": base64.b64encode(self.id_file()), "company_id": self.company_b.id}
            )

    def test_id_samples_are_masked(self):
        wizard = self.upload(self.officer_a, self.id_file())
        sample = wizard.column_ids.filtered(lambda c: c.target == "id_number").sample
        self.assertNotIn(ID_NUMBER, sample)
        self.assertEqual(sample, "11**************2X")
        # a column the synonyms do not know is masked too, on its value
        other = self.upload(
            self.manager_a, csv_bytes([["甲", "13800138501", ID_NUMBER]], header=["姓名", "手机号", "证照"])
        )
        self.assertNotIn(ID_NUMBER, "".join(other.column_ids.mapped("sample")))

    def test_officer_cannot_import_value_or_identity_columns(self):
        for data, columns in (
            (self.value_file(), ["等级", "积分", "累计消费", "消费次数"]),
            (self.id_file(), ["身份证号"]),
        ):
            wizard = self.upload(self.officer_a, data)
            for action in (wizard.action_dry_run, wizard.action_apply):
                with self.assertRaises(AccessError) as refusal:
                    action()
                for column in columns:
                    self.assertIn(column, str(refusal.exception))
                self.assertIn("Only members managers", str(refusal.exception))
        self.assertFalse(self.env["member.membership"].search([("number", "in", ["M000501", "M000601"])]))
        # the same files without those columns go through, once they are ticked "ignore" (no silent drop)
        wizard = self.upload(self.officer_a, self.value_file())
        value_columns = wizard.column_ids.filtered(lambda c: c.target in ("level", "points", "spend", "orders"))
        value_columns.target = False
        with self.assertRaisesRegex(UserError, "would not be imported: 等级, 积分, 累计消费, 消费次数"):
            wizard.action_apply()
        value_columns.ignore = True
        wizard.action_apply()
        self.assertEqual(wizard.rows_valid, 2)
        members = self.env["member.membership"].search([("number", "in", ["M000601", "M000602"])])
        self.assertEqual(members.tier_id, self.tiers["STD"], "placed as an enrolment places, no imported level")
        self.assertFalse(self.env["member.points.lot"].search([("partner_id", "in", members.partner_id.ids)]))

    def test_manager_import_writes_one_audit_line_per_member(self):
        Log = type(self.env["member.audit.log"])
        creates = []
        original = Log.create

        def create(records, vals_list):
            creates.append(len(vals_list))
            return original(records, vals_list)

        existing = self.env["res.partner"].create({"name": "Existing", "phone": "+8613800138602"})
        wizard = self.upload(self.manager_a, self.value_file())
        for line in wizard.level_ids:
            line.tier_id = {"金卡": self.tiers["GOLD"], "普卡": self.tiers["STD"]}[line.old_level]
        with patch.object(Log, "create", create):
            wizard.action_apply()
        self.assertEqual(creates, [3], "the file's line and one per member, in one create")
        lines = self.env["member.audit.log"].search([("action", "=", "import"), ("partner_id", "!=", False)])
        zhang = self.env["member.membership"].search([("number", "=", "M000601")])
        by_partner = {line.partner_id: line for line in lines}
        self.assertEqual(set(by_partner), {zhang.partner_id, existing})
        line = by_partner[zhang.partner_id]
        self.assertEqual((line.user_id, line.res_model, line.res_id), (self.manager_a, "member.membership", zhang.id))
        for part in ("new contact", "member number set: M000601", "tier none -> Gold", "points 0 -> 120"):
            self.assertIn(part, line.description)
        self.assertIn("historical spend recorded: 3500, 7 orders", line.description)
        line = by_partner[existing]
        self.assertNotIn("new contact", line.description)
        self.assertIn("tier none -> Standard", line.description)
        self.assertNotIn("13800138602", line.description, "no personal data in the trail")

    def test_manager_import_of_id_numbers_is_logged_without_them(self):
        with patch.dict(config.options, {KEY_OPTION: crypto.generate_key()}):
            self.upload(self.manager_a, self.id_file()).action_apply()
        line = self.env["member.audit.log"].search([("action", "=", "import"), ("partner_id", "!=", False)])
        self.assertIn("stored encrypted", line.description)
        self.assertNotIn(ID_NUMBER, line.description)

    def test_level_tier_must_be_the_wizard_company_one(self):
        wizard = self.upload(self.manager_a, self.value_file())
        with self.assertRaises(UserError):
            wizard.level_ids[0].tier_id = self.tiers_b["GOLD"]
        with self.assertRaises(UserError):
            self.env["member.import.level"].create(
                {"wizard_id": wizard.id, "old_level": "钻石卡", "tier_id": self.tiers_b["GOLD"].id}
            )

    def test_upload_is_cleared_once_applied_or_discarded(self):
        wizard = self.upload(self.manager_a, self.value_file())
        self.assertTrue(any(wizard.column_ids.mapped("sample")))
        wizard.action_dry_run()
        self.assertTrue(wizard.file, "kept between the dry run and the import")
        wizard.level_ids.tier_id = self.tiers["STD"]
        wizard.action_apply()
        self.assertFalse(wizard.file)
        self.assertFalse(any(wizard.column_ids.mapped("sample")))
        other = self.upload(self.officer_a, self.id_file())
        columns = other.column_ids
        self.assertEqual(other.action_discard(), {"type": "ir.actions.act_window_close"})
        self.assertFalse(other.exists() or columns.exists())

    def test_upload_cap_is_the_company_setting(self):
        self.company_a.member_import_max_mb = 1
        # 1.4 MB: lines of blanks (read as empty rows)
        data = csv_bytes([["M1", "甲", "13800138000", "", "", "", "", "", ""]]) + (b" " * 120_000 + b"\n") * 12
        with self.assertRaisesRegex(UserError, "more than the 1.0 MB allowed"):
            self.upload(self.manager_a, data)
        self.company_a.member_import_max_mb = 2
        self.assertEqual(self.upload(self.manager_a, data).state, "map")

    def test_hostile_files_are_refused_with_their_reason(self):
        wizard_of = self.env["member.import"].with_user(self.manager_a).create
        bomb = io.BytesIO()
        with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive, archive.open("xl/sheet.xml", "w") as sheet:
            for _i in range(12):
                sheet.write(b" " * (1024 * 1024))
        for data, filename, message in (
            (bomb.getvalue(), "bomb.xlsx", "zip bomb"),
            ('姓名,手机号\n"'.encode() + b"x" * 200_000 + b'",1\n', "huge.csv", "Row 2 is longer than"),
        ):
            wizard = wizard_of({"file": base64.b64encode(data), "filename": filename})
            with self.assertRaisesRegex(UserError, message):
                wizard.action_analyse()

    def test_dump_after_import_holds_no_clear_id_number(self):
        """Every table, read as a dump reads it (row by row, as text; bytea in hex), inside the test's transaction.

        pg_dump (test_member_privacy) only sees committed data; an import commits too much to clean up after
        (contacts, memberships, sequences, the audit trail), so the same search runs in SQL on this transaction.
        """
        data = self.id_file()
        with patch.dict(config.options, {KEY_OPTION: crypto.generate_key()}):
            wizard = self.upload(self.manager_a, data)
            wizard.action_apply()
            self.assertEqual(wizard.rows_changed, 1)
            self.assertEqual(self.env["member.sensitive.value"].search([]).value, ID_NUMBER)
        self.env.flush_all()
        needles = [ID_NUMBER, ID_NUMBER.lower(), base64.b64encode(data).hex()[:64]]
        tables = [
            name
            for (name,) in self.env.execute_query(
                SQL(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"
                )
            )
        ]
        self.assertIn("member_import_column", tables)
        found = [
            table
            for table in tables
            if self.env.execute_query(
                SQL(
                    "SELECT 1 FROM %s AS t WHERE strpos(t::text, %s) > 0 OR strpos(t::text, %s) > 0 "
                    "OR strpos(t::text, %s) > 0 LIMIT 1",
                    SQL.identifier(table),
                    *needles,
                )
            )
        ]
        self.assertEqual(found, [], "the clear ID number, or the uploaded file, is still in these tables")


REAL_HEADER = [
    "会员卡号",
    "姓名",
    "手机号",
    "性别",
    "生日",
    "注册时间",
    "累计消费金额",
    "可用积分",
    "会员等级",
    "邮箱",
    "备注",
]
REAL_ROWS = [
    ["V0001", "张伟", "13800138001", "男", "1985-03-02", "2019-05-12 10:33:00", "12,800.00", "356", "普通会员", "", ""],
    [
        "V0002",
        "王芳",
        "13800138002",
        "女",
        "1990/7/8",
        "2019/5/12 10:33",
        "3500",
        "1200",
        "黄金会员",
        "wf@x.cn",
        "爱喝茶",
    ],
    ["V0003", "李娜", "13800138003", "未知", "", "2020-01-01 09:00:00", "", "0", "铂金会员", "", "-老客户, 勿打扰"],
    ["V0004", "刘洋", "13800138004", "F", "", "", "80", "", "钻石会员", "", "<script>alert(1)</script>"],
    ["V0005", "陈静", "13800138005", "male", "", "2021年3月4日 18:20", "", "5", "黑卡会员", "", "第一行\n第二行"],
]


@tagged("post_install", "-at_install")
class TestMemberImportRealExport(MemberBenefitsMixin, BaseCommon):
    """Issue 13: a real retail export (11 columns, 5 levels) imported whole, nothing dropped silently."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.tiers = cls._member_enable(cls.company)
        cls.program = cls._member_points_program(cls.company)
        # the shop's tiers are named in Chinese (普通, 黄金...): the default ladder's translations
        cls.env["res.lang"]._activate_lang("zh_CN")
        for code, _name, chinese, *_rest in DEFAULT_LADDER:
            cls.tiers[code].update_field_translations("name", {"zh_CN": chinese})
        cls.today = datetime.date.today()
        cls.as_of = cls.today - datetime.timedelta(days=3)

    def wizard(self, data, **values):
        wizard = self.env["member.import"].create(
            {"file": base64.b64encode(data), "filename": "export.csv", "spend_as_of": self.as_of, **values}
        )
        wizard.action_analyse()
        return wizard

    def members(self):
        memberships = self.env["member.membership"].search([("number", "in", [row[0] for row in REAL_ROWS])])
        return {m.number: m for m in memberships}

    def test_real_export_is_recognised_and_imported_whole(self):
        wizard = self.wizard(csv_bytes(REAL_ROWS, header=REAL_HEADER))
        self.assertEqual(
            wizard.column_ids.mapped("target"),
            [
                "member_number",
                "name",
                "phone",
                "gender",
                "birthdate",
                "member_since",
                "spend",
                "points",
                "level",
                "email",
                "notes",
            ],
            "all 11 columns recognised",
        )
        self.assertFalse(wizard.not_imported)
        self.assertEqual(
            {line.old_level: line.tier_id.code for line in wizard.level_ids},
            {"普通会员": "STD", "黄金会员": "GOLD", "铂金会员": "PLAT", "钻石会员": "DIA", "黑卡会员": "BLACK"},
            "all 5 levels matched",
        )
        wizard.action_dry_run()
        self.assertEqual((wizard.rows_valid, wizard.rows_invalid), (5, 0))
        wizard.action_apply()
        self.assertEqual(wizard.rows_changed, 5)
        members = self.members()
        self.assertEqual(
            {number: m.tier_id.code for number, m in members.items()},
            {"V0001": "STD", "V0002": "GOLD", "V0003": "PLAT", "V0004": "DIA", "V0005": "BLACK"},
        )
        zhang, wang, li, liu, chen = (members[f"V000{i}"] for i in range(1, 6))
        # profile
        self.assertEqual(
            [m.partner_id.gender for m in (zhang, wang, li, liu, chen)], ["male", "female", False, "female", "male"]
        )
        self.assertEqual(zhang.partner_id.birthdate_date, datetime.date(1985, 3, 2))
        birth, today = datetime.date(1985, 3, 2), self.today
        self.assertEqual(
            zhang.partner_id.member_age, today.year - 1985 - ((today.month, today.day) < (birth.month, birth.day))
        )
        # member since: the file's date, the time of day dropped; unknown otherwise, on the as-of date
        self.assertEqual(
            [(m.member_since, m.member_since_unknown) for m in (zhang, wang, li, liu, chen)],
            [
                (datetime.date(2019, 5, 12), False),
                (datetime.date(2019, 5, 12), False),
                (datetime.date(2020, 1, 1), False),
                (self.as_of, True),
                (datetime.date(2021, 3, 4), False),
            ],
        )
        joined_today = self.env["member.membership"].search_count(
            [("member_since", "=", self.today), ("member_since_unknown", "=", False)]
        )
        self.assertEqual(joined_today, 0, "no imported member counts as joining today")
        # notes: text in the contact's notes, escaped, never markup of the file
        self.assertEqual(wang.partner_id.comment, plaintext2html("爱喝茶"))
        self.assertEqual(li.partner_id.comment, plaintext2html("-老客户, 勿打扰"))
        self.assertNotIn("<script", liu.partner_id.comment)
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt;", liu.partner_id.comment)
        self.assertIn("第一行<br>第二行", str(chen.partner_id.comment).replace("<br/>", "<br>"))
        self.assertFalse(zhang.partner_id.comment)
        # points and spend as before
        card = self.env["loyalty.card"].search(
            [("partner_id", "=", wang.partner_id.id), ("program_id", "=", self.program.id)]
        )
        self.assertEqual(card.points, 1200)
        self.assertEqual(self._ledger(zhang.partner_id, self.company).amount, 12800.0)

    def test_preset_level_wins_over_the_names(self):
        preset = self.env["member.import.preset"].create(
            {
                "name": "Old POS",
                "level_ids": [Command.create({"old_level": "黄金会员", "tier_id": self.tiers["PLAT"].id})],
            }
        )
        wizard = self.wizard(csv_bytes(REAL_ROWS, header=REAL_HEADER), preset_id=preset.id)
        levels = {line.old_level: line.tier_id.code for line in wizard.level_ids}
        self.assertEqual((levels["黄金会员"], levels["普通会员"]), ("PLAT", "STD"))

    def test_vip_levels_are_ladder_positions(self):
        rows = [[f"W{n}", f"会员{n}", f"1390013900{n}", f"VIP{n}"] for n in range(6)]
        wizard = self.wizard(csv_bytes(rows, header=["会员卡号", "姓名", "手机号", "会员等级"]))
        self.assertEqual(
            {line.old_level: line.tier_id.code for line in wizard.level_ids},
            {"VIP0": "STD", "VIP1": "GOLD", "VIP2": "PLAT", "VIP3": "DIA", "VIP4": "BLACK", "VIP5": False},
            "VIP5 is past the ladder (Honorary is by invitation): left to the user",
        )

    def test_occupation_and_notes_of_existing_contacts_fill_only_what_is_empty(self):
        existing = self.env["res.partner"].create(
            {"name": "老会员", "phone": "+8613800138101", "comment": "<p>Keep me</p>", "function": False}
        )
        header = ["姓名", "手机号", "职业", "说明", "性别"]
        rows = [
            ["老会员", "13800138101", "教师", "新备注", "女"],
            ["新会员", "13800138102", "工程师", "<b>x</b>", "男"],
        ]
        wizard = self.wizard(csv_bytes(rows, header=header))
        self.assertEqual(wizard.column_ids.mapped("target"), ["name", "phone", "occupation", "notes", "gender"])
        wizard.action_apply()
        self.assertEqual((existing.function, existing.gender), ("教师", "female"))
        self.assertEqual(existing.comment, "<p>Keep me</p>", "never overwritten")
        new = self.env["res.partner"].search([("phone", "=", "+8613800138102")])
        self.assertEqual((new.function, new.gender), ("工程师", "male"))
        self.assertEqual(new.comment, plaintext2html("<b>x</b>"))
        line = self.env["member.audit.log"].search([("partner_id", "=", existing.id)])
        self.assertIn("Job Position", line.description)

    def test_columns_with_data_must_be_mapped_or_ignored(self):
        header = [*REAL_HEADER, "储值余额", "空列"]
        rows = [[*row, "100.00" if index == 1 else "", ""] for index, row in enumerate(REAL_ROWS)]
        wizard = self.wizard(csv_bytes(rows, header=header))
        self.assertEqual(wizard.not_imported, "储值余额", "named as soon as the file is read; the empty column is not")
        wizard.action_dry_run()
        self.assertEqual(wizard.not_imported, "储值余额")
        self.assertEqual(wizard.rows_valid, 5, "the dry run still checks the rows")
        before = self.env["member.membership"].search_count([])
        with self.assertRaisesRegex(UserError, "储值余额"):
            wizard.action_apply()
        self.assertEqual(self.env["member.membership"].search_count([]), before, "nothing imported")
        # unmapping a recognised column is no way around it
        notes = wizard.column_ids.filtered(lambda c: c.target == "notes")
        notes.target = False
        with self.assertRaisesRegex(UserError, "备注, 储值余额"):
            wizard.action_apply()
        (notes | wizard.column_ids.filtered(lambda c: c.header == "储值余额")).ignore = True
        wizard.action_save_preset()
        wizard.action_apply()
        self.assertEqual(wizard.rows_changed, 5)
        self.assertFalse(self.members()["V0002"].partner_id.comment, "ignored")
        # the preset remembers the ignored columns
        again = self.wizard(csv_bytes(rows, header=header), preset_id=wizard.preset_id.id)
        self.assertEqual(again.column_ids.filtered("ignore").mapped("header"), ["备注", "储值余额"])
        self.assertFalse(again.not_imported)

    def test_unknown_member_since_is_set_by_a_later_file(self):
        header = ["会员卡号", "姓名", "手机号"]
        self.wizard(csv_bytes([["V0100", "周一", "13800138100"]], header=header)).action_apply()
        membership = self.env["member.membership"].search([("number", "=", "V0100")])
        self.assertEqual((membership.member_since, membership.member_since_unknown), (self.as_of, True))
        again = self.wizard(
            csv_bytes([["V0100", "周一", "13800138100", "2018-02-03 08:00"]], header=[*header, "开卡时间"])
        )
        again.action_apply()
        self.assertEqual(again.rows_changed, 1)
        self.assertEqual((membership.member_since, membership.member_since_unknown), (datetime.date(2018, 2, 3), False))
        line = self.env["member.audit.log"].search([("res_id", "=", membership.id)], order="id desc", limit=1)
        self.assertIn("member since date set", line.description)
        # a known date is never overwritten by a file
        third = self.wizard(csv_bytes([["V0100", "周一", "13800138100", "2017-01-01"]], header=[*header, "入会时间"]))
        third.action_apply()
        self.assertEqual((third.rows_changed, membership.member_since), (0, datetime.date(2018, 2, 3)))

    def test_bad_gender_is_a_row_problem(self):
        wizard = self.wizard(
            csv_bytes([["V0200", "吴二", "13800138200", "1"]], header=["会员卡号", "姓名", "手机号", "性别"])
        )
        wizard.action_dry_run()
        self.assertEqual(wizard.rows_invalid, 1)
        self.assertIn("Unknown gender", wizard.issue_ids.reason)

    def test_imported_profile_is_in_the_data_export_and_erased(self):
        self.wizard(csv_bytes(REAL_ROWS[1:2], header=REAL_HEADER)).action_apply()
        partner = self.members()["V0002"].partner_id
        contact = partner._member_personal_data()["contact"]
        self.assertEqual((contact["gender"], contact["comment"]), ("female", plaintext2html("爱喝茶")))
        partner._member_erase("Request by email")
        partner = partner.with_context(active_test=False)
        self.assertFalse(partner.gender or partner.comment or partner.birthdate_date)
