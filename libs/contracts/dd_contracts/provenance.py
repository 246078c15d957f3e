"""Provenance: what the file itself says, read without any model.

Produced by ``dd_provenance.inspect`` and carried by the analysis document as
``Analysis.provenance``. Facts only: nothing here is a probability. Fusion turns these
facts into verdict changes only through the listed rules (``RuleOutcome``).

Every section has a ``state``:
- ``ok``: read; the fields are what the file says.
- ``absent``: the file carries none. Absence is never suspicious by itself (most
  platforms strip metadata).
- ``unreadable``: present but could not be parsed within our bounds (too big, malformed,
  loops, out of time); ``reason`` says why. Never treated as evidence either way.
- ``skipped``: not applicable to this media, or switched off by a setting.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field, PrivateAttr

# RuleOutcome lives beside Verdict (Verdict.reasons holds them); re-exported here.
from dd_contracts.fusion import RuleOutcome, RuleSeverity, VerdictLabel

# IPTC digital source types (http://cv.iptc.org/newscodes/digitalsourcetype/<term>) that
# declare the content made, wholly or in part, by a generative algorithm; and those that
# declare a capture.
AI_SOURCE_TYPES = frozenset(
    {
        "trainedAlgorithmicMedia",
        "compositeWithTrainedAlgorithmicMedia",
        "algorithmicMedia",
        "compositeSynthetic",
    }
)
CAPTURE_SOURCE_TYPES = frozenset({"digitalCapture", "computationalCapture"})


class SectionState(StrEnum):
    ok = "ok"
    absent = "absent"
    unreadable = "unreadable"
    skipped = "skipped"


class C2paValidation(StrEnum):
    """Outcome of validating a C2PA manifest store (the active manifest).

    valid: signature, hashes and certificate chain all check out against our trust anchors.
    untrusted_signer: signature and hashes check out, but the signer does not chain to a
        trust anchor we know (anyone can make such a certificate).
    invalid_signature: the claim signature or the signing certificate is not valid.
    tampered: the content no longer matches the hashes the manifest signed.
    invalid: any other validation failure.
    """

    valid = "valid"
    untrusted_signer = "untrusted_signer"
    invalid_signature = "invalid_signature"
    tampered = "tampered"
    invalid = "invalid"


class C2paAction(BaseModel):
    action: str = Field(description="e.g. c2pa.created, c2pa.edited, c2pa.opened.")
    digital_source_type: str | None = Field(
        default=None, description="The IPTC term only (e.g. trainedAlgorithmicMedia)."
    )
    software_agent: str | None = None
    when: str | None = None


class C2paIngredient(BaseModel):
    title: str | None = None
    format: str | None = None
    relationship: str | None = Field(default=None, description="parentOf, componentOf, ...")
    validation: C2paValidation | None = None


class ValidationCode(BaseModel):
    code: str
    explanation: str | None = None


class C2paReport(BaseModel):
    state: SectionState
    reason: str | None = None
    validation: C2paValidation | None = Field(
        default=None, description="Set whenever a manifest was read (state ok)."
    )
    embedded: bool | None = None
    remote_url: str | None = Field(
        default=None, description="A remote manifest reference; fetched only if allowed."
    )
    manifest_label: str | None = None
    manifests: int = 0
    signer_subject: str | None = Field(default=None, description="Certificate common name.")
    signer_issuer: str | None = Field(default=None, description="Certificate issuer (O).")
    signed_at: str | None = Field(default=None, description="Time-stamp, when there is one.")
    signature_alg: str | None = None
    claim_generator: str | None = None
    title: str | None = None
    actions: list[C2paAction] = Field(default_factory=list)
    digital_source_types: list[str] = Field(
        default_factory=list, description="IPTC terms declared anywhere in the active manifest."
    )
    ingredients: list[C2paIngredient] = Field(default_factory=list)
    failures: list[ValidationCode] = Field(default_factory=list)
    trust_list: str | None = Field(default=None, description="Which anchors were used.")


class TraceSource(StrEnum):
    png_text = "png_text"
    exif = "exif"
    xmp = "xmp"
    iptc = "iptc"
    container = "container"


class GeneratorTrace(BaseModel):
    """One piece of metadata written by a content generator."""

    source: TraceSource
    key: str = Field(description="Where: chunk keyword, EXIF tag, XMP property.")
    tool: str = Field(description="The tool it names (canonical name).")
    ai: bool = Field(description="The tool is a generative-AI tool (not just an editor).")
    excerpt: str = Field(description="The start of the value, for the eye (bounded).")


class ImageMetadata(BaseModel):
    state: SectionState
    reason: str | None = None
    make: str | None = None
    model: str | None = None
    lens: str | None = None
    capture_time: str | None = None
    software: str | None = None
    creator_tool: str | None = None
    artist: str | None = None
    gps_present: bool = Field(default=False, description="Coordinates are never copied.")
    digital_source_type: str | None = Field(default=None, description="XMP/IPTC, IPTC term.")
    edit_history: list[str] = Field(
        default_factory=list, description="XMP history: 'action by agent at when'."
    )
    exif: SectionState = SectionState.absent
    xmp: SectionState = SectionState.absent
    iptc: SectionState = SectionState.absent
    unreadable: list[str] = Field(
        default_factory=list, description="Sub-sections that could not be read, with why."
    )


class StreamMetadata(BaseModel):
    index: int
    kind: str = Field(description="video, audio, data, ...")
    codec: str | None = None
    handler_name: str | None = None
    encoder: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)


class ContainerMetadata(BaseModel):
    state: SectionState
    reason: str | None = None
    format: str | None = None
    encoder: str | None = None
    creation_time: str | None = None
    device: dict[str, str] = Field(
        default_factory=dict, description="Recording-device tags (make, model, software)."
    )
    tags: dict[str, str] = Field(default_factory=dict, description="Container tags (bounded).")
    streams: list[StreamMetadata] = Field(default_factory=list)


class QuantTable(BaseModel):
    table_id: int
    estimated_quality: int | None = Field(
        default=None, description="IJG quality (1..100) that best reproduces this table."
    )
    matches_ijg: bool = Field(description="Exactly the IJG (libjpeg) table at that quality.")


class CompressionTraces(BaseModel):
    state: SectionState
    reason: str | None = None
    tables: list[QuantTable] = Field(default_factory=list)
    estimated_quality: int | None = None
    table_family: str | None = Field(
        default=None,
        description="'ijg' (libjpeg family: most editors, web tools, PIL) or 'custom' "
        "(camera or editor specific tables).",
    )
    progressive: bool | None = None
    subsampling: str | None = None
    double_compression: bool | None = Field(
        default=None, description="Signs of an earlier JPEG compression (heuristic)."
    )
    double_compression_score: float | None = Field(
        default=None, description="Heuristic score in [0, 1]; > threshold reads as 'signs'."
    )
    double_compression_method: str | None = None
    ela_url: str | None = Field(default=None, description="Set by the gateway.")
    ela_scale: float | None = Field(default=None, description="ELA size / image size.")
    # The error-level-analysis picture (PNG bytes) travels beside the document, never in it:
    # the gateway stores it as an artifact and sets ela_url. Not in the schema, not dumped.
    _ela_png: bytes | None = PrivateAttr(default=None)

    @property
    def ela_png(self) -> bytes | None:
        return self._ela_png

    @ela_png.setter
    def ela_png(self, data: bytes | None) -> None:
        self._ela_png = data


class ProvenanceReport(BaseModel):
    kind: str = Field(description="image, audio or video.")
    c2pa: C2paReport
    traces: list[GeneratorTrace] = Field(default_factory=list)
    metadata: ImageMetadata | None = None
    container: ContainerMetadata | None = None
    compression: CompressionTraces | None = None
    elapsed_ms: float = 0.0
    timed_out: bool = Field(
        default=False, description="The time budget ran out; later sections are 'unreadable'."
    )


__all__ = [
    "AI_SOURCE_TYPES",
    "CAPTURE_SOURCE_TYPES",
    "C2paAction",
    "C2paIngredient",
    "C2paReport",
    "C2paValidation",
    "CompressionTraces",
    "ContainerMetadata",
    "GeneratorTrace",
    "ImageMetadata",
    "ProvenanceReport",
    "QuantTable",
    "RuleOutcome",
    "RuleSeverity",
    "SectionState",
    "StreamMetadata",
    "TraceSource",
    "ValidationCode",
    "VerdictLabel",
]
