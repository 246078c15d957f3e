from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from dd_contracts import Readiness
from dd_gateway.core.deps import BackendsDep

router = APIRouter(tags=["ops"])


@router.get(
    "/readyz",
    response_model=Readiness,
    operation_id="readyz",
    responses={503: {"model": Readiness}},
)
async def readyz(backends: BackendsDep) -> JSONResponse:
    """Ready when the fusion service answers (without it there is no verdict)."""
    status = await backends.fusion.readiness()
    body = Readiness(ready=status.ready, service="gateway", reason=status.reason)
    return JSONResponse(status_code=200 if body.ready else 503, content=body.model_dump())
