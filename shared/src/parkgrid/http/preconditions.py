"""ETags and `If-Match` (DESIGN.md: updates carry If-Match; stale → 412, missing → 428).

An aggregate's ETag is its version, so `If-Match` hands the handler the version to guard
its write with (`MongoAggregateStore.update(..., expected_version, ...)`).
"""

from __future__ import annotations

from parkgrid.http.problems import PreconditionFailed, PreconditionRequired


def etag(version: int) -> str:
    return f'"{version}"'


def optional_version(if_match: str | None) -> int | None:
    """The version an `If-Match` names, or None without one; 412 for what is no ETag of ours."""
    if if_match is None:
        return None
    value = if_match.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise PreconditionFailed(f"If-Match {if_match!r} is not an ETag of this resource", field="If-Match")
    return int(value)


def required_version(if_match: str | None) -> int:
    """Like `optional_version`, for changes that must not be made blind (428 without it)."""
    version = optional_version(if_match)
    if version is None:
        raise PreconditionRequired("send the ETag you read in If-Match", field="If-Match")
    return version
