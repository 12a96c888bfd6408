"""Exports under /v1/exports (issue 22, item 2): an admin, or a person of the organisation itself,
asks for everything ParkGrid holds on a member organisation (or one of its people), follows its
progress, and downloads the archive once every service has answered. Front desks may not: an export
is the organisation's right, decided by it or by the network's admins."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Response
from fastapi.responses import JSONResponse

from insights.service_layer.exports import Exports
from parkgrid.api.exports import ExportArchive, ExportIn, ExportRead
from parkgrid.auth import Principal, Role, require_roles
from parkgrid.contracts.common import Actor
from parkgrid.contracts.privacy import ExportSubject
from parkgrid.http.access import acts_for, component
from parkgrid.http.idempotency import command_id
from parkgrid.http.problems import NotFound, problems

router = APIRouter(prefix="/v1/exports", tags=["exports"])
Service = Annotated[Exports, component(Exports)]
AdminOrMember = Annotated[Principal, Depends(require_roles(Role.ADMIN, Role.MEMBER))]


async def visible(exports: Exports, principal: Principal, export_id: str) -> dict[str, Any]:
    """The export if the caller may see it: a member sees its own organisation's only (else 404)."""
    export = await exports.read(export_id)
    if not principal.may_act_for_member(export["member_id"]):
        raise NotFound(f"no export {export_id}")
    return export


@router.post("", status_code=202, response_model=ExportRead, responses=problems(403, 422))
async def request_export(
    body: ExportIn,
    principal: AdminOrMember,
    exports: Service,
    response: Response,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> Any:
    """Asks every service; 202 with the export's address (`Location`) while it gathers. The same
    `Idempotency-Key` is the same export."""
    acts_for(principal, body.member_id, "a member exports its own organisation's data only", field="member_id")
    export_id = "ex-" + command_id(f"insights.export:{principal.subject}", idempotency_key)
    by = Actor(role=principal.role.value, subject=principal.subject)
    export = await exports.request(ExportSubject(member_id=body.member_id, person_id=body.person_id), by, export_id)
    response.headers["Location"] = f"/v1/exports/{export_id}"
    return export


@router.get("/{export_id}", response_model=ExportRead, responses=problems(403, 404))
async def export_progress(export_id: str, principal: AdminOrMember, exports: Service) -> Any:
    return await visible(exports, principal, export_id)


@router.get(
    "/{export_id}/archive",
    response_model=ExportArchive,
    responses={**problems(403, 404, 409), 200: {"description": "The archive, as a file to keep."}},
)
async def export_archive(export_id: str, principal: AdminOrMember, exports: Service) -> Any:
    """One JSON document (409 while the export is still gathering), offered as a file."""
    await visible(exports, principal, export_id)
    archive = ExportArchive.model_validate(await exports.archive(export_id))
    return JSONResponse(
        archive.model_dump(mode="json"),
        headers={"Content-Disposition": f'attachment; filename="parkgrid-export-{export_id}.json"'},
    )
