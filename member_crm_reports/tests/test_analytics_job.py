"""The weekly analytics job on a small real dataset: RFM copies and movements, predicted CLV, cohorts, figures.

Company A (UTC): fourteen members enrolled on 2024-01-01 buy weekly patterns from 2024-01-08 (a Monday), with
ledger entries written through the ledger's own writer; member 0 also has an opening balance dated 2023;
a staff member (the company's exclusion tag) and a customer who is no member buy too. The job runs as of
2024-06-30 (a Sunday). Company B: three members with a hand-computed cohort table (too few repeat buyers
for a CLV fit: no scores, a warning).
"""

import datetime as dt
from unittest.mock import patch

import pandas as pd
from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import SQL

from odoo.addons.base.tests.common import BaseCommon
from odoo.addons.member_crm.tests.common import MemberTierMixin

from ..engine import clv
from ..models import member_analytics

D = dt.date
AS_OF = D(2024, 6, 30)
FIRST_MONDAY = D(2024, 1, 8)
MEMBERS = 14


def pattern(i):
    """Member i's orders: (date, amount), every 1-3 weeks from week i % 4, 2-6 orders."""
    step, start, count = 1 + i % 3, i % 4, 2 + i % 5
    return [
        (FIRST_MONDAY + dt.timedelta(weeks=start + step * j, days=i % 3), 40.0 + 9 * (i * 7 % 13) + 2 * j)
        for j in range(count)
    ]


@tagged("post_install", "-at_install")
class TestAnalyticsJob(BaseCommon, MemberTierMixin):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Company = cls.env["res.company"]
        cls.company = Company.create({"name": "Analytics A"})
        cls.company_b = Company.create({"name": "Analytics B"})
        for company in cls.company | cls.company_b:
            company.partner_id.tz = "UTC"
            cls._member_enable(company)
        cls.env.user.company_ids |= cls.company | cls.company_b
        cls.staff_tag = cls.env["res.partner.category"].create({"name": "Analytics Staff"})
        cls.company.member_analytics_exclude_tag_id = cls.staff_tag
        with freeze_time("2024-01-01 12:00:00"):
            cls.members = [cls._member_partner(f"Analytics M{i}", cls.company) for i in range(MEMBERS)]
            cls.staff = cls._member_partner("Analytics Staff Member", cls.company)
            cls.b = [cls._member_partner(f"Analytics B{i}", cls.company_b) for i in range(3)]
        cls.staff.category_id = cls.staff_tag
        cls.stranger = cls.env["res.partner"].create({"name": "Analytics Stranger"})
        rows = []
        for i, partner in enumerate(cls.members):
            rows += [(partner, day, amount) for day, amount in pattern(i)]
        rows += [(cls.staff, day, amount) for day, amount in pattern(5)]
        rows += [(cls.stranger, day, amount) for day, amount in pattern(6)]
        cls._write(cls.company, rows, first_src=910000)
        # member 0's opening balance (ten orders in 2023): never an order, never its age
        cls._opening(cls, cls.members[0], cls.company, D(2023, 6, 1), 5000.0, orders=10, key=919999)
        # company B: Jan cohort B0 (Jan, Feb), B1 (Jan, Mar); Feb cohort B2 (Feb only)
        b0, b1, b2 = cls.b
        cls._write(
            cls.company_b,
            [
                (b0, D(2024, 1, 10), 100.0),
                (b0, D(2024, 2, 10), 100.0),
                (b1, D(2024, 1, 20), 50.0),
                (b1, D(2024, 3, 5), 80.0),
                (b2, D(2024, 2, 15), 70.0),
            ],
            first_src=920000,
        )
        # ratings of tickets, answered in June 2024, and one inquiry answered in May 2024 (rated_on is Odoo's
        # clock, which freeze_time sets; create and write dates are the database's, today's)
        answers = [
            (kind, mark, "2024-06-10 09:00:00")
            for kind, marks in {"inquiry": [5, 1], "feedback": [5, 5, 3], "complaint": [1]}.items()
            for mark in marks
        ] + [("inquiry", 5, "2024-05-20 09:00:00")]
        Complaint, Rating = cls.env["member.complaint"], cls.env["rating.rating"]
        model_id = cls.env["ir.model"]._get_id("member.complaint")
        ratings = Rating
        for kind, mark, answered in answers:
            ticket = Complaint.with_company(cls.company).create(
                {
                    "name": f"Analytics {kind}",
                    "partner_id": cls.members[1].id,
                    "complaint_type": kind,
                    "company_id": cls.company.id,
                }
            )
            with freeze_time(answered):
                ratings |= Rating.create(
                    {
                        "res_model_id": model_id,
                        "res_id": ticket.id,
                        "partner_id": cls.members[1].id,
                        "rating": mark,
                        "consumed": True,
                    }
                )
        # a later write (today) moves no answer to another month
        ratings.write({"rated_partner_id": cls.env.user.partner_id.id})
        # campaigns sent in May 2024 (their results are the results job's: set as it would)
        campaigns = cls.env["member.campaign"].create(
            [{"name": f"Analytics campaign {n}", "company_id": cls.company.id} for n in range(2)]
        )
        for campaign, (revenue, cost) in zip(campaigns, [(1000.0, 300.0), (200.0, 500.0)], strict=True):
            cls.env.cr.execute(
                SQL(
                    "UPDATE member_campaign SET state = 'done', sent_date = %s, revenue = %s, cost_total = %s "
                    "WHERE id = %s",
                    dt.datetime(2024, 5, 20, 8),
                    revenue,
                    cost,
                    campaign.id,
                )
            )
        cls.env["member.rfm"]._member_rfm_refresh(cls.company | cls.company_b, as_of=AS_OF)

    @classmethod
    def _write(cls, company, rows, first_src):
        """Order entries through the ledger's writer: (partner, date, amount), one order each."""
        values = SQL(", ").join(
            SQL(
                "(%s, %s, %s, %s::date, 'order', 1, NULL::int, NULL::int, NULL::int, NULL::int, %s::numeric)",
                first_src + n,
                partner.id,
                company.id,
                day,
                amount,
            )
            for n, (partner, day, amount) in enumerate(rows)
        )
        select = SQL(
            """SELECT * FROM (VALUES %s) AS v(src_id, partner_id, company_id, date, kind, order_count, refund_of_id,
                                              pos_config_id, team_id, categ_id, amount)""",
            values,
        )
        return cls.env["member.ledger"]._member_insert("res.partner", select, check=False)

    def _run(self, company, as_of=AS_OF):
        return self.env["member.analytics"]._member_analytics_run(company, as_of=as_of)

    def _scores(self, company):
        return {s.partner_id: s for s in self.env["member.clv.score"].search([("company_id", "=", company.id)])}

    # ------------------------------------------------------------------
    def test_clv_scores(self):
        result = self._run(self.company)
        scores = self._scores(self.company)
        self.assertEqual(result["clv_written"], MEMBERS)
        # every eligible member, no staff member (tag), no customer who is no member
        self.assertEqual(set(scores), set(self.members))
        m0 = scores[self.members[0]]
        # opening ignored: orders 2024-01-08 and 2024-01-15 only, age from the first order (24 weeks to 06-30)
        self.assertEqual((m0.frequency, m0.recency, m0.t_weeks), (1, 1, 24))
        self.assertAlmostEqual(m0.monetary, 42.0)
        self.assertEqual(m0.membership_id, self._membership(self.members[0], self.company))
        # the same numbers as the engine on the members' orders (no opening, no staff, no stranger)
        orders = pd.DataFrame(
            [(i, day, amount) for i in range(MEMBERS) for day, amount in pattern(i)],
            columns=["partner", "date", "amount"],
        )
        expected = clv.predict(orders, end=AS_OF).scores
        self.assertGreater(expected["clv"].sum(), 0.0)
        for i, partner in enumerate(self.members):
            self.assertAlmostEqual(scores[partner].predicted_value, round(expected["clv"][i], 2), places=2)
            self.assertAlmostEqual(scores[partner].p_alive, expected["p_alive"][i], places=4)
        # the job never writes memberships
        memberships = self.env["member.membership"].search([("company_id", "=", self.company.id)])
        before = dict(zip(memberships.ids, memberships.mapped("write_date"), strict=True))
        ids = sorted(s.id for s in scores.values())
        self._run(self.company)  # re-run: rows replaced in place, not duplicated
        self.assertEqual(sorted(s.id for s in self._scores(self.company).values()), ids)
        memberships.invalidate_recordset()
        self.assertEqual(dict(zip(memberships.ids, memberships.mapped("write_date"), strict=True)), before)
        # a member tagged later leaves the scores
        self.members[3].category_id = self.staff_tag
        self._run(self.company)
        self.assertNotIn(self.members[3], self._scores(self.company))

    def test_cohorts_hand_computed(self):
        with self.assertLogs("odoo.addons.member_crm_reports.models.member_analytics", "WARNING"):
            result = self._run(self.company_b, as_of=D(2024, 3, 31))
        self.assertEqual(result["clv_written"], 0)  # three customers: no fit, no score
        rows = self.env["member.cohort"].search([("company_id", "=", self.company_b.id)])
        cells = {(r.cohort, r.k): (r.size, r.retained, round(r.share, 4)) for r in rows}
        self.assertEqual(
            cells,
            {
                (D(2024, 1, 1), 0): (2, 2, 1.0),
                (D(2024, 1, 1), 1): (2, 1, 0.5),
                (D(2024, 1, 1), 2): (2, 1, 0.5),
                (D(2024, 2, 1), 0): (1, 1, 1.0),
                (D(2024, 2, 1), 1): (1, 0, 0.0),
            },
        )
        with self.assertLogs("odoo.addons.member_crm_reports.models.member_analytics", "WARNING"):
            self._run(self.company_b, as_of=D(2024, 3, 31))
        self.assertEqual(self.env["member.cohort"].search_count([("company_id", "=", self.company_b.id)]), 5)
        # company A: the staff member starts no cohort (one member per order pattern start, all in January)
        self._run(self.company)
        january = self.env["member.cohort"].search(
            [("company_id", "=", self.company.id), ("cohort", "=", D(2024, 1, 1)), ("k", "=", 0)]
        )
        self.assertEqual(january.size, MEMBERS)

    def test_rfm_month_copy_and_movement(self):
        self._run(self.company, as_of=D(2024, 5, 31))
        May = self.env["member.rfm.month"].search([("company_id", "=", self.company.id), ("month", "=", D(2024, 5, 1))])
        self.assertEqual(len(May), MEMBERS + 1)  # every active membership's RFM row (the staff's too)
        mover = May.filtered(lambda r: r.segment != "important_value")[:1]
        self.assertTrue(mover)
        # the nightly refresh moves a member between the copies (set as it would, in SQL)
        self.env.cr.execute(
            SQL("UPDATE member_rfm SET segment = 'important_value' WHERE membership_id = %s", mover.membership_id.id)
        )
        self.env["member.rfm"].invalidate_model()
        self._run(self.company, as_of=D(2024, 6, 15))
        self._run(self.company, as_of=D(2024, 6, 30))  # once a month: the second run of June copies nothing
        june = self.env["member.rfm.month"].search(
            [("company_id", "=", self.company.id), ("month", "=", D(2024, 6, 1))]
        )
        self.assertEqual(len(june), MEMBERS + 1)
        moves = self.env["member.rfm.movement"].search(
            [("company_id", "=", self.company.id), ("month", "=", D(2024, 6, 1)), ("moved", "=", 1)]
        )
        self.assertEqual(moves.membership_id, mover.membership_id)
        self.assertEqual(
            (moves.month, moves.from_segment, moves.to_segment), (D(2024, 6, 1), mover.segment, "important_value")
        )
        groups = self.env["member.rfm.movement"]._read_group(
            [("company_id", "=", self.company.id), ("month", "=", D(2024, 6, 1))], ["moved"], ["member_count:sum"]
        )
        self.assertEqual(dict(groups), {0: MEMBERS, 1: 1})

    def test_deleted_membership(self):
        """The job's tables have no foreign keys (models/job_tables.py): a deleted membership's score goes with it
        and its RFM copies stay, anonymised, however the membership is deleted (the ORM, or SQL as the contact
        merge does); the copies still count in their month and read and group without the membership."""
        self._run(self.company)
        Month, Score = self.env["member.rfm.month"], self.env["member.clv.score"]
        month = [("company_id", "=", self.company.id), ("month", "=", D(2024, 6, 1))]
        sizes = dict(Month._read_group(month, ["segment"], ["__count"]))
        by_orm, by_sql = (self._membership(partner, self.company) for partner in self.members[2:4])
        self.assertTrue(Score.search_count([("membership_id", "in", (by_orm | by_sql).ids)]))
        self.assertEqual(Month.search_count([*month, ("membership_id", "in", (by_orm | by_sql).ids)]), 2)
        by_orm.unlink()
        self.env.execute_query(SQL("DELETE FROM member_membership WHERE id = %s", by_sql.id))
        self.env.invalidate_all()
        self.assertFalse(
            self.env.execute_query(
                SQL(
                    """SELECT 1 FROM member_clv_score WHERE membership_id = ANY(%(ids)s)
                       UNION ALL SELECT 1 FROM member_rfm_month WHERE membership_id = ANY(%(ids)s)""",
                    ids=[by_orm.id, by_sql.id],
                )
            )
        )
        self.assertEqual(Score.search_count([("company_id", "=", self.company.id)]), MEMBERS - 2)
        self.assertEqual(dict(Month._read_group(month, ["segment"], ["__count"])), sizes)
        anonymous = Month.search([*month, ("membership_id", "=", False)])
        self.assertEqual(len(anonymous), 2)
        self.assertEqual(anonymous.read(["membership_id", "partner_id"])[0]["membership_id"], False)
        groups = Month.formatted_read_group(month, ["membership_id"], ["__count"])
        self.assertEqual(len(groups), MEMBERS + 1 - 2 + 1)  # the remaining memberships, and "None" (2 rows)
        # the next run scores the rest, and writes no row for the deleted memberships
        self._run(self.company)
        self.assertEqual(Score.search_count([("company_id", "=", self.company.id)]), MEMBERS - 2)
        # rows a run wrote while their membership was being deleted (the trigger did not see them, not committed
        # yet): the next run deletes the score and anonymises the copy, as the trigger would have
        gone = self.env.execute_query(SQL("SELECT MAX(id) + 1000 FROM member_membership"))[0][0]
        stamp = dt.datetime(2024, 7, 1, 3, 0, 0, 123456)  # the run's own stamp: only the missing membership tells
        self.env.execute_query(
            SQL(
                """INSERT INTO member_clv_score (company_id, membership_id, computed_at) VALUES (%(c)s, %(m)s, %(t)s);
                   INSERT INTO member_rfm_month (company_id, month, membership_id, segment)
                   VALUES (%(c)s, %(month)s, %(m)s, 'champions')""",
                c=self.company.id,
                m=gone,
                t=stamp,
                month=D(2024, 6, 1),
            )
        )
        Job = self.env["member.analytics"]
        Job._member_copy_rfm(self.company, AS_OF)
        Job._member_write_clv(self.company, Job._member_orders_frame(self.company, AS_OF), AS_OF, stamp)
        self.assertFalse(
            self.env.execute_query(
                SQL(
                    """SELECT 1 FROM member_clv_score WHERE membership_id = %(m)s
                       UNION ALL SELECT 1 FROM member_rfm_month WHERE membership_id = %(m)s""",
                    m=gone,
                )
            )
        )
        self.assertEqual(Month.search_count([*month, ("membership_id", "=", False)]), 3)

    def test_orders_frame_empty(self):
        company = self.env["res.company"].create({"name": "Analytics Empty"})
        self._member_enable(company)
        frame = self.env["member.analytics"]._member_orders_frame(company, AS_OF)
        self.assertTrue(frame.empty)
        self.assertEqual(
            {name: str(dtype) for name, dtype in frame.dtypes.items()},
            {"membership": "int64", "partner": "int64", "date": "datetime64[ns]", "amount": "float64"},
        )
        self.assertEqual(self._run(company)["clv_written"], 0)

    def test_figures(self):
        self._run(self.company)
        figures = {
            (f.month, f.key): (round(f.value, 4), f.count)
            for f in self.env["member.analytics.figure"].search([("company_id", "=", self.company.id)])
        }
        self.assertEqual(figures[D(2024, 6, 1), "inquiry_satisfaction"], (0.5, 2))
        self.assertEqual(figures[D(2024, 6, 1), "feedback_satisfaction"], (0.6667, 3))
        self.assertNotIn((D(2024, 6, 1), "complaint_satisfaction"), figures)
        # the month of the answer (May), not of the rating's last write (today)
        self.assertEqual(figures[D(2024, 5, 1), "inquiry_satisfaction"], (1.0, 1))
        self.assertEqual(figures[D(2024, 5, 1), "marketing_effect"], (200.0, 2))
        # customer value: the mean over the members buying in the month of their spend (mean amount x orders)
        spend = {}
        for i in range(MEMBERS):
            for day, amount in pattern(i):
                if day.month == 1:
                    spend[i] = spend.get(i, 0.0) + amount
        self.assertEqual(
            figures[D(2024, 1, 1), "customer_value"], (round(sum(spend.values()) / len(spend), 4), len(spend))
        )
        count = len(figures)
        self._run(self.company)
        self.assertEqual(
            self.env["member.analytics.figure"].search_count([("company_id", "=", self.company.id)]), count
        )

    def _count(self, model, company):
        return self.env[model].search_count([("company_id", "=", company.id)])

    def _failing_run(self, companies, commit=None):
        try:
            self.env["member.analytics"]._member_analytics_companies(companies, as_of=AS_OF, commit=commit)
        except UserError as error:
            return error
        self.fail("a company failed: the job must end in an error")

    def test_company_failure_isolated(self):
        """A company that fails (any error) is rolled back; the companies after it are still computed."""
        Job = self.env["member.analytics"]
        job_class = type(Job)
        tables = ("member.rfm.month", "member.cohort", "member.analytics.figure", "member.clv.score")
        logger = "odoo.addons.member_crm_reports.models.member_analytics"
        write_figures = job_class._member_write_figures

        def figures_fail_in_a(job, company, *args):
            if company == self.company:
                raise ValueError("broken figures")
            return write_figures(job, company, *args)

        # no commit (a test, a manual run): company A fails after its RFM copy and cohorts were written
        # (not self.assertRaises: it rolls its block back, company B's rows with it)
        with (
            patch.object(job_class, "_member_write_figures", figures_fail_in_a),
            self.assertLogs(logger, "WARNING") as logs,
        ):
            error = self._failing_run(self.company | self.company_b)
        self.assertIn(self.company.name, str(error))
        self.assertNotIn(self.company_b.name, str(error))
        self.assertTrue(any(r.levelname == "ERROR" and "broken figures" in r.exc_text for r in logs.records))
        self.assertEqual({model: self._count(model, self.company) for model in tables}, dict.fromkeys(tables, 0))
        # B, after A: written
        self.assertEqual(self._count("member.rfm.month", self.company_b), self._count("member.rfm", self.company_b))
        self.assertGreater(self._count("member.cohort", self.company_b), 0)
        self.assertGreater(self._count("member.analytics.figure", self.company_b), 0)

        # with the cron's commits (recorded here, a test may not commit): batches of 5 scores, A's second
        # batch fails: A keeps what came before its first commit (all but the scores) and that first batch
        commits = []
        upsert = job_class._member_clv_upsert_sql
        calls = []

        def second_batch_fails_in_a(job, company, chunk, now):
            calls.append(company)
            if company == self.company and calls.count(company) == 2:
                raise ValueError("broken batch")
            return upsert(job, company, chunk, now)

        with (
            patch.object(member_analytics, "BATCH", 5),
            patch.object(job_class, "_member_clv_upsert_sql", second_batch_fails_in_a),
            self.assertLogs(logger, "WARNING") as logs,
        ):
            self._failing_run(self.company | self.company_b, commit=commits.append)
        self.assertTrue(any(r.levelname == "ERROR" and "broken batch" in r.exc_text for r in logs.records))
        self.assertEqual(commits, [5, 1])  # A's first batch; B (no fit) at its end
        self.assertEqual(self._count("member.clv.score", self.company), 5)
        self.assertEqual(self._count("member.rfm.month", self.company), MEMBERS + 1)
        self.assertGreater(self._count("member.cohort", self.company), 0)
        self.assertGreater(self._count("member.analytics.figure", self.company), 0)
        self.assertGreater(self._count("member.cohort", self.company_b), 0)
        # the next run completes A
        self.assertEqual(
            Job._member_analytics_companies(self.company, as_of=AS_OF)[self.company.id]["clv_written"], MEMBERS
        )
        self.assertEqual(self._count("member.clv.score", self.company), MEMBERS)

    def test_cron_one_company_fails(self):
        """The cron logs a failed company and does not fail its run (Odoo deactivates a cron after five failed runs
        in a week): the other companies are computed."""
        job_class = type(self.env["member.analytics"])
        run = job_class._member_analytics_run

        def run_or_fail(job, company, *args, **kwargs):
            if company == self.company:
                raise ValueError("company A's data is broken")
            return run(job, company, *args, **kwargs)

        self.env["res.company"].search([("member_crm_enabled", "=", True)]).filtered(
            lambda c: c not in self.company | self.company_b
        ).member_crm_enabled = False
        logger = "odoo.addons.member_crm_reports.models.member_analytics"
        with (
            patch.object(job_class, "_member_analytics_run", run_or_fail),
            patch.object(type(self.env["ir.cron"]), "_commit_progress", lambda cron, *a, **k: 0.0),
            freeze_time("2024-06-30 12:00:00"),
            self.assertLogs(logger, "ERROR") as logs,
        ):
            self.env["member.analytics"]._member_analytics_cron()
        self.assertTrue(any("Analytics A" in line for line in logs.output))
        self.assertFalse(self._count("member.cohort", self.company))
        self.assertTrue(self._count("member.cohort", self.company_b))

    def test_access(self):
        self._run(self.company)
        cashier = new_test_user(
            self.env,
            login="analytics_cashier",
            groups="member_crm.group_member_crm_user,point_of_sale.group_pos_user",
            company_id=self.company.id,
            company_ids=self.company.ids,
        )
        salesperson = new_test_user(
            self.env,
            login="analytics_sales",
            groups="sales_team.group_sale_salesman,member_crm.group_member_crm_user",
            company_id=self.company.id,
            company_ids=self.company.ids,
        )
        for user in (cashier, salesperson):
            for model in (
                "member.clv.score",
                "member.cohort",
                "member.rfm.month",
                "member.rfm.movement",
                "member.analytics.figure",
            ):
                with self.assertRaises(AccessError, msg=f"{user.login} reads {model}"):
                    self.env[model].with_user(user).search_read([], ["company_id"])
        officer_a = new_test_user(
            self.env,
            login="analytics_officer_a",
            groups="member_crm.group_member_crm_officer",
            company_id=self.company.id,
            company_ids=self.company.ids,
        )
        officer_b = new_test_user(
            self.env,
            login="analytics_officer_b",
            groups="member_crm.group_member_crm_officer",
            company_id=self.company_b.id,
            company_ids=self.company_b.ids,
        )
        Score = self.env["member.clv.score"]
        self.assertEqual(Score.with_user(officer_a).search_count([]), MEMBERS)
        for model in ("member.clv.score", "member.cohort", "member.analytics.figure", "member.rfm.movement"):
            self.assertEqual(
                self.env[model].with_user(officer_b).search_count([("company_id", "=", self.company.id)]), 0
            )
            self.assertEqual(
                self.env[model].with_user(officer_b).search([]).company_id - self.company_b, self.env["res.company"]
            )
        # the auditor reads the figures, not who
        auditor = new_test_user(
            self.env,
            login="analytics_auditor",
            groups="member_crm.group_member_crm_accountant",
            company_id=self.company.id,
            company_ids=self.company.ids,
        )
        rows = Score.with_user(auditor).search([("company_id", "=", self.company.id)])
        self.assertEqual(len(rows), MEMBERS)
        self.assertTrue(rows.read(["predicted_value", "p_alive"]))
        for name in ("partner_id", "membership_id"):
            with self.assertRaises(AccessError):
                rows.read([name])
        # the views open for the auditor, without the member columns
        for model, kinds in (
            ("member.clv.score", ("list", "pivot", "graph", "search")),
            ("member.rfm.movement", ("pivot", "list", "search")),
            ("member.rfm.month", ("pivot", "list")),
            ("member.cohort", ("pivot", "list")),
            ("member.analytics.figure", ("list",)),
        ):
            views = self.env[model].with_user(auditor).get_views([(False, kind) for kind in kinds])["views"]
            self.assertEqual(set(views), set(kinds), model)
            for view in views.values():
                self.assertNotIn('name="partner_id"', view["arch"], model)
        # nobody writes through the ORM, not even an officer of the company
        score = Score.with_user(officer_a).search([], limit=1)
        with self.assertRaises(AccessError):
            score.write({"predicted_value": 1e6})
        with self.assertRaises(UserError):
            Score.sudo().browse(score.id).write({"predicted_value": 1e6})
