"""Liveness and readiness answers."""

from typing import Literal

from pydantic import BaseModel

from dd_contracts.models import ModelInfo


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    service: str
    version: str


class Readiness(BaseModel):
    ready: bool
    service: str
    reason: str | None = None
    models: list[ModelInfo] = []
