from odoo import fields, models


class MemberComplaintStage(models.Model):
    """Stages of complaints and inquiries, shared by all teams (or one company's own).

    Two flags drive the service-level clock: a *waiting* stage ("waiting for the
    customer") pauses it, a *closed* stage stops it. As in project and helpdesk, a
    stage may send an automatic mail when a ticket reaches it: that post is never
    the ticket's first response.
    """

    _name = "member.complaint.stage"
    _description = "Complaint Stage"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    fold = fields.Boolean(string="Folded in Kanban")
    is_waiting = fields.Boolean(
        string="Waiting for Customer",
        help="The service-level clock stops while a ticket is in this stage: "
        "its open deadlines move by the working hours it waited.",
    )
    is_closed = fields.Boolean(string="Closed", help="Tickets in this stage are solved or cancelled.")
    is_cancelled = fields.Boolean(
        string="Cancelled",
        help="Tickets closed in this stage were not handled (duplicates, spam): no satisfaction request is sent.",
    )
    template_id = fields.Many2one(
        "mail.template",
        string="Automatic Email",
        domain=[("model", "=", "member.complaint")],
        help="Sent to the customer when a ticket reaches this stage. It does not count as the response.",
    )
    company_id = fields.Many2one("res.company", index=True, help="Leave empty to share the stage between companies.")
