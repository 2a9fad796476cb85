from . import models
from . import controllers
from . import wizard


def uninstall_hook(env):
    """Drop the trigger the analytics job's tables put on ``member_membership`` (``models/job_tables.py``):
    Odoo drops the module's tables, not a trigger on another module's table."""
    models.job_tables.drop_delete_trigger(env)
