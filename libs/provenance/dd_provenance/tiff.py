"""A bounded EXIF (TIFF IFD) reader for the handful of tags provenance needs.

Why our own and not Pillow's: hostile files put IFD offsets outside the block, point IFDs
at each other in loops, or declare millions of entries. Here every offset is checked,
every IFD is visited at most once, depth and the total entry count are bounded, and a
violation raises ``Unreadable`` naming the offset.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from dd_provenance.errors import Unreadable

_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}
_POINTERS = {0x8769: "exif", 0x8825: "gps", 0xA005: "interop"}
# The text tags we keep, by IFD-independent tag id.
TEXT_TAGS = {
    0x010E: "ImageDescription",
    0x010F: "Make",
    0x0110: "Model",
    0x0131: "Software",
    0x0132: "DateTime",
    0x013B: "Artist",
    0x9003: "DateTimeOriginal",
    0x9286: "UserComment",
    0xA433: "LensMake",
    0xA434: "LensModel",
}
_MAX_TEXT = 64 * 1024


@dataclass
class ExifData:
    tags: dict[str, str] = field(default_factory=dict)
    gps_tags: int = 0  # number of entries in the GPS IFD (coordinates never read)
    entries: int = 0


def read_exif(data: bytes, *, max_entries: int, max_depth: int) -> ExifData:
    if len(data) < 8:
        raise Unreadable("EXIF block shorter than a TIFF header")
    order = data[:2]
    if order == b"II":
        endian = "<"
    elif order == b"MM":
        endian = ">"
    else:
        raise Unreadable("EXIF block without a TIFF byte-order mark")
    (magic, first) = struct.unpack(endian + "HI", data[2:8])
    if magic != 42:
        raise Unreadable("EXIF block with a bad TIFF magic number")
    reader = _IfdReader(data, endian, max_entries, max_depth)
    reader.read_ifd(first, "ifd0", depth=0, follow_next=True)
    return reader.result


class _IfdReader:
    def __init__(self, data: bytes, endian: str, max_entries: int, max_depth: int) -> None:
        self.data = data
        self.endian = endian
        self.max_entries = max_entries
        self.max_depth = max_depth
        self.visited: set[int] = set()
        self.result = ExifData()

    def _unpack(self, fmt: str, offset: int) -> tuple[int, ...]:
        size = struct.calcsize(self.endian + fmt)
        if offset < 0 or offset + size > len(self.data):
            raise Unreadable(f"EXIF offset {offset} points outside the {len(self.data)}-byte block")
        return struct.unpack(self.endian + fmt, self.data[offset : offset + size])

    def read_ifd(self, offset: int, name: str, *, depth: int, follow_next: bool) -> None:
        chain = 0
        while offset:
            if depth > self.max_depth:
                raise Unreadable(f"EXIF IFDs nested deeper than {self.max_depth}")
            if offset in self.visited:
                raise Unreadable(f"EXIF IFD loop: offset {offset} is referenced twice")
            self.visited.add(offset)
            (count,) = self._unpack("H", offset)
            self.result.entries += count
            if self.result.entries > self.max_entries:
                raise Unreadable(f"EXIF declares more than {self.max_entries} entries")
            if offset + 2 + 12 * count + 4 > len(self.data):
                raise Unreadable(f"EXIF IFD at offset {offset} runs past the block")
            for index in range(count):
                self._entry(offset + 2 + 12 * index, name, depth)
            if not follow_next:
                return
            (offset,) = self._unpack("I", offset + 2 + 12 * count)
            chain += 1
            if chain > 2:  # IFD0 and IFD1 (thumbnail) are all a photo has
                return

    def _entry(self, pos: int, ifd: str, depth: int) -> None:
        tag, typ, count = self._unpack("HHI", pos)
        raw = self.data[pos + 8 : pos + 12]
        if tag in _POINTERS:
            (target,) = self._unpack("I", pos + 8)
            sub = _POINTERS[tag]
            if sub == "gps":
                # Only how many GPS tags there are; coordinates are never copied.
                (gps_count,) = self._unpack("H", target)
                self.result.gps_tags = gps_count
                if target in self.visited:
                    raise Unreadable(f"EXIF IFD loop: offset {target} is referenced twice")
                self.visited.add(target)
            else:
                self.read_ifd(target, sub, depth=depth + 1, follow_next=False)
            return
        label = TEXT_TAGS.get(tag)
        if label is None or typ not in (2, 7, 1):
            return
        size = _TYPE_SIZES[typ] * count
        if size > _MAX_TEXT:
            raise Unreadable(f"EXIF tag {label} declares {size} bytes")
        if size <= 4:
            value = raw[:size]
        else:
            (where,) = self._unpack("I", pos + 8)
            if where + size > len(self.data):
                raise Unreadable(f"EXIF tag {label} points outside the block (offset {where})")
            value = self.data[where : where + size]
        text = _decode(value, user_comment=(tag == 0x9286))
        if text:
            self.result.tags.setdefault(label, text)


def _decode(value: bytes, *, user_comment: bool) -> str:
    if user_comment and len(value) >= 8:
        prefix, body = value[:8], value[8:]
        if prefix.startswith(b"UNICODE"):
            # Writers disagree on the byte order; big-endian is the spec, try it first.
            for codec in ("utf-16-be", "utf-16-le"):
                text = body.decode(codec, errors="replace")
                if text.isprintable() or "\n" in text:
                    return text.strip("\x00 ").strip()
            return body.decode("utf-16-le", errors="replace").strip("\x00 ")
        value = body
    return value.split(b"\x00", 1)[0].decode("utf-8", errors="replace").strip()
