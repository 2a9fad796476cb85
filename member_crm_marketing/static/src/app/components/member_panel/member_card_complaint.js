import { useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { patch } from "@web/core/utils/patch";
import { useService } from "@web/core/utils/hooks";
import { RPCError } from "@web/core/network/rpc";
import { AlertDialog } from "@web/core/confirmation_dialog/confirmation_dialog";
import { usePos } from "@point_of_sale/app/hooks/pos_hook";
import { MemberPanel } from "@member_crm/app/components/member_panel/member_panel";

/**
 * "New complaint" in the member panel: the cashier notes the customer's complaint or inquiry and the
 * server (member.complaint.pos_member_complaint) opens a ticket with channel "Point of Sale" for this
 * customer, from the cashier's open register; the service team takes it from there.
 */
patch(MemberPanel.prototype, {
    setup() {
        super.setup(...arguments);
        this.pos = usePos();
        this.notification = useService("notification");
        this.complaintDialog = useService("dialog");
        this.complaint = useState({ open: false, busy: false, name: "", type: "complaint", description: "" });
    },
    get complaintTypes() {
        return [
            { key: "complaint", label: _t("Complaint") },
            { key: "inquiry", label: _t("Inquiry") },
        ];
    },
    resetComplaint() {
        Object.assign(this.complaint, { open: false, name: "", type: "complaint", description: "" });
    },
    async submitComplaint() {
        const partner = this.props.order.getPartner();
        this.complaint.busy = true;
        try {
            const ticket = await this.pos.data.call("member.complaint", "pos_member_complaint", [
                this.pos.config.id,
                partner.id,
                {
                    name: this.complaint.name,
                    complaint_type: this.complaint.type,
                    description: this.complaint.description,
                },
            ]);
            this.notification.add(_t("Ticket %s opened for the service team.", ticket.name), {
                type: "success",
            });
            this.resetComplaint();
        } catch (error) {
            if (!(error instanceof RPCError)) {
                throw error;
            }
            this.complaintDialog.add(AlertDialog, {
                title: _t("Ticket not opened"),
                body: error.data?.message || error.message,
            });
        } finally {
            this.complaint.busy = false;
        }
    },
});
