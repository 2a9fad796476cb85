"""setup/lib.sh check_report_tools: what the PDF reports need, said plainly (fake tools on an isolated PATH)."""

import pathlib
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
LIB = ROOT / "setup" / "lib.sh"
BASH = shutil.which("bash")

pytestmark = pytest.mark.skipif(not BASH, reason="needs bash")


def _tool(bin_dir, name, output=""):
    path = bin_dir / name
    path.write_text(f"#!/bin/sh\nprintf '%s\\n' '{output}'\n")
    path.chmod(0o755)


def check(tmp_path, tools):
    """Run check_report_tools with only ``tools`` ({name: output}) and the utilities lib.sh uses on PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for utility in ("dirname", "head"):
        (bin_dir / utility).symlink_to(shutil.which(utility))
    for name, output in tools.items():
        _tool(bin_dir, name, output)
    result = subprocess.run(
        [BASH, "-c", f'. "{LIB}"; check_report_tools'],
        check=False,
        capture_output=True,
        text=True,
        env={"PATH": str(bin_dir)},
    )
    return result.returncode, result.stdout


ALL = {
    "wkhtmltopdf": "wkhtmltopdf 0.12.6",
    "fc-list": "Noto Sans CJK JP,Noto Sans CJK\nNoto Sans CJK SC,Noto Sans CJK",
    "pdftotext": "",
    "pdffonts": "",
}


def test_all_there_with_debian_wkhtmltopdf(tmp_path):
    code, out = check(tmp_path, ALL)
    assert code == 0
    assert "without the patched Qt" in out
    assert "Missing" not in out


def test_patched_wkhtmltopdf(tmp_path):
    code, out = check(tmp_path, {**ALL, "wkhtmltopdf": "wkhtmltopdf 0.12.6 (with patched qt)"})
    assert code == 0
    assert "without" not in out


def test_japanese_fonts_only(tmp_path):
    code, out = check(tmp_path, {**ALL, "fc-list": "Noto Sans CJK JP,Noto Sans CJK"})
    assert code == 1
    lines = [line for line in out.splitlines() if line.startswith("  - ")]
    assert lines == [
        "  - the font 'Noto Sans CJK SC' (package fonts-noto-cjk): Chinese text in the PDF reports",
    ]


def test_nothing_installed(tmp_path):
    code, out = check(tmp_path, {})
    assert code == 1
    assert "apt-get install wkhtmltopdf fonts-noto-cjk poppler-utils" in out
    assert [line.split(" (")[0] for line in out.splitlines() if line.startswith("  - ")] == [
        "  - wkhtmltopdf",
        "  - the font 'Noto Sans CJK SC'",
        "  - pdftotext",
        "  - pdffonts",
    ]
