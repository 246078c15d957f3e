"""Server-Sent Events of GET /v1/analyses/{id}/events, parsed into AnalysisEvent."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator

from dd_contracts.analysis import AnalysisEvent
from dfd.errors import parse

TERMINAL = frozenset({"fused", "failed"})


class _Decoder:
    """Accumulates `data:` lines until the blank line that ends an event."""

    def __init__(self) -> None:
        self.data: list[str] = []

    def feed(self, line: str) -> AnalysisEvent | None:
        line = line.rstrip("\r\n")
        if not line:
            if not self.data:
                return None
            payload, self.data = "\n".join(self.data), []
            return parse(AnalysisEvent, payload)
        if line.startswith(":"):  # comment: keep-alive
            return None
        field, _, value = line.partition(":")
        if field == "data":
            self.data.append(value[1:] if value.startswith(" ") else value)
        return None


def parse_events(lines: Iterable[str]) -> Iterator[AnalysisEvent]:
    decoder = _Decoder()
    for line in lines:
        if (event := decoder.feed(line)) is not None:
            yield event


async def aparse_events(lines: AsyncIterator[str]) -> AsyncIterator[AnalysisEvent]:
    decoder = _Decoder()
    async for line in lines:
        if (event := decoder.feed(line)) is not None:
            yield event
