"""The web app's words in French, English and Arabic, and which language a visitor reads.

The texts are gettext catalogues, one per language (`frontdesk/locale/<lang>/LC_MESSAGES/
messages.po`), so translators work in the tools they know (Poedit, Weblate) and Babel keeps them
in step with the code: `make i18n` extracts every `t("…")` of the code and templates and merges
new keys into the three catalogues. A message id is a key (`nav.today`), not English prose, so a
wording change in one language touches neither the code nor the other catalogues.

A missing translation must show another language's text, never a key: Arabic falls back to French
(the network's common language), then English; French and English to English. Untranslated
(`msgstr ""`) and fuzzy entries count as missing.

Weekday names and numbers come from CLDR through Babel (`LOCALES`), not from the catalogues.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from importlib.resources import files
from importlib.resources.abc import Traversable

from babel.dates import format_date
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from parkgrid.contracts.common import LocalizedText

LANGUAGES = ("fr", "en", "ar")
DEFAULT_LANGUAGE = "fr"
RIGHT_TO_LEFT = frozenset({"ar"})
FALLBACK = {"ar": ("fr", "en")}
"""Where a language's missing text is looked for next (else English)."""

LOCALES = {"fr": "fr_MA", "en": "en_GB", "ar": "ar_MA"}
"""Each language's CLDR locale: Moroccan French and Arabic (Western digits, as Morocco writes them),
and British English (day before month, like the other two)."""

CATALOGUE_DOMAIN = "messages"


def read_catalogues(package: Traversable | None = None) -> dict[str, dict[str, str]]:
    """Each key's texts by language, from the `.po` catalogues of `package` (the installed
    `frontdesk` unless a test gives a copy): translated entries only."""
    root = (package or files("frontdesk")).joinpath("locale")
    texts: dict[str, dict[str, str]] = {}
    for language in LANGUAGES:
        with root.joinpath(language, "LC_MESSAGES", f"{CATALOGUE_DOMAIN}.po").open("rb") as po:
            for message in read_po(po, locale=language):
                if message.id and isinstance(message.id, str) and message.string and not message.fuzzy:
                    texts.setdefault(message.id, {})[language] = str(message.string)
    return texts


MESSAGES: dict[str, dict[str, str]] = read_catalogues()
"""Each key's texts by language, read once at import."""


@dataclass(frozen=True)
class Translate:
    """`t(key, **values)` in one language, with the CLDR forms of its days and numbers."""

    language: str
    catalogue: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: MESSAGES, repr=False)

    def __call__(self, key: str, **values: object) -> str:
        """The key's text (falling back per `FALLBACK`, else English, else the key), filled in."""
        entry = self.catalogue.get(key)
        if entry is None:
            return key
        order = (self.language, *FALLBACK.get(self.language, ("en",)))
        text = next((entry[code] for code in order if entry.get(code)), key)
        return text.format(**values) if values else text

    @property
    def locale(self) -> str:
        return LOCALES.get(self.language, LOCALES[DEFAULT_LANGUAGE])

    def weekday(self, day: date) -> str:
        """`lundi`, `Monday`, `الاثنين`."""
        return str(format_date(day, "EEEE", locale=self.locale))

    def number(self, value: float, decimals: int = 0) -> str:
        """`1 234,5` (fr, narrow no-break space), `1,234.5` (en), `1.234,5` (ar): the locale's
        grouping and decimal signs, exactly `decimals` decimals."""
        pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
        return str(format_decimal(value, format=pattern, locale=self.locale, decimal_quantization=True))


def translator(language: str, catalogue: Mapping[str, Mapping[str, str]] | None = None) -> Translate:
    """The translator of `language` (over `catalogue`, the packaged one unless a test gives its own)."""
    return Translate(language, MESSAGES if catalogue is None else catalogue)


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


def localized(text: LocalizedText | Mapping[str, str | None] | str | None, language: str) -> str:
    """A LocalizedText ({fr, en, ar}) in the reader's language, or whatever there is."""
    if isinstance(text, str):
        return text
    if isinstance(text, LocalizedText):
        text = text.model_dump()
    if not isinstance(text, Mapping):
        return ""
    return text.get(language) or text.get("en") or text.get("fr") or next((v for v in text.values() if v), "")
