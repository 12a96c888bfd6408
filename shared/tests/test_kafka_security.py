"""The Kafka security settings become aiokafka's arguments in one place, for every client.

Production runs SASL/SCRAM-SHA-512 over TLS (deploy/production); the local broker is
PLAINTEXT and must get no security arguments at all.
"""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from parkgrid.kafka import client_options, make_producer
from parkgrid.settings import KitSettings

CA = Path(ssl.get_default_verify_paths().cafile or "/etc/ssl/certs/ca-certificates.crt")


def scram_settings(**changes: str) -> KitSettings:
    values = {
        "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
        "KAFKA_SASL_USERNAME": "bookings",
        "KAFKA_SASL_PASSWORD": "s3cret",
        **changes,
    }
    return KitSettings(**values)  # type: ignore[arg-type]


def test_plaintext_by_default_adds_no_security_argument() -> None:
    assert client_options("k:9092", KitSettings()) == {"bootstrap_servers": "k:9092"}


def test_scram_sha_512_over_sasl_ssl() -> None:
    options = client_options("k1:9092,k2:9092", scram_settings())
    context = options.pop("ssl_context")
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    assert options == {
        "bootstrap_servers": "k1:9092,k2:9092",
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "bookings",
        "sasl_plain_password": "s3cret",
    }


@pytest.mark.skipif(not CA.is_file(), reason="no CA bundle on this machine")
def test_the_brokers_ca_file_is_trusted() -> None:
    context = client_options("k:9092", scram_settings(KAFKA_SSL_CAFILE=str(CA)))["ssl_context"]
    assert context.cert_store_stats()["x509_ca"] > 0


def test_sasl_without_credentials_is_refused_at_once() -> None:
    with pytest.raises(ValueError, match="KAFKA_SASL_USERNAME"):
        client_options("k:9092", KitSettings(KAFKA_SECURITY_PROTOCOL="SASL_SSL"))  # type: ignore[call-arg]


def test_the_environment_is_read_when_no_settings_are_given(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
        "KAFKA_SASL_MECHANISM": "SCRAM-SHA-256",
        "KAFKA_SASL_USERNAME": "ops",
        "KAFKA_SASL_PASSWORD": "pw",
    }.items():
        monkeypatch.setenv(name, value)
    assert client_options("k:9092") == {
        "bootstrap_servers": "k:9092",
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-256",
        "sasl_plain_username": "ops",
        "sasl_plain_password": "pw",
    }


async def test_aiokafka_clients_accept_the_arguments() -> None:
    """Built, not started: aiokafka checks the combination of arguments in its constructors."""
    options = client_options("k:9092", scram_settings())
    producer = make_producer("k:9092", settings=scram_settings())
    assert producer.client._security_protocol == "SASL_SSL"
    assert producer.client._sasl_mechanism == "SCRAM-SHA-512"
    consumer = AIOKafkaConsumer(**options, group_id=None)
    assert consumer._client._sasl_plain_username == "bookings"
    AIOKafkaAdminClient(**options)
    AIOKafkaProducer(**options)
