"""The community's HTTP API under /v1, one router per feature.

- `members.py`: register, search, read, change, stage, leave (member organisations);
- `people.py`: people join and leave an organisation;
- `events.py`: community events and their venue saga's answers (200 / 202);
- `event_changes.py`: staff revise an event (PATCH) or cancel it;
- `registrations.py`: register, list, read, cancel;
- `door.py`: tickets and check-in;
- `scope.py`: who may see what (404 for another organisation's, 403 for another site's).

Roles: staff (admin, and front desk for their sites) register members, run events and act
on behalf of members; a member sees their own organisation and registers its people.
"""

from __future__ import annotations

from fastapi import APIRouter

from community.entrypoints.http import door, event_changes, events, members, people, registrations

ROUTERS: list[APIRouter] = [
    members.router,
    people.router,
    events.router,
    event_changes.router,
    registrations.router,
    door.router,
]
