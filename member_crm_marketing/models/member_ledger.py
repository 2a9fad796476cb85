from odoo import api, models


class MemberLedger(models.Model):
    _inherit = "member.ledger"

    @api.model
    def _selection_source_models(self):
        # a ticket's satisfaction answers (its rating, its NPS answer) are one feedback row with the ticket as source
        return [*super()._selection_source_models(), ("member.complaint", self.env._("Complaint"))]

    @api.model
    def _member_record_members_feedback(self, feedback):
        """Feedback of members only: ``_member_record_feedback`` for the rows whose partner is an active member.

        ``feedback``: (commercial partner id, company id, local date, source model, source id) rows.
        Feedback never enrols anybody, even with "Enrol on First Order" on (the writer's instant check
        would enrol a non-member, or reactivate an ended membership): the rows of non-members are not
        recorded at all.
        """
        rows = list(feedback)
        if not rows:
            return []
        # sudo: the rater (a public visitor, a portal member) has no rights on memberships or the ledger
        memberships = (
            self.env["member.membership"]
            .sudo()
            .search(
                [
                    ("partner_id", "in", list({row[0] for row in rows})),
                    ("company_id", "in", list({row[1] for row in rows})),
                    ("state", "=", "active"),
                ]
            )
        )
        members = {(m.partner_id.id, m.company_id.id) for m in memberships}
        rows = [row for row in rows if (row[0], row[1]) in members]
        return self.sudo()._member_record_feedback(rows) if rows else []
