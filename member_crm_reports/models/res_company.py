from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError

# who may read and write the liability settings: they drive journal entries
LIABILITY_GROUPS = "account.group_account_manager,base.group_system"
LIABILITY_FIELDS = (
    "member_liability_enabled",
    "member_point_value",
    "member_breakage_percent",
    "member_liability_include_pending",
    "member_liability_account_id",
    "member_liability_expense_account_id",
    "member_liability_opening_account_id",
    "member_liability_journal_id",
    "member_liability_start",
)

LIABILITY_POLICY_HELP = (
    "Policy: a provision remeasured each month. At each month end the outstanding points of the member program "
    "are valued (value per point × (1 − breakage %)) and one entry brings the liability account to that value, "
    "against the counter-account (the points that predate go-live against the opening account). Deferring "
    "revenue at the sale as IFRS 15 / CAS 14 describe (a separate performance obligation) is not implemented."
)


class ResCompany(models.Model):
    _inherit = "res.company"

    member_liability_enabled = fields.Boolean(
        string="Points Liability Entries",
        help=LIABILITY_POLICY_HELP,
        groups=LIABILITY_GROUPS,
    )
    member_point_value = fields.Float(
        string="Value per Point",
        digits=(16, 6),
        help="Value of one point of the member program, in the company's currency (the cost of the reward it "
        "buys). Required when the liability entries are on.",
        groups=LIABILITY_GROUPS,
    )
    member_breakage_percent = fields.Float(
        string="Breakage (%)",
        digits=(16, 2),
        help="Share of the outstanding points expected never to be used: the liability is valued without it.",
        groups=LIABILITY_GROUPS,
    )
    member_liability_include_pending = fields.Boolean(
        string="Include Pending Points",
        help="Count the points still waiting for the return window in the liability (they are shown apart anyway).",
        groups=LIABILITY_GROUPS,
    )
    member_liability_account_id = fields.Many2one(
        "account.account",
        string="Points Liability Account",
        check_company=True,
        domain="[('account_type', 'in', ('liability_current', 'liability_non_current'))]",
        groups=LIABILITY_GROUPS,
    )
    member_liability_expense_account_id = fields.Many2one(
        "account.account",
        string="Points Counter-Account",
        check_company=True,
        help="Expense (or contra-revenue) account the monthly change of the liability is booked against.",
        groups=LIABILITY_GROUPS,
    )
    member_liability_opening_account_id = fields.Many2one(
        "account.account",
        string="Points Opening Account",
        check_company=True,
        help="Account the points that predate go-live are booked against in the first month (often equity).",
        groups=LIABILITY_GROUPS,
    )
    member_liability_journal_id = fields.Many2one(
        "account.journal",
        string="Points Liability Journal",
        check_company=True,
        domain="[('type', '=', 'general')]",
        groups=LIABILITY_GROUPS,
    )
    member_liability_start = fields.Date(
        string="Liability Go-Live",
        help="First month provisioned: points earned before it are booked against the opening account.",
        groups=LIABILITY_GROUPS,
    )

    def write(self, vals):
        self._member_liability_check_write(vals)
        if self._member_liability_accountant_write(vals):
            # sudo: writing a company needs Access Rights (res.company's access lines); an accounting
            # administrator sets these settings, only these, of their own companies (checked above and there)
            return super(ResCompany, self.sudo()).write(vals)
        return super().write(vals)

    def _member_liability_accountant_write(self, vals):
        """Whether this write is an accounting administrator setting only the liability settings of companies of
        theirs (Odoo's company access lines give writing a company to Access Rights only)."""
        return (
            not self.env.su
            and bool(vals)
            and vals.keys() <= set(LIABILITY_FIELDS)
            and self.env.user.has_group("account.group_account_manager")
            and not self - self.env.user.company_ids
        )

    def action_member_liability_settings(self):
        """The current company's liability settings, for accounting administrators (Members > Reporting)."""
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Points Liability Settings"),
            "res_model": "res.company",
            "res_id": self.env.company.id,
            "view_mode": "form",
            "views": [(self.env.ref("member_crm_reports.view_company_form_member_liability_settings").id, "form")],
            "target": "current",
        }

    def _member_liability_check_write(self, vals):
        """Refuse the liability settings to anyone but accounting managers and system administrators."""
        if self.env.su or not set(LIABILITY_FIELDS) & vals.keys():
            return
        user = self.env.user
        if not (user.has_group("account.group_account_manager") or user.has_group("base.group_system")):
            raise AccessError(self.env._("Only an accounting administrator can change the points liability settings."))

    # the member program too: the liability counts its cards (clearing it while the entries are on is refused)
    @api.constrains(*LIABILITY_FIELDS, "member_loyalty_program_id")
    def _check_member_liability(self):
        for company in self:
            if not 0 <= company.member_breakage_percent < 100:
                raise ValidationError(self.env._("The breakage must be between 0 and 100 %."))
            if company.member_point_value < 0:
                raise ValidationError(self.env._("The value of a point cannot be negative."))
            company._member_liability_check_accounts(ValidationError)
            if company.member_liability_enabled:
                company._member_liability_check_settings(ValidationError)

    def _member_liability_check_settings(self, error=ValidationError):
        """Raise ``error`` naming the first liability setting of this company that is missing."""
        self.ensure_one()
        missing = [
            (not self.member_point_value, self.env._("the value per point")),
            (not self.member_liability_account_id, self.env._("the points liability account")),
            (not self.member_liability_expense_account_id, self.env._("the counter-account")),
            (not self.member_liability_opening_account_id, self.env._("the opening account")),
            (not self.member_liability_journal_id, self.env._("the journal")),
            (not self.member_liability_start, self.env._("the go-live month")),
            (not self.member_loyalty_program_id, self.env._("the member points program")),
        ]
        names = [name for is_missing, name in missing if is_missing]
        if names:
            raise error(
                self.env._(
                    "Points liability of %(company)s: set %(settings)s in the Members settings.",
                    company=self.name,
                    settings=", ".join(names),
                )
            )
        self._member_liability_check_accounts(error)
        if self.member_liability_journal_id.type != "general":
            raise error(self.env._("The points liability journal must be a miscellaneous (general) journal."))

    def _member_liability_check_accounts(self, error=ValidationError):
        """Raise ``error`` when the liability account is no liability or two of the three accounts are the same."""
        self.ensure_one()
        accounts = [
            account
            for account in (
                self.member_liability_account_id,
                self.member_liability_expense_account_id,
                self.member_liability_opening_account_id,
            )
            if account
        ]
        if self.member_liability_account_id and self.member_liability_account_id.account_type not in (
            "liability_current",
            "liability_non_current",
        ):
            raise error(
                self.env._(
                    "Points liability of %(company)s: the points liability account must be a current or non-current "
                    "liability account.",
                    company=self.name,
                )
            )
        # accounts are shared through company_ids in 19, a journal has one company: theirs or a parent's
        foreign = [account for account in accounts if not account.sudo().company_ids & self.parent_ids]
        journal = self.member_liability_journal_id
        if foreign or (journal and journal.sudo().company_id not in self.parent_ids):
            raise error(
                self.env._(
                    "Points liability of %(company)s: the accounts and the journal must be the company's.",
                    company=self.name,
                )
            )
        if len(set(accounts)) != len(accounts):
            raise error(
                self.env._(
                    "Points liability of %(company)s: the liability, counter and opening accounts must be three "
                    "different accounts.",
                    company=self.name,
                )
            )
