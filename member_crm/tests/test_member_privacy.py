import json
import subprocess
from unittest.mock import patch

from odoo import SUPERUSER_ID, api
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools import SQL, config, mute_logger
from odoo.tools.misc import exec_pg_environ, find_pg_tool

from odoo.addons.base.tests.common import BaseCommon

from ..engine import crypto
from ..models.member_sensitive import KEY_OPTION, OLD_KEYS_OPTION
from .test_member_benefits import MemberBenefitsMixin

KEY_A = crypto.generate_key()
KEY_B = crypto.generate_key()
ID_NUMBER = "11010519491231002X"

# role -> groups (each user belongs to company A only)
ROLES = {
    "cashier": "base.group_user,point_of_sale.group_pos_user",
    "salesperson": "sales_team.group_sale_salesman,member_crm.group_member_crm_user",
    "marketing": "member_crm.group_member_crm_marketing",
    "service": "member_crm.group_member_crm_service",
    "accountant": "account.group_account_invoice,member_crm.group_member_crm_accountant",
    "manager": "member_crm.group_member_crm_manager",
    "portal": "base.group_portal",
}
MEMBER_READERS = {"salesperson", "marketing", "service", "accountant", "manager"}
# (model, operation) -> roles allowed; everybody else gets an AccessError
MATRIX = {
    ("member.membership", "read"): MEMBER_READERS,
    ("member.membership", "write"): {"manager"},
    ("member.tier", "read"): MEMBER_READERS,
    ("member.tier", "write"): {"manager"},
    ("member.ledger", "read"): {"marketing", "accountant", "manager"},
    ("member.ledger.line", "read"): {"marketing", "accountant", "manager"},
    ("member.tier.history", "read"): MEMBER_READERS,
    ("member.points.lot", "read"): MEMBER_READERS,
    ("member.points.lot", "write"): set(),
    ("member.benefit", "read"): MEMBER_READERS,
    ("member.consent", "read"): MEMBER_READERS,
    ("member.consent", "create"): {"manager"},
    ("member.sensitive.value", "read"): {"manager"},
    ("member.audit.log", "read"): {"accountant", "manager"},
    ("member.audit.log", "create"): set(),
    ("member.import.preset", "read"): {"manager"},
}


# opening entries have no lines by category: only the access rights are checked for these
ACL_ONLY = {"member.ledger.line"}


class MemberPrivacyCommon(MemberBenefitsMixin, BaseCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.env.company
        cls.company_b = cls.env["res.company"].create({"name": "Store B"})
        cls._member_enable(cls.company_a)
        cls._member_enable(cls.company_b)
        cls.member = cls._member_partner("Wang Fang", cls.company_a)
        cls.member.write({"phone": "+86 138 0013 8000", "birthdate_date": "1990-05-06"})
        cls.member.with_company(cls.company_b).action_member_enroll()

    def key(self, current=KEY_A, old=None):
        return patch.dict(config.options, {KEY_OPTION: current, OLD_KEYS_OPTION: old})

    def sensitive(self, partner, value, company=None):
        attribute = self.env.ref("member_crm.sensitive_attribute_cn_id")
        return self.env["member.sensitive.value"].create(
            {
                "partner_id": partner.id,
                "company_id": (company or self.company_a).id,
                "attribute_id": attribute.id,
                "value": value,
            }
        )


@tagged("post_install", "-at_install")
class TestMemberRoles(MemberPrivacyCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.users = {
            role: new_test_user(
                cls.env,
                login=f"privacy_{role}",
                groups=groups,
                company_id=cls.company_a.id,
                company_ids=[cls.company_a.id],
            )
            for role, groups in ROLES.items()
        }
        cls.env["member.import.preset"].create({"name": "Old POS", "company_id": cls.company_a.id})
        cls.env["member.import.preset"].create({"name": "Old POS B", "company_id": cls.company_b.id})
        with patch.dict(config.options, {KEY_OPTION: KEY_A}):
            for company in (cls.company_a, cls.company_b):
                cls.env["member.sensitive.value"].create(
                    {
                        "partner_id": cls.member.id,
                        "company_id": company.id,
                        "attribute_id": cls.env.ref("member_crm.sensitive_attribute_cn_id").id,
                        "value": ID_NUMBER,
                    }
                )
                cls.env["member.consent"].with_company(company)._member_record(
                    cls.member, ["email"], "given", "form", "Yes, email me", company=company
                )
                cls._opening(cls, cls.member, company, "2026-01-05", 300.0)
                program = cls._member_points_program(company)
                cls.env["loyalty.card"].create({"partner_id": cls.member.id, "program_id": program.id, "points": 50})
                cls.env["member.benefit"].create(
                    {"name": "Priority", "benefit_type": "service", "company_id": company.id}
                )

    def _records(self, model, company):
        """A record of ``company``; none for models the setup does not fill (the access rights alone are checked)."""
        domain = [("company_id", "=", company.id)] if "company_id" in self.env[model] else []
        records = self.env[model].search(domain, limit=1)
        self.assertTrue(records or model in ACL_ONLY, f"the test needs a {model} of {company.name}")
        return records

    @mute_logger("odoo.models", "odoo.addons.base.models.ir_rule", "odoo.addons.base.models.ir_model")
    def test_role_matrix_in_own_company(self):
        for (model, operation), allowed in MATRIX.items():
            records = self._records(model, self.company_a)
            for role, user in self.users.items():
                with self.subTest(model=model, operation=operation, role=role):
                    target = records.with_user(user)
                    if role in allowed:
                        target.check_access(operation)
                    else:
                        with self.assertRaises(AccessError):
                            target.check_access(operation)

    @mute_logger("odoo.models", "odoo.addons.base.models.ir_rule", "odoo.addons.base.models.ir_model")
    def test_nobody_sees_the_other_company(self):
        for (model, operation), allowed in MATRIX.items():
            if operation != "read" or "company_id" not in self.env[model] or model in ACL_ONLY:
                continue
            other = self._records(model, self.company_b)
            for role in allowed:
                with self.subTest(model=model, role=role):
                    user = self.users[role]
                    self.assertFalse(
                        self.env[model].with_user(user).search([("id", "=", other.id)]),
                        f"{role} finds a {model} of the other company",
                    )
                    with self.assertRaises(AccessError):
                        other.with_user(user).check_access("read")

    @mute_logger("odoo.models", "odoo.addons.base.models.ir_rule", "odoo.addons.base.models.ir_model")
    def test_cashier_sees_day_and_month_not_the_birth_date(self):
        cashier = self.member.with_user(self.users["cashier"])
        self.assertEqual(cashier.member_birthday, "May 6")
        self.assertNotIn("birthdate_date", cashier.fields_get())
        self.assertNotIn("member_sensitive_value_ids", cashier.fields_get())
        with self.assertRaises(AccessError):
            cashier.read(["birthdate_date"])
        till = cashier.with_company(self.company_a).pos_member_data
        self.assertTrue(till["number"])
        self.assertEqual(till["birthday"], "May 6")
        self.assertNotIn("1990", json.dumps(till))
        # only the manager sees sensitive data on the contact
        for role in ("salesperson", "marketing", "service", "accountant"):
            self.assertNotIn("member_sensitive_value_ids", self.member.with_user(self.users[role]).fields_get())
        self.assertIn("member_sensitive_value_ids", self.member.with_user(self.users["manager"]).fields_get())

    @mute_logger("odoo.models", "odoo.addons.base.models.ir_rule", "odoo.addons.base.models.ir_model")
    def test_manager_reads_only_own_company_sensitive_value(self):
        with self.key():
            values = self.member.with_user(self.users["manager"]).member_sensitive_value_ids
            self.assertEqual(values.company_id, self.company_a)
            self.assertEqual(values.value, ID_NUMBER)
        self.assertFalse(self.env["member.sensitive.value"].fields_get(["value"])["value"].get("exportable", True))

    @mute_logger("odoo.models", "odoo.addons.base.models.ir_rule", "odoo.addons.base.models.ir_model")
    def test_only_managers_erase_and_export(self):
        for role in ("salesperson", "marketing", "service", "accountant", "cashier"):
            with self.subTest(role=role), self.assertRaises(AccessError):
                self.member.with_user(self.users[role]).action_member_export_data()
            with self.subTest(role=role), self.assertRaises(AccessError):
                self.env["member.erase"].with_user(self.users[role]).create(
                    {"partner_ids": self.member.ids, "reason": "request"}
                )
        self.assertEqual(self.member.name, "Wang Fang")


@tagged("post_install", "-at_install")
class TestMemberEncryption(MemberPrivacyCommon):
    def test_clear_text_for_authorised_users_ciphertext_at_rest(self):
        with self.key():
            value = self.sensitive(self.member, ID_NUMBER.lower())
            self.env.invalidate_all()
            self.assertEqual(value.value, ID_NUMBER, "normalised and decrypted")
        self.env.flush_all()
        stored = self.env.execute_query(SQL("SELECT cipher FROM member_sensitive_value WHERE id = %s", value.id))[0][0]
        self.assertTrue(stored.startswith("v1:"))
        self.assertNotIn(ID_NUMBER, stored)
        audits = self.env["member.audit.log"].search(
            [("res_model", "=", "member.sensitive.value"), ("res_id", "=", value.id)]
        )
        self.assertEqual(set(audits.mapped("action")), {"sensitive_write", "sensitive_read"})
        self.assertTrue(all(ID_NUMBER not in (a.description or "") for a in audits))

    def test_invalid_value_refused(self):
        with self.key(), self.assertRaises(ValidationError):
            self.sensitive(self.member, "110105194912310021")

    def test_without_key_locked_not_lost(self):
        with self.key():
            value = self.sensitive(self.member, ID_NUMBER)
        cipher = value.sudo().cipher
        with self.key(current=None):
            self.env.invalidate_all()
            self.assertFalse(value.value)
            self.assertIn(KEY_OPTION, value.locked_reason)
            with self.assertRaises(UserError):
                value.value = "E12345678"
        self.assertEqual(value.sudo().cipher, cipher, "nothing lost while locked")

    def test_wrong_key_is_a_clear_error_never_garbage(self):
        with self.key():
            value = self.sensitive(self.member, ID_NUMBER)
        with self.key(current=KEY_B):
            self.env.invalidate_all()
            self.assertFalse(value.value)
            self.assertIn(crypto.Keyring(KEY_A).current_id, value.locked_reason)
        with patch.dict(config.options, {KEY_OPTION: "not-a-key"}):
            self.env.invalidate_all()
            self.assertFalse(value.value)
            self.assertIn("not valid", value.locked_reason)
            with self.assertRaises(UserError):
                value.value = "E12345678"

    def test_rotation(self):
        with self.key():
            value = self.sensitive(self.member, ID_NUMBER)
        with self.key(current=KEY_B, old=KEY_A):
            rotated, locked = self.env["member.sensitive.value"]._member_rotate_keys()
            self.assertEqual((rotated, locked), (value, value.browse()))
        with self.key(current=KEY_B):
            self.env.invalidate_all()
            self.assertEqual(value.value, ID_NUMBER)
            self.assertEqual(value.key_id, crypto.Keyring(KEY_B).current_id)
        self.assertTrue(self.env["member.audit.log"].search([("action", "=", "key_rotation")]))

    def test_pg_dump_shows_no_clear_text(self):
        """Committed on a cursor of its own (a dump cannot see the test's transaction), then removed."""
        clear = "E98765432"
        dump = ""
        with self.key(), self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            partner = env["res.partner"].create({"name": "Dump check"})
            value = env["member.sensitive.value"].create(
                {
                    "partner_id": partner.id,
                    "company_id": env.company.id,
                    "attribute_id": env.ref("member_crm.sensitive_attribute_passport").id,
                    "value": clear,
                }
            )
            value.read(["value"])  # a read, so the audit trail has a line too
            cipher = value.cipher
            # a dump sees committed data only; the finally below removes it again
            cr.commit()  # pylint: disable=invalid-commit
            try:
                dump = subprocess.run(
                    [find_pg_tool("pg_dump"), "--no-owner", cr.dbname],
                    env=exec_pg_environ(),
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
            finally:
                cr.execute("DELETE FROM member_audit_log WHERE partner_id = %s", [partner.id])
                partner.unlink()
                cr.commit()  # pylint: disable=invalid-commit
        self.assertIn(cipher.split(":", 2)[2][:20], dump, "the dump holds the encrypted value")
        self.assertNotIn(clear, dump)


@tagged("post_install", "-at_install")
class TestMemberConsent(MemberPrivacyCommon):
    def test_consent_log_and_audience(self):
        Consent = self.env["member.consent"]
        other = self._member_partner("Li Na", self.company_a)
        Consent._member_record(self.member, ["email", "sms"], "given", "pos", "Yes to offers")
        self.env.invalidate_all()
        self.assertTrue(self.member.member_consent_email)
        self.assertTrue(self.member.member_consent_sms)
        self.assertFalse(self.member.member_consent_phone)
        self.assertFalse(self.member.with_company(self.company_b).member_consent_email, "per company")
        audience = self.env["res.partner"].search(self.env["res.partner"]._member_audience_domain("email"))
        self.assertIn(self.member, audience)
        self.assertNotIn(other, audience, "opt-in: no consent, no email")
        line = Consent.search([("partner_id", "=", self.member.id), ("channel", "=", "email")])
        self.assertEqual((line.source, line.text, line.user_id), ("pos", "Yes to offers", self.env.user))
        with self.assertRaises(UserError):
            line.write({"state": "withdrawn"})
        with self.assertRaises(UserError):
            Consent._member_record(self.member, ["email"], "given", "form", "")

    def test_blacklists_follow_consent_of_all_companies(self):
        Consent = self.env["member.consent"]
        email = self.member.email_normalized
        phone = self.member.phone_sanitized
        self.assertTrue(phone)
        Consent._member_record(self.member, ["email", "sms"], "given", "form", "ok", company=self.company_a)
        Consent._member_record(self.member, ["email"], "given", "form", "ok", company=self.company_b)
        blacklist = self.env["mail.blacklist"]
        # withdrawn in A, still held in B: not opted out globally
        Consent._member_record(self.member, ["email", "sms"], "withdrawn", "email", company=self.company_a)
        self.assertFalse(blacklist.search([("email", "=", email)]))
        self.assertTrue(self.env["phone.blacklist"].search([("number", "=", phone)]), "no company holds SMS consent")
        # withdrawn everywhere: opted out
        Consent._member_record(self.member, ["email"], "withdrawn", "email", company=self.company_b)
        self.assertTrue(blacklist.search([("email", "=", email)]))
        self.env.invalidate_all()
        Partner = self.env["res.partner"]
        self.assertNotIn(self.member, Partner.search(Partner._member_audience_domain("email")))
        self.assertNotIn(self.member, Partner.search(Partner._member_audience_domain("sms")))
        # given again: the opt-out is lifted
        Consent._member_record(self.member, ["email", "sms"], "given", "portal", "ok again", company=self.company_a)
        self.assertFalse(blacklist.search([("email", "=", email)]))
        self.assertFalse(self.env["phone.blacklist"].search([("number", "=", phone)]))
        self.env.invalidate_all()
        self.assertIn(self.member, Partner.search(Partner._member_audience_domain("sms")))
        self.assertEqual(self.env["member.audit.log"].search_count([("action", "=", "consent")]), 8)


@tagged("post_install", "-at_install")
class TestMemberExportErasure(MemberPrivacyCommon):
    def test_export_gives_the_members_data_as_a_file(self):
        self.env["member.consent"]._member_record(self.member, ["email"], "given", "form", "Yes")
        with self.key():
            self.sensitive(self.member, ID_NUMBER)
            action = self.member.action_member_export_data()
            name, content = self.member._member_export_file()
        self.assertEqual(action["url"], f"/member_crm/member_data/{self.member.id}")
        self.assertEqual(name, f"member-data-{self.member.id}.json")
        data = json.loads(content)
        self.assertEqual(data["contact"]["name"], "Wang Fang")
        self.assertEqual(len(data["memberships"]), 2)
        self.assertEqual(data["sensitive_data"][0]["value"], ID_NUMBER)
        self.assertEqual(data["consents"][0]["text"], "Yes")
        self.assertTrue(
            self.env["member.audit.log"].search([("action", "=", "export"), ("partner_id", "=", self.member.id)])
        )

    def test_erasure_anonymises_and_keeps_figures(self):
        with self.key():
            self.sensitive(self.member, ID_NUMBER)
        self.env["member.consent"]._member_record(self.member, ["email"], "given", "form", "Yes")
        self._opening(self.member, self.company_a, "2026-02-01", 500.0)
        self.member.message_post(body="Called about her birthday party")
        ledger_before = self._ledger(self.member, self.company_a).mapped("amount")
        wizard = (
            self.env["member.erase"]
            .with_context(active_model="res.partner", active_ids=self.member.ids)
            .create({"reason": "Request by email 2026-11-20"})
        )
        self.assertFalse(wizard.blockers)
        wizard.action_erase()
        partner = self.member.with_context(active_test=False)
        self.assertEqual(partner.name, f"Erased member {partner.id}")
        self.assertFalse(partner.email or partner.phone or partner.birthdate_date or partner.active)
        self.assertFalse(self.env["member.sensitive.value"].search([("partner_id", "=", partner.id)]))
        consent = self.env["member.consent"].search([("partner_id", "=", partner.id)])
        self.assertTrue(consent, "the fact of the consent stays")
        self.assertFalse(consent.address)
        self.assertFalse(self.env["mail.message"].search([("model", "=", "res.partner"), ("res_id", "=", partner.id)]))
        self.assertEqual(self._ledger(partner, self.company_a).mapped("amount"), ledger_before)
        self.assertEqual(set(self._membership(partner, self.company_a).mapped("state")), {"left"})
        log = self.env["member.audit.log"].search([("action", "=", "erasure"), ("partner_id", "=", partner.id)])
        self.assertEqual((log.user_id, log.description), (self.env.user, "Request by email 2026-11-20"))

    def test_erasure_refused_with_open_invoice(self):
        product = self.env["product.product"].create({"name": "Tea", "list_price": 10})
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.member.id,
                "invoice_line_ids": [(0, 0, {"product_id": product.id, "quantity": 1, "price_unit": 10})],
            }
        )
        invoice.action_post()
        wizard = self.env["member.erase"].create({"partner_ids": self.member.ids, "reason": "request"})
        self.assertIn("open invoice", wizard.blockers)
        with self.assertRaisesRegex(UserError, "open invoice"):
            wizard.action_erase()
        self.assertEqual(self.member.name, "Wang Fang", "nothing erased")
        self.assertTrue(invoice.exists())
