"""Personal data that leaked past the privacy features: the access-request file, erasure traces, bulk export of
sensitive values, a malformed key."""

import base64
import json
import os
from unittest.mock import patch

from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import SQL, config, mute_logger

from ..models.member_sensitive import KEY_OPTION
from .test_member_privacy import ID_NUMBER, KEY_A, MemberPrivacyCommon

EXPORT_PATTERN = [("name", "=like", "member-data-%")]


def _users(env, company, prefix):
    groups = {
        "manager": "member_crm.group_member_crm_manager",
        "member_user": "member_crm.group_member_crm_user",
        "cashier": "base.group_user,point_of_sale.group_pos_user",
    }
    return {
        role: new_test_user(
            env, login=f"{prefix}_{role}", groups=group, company_id=company.id, company_ids=[company.id]
        )
        for role, group in groups.items()
    }


@tagged("post_install", "-at_install")
class TestMemberExportDownload(MemberPrivacyCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.users = _users(cls.env, cls.company_a, "leak_export")
        cls.env["member.consent"]._member_record(cls.member, ["email"], "given", "form", "Yes, email me")
        with patch.dict(config.options, {KEY_OPTION: KEY_A}):
            cls.env["member.sensitive.value"].create(
                {
                    "partner_id": cls.member.id,
                    "company_id": cls.company_a.id,
                    "attribute_id": cls.env.ref("member_crm.sensitive_attribute_cn_id").id,
                    "value": ID_NUMBER,
                }
            )

    def _download(self, user, url):
        self.authenticate(user.login, user.login)
        return self.url_open(url)

    def test_export_is_streamed_to_the_manager_and_stored_nowhere(self):
        manager = self.users["manager"]
        with patch.dict(config.options, {KEY_OPTION: KEY_A}):
            action = self.member.with_user(manager).action_member_export_data()
            self.assertEqual(action["type"], "ir.actions.act_url")
            response = self._download(manager, action["url"])
        self.assertEqual(response.status_code, 200)
        self.assertIn("attachment", response.headers["Content-Disposition"])
        self.assertIn(f"member-data-{self.member.id}.json", response.headers["Content-Disposition"])
        self.assertIn("no-store", response.headers["Cache-Control"])
        data = json.loads(response.content)
        self.assertEqual(data["contact"]["name"], "Wang Fang")
        self.assertEqual(data["sensitive_data"][0]["value"], ID_NUMBER)
        self.assertEqual(data["consents"][0]["text"], "Yes, email me")
        # nothing kept: no attachment for anybody, not even the superuser
        self.assertFalse(self.env["ir.attachment"].sudo().search(EXPORT_PATTERN))
        self.assertFalse(
            self.env["ir.attachment"]
            .sudo()
            .search([("res_model", "=", "res.partner"), ("res_id", "=", self.member.id)])
        )
        for role in ("cashier", "member_user"):
            with self.subTest(role=role):
                self.assertEqual(self.env["ir.attachment"].with_user(self.users[role]).search_read(EXPORT_PATTERN), [])
        log = self.env["member.audit.log"].search([("action", "=", "export"), ("partner_id", "=", self.member.id)])
        self.assertEqual(log.user_id, manager)

    @mute_logger("odoo.http", "odoo.models", "odoo.addons.base.models.ir_rule")
    def test_export_refused_to_cashier_and_member_user(self):
        url = f"/member_crm/member_data/{self.member.id}"
        for role in ("cashier", "member_user"):
            user = self.users[role]
            with self.subTest(role=role):
                with self.assertRaises(AccessError):
                    self.member.with_user(user).action_member_export_data()
                with self.assertRaises(AccessError):
                    self.member.with_user(user)._member_export_file()
                with patch.dict(config.options, {KEY_OPTION: KEY_A}):
                    response = self._download(user, url)
                self.assertEqual(response.status_code, 403)
                self.assertNotIn(ID_NUMBER.encode(), response.content)
                self.assertNotIn(b"Wang Fang", response.content)
        self.assertFalse(self.env["member.audit.log"].search([("action", "=", "export")]))

    @mute_logger("odoo.http", "odoo.models", "odoo.addons.base.models.ir_rule")
    def test_export_refused_for_a_contact_of_another_company(self):
        other = self.env["res.partner"].create({"name": "Zhao Lei", "company_id": self.company_b.id})
        manager = self.users["manager"]
        with self.assertRaises(AccessError):
            other.with_user(manager).action_member_export_data()
        response = self._download(manager, f"/member_crm/member_data/{other.id}")
        self.assertNotEqual(response.status_code, 200)
        self.assertNotIn(b"Zhao Lei", response.content)


@tagged("post_install", "-at_install")
class TestMemberPrivacyLeaks(MemberPrivacyCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.users = _users(cls.env, cls.company_a, "leak")

    # ------------------------------------------------------------------
    # sensitive values
    # ------------------------------------------------------------------
    def test_export_data_of_sensitive_values_refused(self):
        # a manager allowed to use Odoo's export (without that right Odoo refuses any export anyway)
        exporter = new_test_user(
            self.env,
            login="leak_exporter",
            groups="member_crm.group_member_crm_manager,base.group_allow_export",
            company_id=self.company_a.id,
            company_ids=[self.company_a.id],
        )
        with self.key():
            value = self.sensitive(self.member, ID_NUMBER)
            values = value.with_user(exporter)
            self.assertEqual(values.value, ID_NUMBER, "the manager reads it, one member at a time")
            for fields_to_export in (["value"], ["partner_id", "attribute_id/name", "value"], ["locked_reason"]):
                with self.subTest(fields=fields_to_export), self.assertRaises(AccessError):
                    values.export_data(fields_to_export)
            with self.assertRaises(AccessError):
                value.export_data(["value"])  # not even the superuser
            # nor through a sub-field path of the contact's export
            partner = self.member.with_user(exporter)
            for path in ("member_sensitive_value_ids/value", "member_sensitive_value_ids/attribute_id"):
                with self.subTest(path=path), self.assertRaises(AccessError):
                    partner.export_data(["name", path])
            self.assertEqual(partner.export_data(["name"])["datas"], [["Wang Fang"]], "the contact still exports")

    def test_malformed_key_locks_without_breaking_pages(self):
        with self.key():
            value = self.sensitive(self.member, ID_NUMBER)
        cipher = value.sudo().cipher
        short_key = base64.urlsafe_b64encode(os.urandom(16)).decode()
        manager = self.users["manager"]
        for bad in ("not-base64!!", short_key):
            with self.subTest(key=bad), patch.dict(config.options, {KEY_OPTION: bad}):
                self.env.invalidate_all()
                # the Settings page
                settings = self.env["res.config.settings"].create({})
                self.assertIn("Locked", settings.member_encryption_state)
                self.assertIn(KEY_OPTION, settings.member_encryption_state)
                # the contact's Privacy tab, as the web client reads it
                partner = self.member.with_user(manager)
                data = partner.web_read({"member_sensitive_value_ids": {"fields": {"value": {}, "locked_reason": {}}}})[
                    0
                ]["member_sensitive_value_ids"]
                self.assertEqual(len(data), 1)
                self.assertFalse(data[0]["value"])
                self.assertIn("not valid", data[0]["locked_reason"])
                # nothing is written under a broken key, nothing is lost
                with self.assertRaises(UserError):
                    value.with_user(manager).write({"value": "E12345678"})
                self.assertEqual(value.sudo().cipher, cipher)
        with self.key():
            self.env.invalidate_all()
            self.assertEqual(value.value, ID_NUMBER, "the right key opens it again")

    # ------------------------------------------------------------------
    # erasure
    # ------------------------------------------------------------------
    def _tables_holding(self, needles, tables=None):
        """{needle: [table]} over every row of every table of the database, read in this transaction.

        A pg_dump only sees committed data and this test's transaction is rolled back, so the dump's content
        (each row as text) is searched here instead."""
        self.env.flush_all()
        tables = tables or [
            name
            for (name,) in self.env.execute_query(
                SQL(
                    """SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                        WHERE n.nspname = current_schema() AND c.relkind = 'r' ORDER BY c.relname"""
                )
            )
        ]
        found = {}
        for table in tables:
            # bytea columns (attachments stored in the database) show as hex in a row's text
            counts = SQL(", ").join(
                SQL("count(*) FILTER (WHERE strpos(t::text, %s) > 0 OR strpos(t::text, %s) > 0)", n, n.encode().hex())
                for n in needles
            )
            row = self.env.execute_query(SQL("SELECT %s FROM %s t", counts, SQL.identifier(table)))[0]
            for needle, count in zip(needles, row, strict=True):
                if count:
                    found.setdefault(needle, []).append(table)
        return found

    def test_erasure_leaves_no_trace_in_the_database(self):
        self.maxDiff = None
        member = self.member
        member.with_company(self.company_a).barcode = "WF-A-773155"
        member.with_company(self.company_b).barcode = "WF-B-773166"
        # a child contact the manager cannot see: archived, in the other company
        child = self.env["res.partner"].create(
            {
                "name": "Fang Home Delivery",
                "parent_id": member.id,
                "type": "delivery",
                "email": "fang.home@example.com",
                "phone": "+86 139 1111 2222",
                "company_id": self.company_b.id,
            }
        )
        child.active = False
        product = self.env["product.product"].create({"name": "Tea", "list_price": 10})
        order = self.env["sale.order"].create(
            {"partner_id": member.id, "order_line": [(0, 0, {"product_id": product.id, "product_uom_qty": 1})]}
        )
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": member.id,
                "invoice_line_ids": [(0, 0, {"product_id": product.id, "quantity": 1, "price_unit": 10})],
            }
        )
        for document in (order, invoice):
            document.message_post(
                body="Wang Fang here: please call +86 138 0013 8000 or wang.fang@example.com",
                author_id=member.id,
                email_from=member.email_formatted,
                message_type="email",
                subtype_xmlid="mail.mt_comment",
            )
        order.message_post(
            body="Ship to Fang Home Delivery, fang.home@example.com", message_type="comment", partner_ids=child.ids
        )
        self.env["mail.mail"].create(
            {
                "subject": "Your points, Wang Fang",
                "body_html": "<p>Dear Wang Fang</p>",
                "email_to": "wang.fang@example.com",
                "recipient_ids": [(4, member.id)],
            }
        )
        # an access-request file of the old export, before it was streamed
        self.env["ir.attachment"].create(
            {
                "name": f"member-data-{member.id}.json",
                "raw": json.dumps({"contact": {"name": "Wang Fang", "email": "wang.fang@example.com"}}).encode(),
                "res_model": "sale.order",
                "res_id": order.id,
            }
        )
        needles = [
            "Wang Fang",
            "wang.fang@example.com",
            "+86 138 0013 8000",
            "+8613800138000",
            "Fang Home Delivery",
            "fang.home@example.com",
            "+86 139 1111 2222",
            "+8613911112222",
            "WF-A-773155",
            "WF-B-773166",
        ]
        # the scan finds them before (on the tables known to hold them, to keep the test short)
        before = self._tables_holding(needles, ["res_partner", "mail_message", "mail_mail"])
        self.assertEqual(set(before), set(needles))

        manager = self.users["manager"]  # company A only: the child contact is out of their sight
        self.assertFalse(self.env["res.partner"].with_user(manager).search([("id", "=", child.id)]))
        wizard = (
            self.env["member.erase"]
            .with_user(manager)
            .with_context(active_model="res.partner", active_ids=member.ids)
            .create({"reason": "Request by email 2026-11-20"})
        )
        wizard.action_erase()

        self.assertEqual(self._tables_holding(needles), {})
        self.assertEqual(child.with_context(active_test=False).name, f"Erased member {child.id}")
        self.assertTrue(order.exists() and invoice.exists(), "orders and invoices stay")
        self.assertFalse(self.env["ir.attachment"].sudo().search(EXPORT_PATTERN))
        posted = order.message_ids.filtered(lambda message: message.author_id == member)
        self.assertTrue(posted, "the member's messages on the order stay, without the member's details")
        self.assertFalse(posted.email_from)

    def test_erasure_spares_addresses_that_only_contain_the_members(self):
        """Erasing li@example.com leaves wangli@example.com's mails and messages alone."""
        member = self._member_partner("Li Wei", self.company_a)
        member.email = "li@example.com"
        bystander = self.env["res.partner"].create({"name": "Wang Li", "email": "wangli@example.com"})
        mail = self.env["mail.mail"].create(
            {"subject": "Your order", "body_html": "<p>Hello</p>", "email_to": "wangli@example.com"}
        )
        message = bystander.message_post(
            body="Question about my order",
            email_from='"Wang Li" <wangli@example.com>',
            message_type="email",
            subtype_xmlid="mail.mt_comment",
        )
        own_mail = self.env["mail.mail"].create(
            {"subject": "Your points", "body_html": "<p>Dear Li</p>", "email_to": '"Li Wei" <LI@example.com>'}
        )
        self.env["member.erase"].with_user(self.users["manager"]).with_context(
            active_model="res.partner", active_ids=member.ids
        ).create({"reason": "Request"}).action_erase()
        self.assertTrue(mail.exists(), "the bystander's mail is not deleted")
        self.assertFalse(own_mail.exists(), "the member's own mail is, whatever the case of its address")
        message.invalidate_recordset()
        self.assertEqual(message.email_from, '"Wang Li" <wangli@example.com>')
