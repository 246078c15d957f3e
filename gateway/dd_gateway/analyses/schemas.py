"""Request parameters and OpenAPI descriptions of the analyses routes (the document
shapes themselves are contracts: dd_contracts.analysis)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Query
from pydantic import AnyHttpUrl

from dd_contracts import MediaKind, VerdictLabel

CACHE_HEADER = "X-DD-Cache"
IMMUTABLE = "public, max-age=31536000, immutable"

Wait = Annotated[bool, Query(description="Answer with the finished analysis")]
Force = Annotated[bool, Query(description="Analyse again even if a stored result exists")]
CallbackUrl = Annotated[
    AnyHttpUrl | None,
    Query(description="POST the finished document here, signed (X-DD-Signature)"),
]
Limit = Annotated[int, Query(ge=1, le=100)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
KindFilter = Annotated[MediaKind | None, Query(description="image, audio or video")]
VerdictFilter = Annotated[VerdictLabel | None, Query(description="fake, real, uncertain")]
NameFilter = Annotated[
    str | None,
    Query(max_length=200, description="Substring of the file name (case-insensitive)"),
]
ReportFormat = Annotated[Literal["html", "json", "pdf"], Query(description="html, json or pdf")]
ArtifactName = Annotated[str, "An artifact's name, as in the document's URLs"]

UPLOAD_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {
                        "type": "string",
                        "format": "binary",
                        "description": "Photo, voice clip or video",
                    }
                },
            }
        }
    },
}

BINARY = {"schema": {"type": "string", "format": "binary"}}
