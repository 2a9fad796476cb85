"""Products viewed on the shop by logged-in members, as one more branch of the member's timeline.

The source is website_sale's own tracking: a ``website.track`` row with a ``product_id`` per product page
view of a visitor (at most one per product and visitor every 30 minutes, ``website.visitor._add_tracking``).
A visitor has a contact only when a user was logged in (the visitor's token is then the partner's id), so
anonymous views never reach the timeline.

The view is the member's: the visitor's contact is mapped to its commercial entity, the company is the
website's, and only members of that company are kept (a membership of the entity in the website's company,
whatever its state, as the history of a member who left stays hers). Every page view of every visitor is
tracked, so without this join the timeline would carry the shop's whole audience.
"""

from odoo import fields, models
from odoo.tools import SQL

from odoo.addons.member_crm_marketing.models.member_timeline import ID_FACTOR

# branches 1 to 10 are member_crm_marketing's (member_timeline.py)
BRANCH_PRODUCT_VIEW = 11


class MemberTimeline(models.Model):
    _inherit = "member.timeline"
    # flushed before the view is read (merged with member_crm_marketing's)
    _depends = {
        "website.track": ["visitor_id", "product_id", "visit_datetime"],
        "website.visitor": ["partner_id", "website_id"],
        "website": ["company_id"],
        "member.membership": ["partner_id", "company_id"],
        "product.product": ["product_tmpl_id"],
        "product.template": ["name"],
    }

    # the model is a SQL view: no row to clean at uninstall (the branch goes with the code), the ondelete is
    # only what selection_add requires
    kind = fields.Selection(selection_add=[("product_view", "Product Viewed")], ondelete={"product_view": "cascade"})

    def _member_branches(self):
        # part of the query cached once per registry (_member_table_query): installing this addon sets the
        # models up again, which clears that cache
        return [*super()._member_branches(), self._member_product_view_branch()]

    def _member_product_view_branch(self):
        # the label is the product's English name: the view's SQL is built once for every language
        return SQL(
            """SELECT %s FROM website_track wt
                 JOIN website_visitor wv ON wv.id = wt.visitor_id
                 JOIN website w ON w.id = wv.website_id
                 JOIN res_partner rp ON rp.id = wv.partner_id
                 JOIN member_membership mm ON mm.partner_id = rp.commercial_partner_id AND mm.company_id = w.company_id
                 JOIN product_product pp ON pp.id = wt.product_id
                 JOIN product_template pt ON pt.id = pp.product_tmpl_id
                WHERE wt.product_id IS NOT NULL""",
            self._member_columns(
                id=SQL("wt.id * %s + %s", ID_FACTOR, BRANCH_PRODUCT_VIEW),
                kind=SQL("'product_view'"),
                date=SQL("wt.visit_datetime"),
                partner_id=SQL("rp.commercial_partner_id"),
                company_id=SQL("w.company_id"),
                name=SQL("pt.name->>'en_US'"),
                res_model=SQL("'product.template'"),
                res_id=SQL("pt.id"),
            ),
        )
