"""The web app's words in French and English (Arabic where written), and which language a visitor reads.

A tiny catalogue rather than gettext: the app has a few dozen strings, and a missing
translation must show another language's text, never a key: Arabic falls back to French
(the network's common language), then English; French and English to English. The texts are data, in
`messages.toml` beside this module (shipped with the package), read once at import.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from importlib.resources import files

from parkgrid.contracts.common import LocalizedText

LANGUAGES = ("fr", "en", "ar")
DEFAULT_LANGUAGE = "fr"
RIGHT_TO_LEFT = frozenset({"ar"})
FALLBACK = {"ar": ("fr", "en")}
"""Where a language's missing text is looked for next (else English)."""

Translate = Callable[..., str]

MESSAGES: dict[str, dict[str, str]] = tomllib.loads(
    files("frontdesk.domain").joinpath("messages.toml").read_text("utf-8")
)
"""Each key's texts by language, from `messages.toml` (data, so wording changes touch no code)."""


def pick_language(cookie: str | None, accept_language: str | None) -> str:
    """The cookie's choice if known, else the first supported language the browser prefers."""
    if cookie in LANGUAGES:
        return cookie
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            ranked.append((-quality, position, primary))
    return min(ranked)[2] if ranked else DEFAULT_LANGUAGE


def translator(language: str, catalogue: Mapping[str, Mapping[str, str]] = MESSAGES) -> Translate:
    """`t(key, **values)` in `language`, falling back (`FALLBACK`, else English), then to the key."""
    order = (language, *FALLBACK.get(language, ("en",)))

    def t(key: str, **values: object) -> str:
        entry = catalogue.get(key)
        if entry is None:
            return key
        text = next((entry[code] for code in order if entry.get(code)), key)
        return text.format(**values) if values else text

    return t


def localized(text: LocalizedText | Mapping[str, str | None] | str | None, language: str) -> str:
    """A LocalizedText ({fr, en, ar}) in the reader's language, or whatever there is."""
    if isinstance(text, str):
        return text
    if isinstance(text, LocalizedText):
        text = text.model_dump()
    if not isinstance(text, Mapping):
        return ""
    return text.get(language) or text.get("en") or text.get("fr") or next((v for v in text.values() if v), "")
