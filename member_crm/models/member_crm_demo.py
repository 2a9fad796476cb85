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
import time
from collections import defaultdict

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..engine import demo_data

_logger = logging.getLogger(__name__)

POS_BATCH = 50
SALE_BATCH = 25


class DemoProgress:
    """Orders done / total and the time left, for ``_load_demo_history(progress=...)``.

    A sale order (confirm, invoice, payment) costs far more than a POS order: each
    channel's cost per order is measured as it goes; until the first sales batch is
    done, a sale order is taken to cost ``SALE_COST_RATIO`` POS orders.
    """

    SALE_COST_RATIO = 15  # measured on 2 cores: 0.06 s per POS order, 0.8 s per sale order

    def __init__(self, pos_total, sale_total, callback=None):
        self.total = {"pos": pos_total, "sale": sale_total}
        self.done = {"pos": 0, "sale": 0}
        self.spent = {"pos": 0.0, "sale": 0.0}
        self.callback = callback
        self.mark = time.monotonic()

    def pos_done(self, count):
        self._done("pos", count)

    def sale_done(self, count):
        self._done("sale", count)

    def _done(self, channel, count):
        now = time.monotonic()
        self.spent[channel] += now - self.mark
        self.done[channel] += count
        self.mark = now
        if self.callback:
            self.callback(sum(self.done.values()), sum(self.total.values()), self.seconds_left())

    def seconds_left(self):
        cost = {channel: self.spent[channel] / self.done[channel] for channel in self.done if self.done[channel]}
        if "sale" not in cost and "pos" in cost:
            cost["sale"] = cost["pos"] * self.SALE_COST_RATIO
        if "pos" not in cost and "sale" in cost:
            cost["pos"] = cost["sale"] / self.SALE_COST_RATIO
        if not cost:
            return None
        return sum((self.total[channel] - self.done[channel]) * cost[channel] for channel in self.total)


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
        progress=None,
    ):
        """Create ``members`` demo contacts and their order history.

        :param end_date: last day of the history (default: today)
        :param pos_config: ``pos.config`` to sell through (default: the
            company's first one)
        :param progress: called after each batch as ``progress(done, total,
            seconds_left)``: orders created so far, orders to create in all,
            and the estimated time left (None until it can be told)
        :return: dict of counts of what was created
        """
        if not self.env.is_superuser() and not self.env.user.has_group("base.group_system"):
            raise AccessError(self.env._("Only an administrator can load the demo history."))
        # demo documents need no chatter: no creation messages or tracking
        # values on each order, picking, invoice and payment
        demo = self.with_context(tracking_disable=True)
        end_date = end_date or fields.Date.context_today(demo)
        data = demo_data.generate(members, months, end_date, seed)
        products = demo._demo_products(data.catalog)
        partners, new_partners = demo._demo_partners(data.members)
        pos_orders = demo._demo_missing_pos_orders([order for order in data.orders if order.channel == "pos"])
        sale_orders = demo._demo_missing_sale_orders([order for order in data.orders if order.channel == "sale"])
        tracker = DemoProgress(len(pos_orders), len(sale_orders), progress)
        created_pos = demo._demo_pos_orders(pos_orders, partners, products, pos_config, tick=tracker.pos_done)
        created_sale = demo._demo_sale_orders(sale_orders, partners, products, tick=tracker.sale_done)
        result = {
            "partners": new_partners,
            "pos_orders": created_pos,
            "sale_orders": created_sale,
        }
        _logger.info("Member CRM demo history loaded: %s", result)
        return result

    @api.model
    def _demo_start_membership(
        self, company=None, months=demo_data.DEFAULT_MONTHS, seed=demo_data.DEFAULT_SEED, end_date=None
    ):
        """Turn membership on, enrol the demo contacts and place them from their history.

        Uses the same path a business takes: the default ladder, enrolment,
        then the simulation's Apply (ledger backfill + placement). New
        memberships get the member's generated join date (``months``, ``seed``
        and ``end_date`` as given to :meth:`_load_demo_history`), and every
        demo membership its last qualifying document.
        """
        company = company or self.env.company
        if not company.member_crm_enabled:
            company.member_crm_enabled = True
        partners = self.env["res.partner"].search([("ref", "=like", demo_data.MEMBER_REF_PREFIX + "%")])
        Membership = self.env["member.membership"]
        enrolled = Membership.search([("partner_id", "in", partners.ids), ("company_id", "=", company.id)])
        memberships = partners.with_company(company).action_member_enroll()
        self._demo_member_since(memberships - enrolled, months, seed, end_date)
        wizard = self.env["member.tier.simulation"].with_company(company).create({"company_id": company.id})
        wizard.action_apply()
        self._demo_stamp_last_document(memberships)
        return {"members": len(partners), "up": wizard.count_up, "down": wizard.count_down}

    @api.model
    def _demo_member_since(self, memberships, months, seed, end_date=None):
        """Date ``memberships`` of demo contacts from the day each member joined in the generated data."""
        end_date = end_date or fields.Date.context_today(self)
        by_date = defaultdict(lambda: self.env["member.membership"])
        for membership in memberships:
            ref = membership.partner_id.ref or ""
            number = ref.removeprefix(demo_data.MEMBER_REF_PREFIX)
            if not ref.startswith(demo_data.MEMBER_REF_PREFIX) or not number.isdigit():
                continue
            member = demo_data.make_member(int(number) - 1, seed)
            by_date[demo_data.member_joined(member, months, end_date, seed)] |= membership
        for day, group in by_date.items():  # one write per join day
            group.write({"member_since": day})
        if by_date:
            self.env["member.membership"]._member_invalidate_partners()

    @api.model
    def _demo_stamp_last_document(self, memberships):
        """Stamp ``last_qualifying_at`` of ``memberships`` from their ledger: the latest document's time.

        The backfill that placed them writes their history without the instant
        check, which is what stamps it for new orders. A POS or sale order gives
        its order time, an invoice its date; a later stamp is kept.
        """
        if not memberships:
            return
        self.env.flush_all()
        self.env.execute_query(
            SQL(
                """
                UPDATE member_membership m
                   SET last_qualifying_at = last.at
                  FROM (
                        SELECT m.id, MAX(COALESCE(po.date_order, so.date_order, am.invoice_date::timestamp,
                                                  l.date::timestamp)) AS at
                          FROM member_membership m
                          JOIN member_ledger l ON l.partner_id = m.partner_id AND l.company_id = m.company_id
                                              AND l.kind IN ('order', 'refund', 'feedback')
                     LEFT JOIN pos_order po ON l.source_model = 'pos.order' AND po.id = l.source_id
                     LEFT JOIN sale_order so ON l.source_model = 'sale.order' AND so.id = l.source_id
                     LEFT JOIN account_move am ON l.source_model = 'account.move' AND am.id = l.source_id
                         WHERE m.id = ANY(%s)
                      GROUP BY m.id
                       ) last
                 WHERE m.id = last.id AND (m.last_qualifying_at IS NULL OR m.last_qualifying_at < last.at)
                """,
                memberships.ids,
            )
        )
        memberships.invalidate_recordset(["last_qualifying_at"])

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
    def _demo_missing_pos_orders(self, orders):
        """The generated POS orders not in the database yet (matched by uuid)."""
        known = set(self.env["pos.order"].search([("uuid", "in", [o.uuid for o in orders])]).mapped("uuid"))
        return [order for order in orders if order.uuid not in known]

    @api.model
    def _demo_pos_orders(self, orders, partners, products, pos_config=None, tick=None):
        """Sell ``orders`` (none of them in the database yet) at the till: ``sync_from_ui`` by batches."""
        if not orders:
            return 0
        PosOrder = self.env["pos.order"]
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
            # as in a shop that updates stock "At the session closing": one picking
            # at closing instead of one per order (two thirds of an order's cost)
            session.update_stock_at_closing = True
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
            batch = payloads[start : start + POS_BATCH]
            PosOrder.sync_from_ui(batch)
            if tick:
                tick(len(batch))
        if opened_here:
            session.action_pos_session_closing_control()
            if tick:
                tick(0)  # the closing is part of the POS orders' cost
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
    def _demo_missing_sale_orders(self, orders):
        """The generated sale orders not in the database yet (matched by client reference)."""
        SaleOrder = self.env["sale.order"]
        known = set(SaleOrder.search([("client_order_ref", "in", [o.key for o in orders])]).mapped("client_order_ref"))
        return [order for order in orders if order.key not in known]

    @api.model
    def _demo_sale_orders(self, orders, partners, products, tick=None):
        """Confirm, invoice and pay ``orders`` (none of them in the database yet), by batches."""
        for start in range(0, len(orders), SALE_BATCH):
            batch = orders[start : start + SALE_BATCH]
            self._demo_sale_batch(batch, partners, products)
            if tick:
                tick(len(batch))
        return len(orders)

    @api.model
    def _demo_sale_batch(self, orders, partners, products):
        SaleOrder = self.env["sale.order"]
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

    @api.model
    def _demo_pay(self, invoices, day: dt.date):
        self.env["account.payment.register"].with_context(active_model="account.move", active_ids=invoices.ids).create(
            {"payment_date": day, "group_payment": False}
        )._create_payments()
