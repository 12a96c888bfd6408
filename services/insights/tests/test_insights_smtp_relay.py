"""The mailer talks to a production relay as production needs: STARTTLS on the submission port
or implicit TLS, the server's certificate checked, a login only over TLS. Against a real SMTP
server (aiosmtpd) on a local port, with a certificate made for the test."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pydantic import ValidationError

from insights.adapters.mail import MailRefused, SmtpRelay
from insights.settings import InsightsSettings
from parkgrid.testing.stack import free_port

USER, PASSWORD = "parkgrid-mailer", "s3cret-relay"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.content)
        return "250 OK"


def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (USER.encode(), PASSWORD.encode())
    return AuthResult(success=ok, handled=False)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1: the test's CA and the relay's certificate at once."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "parkgrid test relay")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("smtp-tls")
    cert_file, key_file = folder / "relay.pem", folder / "relay.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


def server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    return context


def trusting(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate[0]))


def running(controller: Controller) -> Iterator[int]:
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()


@pytest.fixture
def submission(certificate: tuple[Path, Path]) -> Iterator[tuple[Inbox, int]]:
    """A relay on the submission model: STARTTLS required, then a login required."""
    inbox = Inbox()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=free_port(),
        tls_context=server_context(certificate),
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
    )
    for port in running(controller):
        yield inbox, port


@pytest.fixture
def implicit_tls(certificate: tuple[Path, Path]) -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=free_port(),
        ssl_context=server_context(certificate),
        authenticator=authenticator,
        auth_required=True,
        auth_require_tls=False,  # the whole connection is TLS; aiosmtpd only counts STARTTLS as such
    )
    for port in running(controller):
        yield inbox, port


def relay(port: int, **options: Any) -> SmtpRelay:
    return SmtpRelay("127.0.0.1", port, "ParkGrid <no-reply@parkgrid.test>", 10.0, **options)


async def test_starttls_and_a_login_deliver(submission: tuple[Inbox, int], certificate: tuple[Path, Path]) -> None:
    inbox, port = submission
    mailer = relay(port, security="starttls", user=USER, password=PASSWORD, tls=trusting(certificate))
    await mailer.send("salma@example.ma", "Réservation confirmée", "Bonjour", "notice-1", "fr")
    assert len(inbox.messages) == 1
    assert b"X-ParkGrid-Notice: notice-1" in inbox.messages[0]


@pytest.mark.parametrize(
    ("options", "why"),
    [
        ({"security": "starttls", "user": USER, "password": "wrong"}, "a wrong password"),
        ({"security": "starttls"}, "no login where the relay requires one"),
        ({}, "no STARTTLS where the relay requires it"),
        (
            {"security": "starttls", "user": USER, "password": PASSWORD, "tls": ssl.create_default_context()},
            "an untrusted certificate",
        ),
    ],
)
async def test_what_the_relay_refuses_is_a_refusal_the_mailer_retries(
    submission: tuple[Inbox, int], certificate: tuple[Path, Path], options: dict[str, Any], why: str
) -> None:
    inbox, port = submission
    options.setdefault("tls", trusting(certificate))
    with pytest.raises(MailRefused):
        await relay(port, **options).send("salma@example.ma", "Sujet", "Corps", "notice-2")
    assert inbox.messages == [], why


async def test_implicit_tls_delivers(implicit_tls: tuple[Inbox, int], certificate: tuple[Path, Path]) -> None:
    inbox, port = implicit_tls
    mailer = relay(port, security="tls", user=USER, password=PASSWORD, tls=trusting(certificate))
    await mailer.send("john@example.ma", "Booking confirmed", "Hello", "notice-3", "en")
    assert len(inbox.messages) == 1


def test_a_login_never_travels_in_clear() -> None:
    with pytest.raises(ValueError, match="in clear"):
        relay(25, user=USER, password=PASSWORD)
    with pytest.raises(ValidationError, match="INSIGHTS_SMTP_SECURITY"):
        InsightsSettings(INSIGHTS_SMTP_USER=USER, INSIGHTS_SMTP_PASSWORD=PASSWORD)
    settings = InsightsSettings(INSIGHTS_SMTP_USER=USER, INSIGHTS_SMTP_PASSWORD=PASSWORD, INSIGHTS_SMTP_SECURITY="tls")
    assert settings.smtp_password is not None
    assert settings.smtp_password.get_secret_value() == PASSWORD
    assert PASSWORD not in repr(settings)
