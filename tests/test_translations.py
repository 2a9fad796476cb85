"""Every addon ships a complete Chinese translation whose placeholders match."""

import pathlib
import re

import polib
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
ADDONS = ("member_crm", "member_crm_marketing", "member_crm_reports")
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|\{[a-z_]*\}")


@pytest.mark.parametrize("addon", ADDONS)
def test_zh_cn_is_complete(addon):
    po = polib.pofile(str(ROOT / addon / "i18n" / "zh_CN.po"))
    assert po.metadata.get("Language") == "zh_CN"
    pot = polib.pofile(str(ROOT / addon / "i18n" / f"{addon}.pot"))
    assert {e.msgid for e in pot} <= {e.msgid for e in po}, "zh_CN.po is behind the .pot: re-export"
    untranslated = [e.msgid for e in po if not e.msgstr and not e.obsolete]
    assert not untranslated, untranslated
    for entry in po:
        assert sorted(PLACEHOLDER.findall(entry.msgid)) == sorted(PLACEHOLDER.findall(entry.msgstr)), entry.msgid
