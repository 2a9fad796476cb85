import { _t } from "@web/core/l10n/translation";
import { patch } from "@web/core/utils/patch";
import { PosOrder } from "@point_of_sale/app/models/pos_order";

const { DateTime } = luxon;

function isoDate(value) {
    if (!value) {
        return false;
    }
    return typeof value === "string" ? value.slice(0, 10) : value.toISODate();
}

patch(PosOrder.prototype, {
    /** The customer's membership summary (res.partner.pos_member_data), false for non-members. */
    getMemberData() {
        return this.getPartner()?.pos_member_data || false;
    },
    /**
     * The member's card of the company's member points program, as pos_loyalty keeps it in the
     * till: fetched when the member is picked, its points set from the server once an order is
     * validated (PosStore.postProcessLoyalty). Undefined while pos_loyalty has not loaded it.
     */
    getMemberCard() {
        const member = this.getMemberData();
        if (!member || !member.program_id) {
            return undefined;
        }
        const cards = this.models["loyalty.card"];
        const partnerId = this.getPartner().id;
        return (
            (member.card_id && cards.get(member.card_id)) ||
            // a first order creates the card: pos_loyalty then loads it under its new id
            cards.find(
                (card) =>
                    card.id > 0 &&
                    card.program_id?.id === member.program_id &&
                    card.partner_id?.id === partnerId
            )
        );
    },
    /** Spendable points: pos_loyalty's live card, else the figure loaded with the partner. */
    getMemberPoints() {
        const card = this.getMemberCard();
        return card ? card.points : this.getMemberData().points || 0;
    },
    /**
     * The balance this order left on the card, known once the server confirmed it (set after the
     * sync, see PosStore.memberAfterSync); undefined for an order paid offline or reprinted later.
     */
    getMemberPointsAfter() {
        return this.uiState?.memberPointsAfter;
    },
    /** The till only estimates the bonus: the server computes it when the order is paid. */
    getMemberBonusEstimate() {
        const member = this.getMemberData();
        if (!member || !member.bonus_factor || this.priceExcl <= 0) {
            return 0;
        }
        return Math.round(member.bonus_factor * this.priceExcl * 100) / 100;
    },
    /** Messages for products reserved to a higher tier until a date (checked before payment). */
    getMemberEarlyAccessBlocked() {
        const member = this.getMemberData();
        const level = member ? member.tier_level : null;
        const today = DateTime.now().toISODate();
        const messages = [];
        for (const line of this.lines) {
            const template = line.getProduct()?.product_tmpl_id;
            const until = isoDate(template?.member_early_until);
            const required = template?.member_early_tier_level;
            if (!until || !template.member_early_tier_level || today > until) {
                continue;
            }
            if (level === null || level === undefined || level < required) {
                messages.push(
                    _t("%(product)s is reserved to members of a higher tier until %(date)s.", {
                        product: template.display_name,
                        date: until,
                    })
                );
            }
        }
        return messages;
    },
});
