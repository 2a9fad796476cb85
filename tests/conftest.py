"""Import the addons' framework-free ``engine`` packages without Odoo.

The addons' ``__init__`` imports odoo; registering bare package objects lets
``from member_crm.engine import demo_data`` load only the engine.
"""

import pathlib
import sys
import types

ROOT = pathlib.Path(__file__).resolve().parents[1]
for name in ("member_crm", "member_crm_marketing", "member_crm_reports"):
    package = types.ModuleType(name)
    package.__path__ = [str(ROOT / name)]
    sys.modules.setdefault(name, package)
