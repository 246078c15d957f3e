"""/v1/services and /v1/model: the backends and their models."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from dd_contracts import Readiness, ServiceStatus
from dd_gateway.core.deps import BackendsDep, ViewerDep, get_viewer
from dd_service_kit import error_responses

router = APIRouter(prefix="/v1", tags=["ops"], dependencies=[Depends(get_viewer)])
guarded = error_responses(401, 429)


@router.get(
    "/services",
    response_model=list[ServiceStatus],
    operation_id="listServices",
    responses=guarded,
)
async def list_services(backends: BackendsDep, viewer: ViewerDep) -> list[ServiceStatus]:
    """Each backend service: reachable, ready (weights loaded) and its models. Service
    addresses are internal: only an admin key (or the single-user gateway) sees them."""
    statuses = [*await backends.statuses(), await backends.fusion.readiness()]
    if viewer.admin:
        return statuses
    return [s.model_copy(update={"url": ""}) for s in statuses]


@router.get(
    "/model",
    response_model=Readiness,
    operation_id="getModels",
    responses=guarded,
)
async def models(backends: BackendsDep) -> Readiness:
    """Every model behind the gateway, across all services."""
    statuses = await backends.statuses()
    not_ready = [f"{s.name}: {s.reason}" for s in statuses if not s.ready]
    return Readiness(
        ready=not not_ready,
        service="gateway",
        reason="; ".join(not_ready) or None,
        models=[m for s in statuses for m in s.models],
    )
