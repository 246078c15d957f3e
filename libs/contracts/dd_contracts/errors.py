"""The one error body every app returns."""

from pydantic import BaseModel, Field


class ErrorBody(BaseModel):
    type: str = Field(description="Machine-readable error type, e.g. 'unsupported_media_type'.")
    detail: str = Field(description="One human sentence saying what went wrong.")
    request_id: str | None = Field(default=None, description="The request id, for support.")
