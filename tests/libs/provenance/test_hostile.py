"""Hostile files: every section that can't be read within our bounds is 'unreadable' with
a reason; inspect never raises, never hangs, and stays under its time bound."""

from __future__ import annotations

import os
import struct
import time
import zlib

import pytest

from dd_contracts.provenance import ProvenanceReport, SectionState
from dd_fusion.provenance_rules import apply_rules, forced_label
from tests.libs.provenance.conftest import Inspect
from tests.libs.provenance.media import (
    SigningChain,
    insert_segment,
    jpeg,
    jpeg_with_raw_exif,
    png,
    png_chunk,
    png_insert,
    sign_jpeg,
    tiff_exif,
    xmp_packet,
)

BOUND_S = 3.0  # the default budget is 2 s; nothing here may come near it


@pytest.fixture
def timed(inspect_bytes: Inspect) -> Inspect:
    def run(*args: object, **kwargs: object) -> ProvenanceReport:
        start = time.perf_counter()
        report = inspect_bytes(*args, **kwargs)
        assert time.perf_counter() - start < BOUND_S
        assert not report.timed_out
        return report

    return run


def test_5mb_xmp_packet_in_png_is_unreadable(timed: Inspect) -> None:
    packet = xmp_packet("<rdf:Description>" + "A" * (5 * 1024 * 1024) + "</rdf:Description>")
    body = b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + packet
    report = timed(png_insert(png(), png_chunk(b"iTXt", body)), "image/png")
    meta = report.metadata
    assert meta is not None and meta.xmp is SectionState.unreadable
    assert any("exceeds" in problem for problem in meta.unreadable)
    assert "PROV-METADATA-UNREADABLE" in [o.rule_id for o in apply_rules(report)]
    assert forced_label(apply_rules(report)) is None


def test_5mb_extended_xmp_in_jpeg_is_unreadable(timed: Inspect) -> None:
    data = insert_segment(jpeg(), 0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + xmp_packet(""))
    total = 5 * 1024 * 1024
    chunk = 65000
    guid = b"0" * 32
    for offset in range(0, total, chunk):
        header = b"http://ns.adobe.com/xmp/extension/\x00" + guid
        header += struct.pack(">II", total, offset)
        data = insert_segment(data, 0xE1, header + b"B" * min(chunk, total - offset))
    meta = timed(data).metadata
    assert meta is not None and meta.xmp is SectionState.unreadable
    assert any("extended XMP" in problem for problem in meta.unreadable)


def test_exif_offset_outside_the_block_is_unreadable(timed: Inspect) -> None:
    tiff = tiff_exif([(0x8769, 4, 1, struct.pack("<I", 0x00FFFF00))])  # Exif IFD far away
    meta = timed(jpeg_with_raw_exif(tiff)).metadata
    assert meta is not None and meta.exif is SectionState.unreadable
    assert any("outside" in problem for problem in meta.unreadable)


def test_exif_text_tag_pointing_outside_is_unreadable(timed: Inspect) -> None:
    tiff = tiff_exif([(0x0131, 2, 4000, struct.pack("<I", 60000))])  # Software, far away
    meta = timed(jpeg_with_raw_exif(tiff)).metadata
    assert meta is not None and meta.exif is SectionState.unreadable


def test_exif_ifd_loops_are_unreadable(timed: Inspect) -> None:
    to_itself = tiff_exif([(0x010F, 2, 4, b"Cam\x00")], next_ifd=8)  # IFD0 -> IFD0
    meta = timed(jpeg_with_raw_exif(to_itself)).metadata
    assert meta is not None and meta.exif is SectionState.unreadable
    assert any("loop" in problem for problem in meta.unreadable)
    exif_to_ifd0 = tiff_exif([(0x8769, 4, 1, struct.pack("<I", 8))])  # Exif IFD -> IFD0
    meta = timed(jpeg_with_raw_exif(exif_to_ifd0)).metadata
    assert meta is not None and any("loop" in problem for problem in meta.unreadable)


def test_exif_declaring_too_many_entries_is_unreadable(timed: Inspect) -> None:
    tiff = b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 65535) + b"\x00" * 64
    meta = timed(jpeg_with_raw_exif(tiff)).metadata
    assert meta is not None and meta.exif is SectionState.unreadable


def _app11(data: bytes | bytearray) -> tuple[int, int]:
    start = data.find(b"\xff\xeb")
    (length,) = struct.unpack(">H", data[start + 2 : start + 4])
    return start, length


def test_manifest_box_pointing_outside_the_file_is_unreadable(
    chain: SigningChain, timed: Inspect
) -> None:
    signed = bytearray(sign_jpeg(jpeg(), chain, "trainedAlgorithmicMedia"))
    start, _ = _app11(signed)
    # APP11 payload: "JP", instance (2), sequence (4), then the top JUMBF box's LBox.
    signed[start + 12 : start + 16] = struct.pack(">I", 0x7FFFFFF0)
    report = timed(bytes(signed))
    assert report.c2pa.state is SectionState.unreadable
    assert report.c2pa.validation is None
    assert "past the end" in (report.c2pa.reason or "")
    ids = [o.rule_id for o in apply_rules(report)]
    assert "PROV-C2PA-UNREADABLE" in ids and "PROV-C2PA-AI" not in ids


def test_truncated_jumbf_box_is_unreadable(chain: SigningChain, timed: Inspect) -> None:
    signed = sign_jpeg(jpeg(), chain, "trainedAlgorithmicMedia")
    start, length = _app11(signed)
    payload = signed[start + 4 : start + 2 + length]
    short = payload[: len(payload) // 2]  # the segment is consistent, the box is cut
    segment = b"\xff\xeb" + struct.pack(">H", len(short) + 2) + short
    report = timed(signed[:start] + segment + signed[start + 2 + length :])
    assert report.c2pa.state is SectionState.unreadable
    assert forced_label(apply_rules(report)) is None


def test_file_cut_inside_the_manifest_is_unreadable(chain: SigningChain, timed: Inspect) -> None:
    signed = sign_jpeg(jpeg(), chain, "trainedAlgorithmicMedia")
    start, _ = _app11(signed)
    report = timed(signed[: start + 300])
    assert report.c2pa.state is SectionState.unreadable
    assert report.metadata is not None and report.metadata.state is SectionState.unreadable
    assert report.compression is not None
    assert report.compression.state is SectionState.unreadable


def test_truncated_jumbf_in_png_is_unreadable(timed: Inspect) -> None:
    box = struct.pack(">I4s", 4000, b"jumb") + b"\x00" * 100  # declares 4000, holds 108
    report = timed(png_insert(png(), png_chunk(b"caBX", box)), "image/png")
    assert report.c2pa.state is SectionState.unreadable


def test_compressed_text_bomb_is_refused(timed: Inspect) -> None:
    bomb = zlib.compress(b"\x00" * (64 * 1024 * 1024), 9)
    chunk = png_chunk(b"zTXt", b"parameters\x00\x00" + bomb)
    report = timed(png_insert(png(), chunk), "image/png")
    meta = report.metadata
    assert meta is not None and any("inflates past" in p for p in meta.unreadable)
    assert report.traces == []


def test_png_chunk_past_the_end_is_unreadable(timed: Inspect) -> None:
    chunk = png_chunk(b"tEXt", b"parameters\x00x", declared=10_000_000)
    report = timed(png_insert(png(), chunk), "image/png")
    assert report.metadata is not None and report.metadata.state is SectionState.unreadable


def test_too_many_segments_is_unreadable(timed: Inspect) -> None:
    data = jpeg()
    comments = b"".join(b"\xff\xfe\x00\x03x" for _ in range(5000))
    report = timed(data[:2] + comments + data[2:])
    assert report.metadata is not None and report.metadata.state is SectionState.unreadable
    assert "segments" in (report.metadata.reason or "")


@pytest.mark.parametrize(
    ("kind", "mime"),
    [
        ("image", "image/jpeg"),
        ("image", "image/png"),
        ("video", "video/mp4"),
        ("audio", "audio/wav"),
    ],
)
def test_random_bytes_never_crash(timed: Inspect, kind: str, mime: str) -> None:
    report = timed(os.urandom(64 * 1024), mime, kind)
    assert report.c2pa.state in (SectionState.absent, SectionState.unreadable, SectionState.skipped)
    if kind != "image":
        assert report.container is not None
        assert report.container.state is SectionState.unreadable
