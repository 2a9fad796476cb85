"""Loads the demo member history through Odoo's real order flow.

XML demo data cannot produce paid POS orders or paid invoices, so the run
command calls :meth:`MemberCrmDemo._load_demo_history` once the addons are
installed with demo data. The records come from ``engine.demo_data`` (the same
generator the benchmarks stream into SQL at scale); this model only adapts them
to Odoo: POS orders go through ``pos.order.sync_from_ui`` exactly as a till
sends them, sale orders are confirmed, invoiced and paid.

Re-running is harmless: contacts are matched by reference, POS orders by their
deterministic uuid (``sync_from_ui`` ignores orders it already has) and sale
orders by their client reference.
"""

import datetime as dt
import logging
from collections import defaultdict

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError

from ..engine import demo_data

_logger = logging.getLogger(__name__)

POS_BATCH = 50


class MemberCrmDemo(models.AbstractModel):
    _name = "member.crm.demo"
    _description = "Member CRM demo history loader"

    @api.model
    def _load_demo_history(
        self,
        members=demo_data.DEFAULT_MEMBERS,
        months=demo_data.DEFAULT_MONTHS,
        seed=demo_data.DEFAULT_SEED,
        end_date=None,
        pos_config=None,
    ):
        """Create ``members`` demo contacts and their order history.

        :param end_date: last day of the history (default: today)
        :param pos_config: ``pos.config`` to sell through (default: the
            company's first one)
        :return: dict of counts of what was created
        """
        if not self.env.is_superuser() and not self.env.user.has_group("base.group_system"):
            raise AccessError(self.env._("Only an administrator can load the demo history."))
        end_date = end_date or fields.Date.context_today(self)
        data = demo_data.generate(members, months, end_date, seed)
        products = self._demo_products(data.catalog)
        partners, new_partners = self._demo_partners(data.members)
        pos_orders = [order for order in data.orders if order.channel == "pos"]
        sale_orders = [order for order in data.orders if order.channel == "sale"]
        created_pos = self._demo_pos_orders(pos_orders, partners, products, pos_config)
        created_sale = self._demo_sale_orders(sale_orders, partners, products)
        result = {
            "partners": new_partners,
            "pos_orders": created_pos,
            "sale_orders": created_sale,
        }
        _logger.info("Member CRM demo history loaded: %s", result)
        return result

    @api.model
    def _demo_start_membership(self, company=None):
        """Turn membership on, enrol the demo contacts and place them from their history.

        Uses the same path a business takes: the default ladder, enrolment,
        then the simulation's Apply (ledger backfill + placement).
        """
        company = company or self.env.company
        if not company.member_crm_enabled:
            company.member_crm_enabled = True
        partners = self.env["res.partner"].search([("ref", "=like", demo_data.MEMBER_REF_PREFIX + "%")])
        partners.with_company(company).action_member_enroll()
        wizard = self.env["member.tier.simulation"].with_company(company).create({"company_id": company.id})
        wizard.action_apply()
        return {"members": len(partners), "up": wizard.count_up, "down": wizard.count_down}

    # ------------------------------------------------------------------
    # catalogue and contacts
    # ------------------------------------------------------------------
    @api.model
    def _demo_products(self, catalog):
        """Return {code: product.product}, creating the missing ones."""
        Product = self.env["product.product"]
        codes = [item.code for item in catalog]
        existing = {p.default_code: p for p in Product.search([("default_code", "in", codes)])}
        missing = [item for item in catalog if item.code not in existing]
        if missing:
            categories = self._demo_categories({item.category for item in missing})
            created = Product.create(
                [
                    {
                        "name": item.name,
                        "default_code": item.code,
                        "list_price": item.price,
                        "standard_price": round(item.price * 0.45, 2),
                        "type": "consu",
                        "categ_id": categories[item.category].id,
                        "available_in_pos": True,
                        "sale_ok": True,
                    }
                    for item in missing
                ]
            )
            existing.update({p.default_code: p for p in created})
        return existing

    @api.model
    def _demo_categories(self, names):
        Category = self.env["product.category"]
        parent = Category.search([("name", "=", "Member CRM Demo"), ("parent_id", "=", False)], limit=1)
        parent = parent or Category.create({"name": "Member CRM Demo"})
        found = {c.name: c for c in Category.search([("parent_id", "=", parent.id), ("name", "in", list(names))])}
        to_create = sorted(set(names) - set(found))
        if to_create:
            found.update({c.name: c for c in Category.create([{"name": n, "parent_id": parent.id} for n in to_create])})
        return found

    @api.model
    def _demo_partners(self, members):
        """Return ({member key: res.partner}, number created)."""
        Partner = self.env["res.partner"].with_context(tracking_disable=True)
        keys = [member.key for member in members]
        existing = {p.ref: p for p in Partner.search([("ref", "in", keys)])}
        missing = [member for member in members if member.key not in existing]
        if missing:
            china = self.env.ref("base.cn")
            states = {
                code: self.env.ref(f"base.state_cn_{code}", raise_if_not_found=False)
                for code in {member.state_code for member in missing}
            }
            langs = {code for code, _name in self.env["res.lang"].get_installed()}
            created = Partner.create(
                [
                    {
                        "name": member.name,
                        "ref": member.key,
                        "email": member.email,
                        "phone": member.phone,
                        "city": member.city,
                        "country_id": china.id,
                        "state_id": states[member.state_code].id if states[member.state_code] else False,
                        "lang": member.lang if member.lang in langs else False,
                        "birthdate_date": member.birthdate,
                        "customer_rank": 1,
                    }
                    for member in missing
                ]
            )
            existing.update({p.ref: p for p in created})
        return existing, len(missing)

    # ------------------------------------------------------------------
    # POS: the till's own entry point
    # ------------------------------------------------------------------
    @api.model
    def _demo_pos_orders(self, orders, partners, products, pos_config=None):
        if not orders:
            return 0
        PosOrder = self.env["pos.order"]
        known = set(PosOrder.search([("uuid", "in", [o.uuid for o in orders])]).mapped("uuid"))
        orders = [order for order in orders if order.uuid not in known]
        if not orders:
            return 0
        config = pos_config or self.env["pos.config"].search([("company_id", "=", self.env.company.id)], limit=1)
        if not config:
            raise UserError(
                self.env._(
                    "The demo history needs a Point of Sale in company %(company)s.", company=self.env.company.name
                )
            )
        session, opened_here = config.current_session_id, False
        if not session:
            config._check_before_creating_new_session()
            session = self.env["pos.session"].create({"user_id": self.env.uid, "config_id": config.id})
            session.set_opening_control(0, "")
            opened_here = True
        payment_method = (
            config.payment_method_ids.filtered(lambda pm: pm.type == "bank" and not pm.split_transactions)[:1]
            or config.payment_method_ids.filtered(lambda pm: not pm.split_transactions)[:1]
        )
        if not payment_method:
            raise UserError(self.env._("Point of Sale %(name)s has no payment method.", name=config.name))
        tax_domain = self.env["account.tax"]._check_company_domain(config.company_id)
        payloads = [
            self._demo_pos_payload(order, partners[order.member_key], products, session, payment_method, tax_domain)
            for order in orders
        ]
        for start in range(0, len(payloads), POS_BATCH):
            PosOrder.sync_from_ui(payloads[start : start + POS_BATCH])
        if opened_here:
            session.action_pos_session_closing_control()
        return len(payloads)

    @api.model
    def _demo_pos_payload(self, order, partner, products, session, payment_method, tax_domain):
        """The dictionary the POS front end sends for a paid order."""
        config = session.config_id
        currency = session.currency_id
        fiscal_position = partner.property_account_position_id or config.default_fiscal_position_id
        when = fields.Datetime.to_string(order.date)
        lines, total_incl, total_excl = [], 0.0, 0.0
        for line in order.lines:
            product = products[line.product_code]
            price = (
                config.pricelist_id._get_product_price(product, line.qty) if config.pricelist_id else product.lst_price
            )
            taxes = product.taxes_id.filtered_domain(tax_domain)
            if fiscal_position:
                taxes = fiscal_position.map_tax(taxes)
            amounts = taxes.compute_all(price, currency, line.qty, product=product, partner=partner)
            total_incl += amounts["total_included"]
            total_excl += amounts["total_excluded"]
            lines.append(
                Command.create(
                    {
                        "product_id": product.id,
                        "qty": line.qty,
                        "price_unit": price,
                        "price_subtotal": amounts["total_excluded"],
                        "price_subtotal_incl": amounts["total_included"],
                        "tax_ids": [Command.set(taxes.ids)],
                        "discount": 0.0,
                        "pack_lot_ids": [],
                    }
                )
            )
        total_incl, total_excl = currency.round(total_incl), currency.round(total_excl)
        return {
            "uuid": order.uuid,
            "name": f"Order {order.uuid}",
            "session_id": session.id,
            "partner_id": partner.id,
            "user_id": self.env.uid,
            "date_order": when,
            "fiscal_position_id": fiscal_position.id,
            "pricelist_id": config.pricelist_id.id,
            "lines": lines,
            "payment_ids": [
                Command.create({"amount": total_incl, "payment_date": when, "payment_method_id": payment_method.id})
            ],
            "amount_paid": total_incl,
            "amount_return": 0,
            "amount_tax": total_incl - total_excl,
            "amount_total": total_incl,
            "last_order_preparation_change": "{}",
            "to_invoice": False,
            "state": "paid",
        }

    # ------------------------------------------------------------------
    # Sales: confirm, invoice, pay
    # ------------------------------------------------------------------
    @api.model
    def _demo_sale_orders(self, orders, partners, products):
        if not orders:
            return 0
        SaleOrder = self.env["sale.order"].with_context(tracking_disable=True)
        known = set(SaleOrder.search([("client_order_ref", "in", [o.key for o in orders])]).mapped("client_order_ref"))
        orders = [order for order in orders if order.key not in known]
        if not orders:
            return 0
        records = SaleOrder.create(
            [
                {
                    "partner_id": partners[order.member_key].id,
                    "client_order_ref": order.key,
                    "date_order": order.date,
                    "order_line": [
                        Command.create({"product_id": products[line.product_code].id, "product_uom_qty": line.qty})
                        for line in order.lines
                    ],
                }
                for order in orders
            ]
        )
        records.action_confirm()
        dates = {order.key: order.date for order in orders}
        # action_confirm stamps today's date: put the historical one back, one
        # write per distinct date.
        by_date = defaultdict(lambda: SaleOrder)
        for record in records:
            by_date[dates[record.client_order_ref]] |= record
        for date, group in by_date.items():
            group.write({"date_order": date})
        invoices = records._create_invoices(grouped=True)  # one invoice per order
        invoices_by_day = defaultdict(lambda: self.env["account.move"])
        for record in records:
            invoices_by_day[dates[record.client_order_ref].date()] |= record.invoice_ids
        for day, group in invoices_by_day.items():
            group.write({"invoice_date": day})
        invoices.action_post()
        for day, group in invoices_by_day.items():
            self._demo_pay(group, day)
        return len(records)

    @api.model
    def _demo_pay(self, invoices, day: dt.date):
        self.env["account.payment.register"].with_context(active_model="account.move", active_ids=invoices.ids).create(
            {"payment_date": day, "group_payment": False}
        )._create_payments()
