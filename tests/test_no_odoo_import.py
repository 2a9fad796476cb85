"""The engines must stay framework-free: no module under engine/ imports odoo."""

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_engines_do_not_import_odoo():
    offenders = []
    for path in ROOT.glob("member_crm*/engine/**/*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] == "odoo"]
    assert not offenders, offenders
    assert list(ROOT.glob("member_crm/engine/*.py")), "the engine must exist"
