"""Structured logging with a correlation id that follows a request through events.

The correlation id lives in a context variable: the HTTP middleware sets it from
`X-Correlation-ID` (or a new one), the outbox stamps it on every event, and the
consumer runner restores it from each event it handles, so one id ties a request
to every effect it has across services.
"""

from __future__ import annotations

import logging
import sys
import uuid
from contextvars import ContextVar
from typing import Any

import structlog

correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)
causation_id: ContextVar[str | None] = ContextVar("causation_id", default=None)
acting: ContextVar[str | None] = ContextVar("acting", default=None)
"""Who the current request acts as (`<role>:<subject>`), once its token is verified; None in a
consumer or a background job, whose events the service itself causes. Stamped on every event
as its `actor` (the audit trail's "who")."""


def new_id() -> str:
    return str(uuid.uuid4())


def bind_correlation(correlation: str | None, causation: str | None = None) -> None:
    """Make these ids current for logs and for the events created from here on."""
    correlation_id.set(correlation)
    causation_id.set(causation)
    structlog.contextvars.bind_contextvars(correlation_id=correlation, causation_id=causation)


def bind_actor(actor: str | None) -> None:
    """Make `actor` the one the events created from here on name (and the logs)."""
    acting.set(actor)
    structlog.contextvars.bind_contextvars(actor=actor)


def configure_logging(level: str = "INFO", json: bool = True) -> None:
    """Configure structlog (and route stdlib logging, e.g. aiokafka's, through it)."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Any = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
            foreign_pre_chain=shared,
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(max(logging.getLevelName(level.upper()), logging.INFO))
    logging.getLogger("aiokafka").setLevel(logging.WARNING)


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)  # type: ignore[no-any-return]
