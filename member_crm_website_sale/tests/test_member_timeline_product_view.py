"""Products viewed on the shop by a logged-in member, in her timeline: only members, the website's company,
and only the roles that may see them (campaign officers and member managers)."""

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.base.tests.common import BaseCommon
from odoo.addons.member_crm.tests.common import MemberTierMixin
from odoo.addons.member_crm_website_sale.models.member_timeline import BRANCH_PRODUCT_VIEW


@tagged("post_install", "-at_install")
class TestMemberTimelineProductView(BaseCommon, MemberTierMixin):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls._member_enable(cls.company)
        cls.company_b = cls.env["res.company"].create({"name": "WS Company B"})
        cls.website = cls.env["website"].create({"name": "WS Shop", "company_id": cls.company.id})
        cls.website_b = cls.env["website"].create({"name": "WS Shop B", "company_id": cls.company_b.id})
        cls.ann = cls._member_partner("WS Ann", cls.company)
        # the logged-in user is a contact of the member (her shop): the view is the member's
        cls.ann_contact = cls.env["res.partner"].create({"name": "WS Ann Shop", "parent_id": cls.ann.id})
        cls.stranger = cls.env["res.partner"].create({"name": "WS Stranger", "email": "ws.stranger@example.com"})
        cls.tea = cls.env["product.product"].create({"name": "WS Green Tea", "list_price": 12.0})
        cls.cup = cls.env["product.product"].create({"name": "WS Tea Cup", "list_price": 8.0})
        users = {
            "cashier": "point_of_sale.group_pos_user,base.group_user",
            "member_cashier": "point_of_sale.group_pos_user,member_crm.group_member_crm_user",
            "salesperson": "sales_team.group_sale_salesman,member_crm.group_member_crm_user",
            "service": "member_crm.group_member_crm_service",
            "marketer": "member_crm.group_member_crm_marketing,base.group_user",
            "manager": "member_crm.group_member_crm_manager",
        }
        cls.users = {
            role: new_test_user(
                cls.env, login=f"ws_{role}", groups=groups, company_id=cls.company.id, company_ids=cls.company.ids
            )
            for role, groups in users.items()
        }

    def _view(self, partner, product, website=None):
        """A logged-in visitor's product page view, as the shop records it (website_sale's visitor API)."""
        # a logged-in visitor's token is its partner's id (website.visitor._compute_partner_id): one per partner
        visitor = self.env["website.visitor"].search([("access_token", "=", str(partner.id))]) or self.env[
            "website.visitor"
        ].create({"access_token": str(partner.id), "website_id": (website or self.website).id})
        visitor._add_viewed_product(product.id)
        track = self.env["website.track"].search([("visitor_id", "=", visitor.id), ("product_id", "=", product.id)])
        self.assertEqual(len(track), 1)
        return track

    def _rows(self, user=None, partner=None):
        timeline = self.env["member.timeline"].with_user(user) if user else self.env["member.timeline"]
        return timeline.search_read(
            [("partner_id", "=", (partner or self.ann).id), ("kind", "=", "product_view")],
            ["kind", "name", "company_id", "res_model", "res_id", "date"],
        )

    def test_cached_view_has_the_branch(self):
        query = self.env["member.timeline"]._member_table_query()
        self.assertIn("'product_view'", query.code)
        self.assertIn("website_track", query.code)

    def test_member_view_in_timeline(self):
        track = self._view(self.ann_contact, self.tea)
        rows = self._rows()
        self.assertEqual(
            [(r["id"], r["kind"], r["name"], r["company_id"][0], r["res_model"], r["res_id"]) for r in rows],
            [
                (
                    track.id * 16 + BRANCH_PRODUCT_VIEW,
                    "product_view",
                    "WS Green Tea",
                    self.company.id,
                    "product.template",
                    self.tea.product_tmpl_id.id,
                )
            ],
        )
        self.assertEqual(rows[0]["date"], track.visit_datetime)
        # a second product: two rows, newest first
        self._view(self.ann_contact, self.cup)
        self.assertEqual(len(self._rows()), 2)

    def test_non_member_and_other_company(self):
        self._view(self.stranger, self.tea)
        self.assertEqual(self._rows(partner=self.stranger), [])
        self.assertEqual(self.env["member.timeline"].search_count([("partner_id", "=", self.stranger.id)]), 0)
        # Ann is a member of the first company only: her view on company B's shop is not in any timeline
        self._view(self.ann, self.cup, website=self.website_b)
        self.assertEqual(self._rows(), [])

    @mute_logger("odoo.models", "odoo.addons.base.models.ir_model")
    def test_access_per_role(self):
        self._view(self.ann_contact, self.tea)
        self.assertEqual([r["name"] for r in self._rows(self.users["marketer"])], ["WS Green Tea"])
        self.assertEqual([r["name"] for r in self._rows(self.users["manager"])], ["WS Green Tea"])
        # a cashier has no access to the timeline at all; with the member role, still no product view
        with self.assertRaises(AccessError):
            self._rows(self.users["cashier"])
        self.assertEqual(self._rows(self.users["member_cashier"]), [])
        self.assertEqual(self._rows(self.users["salesperson"]), [])
        self.assertEqual(self._rows(self.users["service"]), [])
        # nor through an unfiltered read of the whole timeline
        for role in ("member_cashier", "salesperson", "service"):
            kinds = self.env["member.timeline"].with_user(self.users[role]).search_read([], ["kind"])
            self.assertNotIn("product_view", {row["kind"] for row in kinds}, role)
        # a marketer of another company does not see it
        marketer_b = new_test_user(
            self.env,
            login="ws_marketer_b",
            groups="member_crm.group_member_crm_marketing,base.group_user",
            company_id=self.company_b.id,
            company_ids=self.company_b.ids,
        )
        self.assertEqual(self._rows(marketer_b), [])
