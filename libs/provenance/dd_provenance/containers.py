"""Bounded walkers for the image containers whose metadata we read ourselves.

They only locate byte ranges (EXIF, XMP, IPTC, quantisation tables, text chunks, the
presence of a C2PA store); the payloads are parsed by tiff.py, xmp.py, iptc.py. Every
length is checked against the file before it is used, every count is bounded, and a
violation raises ``Unreadable`` with the offset, never an IndexError.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field

from dd_provenance.errors import Unreadable

_XMP_ID = b"http://ns.adobe.com/xap/1.0/\x00"
_XMP_EXT_ID = b"http://ns.adobe.com/xmp/extension/\x00"
_EXIF_ID = b"Exif\x00\x00"
_PHOTOSHOP_ID = b"Photoshop 3.0\x00"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_SOF_MARKERS = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_PROGRESSIVE_SOF = {0xC2, 0xC6, 0xCA, 0xCE}


@dataclass
class TextChunk:
    keyword: str
    text: str
    chunk: str  # tEXt, zTXt or iTXt


@dataclass
class ContainerParts:
    """What a walker found. Payload fields are raw bytes, parsed elsewhere."""

    format: str
    exif: bytes | None = None
    xmp: bytes | None = None
    iptc_resources: bytes | None = None  # Photoshop image resources (APP13)
    has_c2pa: bool = False
    c2pa_problem: str | None = None  # the JUMBF store's boxes don't fit (see check_jumbf)
    quant_tables: dict[int, list[int]] = field(default_factory=dict)  # natural order
    progressive: bool | None = None
    sampling: list[tuple[int, int]] = field(default_factory=list)
    width: int | None = None
    height: int | None = None
    text_chunks: list[TextChunk] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # sub-parts we could not read


# Zig-zag scan order: ZIGZAG[i] is the natural (row-major) index of the i-th coefficient.
ZIGZAG = (
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
    12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
    35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
    58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
)  # fmt: skip


def walk_jpeg(data: bytes, *, max_segments: int, max_xmp_bytes: int) -> ContainerParts:
    if not data.startswith(b"\xff\xd8"):
        raise Unreadable("not a JPEG (no SOI marker)")
    parts = ContainerParts(format="jpeg")
    extended_xmp: dict[int, bytes] = {}
    extended_total = 0
    extended_refused = False
    jumbf_packets: dict[int, list[tuple[int, bytes]]] = {}
    pos = 2
    size = len(data)
    for _ in range(max_segments):
        # Fill bytes (0xFF) may precede a marker.
        while pos < size and data[pos] == 0xFF and pos + 1 < size and data[pos + 1] == 0xFF:
            pos += 1
        if pos + 4 > size:
            raise Unreadable(f"JPEG ends inside the segment header at offset {pos}")
        if data[pos] != 0xFF:
            raise Unreadable(f"JPEG marker expected at offset {pos}")
        marker = data[pos + 1]
        if marker == 0xD9:  # EOI before any scan
            break
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # no length
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        end = pos + 2 + length
        if length < 2 or end > size:
            raise Unreadable(
                f"JPEG segment 0x{marker:02X} at offset {pos} declares {length} bytes, "
                f"past the end of the file ({size} bytes)"
            )
        payload = data[pos + 4 : end]
        if marker == 0xDA:  # start of scan: metadata segments are before it
            break
        if marker == 0xE1 and payload.startswith(_EXIF_ID) and parts.exif is None:
            parts.exif = payload[len(_EXIF_ID) :]
        elif marker == 0xE1 and payload.startswith(_XMP_ID) and parts.xmp is None:
            parts.xmp = payload[len(_XMP_ID) :]
        elif marker == 0xE1 and payload.startswith(_XMP_EXT_ID):
            # Extended XMP: GUID(32) full length(4) offset(4) data; reassembled bounded.
            body = payload[len(_XMP_EXT_ID) :]
            if len(body) >= 40:
                full_length, offset = struct.unpack(">II", body[32:40])
                extended_total += len(body) - 40
                if extended_refused:
                    pass
                elif full_length > max_xmp_bytes or extended_total > max_xmp_bytes:
                    parts.problems.append(
                        f"xmp: extended XMP of {max(full_length, extended_total)} bytes "
                        f"exceeds the {max_xmp_bytes}-byte limit"
                    )
                    extended_xmp.clear()
                    extended_refused = True
                else:
                    extended_xmp[offset] = body[40:]
        elif marker == 0xED and payload.startswith(_PHOTOSHOP_ID):
            parts.iptc_resources = payload[len(_PHOTOSHOP_ID) :]
        elif marker == 0xEB and payload[:2] == b"JP" and len(payload) >= 8:
            parts.has_c2pa = True  # JUMBF (ISO 19566-5) packets: CI, instance, sequence
            instance, sequence = struct.unpack(">HI", payload[2:8])
            jumbf_packets.setdefault(instance, []).append((sequence, payload[8:]))
        elif marker == 0xDB:
            _read_dqt(payload, parts, pos)
        elif marker in _SOF_MARKERS:
            _read_sof(payload, parts, marker, pos)
        pos = end
    else:
        raise Unreadable(f"JPEG has more than {max_segments} segments before the image data")
    for packets in jumbf_packets.values():
        packets.sort()
        # Packets after the first repeat the box header (LBox, TBox[, XLBox]).
        first = packets[0][1]
        header = 16 if first[:4] == b"\x00\x00\x00\x01" else 8
        store = first + b"".join(data[header:] for _, data in packets[1:])
        parts.c2pa_problem = parts.c2pa_problem or check_jumbf(store)
    if extended_xmp and parts.xmp is not None:
        # The standard packet points to the extension; we keep both texts for searching.
        parts.xmp = parts.xmp + b"".join(extended_xmp[k] for k in sorted(extended_xmp))
    return parts


def _read_dqt(payload: bytes, parts: ContainerParts, offset: int) -> None:
    pos = 0
    while pos < len(payload):
        precision, table_id = payload[pos] >> 4, payload[pos] & 0x0F
        width = 2 if precision else 1
        end = pos + 1 + 64 * width
        if end > len(payload) or table_id > 3:
            raise Unreadable(f"malformed quantisation table at offset {offset}")
        if width == 1:
            zigzag = list(payload[pos + 1 : end])
        else:
            zigzag = list(struct.unpack(">64H", payload[pos + 1 : end]))
        natural = [0] * 64
        for i, value in enumerate(zigzag):
            natural[ZIGZAG[i]] = value
        parts.quant_tables[table_id] = natural
        pos = end


def _read_sof(payload: bytes, parts: ContainerParts, marker: int, offset: int) -> None:
    if len(payload) < 6:
        raise Unreadable(f"malformed frame header at offset {offset}")
    height, width = struct.unpack(">HH", payload[1:5])
    count = payload[5]
    if len(payload) < 6 + 3 * count:
        raise Unreadable(f"malformed frame header at offset {offset}")
    parts.width, parts.height = width, height
    parts.progressive = marker in _PROGRESSIVE_SOF
    parts.sampling = [
        (payload[6 + 3 * i + 1] >> 4, payload[6 + 3 * i + 1] & 0x0F) for i in range(count)
    ]


def walk_png(
    data: bytes,
    *,
    max_segments: int,
    max_text_bytes: int,
    max_text_chunks: int,
    max_xmp_bytes: int,
) -> ContainerParts:
    if not data.startswith(_PNG_SIGNATURE):
        raise Unreadable("not a PNG (bad signature)")
    parts = ContainerParts(format="png")
    pos = len(_PNG_SIGNATURE)
    size = len(data)
    for _ in range(max_segments):
        if pos + 8 > size:
            break  # truncated after the last whole chunk: nothing more to read
        length, ctype = struct.unpack(">I4s", data[pos : pos + 8])
        end = pos + 8 + length + 4
        if end > size:
            raise Unreadable(
                f"PNG chunk {ctype!r} at offset {pos} declares {length} bytes, past the end "
                f"of the file ({size} bytes)"
            )
        body = data[pos + 8 : pos + 8 + length]
        if ctype == b"IHDR" and length >= 8:
            parts.width, parts.height = struct.unpack(">II", body[:8])
        elif ctype in (b"tEXt", b"zTXt", b"iTXt"):
            if len(parts.text_chunks) < max_text_chunks:
                try:
                    chunk = _text_chunk(ctype.decode(), body, max_text_bytes)
                except Unreadable as exc:
                    what = "xmp" if body.startswith(b"XML:com.adobe.xmp\x00") else "png text"
                    parts.problems.append(f"{what}: chunk at offset {pos}: {exc}")
                else:
                    if chunk.keyword == "XML:com.adobe.xmp":
                        if len(chunk.text) > max_xmp_bytes:
                            parts.problems.append(
                                f"xmp: packet of {len(chunk.text)} bytes exceeds the "
                                f"{max_xmp_bytes}-byte limit"
                            )
                        else:
                            parts.xmp = chunk.text.encode()
                    else:
                        parts.text_chunks.append(chunk)
        elif ctype == b"eXIf":
            parts.exif = body
        elif ctype == b"caBX":
            parts.has_c2pa = True
            parts.c2pa_problem = parts.c2pa_problem or check_jumbf(body)
        elif ctype == b"IEND":
            break
        pos = end
    else:
        raise Unreadable(f"PNG has more than {max_segments} chunks")
    return parts


def _inflate(data: bytes, limit: int) -> bytes:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        raise Unreadable(f"bad compressed text: {exc}") from exc
    if len(out) > limit:
        raise Unreadable(f"compressed text inflates past the {limit}-byte limit")
    return out


def _text_chunk(ctype: str, body: bytes, limit: int) -> TextChunk:
    keyword, sep, rest = body.partition(b"\x00")
    if not sep or not 1 <= len(keyword) <= 79:
        raise Unreadable("no keyword")
    name = keyword.decode("latin-1")
    if ctype == "tEXt":
        raw, encoding = rest, "latin-1"
    elif ctype == "zTXt":
        raw, encoding = _inflate(rest[1:], limit), "latin-1"
    else:
        if len(rest) < 2:
            raise Unreadable("truncated iTXt header")
        compressed, text_start = rest[0], rest[2:]
        _lang, _, text_start = text_start.partition(b"\x00")
        _translated, _, raw = text_start.partition(b"\x00")
        if compressed:
            raw = _inflate(raw, limit)
        encoding = "utf-8"
    if len(raw) > limit:
        raise Unreadable(f"text of {len(raw)} bytes exceeds the {limit}-byte limit")
    return TextChunk(name, raw.decode(encoding, errors="replace"), ctype)


def walk_webp(data: bytes, *, max_segments: int) -> ContainerParts:
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise Unreadable("not a WebP (bad RIFF header)")
    parts = ContainerParts(format="webp")
    pos = 12
    size = len(data)
    for _ in range(max_segments):
        if pos + 8 > size:
            break
        ctype, length = struct.unpack("<4sI", data[pos : pos + 8])
        end = pos + 8 + length + (length & 1)
        if pos + 8 + length > size:
            raise Unreadable(f"WebP chunk {ctype!r} at offset {pos} runs past the end")
        body = data[pos + 8 : pos + 8 + length]
        if ctype == b"EXIF":
            parts.exif = body[6:] if body.startswith(_EXIF_ID) else body
        elif ctype == b"XMP ":
            parts.xmp = body
        elif ctype == b"C2PA":
            parts.has_c2pa = True
        pos = end
    return parts


_SUPERBOXES = {b"jumb"}
_MAX_BOX_DEPTH = 16
_MAX_BOXES = 20_000


def check_jumbf(store: bytes) -> str | None:
    """Why this JUMBF store's box tree is malformed, or None if every box fits.

    Every box must declare a length that fits inside its parent (the store itself for the
    top box); a box pointing past its parent or the end of the file makes the whole store
    unreadable for us, whatever a lenient reader might make of it.
    """
    count = 0

    def walk(start: int, end: int, depth: int) -> str | None:
        nonlocal count
        if depth > _MAX_BOX_DEPTH:
            return f"JUMBF boxes nested deeper than {_MAX_BOX_DEPTH}"
        pos = start
        while pos < end:
            count += 1
            if count > _MAX_BOXES:
                return f"JUMBF store has more than {_MAX_BOXES} boxes"
            if pos + 8 > end:
                return f"JUMBF box header at offset {pos} is truncated"
            length, box_type = struct.unpack(">I4s", store[pos : pos + 8])
            header = 8
            if length == 1:
                if pos + 16 > end:
                    return f"JUMBF box header at offset {pos} is truncated"
                (length,) = struct.unpack(">Q", store[pos + 8 : pos + 16])
                header = 16
            elif length == 0:
                length = end - pos
            if length < header or pos + length > end:
                return (
                    f"JUMBF box {box_type!r} at offset {pos} declares {length} bytes, past "
                    f"the end of its container ({end - pos} bytes left)"
                )
            if box_type in _SUPERBOXES:
                problem = walk(pos + header, pos + length, depth + 1)
                if problem:
                    return problem
            pos += length
        return None

    if not store:
        return "empty JUMBF store"
    return walk(0, len(store), 0)
