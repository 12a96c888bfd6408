"""Spaces' room settings, as the web app calls them: a site's rooms (staff read them), a room's
preparation and cleaning time and the site's defaults and no-show release (admins change them,
each under If-Match with the version the form was drawn from)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from frontdesk.adapters.services import Spaces
from parkgrid.api.spaces import SiteRead, SpaceList, SpaceRead


async def rooms_of(spaces: Spaces, token: str, site_id: str) -> SpaceList:
    return await spaces.read(SpaceList, f"/v1/sites/{site_id}/spaces", token)


async def room(spaces: Spaces, token: str, space_id: str) -> SpaceRead:
    return await spaces.read(SpaceRead, f"/v1/spaces/{space_id}", token)


async def change_site(spaces: Spaces, token: str, site_id: str, changes: Mapping[str, Any], version: str) -> SiteRead:
    """Change the site if it is still at `version` (else spaces answers 412)."""
    path = f"/v1/sites/{site_id}"
    answer = await spaces.patch(path, token, changes, headers={"If-Match": f'"{version}"'})
    return spaces.parse(SiteRead, answer, path)


async def change_room(spaces: Spaces, token: str, space_id: str, changes: Mapping[str, Any], version: str) -> SpaceRead:
    """Change the room if it is still at `version` (else spaces answers 412)."""
    path = f"/v1/spaces/{space_id}"
    answer = await spaces.patch(path, token, changes, headers={"If-Match": f'"{version}"'})
    return spaces.parse(SpaceRead, answer, path)
