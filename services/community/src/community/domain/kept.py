"""The base of community's aggregates: its own models, not the contracts it publishes."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Kept(BaseModel):
    """What community keeps of one aggregate: immutable, and blind to the flat search fields the store adds."""

    model_config = ConfigDict(frozen=True, extra="ignore")
