"""``inspect``: everything the file itself says, in one bounded pass.

Order matters for the time budget: the cheap structural walk first (it also tells us
whether there is a C2PA store at all, so a file without one never reaches the native
reader), then C2PA, metadata, and the JPEG forensics last (the only pixel work).
Any section that fails for any reason is reported 'unreadable' with the reason; inspect
itself never raises for a bad file.
"""

from __future__ import annotations

import io
import logging
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from PIL import Image

from dd_contracts.provenance import (
    C2paReport,
    CompressionTraces,
    ContainerMetadata,
    GeneratorTrace,
    ImageMetadata,
    ProvenanceReport,
    QuantTable,
    SectionState,
    TraceSource,
)
from dd_provenance import jpeg_forensics
from dd_provenance.budget import Deadline
from dd_provenance.c2pa_read import read_c2pa
from dd_provenance.containers import ContainerParts, walk_jpeg, walk_png, walk_webp
from dd_provenance.errors import Unreadable
from dd_provenance.generators import match_generator
from dd_provenance.image_meta import read_image_metadata
from dd_provenance.settings import ProvenanceSettings
from dd_provenance.xmp import remote_manifest_url

log = logging.getLogger(__name__)
T = TypeVar("T")
# Pixels we are willing to decode for the JPEG forensics (the gateway's own limit is
# lower; this guards direct callers).
_MAX_FORENSIC_PIXELS = 40_000_000
# Image formats whose C2PA store our walker can see: no store -> no native call.
_WALKED = {"jpeg", "png", "webp"}
# Container tags that name a tool; every other tag is prose (see match_generator).
_CONTAINER_TOOL_TAGS = ("encoder", "software", "encoded_by", "creation_tool", "tool")


def _sniff(data: bytes) -> str:
    if data.startswith(b"\xff\xd8"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return "other"


def _guard(what: str, deadline: Deadline, func: Callable[[], T], fallback: Callable[[str], T]) -> T:
    """Run one section; any failure becomes ``fallback(reason)``, never an exception."""
    try:
        deadline.check(what)
        return func()
    except Unreadable as exc:
        return fallback(str(exc))
    except Exception as exc:  # hostile input must never crash the pipeline
        log.warning("provenance section %s failed: %r", what, exc)
        return fallback(f"{what} could not be read ({type(exc).__name__})")


def inspect(
    path: Path | str, kind: str, mime: str, *, settings: ProvenanceSettings | None = None
) -> ProvenanceReport:
    settings = settings or ProvenanceSettings()
    path = Path(path)
    deadline = Deadline(settings.time_budget_s)
    report = ProvenanceReport(kind=kind, c2pa=C2paReport(state=SectionState.absent))
    if kind == "image":
        _inspect_image(path, mime, settings, deadline, report)
    else:
        _inspect_av(path, mime, settings, deadline, report)
    report.timed_out = deadline.expired()
    report.elapsed_ms = round(deadline.elapsed_ms(), 2)
    return report


def _c2pa(path: Path, mime: str, settings: ProvenanceSettings, deadline: Deadline) -> C2paReport:
    return _guard(
        "content credentials",
        deadline,
        lambda: read_c2pa(path, mime, settings, min(settings.c2pa_timeout_s, deadline.left())),
        lambda reason: C2paReport(state=SectionState.unreadable, reason=reason),
    )


def _inspect_image(
    path: Path,
    mime: str,
    settings: ProvenanceSettings,
    deadline: Deadline,
    report: ProvenanceReport,
) -> None:
    data = path.read_bytes()
    fmt = _sniff(data)
    parts: ContainerParts | None = None
    structure_error: str | None = None
    if fmt in _WALKED:
        try:
            if fmt == "jpeg":
                parts = walk_jpeg(
                    data, max_segments=settings.max_segments, max_xmp_bytes=settings.max_xmp_bytes
                )
            elif fmt == "png":
                parts = walk_png(
                    data,
                    max_segments=settings.max_segments,
                    max_text_bytes=settings.max_text_chunk_bytes,
                    max_text_chunks=settings.max_text_chunks,
                    max_xmp_bytes=settings.max_xmp_bytes,
                )
            else:
                parts = walk_webp(data, max_segments=settings.max_segments)
        except Unreadable as exc:
            structure_error = str(exc)
        except Exception as exc:  # a walker bug must not crash the pipeline either
            log.warning("provenance walker failed: %r", exc)
            structure_error = f"file structure could not be read ({type(exc).__name__})"

    # Content credentials.
    remote = remote_manifest_url(parts.xmp) if parts is not None and parts.xmp else None
    if parts is not None and not parts.has_c2pa and remote and not settings.allow_remote_manifests:
        report.c2pa = C2paReport(
            state=SectionState.skipped,
            remote_url=remote[:300],
            embedded=False,
            reason="the file points to a remote manifest; remote manifests are not fetched "
            "(allow_remote_manifests is off)",
        )
    elif parts is not None and not parts.has_c2pa and not remote:
        report.c2pa = C2paReport(state=SectionState.absent)
    elif parts is not None and parts.c2pa_problem:
        # We don't hand a store whose boxes point outside it to any reader.
        report.c2pa = C2paReport(state=SectionState.unreadable, reason=parts.c2pa_problem)
    else:
        report.c2pa = _c2pa(path, mime, settings, deadline)

    # Metadata and generator traces.
    if parts is not None:
        found_parts = parts
        meta, traces = _guard(
            "metadata",
            deadline,
            lambda: read_image_metadata(found_parts, settings),
            lambda reason: (ImageMetadata(state=SectionState.unreadable, reason=reason), []),
        )
        report.metadata, report.traces = meta, traces
    elif structure_error is not None:
        report.metadata = ImageMetadata(state=SectionState.unreadable, reason=structure_error)
    else:
        report.metadata = ImageMetadata(
            state=SectionState.skipped, reason=f"metadata is not read for {mime}"
        )

    # JPEG compression traces.
    if fmt != "jpeg":
        report.compression = CompressionTraces(state=SectionState.skipped, reason="not a JPEG")
    elif not settings.compression_forensics:
        report.compression = CompressionTraces(state=SectionState.skipped, reason="switched off")
    elif parts is None:
        report.compression = CompressionTraces(
            state=SectionState.unreadable, reason=structure_error
        )
    else:
        found = parts
        report.compression = _guard(
            "compression traces",
            deadline,
            lambda: _compression(data, found, settings, deadline),
            lambda reason: CompressionTraces(state=SectionState.unreadable, reason=reason),
        )


def _compression(
    data: bytes, parts: ContainerParts, settings: ProvenanceSettings, deadline: Deadline
) -> CompressionTraces:
    if not parts.quant_tables:
        raise Unreadable("JPEG without quantisation tables before its image data")
    traces = CompressionTraces(state=SectionState.ok, progressive=parts.progressive)
    for table_id, table in sorted(parts.quant_tables.items()):
        quality, exact = jpeg_forensics.estimate_quality(table, table_id)
        traces.tables.append(
            QuantTable(table_id=table_id, estimated_quality=quality, matches_ijg=exact)
        )
    traces.estimated_quality = traces.tables[0].estimated_quality
    traces.table_family = "ijg" if all(t.matches_ijg for t in traces.tables) else "custom"
    if len(parts.sampling) >= 3:
        (h0, v0), (h1, v1) = parts.sampling[0], parts.sampling[1]
        traces.subsampling = {
            (1, 1): "4:4:4",
            (2, 1): "4:2:2",
            (2, 2): "4:2:0",
            (1, 2): "4:4:0",
            (4, 1): "4:1:1",
        }.get((h0 // max(h1, 1), v0 // max(v1, 1)), f"{h0}x{v0}/{h1}x{v1}")
    width, height = parts.width or 0, parts.height or 0
    if width * height > _MAX_FORENSIC_PIXELS or width * height == 0:
        traces.reason = f"{width}x{height}: pixel forensics skipped"
        return traces

    deadline.check("double-compression analysis")
    with warnings.catch_warnings():  # Pillow's own EXIF parse complains about bad EXIF
        warnings.simplefilter("ignore")
        decoded = Image.open(io.BytesIO(data))
    decoded.draft("L", decoded.size)  # decode the Y channel only, full size, on its 8x8 grid
    # CMYK and other JPEGs the decoder can't hand us as Y are converted.
    luma: Image.Image = decoded if decoded.mode == "L" else decoded.convert("L")
    luma.load()
    traces.double_compression_method = (
        "DCT-histogram rises/empty bins of re-quantised luminance coefficients "
        f"(centre crop ≤ {settings.double_jpeg_max_side} px, 9 low frequencies)"
    )
    score = jpeg_forensics.double_compression_score(
        luma, parts.quant_tables[min(parts.quant_tables)], settings.double_jpeg_max_side
    )
    traces.double_compression_score = score
    if score is not None:
        traces.double_compression = score > settings.double_jpeg_threshold

    if settings.ela_enabled:
        deadline.check("error level analysis")
        traces.ela_png = jpeg_forensics.error_level_png(
            luma, settings.ela_quality, settings.ela_max_side, settings.ela_gain
        )
        with Image.open(io.BytesIO(traces.ela_png)) as ela:
            traces.ela_scale = round(ela.width / width, 4)
    return traces


def _inspect_av(
    path: Path,
    mime: str,
    settings: ProvenanceSettings,
    deadline: Deadline,
    report: ProvenanceReport,
) -> None:
    from dd_provenance.av_meta import read_container  # FFmpeg only loaded for audio/video

    report.c2pa = _c2pa(path, mime, settings, deadline)
    container = _guard(
        "container metadata",
        deadline,
        lambda: read_container(
            path,
            max_tags=settings.max_container_tags,
            timeout_s=min(settings.c2pa_timeout_s, deadline.left()),
        ),
        lambda reason: ContainerMetadata(state=SectionState.unreadable, reason=reason),
    )
    report.container = container
    report.traces = _container_traces(container)


def _container_traces(container: ContainerMetadata) -> list[GeneratorTrace]:
    traces: list[GeneratorTrace] = []
    seen: set[tuple[str, str]] = set()
    candidates = list(container.tags.items())
    for stream in container.streams:
        candidates.extend((f"stream{stream.index}:{k}", v) for k, v in stream.tags.items())
    for key, value in candidates:
        name = key.rsplit(":", 1)[-1].lower()
        tool_field = any(word in name for word in _CONTAINER_TOOL_TAGS)
        generator = match_generator(value, free_text=not tool_field)
        if generator is None or (generator.tool, key) in seen:
            continue
        seen.add((generator.tool, key))
        traces.append(
            GeneratorTrace(
                source=TraceSource.container,
                key=key[:100],
                tool=generator.tool,
                ai=generator.ai,
                excerpt=value[:160],
            )
        )
    return traces
