import ast

from odoo import api, fields, models


class MemberServiceTeam(models.Model):
    """A service team: its agents, its leader (who gets the escalations), its working hours and its email alias.

    The alias works as ``crm.team``'s: an email to it opens a complaint of the team
    (``mail.alias.mixin``, defaults ``team_id`` and ``company_id``).
    """

    _name = "member.service.team"
    _description = "Member Service Team"
    _inherit = ["mail.alias.mixin", "mail.thread"]
    _order = "sequence, name, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company, tracking=True
    )
    leader_id = fields.Many2one(
        "res.users",
        string="Team Leader",
        check_company=True,
        domain=[("share", "=", False)],
        tracking=True,
        help="Receives an activity when a ticket of the team misses its response or resolution deadline.",
    )
    member_ids = fields.Many2many(
        "res.users",
        "member_service_team_user_rel",
        "team_id",
        "user_id",
        string="Agents",
        check_company=True,
        domain=[("share", "=", False)],
    )
    resource_calendar_id = fields.Many2one(
        "resource.calendar",
        string="Working Hours",
        check_company=True,
        help="Deadlines count these hours and their public holidays; empty: the company's working hours.",
    )
    complaint_ids = fields.One2many("member.complaint", "team_id", string="Tickets")
    open_count = fields.Integer(string="Open Tickets", compute="_compute_open_count")

    def _compute_open_count(self):
        counts = dict(
            self.env["member.complaint"]._read_group(
                [("team_id", "in", self.ids), ("stage_id.is_closed", "=", False)], ["team_id"], ["__count"]
            )
        )
        for team in self:
            team.open_count = counts.get(team, 0)

    def _member_calendar(self):
        """The calendar deadlines are counted on: the team's, else its company's."""
        self.ensure_one()
        return self.resource_calendar_id or self.company_id.resource_calendar_id

    # ------------------------------------------------------------------
    # alias (as crm.team / project.project)
    # ------------------------------------------------------------------
    def _alias_get_creation_values(self):
        values = super()._alias_get_creation_values()
        values["alias_model_id"] = self.env["ir.model"]._get_id("member.complaint")
        if self.id:
            values["alias_defaults"] = defaults = ast.literal_eval(self.alias_defaults or "{}")
            defaults["team_id"] = self.id
            defaults["company_id"] = self.company_id.id
        return values

    def write(self, vals):
        res = super().write(vals)
        if "company_id" in vals:
            for team in self.filtered("alias_id"):
                # the alias opens tickets in the team's company: follow it (crm.team does the same for its flags)
                team.alias_id.sudo().alias_defaults = team._alias_get_creation_values()["alias_defaults"]
        return res

    @api.model
    def _member_default_team(self, company):
        """The team a new ticket of ``company`` goes to: one the user belongs to, else the first one."""
        # sudo: a ticket gets its default team whoever opens it (portal and POS users do not read teams)
        teams = self.sudo().search([("company_id", "=", company.id)])
        mine = teams.filtered(lambda t: self.env.user in t.member_ids or t.leader_id == self.env.user)
        return (mine[:1] or teams[:1]).with_env(self.env)

    def action_view_complaints(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("member_crm_marketing.member_complaint_action")
        action["domain"] = [("team_id", "=", self.id)]
        action["context"] = {"default_team_id": self.id, "default_company_id": self.company_id.id}
        return action
