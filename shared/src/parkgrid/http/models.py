"""Models at the edge: request bodies refuse what they do not know; reads say what they return.

A contract type (what events publish) tolerates added fields, as a subscriber must; a
request body must not, or a typo (`starts_on` for `starts_at`) is silently dropped.
`strict(Model)` is the contract type as a request body, instead of a hand-made copy.
"""

from __future__ import annotations

from typing import TypeVar, cast

from pydantic import BaseModel, ConfigDict

M = TypeVar("M", bound=BaseModel)

_STRICT: dict[type[BaseModel], type[BaseModel]] = {}


class RequestModel(BaseModel):
    """Base of a request body: unknown fields are a 422 naming them."""

    model_config = ConfigDict(extra="forbid")


class ReadModel(BaseModel):
    """Base of a response body: what a route answers, documented in the OpenAPI."""

    model_config = ConfigDict(from_attributes=True)


def strict(model: type[M], name: str | None = None) -> type[M]:
    """`model` refusing unknown fields, under `name` (default `<Model>In`); one class per model."""
    made = _STRICT.get(model)
    if made is None:
        config = ConfigDict(**{**model.model_config, "extra": "forbid"})  # type: ignore[typeddict-item]
        made = type(name or f"{model.__name__}In", (model,), {"model_config": config, "__module__": model.__module__})
        _STRICT[model] = made
    return cast(type[M], made)
