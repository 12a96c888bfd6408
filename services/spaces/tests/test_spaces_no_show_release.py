"""A site's no-show release (`no_show_release_minutes`: after how long bookings releases a booking
not checked in), set by admins through the site's PATCH with If-Match, cleared with null, refused
out of range, and published on `spaces.site` for bookings to project. A site that never set it has
none (the rule is off: today's behaviour)."""

from __future__ import annotations

import httpx
from spaces_support import SITE, add_site_with_rooms, bearer, fields_of

from parkgrid.settings import KitSettings
from parkgrid.testing.topics import read_topic

pytest_plugins = ["spaces_fixtures"]


async def test_admins_set_and_clear_a_sites_no_show_release_and_it_is_published(
    client: httpx.AsyncClient, tokens: dict[str, str], settings: KitSettings
) -> None:
    admin = bearer(tokens["admin"])
    await add_site_with_rooms(client, tokens["admin"], [{"space_id": "room-a", "name": "Argane", "capacity": 8}])
    found = await client.get(f"/v1/sites/{SITE}", headers=admin)
    assert found.json()["no_show_release_minutes"] is None

    change = {"no_show_release_minutes": 15}
    assert (await client.patch(f"/v1/sites/{SITE}", json=change, headers=admin)).status_code == 428
    patched = await client.patch(f"/v1/sites/{SITE}", json=change, headers={**admin, "If-Match": found.headers["ETag"]})
    assert patched.status_code == 200, patched.text
    assert patched.json()["no_show_release_minutes"] == 15
    fresh = {**admin, "If-Match": patched.headers["ETag"]}
    for wrong in (2, 241, "soon"):
        refused = await client.patch(f"/v1/sites/{SITE}", json={"no_show_release_minutes": wrong}, headers=fresh)
        assert fields_of(refused) == ["no_show_release_minutes"], refused.text
    desk = bearer(tokens["desk"])
    assert (
        await client.patch(f"/v1/sites/{SITE}", json=change, headers={**desk, "If-Match": fresh["If-Match"]})
    ).status_code == 403

    cleared = await client.patch(f"/v1/sites/{SITE}", json={"no_show_release_minutes": None}, headers=fresh)
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["no_show_release_minutes"] is None

    sites = await read_topic(settings, "spaces.site", until=3)
    assert [e.data.get("no_show_release_minutes") for e in sites] == [None, 15, None]
