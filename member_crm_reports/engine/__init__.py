"""Framework-free maths of the member reports (no ``import odoo``): see ``kpi``."""
