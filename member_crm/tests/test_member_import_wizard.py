import base64
import csv
import datetime
import io
import random
from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import config

from odoo.addons.base.tests.common import BaseCommon

from ..engine import crypto
from ..models.member_sensitive import KEY_OPTION
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
