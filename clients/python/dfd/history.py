"""GET /v1/analyses in either shape: the page object {items, total, limit, offset} of
AnalysisSummary, or the older plain list of full Analysis documents with X-Total-Count.
Both come back as an AnalysisPage."""

from __future__ import annotations

from typing import Any

import httpx
from pydantic import BaseModel, Field

from dd_contracts import Analysis
from dfd.errors import parse

try:  # the contracts define them from the API change on
    from dd_contracts import AnalysisPage, AnalysisSummary  # type: ignore[attr-defined]
except ImportError:  # an older dd_contracts: the same shapes, defined here

    class AnalysisSummary(BaseModel):  # type: ignore[no-redef]
        id: str
        status: str
        kind: str | None = None
        filename: str | None = None
        mime: str | None = None
        size_bytes: int | None = None
        created_at: Any = None
        finished_at: Any = None
        verdict_label: str | None = None
        fake_probability: float | None = None
        thumbnail_url: str | None = None

    class AnalysisPage(BaseModel):  # type: ignore[no-redef]
        items: list[AnalysisSummary] = Field(default_factory=list)
        total: int = 0
        limit: int = 20
        offset: int = 0


def summary_of(analysis: Analysis) -> AnalysisSummary:
    verdict = analysis.verdict
    return AnalysisSummary.model_validate(
        {
            "id": analysis.id,
            "status": analysis.status,
            "kind": analysis.media.kind,
            "filename": analysis.media.filename,
            "mime": analysis.media.mime,
            "size_bytes": analysis.media.size_bytes,
            "created_at": analysis.created_at,
            "finished_at": analysis.finished_at,
            "verdict_label": verdict.label if verdict else None,
            "fake_probability": verdict.fake_probability if verdict else None,
            "thumbnail_url": None,
        }
    )


def page_from_response(response: httpx.Response, limit: int, offset: int) -> AnalysisPage:
    body = response.json()
    if isinstance(body, dict):
        return parse(AnalysisPage, body)
    items = [summary_of(parse(Analysis, doc)) for doc in body]
    total = int(response.headers.get("x-total-count", len(items)))
    return AnalysisPage.model_validate(
        {"items": items, "total": total, "limit": limit, "offset": offset}
    )
