"""Media condition -> a coarse condition *band*, the key calibration is stored under.

The services measure a condition dict (``ModalityResult.condition``: audio codec,
bitrate_kbps, sample_rate, bandwidth_hz; image width, height, face_px, jpeg_quality;
video width, height, codec, bitrate_kbps, face_px). Calibration cannot have one entry per
exact value, so each dict maps to one band, e.g. ``aac_low`` (AAC at <= 40 kbit/s) or
``narrowband`` (nothing above ~4 kHz). Pure python: the services import this.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

LOSSLESS = {"pcm", "flac", "alac", "wavpack", "ape", "tta"}
LOW_KBPS, MID_KBPS = 40.0, 96.0
NARROWBAND_RATE = 11025.0
DEFAULT = "default"


def _num(value: object) -> float | None:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def codec_family(codec: object) -> str:
    name = str(codec or "").lower()
    for family in (
        "aac",
        "mp3",
        "opus",
        "vorbis",
        "amr",
        "gsm",
        "h264",
        "hevc",
        "vp9",
        "av1",
        "mjpeg",
    ):
        if name.startswith(family) or family in name:
            return family
    if name.startswith("pcm") or name in LOSSLESS:
        return "lossless"
    return name or "unknown"


def _rate_band(kbps: float | None) -> str:
    if kbps is None:
        return "unknown"
    return "low" if kbps <= LOW_KBPS else ("mid" if kbps <= MID_KBPS else "high")


def audio_band(condition: Mapping[str, object]) -> str:
    """narrowband | lossless | <codec>_<low|mid|high>.

    Narrowband = sampled at <= 11.025 kHz, or flagged ``narrowband`` by the analyzer
    (its high-band energy test: pass ``{"narrowband": 1}`` in the condition). The
    ``bandwidth_hz`` the service reports is not used: on the corpus it spans 1.6-5.5 kHz for
    clean wide-band speech and 1.8-3.4 kHz for telephone-band speech, so no cut separates them.
    """
    rate = _num(condition.get("sample_rate"))
    if (rate is not None and 0 < rate <= NARROWBAND_RATE) or _num(condition.get("narrowband")):
        return "narrowband"
    family = codec_family(condition.get("codec"))
    if family in ("lossless", "unknown"):
        return "lossless"
    return f"{family}_{_rate_band(_num(condition.get('bitrate_kbps')))}"


def image_band(condition: Mapping[str, object]) -> str:
    """small_face | jpeg_low | small | default."""
    face = _num(condition.get("face_px"))
    if face is not None and 0 < face < 64:
        return "small_face"
    quality = _num(condition.get("jpeg_quality"))
    if quality is not None and quality < 60:
        return "jpeg_low"
    side = min(_num(condition.get("width")) or 1e9, _num(condition.get("height")) or 1e9)
    if side < 256:
        return "small"
    return DEFAULT


def video_band(condition: Mapping[str, object]) -> str:
    """small_face | low_res (<= 240 lines) | low_bitrate | default."""
    face = _num(condition.get("face_px"))
    if face is not None and 0 < face < 64:
        return "small_face"
    height = _num(condition.get("height"))
    if height is not None and height <= 240:
        return "low_res"
    kbps = _num(condition.get("bitrate_kbps"))
    if kbps is not None and kbps < 300:
        return "low_bitrate"
    return DEFAULT


def band(modality: str, condition: Mapping[str, object] | str | None) -> str:
    """The band for a modality's condition (a string is taken as a band already)."""
    if condition is None:
        return DEFAULT
    if isinstance(condition, str):
        return condition
    if not condition:
        return DEFAULT
    if modality == "audio":
        return audio_band(condition)
    if modality == "image":
        return image_band(condition)
    if modality == "video":
        return video_band(condition)
    return DEFAULT


def describe(modality: str, band_name: str) -> str:
    """Words for a band, used in the 'misjudged N % of the time' sentence."""
    if band_name == "narrowband":
        return "narrow-band (telephone, 8 kHz)"
    if band_name == "lossless":
        return "uncompressed"
    if band_name == "small_face":
        return "with faces under 64 px"
    if band_name == "low_res":
        return "at 240 lines or fewer"
    if band_name == "jpeg_low":
        return "JPEG-compressed below quality 60"
    if band_name == "small":
        return "smaller than 256 px"
    if band_name == DEFAULT:
        return "without recompression or resizing signs" if modality != "audio" else "as is"
    if "_" in band_name:
        family, rate = band_name.rsplit("_", 1)
        words = {
            "low": f"at {LOW_KBPS:.0f} kbit/s or less",
            "mid": f"at {LOW_KBPS:.0f}-{MID_KBPS:.0f} kbit/s",
            "high": f"above {MID_KBPS:.0f} kbit/s",
        }
        return f"coded as {family.upper()} {words.get(rate, '')}".strip()
    return f"in condition '{band_name}'"


def probe(path: object, modality: str) -> dict[str, float | str]:
    """The container-level condition of a file, measured here with PyAV (when installed):
    used for results whose service did not report one. Never raises."""
    if modality not in ("audio", "video"):
        return {}
    try:
        import av

        with av.open(str(path)) as container:
            streams = container.streams.audio if modality == "audio" else container.streams.video
            if not streams:
                return {}
            stream: Any = streams[0]
            out: dict[str, float | str] = {"codec": stream.codec_context.name}
            bit_rate = stream.bit_rate or container.bit_rate
            if bit_rate:
                out["bitrate_kbps"] = round(bit_rate / 1000.0, 1)
            if modality == "audio":
                out["sample_rate"] = float(stream.codec_context.sample_rate or 0)
            else:
                out["width"], out["height"] = (
                    float(stream.codec_context.width),
                    float(stream.codec_context.height),
                )
            return out
    except Exception:
        return {}
