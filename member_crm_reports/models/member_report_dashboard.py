"""Member KPI dashboard: the six headline figures, this month vs last, with 12 months each.

Reads the report models through the ORM (``_read_group``, ``_search``; the lifetime
value: the ledger, ``member.ledger``, one scan), as the user: their access rights
and the models' company rules apply, and nothing is
written, so the method is ``@api.readonly`` (served from the read-only replica
when ``db_replica_host`` is set, as pivot and graph reads are). The formulas
are ``engine.kpi``'s; amounts are never added up across companies: every
figure is per company, in its currency.
"""

from collections import defaultdict
from functools import partial

from odoo import api, fields, models
from odoo.tools import SQL

from ..engine import kpi

HEADLINE = ("members", "new_members", "active_members", "average_spend", "return_rate", "lifetime_value")
SERIES_MONTHS = 12


class MemberReportDashboard(models.AbstractModel):
    _name = "member.report.dashboard"
    _description = "Member KPI Dashboard"

    @api.readonly
    @api.model
    def get_dashboard_data(self, company_ids=None):
        """The dashboard's figures for ``company_ids`` (by default the companies selected in the switcher).

        Companies outside the user's allowed companies raise an AccessError; companies
        without membership are left out. "This month" is each company's current month
        in its time zone, its figures "so far" (stocks at today); "last month" is the
        month before, at its last day.

        Returns::

            {
                "headline": ["members", "new_members", "active_members",
                             "average_spend", "return_rate", "lifetime_value"],
                "companies": [{
                    "company_id": int, "company_name": str, "currency_id": int,
                    "today": "YYYY-MM-DD",             # the company's today
                    "months": ["YYYY-MM-01", ...],     # 12 months, oldest first; the last is this month
                    "figures": {
                        <key>: {
                            "value": this month (float | int | None),
                            "previous": last month,
                            "change": (value - previous) / previous, or None,
                            "series": [12 values, oldest first, the last = value] or None,
                            "unit": "count" | "monetary" | "ratio" | "number",
                        },
                        ...
                    },
                }, ...],
            }

        Keys of ``figures``: the six headline ones, then
        ``member_growth`` (= members' change: (end - start) / start), ``active_growth``
        (the same on active members), ``frequency`` (net orders per active member),
        ``refund_share`` (refunded amount / gross amount of the month's orders),
        ``customer_value`` (mean order amount x frequency over the 12 months ending
        today / last month's end; no series).

        Definitions (``engine.kpi``): members = active memberships at the month's end
        (snapshot; this month: live at today, from the membership periods); new members by
        Member Since; active at day D = at least one net
        order in (D - 89, D]; average spend and frequency = net spend and net orders in
        that window per active member; return rate = returned orders / orders net of
        cancellations, by the orders' month; lifetime value = cumulative net spend
        (opening balances included) per member with a document up to the day.
        None: no figure (nothing to divide by).
        """
        # the figures are the report models' rows: no right to read them, no dashboard
        self.env["member.report.order"].check_access("read")
        self.env["member.report.members"].check_access("read")
        Company = self.env["res.company"]
        env = self.with_context(allowed_company_ids=company_ids).env if company_ids else self.env
        companies = env.companies.filtered("member_crm_enabled")
        by_today = defaultdict(lambda: Company)
        for company in companies:
            by_today[company._member_today()] |= company
        result = {"headline": list(HEADLINE), "companies": []}
        for today, group in sorted(by_today.items()):
            figures = self.with_env(env)._member_figures(group, today)
            result["companies"] += [figures[company.id] for company in group]
        result["companies"].sort(key=lambda block: block["company_id"])
        return result

    @api.model
    def _member_figures(self, companies, today):
        """{company id: dashboard block} for ``companies``, whose today is ``today``."""
        periods = kpi.month_periods(today, SERIES_MONTHS + 1)  # one more: the first month's start
        months = [first for first, _end in periods]
        Orders = self.env["member.report.order"]
        Members = self.env["member.report.members"]
        company_domain = [("company_id", "in", companies.ids)]

        # members and new members: the snapshot, one query
        stock, joined = defaultdict(int), defaultdict(int)
        for company, month, members, new in Members._read_group(
            [*company_domain, ("month", ">=", months[0]), ("month", "<=", months[-1])],
            groupby=["company_id", "month:day"],
            aggregates=["member_count:sum", "new_count:sum"],
        ):
            stock[company.id, kpi.month_start(month)] += members
            joined[company.id, kpi.month_start(month)] += new
        # this month: live as of today (the snapshot is the last nightly run's, none yet on the month's first day)
        for company_id, (members, new) in self._member_live_members(companies, today).items():
            stock[company_id, months[-1]], joined[company_id, months[-1]] = members, new

        # return rate by the orders' month (openings are no orders), one query
        returns = defaultdict(lambda: (0, 0, 0.0, 0.0))
        for company, month, orders, returned, amount, refunded in Orders._read_group(
            [*company_domain, ("is_opening", "=", False), ("date", ">=", months[1]), ("date", "<=", today)],
            groupby=["company_id", "date:month"],
            aggregates=["order_count:sum", "returned:sum", "amount:sum", "refund_amount:sum"],
        ):
            returns[company.id, kpi.month_start(month)] = (orders, returned, amount, refunded)

        # at each month's end: active members (a net order in the activity window), their net spend and orders;
        # customer value: over the 12 months ending today and ending last month. One scan of the analysis.
        windows = self._member_windows(
            companies,
            [("active", first, *kpi.active_window(end)) for first, end in periods]
            + [("yearly", first, *kpi.months_window(end)) for first, end in periods[-2:]],
        )
        active = {(cid, first): values for (cid, kind, first), values in windows.items() if kind == "active"}
        yearly = {(cid, first): values for (cid, kind, first), values in windows.items() if kind == "yearly"}

        # lifetime value at each month's end: cumulative net spend (openings included) per member so far
        spent, firsts = self._member_cumulative(companies, today)
        lifetime = {
            (company.id, first): (
                sum(count for (cid, month), count in firsts.items() if cid == company.id and month <= first),
                sum(spend for (cid, month), spend in spent.items() if cid == company.id and month <= first),
            )
            for company in companies
            for first in months[1:]
        }

        value_now, value_before = {}, {}
        for company in companies:
            for first, values in ((months[-1], value_now), (months[-2], value_before)):
                members, spend, orders = yearly.get((company.id, first), (0, 0.0, 0))
                values[company.id] = kpi.customer_value(kpi.safe_div(spend, orders), kpi.per_member(orders, members))

        blocks = {}
        for company in companies:
            cid = company.id
            series = defaultdict(list)
            for index, first in enumerate(months[1:], start=1):
                members = stock.get((cid, first), 0)
                start_members = stock.get((cid, months[index - 1]), 0)
                active_members, spend, net_orders = active.get((cid, first), (0, 0.0, 0))
                before_active = active.get((cid, months[index - 1]), (0, 0.0, 0))[0]
                orders, returned, amount, refunded = returns[cid, first]
                buyers, cumulative = lifetime.get((cid, first), (0, 0.0))
                series["members"].append(members)
                series["new_members"].append(joined.get((cid, first), 0))
                series["active_members"].append(active_members)
                series["average_spend"].append(kpi.per_member(spend, active_members))
                series["return_rate"].append(kpi.rate(returned, orders))
                series["lifetime_value"].append(kpi.per_member(cumulative, buyers))
                series["member_growth"].append(kpi.growth(start_members, members))
                series["active_growth"].append(kpi.growth(before_active, active_members))
                series["frequency"].append(kpi.per_member(net_orders, active_members))
                series["refund_share"].append(kpi.rate(refunded, amount))
            units = {
                "members": "count",
                "new_members": "count",
                "active_members": "count",
                "average_spend": "monetary",
                "return_rate": "ratio",
                "lifetime_value": "monetary",
                "member_growth": "ratio",
                "active_growth": "ratio",
                "frequency": "number",
                "refund_share": "ratio",
            }
            figures = {
                key: {
                    "value": values[-1],
                    "previous": values[-2],
                    "change": kpi.growth(values[-2], values[-1]),
                    "series": values,
                    "unit": units[key],
                }
                for key, values in series.items()
            }
            now, before = value_now.get(cid), value_before.get(cid)
            figures["customer_value"] = {
                "value": now,
                "previous": before,
                "change": kpi.growth(before, now),
                "series": None,
                "unit": "monetary",
            }
            blocks[cid] = {
                "company_id": cid,
                "company_name": company.name,
                "currency_id": company.currency_id.id,
                "today": fields.Date.to_string(today),
                "months": [fields.Date.to_string(first) for first in months[1:]],
                "figures": figures,
            }
        return blocks

    @api.model
    def _member_live_members(self, companies, today):
        """{company id: (members, new members)} of the month of ``today``, as of ``today``, read live.

        Members: the active membership periods at ``today`` (``member.membership.interval``); new members:
        the memberships whose Member Since falls in the month (imported without a date: not new). The
        snapshot's definitions, read through the ORM as the user (access rights and record rules apply).
        """
        first = today.replace(day=1)
        company_domain = [("company_id", "in", companies.ids)]
        members = dict(
            self.env["member.membership.interval"]._read_group(
                [
                    *company_domain,
                    ("state", "=", "active"),
                    ("date_from", "<=", today),
                    "|",
                    ("date_to", "=", False),
                    ("date_to", ">", today),
                ],
                ["company_id"],
                ["__count"],
            )
        )
        new = dict(
            self.env["member.membership"]._read_group(
                [
                    *company_domain,
                    ("member_since", ">=", first),
                    ("member_since", "<=", kpi.month_end(first)),
                    ("member_since_unknown", "=", False),
                ],
                ["company_id"],
                ["__count"],
            )
        )
        return {company.id: (members.get(company, 0), new.get(company, 0)) for company in companies}

    @api.model
    def _member_window_figures(self, companies, periods, window):
        """{(company id, month): (members, net spend, net orders)} of the net orders in each period's window.

        ``periods``: [(month's first day, end day)]; ``window(end day)``: (first day, last day), both
        included. See ``_member_windows``.
        """
        windows = self._member_windows(companies, [("window", first, *window(end)) for first, end in periods])
        return {(cid, first): values for (cid, _kind, first), values in windows.items()}

    @api.model
    def _member_windows(self, companies, windows):
        """{(company id, kind, month): (members, net spend, net orders)} of the net orders in each window.

        ``windows``: [(kind, month's first day, first day, last day)], both days included. One query
        over the order analysis, rule-aware (``_search`` applies the access rights and the company
        rule), each order joined to the windows it falls in: a count of distinct members per window
        cannot be added up from months.
        """
        Orders = self.env["member.report.order"]
        query = Orders._search(
            [
                ("company_id", "in", companies.ids),
                ("is_opening", "=", False),
                ("net_order_count", ">", 0),
                ("date", ">=", min(start for _kind, _first, start, _stop in windows)),
                ("date", "<=", max(stop for _kind, _first, _start, stop in windows)),
            ]
        )
        query.order = None
        values = SQL(", ").join(SQL("(%s, %s::date, %s::date, %s::date)", *row) for row in windows)
        column = partial(Orders._field_to_sql, query.table, query=query)
        query.add_join(
            "JOIN",
            "member_window",
            SQL("(SELECT * FROM (VALUES %s) AS v(kind, month, first_day, last_day))", values),
            SQL(
                "%s BETWEEN %s AND %s",
                column("date"),
                SQL.identifier("member_window", "first_day"),
                SQL.identifier("member_window", "last_day"),
            ),
        )
        kind, month = SQL.identifier("member_window", "kind"), SQL.identifier("member_window", "month")
        query.groupby = SQL("%s, %s, %s", column("company_id"), kind, month)
        rows = self.env.execute_query(
            query.select(
                column("company_id"),
                kind,
                month,
                SQL("COUNT(DISTINCT %s)", column("membership_id")),
                SQL("SUM(%s)", column("net_amount")),
                SQL("SUM(%s)", column("net_order_count")),
            )
        )
        return {
            (company_id, kind, first): (members, float(spend or 0.0), int(orders or 0))
            for company_id, kind, first, members, spend, orders in rows
        }

    @api.model
    def _member_cumulative(self, companies, today):
        """({(company id, month): net spend}, {(company id, month): members whose first document is then}).

        All documents up to ``today``, opening balances included: added up month after month, they give
        the cumulative spend and the members with a document so far at each month's end. The order
        analysis' figures (``member.report.order``: net amounts, rows), read in one scan of the ledger
        instead of the analysis' documents: a document's net amount is the sum of its entries (order
        revisions, their cancellations, its refunds and theirs), so the spend needs no document. Each
        entry counts at its document's date, which the analysis takes from the last revision (a sale
        order confirmed again is dated anew), when the customer was an active member then (openings:
        always); a member has a document from the first last revision or opening on. Rule-aware:
        ``_search`` applies the ledger's access rights and company rule.
        """
        documents = self._member_ledger_entries(companies, today, ["order", "refund", "cancel"])
        openings = self._member_ledger_entries(companies, today, ["opening"])
        entries = SQL("%s UNION ALL %s", documents, openings)
        rows = self.env.execute_query(
            SQL(
                """SELECT g.company_id, COALESCE(g.month, date_trunc('month', g.first_day)::date),
                          SUM(g.spend) FILTER (WHERE g.membership_id IS NULL),
                          COUNT(g.first_day) FILTER (WHERE g.membership_id IS NOT NULL)
                     FROM (
                          SELECT e.company_id, e.membership_id, date_trunc('month', e.day)::date AS month,
                                 SUM(e.amount) AS spend, MIN(e.day) FILTER (WHERE e.buyer) AS first_day
                            FROM (%s) AS e(company_id, membership_id, day, amount, buyer)
                        GROUP BY GROUPING SETS ((e.company_id, date_trunc('month', e.day)::date),
                                                (e.company_id, e.membership_id))
                          ) g
                 GROUP BY 1, 2""",
                entries,
            )
        )
        spent = {(cid, month): float(spend) for cid, month, spend, _count in rows if spend is not None}
        firsts = {(cid, month): count for cid, month, _spend, count in rows if count}
        return spent, firsts

    @api.model
    def _member_ledger_entries(self, companies, today, kinds):
        """SQL: (company id, membership id, day, amount, buyer) of the ledger entries of ``kinds`` up to ``today``.

        Rule-aware (``_search`` applies the ledger's access rights and company rule). Order documents
        (``kinds`` without "opening"): each entry at its document's date, the last revision's (few documents
        have more than one), when the customer was an active member then; buyer: the last order revision.
        Opening balances: always, each a buyer.
        """
        Ledger = self.env["member.ledger"]
        query = Ledger._search([("company_id", "in", companies.ids), ("kind", "in", kinds)])
        query.order = None
        column = partial(Ledger._field_to_sql, query.table, query=query)
        query.add_join(
            "JOIN",
            "member_buyer",
            "member_membership",
            SQL(
                "%s = %s AND %s = %s",
                SQL.identifier("member_buyer", "partner_id"),
                column("partner_id"),
                SQL.identifier("member_buyer", "company_id"),
                column("company_id"),
            ),
        )
        if "opening" in kinds:
            query.add_where(SQL("%s <= %s", column("date"), today))
            return query.select(
                column("company_id"),
                SQL.identifier("member_buyer", "id"),
                column("date"),
                column("amount"),
                SQL("TRUE"),
            )
        # documents with more than one revision: each of their entries re-dated as the last revision
        redated = SQL(
            """(WITH last AS (
                     SELECT DISTINCT ON (source_model, source_id) source_model, source_id, revision, date
                       FROM member_ledger
                      WHERE kind = 'order' AND revision > 0 AND company_id = ANY(%(companies)s)
                   ORDER BY source_model, source_id, revision DESC
                 ), revs AS (
                     SELECT o.id, last.date, o.revision = last.revision AS is_last
                       FROM last
                       JOIN member_ledger o ON o.source_model = last.source_model AND o.source_id = last.source_id
                                           AND o.kind = 'order'
                 ), reversals AS (  -- refunds and cancellations of each revision
                     SELECT r.id, revs.date FROM revs JOIN member_ledger r ON r.refund_of_id = revs.id
                 )
                 SELECT id, date, is_last FROM revs
                  UNION ALL
                 SELECT id, date, FALSE FROM reversals
                  UNION ALL  -- cancellations of the refunds
                 SELECT rx.id, reversals.date, FALSE
                   FROM reversals JOIN member_ledger rx ON rx.refund_of_id = reversals.id)""",
            companies=companies.ids,
        )
        query.add_join("LEFT JOIN", "member_redated", redated, SQL("member_redated.id = %s", column("id")))
        day = SQL("COALESCE(member_redated.date, %s)", column("date"))
        query.add_where(SQL("%s <= %s", day, today))
        # a plain conjunct, so that the planner can make it a semi-join
        query.add_where(
            SQL(
                """EXISTS (
                       SELECT 1 FROM member_membership_interval i
                        WHERE i.membership_id = member_buyer.id AND i.state = 'active' AND i.date_from <= %(day)s
                          AND (i.date_to IS NULL OR i.date_to > %(day)s)
                   )""",
                day=day,
            )
        )
        return query.select(
            column("company_id"),
            SQL.identifier("member_buyer", "id"),
            day,
            column("amount"),
            # a document's row: its last order revision, cancelled or not
            SQL("%s = 'order' AND COALESCE(member_redated.is_last, TRUE)", column("kind")),
        )
