"""The member's interaction timeline: its rows from real documents, access per role and company, logins,
social events through the API and the CSV import, activity and the campaign audience built on it."""

import datetime as dt
import json
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Domain
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import SQL

from odoo.addons.member_crm.tests.common import MemberTierMixin
from odoo.addons.member_crm_marketing.models.member_timeline import ALL_ROWS, FIRST_ROWS, ROWS_FUNCTION
from odoo.addons.point_of_sale.tests.common import TestPoSCommon


def ago(days, hour=12):
    """A datetime ``days`` (>= 1) days before today at ``hour`` (UTC, as stored)."""
    return (fields.Datetime.now() - dt.timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)


class TimelineUsersMixin:
    @classmethod
    def _timeline_users(cls, prefix, company, groups_by_role):
        return {
            role: new_test_user(
                cls.env,
                login=f"{prefix}_{role}",
                groups=groups,
                company_id=company.id,
                company_ids=[(6, 0, company.ids)],
            )
            for role, groups in groups_by_role.items()
        }


@tagged("post_install", "-at_install")
class TestMemberTimeline(TestPoSCommon, MemberTierMixin, TimelineUsersMixin):
    """Ann's POS order, two sale orders (hers and another salesperson's), a campaign message opened and clicked,
    a campaign coupon used on a sale order, a social event, a portal login; the same kinds per role."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.config = cls.basic_config
        cls.env.user.group_ids |= cls.env.ref("member_crm.group_member_crm_manager") | cls.env.ref(
            "sales_team.group_sale_manager"
        )
        cls._member_enable(cls.company)
        cls.company_b = cls.env["res.company"].create({"name": "TL Company B"})
        cls.env.user.company_ids |= cls.company_b
        cls._member_enable(cls.company_b)
        cls.ann = cls._member_partner("TL Ann", cls.company)
        cls.ann.with_company(cls.company_b).action_member_enroll()
        cls.ann_contact = cls.env["res.partner"].create({"name": "TL Ann Shop", "parent_id": cls.ann.id})
        cls.bob = cls._member_partner("TL Bob", cls.company)
        cls.stranger = cls.env["res.partner"].create({"name": "TL Stranger"})
        cls.tea = cls.create_product("TL Tea", cls.categ_basic, 10.0)
        cls.users = cls._timeline_users(
            "tl",
            cls.company,
            {
                "cashier": "point_of_sale.group_pos_user,member_crm.group_member_crm_user",
                "salesperson": "sales_team.group_sale_salesman,member_crm.group_member_crm_user",
                "other_salesperson": "sales_team.group_sale_salesman",
                "marketing": "member_crm.group_member_crm_marketing",
                "service": "member_crm.group_member_crm_service",
                "manager": "member_crm.group_member_crm_manager",
                "member_user": "member_crm.group_member_crm_user",
            },
        )
        cls.portal = new_test_user(
            cls.env, login="tl_portal", groups="base.group_portal", partner_id=cls.ann_contact.id
        )

    def _pos(self, partner, date, quantity):
        data = self.create_ui_order_data([(self.tea, quantity)], customer=partner)
        order = self.env["pos.order"].browse(self.env["pos.order"].sync_from_ui([data])["pos.order"][0]["id"])
        order.date_order = date
        return order

    def _sale(self, partner, date, quantity, salesperson, confirm=True):
        order = self.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "user_id": salesperson.id,
                "order_line": [(0, 0, {"product_id": self.tea.id, "product_uom_qty": quantity})],
            }
        )
        if confirm:
            order.action_confirm()
            order.date_order = date
        return order

    def _coupon_order(self, date):
        """A sale order of Ann where a campaign coupon (member-bound card) gave 5 off: the reward line."""
        program = (
            self.env["loyalty.program"]
            .sudo()
            .create(
                {
                    "name": "TL Coupons",
                    "program_type": "coupons",
                    "company_id": self.company.id,
                    "reward_ids": [(0, 0, {"reward_type": "discount", "discount": 10, "discount_mode": "percent"})],
                }
            )
        )
        reward = program.reward_ids
        card = (
            self.env["loyalty.card"]
            .sudo()
            .create({"program_id": program.id, "partner_id": self.ann.id, "points": 1, "member_bound": True})
        )
        order = self.env["sale.order"].create(
            {
                "partner_id": self.ann.id,
                "user_id": self.users["salesperson"].id,
                "order_line": [
                    (0, 0, {"product_id": self.tea.id, "product_uom_qty": 5}),
                    (0, 0, {"product_id": reward.discount_line_product_id.id, "product_uom_qty": 1, "price_unit": -5}),
                ],
            }
        )
        order.action_confirm()
        order.order_line[1].write({"reward_id": reward.id, "coupon_id": card.id})
        order.date_order = date
        return order

    def _events(self):
        self.open_new_session()
        self._pos(self.ann_contact, ago(10), 2)
        self._pos(self.stranger, ago(10), 1)
        self._sale(self.ann_contact, ago(8), 3, self.users["salesperson"])
        self._sale(self.ann, ago(7), 4, self.users["other_salesperson"])
        self._sale(self.ann, ago(7), 9, self.users["salesperson"], confirm=False)
        campaign = self.env["member.campaign"].create({"name": "TL Spring", "company_id": self.company.id})
        # as the launch writes them: as the system
        recipient = (
            self.env["member.campaign.recipient"]
            .sudo()
            .create({"campaign_id": campaign.id, "partner_id": self.ann.id, "company_id": self.company.id})
        )
        self.env["mailing.trace"].sudo().create(
            {
                "model": "member.campaign.recipient",
                "res_id": recipient.id,
                "trace_type": "mail",
                "trace_status": "open",
                "sent_datetime": ago(6),
                "open_datetime": ago(5),
                "links_click_datetime": ago(4),
            }
        )
        self._coupon_order(ago(3))
        self.env["member.interaction"].with_user(self.users["marketing"]).member_record_social(
            [
                {
                    "member_number": self._number(self.ann, self.company),
                    "channel": "wechat",
                    "action": "share",
                    "date": fields.Datetime.to_string(ago(2)),
                    "external_id": "wx-1",
                    "note": "Shared the spring post",
                }
            ]
        )
        # company B: a social event the company-A staff never see
        self.env["member.interaction"].with_company(self.company_b).create(
            {"partner_id": self.ann.id, "channel": "weibo", "social_action": "like", "date": ago(1)}
        )
        self.env["res.users"].authenticate(  # the portal member signs in (the web login form)
            {"type": "password", "login": "tl_portal", "password": "tl_portal"}, {"interactive": True}
        )

    def _number(self, partner, company):
        return (
            self.env["member.membership"]
            .search([("partner_id", "=", partner.id), ("company_id", "=", company.id)])
            .number
        )

    def _kinds(self, user):
        rows = (
            self.env["member.timeline"]
            .with_user(user)
            .search_read([("partner_id", "=", self.ann.id)], ["kind"], order="date desc, kind")
        )
        return [row["kind"] for row in rows]

    def test_timeline_rows_roles_and_companies(self):
        self._events()
        rows = (
            self.env["member.timeline"]
            .with_user(self.users["manager"])
            .search_read(
                [("partner_id", "=", self.ann.id)], ["kind", "name", "amount", "res_model"], order="date desc, kind"
            )
        )
        self.assertEqual(
            [(row["kind"], row["name"], row["amount"], row["res_model"]) for row in rows],
            [
                ("login", False, 0.0, "member.interaction"),
                ("social", "Shared the spring post", 0.0, "member.interaction"),
                ("coupon_use", rows[2]["name"], -5.0, "sale.order"),
                ("sale_order", rows[2]["name"], 45.0, "sale.order"),
                ("mail_click", "TL Spring", 0.0, "member.campaign"),
                ("mail_open", "TL Spring", 0.0, "member.campaign"),
                ("mail_sent", "TL Spring", 0.0, "member.campaign"),
                ("sale_order", rows[7]["name"], 40.0, "sale.order"),
                ("sale_order", rows[8]["name"], 30.0, "sale.order"),
                ("pos_order", rows[9]["name"], 20.0, "pos.order"),
            ],
            "the contact's orders are on the member; the draft order, the stranger's and company B's events are not",
        )
        self.assertEqual(len({row["id"] for row in rows}), 10, "ids are unique across branches")
        # each role: the kinds it could open elsewhere
        self.assertEqual(self._kinds(self.users["cashier"]), ["pos_order"])
        self.assertEqual(self._kinds(self.users["salesperson"]), ["sale_order", "sale_order"], "not the other's")
        self.assertEqual(
            self._kinds(self.users["marketing"]), ["social", "coupon_use", "mail_click", "mail_open", "mail_sent"]
        )
        self.assertEqual(self._kinds(self.users["service"]), ["login"])
        self.assertEqual(self._kinds(self.users["member_user"]), [])
        # attacks: a salesperson reads no mail trace, in the timeline or on Odoo's trace model
        timeline = self.env["member.timeline"].with_user(self.users["salesperson"])
        self.assertFalse(timeline.search_count([("kind", "in", ["mail_sent", "mail_open", "mail_click"])]))
        with self.assertRaises(AccessError):
            self.env["mailing.trace"].with_user(self.users["salesperson"]).search_read([], ["id"])
        with self.assertRaises(AccessError):
            self.env["member.timeline"].with_user(self.users["other_salesperson"]).search_read([], ["kind"])
        # a manager working in both companies sees both logins and company B's like
        manager_b = self.users["manager"]
        manager_b.company_ids |= self.company_b
        both = (
            self.env["member.timeline"]
            .with_user(manager_b)
            .with_context(allowed_company_ids=[self.company.id, self.company_b.id])
        )
        self.assertEqual(
            sorted(
                both.search([("partner_id", "=", self.ann.id), ("kind", "in", ["login", "social"])]).mapped(
                    lambda r: (r.kind, r.company_id.name)
                )
            ),
            [
                ("login", "TL Company B"),
                ("login", self.company.name),
                ("social", "TL Company B"),
                ("social", self.company.name),
            ],
        )

    def _sql_text(self, sql):
        return self.env.cr.mogrify(sql.code, sql.params).decode().replace('"', "")

    def test_member_page_function(self):
        """A search that fixes one member reads the PL/pgSQL function of the member's rows (planned once per
        connection) and finds exactly what the view finds, for every role, page and filter; any other search
        reads the view, and so does every search when the function of the installed branches is missing."""
        self._events()
        Timeline = self.env["member.timeline"]
        member = [("partner_id", "=", self.ann.id)]
        # the same member, in a shape the fast path does not take (two ids, the other one no contact): the view
        nobody = self.env.execute_query(SQL("SELECT MAX(id) + 1000 FROM res_partner"))[0][0]
        same_on_view = [("partner_id", "in", [self.ann.id, nobody])]
        self.assertIn(ROWS_FUNCTION, Timeline._search(member).from_clause.code)
        self.assertIn(ROWS_FUNCTION, Timeline._search([*member, ("kind", "!=", "login")]).from_clause.code)
        self.assertNotIn(ROWS_FUNCTION, Timeline._search(same_on_view).from_clause.code)
        self.assertNotIn(ROWS_FUNCTION, Timeline._search(["|", *member, ("kind", "=", "login")]).from_clause.code)
        fields_ = ["kind", "date", "name", "amount", "res_model", "res_id", "company_id"]

        def pages(timeline, extra=()):
            return [
                timeline.search_read(domain + list(extra), fields_, offset=offset, limit=limit)
                for domain in (member, same_on_view)
                for offset, limit in ((0, None), (0, 3), (3, 4))
            ]

        for role, user in self.users.items():
            timeline = Timeline.with_user(user)
            if not timeline.has_access("read"):
                continue
            for extra in ((), [("kind", "in", ["sale_order", "social"])], [("date", "<", ago(5))]):
                found = pages(timeline, extra)
                self.assertEqual(found[:3], found[3:], f"{role} {extra}")
        self.assertEqual(len(Timeline.with_user(self.users["manager"]).search(member)), 10)
        # what the function takes: a manager's page (company rule only) is cut per branch at offset + limit, in
        # the company; a salesperson's rule (their own orders) stays outside, the function returns every row
        manager = Timeline.with_user(self.users["manager"])

        def called(timeline, *args, **kwargs):
            return self._sql_text(timeline._search(*args, **kwargs).from_clause)

        def expected(suffix, *arguments):
            function = SQL.identifier(Timeline._member_rows_function() + suffix)
            return self._sql_text(SQL("%s(%s) AS member_timeline", function, SQL(", ").join(arguments)))

        ann, company = SQL("%s", self.ann.id), SQL("%s::int[]", [self.company.id])
        self.assertEqual(
            called(manager, member, offset=3, limit=4, order=Timeline._order),
            expected(FIRST_ROWS, ann, company, SQL("NULL"), SQL("%s", 7)),
        )
        kinds = manager._search([*member, ("kind", "in", ["social", "login"])], limit=4, order=Timeline._order)
        self.assertIn("::varchar[]", kinds.from_clause.code)
        # a salesperson's rule (their own orders) and a search on the date stay outside: every row of the member
        salesperson = Timeline.with_user(self.users["salesperson"])
        for timeline, domain in ((salesperson, member), (manager, [*member, ("date", ">", ago(30))])):
            self.assertEqual(
                called(timeline, domain, limit=4, order=Timeline._order),
                expected(ALL_ROWS, ann, SQL("NULL"), SQL("NULL")),
            )
        # another order, or a deep page: every row of the member in the company, cut outside
        for kwargs in ({"limit": 4, "order": "date asc"}, {"offset": 400, "limit": 80, "order": Timeline._order}):
            self.assertEqual(called(manager, member, **kwargs), expected(ALL_ROWS, ann, company, SQL("NULL")))
        # a pending ORM write of a source (not flushed yet) is seen by the page, as by the view
        order = self.env["sale.order"].search([("partner_id", "=", self.ann.id), ("state", "=", "sale")], limit=1)
        order.date_order = ago(400)
        rows = Timeline.search_read([*member, ("kind", "=", "sale_order"), ("date", "<", ago(399))], ["res_id"])
        self.assertEqual([row["res_id"] for row in rows], [order.id])
        # without the function of the installed branches (a bridge uninstalled since init): the view
        name = Timeline._member_rows_function()
        self.env.execute_query(SQL("DROP FUNCTION %s", SQL.identifier(name + FIRST_ROWS)))
        self.env.registry.clear_cache("stable")
        self.assertIsNone(Timeline._member_rows_function())
        self.assertNotIn(ROWS_FUNCTION, Timeline._search(member).from_clause.code)
        self.assertEqual(len(Timeline.with_user(self.users["manager"]).search(member)), 10)
        Timeline.init()
        self.assertEqual(Timeline._member_rows_function(), name)

    def test_complaints_and_ratings(self):
        complaint = (
            self.env["member.complaint"]
            .sudo()
            .create({"name": "TL Broken cup", "partner_id": self.ann_contact.id, "company_id": self.company.id})
        )
        self.env["rating.rating"].sudo().create(
            {
                "res_model_id": self.env["ir.model"]._get_id("member.complaint"),
                "res_id": complaint.id,
                "partner_id": self.ann.id,
                "rating": 1,
                "consumed": True,
            }
        )
        self.env["res.users"].authenticate(  # the portal member signs in (the web login form)
            {"type": "password", "login": "tl_portal", "password": "tl_portal"}, {"interactive": True}
        )
        rows = (
            self.env["member.timeline"]
            .with_user(self.users["service"])
            .search_read([("partner_id", "=", self.ann.id)], ["kind", "name", "rating", "res_model", "res_id"])
        )
        self.assertEqual(
            sorted((r["kind"], r["name"] or "", r["rating"], r["res_model"]) for r in rows),
            [
                ("complaint", "TL Broken cup", 0, "member.complaint"),
                ("login", "", 0, "member.interaction"),
                ("rating", "TL Broken cup", 1, "member.complaint"),
            ],
        )
        self.assertEqual({r["res_id"] for r in rows if r["kind"] != "login"}, {complaint.id})
        self.assertEqual(self._kinds(self.users["cashier"]), [], "a cashier sees no complaint, rating or login")
        self.assertEqual(self._kinds(self.users["marketing"]), [])

    def test_activity_and_campaign_audience(self):
        self._events()
        # Bob bought 120 days ago only: inactive
        self._pos(self.bob, ago(120), 1)
        partners = self.env["res.partner"].with_user(self.users["marketing"]).with_company(self.company)
        ann, bob = partners.browse(self.ann.id), partners.browse(self.bob.id)
        self.assertEqual(
            (ann.member_activity_logins, ann.member_activity_purchases, ann.member_activity_participations),
            (1, 4, 4),
            "1 login; the POS order and 3 sale orders; opened, clicked, the coupon, the share (a message sent is not "
            "taking part; B's like is another company's)",
        )
        self.assertEqual((ann.member_active_90d, bob.member_active_90d), (True, False))
        self.assertEqual(
            partners.search([("id", "in", [self.ann.id, self.bob.id]), ("member_active_90d", "=", True)]), ann
        )
        self.assertEqual(
            partners.search([("id", "in", [self.ann.id, self.bob.id]), ("member_active_90d", "=", False)]), bob
        )
        campaign = (
            self.env["member.campaign"]
            .with_user(self.users["marketing"])
            .create({"name": "TL Win-back", "company_id": self.company.id, "activity_filter": "inactive"})
        )
        # the campaign's criteria (consent and the other filters are the launch's, tested with campaigns)
        pair = [("id", "in", [self.ann.id, self.bob.id])]
        self.assertEqual(partners.search(campaign._member_extra_domain() & Domain(pair)), bob)
        campaign.activity_filter = "active"
        self.assertEqual(partners.search(campaign._member_extra_domain() & Domain(pair)), ann)
        conditions = campaign._member_audience(capped=False).iter_conditions()
        self.assertIn(("member_active_90d", "=", True), [(c.field_expr, c.operator, c.value) for c in conditions])


@tagged("post_install", "-at_install")
class TestMemberInteraction(MemberTierMixin, TimelineUsersMixin, HttpCase):
    """Logins, social events through JSON-2 with an API key, the CSV import, API key durations."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.env.user.group_ids |= cls.env.ref("member_crm.group_member_crm_manager")
        cls._member_enable(cls.company)
        cls.ann = cls._member_partner("TLI Ann", cls.company)
        cls.bob = cls._member_partner("TLI Bob", cls.company)
        cls.stranger = cls.env["res.partner"].create({"name": "TLI Stranger"})
        cls.users = cls._timeline_users(
            "tli",
            cls.company,
            {
                "marketing": "member_crm.group_member_crm_marketing",
                "salesperson": "sales_team.group_sale_salesman,member_crm.group_member_crm_user",
                "manager": "member_crm.group_member_crm_manager",
            },
        )
        cls.ann_portal = new_test_user(
            cls.env,
            login="tli_ann_portal",
            password="tli_ann_portal_pw",
            groups="base.group_portal",
            partner_id=cls.ann.id,
        )
        cls.stranger_portal = new_test_user(
            cls.env, login="tli_stranger", groups="base.group_portal", partner_id=cls.stranger.id
        )
        cls.Interaction = cls.env["member.interaction"]
        memberships = cls.env["member.membership"].search([("partner_id", "in", (cls.ann | cls.bob).ids)])
        cls.number = {m.partner_id: m.number for m in memberships}

    def _social(self, user, events):
        return self.Interaction.with_user(user).member_record_social(events)

    def _rows(self, partner):
        return self.Interaction.search([("partner_id", "=", partner.id)], order="id").mapped(
            lambda i: (i.kind, i.channel, i.social_action, i.external_id)
        )

    def _sign_in(self, login, password=None, interactive=True):
        """A credential check through ``res.users.authenticate``, as the web login form (interactive) or RPC
        ``common.authenticate`` (not interactive) make it."""
        credential = {"type": "password", "login": login, "password": password or login}
        return self.env["res.users"].authenticate(credential, {"interactive": interactive})

    def test_login_rows(self):
        self._sign_in("tli_ann_portal", "tli_ann_portal_pw")
        self._sign_in("tli_stranger")
        self.assertEqual(self._rows(self.ann), [("login", False, False, False)])
        self.assertEqual(self.Interaction.search_count([("partner_id", "=", self.stranger.id)]), 0)
        # a failing timeline never blocks the login: Odoo's last-login row is still written
        logs = self.env["res.users.log"].search_count([("create_uid", "=", self.ann_portal.id)])
        with (
            patch.object(type(self.Interaction), "_member_insert_login", side_effect=RuntimeError("boom")),
            self.assertLogs("odoo.addons.member_crm_marketing.models.res_users", "ERROR"),
        ):
            self.assertEqual(self._sign_in("tli_ann_portal", "tli_ann_portal_pw")["uid"], self.ann_portal.id)
        self.assertEqual(self.env["res.users.log"].search_count([("create_uid", "=", self.ann_portal.id)]), logs + 1)
        self.assertEqual(len(self._rows(self.ann)), 1)
        # a credential login over HTTP is recorded; a wrong password is not a login
        for password, logged_in in (("wrong-password", False), ("tli_ann_portal_pw", True)):
            response = self.url_open(
                "/web/session/authenticate",
                json={
                    "jsonrpc": "2.0",
                    "params": {"db": self.env.cr.dbname, "login": "tli_ann_portal", "password": password},
                },
            )
            self.assertEqual(bool(response.json().get("result")), logged_in, response.text)
        self.assertEqual(self._rows(self.ann), [("login", False, False, False)] * 2)
        # nobody writes logins by hand
        with self.assertRaises(AccessError):
            self.Interaction.with_user(self.users["manager"]).create({"kind": "login", "partner_id": self.ann.id})

    def test_only_interactive_portal_logins(self):
        """RPC authentication (password or API key, README: not a login) and internal users' logins are not
        recorded; only a portal user signing in."""
        self._sign_in("tli_ann_portal", "tli_ann_portal_pw", interactive=False)
        self.assertEqual(self._rows(self.ann), [], "common.authenticate over RPC is not a login")
        # an internal user whose contact is a member (an employee who shops): not a member's portal login
        new_test_user(self.env, login="tli_bob_employee", groups="base.group_user", partner_id=self.bob.id)
        self._sign_in("tli_bob_employee")
        self.assertEqual(self._rows(self.bob), [])
        self._sign_in("tli_ann_portal", "tli_ann_portal_pw")
        self.assertEqual(self._rows(self.ann), [("login", False, False, False)])

    def test_social_api_other_company_is_refused_first(self):
        """A campaign officer cannot probe which external IDs another company recorded: refused, not skipped."""
        company_b = self.env["res.company"].create({"name": "TLI Company B"})
        self._member_enable(company_b)
        carl = self._member_partner("TLI Carl", company_b)
        self.Interaction.with_company(company_b).create(
            {
                "company_id": company_b.id,
                "partner_id": carl.id,
                "channel": "wechat",
                "social_action": "like",
                "external_id": "b-secret",
            }
        )
        event = {"partner_id": carl.id, "company_id": company_b.id, "channel": "wechat", "action": "like"}
        for external_id in ("b-secret", "b-unknown"):
            with self.subTest(external_id=external_id), self.assertRaisesRegex(ValidationError, "not one of your"):
                self._social(self.users["marketing"], [{**event, "external_id": external_id}])
        self.assertEqual(self.Interaction.search_count([("partner_id", "=", carl.id)]), 1)

    def test_social_api_batch(self):
        marketing = self.users["marketing"]
        result = self._social(
            marketing,
            [
                {"member_number": self.number[self.ann], "channel": "weibo", "action": "like", "external_id": "w1"},
                {
                    "partner_id": self.bob.id,
                    "channel": "douyin",
                    "action": "follow",
                    "date": "2025-03-01T08:00:00+08:00",
                },
                {"member_number": self.number[self.ann], "channel": "weibo", "action": "like", "external_id": "w1"},
            ],
        )
        self.assertEqual((len(result["created"]), result["skipped"]), (2, ["w1"]))
        self.assertEqual(self._rows(self.ann), [("social", "weibo", "like", "w1")])
        bob_event = self.Interaction.search([("partner_id", "=", self.bob.id)])
        self.assertEqual(bob_event.date, dt.datetime(2025, 3, 1, 0, 0), "stored in UTC")
        # the same call again: nothing new
        again = self._social(
            marketing,
            [{"member_number": self.number[self.ann], "channel": "weibo", "action": "like", "external_id": "w1"}],
        )
        self.assertEqual(again, {"created": [], "skipped": ["w1"]})
        # one bad event: nothing recorded, every error named
        with self.assertRaises(ValidationError) as error:
            self._social(
                marketing,
                [
                    {"member_number": self.number[self.bob], "channel": "wechat", "action": "share"},
                    {"member_number": "NOPE", "channel": "wechat", "action": "share"},
                    {"partner_id": self.stranger.id, "channel": "fax", "action": "poke"},
                    {"partner_id": self.stranger.id, "channel": "wechat", "action": "share"},
                ],
            )
        message = str(error.exception)
        self.assertIn("Event 3: channel must be one of wechat, weibo, douyin, xiaohongshu, other.", message)
        self.assertIn("Event 3: action must be one of like, comment, share, follow.", message)
        self.assertEqual(self.Interaction.search_count([("partner_id", "=", self.bob.id)]), 1)
        with self.assertRaises(ValidationError) as error:
            self._social(
                marketing,
                [
                    {"member_number": "NOPE", "channel": "wechat", "action": "share"},
                    {"partner_id": self.stranger.id, "channel": "wechat", "action": "share"},
                ],
            )
        self.assertEqual(
            str(error.exception),
            "Row 1: no member with this member number or contact.\n"
            "Row 2: the contact is not an active member of the company.",
        )
        # attacks: a salesperson may not record, the marketer may not rewrite an event's member
        with self.assertRaises(AccessError):
            self._social(
                self.users["salesperson"], [{"partner_id": self.ann.id, "channel": "wechat", "action": "like"}]
            )
        with self.assertRaises(UserError):
            bob_event.with_user(marketing).write({"partner_id": self.ann.id})
        bob_event.with_user(marketing).write({"note": "Followed after the live stream"})
        self.assertEqual(bob_event.note, "Followed after the live stream")

    def test_csv_import(self):
        def run(rows):
            content = "member_number,channel,social_action,date,external_id\n" + "\n".join(rows)
            wizard = (
                self.env["base_import.import"]
                .with_user(self.users["marketing"])
                .create(
                    {
                        "res_model": "member.interaction",
                        "file": content.encode(),
                        "file_type": "text/csv",
                        "file_name": "social.csv",
                    }
                )
            )
            return wizard.execute_import(
                ["member_number", "channel", "social_action", "date", "external_id"],
                ["member_number", "channel", "social_action", "date", "external_id"],
                {
                    "quoting": '"',
                    "separator": ",",
                    "has_headers": True,
                    "date_format": "%Y-%m-%d",
                    "datetime_format": "%Y-%m-%d %H:%M:%S",
                },
            )

        bad = run(
            [
                f"{self.number[self.ann]},wechat,comment,2025-04-01 10:00:00,c-1",
                "NOPE,wechat,comment,2025-04-01 10:00:00,c-2",
            ]
        )
        self.assertFalse(bad["ids"])
        self.assertIn("Row 2: no member with this member number or contact.", [m["message"] for m in bad["messages"]])
        self.assertEqual(self.Interaction.search_count([("kind", "=", "social")]), 0, "nothing imported")
        good = run(
            [
                f"{self.number[self.ann]},wechat,comment,2025-04-01 10:00:00,c-1",
                f"{self.number[self.bob]},xiaohongshu,share,2025-04-02 11:00:00,x-1",
            ]
        )
        self.assertEqual(len(good["ids"]), 2, good["messages"])
        self.assertEqual(self._rows(self.ann), [("social", "wechat", "comment", "c-1")])
        self.assertEqual(self._rows(self.bob), [("social", "xiaohongshu", "share", "x-1")])

    def test_api_key_duration(self):
        Keys = self.env["res.users.apikeys"].with_user(self.users["marketing"])
        now = dt.datetime.now()
        self.assertEqual(self.env.ref("member_crm.group_member_crm_user").api_key_duration, 90.0)
        with self.assertRaises(ValidationError):
            Keys._generate(None, "too long", now + dt.timedelta(days=91))
        with self.assertRaises(ValidationError):
            Keys._generate(None, "persistent", None)
        self.assertTrue(Keys._generate(None, "ok", now + dt.timedelta(days=89)))
        # another group allowing a year does not lengthen a member user's key
        self.env.ref("base.group_user").api_key_duration = 365.0
        with self.assertRaises(ValidationError):
            Keys._generate(None, "still too long", now + dt.timedelta(days=120))

    def test_json2_social_event(self):
        key = (
            self.env["res.users.apikeys"]
            .with_user(self.users["marketing"])
            ._generate(None, "social feed", dt.datetime.now() + dt.timedelta(days=30))
        )
        payload = {
            "events": [
                {
                    "member_number": self.number[self.ann],
                    "channel": "wechat",
                    "action": "comment",
                    "date": "2025-05-04 09:30:00",
                    "external_id": "wx-778",
                    "url": "https://mp.weixin.qq.com/s/example",
                }
            ]
        }
        response = self.url_open(
            "/json/2/member.interaction/member_record_social",
            data=json.dumps(payload),
            headers={"Authorization": f"bearer {key}", "Content-Type": "application/json"},
        )
        self.assertEqual(response.status_code, 200, response.text)
        created = response.json()["created"]
        self.assertEqual(len(created), 1)
        timeline = (
            self.env["member.timeline"].with_user(self.users["manager"]).search([("partner_id", "=", self.ann.id)])
        )
        self.assertEqual(
            [(t.kind, t.channel, t.social_action, t.date, t.res_id) for t in timeline],
            [("social", "wechat", "comment", dt.datetime(2025, 5, 4, 9, 30), created[0])],
        )
        # the same call with the key of a user without the right: refused, nothing recorded
        other_key = (
            self.env["res.users.apikeys"]
            .with_user(self.users["salesperson"])
            ._generate(None, "not mine", dt.datetime.now() + dt.timedelta(days=30))
        )
        payload["events"][0]["external_id"] = "wx-779"
        refused = self.url_open(
            "/json/2/member.interaction/member_record_social",
            data=json.dumps(payload),
            headers={"Authorization": f"bearer {other_key}", "Content-Type": "application/json"},
        )
        self.assertEqual(refused.status_code, 403)
        self.assertEqual(self.Interaction.search_count([("external_id", "=", "wx-779")]), 0)
        # no key: unauthorized
        anonymous = self.url_open(
            "/json/2/member.interaction/member_record_social",
            data=json.dumps(payload),
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(anonymous.status_code, 401)
