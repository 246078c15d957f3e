"""ISO BMFF (MP4, MOV, M4A, 3GP) box walk.

FFmpeg's mov demuxer builds one index entry per *declared* sample when it opens a file
(about 70 bytes each with its side tables), so a 1.5 KB file whose sample tables declare
10 M samples costs ~700 MiB before a frame is read. Here every sample table is checked
against the bytes that back it: an entry table must fit inside its box, and a track may
not declare more samples than the file has bytes (a sample is at least one byte) nor more
than ``max_declared_samples``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dd_contracts.catalogue import ErrorType
from dd_contracts.limits import MediaLimits
from dd_mediaguard.errors import rejected
from dd_mediaguard.facts import Facts
from dd_mediaguard.reader import Reader

# Boxes whose payload is a list of boxes (no header fields of their own).
_CONTAINERS = frozenset(
    {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"dinf", b"mvex", b"moof",
     b"traf", b"mfra"}
)  # fmt: skip
_MAX_DEPTH = 12
_TOP_LEVEL = frozenset(
    {b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"moof", b"mfra", b"uuid",
     b"pdin", b"meta", b"sidx", b"styp", b"prft", b"emsg", b"pnot", b"junk", b"PICT"}
)  # fmt: skip


def looks_like_mp4(head: bytes) -> bool:
    return len(head) >= 8 and head[4:8] in _TOP_LEVEL


@dataclass
class _Track:
    handler: bytes = b""
    stsz_count: int = 0
    stsz_constant: int = 0
    stts_sum: int = 0
    stts_entries: int = 0
    stts_first_delta: int = 0
    ctts_sum: int = 0
    chunk_count: int | None = None
    stsc: np.ndarray | None = None  # (n, 3) uint32: first_chunk, samples_per_chunk, desc

    def stsc_samples(self) -> int:
        if self.stsc is None or len(self.stsc) == 0:
            return 0
        first = self.stsc[:, 0].astype(np.int64)
        per_chunk = self.stsc[:, 1].astype(np.int64)
        last_chunk = self.chunk_count if self.chunk_count is not None else int(first[-1])
        ends = np.append(first[1:], last_chunk + 1)
        runs = np.clip(ends - first, 0, None)
        return int((runs * per_chunk).sum())

    def per_sample_index(self) -> bool:
        """FFmpeg indexes uncompressed audio (constant sample size, one stts entry of
        delta 1) per chunk, everything else per sample."""
        return not (
            self.stsz_constant > 0 and self.stts_entries == 1 and self.stts_first_delta == 1
        )

    def declared(self) -> int:
        return max(self.stsz_count, self.stts_sum, self.ctts_sum, self.stsc_samples())


class _Walk:
    def __init__(self, reader: Reader, limits: MediaLimits, facts: Facts) -> None:
        self.r = reader
        self.limits = limits
        self.facts = facts
        self.track: _Track | None = None
        self.fragment_samples = 0
        self.max_declared = 0
        self.handlers: set[bytes] = set()

    def boxes(self, start: int, end: int, depth: int) -> None:
        if depth > _MAX_DEPTH:
            raise rejected(ErrorType.parse_limit_exceeded, "The MP4 boxes nest too deeply.")
        offset = start
        while offset + 8 <= end:
            self.facts.elements += 1
            if self.facts.elements > self.limits.max_container_boxes:
                raise rejected(
                    ErrorType.parse_limit_exceeded,
                    f"The file has more than {self.limits.max_container_boxes} MP4 boxes.",
                )
            size, kind = self.r.unpack(">I4s", offset) or (0, b"")
            header = 8
            if size == 1:
                large = self.r.unpack(">Q", offset + 8)
                if large is None:
                    break
                size, header = large[0], 16
            elif size == 0:  # "to the end of the file" (last top-level box)
                size = end - offset
            if size < header:
                raise rejected(ErrorType.corrupt_media, f"The MP4 box '{_name(kind)}' is damaged.")
            box_end = offset + size
            if box_end > end:
                if depth > 0 or kind == b"moov":
                    raise rejected(
                        ErrorType.corrupt_media,
                        f"The MP4 box '{_name(kind)}' runs past the end of its parent "
                        "(truncated or damaged file).",
                    )
                self.facts.truncated = True  # media data cut short: the parser decides
                box_end = end
            self.box(kind, offset + header, box_end, depth)
            offset = box_end

    def box(self, kind: bytes, body: int, end: int, depth: int) -> None:
        if kind == b"trak":
            self.track = _Track()
            self.boxes(body, end, depth + 1)
            self.finish_track(self.track)
            self.track = None
        elif kind in _CONTAINERS:
            self.boxes(body, end, depth + 1)
        elif kind == b"trun":
            self.trun(body, end)
        elif self.track is not None:
            self.sample_table(kind, body, end)

    def table(self, body: int, end: int, entry_size: int, header: int = 8) -> int:
        """Entry count of a full box whose entries follow a count field; the entries must
        fit in the box (the count is what a demuxer allocates for)."""
        fields = self.r.unpack(">I", body + header - 4)
        if fields is None:
            raise rejected(ErrorType.corrupt_media, "An MP4 sample table is cut short.")
        count = fields[0]
        if count * entry_size > end - body - header:
            raise rejected(
                ErrorType.corrupt_media,
                f"An MP4 sample table declares {count} entries but holds "
                f"{max(0, end - body - header) // entry_size}.",
            )
        return count

    def entries(self, body: int, count: int, columns: int, header: int = 8) -> np.ndarray:
        raw = self.r.read(body + header, count * columns * 4)
        return np.frombuffer(raw, dtype=">u4").reshape(count, columns)

    def sample_table(self, kind: bytes, body: int, end: int) -> None:
        track = self.track
        assert track is not None
        if kind == b"hdlr":
            track.handler = self.r.read(body + 8, 4)
        elif kind == b"stsz":
            fields = self.r.unpack(">II", body + 4)
            if fields is None:
                raise rejected(ErrorType.corrupt_media, "The MP4 stsz box is cut short.")
            track.stsz_constant, track.stsz_count = fields
            if track.stsz_constant == 0:
                self.table(body, end, 4, header=12)
        elif kind == b"stz2":
            track.stsz_count = self.table(body, end, 0, header=12)
            field_bits = (self.r.unpack(">B", body + 7) or (0,))[0]
            if track.stsz_count * field_bits > (end - body - 12) * 8:
                raise rejected(ErrorType.corrupt_media, "The MP4 stz2 table is cut short.")
        elif kind == b"stts":
            count = self.table(body, end, 8)
            rows = self.entries(body, count, 2)
            track.stts_entries = count
            track.stts_sum = int(rows[:, 0].astype(np.int64).sum())
            track.stts_first_delta = int(rows[0, 1]) if count else 0
        elif kind == b"ctts":
            rows = self.entries(body, self.table(body, end, 8), 2)
            track.ctts_sum = int(rows[:, 0].astype(np.int64).sum())
        elif kind == b"stsc":
            track.stsc = self.entries(body, self.table(body, end, 12), 3)
        elif kind == b"stco":
            track.chunk_count = self.table(body, end, 4)
        elif kind == b"co64":
            track.chunk_count = self.table(body, end, 8)
        elif kind == b"stss":
            self.table(body, end, 4)

    def finish_track(self, track: _Track) -> None:
        declared = track.declared() if track.per_sample_index() else (track.chunk_count or 0)
        self.check_samples(declared, "track")
        self.handlers.add(track.handler)
        self.max_declared = max(self.max_declared, declared)

    def trun(self, body: int, end: int) -> None:
        fields = self.r.unpack(">II", body)
        if fields is None:
            raise rejected(ErrorType.corrupt_media, "The MP4 trun box is cut short.")
        flags, count = fields[0] & 0xFFFFFF, fields[1]
        per_sample = 4 * sum(1 for bit in (0x100, 0x200, 0x400, 0x800) if flags & bit)
        fixed = 8 + (4 if flags & 0x1 else 0) + (4 if flags & 0x4 else 0)
        if count * per_sample > end - body - fixed:
            raise rejected(ErrorType.corrupt_media, "An MP4 fragment's sample list is cut short.")
        self.fragment_samples += count
        self.check_samples(self.fragment_samples, "fragmented file")

    def check_samples(self, declared: int, what: str) -> None:
        size = self.facts.size
        if declared > size:
            raise rejected(
                ErrorType.corrupt_media,
                f"The {what} declares {declared} samples in a file of {size} bytes "
                "(a sample takes at least one byte): the container lies.",
            )
        if declared > self.limits.max_declared_samples:
            raise rejected(
                ErrorType.too_many_frames,
                f"The {what} declares {declared} samples; the limit is "
                f"{self.limits.max_declared_samples}.",
            )


def _name(kind: bytes) -> str:
    return kind.decode("latin-1").encode("ascii", "replace").decode()


def walk(reader: Reader, limits: MediaLimits, facts: Facts) -> None:
    facts.container = "mp4"
    walk_state = _Walk(reader, limits, facts)
    walk_state.boxes(0, reader.size, 0)
    facts.declared_samples = max(walk_state.max_declared, walk_state.fragment_samples)
    if b"vide" in walk_state.handlers:
        facts.kind = "video"
    elif b"soun" in walk_state.handlers:
        facts.kind = "audio"
