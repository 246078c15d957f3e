"""Two things FastAPI's OpenAPI generator cannot know about the gateway."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from dd_contracts import ErrorBody
from dd_contracts.analysis import AnalysisEvent

_VALIDATION_ERROR_REF = "#/components/schemas/HTTPValidationError"


def complete_openapi(app: FastAPI) -> None:
    """The SSE route names AnalysisEvent by reference (FastAPI only collects models used
    as JSON bodies), and our one error handler answers 422 with ErrorBody, not FastAPI's
    HTTPValidationError."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        spec = generate()
        event = AnalysisEvent.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas = spec.setdefault("components", {}).setdefault("schemas", {})
        for name, definition in event.pop("$defs", {}).items():
            schemas.setdefault(name, definition)
        schemas["AnalysisEvent"] = event
        for operation in (op for path in spec["paths"].values() for op in path.values()):
            invalid = operation["responses"].get("422", {})
            body = invalid.get("content", {}).get("application/json", {})
            if body.get("schema", {}).get("$ref") == _VALIDATION_ERROR_REF:
                body["schema"] = {"$ref": "#/components/schemas/ErrorBody"}
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
        schemas.setdefault(
            "ErrorBody",
            ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}"),
        )
        app.openapi_schema = spec
        return spec

    app.openapi = openapi  # type: ignore[method-assign]
