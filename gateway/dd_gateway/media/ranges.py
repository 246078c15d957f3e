"""HTTP Range (RFC 9110 §14) for one byte range: `bytes=a-b`, `bytes=a-`, `bytes=-n`."""

from __future__ import annotations

from dd_contracts.catalogue import ErrorType
from dd_gateway.core.errors import GatewayError


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(first, last) inclusive, or None to send the whole file (no header, or one we do
    not honour: several ranges, other units). Unsatisfiable: 416 range_not_satisfiable."""
    if not header:
        return None
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first_text, dash, last_text = spec.strip().partition("-")
    if not dash:
        return None
    try:
        if first_text == "":
            suffix = int(last_text)
            if suffix <= 0:
                raise _unsatisfiable(size)
            first, last = max(0, size - suffix), size - 1
        else:
            first = int(first_text)
            last = int(last_text) if last_text else size - 1
    except ValueError:
        return None
    if first < 0 or first >= size or last < first:
        raise _unsatisfiable(size)
    return first, min(last, size - 1)


def _unsatisfiable(size: int) -> GatewayError:
    return GatewayError.of(
        ErrorType.range_not_satisfiable,
        f"The requested byte range is not in the file ({size} bytes).",
        headers={"Content-Range": f"bytes */{size}"},
    )
