"""Issue 24, item 5: the web app's words are gettext catalogues kept in step with the code by
Babel (`frontdesk.catalogues`, `make i18n`). A key the code uses but no catalogue has would show
as a raw key; a key no code uses is dead text translators keep paying for. No infrastructure."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from frontdesk.catalogues import (
    catalogue_path,
    missing,
    package_root,
    read_catalogue,
    unused,
    update,
    usage,
    write_catalogue,
)
from frontdesk.domain.messages import LANGUAGES, MESSAGES, read_catalogues, translator


def test_every_key_the_code_uses_is_in_the_catalogues() -> None:
    found = usage()
    assert len(found.keys) > 200  # the extraction sees the code and the templates
    assert missing(found, MESSAGES) == []


def test_no_catalogue_key_is_dead() -> None:
    assert unused(usage(), MESSAGES) == []


def test_keys_built_from_a_vocabulary_count_as_used_by_their_prefix() -> None:
    found = usage()
    assert {"desk.kind.", "rejected.", "status.", "portal.office_"} <= found.prefixes
    assert found.uses("desk.kind.meeting_room")
    assert not found.uses("desk.colour.blue")


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_catalogue_declares_its_language_and_holds_the_same_keys(language: str) -> None:
    catalogue = read_catalogue(language)
    assert str(catalogue.locale) == language
    assert {m.id for m in catalogue if m.id} == set(MESSAGES)


def test_the_update_adds_a_new_key_untranslated_to_every_catalogue(tmp_path: Path) -> None:
    """A developer writes `t('lockers.title')` in a template; `make i18n` gives the three
    catalogues an empty entry for it, which the page shows in English until translated."""
    root = tmp_path / "frontdesk"
    shutil.copytree(package_root() / "templates", root / "templates")
    shutil.copytree(package_root() / "locale", root / "locale")
    for module in package_root().rglob("*.py"):
        target = root / module.relative_to(package_root())
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(module, target)
    (root / "templates" / "lockers.html").write_text("<h1>{{ t('lockers.title') }}</h1>\n", "utf-8")

    report = io.StringIO()
    update(root, out=report)

    for language in LANGUAGES:
        entry = read_catalogue(language, root).get("lockers.title")
        assert entry is not None, language
        assert entry.string == "", language
        assert ("templates/lockers.html", 1) in [(Path(f).as_posix(), n) for f, n in entry.locations], language
        assert catalogue_path(language, root).read_text("utf-8").count('msgid "lockers.title"') == 1
    assert "unused: []" in report.getvalue()
    assert "lockers.title" not in read_catalogues(root)  # untranslated: no text yet

    english = read_catalogue("en", root)
    english["lockers.title"].string = "Lockers"
    write_catalogue(english, "en", root)
    arabic = read_catalogue("ar", root)
    arabic["lockers.title"].string = "خزائن؟"
    arabic["lockers.title"].flags.add("fuzzy")
    write_catalogue(arabic, "ar", root)
    texts = read_catalogues(root)
    assert texts["lockers.title"] == {"en": "Lockers"}  # the fuzzy Arabic guess is not a text
    assert translator("ar", texts)("lockers.title") == "Lockers"


def test_untranslated_and_fuzzy_entries_are_not_texts() -> None:
    """`msgstr ""` and `#, fuzzy` entries are left out, so the page falls back to another language."""
    assert all(all(text.strip() for text in texts.values()) for texts in MESSAGES.values())
    for language in LANGUAGES:
        assert not [m.id for m in read_catalogue(language) if m.id and m.fuzzy], language
