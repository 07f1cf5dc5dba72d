"""Chinese is the default language and every message has its Chinese translation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

PACKAGE = Path(__file__).resolve().parents[2]
CATALOGUE = PACKAGE / "locale" / "zh_Hans" / "LC_MESSAGES"
# The project's catalogue plus those of apps that keep their own (``<app>/locale``).
CATALOGUES = sorted(PACKAGE.glob("**/locale/zh_Hans/LC_MESSAGES/django.po"))


def _entries(po_text: str) -> list[tuple[str, str, bool]]:
    """(msgid, msgstr, fuzzy) of each entry, continuation lines joined (plural forms: [0])."""
    entries = []
    for block in po_text.split("\n\n"):
        lines = block.strip().splitlines()
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines)
        fields: dict[str, str] = {}
        current = None
        for line in lines:
            match = re.match(r'^(msgid|msgid_plural|msgstr(?:\[0\])?) "(.*)"$', line)
            if match:
                current = match.group(1).replace("[0]", "")
                fields[current] = match.group(2)
            elif line.startswith('"') and current:
                fields[current] += line[1:-1]
            elif not line.startswith('"'):
                current = None
        if fields.get("msgid"):
            entries.append((fields["msgid"], fields.get("msgstr", ""), fuzzy))
    return entries


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_every_message_has_a_chinese_translation(catalogue: Path) -> None:
    entries = _entries(catalogue.read_text(encoding="utf-8"))
    assert entries
    missing = [msgid for msgid, msgstr, fuzzy in entries if not msgstr or fuzzy]
    assert missing == []


def test_the_compiled_catalogues_are_produced_by_the_set_up_not_committed() -> None:
    assert len(CATALOGUES) >= 1 and (CATALOGUE / "django.po") in CATALOGUES
    for catalogue in CATALOGUES:
        assert catalogue.with_suffix(".mo").exists(), "make assets compiles the catalogues"


@pytest.mark.django_db
def test_pages_are_chinese_by_default_and_english_on_request(client: Client) -> None:
    page = client.get("/login/").content.decode()
    assert 'lang="zh-hans"' in page and "登录" in page
    client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    page = client.get("/login/").content.decode()
    assert 'lang="en"' in page and "Log in" in page
