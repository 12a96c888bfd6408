"""Typed path parameters: an id in a URL is checked like an id in a body.

Without this an id such as `¶` in `/v1/sites/¶/spaces` reaches the domain, where the
contract models refuse it with a validation error that is not the request's: a 500
instead of a 422 naming the parameter.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from parkgrid.contracts.common import ID_PATTERN

PathId = Annotated[str, Path(min_length=1, max_length=100, pattern=ID_PATTERN, description="An identifier.")]
