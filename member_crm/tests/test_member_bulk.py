from odoo.tests import tagged
from odoo.tools import SQL

from odoo.addons.base.tests.common import BaseCommon

from ..tools.bulk import bulk_create
from ..tools.trusted import MEMBERSHIP_WRITE, trusted
from ..wizard.member_import import MemberImport

SKIP = {"id", "create_date", "write_date", "create_uid", "write_uid"}


@tagged("post_install", "-at_install")
class TestMemberBulk(BaseCommon):
    """Records the import inserts in bulk equal, column by column, what create() makes of the same values."""

    def assertSameColumns(self, model, bulk_record, orm_record, differ=()):
        self.env.flush_all()
        columns = [
            name
            for name, field in model._fields.items()
            if field.store and field.column_type and name not in SKIP and name not in differ
        ]
        rows = [
            self.env.execute_query(
                SQL(
                    "SELECT %s FROM %s WHERE id = %s",
                    SQL(", ").join(SQL.identifier(c) for c in columns),
                    SQL.identifier(model._table),
                    record.id,
                )
            )
            for record in (bulk_record, orm_record)
        ]
        bulk_values, orm_values = (dict(zip(columns, r[0], strict=True)) for r in rows)
        different = {c: (bulk_values[c], orm_values[c]) for c in columns if bulk_values[c] != orm_values[c]}
        self.assertFalse(different, f"{model._name}: columns differ (bulk, create)")

    def test_partner(self):
        Partner = self.env["res.partner"]
        values = {
            "name": "王芳",
            "phone": "+8613800138000",
            "email": "wang.fang@example.cn",
            "birthdate_date": "1990-05-06",
            "street": "1号",
            "city": "上海",
            "zip": "200000",
        }
        bulk_values = MemberImport._member_partner_vals(
            self.env["member.import"],
            {
                "name": "王芳",
                "phone": "+8613800138000",
                "email": "wang.fang@example.cn",
                "birthdate": "1990-05-06",
                "street": "1号",
                "city": "上海",
                "zip": "200000",
            },
        )
        bulk = bulk_create(Partner, [bulk_values], self_refs=["commercial_partner_id"])
        orm = Partner.create({**values, "company_id": False})
        self.assertEqual(bulk.commercial_partner_id, bulk)
        self.assertSameColumns(Partner, bulk, orm, differ={"commercial_partner_id"})

    def test_loyalty_card_and_history(self):
        program = self.env["loyalty.program"].create({"name": "Points", "program_type": "loyalty"})
        partner = self.env["res.partner"].create({"name": "Card holder"})
        Card = self.env["loyalty.card"].with_context(tracking_disable=True, mail_create_nolog=True)
        values = {"partner_id": partner.id, "program_id": program.id, "points": 12.0}
        bulk = bulk_create(Card, [{**values, "company_id": program.company_id.id, "code": "044-bulk"}])
        orm = Card.create({**values, "code": "044-orm"})
        self.assertSameColumns(Card, bulk, orm, differ={"code"})

    def test_membership_and_points_lot(self):
        self.env.company.member_crm_enabled = True
        partners = self.env["res.partner"].create([{"name": "Bulk member"}, {"name": "ORM member"}])
        # the number is set by enrolment's and the import's trusted paths only
        Membership = self.env["member.membership"].with_context(
            tracking_disable=True, mail_create_nolog=True, **trusted(MEMBERSHIP_WRITE)
        )
        values = {"company_id": self.env.company.id, "member_since": "2026-01-01"}
        bulk = bulk_create(Membership, [{**values, "partner_id": partners[0].id, "number": "B1", "tier_level": False}])
        orm = Membership.create({**values, "partner_id": partners[1].id, "number": "O1"})
        self.assertSameColumns(Membership, bulk, orm, differ={"partner_id", "number"})
        program = self.env["loyalty.program"].create({"name": "Points", "program_type": "loyalty"})
        card = self.env["loyalty.card"].create({"partner_id": partners[0].id, "program_id": program.id})
        Lot = self.env["member.points.lot"]
        values = {
            "card_id": card.id,
            "kind": "opening",
            "description": "Opening",
            "points": 5.0,
            "remaining": 5.0,
            "earned_on": "2026-01-01",
            "released": True,
        }
        bulk = bulk_create(Lot, [{**values, "partner_id": partners[0].id, "company_id": card.company_id.id}])
        orm = Lot.create(values)
        self.assertSameColumns(Lot, bulk, orm)
