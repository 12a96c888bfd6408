"""Crypto-shredding: a person's name and address travel in events sealed under a key of their own.

The log keeps its whole history (every projection can be rebuilt from offset 0), and a person may
ask to be erased (law 09-08, the GDPR). Both hold when the personal fields of an event are
encrypted with a key per person (a *subject*): the key lives in one place (community's member
aggregate, shared with entitled readers on the compacted `community.subject_key` topic), and
erasing the person deletes it. Every copy of their events in the log, a backup or a replay then
holds ciphertext nobody can open.

A sealed value is `shredded:v1:<subject>:<Fernet token>` (AES-128-CBC + HMAC-SHA256), so a reader
knows whose key opens it without being told. A value that is not sealed (an event written before
sealing existed) is read as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

PREFIX = "shredded:v1:"


def new_key() -> str:
    """A fresh key for one subject (url-safe base64, as Fernet takes it)."""
    return Fernet.generate_key().decode()


def seal(subject: str, key: str, text: str) -> str:
    return f"{PREFIX}{subject}:{Fernet(key.encode()).encrypt(text.encode()).decode()}"


def is_sealed(value: object) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def subject_of(value: str) -> str | None:
    """Whose key opens the value; None for a value that is not sealed."""
    if not is_sealed(value):
        return None
    return value[len(PREFIX) :].split(":", 1)[0]


def opened(value: str, keys: Mapping[str, str]) -> str | None:
    """The value in clear: as it is when it was never sealed; None when its subject's key is not
    among `keys` (shredded, or not known to this reader) or does not open it."""
    subject = subject_of(value)
    if subject is None:
        return value
    key = keys.get(subject)
    if key is None:
        return None
    token = value[len(PREFIX) + len(subject) + 1 :]
    try:
        return Fernet(key.encode()).decrypt(token.encode()).decode()
    except (InvalidToken, ValueError):
        return None


PERSONAL_FIELDS = ("name", "email")
"""What of a person is sealed: who they are and how to reach them (their role and language are not)."""


def sealed_person(person: Mapping[str, Any], key: str) -> dict[str, Any]:
    """A person's fields with the personal ones sealed under their key (`person_id` is the subject)."""
    subject = str(person["person_id"])
    return {k: seal(subject, key, str(v)) if k in PERSONAL_FIELDS else v for k, v in person.items()}


def opened_person(person: Mapping[str, Any], keys: Mapping[str, str]) -> dict[str, Any] | None:
    """A person's fields in clear; None when a personal field cannot be opened (they were erased,
    or this reader does not hold their key yet)."""
    clear = dict(person)
    for field in PERSONAL_FIELDS:
        value = person.get(field)
        if isinstance(value, str):
            text = opened(value, keys)
            if text is None:
                return None
            clear[field] = text
    return clear
