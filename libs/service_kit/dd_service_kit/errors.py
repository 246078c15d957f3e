"""One error shape for every app: {"type", "detail", "request_id"}, from one handler."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from dd_contracts import ErrorBody
from dd_contracts.catalogue import CATALOGUE, ErrorType, status_of
from dd_inference import MediaRejected
from dd_service_kit.request_id import current_request_id

log = logging.getLogger(__name__)


class AppError(Exception):
    """Base of every error an app raises on purpose. Each app subclasses it once
    (GatewayError, FusionError, ...) or raises it with a catalogue type. The status
    defaults to the catalogue's status for the type (dd_contracts.catalogue)."""

    status_code: int = 500
    type: str = "internal_error"

    def __init__(
        self,
        detail: str,
        *,
        type: ErrorType | str | None = None,
        status_code: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if type is not None:
            self.type = str(type)
            if status_code is None:
                status_code = status_of(type)
        if status_code is not None:
            self.status_code = status_code
        self.headers = headers or {}


def error_response(
    status_code: int, type: ErrorType | str, detail: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = ErrorBody(type=str(type), detail=detail, request_id=current_request_id())
    return JSONResponse(status_code=status_code, content=body.model_dump(), headers=headers)


_HTTP_TYPES = {
    400: ErrorType.bad_request,
    401: ErrorType.unauthorized,
    403: ErrorType.forbidden,
    404: ErrorType.not_found,
    405: ErrorType.method_not_allowed,
    413: ErrorType.payload_too_large,
    415: ErrorType.unsupported_media_type,
    416: ErrorType.range_not_satisfiable,
    429: ErrorType.rate_limited,
    503: ErrorType.unavailable,
}


def _validation_sentence(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return "The request is invalid: " + "; ".join(parts) + "."


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(_: Request, exc: AppError) -> JSONResponse:
        return error_response(exc.status_code, exc.type, exc.detail, exc.headers)

    @app.exception_handler(MediaRejected)
    async def _media_rejected(_: Request, exc: MediaRejected) -> JSONResponse:
        return error_response(exc.status_code, exc.type.value, exc.detail)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, ErrorType.validation_error, _validation_sentence(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        fallback = ErrorType.internal_error if exc.status_code >= 500 else ErrorType.bad_request
        type_ = str(_HTTP_TYPES.get(exc.status_code, fallback))
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        return error_response(exc.status_code, type_, detail, getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        spec = CATALOGUE[ErrorType.internal_error]
        return error_response(spec.status, ErrorType.internal_error, spec.sentence)


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI documentation of the error bodies a route can answer."""
    return {code: {"model": ErrorBody, "description": HTTPStatus(code).phrase} for code in codes}
