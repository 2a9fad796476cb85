# Framework-free logic of Member CRM Marketing: plain Python, no ``import odoo``.
# The Odoo models are thin adapters around these modules, and ``tests/`` at the
# repository root runs them on any machine.
