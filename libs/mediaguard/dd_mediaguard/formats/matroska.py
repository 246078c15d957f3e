"""Matroska / WebM element walk (EBML).

The demuxer's cost is per block (packet). A walk over the clusters counts blocks and
the time they cover, within a budget of ``max_container_boxes`` elements: a file whose
blocks come faster than ``max_packets_per_second`` (2 M tiny packets in 32 MB), or that
holds more than ``max_packets`` blocks, is refused before FFmpeg demuxes it. When the
budget runs out on an honest file the walk stops and lets the (bounded) parser go on.
"""

from __future__ import annotations

from dd_contracts.catalogue import ErrorType
from dd_contracts.limits import MediaLimits
from dd_mediaguard.errors import rejected
from dd_mediaguard.facts import Facts
from dd_mediaguard.reader import Reader

EBML = 0x1A45DFA3
SEGMENT = 0x18538067
CLUSTER = 0x1F43B675
CLUSTER_TIMESTAMP = 0xE7
SIMPLE_BLOCK = 0xA3
BLOCK_GROUP = 0xA0
BLOCK = 0xA1
INFO = 0x1549A966
TIMESTAMP_SCALE = 0x2AD7B1
TRACKS = 0x1654AE6B
TRACK_ENTRY = 0xAE
TRACK_TYPE = 0x83
DOC_TYPE = 0x4282
# Children of a Segment: where an unknown-size Cluster ends.
_SEGMENT_CHILDREN = frozenset(
    {CLUSTER, INFO, TRACKS, 0x1C53BB6B, 0x114D9B74, 0x1254C367, 0x1941A469, 0x1043A770}
)
_UNKNOWN = -1
_MAX_DEPTH = 8


def looks_like_matroska(head: bytes) -> bool:
    return head[:4] == b"\x1a\x45\xdf\xa3"


def _vint(reader: Reader, offset: int, keep_marker: bool) -> tuple[int, int] | None:
    """(value, length) of an EBML variable-length integer; unknown sizes → _UNKNOWN."""
    first = reader.read(offset, 1)
    if not first or first[0] == 0:
        return None
    length = 9 - first[0].bit_length()
    data = reader.read(offset, length)
    if len(data) < length:
        return None
    value = int.from_bytes(data, "big")
    if keep_marker:
        return value, length
    value &= (1 << (7 * length)) - 1
    if value == (1 << (7 * length)) - 1:
        return _UNKNOWN, length
    return value, length


class _Walk:
    def __init__(self, reader: Reader, limits: MediaLimits, facts: Facts) -> None:
        self.r = reader
        self.limits = limits
        self.facts = facts
        self.scale_ns = 1_000_000
        self.blocks = 0
        self.first_ts: int | None = None
        self.last_ts = 0
        self.track_types: set[int] = set()
        self.exhausted = False
        self.cluster_ts = 0

    def elements(self, start: int, end: int, depth: int, parent: int | None) -> int:
        """Walk children in [start, end); returns where the walk stopped."""
        offset = start
        while offset < end and not self.exhausted:
            element = _vint(self.r, offset, keep_marker=True)
            size = _vint(self.r, offset + element[1], keep_marker=False) if element else None
            if element is None or size is None:
                if offset < self.r.size and depth > 0:
                    raise rejected(ErrorType.corrupt_media, "A Matroska element is damaged.")
                self.facts.truncated = offset < end
                return offset
            ident, body = element[0], offset + element[1] + size[1]
            if parent == CLUSTER and ident in _SEGMENT_CHILDREN:
                return offset  # the end of an unknown-size cluster
            self.facts.elements += 1
            if self.facts.elements > self.limits.max_container_boxes:
                self.exhausted = True  # budget spent: judge on what was seen
                return offset
            child_end = end if size[0] == _UNKNOWN else body + size[0]
            if child_end > end:
                if depth > 1:
                    raise rejected(
                        ErrorType.corrupt_media,
                        "A Matroska element runs past the end of its parent (damaged file).",
                    )
                self.facts.truncated = True
                child_end = end
            stop = self.element(ident, body, child_end, depth)
            offset = stop if size[0] == _UNKNOWN else child_end
        return offset

    def element(self, ident: int, body: int, end: int, depth: int) -> int:
        if depth > _MAX_DEPTH:
            raise rejected(ErrorType.parse_limit_exceeded, "Matroska elements nest too deeply.")
        if ident in (SEGMENT, INFO, TRACKS, TRACK_ENTRY, CLUSTER, BLOCK_GROUP, EBML):
            return self.elements(body, end, depth + 1, ident)
        if ident == TIMESTAMP_SCALE:
            self.scale_ns = self.uint(body, end) or 1_000_000
        elif ident == DOC_TYPE:
            self.facts.container = self.r.read(body, min(end - body, 16)).decode("ascii", "replace")
        elif ident == TRACK_TYPE:
            self.track_types.add(self.uint(body, end))
        elif ident == CLUSTER_TIMESTAMP:
            self.cluster_ts = self.uint(body, end)
        elif ident in (SIMPLE_BLOCK, BLOCK):
            self.block(body, end)
        return end

    def uint(self, body: int, end: int) -> int:
        return int.from_bytes(self.r.read(body, min(end - body, 8)), "big")

    def block(self, body: int, end: int) -> None:
        self.blocks += 1
        track = _vint(self.r, body, keep_marker=False)
        if track is None:
            return
        rel = self.r.read(body + track[1], 2)
        if len(rel) < 2:
            return
        ts = self.cluster_ts + int.from_bytes(rel, "big", signed=True)
        self.first_ts = ts if self.first_ts is None else min(self.first_ts, ts)
        self.last_ts = max(self.last_ts, ts)
        if self.blocks > self.limits.max_packets:
            raise rejected(
                ErrorType.too_many_frames,
                f"The file holds more than {self.limits.max_packets} packets.",
            )

    def span_s(self) -> float:
        if self.first_ts is None:
            return 0.0
        return (self.last_ts - self.first_ts) * self.scale_ns / 1e9


def walk(reader: Reader, limits: MediaLimits, facts: Facts) -> None:
    facts.container = "matroska"
    state = _Walk(reader, limits, facts)
    state.elements(0, reader.size, 0, None)
    span = state.span_s()
    # One second of slack: a clip shorter than a second still has its packets.
    allowed = (span + 1.0) * limits.max_packets_per_second
    if state.blocks > allowed:
        raise rejected(
            ErrorType.too_many_frames,
            f"The file packs {state.blocks} packets into {span:.1f} s "
            f"(over {limits.max_packets_per_second:g} packets per second).",
        )
    facts.declared_samples = state.blocks
    # Matroska track types: 1 video, 2 audio.
    facts.kind = "video" if 1 in state.track_types else "audio" if 2 in state.track_types else None
