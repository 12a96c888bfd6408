"""Webhook signing secrets sealed at rest: a copy of insights' store (a backup, a replica, a dump
handed to support) must not let anyone sign deliveries as ParkGrid.

Each secret is stored encrypted with Fernet (AES-128-CBC with HMAC-SHA256) under a key derived
from `INSIGHTS_WEBHOOK_SEALING_KEY`; the setting may list several keys, comma-separated, the first
sealing and all unsealing, so the key can be rotated without a migration. Beside it the store keeps
a keyed fingerprint of the secret (`secret_mark`), which a guarded write compares (a sealed value is
different at every sealing, so it cannot be compared). A value stored before sealing existed is read
as it is and sealed at its next change.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from typing import Any

from cryptography.fernet import Fernet, MultiFernet

SEALED = "sealed:v1:"
SECRET_FIELDS = ("secret", "previous_secret")


def _fernet(key: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest()))


class Sealer:
    """Seals and unseals the secret fields of an endpoint document."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys or not all(keys):
            raise ValueError("a sealer needs at least one non-empty key")
        self._fernet = MultiFernet([_fernet(k) for k in keys])
        self._mark_key = hashlib.sha256(b"parkgrid-webhook-secret-mark:" + keys[0].encode()).digest()

    @classmethod
    def of(cls, setting: str) -> Sealer:
        """From the setting's value: one key, or several comma-separated (the first seals)."""
        return cls([k.strip() for k in setting.split(",") if k.strip()])

    def seal(self, secret: str) -> str:
        return SEALED + self._fernet.encrypt(secret.encode()).decode()

    def unseal(self, stored: str) -> str:
        """The secret; a value stored unsealed (before sealing existed) as it is."""
        if not stored.startswith(SEALED):
            return stored
        return self._fernet.decrypt(stored.removeprefix(SEALED).encode()).decode()

    def mark(self, secret: str) -> str:
        """A keyed fingerprint of the secret: equal for equal secrets, useless without the key."""
        return hmac.new(self._mark_key, secret.encode(), hashlib.sha256).hexdigest()

    def sealed(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """`fields` as stored: each secret sealed, and the current secret's mark beside it."""
        out = dict(fields)
        for name in SECRET_FIELDS:
            if out.get(name):
                out[name] = self.seal(str(out[name]))
        if fields.get("secret"):
            out["secret_mark"] = self.mark(str(fields["secret"]))
        return out

    def unsealed(self, doc: dict[str, Any] | None) -> dict[str, Any] | None:
        """The document as the service uses it: its secrets readable, the mark left out."""
        if doc is None:
            return None
        out = {k: v for k, v in doc.items() if k != "secret_mark"}
        for name in SECRET_FIELDS:
            if out.get(name):
                out[name] = self.unseal(str(out[name]))
        return out
