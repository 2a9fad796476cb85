"""Merge Contacts keeps one membership and one member card per company.

Odoo's merge re-points every foreign key to the kept contact and deletes the
rows a unique constraint refuses to move (``_update_foreign_keys_generic``).
Two members of one company would lose one membership, and by cascade its tier
history, and keep two member cards on one program. Before Odoo moves the rows,
``_member_merge`` therefore merges them itself:

- memberships: the kept one takes the higher tier (with its dates) and the
  earlier ``member_since``; the other's tier history and gifts move to it
  (SQL: the history refuses ORM writes), then the other is deleted. The
  qualification ledger is keyed by contact: Odoo's merge moves it;
- member cards: the kept card takes the other card's lots and balance through
  the points writer ("merge" moves on both cards; the other card ends at 0).
  loyalty's own merge (``_merge_loyalty_cards``) then writes the same totals
  and archives the emptied card, as our writer's internal change;
- an audit line per company says what was kept and moved.
"""

from odoo import api, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..tools.trusted import MEMBERSHIP_WRITE, POINTS_INTERNAL, trusted


class BasePartnerMergeAutomaticWizard(models.TransientModel):
    _inherit = "base.partner.merge.automatic.wizard"

    @api.model
    def _update_foreign_keys(self, src_partners, dst_partner):
        # before Odoo re-points the rows: it would delete the merged memberships and their history
        self._member_merge(src_partners, dst_partner)
        # loyalty's own merge then writes the totals our writer already booked and archives the emptied cards
        merge = self.with_context(**trusted(POINTS_INTERNAL))
        return super(BasePartnerMergeAutomaticWizard, merge)._update_foreign_keys(src_partners, dst_partner)

    @api.model
    def _member_merge(self, src_partners, dst_partner):
        """One membership and one member card per company for the merged contacts."""
        self._member_check_merge_rights(src_partners)
        # sudo: the merge is Odoo's; members' records follow their contact (a member manager merges members)
        partners = (src_partners | dst_partner).sudo()
        self._member_merge_sensitive(partners.browse(src_partners.ids), dst_partner.sudo())
        memberships = (
            self.env["member.membership"]
            .sudo()
            .with_context(active_test=False)
            .search([("partner_id", "in", partners.ids)], order="id")
        )
        audit = []
        for group in memberships.grouped("company_id").values():
            kept = group.filtered(lambda m: m.partner_id == dst_partner)[:1] or group[:1]
            merged = group - kept
            if merged:
                audit.append(self._member_merge_memberships(kept, merged))
        audit += self._member_merge_cards(partners, dst_partner)
        self._member_merge_gifts(partners, dst_partner)
        self.env["member.audit.log"]._member_log(
            "merge",
            [
                {
                    "partner_id": dst_partner.id,
                    "company_id": company.id,
                    "res_model": "res.partner",
                    "res_id": dst_partner.id,
                    "description": self.env._(
                        "Contacts %(sources)s merged into %(target)s: %(what)s",
                        sources=", ".join(str(pid) for pid in src_partners.ids),
                        target=dst_partner.id,
                        what="; ".join(parts),
                    ),
                }
                for company, parts in self._member_by_company(audit).items()
            ],
        )

    @api.model
    def _member_check_merge_rights(self, src_partners):
        """Merging a member into another contact moves their membership, tier and points: a member manager's
        call, as giving a member card to another customer is (a contact manager could otherwise set an
        email to match and merge a member's points onto anybody)."""
        if self.env.user.has_group("member_crm.group_member_crm_manager"):
            return
        # sudo: whether the merged contacts hold member records, nothing more
        held = self.env["member.membership"].sudo().with_context(active_test=False).search_count(
            [("partner_id", "in", src_partners.ids)], limit=1
        ) or self.env["loyalty.card"].sudo().with_context(active_test=False).search_count(
            [("partner_id", "in", src_partners.ids), ("points", "!=", 0)], limit=1
        )
        if held:
            raise AccessError(
                self.env._("These contacts hold memberships or member points: only a member manager can merge them.")
            )

    @api.model
    def _member_merge_sensitive(self, src_partners, dst_partner):
        """Sensitive values are encrypted for their contact (the contact is in the associated data): Odoo's
        re-pointing would leave them undecryptable, or delete them on a duplicate. The merged contacts' values
        are decrypted and stored again for the kept contact, unless it holds one for that field and company
        already (the kept contact's value wins). A value that cannot be opened (no or wrong key) stops the
        merge: nothing is lost."""
        Value = self.env["member.sensitive.value"].sudo()
        values = Value.search([("partner_id", "in", src_partners.ids)])
        if not values:
            return
        locked = values.filtered(lambda v: not v.value)
        if locked:
            raise UserError(
                self.env._(
                    "The sensitive data of %(contacts)s cannot be opened (%(reason)s): put the encryption key in "
                    "the Odoo configuration file before merging.",
                    contacts=", ".join(locked.partner_id.mapped("display_name")),
                    reason=locked[0].locked_reason or "-",
                )
            )
        have = {(v.attribute_id.id, v.company_id.id) for v in Value.search([("partner_id", "=", dst_partner.id)])}
        moved = {}
        for value in values:
            key = (value.attribute_id.id, value.company_id.id)
            if key not in have:
                moved[key] = value.value
                have.add(key)
        values.unlink()
        Value.create(
            [
                {"partner_id": dst_partner.id, "attribute_id": attribute, "company_id": company, "value": text}
                for (attribute, company), text in moved.items()
            ]
        )

    @api.model
    def _member_by_company(self, audit):
        out = {}
        for company, text in audit:
            out.setdefault(company, []).append(text)
        return out

    @api.model
    def _member_merge_memberships(self, kept, merged):
        """Fold ``merged`` memberships of one company into ``kept``: higher tier, earlier start, their history."""
        everyone = kept | merged
        best = everyone.sorted(lambda m: (m.tier_id.level if m.tier_id else -1, m == kept), reverse=True)[0]
        best_tier = best.tier_id
        # a joining date marked unknown (an import's placeholder) loses to a known one
        known = everyone.filtered(lambda m: not m.member_since_unknown) or everyone
        vals = {
            "member_since": min(known.mapped("member_since")),
            "member_since_unknown": all(everyone.mapped("member_since_unknown")),
        }
        if "active" in everyone.mapped("state"):
            vals["state"] = "active"
        before = (kept.number, kept.tier_id.name, merged.mapped("number"))
        kept.with_context(**trusted(MEMBERSHIP_WRITE)).write(vals)
        self.env.flush_all()
        # the tier history and the gifts refuse ORM writes of their keys: re-pointed in SQL, then the
        # merged memberships (now without rows of their own) are deleted
        for table in ("member_tier_history", "member_benefit_grant"):
            self.env.execute_query(
                SQL(
                    "UPDATE %s SET membership_id = %s WHERE membership_id = ANY(%s)",
                    SQL.identifier(table),
                    kept.id,
                    merged.ids,
                )
            )
        # the merged memberships' chatter goes with them; their followers are the kept one's already or not needed
        for model_table, column in (("mail_message", "model"), ("mail_activity", "res_model")):
            self.env.execute_query(
                SQL(
                    "UPDATE %s SET res_id = %s WHERE %s = 'member.membership' AND res_id = ANY(%s)",
                    SQL.identifier(model_table),
                    kept.id,
                    SQL.identifier(column),
                    merged.ids,
                )
            )
        self.env.execute_query(
            SQL("DELETE FROM mail_followers WHERE res_model = 'member.membership' AND res_id = ANY(%s)", merged.ids)
        )
        # the membership has no rows left: deleted in SQL (its unlink is for member managers; the merge is Odoo's)
        self.env.execute_query(SQL("DELETE FROM member_membership WHERE id = ANY(%s)", merged.ids))
        self.env.invalidate_all()
        if best_tier and best_tier != kept.tier_id:
            # the higher tier through the one tier writer: a history line ("Contact Merge") and the benefits
            kept._member_apply_changes(
                [(kept.id, kept.tier_id.id or None, best_tier.id)], "merge", reason=self.env._("Contacts merged")
            )
        return (
            kept.company_id,
            self.env._(
                "membership %(kept)s kept (tier %(tier)s), %(merged)s merged into it",
                kept=before[0],
                tier=kept.tier_id.name or before[1] or "-",
                merged=", ".join(before[2]),
            ),
        )

    @api.model
    def _member_merge_cards(self, partners, dst_partner):
        """One card per member program: the kept contact's oldest card takes the others' points."""
        programs = (
            self.env["res.company"]
            .sudo()
            .search([("member_loyalty_program_id", "!=", False)])
            .member_loyalty_program_id
        )
        cards = (
            self.env["loyalty.card"]
            .sudo()
            .search([("partner_id", "in", partners.ids), ("program_id", "in", programs.ids)], order="id")
        )
        pairs, audit = [], []
        for group in cards.grouped("program_id").values():
            into = group.filtered(lambda c: c.partner_id == dst_partner)[:1] or group[:1]
            for card in group - into:
                pairs.append((card, into))
                audit.append(
                    (
                        into.company_id or self.env.company,
                        self.env._(
                            "card %(card)s (%(points)s points) merged into card %(into)s",
                            card=card.code,
                            points=f"{card.points:g}",
                            into=into.code,
                        ),
                    )
                )
        self.env["member.points.lot"].sudo()._member_points_merge(pairs)
        return audit

    @api.model
    def _member_merge_gifts(self, partners, dst_partner):
        """A gift given once per member (and year) to both contacts: the kept contact's grant stays.

        The grants' unique index is not a constraint Odoo's merge knows of: re-pointing both would fail.
        """
        self.env.flush_all()
        self.env.execute_query(
            SQL(
                """
                DELETE FROM member_benefit_grant WHERE id IN (
                    SELECT id FROM (
                        SELECT id, ROW_NUMBER() OVER (PARTITION BY benefit_id, year
                                                      ORDER BY partner_id = %s DESC, id) AS n
                          FROM member_benefit_grant WHERE partner_id = ANY(%s)
                    ) dup WHERE dup.n > 1)
                """,
                dst_partner.id,
                partners.ids,
            )
        )
