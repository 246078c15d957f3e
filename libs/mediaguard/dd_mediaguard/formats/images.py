"""Still images: PNG chunk walk, JPEG segment walk, TIFF IFD walk, and the dimension
headers of GIF, BMP and WebP.

The pixel check counts bytes, not only pixels: ``decoded_bytes`` is width × height ×
channels × bytes per sample as the file declares them, so a 16-bit or float image is
weighed by what its first decoded copy costs (a 6300×6300 float TIFF is 159 MB before any
conversion, while its file may be 252 KB).
"""

from __future__ import annotations

from dd_contracts.catalogue import ErrorType
from dd_contracts.limits import MediaLimits
from dd_mediaguard.errors import rejected
from dd_mediaguard.facts import Facts
from dd_mediaguard.reader import Reader

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
# A chunk this small carries no pixels; many of them are only there to cost parse time.
_SMALL_CHUNK = 256
# JPEG SOF markers (C4 DHT, C8 JPG and CC DAC are not frames); progressive ones keep every
# DCT coefficient (2 bytes per sample) until the last scan.
_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
_PROGRESSIVE = frozenset({0xC2, 0xC6, 0xCA, 0xCE})
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8), 0xD8})
_MAX_TIFF_TAGS = 4096
_TIFF_TYPE_SIZE = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8,
                   16: 8, 17: 8, 18: 8}  # fmt: skip


def check_image(facts: Facts, limits: MediaLimits) -> None:
    """Pixels and decoded bytes against the limits (decompression_bomb, 413)."""
    if facts.width is None or facts.height is None:
        return
    if facts.width <= 0 or facts.height <= 0:
        raise rejected(ErrorType.corrupt_media, "The image declares no pixels.")
    pixels = facts.width * facts.height
    if pixels > limits.max_image_pixels:
        raise rejected(
            ErrorType.decompression_bomb,
            f"The image is {facts.width}x{facts.height} pixels; the limit is "
            f"{limits.max_image_pixels} pixels.",
        )
    if facts.decoded_bytes is not None and facts.decoded_bytes > limits.max_image_decoded_bytes:
        raise rejected(
            ErrorType.decompression_bomb,
            f"The image is {facts.width}x{facts.height} and decodes to {facts.decoded_bytes} "
            f"bytes in its sample format; the limit is {limits.max_image_decoded_bytes}.",
        )


def _image(facts: Facts, container: str, width: int, height: int, bytes_per_pixel: float) -> None:
    facts.kind = "image"
    facts.container = container
    facts.width, facts.height = width, height
    facts.decoded_bytes = int(width * height * bytes_per_pixel)


def png(r: Reader, limits: MediaLimits, facts: Facts) -> None:
    facts.kind, facts.container = "image", "png"
    offset, small = 8, 0
    while offset + 8 <= r.size:
        length, kind = r.unpack(">I4s", offset) or (0, b"")
        if length > 0x7FFFFFFF:
            raise rejected(ErrorType.corrupt_media, "A PNG chunk length is damaged.")
        facts.elements += 1
        if facts.elements == 1:
            if kind != b"IHDR" or length < 13:
                raise rejected(ErrorType.corrupt_media, "The PNG does not start with IHDR.")
            width, height, depth, colour = r.unpack(">IIBB", offset + 8) or (0, 0, 8, 0)
            channels = _PNG_CHANNELS.get(colour)
            if channels is None or depth not in (1, 2, 4, 8, 16):
                raise rejected(ErrorType.corrupt_media, "The PNG header is damaged.")
            _image(facts, "png", width, height, channels * (2 if depth == 16 else 1))
            check_image(facts, limits)
        small += length < _SMALL_CHUNK
        if small > limits.max_image_chunks or facts.elements > limits.max_container_boxes:
            raise rejected(
                ErrorType.parse_limit_exceeded,
                f"The PNG holds more than {min(small, facts.elements) - 1} chunks "
                f"(limit {limits.max_image_chunks} small chunks).",
            )
        offset += 12 + length
        if kind == b"IEND":
            return
    facts.truncated = True


def jpeg(r: Reader, limits: MediaLimits, facts: Facts) -> None:
    facts.kind, facts.container = "image", "jpeg"
    offset = 2
    while offset < r.size:
        # Markers may be preceded by any number of 0xFF fill bytes.
        while r.read(offset, 1) == b"\xff" and r.read(offset + 1, 1) == b"\xff":
            offset += 1
        marker = r.read(offset, 2)
        if len(marker) < 2:
            break
        if marker[0] != 0xFF:
            raise rejected(ErrorType.corrupt_media, "The JPEG segment list is damaged.")
        code = marker[1]
        facts.elements += 1
        if facts.elements > limits.max_image_chunks:
            raise rejected(
                ErrorType.parse_limit_exceeded,
                f"The JPEG has more than {limits.max_image_chunks} header segments.",
            )
        if code in _STANDALONE:
            offset += 2
            continue
        if code == 0xD9:  # EOI before any scan
            raise rejected(ErrorType.corrupt_media, "The JPEG ends before its image data.")
        length = (r.unpack(">H", offset + 2) or (0,))[0]
        if length < 2:
            raise rejected(ErrorType.corrupt_media, "A JPEG segment length is damaged.")
        if code in _SOF:
            sof = r.unpack(">BHHB", offset + 4)
            if sof is None:
                break
            precision, height, width, components = sof
            per_sample = 2 if precision > 8 else 1
            keep = components * (per_sample + (2 if code in _PROGRESSIVE else 0))
            _image(facts, "jpeg", width, height, keep)
            if height:  # 0 = height given later by a DNL marker
                check_image(facts, limits)
        if code == 0xDA:  # start of scan: the rest is entropy-coded data for the codec
            if facts.width is None:
                raise rejected(ErrorType.corrupt_media, "The JPEG has no frame header.")
            return
        offset += 2 + length
    facts.truncated = True


def tiff(r: Reader, limits: MediaLimits, facts: Facts) -> None:
    facts.kind, facts.container = "image", "tiff"
    endian = "<" if r.read(0, 2) == b"II" else ">"
    big = (r.unpack(endian + "H", 2) or (0,))[0] == 43
    count_fmt, entry_size, value_size, offset_fmt = ("Q", 20, 8, "Q") if big else ("H", 12, 4, "I")
    first = r.unpack(endian + offset_fmt, 8 if big else 4)
    ifd = first[0] if first else 0
    seen: set[int] = set()
    while ifd:
        if ifd in seen:
            raise rejected(ErrorType.corrupt_media, "The TIFF directory list loops.")
        seen.add(ifd)
        if len(seen) > limits.max_image_chunks:
            raise rejected(
                ErrorType.parse_limit_exceeded,
                f"The TIFF has more than {limits.max_image_chunks} directories.",
            )
        counted = r.unpack(endian + count_fmt, ifd)
        if counted is None:
            raise rejected(ErrorType.corrupt_media, "A TIFF directory points past the file.")
        entries = counted[0]
        if entries > _MAX_TIFF_TAGS:
            raise rejected(ErrorType.corrupt_media, "A TIFF directory declares too many tags.")
        start = ifd + (8 if big else 2)
        tags: dict[int, int] = {}
        for index in range(entries):
            entry = start + index * entry_size
            head = r.unpack(endian + "HH" + ("Q" if big else "I"), entry)
            if head is None:
                raise rejected(ErrorType.corrupt_media, "A TIFF directory is cut short.")
            tag, kind, count = head
            if tag not in (256, 257, 258, 277, 339):
                continue
            size = _TIFF_TYPE_SIZE.get(kind, 0)
            where = entry + entry_size - value_size
            if size * count > value_size:
                pointer = r.unpack(endian + offset_fmt, where)
                where = pointer[0] if pointer else r.size
            value = _tiff_value(r, endian, kind, where)
            if value is None:
                raise rejected(ErrorType.corrupt_media, "A TIFF tag points past the file.")
            tags[tag] = value
        facts.elements += 1
        if len(seen) == 1:  # Pillow decodes the first directory
            width, height = tags.get(256, 0), tags.get(257, 0)
            samples = max(1, tags.get(277, 1))
            bits = max(1, tags.get(258, 1))
            per_sample = max(1, -(-bits // 8))
            _image(facts, "tiff", width, height, samples * per_sample)
            check_image(facts, limits)
        pointer = r.unpack(endian + offset_fmt, start + entries * entry_size)
        ifd = pointer[0] if pointer else 0


def _tiff_value(r: Reader, endian: str, kind: int, where: int) -> int | None:
    fmt = {1: "B", 3: "H", 4: "I", 6: "b", 8: "h", 9: "i", 16: "Q", 17: "q"}.get(kind)
    if fmt is None:
        return 0
    value = r.unpack(endian + fmt, where)
    return None if value is None else int(value[0])


def gif(r: Reader, limits: MediaLimits, facts: Facts) -> None:
    width, height = r.unpack("<HH", 6) or (0, 0)
    _image(facts, "gif", width, height, 4)  # palette frames are composited as RGBA
    check_image(facts, limits)


def bmp(r: Reader, limits: MediaLimits, facts: Facts) -> None:
    header = r.unpack("<I", 14)
    if header is None:
        raise rejected(ErrorType.corrupt_media, "The BMP header is cut short.")
    if header[0] == 12:
        width, height, _planes, bits = r.unpack("<HHHH", 18) or (0, 0, 0, 0)
    else:
        width, height, _planes, bits = r.unpack("<iiHH", 18) or (0, 0, 0, 0)
    _image(facts, "bmp", abs(width), abs(height), max(1, -(-bits // 8)))
    check_image(facts, limits)


def webp(r: Reader, limits: MediaLimits, facts: Facts) -> None:
    chunk = r.read(12, 4)
    data = 20
    width = height = 0
    if chunk == b"VP8X":
        raw = r.read(data + 4, 6)
        if len(raw) == 6:
            width = int.from_bytes(raw[:3], "little") + 1
            height = int.from_bytes(raw[3:], "little") + 1
    elif chunk == b"VP8 ":
        dims = r.unpack("<HH", data + 6)
        if dims:
            width, height = dims[0] & 0x3FFF, dims[1] & 0x3FFF
    elif chunk == b"VP8L":
        bits = r.unpack("<I", data + 1)
        if bits:
            width, height = (bits[0] & 0x3FFF) + 1, ((bits[0] >> 14) & 0x3FFF) + 1
    if width and height:
        _image(facts, "webp", width, height, 4)
        check_image(facts, limits)
    else:
        facts.kind, facts.container = "image", "webp"
