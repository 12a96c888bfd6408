"""Mail: the notices waiting for recipients, the sent-log, the templates and the SMTP relay.

The sent-log is what makes a mail go out at most once: one document per (notice, recipient)
— the notice id is the event's id — inserted *before* sending (a duplicate insert means
someone already owns that mail), claimed by a conditional update (`queued`/`failed` →
`sending`) so two mailers never send the same row, and marked `sent` after the relay
accepted it. A row left in `sending` by a crash is never sent again (at most once beats a
duplicate); a refused or failed send goes back to `failed` with a later `due_at`.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from pymongo import ASCENDING

from insights.domain.notices import Notice, amount, arabic_days, arabic_days_ago, local_day, local_time
from parkgrid import shredding
from parkgrid.store import Collection, Document, DuplicateKeyError, create_index, find_any

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


class DueRows:
    """A collection of rows each sent or resolved when due: written once by id (a redelivery is
    a duplicate), with a `status`, its `attempts` and the moment it is `due_at` next."""

    def __init__(self, collection: Collection) -> None:
        self.collection = collection

    async def ensure_indexes(self) -> None:
        await create_index(self.collection, [("status", ASCENDING), ("due_at", ASCENDING)])

    async def insert_once(self, row: Document, status: str, now: datetime) -> bool:
        """Insert the row due now; False if a row of that id is already there."""
        try:
            await self.collection.insert_one({**row, "status": status, "attempts": 0, "due_at": now, "created_at": now})
        except DuplicateKeyError:
            return False
        return True

    async def due_in(self, statuses: list[str], now: datetime, limit: int) -> list[Document]:
        """The rows in one of `statuses` due by `now`, soonest first: one equality on `status` each
        (`find_any`), which the `{status, due_at}` index answers, where a `$in` read every row ever
        settled on FerretDB."""
        filters = [{"status": status, "due_at": {"$lte": now}} for status in statuses]
        return await find_any(self.collection, filters, sort="due_at", limit=limit)


class Notices(DueRows):
    """Notices waiting for their recipients to be known (the member may be projected later)."""

    async def add(self, notice: Notice, now: datetime) -> bool:
        row = {
            "_id": notice.notice_id,
            "kind": notice.kind.value,
            "member_id": notice.member_id,
            "person_id": notice.person_id,
            "context": notice.context,
        }
        return await self.insert_once(row, "pending", now)

    async def due(self, now: datetime, limit: int = 100) -> list[Document]:
        return await self.due_in(["pending"], now, limit)

    async def settle(self, notice_id: str, status: str) -> None:
        await self.collection.update_one({"_id": notice_id}, {"$set": {"status": status}})

    async def postpone(self, notice_id: str, attempts: int, due_at: datetime) -> None:
        await self.collection.update_one({"_id": notice_id}, {"$set": {"attempts": attempts, "due_at": due_at}})

    async def forget_guests(self, kind: str, before: datetime) -> list[str]:
        """Remove the guest (name, company) from settled notices of `kind` made before `before`; their ids."""
        query = {"kind": kind, "created_at": {"$lt": before}, "status": {"$ne": "pending"}, "context.erased": None}
        ids = [d["_id"] async for d in self.collection.find(query, {"_id": 1})]
        if ids:
            erased = {"context.guest_name": None, "context.guest_company": None, "context.erased": True}
            await self.collection.update_many({"_id": {"$in": ids}}, {"$set": erased})
        return ids

    async def forget_person(self, person_id: str) -> int:
        """Delete the notices meant for this person alone (they were erased); how many."""
        result = await self.collection.delete_many({"person_id": person_id})
        return int(result.deleted_count)


@dataclass(frozen=True)
class Mail:
    notice_id: str
    email: str
    language: str
    subject: str
    body: str
    person_id: str | None = None
    """Whom the address belongs to: their mails are forgotten with them (`forget_person`)."""

    @property
    def key(self) -> str:
        return f"{self.notice_id}|{self.email.lower()}"


class SentLog(DueRows):
    """Each mail (a notice to one address), owned before it is sent, and its sending attempts."""

    async def claim(self, mail: Mail, now: datetime) -> bool:
        """Own this (event, recipient) before anything is sent; False if it is already owned."""
        row = {
            "_id": mail.key,
            "notice_id": mail.notice_id,
            "email": mail.email,
            "language": mail.language,
            "subject": mail.subject,
            "body": mail.body,
            "person_id": mail.person_id,
        }
        return await self.insert_once(row, "queued", now)

    async def due(self, now: datetime, limit: int = 50) -> list[Document]:
        return await self.due_in(["queued", "failed"], now, limit)

    async def start(self, row: Document, now: datetime) -> bool:
        """Take the row for one sending attempt (a conditional update: one mailer wins)."""
        guard = {"_id": row["_id"], "status": row["status"], "attempts": row["attempts"]}
        result = await self.collection.update_one(guard, {"$set": {"status": "sending", "claimed_at": now}})
        return bool(result.matched_count)

    async def sent(self, key: str, now: datetime) -> None:
        await self.collection.update_one({"_id": key}, {"$set": {"status": "sent", "sent_at": now}})

    async def failed(self, key: str, attempts: int, error: str, due_at: datetime, give_up: bool) -> None:
        status = "abandoned" if give_up else "failed"
        update = {"status": status, "attempts": attempts, "last_error": error[:500], "due_at": due_at}
        await self.collection.update_one({"_id": key}, {"$set": update})

    async def forget(self, notice_ids: list[str], text: str) -> int:
        """Put `text` in place of the subject and body of the mails of these notices that are done
        with (sent, abandoned); how many."""
        done = {"notice_id": {"$in": notice_ids}, "status": {"$in": ["sent", "abandoned"]}}
        result = await self.collection.update_many(done, {"$set": {"subject": text, "body": text}})
        return int(result.modified_count)

    async def forget_person(self, person_id: str, addresses: set[str]) -> int:
        """Delete every mail sent (or to be sent) to this person, found by their id or, for a mail
        kept from before mails knew it, by their addresses in clear; how many. A row's id holds its
        address too, so the row goes, not only its text."""
        clear = {a for a in addresses if not shredding.is_sealed(a)}
        spellings = sorted({*clear, *(a.casefold() for a in clear), *(a.lower() for a in clear)})
        result = await self.collection.delete_many({"$or": [{"person_id": person_id}, {"email": {"$in": spellings}}]})
        return int(result.deleted_count)

    async def rows(self, **query: Any) -> list[Document]:
        return [d async for d in self.collection.find(query)]


class Templates:
    """`templates/<language>/<kind>.txt`: a `Subject:` line, a blank line, the body (jinja2).

    Besides the context `c` and the person's `name`, a template has `text` (a localized text in
    its language, else French), `when` (an instant in a zone), `on` (a calendar day), `money`
    (minor units and a currency as an amount in its language) and, for Arabic, `days` (in N days)
    and `days_ago` (N days ago), the noun agreeing with N."""

    def __init__(self, root: Path = TEMPLATES) -> None:
        self.env = Environment(
            loader=FileSystemLoader(str(root)),
            undefined=StrictUndefined,
            autoescape=False,
            keep_trailing_newline=True,
        )

    def render(self, kind: str, language: str, name: str, context: dict[str, Any]) -> tuple[str, str]:
        def text(value: Any) -> str:
            if isinstance(value, dict):
                return str(value.get(language) or value.get("fr") or next(iter(value.values()), ""))
            return "" if value is None else str(value)

        def when(value: str, time_zone: str | None) -> str:
            return local_time(value, time_zone, language)

        def on(value: str) -> str:
            return local_day(value, language)

        def money(minor: int, currency: str) -> str:
            return amount(minor, currency, language)

        template = self.env.get_template(f"{language}/{kind}.txt")
        rendered = template.render(
            name=name, c=context, text=text, when=when, on=on, money=money, days=arabic_days, days_ago=arabic_days_ago
        )
        head, _, body = rendered.partition("\n\n")
        subject = head.removeprefix("Subject:").strip()
        return subject, body.strip() + "\n"


class MailRefused(Exception):
    """The relay did not take the mail (refused, unreachable, timed out)."""


class SmtpRelay:
    """Sends through an SMTP server: aiosmtpd in development and tests, the park's relay in production.

    `security` is how the connection is protected: `none` (a relay inside the cluster that takes
    mail unauthenticated), `starttls` (the submission port, 587) or `tls` (implicit TLS, 465).
    A `user` logs in (only over TLS: credentials never travel in clear). `tls` is the context
    that checks the server's certificate (the system's trust store by default).
    """

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        timeout: float,
        *,
        security: str = "none",
        user: str | None = None,
        password: str | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        if user and security == "none":
            raise ValueError("an SMTP login needs security starttls or tls: the password would travel in clear")
        self.host = host
        self.port = port
        self.sender = sender
        self.timeout = timeout
        self.security = security
        self.user = user
        self.password = password
        self.tls = tls or ssl.create_default_context()

    async def send(self, to: str, subject: str, body: str, message_key: str, language: str | None = None) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message["Message-ID"] = make_msgid(domain="parkgrid.local")
        message["X-ParkGrid-Notice"] = message_key
        message.set_content(body)
        if language:  # after the content, which clears every Content-* header
            message["Content-Language"] = language  # a reader shows Arabic right to left
        try:
            await asyncio.to_thread(self._send, message)
        except (smtplib.SMTPException, OSError) as exc:
            raise MailRefused(f"{type(exc).__name__}: {exc}") from exc

    def _send(self, message: EmailMessage) -> None:
        smtp = (
            smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self.tls)
            if self.security == "tls"
            else smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        )
        with smtp:
            if self.security == "starttls":
                smtp.starttls(context=self.tls)
            if self.user:
                smtp.login(self.user, self.password or "")
            smtp.send_message(message)
