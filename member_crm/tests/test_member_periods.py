"""Membership periods, grace lines and monthly snapshots, through the real flows.

Periods: enrolment, a suspension in the form, re-enrolment (the same membership
reactivated), leaving, re-enrolling again, each on its own (frozen) day; "members
at day D" are then counted from the periods as the reports count them. Grace lines
come from the real review. Snapshots: the review writes the month, a rebuild from
the tier history and the periods gives the same rows, and past months have the
figures worked out by hand. Nobody writes periods, history or snapshots through the
ORM.
"""

import datetime as dt

from odoo.exceptions import AccessError, UserError
from odoo.fields import Domain
from odoo.tests import freeze_time, new_test_user, tagged
from odoo.tools import SQL

from odoo.addons.point_of_sale.tests.common import TestPoSCommon

from .common import MemberCrmCommon, MemberTierMixin

D = dt.date


@tagged("post_install", "-at_install")
class TestMemberPeriods(MemberCrmCommon, MemberTierMixin):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # a company of its own: a database with demo data has members in the main one
        cls.company = cls.env["res.company"].create({"name": "Periods Shop"})
        cls.env.user.company_ids |= cls.company
        cls.tiers = cls._member_enable(cls.company)
        cls.officer = new_test_user(
            cls.env,
            login="periods_officer",
            groups="member_crm.group_member_crm_officer",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.user = new_test_user(
            cls.env,
            login="periods_user",
            groups="member_crm.group_member_crm_user",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.cn = cls.env.ref("base.cn")
        cls.shanghai = cls.env["res.country.state"].search([("country_id", "=", cls.cn.id)], limit=1)

    def _enrol(self, name, user=None, **address):
        partner = self.env["res.partner"].create({"name": name, **address})
        partner.with_user(user or self.env.user).with_company(self.company).action_member_enroll()
        return partner, self._membership(partner, self.company)

    def _periods(self, membership):
        periods = membership.interval_ids.sorted(lambda i: (i.date_from, i.date_to or D.max, i.id))
        return [(i.state, i.date_from, i.date_to or None, i.start_kind) for i in periods]

    def _members_at(self, day):
        """Members of the company on ``day``, as the reports count them from the periods."""
        return self.env["member.membership.interval"].search_count(
            Domain("company_id", "=", self.company.id)
            & Domain("state", "=", "active")
            & Domain("date_from", "<=", day)
            & (Domain("date_to", "=", False) | Domain("date_to", ">", day))
        )

    # ------------------------------------------------------------------
    # periods
    # ------------------------------------------------------------------
    def test_periods_through_enrol_suspend_leave_and_reenrol(self):
        with freeze_time("2025-01-10 12:00:00"):
            partner, membership = self._enrol("Period Member", user=self.officer)
        with freeze_time("2025-02-01 12:00:00"):
            self._enrol("Steady Member", user=self.officer)
        with freeze_time("2025-02-15 12:00:00"):
            membership.with_user(self.officer).write({"state": "suspended"})  # the form's status bar
        with freeze_time("2025-03-01 12:00:00"):
            partner.with_user(self.officer).with_company(self.company).action_member_enroll()  # reactivated
        with freeze_time("2025-04-20 12:00:00"):
            partner.with_user(self.officer).with_company(self.company).is_member = False  # leaves
        with freeze_time("2025-06-01 12:00:00"):
            again = partner.with_user(self.officer).with_company(self.company).action_member_enroll()
        self.assertEqual(again, membership, "re-enrolling reuses the membership")
        self.assertEqual(self.env["member.membership"].search_count([("partner_id", "=", partner.id)]), 1)
        self.assertEqual(
            self._periods(membership),
            [
                ("active", D(2025, 1, 10), D(2025, 2, 15), "enrolled"),
                ("suspended", D(2025, 2, 15), D(2025, 3, 1), "suspended"),
                ("active", D(2025, 3, 1), D(2025, 4, 20), "re_enrolled"),
                ("left", D(2025, 4, 20), D(2025, 6, 1), "left"),
                ("active", D(2025, 6, 1), None, "re_enrolled"),
            ],
        )
        expected = {
            D(2025, 1, 9): 0,
            D(2025, 1, 10): 1,
            D(2025, 1, 31): 1,
            D(2025, 2, 1): 2,
            D(2025, 2, 14): 2,
            D(2025, 2, 15): 1,  # suspended that day
            D(2025, 2, 28): 1,
            D(2025, 3, 1): 2,
            D(2025, 4, 19): 2,
            D(2025, 4, 20): 1,
            D(2025, 5, 31): 1,
            D(2025, 6, 1): 2,
            D(2025, 12, 31): 2,
        }
        self.assertEqual({day: self._members_at(day) for day in expected}, expected)
        # writing the same state again, or another field, opens nothing
        with freeze_time("2025-07-01 12:00:00"):
            membership.write({"state": "active", "pricelist_manual": True})
        self.assertEqual(len(membership.interval_ids), 5)

    def test_same_day_change_and_joining_date_written_later(self):
        with freeze_time("2025-05-05 12:00:00"):
            _partner, membership = self._enrol("Quick Leaver")
            membership.state = "left"
        self.assertEqual(
            self._periods(membership),
            [("active", D(2025, 5, 5), D(2025, 5, 5), "enrolled"), ("left", D(2025, 5, 5), None, "left")],
        )
        self.assertEqual(self._members_at(D(2025, 5, 5)), 0, "an empty period counts nobody")
        # a joining date written afterwards (the import's file, a merge, by hand) moves the first period's start
        membership.member_since = D(2024, 11, 1)
        self.assertEqual(self._periods(membership)[0], ("active", D(2024, 11, 1), D(2025, 5, 5), "enrolled"))
        self.assertEqual(self._members_at(D(2025, 1, 1)), 1)

    # ------------------------------------------------------------------
    # grace lines from the real review
    # ------------------------------------------------------------------
    def _gold_long_ago(self, name, today):
        _partner, membership = self._enrol(name)
        self.env["member.membership"]._member_apply_changes(
            [(membership.id, membership.tier_id.id, self.tiers["GOLD"].id)], "manual", as_of=today - dt.timedelta(400)
        )
        return membership

    def test_grace_starts_and_ends_when_the_member_qualifies_again(self):
        today = self.company._member_today()
        membership = self._gold_long_ago("Grace Member", today)
        Membership = self.env["member.membership"]
        Membership._member_review_run(as_of=today)
        self.assertEqual((membership.tier_id, membership.grace_since), (self.tiers["GOLD"], today))
        self._opening(membership.partner_id, self.company, today, 2500.0, orders=4, key=7001)  # Gold again
        Membership._member_review_run(as_of=today + dt.timedelta(days=3))
        self.assertFalse(membership.grace_since)
        lines = membership.history_ids.sorted("id")
        std, gold = self.tiers["STD"], self.tiers["GOLD"]
        self.assertEqual(
            [(h.direction, h.trigger, h.from_tier_id, h.to_tier_id) for h in lines],
            [
                ("up", "enroll", std.browse(), std),
                ("up", "manual", std, gold),
                ("grace_start", "review", gold, gold),
                ("grace_end", "review", gold, gold),
            ],
            "no move: the grace period starts and ends on Gold",
        )
        self.assertEqual(membership._member_moved_up(), membership, "grace lines are not moves")

    def test_a_move_ends_the_grace_before_its_own_line(self):
        today = self.company._member_today()
        membership = self._gold_long_ago("Grace Climber", today)
        self.env["member.membership"]._member_review_run(as_of=today)
        self.assertEqual(membership.grace_since, today)
        # an order that qualifies higher moves the member up at once: the grace ends with that move
        self._opening(membership.partner_id, self.company, today, 9000.0, orders=7, key=7002)
        self.assertEqual(membership.tier_id, self.tiers["PLAT"])
        self.assertFalse(membership.grace_since)
        lines = membership.history_ids.sorted("id")[2:]  # after the enrolment and the manual Gold
        gold, plat = self.tiers["GOLD"], self.tiers["PLAT"]
        self.assertEqual(
            [(h.direction, h.from_tier_id, h.to_tier_id) for h in lines],
            [("grace_start", gold, gold), ("grace_end", gold, gold), ("up", gold, plat)],
        )
        self.assertEqual(len({h.trigger for h in lines[1:]}), 1, "the move's grace line has the move's trigger")

    # ------------------------------------------------------------------
    # snapshots
    # ------------------------------------------------------------------
    def _snapshot_rows(self, month):
        rows = self.env["member.tier.snapshot"].search([("company_id", "=", self.company.id), ("month", "=", month)])
        return {
            (r.tier_id.code or None, r.country_id.code or None, r.home_config_id.id or None): (
                r.member_count,
                r.new_count,
            )
            for r in rows
        }

    def test_snapshot_after_the_review_and_rebuilt_from_history(self):
        std, gold = self.tiers["STD"], self.tiers["GOLD"]
        with freeze_time("2025-01-10 12:00:00"):
            self._enrol("Snap A", country_id=self.cn.id, state_id=self.shanghai.id)
        with freeze_time("2025-01-20 12:00:00"):
            _b, b = self._enrol("Snap B")
        with freeze_time("2025-02-05 12:00:00"):
            self.env["member.membership"]._member_apply_changes([(b.id, std.id, gold.id)], "manual")
        with freeze_time("2025-02-10 12:00:00"):
            _c, c = self._enrol("Snap C")
        with freeze_time("2025-02-20 12:00:00"):
            c.state = "suspended"
        with freeze_time("2025-03-02 12:00:00"):
            _d, d = self._enrol("Snap D (imported, joining date unknown)")
            d.member_since_unknown = True
        Snapshot = self.env["member.tier.snapshot"]
        with freeze_time("2025-03-15 12:00:00"):
            self.env["member.membership"]._member_review_run()
        march = self._snapshot_rows(D(2025, 3, 1))
        expected_march = {
            ("STD", "CN", None): (1, 0),  # A
            ("STD", None, None): (1, 0),  # D: a member, never new
            ("GOLD", None, None): (1, 0),  # B; C is suspended
        }
        self.assertEqual(march, expected_march)
        with freeze_time("2025-03-15 12:00:00"):
            months = Snapshot._member_rebuild(self.company, D(2025, 1, 1), D(2025, 12, 31))
        self.assertEqual(months, 3, "January to the current month")
        self.assertEqual(self._snapshot_rows(D(2025, 3, 1)), expected_march, "the rebuild finds the review's rows")
        self.assertEqual(
            self._snapshot_rows(D(2025, 1, 1)),
            {("STD", "CN", None): (1, 1), ("STD", None, None): (1, 1)},
            "A and B joined in January, both Standard then",
        )
        self.assertEqual(
            self._snapshot_rows(D(2025, 2, 1)),
            {("STD", "CN", None): (1, 0), ("GOLD", None, None): (1, 0), ("STD", None, None): (0, 1)},
            "B is Gold from 5 February; C joined and is suspended at the month's end",
        )
        # a group that empties is removed at the next write of its month
        with freeze_time("2025-03-20 12:00:00"):
            b.state = "left"
            self.env["member.tier.snapshot"]._member_snapshot(self.company)
        self.assertNotIn(("GOLD", None, None), self._snapshot_rows(D(2025, 3, 1)))
        # February does not change: B was an active Gold member at its end, whatever B is now
        february = self._snapshot_rows(D(2025, 2, 1))
        with freeze_time("2025-03-20 12:00:00"):
            Snapshot._member_rebuild(self.company, D(2025, 2, 1), D(2025, 2, 28))
        self.assertEqual(self._snapshot_rows(D(2025, 2, 1)), february)

    def test_the_next_night_counts_the_last_evening_of_the_month(self):
        """Who joins on a month's last evening, after that night's run, counts in that month from the next
        night's run on: it rebuilds the month before from the history. A rebuild of several months (one
        statement) gives the hand-worked figures across a gap between periods and two moves on one day."""
        self.company.partner_id.tz = "Asia/Shanghai"  # UTC+8: the runs at 00:30 local are at 16:30 UTC
        std, gold, plat = self.tiers["STD"], self.tiers["GOLD"], self.tiers["PLAT"]
        Membership = self.env["member.membership"]
        with freeze_time("2024-12-05 04:00:00"):
            gap_partner, gap = self._enrol("Snap Gap")
        with freeze_time("2024-12-20 04:00:00"):
            gap.state = "left"
        with freeze_time("2025-01-30 16:30:00"):  # the night's run of 31 January
            Membership._member_review_run()
        self.assertEqual(self._snapshot_rows(D(2025, 1, 1)), {}, "nobody is a member on 31 January yet")
        december = {("STD", None, None): (0, 1)}  # joined on 5 December, gone on the 20th: new, no member at the end
        self.assertEqual(self._snapshot_rows(D(2024, 12, 1)), december, "the month before, from the history")
        with freeze_time("2025-01-31 14:00:00"):  # 22:00 on 31 January
            self._enrol("Snap Late")
            gap_partner.with_company(self.company).action_member_enroll()  # back, the same evening
            _climber, climber = self._enrol("Snap Climber")
            Membership._member_apply_changes([(climber.id, std.id, gold.id)], "manual")
            Membership._member_apply_changes([(climber.id, gold.id, plat.id)], "manual")
        self.assertEqual(self._snapshot_rows(D(2025, 1, 1)), {})
        with freeze_time("2025-01-31 16:30:00"):  # the night's run of 1 February
            Membership._member_review_run()
        january = {
            ("STD", None, None): (2, 1),  # the late joiner (new) and the returning member (joined in December)
            ("PLAT", None, None): (1, 1),  # Platinum by the day's second move
        }
        self.assertEqual(self._snapshot_rows(D(2025, 1, 1)), january, "the late evening counts in January")
        february = self._snapshot_rows(D(2025, 2, 1))
        self.assertEqual(sum(count for count, _new in february.values()), 3)
        with freeze_time("2025-01-31 16:30:00"):
            months = self.env["member.tier.snapshot"]._member_rebuild(self.company, D(2024, 12, 1), D(2025, 2, 1))
        self.assertEqual(months, 3)
        self.assertEqual(self._snapshot_rows(D(2024, 12, 1)), december)
        self.assertEqual(self._snapshot_rows(D(2025, 1, 1)), january)
        self.assertEqual(self._snapshot_rows(D(2025, 2, 1)), february, "the rebuild finds the night's rows")

    # ------------------------------------------------------------------
    # nobody writes periods, history or snapshots through the ORM
    # ------------------------------------------------------------------
    def test_periods_history_and_snapshots_are_read_only(self):
        _partner, membership = self._enrol("Guarded Member")
        self.env["member.tier.snapshot"]._member_snapshot(self.company)
        period = membership.interval_ids
        line = membership.history_ids[:1]
        snapshot = self.env["member.tier.snapshot"].search([("company_id", "=", self.company.id)], limit=1)
        self.assertTrue(period and line and snapshot)
        vals = {
            "member.membership.interval": {
                "membership_id": membership.id,
                "partner_id": membership.partner_id.id,
                "company_id": self.company.id,
                "state": "active",
                "date_from": "2020-01-01",
                "start_kind": "enrolled",
            },
            "member.tier.history": {
                "membership_id": membership.id,
                "partner_id": membership.partner_id.id,
                "company_id": self.company.id,
                "direction": "grace_start",
                "trigger": "review",
            },
            "member.tier.snapshot": {"company_id": self.company.id, "month": "2020-01-01", "member_count": 99},
        }
        records = {"member.membership.interval": period, "member.tier.history": line, "member.tier.snapshot": snapshot}
        manager = self.role_users["member_manager"]
        manager.company_ids |= self.company
        for model, record in records.items():
            for user in (self.user, self.officer, manager):
                with self.subTest(model=model, user=user.login):
                    mine = record.with_user(user).with_company(self.company)
                    if model == "member.tier.snapshot" and user == self.user:
                        # the snapshots are the member analysis' figures: officers and auditors only
                        with self.assertRaises(AccessError):
                            mine.read(["company_id"])
                    else:
                        self.assertTrue(mine.read(["company_id"]), "members' readers read it")
                    with self.assertRaises(AccessError):
                        mine.create(vals[model])
                    with self.assertRaises(AccessError):
                        mine.write({"company_id": self.company.id})
                    with self.assertRaises(AccessError):
                        mine.unlink()
        for model in ("member.membership.interval", "member.tier.snapshot"):
            with self.subTest(model=model, user="sudo"), self.assertRaises(UserError):
                self.env[model].sudo().create(vals[model])
            with self.subTest(model=model, user="sudo"), self.assertRaises(UserError):
                records[model].sudo().write({"date_to" if "interval" in model else "member_count": "2099-01-01"})
            with self.subTest(model=model, user="sudo"), self.assertRaises(UserError):
                records[model].sudo().unlink()
        # the snapshots' readers: officers (managers through them) and auditors, as the member analysis
        auditor = new_test_user(
            self.env,
            login="periods_auditor",
            groups="member_crm.group_member_crm_accountant",
            company_id=self.company.id,
            company_ids=[self.company.id],
        )
        self.assertTrue(snapshot.with_user(auditor).read(["member_count"]))
        snapshot_menu = "member_crm.menu_member_crm_tier_snapshot"
        self.assertIn(snapshot_menu, self.visible_menu_xmlids(auditor))
        self.assertIn(snapshot_menu, self.visible_menu_xmlids(self.officer))
        self.assertNotIn(snapshot_menu, self.visible_menu_xmlids(self.user))
        self.assertNotIn(snapshot_menu, self.visible_menu_xmlids(self.role_users["member_marketing"]))
        # another company's users see none of it; a plain employee reads nothing
        outsider = self.role_users["member_officer"]  # a member officer of the main company only
        for model, record in records.items():
            with self.subTest(model=model, user="outsider"):
                self.assertFalse(self.env[model].with_user(outsider).search([("id", "=", record.id)]))
                with self.assertRaises(AccessError):
                    record.with_user(self.role_users["member_plain"]).read(["company_id"])
        # the rebuild is a manager's
        with self.assertRaises(AccessError):
            self.env["member.tier.snapshot"].with_user(self.officer).action_member_rebuild()
        action = (
            self.env["member.tier.snapshot"]
            .with_user(manager)
            .with_company(self.company)
            .with_context(allowed_company_ids=[self.company.id])
            .action_member_rebuild()
        )
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(
            self.env["member.tier.snapshot"].search([("company_id", "=", self.company.id)]).mapped("member_count"), [1]
        )


@tagged("post_install", "-at_install")
class TestMemberHomeStore(TestPoSCommon, MemberTierMixin):
    """A member's home store: the register that enrolled them, else the store of their first till order."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.config = cls.basic_config
        cls.env.user.group_ids |= cls.env.ref("member_crm.group_member_crm_manager")
        cls.tiers = cls._member_enable(cls.company, member_auto_enroll=False)
        cls.tea = cls.create_product("Home Tea", cls.categ_basic, 70.0)

    def _sync(self, customer):
        data = self.create_ui_order_data([(self.tea, 1)], customer=customer)
        self.env["pos.order"].sync_from_ui([data])

    def _mark(self):
        """Where the next fill starts: past every ledger entry and membership there is now."""
        self.env.flush_all()
        ((entry, membership),) = self.env.execute_query(
            SQL(
                "SELECT (SELECT COALESCE(MAX(id), 0) FROM member_ledger),"
                " (SELECT COALESCE(MAX(id), 0) FROM member_membership)"
            )
        )
        return entry, membership

    def test_home_store_from_the_first_store_entry(self):
        Membership = self.env["member.membership"]
        Params = self.env["ir.config_parameter"]
        key = f"member_crm.home_store_marker.{self.company.id}"
        self.open_new_session()
        # the last fill saw everything up to here: a member enrolled in the back office (no home store yet),
        # and the till order of a customer who is no member yet
        regular = self._member_partner("Regular Buyer", self.company)
        early = self.env["res.partner"].create({"name": "Early Buyer"})
        self._sync(early)
        Params.set_param(key, "{},{}".format(*self._mark()))
        # the customer joins in the back office: a membership newer than the marker, its store entry older
        early.with_company(self.company).action_member_enroll()
        # the member buys at the till: a store entry newer than the marker
        self._sync(regular)
        self.assertFalse(
            (self._membership(early, self.company) | self._membership(regular, self.company)).home_config_id
        )
        self.assertEqual(Membership._member_fill_home_config(self.company), 2)
        self.assertEqual(self._membership(early, self.company).home_config_id, self.config)
        self.assertEqual(self._membership(regular, self.company).home_config_id, self.config)
        self.assertEqual(Membership._member_fill_home_config(self.company), 0, "a home store stays")
