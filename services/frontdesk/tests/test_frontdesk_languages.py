"""Issue 24, item 5: Arabic is a third language of the catalogue, not a fallback. Every message
has a French, English and Arabic text with the same `{placeholders}`, and the days a page
names (the member's slots, the desk's days) read in Arabic on an Arabic page. No infrastructure."""

from __future__ import annotations

import string
from datetime import date

import pytest

from frontdesk.domain.desk import day_label as desk_day_label
from frontdesk.domain.member_days import day_label
from frontdesk.domain.messages import LANGUAGES, MESSAGES, translator

ARABIC_WEEKDAYS = ("الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد")


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_every_message_is_written_in_french_english_and_arabic(key: str) -> None:
    texts = MESSAGES[key]
    assert {code for code in LANGUAGES if texts.get(code, "").strip()} == set(LANGUAGES), key
    assert placeholders(texts["fr"]) == placeholders(texts["en"]) == placeholders(texts["ar"]), key


def words(text: str) -> str:
    """The text without its placeholders."""
    return "".join(literal for literal, _, _, _ in string.Formatter().parse(text))


def test_arabic_texts_are_arabic() -> None:
    """An `ar` text that is a copy of the French or English one is a missing translation."""
    copied = [
        key
        for key, texts in MESSAGES.items()
        if texts["ar"] in (texts["fr"], texts["en"]) and any(c.isalpha() for c in words(texts["ar"]))
    ]
    assert copied == []


def test_an_arabic_page_names_its_days_in_arabic() -> None:
    t = translator("ar")
    monday = date(2026, 12, 7)
    for offset, weekday in enumerate(ARABIC_WEEKDAYS):
        day = date.fromordinal(monday.toordinal() + offset)
        assert day_label(day, t).startswith(weekday), day
        assert weekday in desk_day_label(day, t), day
    assert day_label(monday, translator("fr")).startswith("lundi")
