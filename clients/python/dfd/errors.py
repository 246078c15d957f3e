"""What the client raises: the gateway's error body, typed, or a transport failure."""

from __future__ import annotations

from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from dd_contracts import ErrorBody


class DfdError(Exception):
    """Anything the client could not do. `type` is machine-readable, like the gateway's."""

    type: str = "client_error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class ApiError(DfdError):
    """The gateway answered with an error body `{type, detail, request_id}`."""

    def __init__(self, status: int, body: ErrorBody) -> None:
        super().__init__(body.detail)
        self.status = status
        self.type = body.type
        self.request_id = body.request_id
        self.body = body

    def __str__(self) -> str:
        return f"{self.type} ({self.status}): {self.detail}"

    @classmethod
    def from_response(cls, response: httpx.Response) -> ApiError:
        """Our error shape when the body has it; otherwise a body made from the status."""
        try:
            body = ErrorBody.model_validate_json(response.content)
        except ValueError:
            text = response.text.strip().splitlines()[0][:200] if response.text.strip() else ""
            body = ErrorBody(
                type="http_error",
                detail=f"HTTP {response.status_code} {response.reason_phrase}. {text}".strip(),
                request_id=response.headers.get("x-request-id"),
            )
        return cls(response.status_code, body)


class ConnectionFailed(DfdError):
    """The gateway could not be reached (after the retries)."""

    type = "connection_failed"

    def __str__(self) -> str:
        return f"{self.type}: {self.detail}"


class UnexpectedAnswer(DfdError):
    """The gateway answered something that does not match the contracts (a gateway of
    another version, or not a DeepfakeDetective gateway at all)."""

    type = "unexpected_answer"

    def __str__(self) -> str:
        return f"{self.type}: {self.detail}"


M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], content: bytes | str | Any) -> M:
    """JSON text (or already-decoded JSON) as `model`; UnexpectedAnswer when it is not."""
    try:
        if isinstance(content, bytes | str):
            return model.model_validate_json(content)
        return model.model_validate(content)
    except ValidationError as exc:
        errors = exc.errors()
        where = ".".join(str(p) for p in errors[0]["loc"]) if errors else ""
        message = errors[0]["msg"] if errors else "invalid"
        raise UnexpectedAnswer(
            f"the gateway's answer is not a valid {model.__name__} ({where or 'body'}: {message})"
        ) from exc
