import datetime
import logging
from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.sql_db import db_connect
from odoo.tests import Form, new_test_user, tagged

from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.addons.member_crm.tests.test_member_benefits import MemberBenefitsMixin

from ..models.member_points_liability import RUN_LOCK

D = datetime.date
LOGGER = "odoo.addons.member_crm_reports.models.member_points_liability"


@tagged("post_install", "-at_install")
class TestPointsLiability(AccountTestInvoicingCommon, MemberBenefitsMixin):
    """Three months of points in two companies: the liability account ends each month at the target."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.group_ids |= (
            cls.env.ref("member_crm.group_member_crm_manager")
            | cls.env.ref("member_crm.group_member_crm_accountant")
            | cls.env.ref("sales_team.group_sale_manager")
        )
        cls.company_data_2 = cls.setup_other_company()
        cls.c1, cls.c2 = cls.company_data["company"], cls.company_data_2["company"]
        cls.Lot = cls.env["member.points.lot"].sudo()
        cls.Period = cls.env["member.points.liability.period"].sudo()  # as the cron

        # accounts are shared between companies in 19 (company_ids): one set for both
        def shared(name, code, account_type):
            return cls.env["account.account"].create(
                {
                    "name": name,
                    "account_type": account_type,
                    "code_mapping_ids": [
                        Command.create({"company_id": company.id, "code": code}) for company in (cls.c1, cls.c2)
                    ],
                    "company_ids": [Command.set((cls.c1 | cls.c2).ids)],
                }
            )

        cls.liability = shared("Points liability", "L2901", "liability_current")
        cls.expense = shared("Loyalty expense", "L6901", "expense")
        cls.opening = shared("Points opening", "L3901", "equity")
        # company 1: members earn through sales orders, points expire after two months
        cls.tiers = cls._member_enable(cls.c1, member_points_expiry_months=2)
        cls.program = cls._member_points_program(cls.c1)
        cls.product = cls.env["product.product"].create(
            {"name": "Cashmere", "type": "consu", "list_price": 1000.0, "taxes_id": [Command.clear()]}
        )
        cls.member = cls._member_partner("Zhang Min", cls.c1)
        # company 2: its own program, points written by the points writer
        cls.program_2 = cls._member_points_program(cls.c2)
        cls.partner_2 = cls.env["res.partner"].create({"name": "Wang Fang"})
        cls.card_2 = cls.env["loyalty.card"].create(
            {"partner_id": cls.partner_2.id, "program_id": cls.program_2.id, "points": 0.0}
        )
        cls.settings = {
            cls.c1: {
                "member_point_value": 0.01,
                "member_breakage_percent": 10.0,
                "member_liability_start": D(2025, 1, 1),
            },
            cls.c2: {
                "member_point_value": 0.05,
                "member_breakage_percent": 0.0,
                "member_liability_start": D(2025, 2, 1),
            },
        }
        for company, data in ((cls.c1, cls.company_data), (cls.c2, cls.company_data_2)):
            company.write(
                {
                    **cls.settings[company],
                    "member_liability_enabled": True,
                    "member_liability_account_id": cls.liability.id,
                    "member_liability_expense_account_id": cls.expense.id,
                    "member_liability_opening_account_id": cls.opening.id,
                    "member_liability_journal_id": data["default_journal_misc"].id,
                }
            )

    # -- helpers ------------------------------------------------------------------------------------------
    def _sale(self):
        order = self.env["sale.order"].create(
            {
                "partner_id": self.member.id,
                "company_id": self.c1.id,
                "order_line": [Command.create({"product_id": self.product.id, "product_uom_qty": 1})],
            }
        )
        order._update_programs_and_rewards()
        order.action_confirm()
        return order

    def _write(self, method, card, points, kind, day):
        getattr(self.Lot, method)(
            [{"card": card, "points": points, "kind": kind, "description": kind, "date": day, "debt": kind == "refund"}]
        )

    def _expected_target(self, company, day):
        """Computed here from the moves, card by card: Σ max(0, balance) × value × (1 − breakage)."""
        moves = (
            self.env["member.points.move"]
            .sudo()
            .search([("company_id", "=", company.id), ("date", "<=", day), ("pending", "=", False)])
        )
        balances = {}
        for move in moves:
            balances[move.card_id] = balances.get(move.card_id, 0.0) + move.points
        points = sum(max(0.0, balance) for balance in balances.values())
        value = company.member_point_value * (1 - company.member_breakage_percent / 100)
        return company.currency_id.round(points * value)

    def _account_balance(self, account, company, day=None):
        domain = [("account_id", "=", account.id), ("company_id", "=", company.id), ("parent_state", "=", "posted")]
        if day:
            domain.append(("date", "<=", day))
        [(total,)] = self.env["account.move.line"]._read_group(domain, aggregates=["balance:sum"])
        return company.currency_id.round(-total)

    def _run(self, today):
        return {company: self.Period._member_liability_run(company, today=today) for company in (self.c1, self.c2)}

    def _entries(self):
        return self.env["account.move"].search([("line_ids.account_id", "=", self.liability.id)])

    def _three_months(self):
        """Earn, spend, cancel, expiry, refund and compensation over January to March 2025."""
        card = None
        with freeze_time("2025-01-10 12:00:00"):
            self._sale()
            cancelled = self._sale()
            card = self._card(self.member, self.program)
        self._write("_member_points_earn", self.card_2, 1000, "earn", D(2025, 1, 20))
        self._write("_member_points_spend", card, 300, "spend", D(2025, 2, 5))
        self._write("_member_points_spend", self.card_2, 250, "spend", D(2025, 2, 3))
        with freeze_time("2025-02-12 12:00:00"):
            cancelled._action_cancel()
        self._write("_member_points_earn", card, 2000, "earn", D(2025, 2, 15))
        with freeze_time("2025-03-15 12:00:00"):
            self.Lot._member_expire(D(2025, 3, 15))  # what is left of January's points expires
        self._write("_member_points_spend", card, 400, "refund", D(2025, 3, 20))
        self._write("_member_points_earn", card, 100, "compensation", D(2025, 3, 22))
        self._write("_member_points_earn", self.card_2, 400, "earn", D(2025, 3, 2))
        return card

    # -- tests ----------------------------------------------------------------------------------------------
    def test_three_months_two_companies(self):
        card = self._three_months()
        self.assertEqual(card.points, 1700.0)
        kinds = set(card.member_move_ids.mapped("kind"))
        self.assertLessEqual({"earn", "spend", "cancel", "expire", "refund", "compensation"}, kinds)

        self._run(D(2025, 2, 1))
        jan = self.Period.search([("company_id", "=", self.c1.id), ("period", "=", D(2025, 1, 1))])
        self.assertEqual((jan.points_closing, jan.amount_closing), (2000.0, 18.0), "2,000 points × 0.01 × 90 %")
        self.assertEqual(self._account_balance(self.liability, self.c1, D(2025, 1, 31)), 18.0)
        self.assertFalse(self.Period.search([("company_id", "=", self.c2.id)]), "company 2 goes live in February")

        # the value per point changes; February is locked in company 1 before its entry is posted
        self.c1.member_point_value = 0.02
        self.c1.fiscalyear_lock_date = D(2025, 2, 28)
        self._run(D(2025, 3, 1))
        feb = self.Period.search([("company_id", "=", self.c1.id), ("period", "=", D(2025, 2, 1))])
        self.assertEqual(feb.move_id.date, D(2025, 3, 1), "locked: dated the first open day")
        self.assertEqual(feb.move_id.state, "posted")
        self.assertIn("locked", feb.note)
        self.assertEqual((feb.points_opening, feb.points_closing), (2000.0, 2700.0))
        self.assertEqual((feb.points_spend, feb.points_cancel, feb.points_earn), (-300.0, -1000.0, 2000.0))
        self.assertEqual((feb.value_per_point, jan.value_per_point), (0.02, 0.01))
        self.assertEqual((feb.amount_opening, feb.amount_revaluation, feb.amount_movement), (18.0, 18.0, 12.6))
        self.assertEqual(feb.amount_closing, 48.6, "2,700 points × 0.02 × 90 %")
        self.assertEqual(self._account_balance(self.liability, self.c1, D(2025, 2, 28)), 18.0, "not in a locked month")
        self.assertEqual(self._account_balance(self.liability, self.c1, D(2025, 3, 1)), 48.6)
        feb_2 = self.Period.search([("company_id", "=", self.c2.id), ("period", "=", D(2025, 2, 1))])
        self.assertEqual(feb_2.move_id.date, D(2025, 2, 28), "company 2 is not locked")
        # company 2's January points predate go-live: against the opening account
        self.assertEqual(self._account_balance(self.opening, self.c2), -50.0)
        self.assertEqual(self._account_balance(self.expense, self.c2), 12.5)

        self._run(D(2025, 4, 1))
        ends = {
            self.c1: [D(2025, 1, 31), D(2025, 3, 31)],
            self.c2: [D(2025, 2, 28), D(2025, 3, 31)],
        }
        targets = {self.c1: [18.0, 30.6], self.c2: [37.5, 57.5]}
        for company, days in ends.items():
            for day, target in zip(days, targets[company], strict=True):
                # value of today's settings for company 1 differs from January's: compare with the period record
                period = self.Period.search([("company_id", "=", company.id), ("date_end", "=", day)])
                self.assertEqual(period.amount_closing, target, f"{company.name} {day}")
                self.assertEqual(self._account_balance(self.liability, company, day), target, f"{company.name} {day}")
        self.assertEqual(self._expected_target(self.c1, D(2025, 3, 31)), 30.6, "independent computation agrees")
        self.assertEqual(self._expected_target(self.c2, D(2025, 3, 31)), 57.5)
        periods = self.Period.search([("company_id", "in", (self.c1 | self.c2).ids)])
        self.assertEqual(len(periods), 5)
        self.assertEqual(set(periods.mapped("points_unexplained")), {0.0}, "the moves explain the balances")
        for period in periods:
            explained = (
                period.amount_opening
                + period.amount_revaluation
                + period.amount_movement
                + period.amount_other
                + period.amount_residual
            )
            self.assertAlmostEqual(explained, period.amount_closing, 2)
            self.assertAlmostEqual(
                period.points_opening
                + sum(
                    period[f"points_{kind}"]
                    for kind in ("earn", "bonus", "spend", "release", "expire", "refund", "cancel", "compensation")
                )
                + period.points_other,
                period.points_closing,
                2,
            )
        mar = periods.filtered(lambda p: p.company_id == self.c1 and p.period == D(2025, 3, 1))
        self.assertEqual((mar.points_expire, mar.points_refund, mar.points_compensation), (-700.0, -400.0, 100.0))

        # a re-run posts nothing
        entries = self._entries()
        self._run(D(2025, 4, 1))
        self._run(D(2025, 4, 15))
        self.assertEqual(self._entries(), entries, "re-run: nothing posted")

        # Odoo's wizard reverses March's entry (dated today): a re-run posts exactly one new entry
        old = mar.move_id
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=old.ids)
            .create({"journal_id": old.journal_id.id})
        )
        reversal.refund_moves()
        self.assertTrue(old.reversal_move_ids)
        entries = self._entries()
        self._run(D(2025, 4, 1))
        new = self._entries() - entries
        self.assertEqual(len(new), 1, "exactly one new entry")
        self.assertEqual((mar.move_id, new.date), (new, D(2025, 3, 31)))
        self.assertEqual(mar.move_ids, old | new)
        self.assertEqual(self._account_balance(self.liability, self.c1), 30.6, "today: the target of March")
        entries = self._entries()
        self._run(D(2025, 4, 1))
        self.assertEqual(self._entries(), entries, "and again nothing")

    def test_hard_lock_never_bypassed(self):
        """A hard lock beyond today: the month waits, nothing is posted inside the lock."""
        self._write("_member_points_earn", self.card_2, 1000, "earn", D(2025, 2, 20))
        self.c2.hard_lock_date = D(2025, 3, 31)
        # logging.INFO, not "INFO": Odoo names its RUNBOT level (25) "INFO"
        with self.assertLogs(LOGGER, logging.INFO) as logs:
            self.assertFalse(self.Period._member_liability_run(self.c2, today=D(2025, 3, 15)))
        self.assertIn("waits: locked until 2025-03-31", logs.output[0])
        self.assertFalse(self.Period.search([("company_id", "=", self.c2.id)]))
        touched = self.Period._member_liability_run(self.c2, today=D(2025, 4, 1))
        self.assertEqual(touched.move_id.date, D(2025, 4, 1))
        self.assertEqual(touched.move_id.mapped("line_ids.date"), [D(2025, 4, 1)] * 2)

    def test_value_per_point_required(self):
        with self.assertRaises(ValidationError) as caught:
            self.c2.member_point_value = 0.0
        self.assertIn("value per point", str(caught.exception))
        self.c2.write({"member_liability_enabled": False, "member_point_value": 0.0})
        with self.assertRaises(UserError) as caught:
            self.Period._member_liability_target(self.c2, D(2025, 3, 31))
        self.assertIn("value per point", str(caught.exception))
        with self.assertRaises(UserError):
            self.Period._member_liability_run(self.c2, today=D(2025, 4, 1))
        self.assertFalse(self.Period.search([("company_id", "=", self.c2.id)]), "nothing half-applied")

    def test_member_program_required(self):
        """The liability counts the member program's cards: clearing the program while the entries are on is
        refused when saved, not found by the cron."""
        with self.assertRaises(ValidationError) as caught:
            self.c2.member_loyalty_program_id = False
        self.assertIn("member points program", str(caught.exception))

    def test_cron_one_company_fails(self):
        """A company whose run fails is logged and rolled back; the others are posted and the cron run does not
        fail (Odoo deactivates a cron after five failed runs in a week)."""
        Period = type(self.Period)
        run = Period._member_liability_run
        done = []
        broken = "c1 settings are broken"  # a test's message, not one for translators

        def run_or_fail(period, company, *args, **kwargs):
            if company == self.c1:
                raise UserError(broken)
            done.append(company)
            return run(period, company, *args, **kwargs)

        with (
            patch.object(Period, "_member_liability_run", run_or_fail),
            patch.object(type(self.env["ir.cron"]), "_commit_progress", lambda cron, *a, **k: 0.0),
            freeze_time("2025-04-01 12:00:00"),
            self.assertLogs(LOGGER, "ERROR") as logs,
        ):
            self.Period._cron_member_liability()
        self.assertEqual(done, [self.c2])
        self.assertIn("c1 settings are broken", logs.output[0])
        self.assertFalse(self.Period.search([("company_id", "=", self.c1.id)]))
        self.assertTrue(self.Period.search([("company_id", "=", self.c2.id)]))

    def test_one_run_at_a_time(self):
        """While another transaction posts a company's liability, a second run of that company is refused
        (after a reversal the month's record exists: its unique key would not stop a second entry)."""
        other = db_connect(self.env.cr.dbname).cursor()
        try:
            other.execute("SELECT pg_advisory_xact_lock(%s, %s)", (RUN_LOCK, self.c2.id))
            with self.assertRaises(UserError) as caught:
                self.Period._member_liability_run(self.c2, today=D(2025, 4, 1))
            self.assertIn("another run", str(caught.exception))
            self.Period._member_liability_run(self.c1, today=D(2025, 2, 1))  # another company runs
        finally:
            other.rollback()
            other.close()
        self.assertTrue(self.Period._member_liability_run(self.c2, today=D(2025, 4, 1)))

    def test_accountant_without_access_rights(self):
        """An accounting administrator without Access Rights sets the liability of their companies on the
        settings form (Members > Reporting), and nothing else of a company."""
        accountant = new_test_user(
            self.env,
            login="liab_acc_only",
            groups="account.group_account_manager,member_crm.group_member_crm_accountant",
        )
        accountant.write({"company_ids": [Command.set(self.c2.ids)], "company_id": self.c2.id})
        action = self.env["res.company"].with_user(accountant).with_company(self.c2).action_member_liability_settings()
        self.assertEqual(action["res_id"], self.c2.id)
        with Form(self.c2.with_user(accountant), view=action["views"][0][0]) as form:
            form.member_point_value = 0.07
            form.member_breakage_percent = 4.0
        self.assertEqual((self.c2.member_point_value, self.c2.member_breakage_percent), (0.07, 4.0))
        company = self.c2.with_user(accountant)
        with self.assertRaises(AccessError):
            company.write({"report_footer": "Not theirs to write"})
        with self.assertRaises(AccessError):
            company.write({"member_point_value": 0.08, "name": "Renamed"})
        with self.assertRaises(AccessError):  # another company's settings
            self.c1.with_user(accountant).write({"member_point_value": 0.5})
        self.assertEqual((self.c2.member_point_value, self.c1.member_point_value), (0.07, 0.01))
        # the settings are still checked, another company's account and journal too
        with self.assertRaises(ValidationError):
            company.write({"member_breakage_percent": 100.0})
        c1_only = self.company_data["default_account_revenue"]
        self.assertNotIn(self.c2, c1_only.company_ids)
        with self.assertRaises(ValidationError):
            company.write({"member_liability_expense_account_id": c1_only.id})
        with self.assertRaises(ValidationError):
            company.write({"member_liability_journal_id": self.company_data["default_journal_misc"].id})

    def test_pending_points_shown_apart(self):
        self.c2.member_points_pending_days = 14
        self.Lot._member_points_earn(
            [
                {
                    "card": self.card_2,
                    "points": 200,
                    "kind": "bonus",
                    "description": "b",
                    "date": D(2025, 2, 25),
                    "pending": True,
                }
            ]
        )
        target = self.Period._member_liability_target(self.c2, D(2025, 2, 28))
        self.assertEqual((target["pending"], target["amount_pending"], target["target"]), (200.0, 10.0, 0.0))
        self.c2.member_liability_include_pending = True
        self.assertEqual(self.Period._member_liability_target(self.c2, D(2025, 2, 28))["target"], 10.0)

    def test_attack_cashier_and_salesperson(self):
        self._write("_member_points_earn", self.card_2, 1000, "earn", D(2025, 2, 20))
        self.Period._member_liability_run(self.c2, today=D(2025, 3, 1))
        period = self.Period.search([("company_id", "=", self.c2.id)])
        self.assertTrue(period)
        cashier = new_test_user(
            self.env, login="liab_cashier", groups="point_of_sale.group_pos_user,member_crm.group_member_crm_user"
        )
        salesperson = new_test_user(self.env, login="liab_sales", groups="sales_team.group_sale_salesman")
        for user in (cashier, salesperson):
            user.write({"company_ids": [Command.link(self.c2.id)], "company_id": self.c2.id})
            Period = self.Period.with_user(user).with_company(self.c2)
            with self.assertRaises(AccessError):
                period.with_user(user).read(["amount_closing"])
            with self.assertRaises(AccessError):
                Period.search_read([], ["amount_closing"])
            with self.assertRaises(AccessError):
                Period.action_member_liability_run()
        auditor = new_test_user(self.env, login="liab_auditor", groups="member_crm.group_member_crm_accountant")
        auditor.write({"company_ids": [Command.link(self.c2.id)], "company_id": self.c2.id})
        self.assertEqual(period.with_user(auditor).read(["amount_closing"])[0]["amount_closing"], 50.0)
        views = self.Period.with_user(auditor).get_views([(False, "list"), (False, "pivot"), (False, "search")])
        self.assertEqual(set(views["views"]), {"list", "pivot", "search"})
        with self.assertRaises(AccessError):
            period.with_user(auditor).write({"amount_closing": 0.0})
        with self.assertRaises(AccessError):
            self.Period.with_user(auditor).action_member_liability_run()
        # an auditor who is also an accounting administrator may run it: missed months are caught up, nothing
        # more to post after February
        admin = new_test_user(
            self.env,
            login="liab_admin",
            groups="member_crm.group_member_crm_accountant,account.group_account_manager",
        )
        admin.write({"company_ids": [Command.link(self.c2.id)], "company_id": self.c2.id})
        self.env["member.points.liability.period"].with_user(admin).with_company(self.c2).action_member_liability_run()
        periods = self.Period.search([("company_id", "=", self.c2.id)])
        today = self.c2._member_today()
        self.assertEqual(
            max(periods.mapped("period")), (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
        )
        self.assertEqual(periods.move_id, period.move_id, "one entry: the later months had nothing to post")
        self.assertEqual(set((periods - period).mapped("state")), {"no_entry"})
        # another company's auditor does not see it
        other = new_test_user(self.env, login="liab_auditor_c1", groups="member_crm.group_member_crm_accountant")
        self.assertFalse(self.Period.with_user(other).search([("id", "=", period.id)]))

    def test_lock_exception_not_used(self):
        """An all-users lock exception does not open the locked month to the liability entry."""
        self._write("_member_points_earn", self.card_2, 1000, "earn", D(2025, 2, 20))
        self.c2.fiscalyear_lock_date = D(2025, 2, 28)
        self.env["account.lock_exception"].create(
            {"company_id": self.c2.id, "fiscalyear_lock_date": False, "reason": "closing review"}
        )
        self.assertEqual(self.c2._get_user_fiscal_lock_date(self.company_data_2["default_journal_misc"]), D.min)
        feb = self.Period._member_liability_run(self.c2, today=D(2025, 3, 15))
        self.assertEqual(feb.move_id.date, D(2025, 3, 1), "dated after the lock, not inside it")
        self.assertIn("locked (until 2025-02-28)", feb.note)

    def test_account_checks(self):
        cases = {
            "member_liability_account_id": self.expense,  # not a liability
            "member_liability_expense_account_id": self.liability,  # same as the liability account
            "member_liability_opening_account_id": self.expense,  # same as the counter-account
        }
        for field, account in cases.items():
            with self.subTest(field=field), self.assertRaises(ValidationError):
                self.c2.write({field: account.id})
        # also when the entries are off: checked on save, not only at the run
        self.c2.member_liability_enabled = False
        with self.assertRaises(ValidationError):
            self.c2.member_liability_opening_account_id = self.liability
        self.assertEqual(self.c2.member_liability_opening_account_id, self.opening)

    def test_draft_entry_not_reposted(self):
        self._write("_member_points_earn", self.card_2, 1000, "earn", D(2025, 2, 20))
        feb = self.Period._member_liability_run(self.c2, today=D(2025, 3, 1))
        move = feb.move_id
        move.button_draft()
        entries = self._entries()
        with self.assertLogs(LOGGER, "WARNING") as logs:
            self.assertFalse(self.Period._member_liability_run(self.c2, today=D(2025, 3, 2)))
        self.assertIn(move.display_name, logs.output[0])
        self.assertEqual((self._entries(), feb.move_id, move.state), (entries, move, "draft"), "not reposted")
        self.assertIn(f"Entry {move.display_name} was reset to draft", feb.note)
        self._write("_member_points_earn", self.card_2, 500, "earn", D(2025, 3, 10))
        with self.assertLogs(LOGGER, "WARNING"):
            self.assertFalse(self.Period._member_liability_run(self.c2, today=D(2025, 4, 2)), "March waits too")
        self.assertEqual(self._entries(), entries)
        self.assertEqual(feb.note.count("reset to draft"), 1, "noted once")
        admin = new_test_user(
            self.env,
            login="liab_admin_draft",
            groups="member_crm.group_member_crm_accountant,account.group_account_manager",
        )
        admin.write({"company_ids": [Command.link(self.c2.id)], "company_id": self.c2.id})
        with self.assertRaises(UserError) as caught:
            self.env["member.points.liability.period"].with_user(admin).with_company(
                self.c2
            ).action_member_liability_run()
        self.assertIn(move.display_name, str(caught.exception))

    def test_pending_points_cover_negative_balance(self):
        """Included pending points first cover the card's negative balance: Σ max(0, balance + pending)."""
        self.c2.member_points_pending_days = 14
        self._write("_member_points_earn", self.card_2, 100, "earn", D(2025, 2, 10))
        self._write("_member_points_spend", self.card_2, 300, "refund", D(2025, 2, 12))  # balance −200
        self.Lot._member_points_earn(
            [
                {
                    "card": self.card_2,
                    "points": 200,
                    "kind": "bonus",
                    "description": "b",
                    "date": D(2025, 2, 25),
                    "pending": True,
                }
            ]
        )
        target = self.Period._member_liability_target(self.c2, D(2025, 2, 28))
        self.assertEqual((target["pending"], target["amount_pending"], target["target"]), (200.0, 10.0, 0.0))
        self.c2.member_liability_include_pending = True
        target = self.Period._member_liability_target(self.c2, D(2025, 2, 28))
        self.assertEqual((target["pending"], target["amount_pending"]), (200.0, 10.0), "pending still shown apart")
        self.assertEqual(target["target"], 0.0, "max(0, −200 + 200) = 0, not 0 + 200 × 0.05")

    def test_other_moves_valued_apart(self):
        self._write("_member_points_earn", self.card_2, 1000, "earn", D(2025, 2, 20))
        self._write("_member_points_earn", self.card_2, 300, "adjust", D(2025, 2, 21))
        feb = self.Period._member_liability_run(self.c2, today=D(2025, 3, 1))
        self.assertEqual((feb.points_other, feb.amount_other), (300.0, 15.0), "300 × 0.05")
        self.assertEqual((feb.amount_movement, feb.amount_residual, feb.amount_closing), (50.0, 0.0, 65.0))

    def test_attack_liability_settings(self):
        """Only accounting managers (and system administrators) read or write the liability settings."""
        officer = new_test_user(self.env, login="liab_officer", groups="account.group_account_user")
        erp_manager = new_test_user(self.env, login="liab_erp", groups="base.group_erp_manager")
        portal = new_test_user(self.env, login="liab_portal", groups="base.group_portal")
        manager = new_test_user(
            self.env, login="liab_acc_manager", groups="account.group_account_manager,base.group_erp_manager"
        )
        for user in (officer, erp_manager, portal, manager):
            user.write({"company_ids": [Command.link(self.c2.id)], "company_id": self.c2.id})
        for user in (officer, erp_manager, portal):
            company = self.c2.with_user(user)
            for fname in ("member_point_value", "member_liability_account_id", "member_liability_enabled"):
                with self.subTest(user=user.login, field=fname), self.assertRaises(AccessError):
                    company.read([fname])
            with self.assertRaises(AccessError):
                company.search_read([("id", "=", self.c2.id)], ["member_breakage_percent"])
            with self.assertRaises(AccessError):
                company.write({"member_breakage_percent": 50.0})
            with self.assertRaises(AccessError):
                company.write({"member_liability_enabled": False})
        # the ERP manager still edits the rest of the company
        self.c2.with_user(erp_manager).write({"report_footer": "Thank you"})
        self.assertEqual(self.c2.member_breakage_percent, 0.0)
        self.assertTrue(self.c2.member_liability_enabled)
        # the accounting manager (with the company form's access) reads and writes them
        self.c2.with_user(manager).write({"member_breakage_percent": 5.0, "member_point_value": 0.04})
        self.assertEqual(
            self.c2.with_user(manager).read(["member_breakage_percent"])[0]["member_breakage_percent"], 5.0
        )

        # the company form shows them to the accounting manager (Settings are saved by administrators only),
        # and not to the ERP manager
        def company_form(user):
            return self.env["res.company"].with_user(user).get_views([(False, "form")])["views"]["form"]["arch"]

        self.assertIn('name="member_point_value"', company_form(manager))
        self.assertIn('name="member_liability_account_id"', company_form(manager))
        self.assertNotIn("member_point_value", company_form(erp_manager))
        with Form(self.c2.with_user(manager)) as form:
            form.member_point_value = 0.05
        self.assertEqual(self.c2.member_point_value, 0.05)
        # the settings form shows them to administrators only
        self.assertNotIn("member_point_value", self.env["res.config.settings"].with_user(erp_manager).fields_get())
        self.assertIn("member_point_value", self.env["res.config.settings"].fields_get())
