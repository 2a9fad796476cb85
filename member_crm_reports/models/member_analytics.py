"""The weekly analytics job: monthly RFM copies, predicted CLV, cohort retention and the seed's figures.

Per company with membership on (``ir.cron`` weekly, ``_member_analytics_cron``):

a) the month's copy of the memberships' RFM rows (``member.rfm``) into ``member.rfm.month``, once a month;
b) predicted CLV (``engine.clv``: BG/NBD + Gamma-Gamma fitted on a sample, everyone scored) on the
   company's member orders, written to ``member.clv.score`` in batches, one ``INSERT ... ON CONFLICT``
   per batch; rows of memberships no longer scored are deleted;
c) cohort retention (``engine.cohorts``) into ``member.cohort``, the company's rows replaced;
d) the seed's figures per month (``engine.metrics`` formulas) into ``member.analytics.figure``.

Member orders are read with one statement: the order documents of ``member.report.order`` (net of their
refunds and cancellations) made while their customer was an active member; opening entries are no
orders (``engine.clv``: one row stands for many orders and a false age), and members carrying the
company's exclusion tag (staff, test and company accounts) are left out. The job writes its own tables
only, which have no foreign keys (``job_tables``): it neither updates nor locks ``member_membership``
rows, so it holds none of the row locks the POS instant check takes.
"""

import io
import logging

import numpy as np
import pandas as pd
from dateutil.relativedelta import relativedelta

from odoo import api, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..engine import clv as clv_engine
from ..engine import cohorts as cohort_engine
from ..engine import metrics as metric_engine

_logger = logging.getLogger(__name__)

BATCH = 50_000  # score rows per INSERT
FIGURE_MONTHS = 12  # figures are (re)computed for the last 12 months and the current one


class MemberAnalytics(models.AbstractModel):
    _name = "member.analytics"
    _description = "Member Analytics Job"

    # ------------------------------------------------------------------
    # entry points
    # ------------------------------------------------------------------
    @api.model
    def _member_analytics_cron(self):
        companies = self.env["res.company"].sudo().search([("member_crm_enabled", "=", True)], order="id")
        cron = self.env["ir.cron"]
        try:
            self._member_analytics_companies(companies, commit=lambda done: cron._commit_progress(done))
        except UserError as error:
            # each failed company is logged with its traceback; the run is not failed: Odoo deactivates a cron
            # after five failures in a week, and one company's data would stop every company's analytics
            _logger.error("%s", error)

    @api.model
    def _member_analytics_companies(self, companies, as_of=None, commit=None):
        """Run every company of ``companies``, each apart: one that fails (any error) is rolled back and logged,
        the next ones still run; then an error names the failed companies. Returns {company id: summary}.

        ``commit``: the cron's ``_commit_progress`` (tests pass nothing)."""
        results, failed = {}, []
        for company in companies:
            try:
                results[company.id] = self._member_analytics_isolated(company, as_of, commit)
            except Exception as error:  # pylint: disable=broad-exception-caught
                # any failure of one company (bad data or settings, a bug): the others must still be computed
                _logger.exception("Member analytics of company %s (id %s) failed", company.name, company.id)
                failed.append((company, error))
        if failed:
            raise UserError(
                self.env._(
                    "The member analytics failed for %(companies)s (see the server log); the other companies "
                    "were computed.",
                    companies=", ".join(company.name for company, _error in failed),
                )
            ) from failed[0][1]
        return results

    @api.model
    def _member_analytics_isolated(self, company, as_of=None, commit=None):
        """``_member_analytics_run`` in a savepoint: a failure rolls the company back to where it started or,
        in the cron, to its last commit.

        A commit ends every savepoint, so each of ``commit``'s calls releases the savepoint, commits and opens
        the next one. The run writes the RFM copy, cohorts and figures before the first batch of scores: a
        failure before that first commit leaves nothing of the company; one between the score batches leaves
        the batches committed (whole, fresh rows; the other rows those of the previous run), which the next
        run completes."""
        cr = self.env.cr
        savepoint = cr.savepoint()

        def step(done):
            nonlocal savepoint
            savepoint.close(rollback=False)
            savepoint = None
            commit(done)
            savepoint = cr.savepoint()

        try:
            result = self._member_analytics_run(company, as_of=as_of, commit=step if commit else None)
        except Exception:
            if savepoint is None:
                cr.rollback()  # the commit itself failed: nothing since the last commit stands
            else:
                savepoint.close(rollback=True)
            raise
        savepoint.close(rollback=False)
        return result

    @api.model
    def _member_analytics_run(self, company, as_of=None, commit=None):
        """Run the four steps for ``company`` as of ``as_of`` (default: its today). Returns a summary dict.

        ``commit`` (the cron's ``_commit_progress``) is called after each batch of scores and at the end. The
        scores come last, after every other write: nothing is committed before the first batch of scores.
        ``_member_analytics_isolated`` runs it in a savepoint.
        """
        # sudo: the job reads the ledger, ratings and campaigns of the company and writes its own tables
        # (read-only to every user) in SQL; it runs as the cron's user or a test's superuser
        job = self.sudo()
        as_of = as_of or company._member_today()
        # the run's stamp (UTC, to the microsecond: two runs within a second differ)
        now = self.env.execute_query(SQL("SELECT clock_timestamp() AT TIME ZONE 'UTC'"))[0][0]
        self.env.flush_all()
        result = {"rfm_copied": job._member_copy_rfm(company, as_of)}
        orders = job._member_orders_frame(company, as_of)
        result["cohort_rows"] = job._member_write_cohorts(company, orders, as_of, now)
        result["figures"] = job._member_write_figures(company, orders, as_of, now)
        result["clv_written"] = job._member_write_clv(company, orders, as_of, now, commit)
        if commit:
            commit(1)
        for model in ("member.rfm.month", "member.clv.score", "member.cohort", "member.analytics.figure"):
            self.env[model].invalidate_model()
        return result

    # ------------------------------------------------------------------
    # a) RFM copies
    # ------------------------------------------------------------------
    @api.model
    def _member_copy_rfm(self, company, as_of):
        """Copy the company's RFM rows into the month of ``as_of``, unless that month has its copy already.

        One plain ``INSERT ... SELECT`` in membership order (the unique index grows at its end); the count
        from the cursor, not a returned row per copy."""
        month = as_of.replace(day=1)
        # copies of memberships deleted while an earlier run was writing them (the delete trigger of job_tables
        # did not see rows not committed yet): anonymised now, as the trigger would have (the months a run
        # writes: this one and the one before)
        self.env.cr.execute(
            SQL(
                """UPDATE member_rfm_month h SET membership_id = NULL
                    WHERE h.company_id = %s AND h.month >= %s AND h.membership_id IS NOT NULL
                      AND NOT EXISTS (SELECT 1 FROM member_membership m WHERE m.id = h.membership_id)""",
                company.id,
                month - relativedelta(months=1),
            )
        )
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO member_rfm_month (company_id, month, membership_id, segment, r_score, f_score,
                                              m_score, monetary)
                SELECT r.company_id, %(month)s, r.membership_id, r.segment, r.r_score, r.f_score, r.m_score,
                       r.monetary
                  FROM member_rfm r
                 WHERE r.company_id = %(company)s
                   AND NOT EXISTS (SELECT 1 FROM member_rfm_month x
                                    WHERE x.company_id = %(company)s AND x.month = %(month)s)
              ORDER BY r.membership_id
                """,
                month=month,
                company=company.id,
            )
        )
        return self.env.cr.rowcount

    # ------------------------------------------------------------------
    # member orders
    # ------------------------------------------------------------------
    @api.model
    def _member_orders_sql(self, company, as_of):
        """SQL: one row per counted member order of ``company`` up to ``as_of``: membership, partner, date, amount.

        The net amount after refunds and cancellations; cancelled orders and opening entries are no rows;
        members with the company's exclusion tag are left out.
        """
        report = self.env["member.report.order"]
        tag = company.member_analytics_exclude_tag_id
        excluded = (
            SQL(
                """AND NOT EXISTS (SELECT 1 FROM res_partner_res_partner_category_rel t
                                    WHERE t.partner_id = doc.partner_id AND t.category_id = %s)""",
                tag.id,
            )
            if tag
            else SQL()
        )
        return SQL(
            """
            SELECT m.id AS membership, doc.partner_id AS partner, doc.date, doc.net_amount::float8 AS amount
              FROM (%(orders)s) doc
              JOIN member_membership m ON m.partner_id = doc.partner_id AND m.company_id = doc.company_id
             WHERE doc.company_id = %(company)s AND doc.order_count > 0 AND doc.date <= %(as_of)s
               AND %(active)s
               %(excluded)s
            """,
            orders=report._member_orders_sql(),
            company=company.id,
            as_of=as_of,
            active=report._member_active_on_date_sql(),
            excluded=excluded,
        )

    @api.model
    def _member_orders_frame(self, company, as_of):
        """The member orders as a DataFrame (membership, partner, date, amount), read with one query.

        Read as CSV through ``COPY ... TO STDOUT`` and parsed by pandas' C reader: at a million members
        (3.35 million orders) 6.9 s, against 9.5-11.5 s for psycopg2 making a Python tuple of each row.
        The float amounts are written by PostgreSQL with every digit (``extra_float_digits`` 1 by default).
        """
        query = SQL("COPY (%s) TO STDOUT WITH (FORMAT csv)", self._member_orders_sql(company, as_of))
        self.env.flush_query(query)  # what execute_query does before its statement
        buffer = io.BytesIO()
        self.env.cr.copy_expert(self.env.cr.mogrify(query.code, query.params), buffer)
        columns = {"membership": "int64", "partner": "int64", "date": "datetime64[ns]", "amount": "float64"}
        if not buffer.tell():  # no order: pandas reads no columns from an empty file
            return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in columns.items()})
        buffer.seek(0)
        frame = pd.read_csv(buffer, names=list(columns), dtype={**columns, "date": str})
        # parsed apart, so that a date pandas cannot hold raises here (read_csv would keep the column as text)
        frame["date"] = pd.to_datetime(frame["date"], format="%Y-%m-%d")
        return frame

    # ------------------------------------------------------------------
    # b) predicted CLV
    # ------------------------------------------------------------------
    @api.model
    def _member_write_clv(self, company, orders, as_of, now, commit=None):
        """Fit and score, upsert the scores in batches; delete the company's rows not scored now."""
        scores = self._member_clv_frame(company, orders, as_of)
        if scores is None:
            return 0  # no fit: the previous scores stay
        written = 0
        for start in range(0, len(scores), BATCH):
            chunk = scores.iloc[start : start + BATCH]
            self.env.cr.execute(self._member_clv_upsert_sql(company, chunk, now))
            written += len(chunk)
            if commit:
                commit(len(chunk))  # each batch commits: a failure later keeps the batches done
        # memberships no longer scored (tagged since, or no member order left): every row of this run has
        # its stamp, to the microsecond; and scores of memberships deleted while the job ran (the delete
        # trigger of job_tables did not see this run's rows, not committed yet)
        self.env.cr.execute(
            SQL(
                """DELETE FROM member_clv_score s
                    WHERE s.company_id = %s
                      AND (s.computed_at <> %s
                           OR NOT EXISTS (SELECT 1 FROM member_membership m WHERE m.id = s.membership_id))""",
                company.id,
                now,
            )
        )
        return written

    @api.model
    def _member_clv_frame(self, company, orders, as_of):
        """Scores per membership (DataFrame), or None when the data cannot be fitted (logged)."""
        if orders.empty:
            return None
        summary = clv_engine.summarize(orders[["partner", "date", "amount"]], end=as_of)
        try:
            bgnbd = clv_engine.fit_bgnbd(summary["frequency"], summary["recency"], summary["T"])
            gamma_gamma = clv_engine.fit_gamma_gamma(summary["frequency"], summary["monetary"])
        except clv_engine.FitError as exc:
            _logger.warning("Member analytics: no CLV fit for company %s: %s", company.id, exc)
            return None
        if gamma_gamma.correlated:
            _logger.warning(
                "Member analytics: company %s, frequency and spend correlate (r = %.2f): CLV is doubtful",
                company.id,
                gamma_gamma.correlation,
            )
        scored = clv_engine.score(summary, bgnbd.params, gamma_gamma.params)
        memberships = orders.drop_duplicates("partner").set_index("partner")["membership"]
        return summary.join(scored).assign(membership=memberships.reindex(summary.index).to_numpy())

    @api.model
    def _member_clv_upsert_sql(self, company, chunk, now):
        # each column as one array literal: psycopg2 adapting a list value by value costs several times more
        def floats(column):
            return SQL("%s::float8[]", "{" + ",".join(map(repr, chunk[column].astype(np.float64).tolist())) + "}")

        def ints(column):
            return SQL("%s::int[]", "{" + ",".join(map(str, chunk[column].astype(np.int64).tolist())) + "}")

        return SQL(
            """
            INSERT INTO member_clv_score (company_id, membership_id, predicted_value, p_alive, expected_purchases,
                                          frequency, recency, t_weeks, monetary, computed_at)
            SELECT %(company)s, v.membership, ROUND(v.clv::numeric, 2), v.p_alive, v.purchases,
                   v.frequency, v.recency, v.t_weeks, ROUND(v.monetary::numeric, 2), %(now)s
              FROM unnest(%(membership)s, %(clv)s, %(p_alive)s, %(purchases)s, %(frequency)s, %(recency)s,
                          %(t_weeks)s, %(monetary)s)
                   AS v(membership, clv, p_alive, purchases, frequency, recency, t_weeks, monetary)
                ON CONFLICT (membership_id) DO UPDATE
               SET predicted_value = EXCLUDED.predicted_value, p_alive = EXCLUDED.p_alive,
                   expected_purchases = EXCLUDED.expected_purchases, frequency = EXCLUDED.frequency,
                   recency = EXCLUDED.recency, t_weeks = EXCLUDED.t_weeks, monetary = EXCLUDED.monetary,
                   computed_at = EXCLUDED.computed_at
            """,
            company=company.id,
            now=now,
            membership=ints("membership"),
            clv=floats("clv"),
            p_alive=floats("p_alive"),
            purchases=floats("expected_purchases"),
            frequency=ints("frequency"),
            recency=ints("recency"),
            t_weeks=ints("T"),
            monetary=floats("monetary"),
        )

    # ------------------------------------------------------------------
    # c) cohorts
    # ------------------------------------------------------------------
    @api.model
    def _member_write_cohorts(self, company, orders, as_of, now):
        """Replace the company's cohort rows with the retention table of its member orders."""
        table = cohort_engine.retention(orders[["partner", "date", "amount"]], end=as_of)
        cells = cohort_engine.long_form(table)
        self.env.cr.execute(SQL("DELETE FROM member_cohort WHERE company_id = %s", company.id))
        if cells.empty:
            return 0
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO member_cohort (company_id, cohort, k, size, retained, share, computed_at,
                                           create_uid, create_date, write_uid, write_date)
                SELECT %(company)s, v.cohort, v.k, v.size, v.retained, v.share, %(now)s,
                       %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM unnest(%(cohort)s::date[], %(k)s::int[], %(size)s::int[], %(retained)s::int[],
                              %(share)s::float8[]) AS v(cohort, k, size, retained, share)
                """,
                company=company.id,
                now=now,
                uid=self.env.uid,
                cohort=[period.start_time.date() for period in cells["cohort"]],
                k=cells["k"].astype(int).tolist(),
                size=cells["size"].astype(int).tolist(),
                retained=cells["count"].astype(int).tolist(),
                share=cells["share"].astype(float).tolist(),
            )
        )
        return len(cells)

    # ------------------------------------------------------------------
    # d) the seed's figures
    # ------------------------------------------------------------------
    @api.model
    def _member_figure_values(self, company, orders, as_of):
        """[(month, key, value, rows)] for the months from 12 before ``as_of``'s to its own."""
        last = pd.Period(as_of, freq="M")
        first = last - FIGURE_MONTHS
        start = first.start_time.date()
        values = []

        def months_of(frame, column):
            periods = pd.to_datetime(frame[column]).dt.to_period("M")
            return frame.assign(month=periods)[(periods >= first) & (periods <= last)]

        # customer value: mean over the members buying in the month of (mean order amount x orders)
        if not orders.empty:
            frame = months_of(orders, "date")
            per = frame.groupby(["month", "partner"])["amount"].agg(["mean", "count"]).reset_index()
            for month, group in per.groupby("month"):
                value, rows = metric_engine.value_mean(group["mean"], group["count"])
                values.append((month, "customer_value", value, rows))
        # satisfaction: share of Happy among the answered ratings of inquiries and of feedback tickets
        self.env.cr.execute(
            SQL(
                """
                SELECT c.complaint_type, %(answered)s, r.rating_text
                  FROM rating_rating r
                  JOIN member_complaint c ON c.id = r.res_id
                 WHERE r.res_model = 'member.complaint' AND r.consumed AND c.company_id = %(company)s
                   AND c.complaint_type IN ('inquiry', 'feedback') AND %(answered)s >= %(start)s
                """,
                # the month of the answer: rating.rating's rated_on, set when the rating (or its comment) is
                # given; not write_date, which any later write of the rating moves (its operator set, a
                # stored field recomputed).
                # The request creates the rating unanswered, so create_date is the request's date: only the
                # fallback for a rating stored answered without rated_on (data older than that field)
                answered=SQL("COALESCE(r.rated_on, r.create_date)"),
                company=company.id,
                start=start,
            )
        )
        ratings = pd.DataFrame.from_records(self.env.cr.fetchall(), columns=["type", "date", "text"])
        if not ratings.empty:
            ratings = months_of(ratings, "date")
            answers = ratings["text"].map({"top": metric_engine.SATISFIED}).fillna("")
            for (month, kind), group in answers.groupby([ratings["month"], ratings["type"]]):
                values.append((month, f"{kind}_satisfaction", metric_engine.satisfaction(group), len(group)))
        # marketing effect: mean of (attributed revenue - total cost) of the campaigns sent in the month
        self.env.cr.execute(
            SQL(
                """
                SELECT sent_date, revenue::float8, cost_total::float8 FROM member_campaign
                 WHERE company_id = %s AND sent_date >= %s AND state <> 'cancel'
                """,
                company.id,
                start,
            )
        )
        campaigns = pd.DataFrame.from_records(self.env.cr.fetchall(), columns=["date", "revenue", "cost"])
        if not campaigns.empty:
            campaigns = months_of(campaigns, "date")
            for month, group in campaigns.groupby("month"):
                value, rows = metric_engine.effect_mean(group["revenue"], group["cost"])
                values.append((month, "marketing_effect", value, rows))
        return [
            (month.start_time.date(), key, float(value), int(rows))
            for month, key, value, rows in values
            if metric_engine.figure(value) is not None
        ]

    @api.model
    def _member_write_figures(self, company, orders, as_of, now):
        """Upsert the company's figures of the recent months; those of a month without data are removed."""
        values = self._member_figure_values(company, orders, as_of)
        start = (pd.Period(as_of, freq="M") - FIGURE_MONTHS).start_time.date()
        self.env.cr.execute(
            SQL("DELETE FROM member_analytics_figure WHERE company_id = %s AND month >= %s", company.id, start)
        )
        if not values:
            return 0
        months, keys, numbers, rows = zip(*values, strict=True)
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO member_analytics_figure (company_id, month, key, value, count, computed_at,
                                                     create_uid, create_date, write_uid, write_date)
                SELECT %(company)s, v.month, v.key, v.value, v.count, %(now)s, %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM unnest(%(months)s::date[], %(keys)s::varchar[], %(numbers)s::float8[], %(rows)s::int[])
                       AS v(month, key, value, count)
                """,
                company=company.id,
                now=now,
                uid=self.env.uid,
                months=list(months),
                keys=list(keys),
                numbers=list(numbers),
                rows=list(rows),
            )
        )
        return len(values)
