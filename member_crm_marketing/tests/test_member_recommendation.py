import datetime as dt

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from odoo.addons.member_crm.tests.common import MemberTierMixin
from odoo.addons.point_of_sale.tests.common import TestPoSCommon


@tagged("post_install", "-at_install")
class TestMemberRecommendation(TestPoSCommon, MemberTierMixin):
    """The nightly refresh on real paid POS orders and a confirmed sale order.

    The baskets of the root test tests/test_recommend.py (there with hand-computed scores), plus what
    must not count: a tip line and a reward line, a non-member's baskets, a basket older than 12 months.
    Products 1, 2, 5, 6 are in one category, 3, 4, 7 in another; prices 10, 30, 60, 40, 20, -, 15.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.config = cls.basic_config
        cls.env.user.group_ids |= cls.env.ref("member_crm.group_member_crm_manager") | cls.env.ref(
            "sales_team.group_sale_manager"
        )
        cls._member_enable(cls.company)
        basic = cls.env["product.category"].create({"name": "Reco Basics"})
        tea = cls.env["product.category"].create({"name": "Reco Tea"})
        cls.p = {
            number: cls.create_product(f"Reco P{number}", category, price)
            for number, category, price in [
                (1, basic, 10.0),
                (2, basic, 30.0),
                (3, tea, 60.0),
                (4, tea, 40.0),
                (5, basic, 20.0),
                (6, basic, 25.0),
                (7, tea, 15.0),
            ]
        }
        if not cls.config.tip_product_id:
            cls.config.tip_product_id = cls.create_product("Reco Tip", basic, 1.0)
        cls.config.iface_tipproduct = True
        cls.tip = cls.config.tip_product_id
        cls.members = {key: cls._member_partner(f"Reco {key}", cls.company) for key in "ABCDEF"}
        cls.stranger = cls.env["res.partner"].create({"name": "Reco Stranger"})
        cls.today = cls.company._member_today()
        cls.cashier = new_test_user(
            cls.env, login="reco_cashier", groups="base.group_user,point_of_sale.group_pos_user"
        )
        cls.member_user = new_test_user(cls.env, login="reco_member_user", groups="member_crm.group_member_crm_user")

    def _at(self, days_ago):
        return dt.datetime.combine(self.today - dt.timedelta(days=days_ago), dt.time(12))

    def _pos(self, partner, days_ago, numbers, extra=()):
        lines = [(self.p[n], 1) for n in numbers] + list(extra)
        data = self.create_ui_order_data(lines, customer=partner)
        result = self.env["pos.order"].sync_from_ui([data])
        order = self.env["pos.order"].browse(result["pos.order"][0]["id"])
        order.date_order = self._at(days_ago)
        return order

    def _sale(self, partner, days_ago, numbers):
        order = self.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "order_line": [(0, 0, {"product_id": self.p[n].id, "product_uom_qty": 1}) for n in numbers],
            }
        )
        order.action_confirm()
        order.date_order = self._at(days_ago)
        return order

    def _fixture(self):
        self.open_new_session()
        m = self.members
        self._pos(m["A"], 170, [1, 2])
        self._sale(m["B"], 140, [1, 2, 3])
        # tip lines in three baskets with product 1: counted, the tip would be recommended to A and E
        tip = {"product": self.tip, "quantity": 1}
        self._pos(m["C"], 110, [1, 2, 3], extra=[dict(tip)])
        self._pos(m["D"], 80, [1, 3], extra=[dict(tip)])
        self._pos(m["D"], 50, [2, 3, 4])
        self._pos(m["E"], 60, [1, 2], extra=[dict(tip)])
        # product 5 bought 10 days ago; a reward line of product 3 would take 3 from A's candidates
        self._pos(m["A"], 10, [5], extra=[{"product": self.p[3], "quantity": 1, "is_reward_line": True}])
        for days_ago in (200, 160, 130):
            self._pos(m["F"], days_ago, [4])
        for days_ago in (330, 210, 90):
            self._pos(m["F"], days_ago, [7])
        # a non-member's baskets (pair 1-4 three times) and a basket older than 12 months count for nothing
        for days_ago in (100, 90, 80):
            self._pos(self.stranger, days_ago, [1, 4])
        self._pos(m["E"], 400, [3])
        self.env["loyalty.program"].create(
            {
                "name": "Reco promotion",
                "program_type": "promotion",
                "company_id": self.company.id,
                "rule_ids": [(0, 0, {"product_ids": [(6, 0, [self.p[5].id, self.p[6].id])]})],
                "reward_ids": [(0, 0, {"reward_type": "discount", "discount": 10, "discount_applicability": "order"})],
            }
        )
        self.env["member.recommendation"]._member_recommend_refresh(self.company)

    def _top(self, key):
        recommendations = self.env["member.recommendation"].search(
            [("partner_id", "=", self.members[key].id), ("company_id", "=", self.company.id)], order="rank"
        )
        number = {product: n for n, product in self.p.items()}
        return [(r.rank, number.get(r.product_id, r.product_id.name), r.score, r.reason) for r in recommendations]

    def test_top_n_and_exclusions(self):
        self._fixture()
        self.assertEqual(
            {key: self._top(key) for key in "ABCDEF"},
            {
                # 6: a promotion in A's only category; 3: bought with 1 and 2 (the reward line is not a purchase,
                # 5 was bought 10 days ago, the tip is never recommended)
                "A": [(1, 6, 1.0, "promotion"), (2, 3, 0.447214, "cooccurrence")],
                "B": [(1, 5, 0.7, "promotion"), (2, 6, 0.7, "promotion")],
                "C": [(1, 5, 0.7, "promotion"), (2, 6, 0.7, "promotion")],
                "D": [(1, 5, 0.6, "promotion"), (2, 6, 0.6, "promotion")],
                # the basket of 400 days ago (product 3) is out of the window
                "E": [(1, 5, 1.0, "promotion"), (2, 6, 1.0, "promotion"), (3, 3, 0.67082, "cooccurrence")],
                # 4 due after 0.8 x 35 days, bought 130 days ago; 7 due after 96 days, bought 90 days ago
                "F": [(1, 4, 0.215385, "replenishment")],
            },
        )
        self.assertFalse(
            self.env["member.recommendation"].search_count([("partner_id", "=", self.stranger.id)]),
            "non-members get nothing",
        )
        self.assertEqual(self.members["A"].member_recommendation_ids.product_id, self.p[6] | self.p[3])
        # the next night writes what changed: 6 is archived, 3 moves up, F's row stays as it was
        f_row = self.env["member.recommendation"].search([("partner_id", "=", self.members["F"].id)])
        self.p[6].active = False
        self.env["member.recommendation"]._member_recommend_refresh(self.company)
        self.assertEqual(self._top("A"), [(1, 3, 0.447214, "cooccurrence")])
        self.assertEqual(self._top("B"), [(1, 5, 0.7, "promotion")])
        self.assertTrue(f_row.exists())
        self.assertEqual(self._top("F"), [(1, 4, 0.215385, "replenishment")])

    def test_campaign_audience(self):
        self._fixture()
        campaign = self.env["member.campaign"].create(
            {"name": "Reco campaign", "company_id": self.company.id, "recommended_product_ids": [(6, 0, self.p[3].ids)]}
        )
        partners = self.env["res.partner"].search(campaign._member_recommendation_domain())
        self.assertEqual(partners, self.members["A"] | self.members["E"])
        campaign.recommended_product_ids = self.p[4]
        partners = self.env["res.partner"].search(campaign._member_extra_domain())
        self.assertEqual(partners, self.members["F"])

    def test_pos_cashier_reads_one_customer_names_only(self):
        self._fixture()
        self.pos_session.user_id = self.cashier  # the cashier's own open session
        Recommendation = self.env["member.recommendation"].with_user(self.cashier)
        names = Recommendation.pos_member_recommendations(self.config.id, self.members["E"].id)
        self.assertEqual(names, ["Reco P5", "Reco P6", "Reco P3"])
        with self.assertRaises(AccessError):
            Recommendation.search_read([], ["partner_id", "product_id"])
        # Members/User reads the rows, never writes them
        rows = self.env["member.recommendation"].with_user(self.member_user).search([])
        self.assertEqual(len(rows), 12)
        with self.assertRaises(AccessError):
            rows[:1].write({"rank": 2})
        # a register that is not open answers nothing
        closed = self.config.copy({"name": "Reco closed register"})
        with self.assertRaises(AccessError):
            Recommendation.pos_member_recommendations(closed.id, self.members["E"].id)
        # nor does anyone outside the Point of Sale
        with self.assertRaises(AccessError):
            self.env["member.recommendation"].with_user(self.member_user).pos_member_recommendations(
                self.config.id, self.members["E"].id
            )

    def test_company_rule(self):
        other = self.env["res.company"].create({"name": "Reco Company B"})
        row = (
            self.env["member.recommendation"]
            .sudo()
            .create(
                {
                    "partner_id": self.members["A"].id,
                    "company_id": other.id,
                    "product_id": self.p[1].id,
                    "rank": 1,
                    "score": 0.5,
                    "reason": "promotion",
                    "date": self.today,
                }
            )
        )
        self.assertEqual(self.member_user.company_ids, self.company)
        Recommendation = self.env["member.recommendation"].with_user(self.member_user)
        self.assertFalse(Recommendation.search([("id", "=", row.id)]))
        with self.assertRaises(AccessError):
            Recommendation.browse(row.id).read(["product_id"])
        self.member_user.company_ids |= other
        self.assertEqual(Recommendation.with_context(allowed_company_ids=[other.id]).search([]), row)
