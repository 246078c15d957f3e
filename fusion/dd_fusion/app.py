"""Fusion service HTTP layer."""

from __future__ import annotations

from fastapi import FastAPI

from dd_contracts import FusionRequest, ModalityTable, Readiness, Verdict
from dd_contracts.catalogue import ErrorType, status_of
from dd_fusion import __version__
from dd_fusion.rule import FusionConfig, fuse
from dd_fusion.settings import FusionSettings
from dd_service_kit import AppError, base_app, error_responses


class FusionError(AppError):
    """Base of the fusion service's own errors."""


def create_app(
    settings: FusionSettings | None = None, modalities: ModalityTable | None = None
) -> FastAPI:
    """`modalities`: the modality table whose weights fuse (default: DD_MODALITIES or the
    built-in table)."""
    settings = settings or FusionSettings()
    table = modalities or ModalityTable.from_env()
    config = FusionConfig.from_file(settings.weights_file, table.weights())
    app = base_app(
        service="fusion",
        version=__version__,
        settings=settings,
        description="Combines per-modality fake probabilities into one verdict.",
    )

    @app.get("/readyz", response_model=Readiness, operation_id="readyz", tags=["ops"])
    def readyz() -> Readiness:
        return Readiness(ready=True, service="fusion")

    @app.get("/v1/model", operation_id="getFusionConfig", tags=["models"])
    def model() -> dict[str, object]:
        """The fusion rule and the weights in force."""
        return {
            "version": config.version,
            "weights": config.weights,
            "threshold": config.threshold,
            "uncertain_band": config.uncertain_band,
        }

    @app.post(
        "/v1/fuse",
        response_model=Verdict,
        operation_id="fuse",
        tags=["fusion"],
        responses=error_responses(422),
    )
    def fuse_scores(request: FusionRequest) -> Verdict:
        modalities = [s.modality for s in request.scores]
        if len(set(modalities)) != len(modalities):
            raise FusionError(
                "Each modality may appear once.",
                type=ErrorType.duplicate_modality,
                status_code=status_of(ErrorType.duplicate_modality),
            )
        return fuse(request.scores, config)

    return app
