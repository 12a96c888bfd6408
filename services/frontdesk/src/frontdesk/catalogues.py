"""Keeping the message catalogues in step with the code: Babel's extraction, keyed message ids.

`python -m frontdesk.catalogues` (`make i18n`) extracts every key the code and templates pass to
`t(...)` (Babel's Python and Jinja2 extractors), adds the keys a catalogue lacks to each language's
`.po` (empty, so the page falls back until a translator fills them in) and lists the keys nobody
uses any more. The tests run the same extraction (`test_frontdesk_catalogues.py`), so a key used
but not written, or written but never used, fails the build instead of showing a raw key.

Some keys are built from a vocabulary (`t("desk.kind." ~ room.kind)`, `t(f"rejected.{reason}")`):
extraction cannot see them, so their prefix (read from the source: a literal before `~` or `{`)
marks every key under it as used.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import TextIO

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from frontdesk.domain.messages import CATALOGUE_DOMAIN, LANGUAGES

KEYWORDS = {"t": None}
"""`t("key", **values)` and `visitor.t("key")`: the first argument is the message id."""

METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]

BUILT_KEY = re.compile(r"""f["']([a-z_]+(?:\.[a-z_]+)*[._])\{|["']([a-z_]+(?:\.[a-z_]+)*[._])["']\s*~""")
"""A key's literal prefix before the part a page fills in: `f"rejected.{…}"`, `'desk.kind.' ~ …`."""


def package_root() -> Path:
    return Path(str(files("frontdesk")))


def catalogue_path(language: str, root: Path | None = None) -> Path:
    return (root or package_root()) / "locale" / language / "LC_MESSAGES" / f"{CATALOGUE_DOMAIN}.po"


@dataclass(frozen=True)
class Usage:
    """What the code asks of the catalogues: literal keys (with where) and prefixes of built keys."""

    keys: dict[str, list[str]]
    prefixes: frozenset[str]

    def uses(self, key: str) -> bool:
        return key in self.keys or key.startswith(tuple(self.prefixes))


def usage(root: Path | None = None) -> Usage:
    """Extract the keys of every `t(...)` in the package's code and templates."""
    root = root or package_root()
    keys: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(root), METHODS, keywords=KEYWORDS, comment_tags=(), strip_comment_tags=True
    ):
        key = message if isinstance(message, str) else message[0]
        if key:
            keys.setdefault(key, []).append(f"{filename}:{lineno}")
    prefixes = {
        match.group(1) or match.group(2)
        for path in root.rglob("*")
        if path.suffix in (".py", ".html")
        for match in BUILT_KEY.finditer(path.read_text("utf-8"))
    }
    return Usage(keys, frozenset(prefixes))


def read_catalogue(language: str, root: Path | None = None) -> Catalog:
    with catalogue_path(language, root).open("rb") as po:
        return read_po(po, locale=language)


def write_catalogue(catalogue: Catalog, language: str, root: Path | None = None) -> None:
    with catalogue_path(language, root).open("wb") as po:
        write_po(po, catalogue, width=100, sort_output=False, include_previous=False)


def keys_of(catalogue: Catalog) -> list[str]:
    """The message ids of a catalogue (its header entry has none)."""
    return [m.id for m in catalogue if isinstance(m.id, str) and m.id]


def missing(found: Usage, keys: Iterable[str]) -> list[str]:
    """Keys the code uses that the catalogue does not have."""
    known = set(keys)
    return sorted(key for key in found.keys if key not in known)


def unused(found: Usage, keys: Iterable[str]) -> list[str]:
    """Keys of the catalogue that no code uses, literally or under a built key's prefix."""
    return sorted(key for key in keys if not found.uses(key))


def update(root: Path | None = None, out: TextIO = sys.stdout) -> int:
    """Add every missing key to each language's catalogue (untranslated) and name the unused ones."""
    found = usage(root)
    for language in LANGUAGES:
        catalogue = read_catalogue(language, root)
        new = missing(found, keys_of(catalogue))
        for key in new:
            catalogue.add(
                key,
                "",
                locations=[(where.rsplit(":", 1)[0], int(where.rsplit(":", 1)[1])) for where in found.keys[key]],
            )
        if new:
            write_catalogue(catalogue, language, root)
        print(f"{language}: {len(new)} key(s) added {new}", file=out)
    catalogue = read_catalogue(LANGUAGES[0], root)
    print(f"unused: {unused(found, keys_of(catalogue))}", file=out)
    return 0


if __name__ == "__main__":
    raise SystemExit(update())
