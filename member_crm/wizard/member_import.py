"""Migration import of members from another system's CSV or XLSX export.

``engine.member_import`` reads, maps and validates the file (no Odoo); this
wizard matches the rows with existing contacts and members and writes the
valid rows, set-based, in the one transaction of the button:

- contacts: new ones created in batches; existing ones (matched by member
  number, phone or email) only get the fields they lack, never overwritten;
- memberships: the file's member number, or the company's sequence (reserved
  in one statement); the sequence then jumps past the imported numbers;
- opening tier from the mapping of the old system's level names, with the
  tier's keep period (then the periodic review judges the member);
- historical spend and order count as one "opening" ledger entry per member,
  dated on the as-of date the user chooses (a lifetime total must not count
  as bought today);
- opening points through the points writer: an "opening" lot, a
  ``loyalty.history`` line and an "opening" points move on the member's card
  of the company's member program: they age and expire like any other points;
- ID and passport numbers encrypted (``member.sensitive.value``);
- the member profile: gender, occupation (the contact's job position) and
  notes, which go into the contact's notes as text (``plaintext2html``: the
  HTML field then shows them, never renders or runs them);
- member since: the file's date (with or without a time of day); a new member
  whose file gives none is marked "member since unknown" and dated on the
  as-of date (else the day of the import), so that reports counting new
  members by ``member_since`` leave them out; a later import that gives the
  date sets it.

Nothing is dropped silently: a column that holds data but is imported as
nothing is named by the dry run ("not imported: ...") and the import refuses
to run until each such column is mapped or ticked "ignore".

Security: each user sees only their own uploads (record rules: Odoo 19 gives
transient models none); the file and the column samples are cleared once the
import is applied or discarded, and samples of ID numbers are masked. Columns
that mint value (level, points, spend, orders) or carry identity documents
(ID, passport) are for members managers only; a level's tier must belong to
the wizard's company. Every member the import changes gets an audit line
saying what changed, from what to what (no personal data in it).

Every write is keyed (ledger and points lots by membership, memberships by
partner and company), so importing the same file again changes nothing. The
dry run does everything but write. Base_import is not used: it would create
one contact per row with one savepoint each and could not write the ledger,
lots and cards that make a member.
"""

import base64
import csv
import io
import re
from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, email_normalize, is_html_empty, plaintext2html

from ..engine import cells
from ..engine import member_import as engine
from ..models.member_import_preset import TARGET_SELECTION
from ..tools.bulk import bulk_create
from ..tools.trusted import POINTS_INTERNAL, trusted

# problems listed on screen; the downloadable CSV has them all
SHOWN_PROBLEMS = 2000
# no chatter for records the import creates by the thousand
QUIET = {"tracking_disable": True, "mail_create_nolog": True, "mail_create_nosubscribe": True, "mail_notrack": True}
PARTNER_FIELDS = {
    "name": "name",
    "phone": "phone",
    "email": "email",
    "gender": "gender",
    "birthdate": "birthdate_date",
    "occupation": "function",
    "street": "street",
    "city": "city",
    "zip": "zip",
    "notes": "comment",
}
SENSITIVE = {"id_number": "cn_id_number", "passport_number": "passport_number"}
# columns only members managers may import: they mint value (tiers, points, qualifying spend) or carry
# identity documents
MANAGER_TARGETS = ("level", "points", "spend", "orders", "id_number", "passport_number")
MANAGER_GROUP = "member_crm.group_member_crm_manager"


def _number(value):
    """120.0 -> "120", 3500.5 -> "3500.5": figures in audit lines."""
    return f"{float(value):.2f}".rstrip("0").rstrip(".")


class MemberImport(models.TransientModel):
    _name = "member.import"
    _description = "Import Members"

    # not required: cleared once the import is applied (the button checks a file is there)
    file = fields.Binary(attachment=False)
    filename = fields.Char()
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, readonly=True)
    preset_id = fields.Many2one(
        "member.import.preset", string="Mapping Preset", domain="[('company_id', '=', company_id)]"
    )
    state = fields.Selection(
        [("upload", "Upload"), ("map", "Map Columns"), ("checked", "Checked"), ("done", "Imported")],
        default="upload",
        required=True,
    )
    encoding = fields.Char(readonly=True)
    column_ids = fields.One2many("member.import.column", "wizard_id", string="Columns")
    level_ids = fields.One2many("member.import.level", "wizard_id", string="Levels")
    spend_as_of = fields.Date(
        string="Spend and Orders As Of",
        help="The historical spend and order count of the file are recorded on this date: inside the qualification "
        "window they count for tiers, before it they do not. New members whose row gives no joining date get this "
        "date as Member Since, marked unknown (reports of new members leave them out).",
    )
    strict = fields.Boolean(help="Refuse the whole file if any row has a problem.")
    orm_create = fields.Boolean(
        string="Create Contacts One by One",
        help="New contacts are inserted in bulk, with Odoo's defaults and computed fields, but without the create() "
        "overrides of other modules. If your database relies on such an override for contacts (an integration, "
        "an automated action on creation), tick this: the import is then about as slow as Odoo's own import.",
    )
    issue_ids = fields.One2many("member.import.issue", "wizard_id", string="Problems", readonly=True)
    problems_file = fields.Binary(attachment=False, readonly=True)
    problems_filename = fields.Char()
    rows_total = fields.Integer(readonly=True)
    rows_valid = fields.Integer(readonly=True)
    rows_invalid = fields.Integer(readonly=True)
    rows_new = fields.Integer(string="New Contacts", readonly=True)
    rows_matched = fields.Integer(string="Existing Contacts", readonly=True)
    rows_changed = fields.Integer(string="Rows Changing Something", readonly=True)
    empty_rows = fields.Integer(readonly=True)
    not_imported = fields.Char(
        readonly=True,
        help="Columns of the file that hold data but are imported as nothing: map each, or tick Ignore.",
    )

    # ------------------------------------------------------------------
    # steps
    # ------------------------------------------------------------------
    def _member_table(self):
        self.ensure_one()
        if not self.file:
            raise UserError(self.env._("Choose the file to import."))
        max_bytes = self.company_id.member_import_max_mb * 1024 * 1024
        try:
            # the size from the base64 text: a file over the cap is not even decoded
            engine.check_size(len(self.file) * 3 // 4, max_bytes)
            return engine.read_file(base64.b64decode(self.file), self.filename or "", max_bytes=max_bytes)
        except engine.ImportFileError as error:
            raise UserError(self._member_file_message(error)) from error

    def action_analyse(self):
        """Read the header, propose the mapping (preset first) and list the old levels found."""
        self.ensure_one()
        table = self._member_table()
        preset = {line.header: line.target for line in self.preset_id.column_ids}
        mapping = engine.guess_mapping(table.header, preset)
        ignored = {engine.fold_level(line.header) for line in self.preset_id.column_ids if line.ignore}
        samples = table.rows[0][1] if table.rows else []
        self.column_ids = [(5, 0, 0)] + [
            (
                0,
                0,
                {
                    "index": index,
                    "header": header,
                    "sample": self._member_sample(samples[index] if index < len(samples) else None, mapping.get(index)),
                    "target": mapping.get(index),
                    "ignore": index not in mapping and engine.fold_level(header) in ignored,
                },
            )
            for index, header in enumerate(table.header)
        ]
        self.encoding = table.encoding
        self.not_imported = self._member_not_imported(table, mapping)
        self._member_fill_levels(table, mapping)
        self.state = "map"
        return self._member_reopen()

    @api.model
    def _member_sample(self, cell, target):
        """The first value of a column, as the mapping screen shows it: ID and passport numbers masked."""
        if cell is None:
            return ""
        if target in SENSITIVE or cells.is_id_number(cell):
            return cells.mask(str(cell).strip())[:60]
        return str(cell)[:60]

    def _member_fill_levels(self, table, mapping):
        level_index = next((i for i, t in mapping.items() if t == "level"), None)
        names = []
        if level_index is not None:
            seen = set()
            for _number, cells in table.rows:
                cell = cells[level_index] if level_index < len(cells) else None
                text = str(cell).strip() if cell is not None else ""
                if text and engine.fold_level(text) not in seen:
                    seen.add(engine.fold_level(text))
                    names.append(text)
        names = names[:200]
        proposed = engine.match_levels(names, self._member_ladder())
        # a preset's mapping wins over the names
        preset = {engine.fold_level(line.old_level): line.tier_id.id for line in self.preset_id.level_ids}
        self.level_ids = [(5, 0, 0)] + [
            (0, 0, {"old_level": name, "tier_id": preset.get(engine.fold_level(name)) or proposed.get(name, False)})
            for name in names
        ]

    def _member_ladder(self):
        """[(tier id, its names in every installed language and its code, invitation only)], lowest tier first."""
        tiers = self.env["member.tier"].search([("company_id", "=", self.company_id.id)], order="level, id")
        names = {tier.id: {tier.code} for tier in tiers}
        for lang, _name in self.env["res.lang"].get_installed():
            for tier in tiers.with_context(lang=lang):
                names[tier.id].add(tier.name)
        return [(tier.id, names[tier.id], tier.invitation_only) for tier in tiers]

    def action_dry_run(self):
        self.ensure_one()
        self._member_run(apply=False)
        self.state = "checked"
        return self._member_reopen()

    def action_apply(self):
        self.ensure_one()
        self.env["member.membership"].check_access("create")
        self._member_run(apply=True)
        self.state = "done"
        self._member_clear_upload()
        return self._member_reopen()

    def action_discard(self):
        """Close the wizard and delete the upload with it (file, samples, problems), without waiting for the
        transient vacuum."""
        self.unlink()
        return {"type": "ir.actions.act_window_close"}

    def _member_clear_upload(self):
        """The file and the column samples hold members' personal data: once imported, they go."""
        self.column_ids.write({"sample": False})
        self.write({"file": False})

    def action_save_preset(self):
        self.ensure_one()
        vals = {
            "column_ids": [(5, 0, 0)]
            + [
                (0, 0, {"header": c.header, "target": c.target, "ignore": not c.target})
                for c in self.column_ids
                if c.target or c.ignore
            ],
            "level_ids": [(5, 0, 0)]
            + [(0, 0, {"old_level": lv.old_level, "tier_id": lv.tier_id.id}) for lv in self.level_ids],
        }
        if self.preset_id:
            self.preset_id.write(vals)
        else:
            self.preset_id = self.env["member.import.preset"].create(
                {"name": self.filename or self.env._("Import preset"), "company_id": self.company_id.id, **vals}
            )
        return self._member_reopen()

    def _member_reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    # ------------------------------------------------------------------
    # validation and matching (shared by the dry run and the import)
    # ------------------------------------------------------------------
    def _member_run(self, apply):
        table = self._member_table()
        mapping = {c.index: c.target for c in self.column_ids if c.target}
        if not mapping:
            mapping = engine.guess_mapping(table.header)
        self._member_check_rights(mapping, table.header)
        # the tiers must be the wizard's company's, even if the wizard's company was written after them
        self.level_ids._check_company()
        level_map = {lv.old_level: lv.tier_id.id for lv in self.level_ids if lv.tier_id}
        try:
            rows = engine.validate(table, mapping, level_map, today=fields.Date.context_today(self))
        except engine.ImportFileError as error:
            raise UserError(self._member_file_message(error)) from error
        self.not_imported = self._member_not_imported(table, mapping)
        if apply and self.not_imported:
            raise UserError(
                self.env._(
                    "These columns hold data that would not be imported: %(columns)s. Map each to a field, or tick "
                    "Ignore for it on the Columns page, then import again.",
                    columns=self.not_imported,
                )
            )
        targets = set(mapping.values())
        self._member_check_setup(targets)
        plan = self._member_match([row for row in rows if row.valid])
        invalid = [row for row in rows if not row.valid]
        problems = [p for row in invalid for p in row.problems]
        if apply and self.strict and problems:
            raise UserError(
                self.env._(
                    "Strict mode: %(count)s row(s) have problems, nothing was imported. The first: %(first)s",
                    count=len(invalid),
                    first=self._member_problem_text(problems[0]),
                )
            )
        changed = plan["changed"]
        if apply:
            changed = self._member_write(plan, targets)
        self.issue_ids = [(5, 0, 0)] + [
            (
                0,
                0,
                {
                    "row": p.row,
                    "column": self._member_column_label(p.column, mapping, table.header),
                    "reason": self._member_problem_text(p),
                },
            )
            for p in problems[:SHOWN_PROBLEMS]
        ]
        self.write(
            {
                "rows_total": len(rows),
                "rows_valid": len(rows) - len(invalid),
                "rows_invalid": len(invalid),
                "rows_new": len(plan["new"]),
                "rows_matched": len(plan["existing"]),
                "rows_changed": changed,
                "empty_rows": table.empty_rows,
                "problems_file": self._member_problems_csv(problems, mapping, table.header) if problems else False,
                "problems_filename": re.sub(r"\.[^.]*$", "", self.filename or "import") + "-problems.csv",
            }
        )
        return rows

    def _member_not_imported(self, table, mapping):
        """The headers of the columns with data that are neither mapped nor ticked "ignore" (False: none)."""
        ignored = {column.index for column in self.column_ids if column.ignore}
        missing = [index for index in engine.unmapped_columns(table, mapping) if index not in ignored]
        return (
            ", ".join(table.header[index] or self.env._("column %(number)s", number=index + 1) for index in missing)
            or False
        )

    def _member_check_rights(self, mapping, header):
        """Levels, points, spend, orders, ID and passport numbers: members managers only (MANAGER_TARGETS)."""
        restricted = sorted((index, target) for index, target in mapping.items() if target in MANAGER_TARGETS)
        if not restricted or self.env.user.has_group(MANAGER_GROUP):
            return
        labels = self._member_target_labels()
        raise AccessError(
            self.env._(
                "Only members managers can import levels, points, spend, order counts, ID and passport numbers. "
                "Unmap these columns and tick Ignore for them to import the rest of the file: %(columns)s",
                columns=", ".join(
                    f"{header[index] if index < len(header) else index} ({labels.get(target, target)})"
                    for index, target in restricted
                ),
            )
        )

    def _member_target_labels(self):
        """{target: label in the user's language}."""
        return dict(self.env["member.import.column"]._fields["target"]._description_selection(self.env))

    def _member_check_setup(self, targets):
        company = self.company_id
        if {"spend", "orders"} & targets and not self.spend_as_of:
            raise UserError(self.env._("Choose the date the historical spend and orders are recorded on."))
        if "points" in targets and not company.member_loyalty_program_id:
            raise UserError(
                self.env._(
                    "The file has points: choose the member points program of %(company)s first "
                    "(Members > Configuration > Settings).",
                    company=company.name,
                )
            )
        if set(SENSITIVE) & targets and not self.env["member.sensitive.value"]._member_keyring().current:
            raise UserError(
                self.env._(
                    "The file has ID or passport numbers, but there is no encryption key in the Odoo configuration "
                    "file: they cannot be stored safely. Nothing was imported."
                )
            )
        if not company.member_crm_enabled:
            raise UserError(
                self.env._(
                    "Turn membership on for %(company)s first (Members > Configuration > Settings).",
                    company=company.name,
                )
            )

    def _member_match(self, rows):
        """Match valid rows with existing members and contacts: four queries whatever the size.

        Returns {"new": [row], "existing": [(row, partner id, membership id or None)], "changed": int}.
        A row whose keys point at two different contacts, or at a member with another number, is turned
        into an invalid row with its reason.
        """
        candidates = self._member_candidates(rows)
        matched_ids = {pid for ids in candidates.values() if len(ids) == 1 for pid in ids}
        membership_of = {
            partner_id: (mid, number)
            for mid, partner_id, number in self._member_company_memberships("partner_id", list(matched_ids))
        }
        plan = {"new": [], "existing": [], "changed": 0}
        first_row_of = {}  # partner id -> the row that matched it first
        for row in rows:
            found = candidates[row.number]
            if row.problems:
                continue
            if not found:
                plan["new"].append(row)
                continue
            partner_id = next(iter(found))
            first = first_row_of.setdefault(partner_id, row.number)
            mid, number = membership_of.get(partner_id, (None, None))
            wanted = row.values.get("member_number")
            if first != row.number:
                row.problems.append(engine.Problem(row.number, "", "same_contact", {"row": first}))
            elif mid and wanted and number != wanted:
                row.problems.append(engine.Problem(row.number, "member_number", "other_number", {"number": number}))
            else:
                plan["existing"].append((row, partner_id, mid))
        plan["changed"] = len(plan["new"]) + sum(1 for _r, _p, mid in plan["existing"] if not mid)
        return plan

    def _member_company_memberships(self, column, values):
        """(id, partner id, number) of the company's memberships whose ``column`` is in ``values``."""
        if not values:
            return []
        return self.env.execute_query(
            SQL(
                "SELECT id, partner_id, number FROM member_membership WHERE company_id = %s AND %s = ANY(%s)",
                self.company_id.id,
                SQL.identifier(column),
                values,
            )
        )

    def _member_candidates(self, rows):
        """{row number: {partner ids}} the row's member number, phone and email point at."""
        numbers = [r.values["member_number"] for r in rows if "member_number" in r.values]
        by_number = {number: pid for _mid, pid, number in self._member_company_memberships("number", numbers)}
        Partner = self.env["res.partner"].with_context(active_test=False)
        indexes = {}
        for key, field in (("phone", "phone_sanitized"), ("email", "email_normalized")):
            wanted = [r.values[key] for r in rows if key in r.values]
            indexes[key] = defaultdict(set)
            for partner in Partner.search_fetch([(field, "in", wanted)], [field]) if wanted else []:
                indexes[key][partner[field]].add(partner.id)
        candidates = {}
        for row in rows:
            found = {by_number[row.values["member_number"]]} if row.values.get("member_number") in by_number else set()
            for key, index in indexes.items():
                ids = index.get(row.values.get(key), set())
                if len(ids) > 1 and not found & ids:
                    row.problems.append(engine.Problem(row.number, key, "ambiguous_contact", {"count": len(ids)}))
                found |= ids if len(ids) == 1 or found & ids else set()
            if not row.problems and len(found) > 1:
                row.problems.append(engine.Problem(row.number, "", "several_contacts", {"count": len(found)}))
            candidates[row.number] = found
        return candidates

    # ------------------------------------------------------------------
    # writing
    # ------------------------------------------------------------------
    def _member_write(self, plan, targets):
        """Write the plan; returns the number of rows that changed something."""
        company = self.company_id
        today = fields.Date.context_today(self)
        self.env["res.partner"].check_access("create")
        new_rows = plan["new"]
        # what the matched members were before, for the audit trail
        before = self._member_audit_state([partner_id for _r, partner_id, _m in plan["existing"]])
        if self.orm_create:
            # the database relies on create() overrides of other modules for contacts: slower, as base_import
            created = (
                self.env["res.partner"]
                .with_context(**QUIET)
                .create([self._member_partner_vals(row.values, computed=False) for row in new_rows])
            )
        else:
            # one INSERT per batch (tools.bulk): ORM create costs as much per contact as base_import does
            created = bulk_create(
                self.env["res.partner"],
                [self._member_partner_vals(row.values) for row in new_rows],
                self_refs=["commercial_partner_id"],  # a person without a company is their own commercial entity
            )
        partner_of = dict(zip((row.number for row in new_rows), created.ids, strict=True))  # row number -> partner
        changed_rows = {row.number for row in new_rows}
        filled = self._member_fill_existing(plan["existing"])
        changed_rows |= set(filled)
        for row, partner_id, _mid in plan["existing"]:
            partner_of[row.number] = partner_id
        all_rows = new_rows + [row for row, _p, _m in plan["existing"]]
        membership_of, created_members = self._member_memberships(all_rows, partner_of, today)
        changed_rows |= {row.number for row in all_rows if membership_of[row.number] in created_members}
        since_rows = self._member_known_since(all_rows, membership_of, created_members)
        changed_rows |= since_rows
        changed_rows |= self._member_opening_tiers(all_rows, membership_of, created_members)
        ledger_rows = set()
        if {"spend", "orders"} & targets:
            ledger_rows = self._member_opening_ledger(all_rows, partner_of, membership_of)
            changed_rows |= ledger_rows
        self._member_place_new(created_members)
        if "points" in targets:
            changed_rows |= self._member_opening_points(all_rows, partner_of, membership_of, today)
        stored = {}
        if set(SENSITIVE) & targets:
            stored = self._member_sensitive(all_rows, partner_of)
            changed_rows |= set(stored)
        after = self._member_audit_state(list(set(partner_of.values())))
        changes = {
            "new": {row.number for row in new_rows},
            "filled": filled,
            "ledger": ledger_rows,
            "stored": stored,
            "since": since_rows,
        }
        summary = {
            "company_id": company.id,
            "description": self.env._(
                "%(file)s: %(new)s new contacts, %(existing)s existing, %(changed)s rows changed something",
                file=self.filename or "",
                new=len(new_rows),
                existing=len(plan["existing"]),
                changed=len(changed_rows),
            ),
        }
        # one create for the file's line and one line per member changed
        self.env["member.audit.log"]._member_log(
            "import",
            [summary] + self._member_audit_entries(all_rows, partner_of, membership_of, before, after, changes),
        )
        return len(changed_rows)

    def _member_audit_state(self, partner_ids):
        """{partner id: {"number", "tier", "points"}} of the wizard company's members among ``partner_ids``.

        sudo: read for the audit trail only, on the file's contacts in the wizard's company (an officer
        importing contacts may not read cards).
        """
        if not partner_ids:
            return {}
        self.env.flush_all()
        Membership = self.env["member.membership"].sudo()
        Membership.invalidate_model(["number", "tier_id"])
        state = {
            membership.partner_id.id: {"number": membership.number, "tier": membership.tier_id.name, "points": 0.0}
            for membership in Membership.search_fetch(
                [("company_id", "=", self.company_id.id), ("partner_id", "in", partner_ids)],
                ["partner_id", "number", "tier_id"],
            )
        }
        program = self.company_id.member_loyalty_program_id
        if program:
            Card = self.env["loyalty.card"].sudo()
            Card.invalidate_model(["points"])
            for card in Card.search_fetch(
                [("partner_id", "in", partner_ids), ("program_id", "=", program.id)], ["partner_id", "points"]
            ):
                state.setdefault(card.partner_id.id, {"number": False, "tier": False, "points": 0.0})
                state[card.partner_id.id]["points"] += card.points
        return state

    def _member_audit_entries(self, rows, partner_of, membership_of, before, after, changes):
        """One audit line per member the import changed: what, from what, to what (no personal data)."""
        Partner = self.env["res.partner"]
        none = self.env._("none")
        entries = []
        for row in rows:
            partner_id = partner_of[row.number]
            old, new = before.get(partner_id, {}), after.get(partner_id, {})
            parts = []
            if row.number in changes["new"]:
                parts.append(self.env._("new contact"))
            if new.get("number") and not old.get("number"):
                parts.append(self.env._("member number set: %(number)s", number=new["number"]))
            if (old.get("tier") or False) != (new.get("tier") or False):
                parts.append(
                    self.env._("tier %(old)s -> %(new)s", old=old.get("tier") or none, new=new.get("tier") or none)
                )
            old_points, new_points = old.get("points") or 0.0, new.get("points") or 0.0
            if round(old_points - new_points, 2):
                parts.append(self.env._("points %(old)s -> %(new)s", old=_number(old_points), new=_number(new_points)))
            if changes["filled"].get(row.number):
                labels = [Partner._fields[name]._description_string(self.env) for name in changes["filled"][row.number]]
                parts.append(self.env._("contact fields filled: %(fields)s", fields=", ".join(labels)))
            if row.number in changes["since"]:
                parts.append(self.env._("member since date set (was unknown)"))
            if row.number in changes["ledger"]:
                parts.append(
                    self.env._(
                        "historical spend recorded: %(spend)s, %(orders)s orders",
                        spend=_number(row.values.get("spend") or 0),
                        orders=row.values.get("orders") or 0,
                    )
                )
            if changes["stored"].get(row.number):
                parts.append(
                    self.env._("stored encrypted: %(fields)s", fields=", ".join(changes["stored"][row.number]))
                )
            if parts:
                entries.append(
                    {
                        "company_id": self.company_id.id,
                        "partner_id": partner_id,
                        "res_model": "member.membership",
                        "res_id": membership_of[row.number],
                        "description": "; ".join(parts),
                    }
                )
        return entries

    @api.model
    def _member_partner_vals(self, values, computed=True):
        """A new person's values, with the stored computed fields the import already knows in their final form.

        The engine normalised the email (lower case) and the phone (E.164), as Odoo's email_normalize and
        phone_validation do; a person without a parent, company or company name is named as written, shares no
        user account and inherits no salesperson, company name, registry or properties. ``test_member_bulk``
        compares such contacts with ORM-created ones, column by column.
        """
        vals = self._member_contact_vals(values)
        if not computed:
            return {**vals, "company_id": False}
        vals.update(
            company_id=False,
            complete_name=vals["name"],
            email_normalized=email_normalize(vals.get("email"), strict=False) or False,
            phone_sanitized=vals.get("phone") or False,
            partner_share=True,
            # base computes that follow a parent or a company, which an imported person has not
            user_id=False,
            commercial_company_name=False,
            company_registry=False,
            properties=False,
        )
        return vals

    @api.model
    def _member_contact_vals(self, values):
        """The contact's fields of a row; notes become HTML text (escaped: nothing in them is rendered or run)."""
        vals = {field: values[key] for key, field in PARTNER_FIELDS.items() if key in values}
        if "comment" in vals:
            vals["comment"] = plaintext2html(vals["comment"])
        return vals

    def _member_fill_existing(self, existing):
        """Existing contacts get the fields they lack; nothing they have is overwritten.

        Returns {row number: [contact fields filled]}.
        """
        if not existing:
            return {}
        names = list(PARTNER_FIELDS.values())
        partners = self.env["res.partner"].with_context(active_test=False).browse([p for _r, p, _m in existing])
        current = {p["id"]: p for p in partners.read(names, load=None)}
        changed = {}
        writes = defaultdict(list)  # frozen vals -> partner ids
        for row, partner_id, _mid in existing:
            have = current[partner_id]
            vals = {
                field: value
                for field, value in self._member_contact_vals(row.values).items()
                if field != "name" and (is_html_empty(have[field]) if field == "comment" else not have[field])
            }
            if vals:
                writes[tuple(sorted(vals.items()))].append(partner_id)
                changed[row.number] = sorted(vals)
        for vals, ids in writes.items():
            partners.browse(ids).with_context(tracking_disable=True).write(dict(vals))
        return changed

    def _member_memberships(self, rows, partner_of, today):
        """{row number: membership id} and the ids created; new members get the file's or the sequence's number."""
        company = self.company_id
        partner_ids = list({partner_of[row.number] for row in rows})
        existing = (
            dict(
                self.env.execute_query(
                    SQL(
                        "SELECT partner_id, id FROM member_membership WHERE company_id = %s AND partner_id = ANY(%s)",
                        company.id,
                        partner_ids,
                    )
                )
            )
            if partner_ids
            else {}
        )
        missing = [row for row in rows if partner_of[row.number] not in existing]
        # the file's numbers first push the sequence past them, so that no drawn number equals one of them
        company._member_sequence_after(
            [row.values["member_number"] for row in missing if "member_number" in row.values]
        )
        numbers = iter(company._member_next_numbers(sum(1 for row in missing if "member_number" not in row.values)))
        vals_list = []
        for row in missing:
            number = row.values.get("member_number") or next(numbers)
            vals_list.append(
                {
                    "partner_id": partner_of[row.number],
                    "company_id": company.id,
                    "number": number,
                    # no date in the file: marked unknown, on the as-of date, never counted as joining today
                    "member_since": row.values.get("member_since") or self.spend_as_of or today,
                    "member_since_unknown": "member_since" not in row.values,
                    "tier_level": False,  # related to the tier, which the member gets below
                }
            )
        # sudo: the wizard checked the right to create memberships; the bulk insert skips the ORM's checks
        created = bulk_create(self.env["member.membership"].sudo(), vals_list).ids
        # the bulk insert skips create(): the first membership periods ("imported"), from member_since
        self.env["member.membership"].sudo().browse(created)._member_log_state(start_kind="imported")
        existing.update(zip((v["partner_id"] for v in vals_list), created, strict=True))
        self.env["member.membership"]._member_invalidate_partners()
        return {row.number: existing[partner_of[row.number]] for row in rows}, set(created)

    def _member_known_since(self, rows, membership_of, created):
        """Members imported earlier without a date get the file's date now; returns the rows that set one."""
        dated = {
            membership_of[row.number]: row
            for row in rows
            if "member_since" in row.values and membership_of[row.number] not in created
        }
        if not dated:
            return set()
        self.env["member.membership"].flush_model(["member_since_unknown"])
        unknown = [
            mid
            for (mid,) in self.env.execute_query(
                SQL(
                    "SELECT id FROM member_membership WHERE id = ANY(%s) AND member_since_unknown",
                    list(dated),
                )
            )
        ]
        by_date = defaultdict(list)
        for mid in unknown:
            by_date[dated[mid].values["member_since"]].append(mid)
        # sudo: the wizard checked the right to create memberships; member_since is not a guarded field
        Membership = self.env["member.membership"].sudo().with_context(tracking_disable=True)
        for day, ids in by_date.items():
            Membership.browse(ids).write({"member_since": day})
        return {dated[mid].number for mid in unknown}

    def _member_place_new(self, created):
        """New members still without a tier get the one their ledger earns, as an enrolment does (the base tier)."""
        if not created:
            return
        tierless = [
            mid
            for (mid,) in self.env.execute_query(
                SQL("SELECT id FROM member_membership WHERE id = ANY(%s) AND tier_id IS NULL", list(created))
            )
        ]
        self.env["member.membership"].sudo().browse(tierless)._member_place(trigger="import")

    def _member_opening_tiers(self, rows, membership_of, created):
        """The mapped tier for members without one (new or tierless): kept for the keep period, then reviewed."""
        wanted = {membership_of[row.number]: row.values["level"] for row in rows if row.values.get("level")}
        if not wanted:
            return set()
        current = dict(
            self.env.execute_query(SQL("SELECT id, tier_id FROM member_membership WHERE id = ANY(%s)", list(wanted)))
        )
        changes = [(mid, None, tier) for mid, tier in wanted.items() if not current.get(mid)]
        self.env["member.membership"].sudo()._member_apply_changes(
            changes, "import", reason=self.env._("Level %(file)s", file=self.filename or "")
        )
        moved = {mid for mid, _old, _new in changes}
        return {row.number for row in rows if membership_of[row.number] in moved}

    def _member_opening_ledger(self, rows, partner_of, membership_of):
        entries = [
            {
                "partner_id": partner_of[row.number],
                "company_id": self.company_id.id,
                "date": self.spend_as_of,
                "amount": float(row.values.get("spend") or 0),
                "order_count": row.values.get("orders") or 0,
                # keyed by membership: the same file imported again adds nothing
                "source_model": "member.membership",
                "source_id": membership_of[row.number],
                "note": self.env._("Imported from %(file)s", file=self.filename or ""),
            }
            for row in rows
            if row.values.get("spend") or row.values.get("orders")
        ]
        inserted = self.env["member.ledger"].sudo()._member_record_opening(entries)
        done = {source_id for _i, _p, _c, _m, source_id in inserted}
        return {row.number for row in rows if membership_of[row.number] in done}

    def _member_opening_points(self, rows, partner_of, membership_of, today):
        """Opening points through the points writer (lot, history line, move, balance), once per membership."""
        program = self.company_id.member_loyalty_program_id
        rows = [row for row in rows if row.values.get("points")]
        if not rows:
            return set()
        Lot = self.env["member.points.lot"].sudo()
        done = set(
            Lot.search(
                [
                    ("kind", "=", "opening"),
                    ("source_model", "=", "member.membership"),
                    ("source_id", "in", [membership_of[r.number] for r in rows]),
                ]
            ).mapped("source_id")
        )
        rows = [row for row in rows if membership_of[row.number] not in done]
        if not rows:
            return set()
        card_of = self._member_cards_of([partner_of[row.number] for row in rows], program)
        # one recordset: the writer reads the cards' partner and company in one query, not one per card
        cards = {card.id: card for card in self.env["loyalty.card"].sudo().browse(list(set(card_of.values())))}
        description = self.env._("Opening balance (import %(file)s)", file=self.filename or "")
        # migrated points send no "points reached" mail
        Lot.with_context(loyalty_no_mail=True)._member_points_earn(
            [
                {
                    "card": cards[card_of[partner_of[row.number]]],
                    "points": float(row.values["points"]),
                    "kind": "opening",
                    "description": description,
                    "source": ("member.membership", membership_of[row.number]),
                    "date": today,
                }
                for row in rows
            ]
        )
        return {row.number for row in rows}

    def _member_cards_of(self, partner_ids, program):
        """{partner id: card id} in the member program; the missing cards inserted in one statement, at 0 points.

        sudo: the member's card is created by whoever imports members, as the till creates it for a
        cashier; no creation mail (Odoo sends none either when loyalty_no_mail is set, as the addon does).
        """
        Card = self.env["loyalty.card"].sudo().with_context(**QUIET, **trusted(POINTS_INTERNAL))
        # the lookup of loyalty.card._member_cards; its creation goes card by card through create(), this one in bulk
        existing = Card._member_existing_cards([(pid, program.id) for pid in dict.fromkeys(partner_ids)])
        card_of = {pid: card.id for (pid, _program), card in existing.items()}
        missing = [pid for pid in dict.fromkeys(partner_ids) if pid not in card_of]
        codes = self._member_card_codes(Card, len(missing))
        new = bulk_create(
            Card,
            [
                {
                    "partner_id": pid,
                    "program_id": program.id,
                    "company_id": program.company_id.id,  # related to the program: known, not recomputed per card
                    "points": 0.0,  # the points writer credits the opening points
                    "code": code,
                }
                for pid, code in zip(missing, codes, strict=True)
            ],
        )
        card_of.update(zip(missing, new.ids, strict=True))
        return card_of

    @api.model
    def _member_card_codes(self, Card, count):
        """``count`` new card codes, unique in the batch and in the database.

        Odoo's ``_generate_code`` draws 7 random hex digits: one card at a time that rarely collides, but among
        100,000 cards created at once collisions are certain, and the unique index would refuse the batch.
        """
        codes = set()
        while len(codes) < count:
            while len(codes) < count:
                codes.add(Card._generate_code())
            codes -= set(Card.with_context(active_test=False).search([("code", "in", list(codes))]).mapped("code"))
        return list(codes)

    def _member_sensitive(self, rows, partner_of):
        attributes = {
            a.code: a
            for a in self.env["member.sensitive.attribute"]
            .with_context(active_test=False)
            .search([("code", "in", list(SENSITIVE.values()))])
        }
        Value = self.env["member.sensitive.value"]
        existing = {
            (v.partner_id.id, v.attribute_id.code)
            for v in Value.search(
                [("partner_id", "in", list(set(partner_of.values()))), ("company_id", "=", self.company_id.id)]
            )
        }
        vals_list, changed = [], defaultdict(list)  # row number -> names of the attributes stored
        for row in rows:
            for key, code in SENSITIVE.items():
                if key in row.values and (partner_of[row.number], code) not in existing and code in attributes:
                    vals_list.append(
                        {
                            "partner_id": partner_of[row.number],
                            "company_id": self.company_id.id,
                            "attribute_id": attributes[code].id,
                            "value": row.values[key],
                        }
                    )
                    changed[row.number].append(attributes[code].name)
        Value.create(vals_list)
        return dict(changed)

    # ------------------------------------------------------------------
    # messages (the engine gives codes; the user reads them in their language)
    # ------------------------------------------------------------------
    def _member_column_label(self, target, mapping, header):
        if not target:
            return ""
        index = next((i for i, t in mapping.items() if t == target), None)
        return (
            header[index] if index is not None and index < len(header) else dict(TARGET_SELECTION).get(target, target)
        )

    def _member_file_message(self, error):
        fields_text = ", ".join(dict(TARGET_SELECTION).get(f, f) for f in error.params.get("fields", []))
        messages = {
            "empty": self.env._("The file is empty."),
            "encoding": self.env._(
                "The file's encoding could not be recognised (UTF-8, GBK/GB18030 and UTF-16 are read)."
            ),
            "csv": self.env._("The file cannot be read as CSV: %(detail)s", detail=error.params.get("detail", "")),
            "xlsx": self.env._("The file cannot be read as XLSX: %(detail)s", detail=error.params.get("detail", "")),
            "xlsx_missing": self.env._("XLSX files need the Python package openpyxl on the server."),
            "no_header": self.env._("The first line of the file must name the columns."),
            "too_big": self.env._(
                "The file has %(size)s MB, more than the %(limit)s MB allowed (Members > Configuration > Settings).",
                size=error.params.get("size"),
                limit=error.params.get("limit"),
            ),
            "xlsx_unzipped": self.env._(
                "The XLSX file unpacks to %(size)s MB, more than the %(limit)s MB allowed.",
                size=error.params.get("size"),
                limit=error.params.get("limit"),
            ),
            "xlsx_ratio": self.env._(
                "The XLSX file unpacks to %(ratio)s times its size (at most %(limit)s): it is refused as a zip bomb.",
                ratio=error.params.get("ratio"),
                limit=error.params.get("limit"),
            ),
            "too_many_rows": self.env._(
                "The file has more than %(limit)s lines: split it.", limit=error.params.get("limit")
            ),
            "too_many_columns": self.env._(
                "The header names %(columns)s columns, more than the %(limit)s allowed.",
                columns=error.params.get("columns"),
                limit=error.params.get("limit"),
            ),
            "row_too_long": self.env._(
                "Row %(row)s is longer than %(limit)s characters: the file is refused.",
                row=error.params.get("row"),
                limit=error.params.get("limit"),
            ),
            "mapped_twice": self.env._(
                "Several columns are imported as the same field: %(fields)s", fields=fields_text
            ),
            "unknown_target": self.env._("Unknown field in the mapping: %(fields)s", fields=fields_text),
            "required_column": self.env._("Map a column to: %(fields)s", fields=fields_text),
            "key_column": self.env._(
                "Map a column to the member number, the phone or the email: without one, the members could not "
                "be recognised when the file is imported again."
            ),
        }
        return messages.get(error.code, error.code)

    def _member_problem_text(self, problem):
        p = problem.params
        messages = {
            "encoding": self.env._("Characters that cannot be read in the file's encoding."),
            "control": self.env._("Control characters in the cell."),
            "too_long": self.env._(
                "Too long (%(length)s characters, at most %(limit)s).", length=p.get("length"), limit=p.get("limit")
            ),
            "formula": self.env._("Starts with = + - or @: a spreadsheet would run it as a formula."),
            "date_format": self.env._("Unknown date format (use 2024-01-31, 2024/1/31, 31.01.2024 or an Excel date)."),
            "date_invalid": self.env._("This date does not exist."),
            "date_range": self.env._("The date is in the future or before 1900."),
            "number": self.env._("Not a number."),
            "negative": self.env._("Negative amounts are not imported."),
            "too_large": self.env._("Larger than %(limit)s.", limit=p.get("limit")),
            "integer": self.env._("Must be a whole number."),
            "phone": self.env._("Not a phone number."),
            "mobile_length": self.env._(
                "A mainland mobile number has 11 digits, this one has %(length)s.", length=p.get("length")
            ),
            "email": self.env._("Not an email address."),
            "id_number": self.env._("Not a valid resident identity card number."),
            "passport": self.env._("Not a valid passport number."),
            "gender": self.env._(
                "Unknown gender %(value)s (use 男, 女, 其他, male, female, other, M or F; 未知 for unknown).",
                value=p.get("value"),
            ),
            "unknown_level": self.env._(
                "Level %(level)s is not mapped to a tier: map it or correct the row.", level=p.get("level")
            ),
            "required": self.env._("Required."),
            "no_key": self.env._("The row has no member number, phone or email to recognise the member by."),
            "duplicate": self.env._("Same value as row %(row)s of the file.", row=p.get("row")),
            "extra_cells": self.env._(
                "The row has %(cells)s cells but the header names %(columns)s columns.",
                cells=p.get("cells"),
                columns=p.get("columns"),
            ),
            "ambiguous_contact": self.env._(
                "%(count)s existing contacts have this value: merge them first.", count=p.get("count")
            ),
            "several_contacts": self.env._(
                "The member number, phone and email point at %(count)s different existing contacts.",
                count=p.get("count"),
            ),
            "same_contact": self.env._("Same existing contact as row %(row)s of the file.", row=p.get("row")),
            "other_number": self.env._(
                "This contact is already a member with number %(number)s.", number=p.get("number")
            ),
        }
        return messages.get(problem.code, problem.code)

    def action_download_problems(self):
        """Every problem of the last run as CSV (the list on screen stops at SHOWN_PROBLEMS)."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content?model={self._name}&id={self.id}&field=problems_file"
            "&filename_field=problems_filename&download=true",
            "target": "self",
        }

    def _member_problems_csv(self, problems, mapping, header):
        """CSV of the problems, cells escaped: the file is opened in spreadsheets."""
        out = io.StringIO(newline="")
        writer = csv.writer(out)
        writer.writerow([self.env._("Row"), self.env._("Column"), self.env._("Reason")])
        for problem in problems:
            column = self._member_column_label(problem.column, mapping, header)
            reason = self._member_problem_text(problem)
            writer.writerow([problem.row, cells.escape_formula(column), cells.escape_formula(reason)])
        return base64.b64encode(out.getvalue().encode("utf-8-sig"))


class MemberImportColumn(models.TransientModel):
    _name = "member.import.column"
    _description = "Import Members: Column"
    _order = "index"

    wizard_id = fields.Many2one("member.import", required=True, ondelete="cascade")
    index = fields.Integer(readonly=True)
    header = fields.Char(string="Column in the File", readonly=True)
    sample = fields.Char(string="First Value", readonly=True)
    target = fields.Selection(TARGET_SELECTION, string="Imported As")
    ignore = fields.Boolean(help="Tick to import the file without this column's data.")


class MemberImportLevel(models.TransientModel):
    _name = "member.import.level"
    _description = "Import Members: Level"
    _check_company_auto = True

    wizard_id = fields.Many2one("member.import", required=True, ondelete="cascade")
    company_id = fields.Many2one(related="wizard_id.company_id")
    old_level = fields.Char(string="Level in the File", readonly=True)
    # a tier of another company is refused: the import would place members on it
    tier_id = fields.Many2one("member.tier", check_company=True)


class MemberImportIssue(models.TransientModel):
    _name = "member.import.issue"
    _description = "Import Members: Problem"
    _order = "row, id"

    wizard_id = fields.Many2one("member.import", required=True, ondelete="cascade")
    row = fields.Integer(readonly=True)
    column = fields.Char(readonly=True)
    reason = fields.Char(readonly=True)
