"""Dependencies as `Annotated` aliases: a route names what it needs by type."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from dd_gateway.analyses.service import AnalysisService
from dd_gateway.core.container import Container, container_of
from dd_gateway.keys.auth import Viewer, presented_token
from dd_gateway.services.catalogue import Backends


def get_container(request: Request) -> Container:
    return container_of(request.app)


ContainerDep = Annotated[Container, Depends(get_container)]


def get_viewer(
    container: ContainerDep, token: Annotated[str | None, Depends(presented_token)]
) -> Viewer:
    """Who is asking (401/429 when keys are required and the key is missing, wrong,
    revoked or over its rate)."""
    return container.authenticator.viewer(token)


def get_analyses(container: ContainerDep) -> AnalysisService:
    return container.analyses


def get_backends(container: ContainerDep) -> Backends:
    return container.backends


ViewerDep = Annotated[Viewer, Depends(get_viewer)]
AnalysesDep = Annotated[AnalysisService, Depends(get_analyses)]
BackendsDep = Annotated[Backends, Depends(get_backends)]
