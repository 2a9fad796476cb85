"""setup/lib.sh find_odoo_python: the Python behind the `odoo` command, wrappers included."""

import pathlib
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
LIB = ROOT / "setup" / "lib.sh"

pytestmark = pytest.mark.skipif(not shutil.which("bash"), reason="needs bash")


def _executable(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)
    return path


@pytest.fixture
def fake_python(tmp_path):
    """An interpreter that 'can import odoo': answers the check find_odoo_python makes."""
    return _executable(tmp_path / "venv" / "bin" / "python3", "#!/bin/sh\nexit 0\n")


def find(odoo_bin, env=None):
    script = f'. "{LIB}"; ODOO_BIN="{odoo_bin}"; find_odoo_python; printf "%s" "$ODOO_PYTHON"'
    result = subprocess.run(
        ["bash", "-c", script],
        check=False,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", **(env or {})},
    )
    return result.returncode, result.stdout, result.stderr


def test_shell_wrapper_exec_python(tmp_path, fake_python):
    """The wrapper as installed on our machines: `exec /path/python .../odoo-bin "$@"`."""
    wrapper = _executable(tmp_path / "bin" / "odoo", f'#!/bin/sh\nexec {fake_python} /opt/odoo/odoo-bin "$@"\n')
    assert find(wrapper) == (0, str(fake_python), "")


def test_shell_wrapper_with_env_settings_and_quotes(tmp_path, fake_python):
    wrapper = _executable(
        tmp_path / "bin" / "odoo",
        f'#!/usr/bin/env bash\nset -e\nexec env LANG=C.UTF-8 "{fake_python}" -X utf8 /opt/odoo/odoo-bin "$@"\n',
    )
    assert find(wrapper) == (0, str(fake_python), "")


def test_wrapper_to_a_console_script(tmp_path, fake_python):
    """`exec /venv/bin/odoo "$@"`: followed to the script, whose shebang names the Python."""
    script = _executable(tmp_path / "venv" / "bin" / "odoo", f"#!{fake_python}\nimport odoo.cli\n")
    wrapper = _executable(tmp_path / "bin" / "odoo", f'#!/bin/sh\nexec {script} "$@"\n')
    assert find(wrapper) == (0, str(fake_python), "")


def test_python_script_shebang(tmp_path, fake_python):
    script = _executable(tmp_path / "src" / "odoo-bin", f"#!{fake_python}\nimport odoo\n")
    assert find(script) == (0, str(fake_python), "")


def test_env_shebang_resolved_on_path(tmp_path, fake_python):
    script = _executable(tmp_path / "src" / "odoo-bin", "#!/usr/bin/env python3\nimport odoo\n")
    code, out, _err = find(script, {"PATH": f"{fake_python.parent}:/usr/bin:/bin"})
    assert (code, out) == (0, str(fake_python))


def test_odoo_python_wins(tmp_path, fake_python):
    wrapper = _executable(tmp_path / "bin" / "odoo", '#!/bin/sh\nexec /nowhere/python "$@"\n')
    code, out, _err = find(wrapper, {"ODOO_PYTHON": str(fake_python)})
    assert (code, out) == (0, str(fake_python))


def test_unknown_wrapper_asks_for_odoo_python(tmp_path):
    """A wrapper that names its Python through a variable: say what was read and ask for ODOO_PYTHON."""
    wrapper = _executable(tmp_path / "bin" / "odoo", '#!/bin/sh\nexec "$MY_PY" /opt/odoo/odoo-bin "$@"\n')
    code, out, err = find(wrapper)
    assert code == 2 and not out
    assert "set ODOO_PYTHON" in err and str(wrapper) in err


def test_python_that_cannot_import_odoo_is_refused(tmp_path):
    broken = _executable(tmp_path / "venv" / "bin" / "python3", "#!/bin/sh\nexit 1\n")
    wrapper = _executable(tmp_path / "bin" / "odoo", f'#!/bin/sh\nexec {broken} /opt/odoo/odoo-bin "$@"\n')
    code, _out, err = find(wrapper)
    assert code == 2 and "set ODOO_PYTHON" in err
