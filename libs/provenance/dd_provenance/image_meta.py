"""Image metadata (EXIF, XMP, IPTC) and the generator traces found in it and in PNG text.

Absent metadata is reported as absent (most platforms strip it): never a trace by itself.
"""

from __future__ import annotations

import re

from dd_contracts.provenance import GeneratorTrace, ImageMetadata, SectionState, TraceSource
from dd_provenance.containers import ContainerParts, TextChunk
from dd_provenance.errors import Unreadable
from dd_provenance.generators import AI_SOURCE_TYPES, match_generator, source_type_term
from dd_provenance.iptc import read_iptc
from dd_provenance.settings import ProvenanceSettings
from dd_provenance.tiff import ExifData, read_exif
from dd_provenance.xmp import XmpData, read_xmp

_EXCERPT = 160
# PNG text keywords written by generators themselves: keyword -> tool.
_PNG_KEYWORDS = {
    "parameters": "Stable Diffusion web UI (A1111/Forge/SD.Next)",
    "workflow": "ComfyUI",
    "invokeai_metadata": "InvokeAI",
    "invokeai_graph": "InvokeAI",
    "sd-metadata": "InvokeAI",
    "dream": "InvokeAI",
    "fooocus_scheme": "Fooocus",
}
# Text keywords whose value names a tool (NovelAI writes Software: NovelAI, Source: ...),
# and keywords holding prose where a tool counts only as "generated with <tool>".
_PNG_TOOL_KEYWORDS = {"software", "source", "generator", "creator", "model", "creator tool"}
_PNG_PROSE_KEYWORDS = {"comment", "description", "title", "author"}
_A1111_PARAMETERS = re.compile(r"Steps: \d{1,5}, Sampler: ")


def _excerpt(text: str) -> str:
    flat = " ".join(text[: _EXCERPT * 2].split())
    return flat[:_EXCERPT]


def png_text_traces(chunks: list[TextChunk]) -> list[GeneratorTrace]:
    traces: list[GeneratorTrace] = []
    for chunk in chunks:
        keyword = chunk.keyword.strip().lower()
        tool: str | None = _PNG_KEYWORDS.get(keyword)
        ai = True
        if keyword == "prompt":
            tool = "ComfyUI" if '"class_type"' in chunk.text[:20000] else "an image generator"
        elif tool is None and keyword in _PNG_TOOL_KEYWORDS | _PNG_PROSE_KEYWORDS:
            generator = match_generator(chunk.text, free_text=keyword in _PNG_PROSE_KEYWORDS)
            if generator is not None:
                tool, ai = generator.tool, generator.ai
        if tool is None:
            continue
        traces.append(
            GeneratorTrace(
                source=TraceSource.png_text,
                key=f"{chunk.chunk}:{chunk.keyword}"[:100],
                tool=tool,
                ai=ai,
                excerpt=_excerpt(chunk.text),
            )
        )
    return traces


def _tool_trace(
    source: TraceSource, key: str, value: str | None, *, free_text: bool = False
) -> GeneratorTrace | None:
    if not value:
        return None
    generator = match_generator(value, free_text=free_text)
    if generator is None:
        if key.endswith("UserComment") and _A1111_PARAMETERS.search(value):
            return GeneratorTrace(
                source=source,
                key=key,
                tool="Stable Diffusion web UI (A1111/Forge/SD.Next)",
                ai=True,
                excerpt=_excerpt(value),
            )
        return None
    return GeneratorTrace(
        source=source, key=key, tool=generator.tool, ai=generator.ai, excerpt=_excerpt(value)
    )


def read_image_metadata(
    parts: ContainerParts, settings: ProvenanceSettings
) -> tuple[ImageMetadata, list[GeneratorTrace]]:
    meta = ImageMetadata(state=SectionState.absent)
    meta.unreadable.extend(parts.problems)
    exif = ExifData()
    xmp = XmpData()
    iptc: dict[str, str] = {}
    if parts.exif is not None:
        try:
            if len(parts.exif) > settings.max_exif_bytes:
                raise Unreadable(
                    f"EXIF block of {len(parts.exif)} bytes exceeds the "
                    f"{settings.max_exif_bytes}-byte limit"
                )
            exif = read_exif(
                parts.exif, max_entries=settings.max_ifd_entries, max_depth=settings.max_ifd_depth
            )
            meta.exif = SectionState.ok
        except Unreadable as exc:
            meta.exif = SectionState.unreadable
            meta.unreadable.append(f"exif: {exc}")
    if parts.xmp is not None:
        try:
            xmp = read_xmp(parts.xmp, max_bytes=settings.max_xmp_bytes)
            meta.xmp = SectionState.ok
        except Unreadable as exc:
            meta.xmp = SectionState.unreadable
            meta.unreadable.append(f"xmp: {exc}")
    if any(p.startswith("xmp:") for p in parts.problems):
        # Part of the XMP (an oversized packet or extension) was refused: what we could
        # read is kept, but the section is not whole.
        meta.xmp = SectionState.unreadable
    if parts.iptc_resources is not None:
        try:
            iptc = read_iptc(parts.iptc_resources)
            meta.iptc = SectionState.ok if iptc else SectionState.absent
        except Unreadable as exc:
            meta.iptc = SectionState.unreadable
            meta.unreadable.append(f"iptc: {exc}")

    tags, props = exif.tags, xmp.props
    meta.make = tags.get("Make") or props.get("make")
    meta.model = tags.get("Model") or props.get("model")
    meta.lens = tags.get("LensModel") or props.get("lens") or tags.get("LensMake")
    meta.capture_time = (
        tags.get("DateTimeOriginal")
        or props.get("date_original")
        or props.get("date_created")
        or iptc.get("DateCreated")
        or tags.get("DateTime")
    )
    meta.software = tags.get("Software") or props.get("software") or iptc.get("OriginatingProgram")
    meta.creator_tool = props.get("creator_tool")
    meta.artist = tags.get("Artist") or iptc.get("Byline")
    meta.gps_present = exif.gps_tags > 0 or "gps" in props
    if props.get("digital_source_type"):
        meta.digital_source_type = source_type_term(props["digital_source_type"])
    meta.edit_history = xmp.history

    states = (meta.exif, meta.xmp, meta.iptc)
    if SectionState.ok in states:
        meta.state = SectionState.ok
    elif SectionState.unreadable in states or meta.unreadable:
        meta.state = SectionState.unreadable
        meta.reason = "; ".join(meta.unreadable)[:500]

    traces = png_text_traces(parts.text_chunks)
    candidates = [
        _tool_trace(TraceSource.exif, "EXIF:Software", tags.get("Software")),
        _tool_trace(
            TraceSource.exif,
            "EXIF:ImageDescription",
            tags.get("ImageDescription"),
            free_text=True,
        ),
        _tool_trace(TraceSource.exif, "EXIF:UserComment", tags.get("UserComment"), free_text=True),
        _tool_trace(TraceSource.exif, "EXIF:Artist", tags.get("Artist"), free_text=True),
        _tool_trace(TraceSource.exif, "EXIF:Make", tags.get("Make")),
        _tool_trace(TraceSource.xmp, "XMP:CreatorTool", props.get("creator_tool")),
        _tool_trace(TraceSource.xmp, "XMP:Software", props.get("software")),
        _tool_trace(TraceSource.iptc, "IPTC:OriginatingProgram", iptc.get("OriginatingProgram")),
    ]
    traces.extend(trace for trace in candidates if trace is not None)
    if meta.digital_source_type in AI_SOURCE_TYPES:
        named = next((t.tool for t in traces if t.ai), None)
        traces.append(
            GeneratorTrace(
                source=TraceSource.xmp,
                key="XMP:Iptc4xmpExt:DigitalSourceType",
                tool=named or "unnamed generator (IPTC digital source type)",
                ai=True,
                excerpt=_excerpt(props["digital_source_type"]),
            )
        )
    return meta, traces
