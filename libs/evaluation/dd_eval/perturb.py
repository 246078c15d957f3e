"""Named perturbations of media files, made with ffmpeg (or libjpeg) and cached.

Each perturbation is what media goes through on its way to a user: lossy codecs at
common bitrates, the telephone band, resampling; JPEG re-compression, resizing,
screenshots; video re-encoding and rescaling. ``implied`` is the media condition the
perturbation produces (the same keys the services measure), used when a service does not
report one.

JPEG quality means the IJG (libjpeg) quality, so ``jpeg_N`` re-saves with libjpeg through
Pillow at quality N, 4:2:0: the encoder behind cameras' software, browsers and the
photo pipelines of social networks. ffmpeg's ``-q:v`` is not that scale (``-q:v 12``
gives a luminance table of IJG quality ~54 and much coarser chroma tables), so ffmpeg's
MJPEG encoder is kept as its own condition, ``jpeg_ffmpeg_54``: MesoNet reacts to it
differently (on the shared real face crop 0.64 against 0.35-0.51 for libjpeg at 50-60).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

CLEAN = "clean"


@dataclass(frozen=True)
class LibJpeg:
    """Re-save as JPEG with libjpeg (Pillow) at IJG ``quality``, after resizing by
    ``scale`` (bicubic) when it is not 1."""

    quality: int
    scale: float = 1.0


Step = tuple[str, ...] | LibJpeg  # ffmpeg arguments, or a libjpeg re-save


@dataclass(frozen=True)
class Perturbation:
    name: str
    modality: str
    suffix: str
    steps: tuple[Step, ...]  # applied in turn
    implied: dict[str, float | str] = field(default_factory=dict)


def _audio(name: str, suffix: str, args: tuple[str, ...], **implied: float | str) -> Perturbation:
    return Perturbation(name, "audio", suffix, (args,), dict(implied))


def _image(
    name: str, steps: tuple[Step, ...], suffix: str = ".jpg", **implied: float | str
) -> Perturbation:
    return Perturbation(name, "image", suffix, steps, dict(implied))


def _video(name: str, args: tuple[str, ...], **implied: float | str) -> Perturbation:
    return Perturbation(name, "video", ".mp4", (args,), dict(implied))


def _scale(factor: float) -> tuple[str, ...]:
    return ("-vf", f"scale=trunc(iw*{factor}/2)*2:trunc(ih*{factor}/2)*2:flags=bicubic")


PERTURBATIONS: dict[str, Perturbation] = {
    p.name: p
    for p in [
        *[
            _audio(
                f"aac_{k}", ".m4a", ("-c:a", "aac", "-b:a", f"{k}k"), codec="aac", bitrate_kbps=k
            )
            for k in (32, 64, 128)
        ],
        *[
            _audio(
                f"mp3_{k}",
                ".mp3",
                ("-c:a", "libmp3lame", "-b:a", f"{k}k"),
                codec="mp3",
                bitrate_kbps=k,
            )
            for k in (32, 64, 128)
        ],
        *[
            _audio(
                f"opus_{k}",
                ".ogg",
                ("-c:a", "libopus", "-b:a", f"{k}k"),
                codec="opus",
                bitrate_kbps=k,
            )
            for k in (16, 32)
        ],
        _audio(
            "tel_8k",
            ".wav",
            ("-af", "highpass=f=300,lowpass=f=3400", "-ar", "8000", "-c:a", "pcm_s16le"),
            codec="pcm_s16le",
            sample_rate=8000,
            bandwidth_hz=3400,
        ),
        _audio(
            "resample_22k",
            ".wav",
            ("-ar", "22050", "-c:a", "pcm_s16le"),
            codec="pcm_s16le",
            sample_rate=22050,
        ),
        _audio(
            "resample_44k",
            ".wav",
            ("-ar", "44100", "-c:a", "pcm_s16le"),
            codec="pcm_s16le",
            sample_rate=44100,
        ),
        *[_image(f"jpeg_{q}", (LibJpeg(q),), jpeg_quality=q) for q in (30, 50, 70, 95)],
        _image("jpeg_ffmpeg_54", (("-q:v", "12"),), jpeg_quality=54),
        *[_image(f"resize_{f}", (_scale(f),), ".png", scale=f) for f in (0.25, 0.5, 2)],
        _image(
            "png_screenshot",
            (("-vf", "scale=trunc(iw*0.8):-2,format=rgb24"),),
            ".png",
            screenshot=1,
        ),
        # A photo shared twice: saved at 90, then resized to 75 % and saved at 60.
        _image("recompress_chain", (LibJpeg(90), LibJpeg(60, 0.75)), jpeg_quality=60),
        *[
            _video(
                f"crf_{c}",
                (
                    "-c:v",
                    "libx264",
                    "-crf",
                    str(c),
                    "-preset",
                    "veryfast",
                    "-c:a",
                    "aac",
                    "-b:a",
                    "64k",
                ),
                crf=c,
            )
            for c in (23, 32, 40)
        ],
        *[
            _video(
                f"down_{h}p",
                (
                    "-vf",
                    f"scale=-2:{h}",
                    "-c:v",
                    "libx264",
                    "-crf",
                    "23",
                    "-preset",
                    "veryfast",
                    "-c:a",
                    "copy",
                ),
                height=h,
            )
            for h in (144, 240, 480)
        ],
        _video(
            "upscale_2x",
            (
                "-vf",
                "scale=trunc(iw*2/2)*2:trunc(ih*2/2)*2",
                "-c:v",
                "libx264",
                "-crf",
                "23",
                "-preset",
                "veryfast",
                "-c:a",
                "copy",
            ),
            upscaled=1,
        ),
    ]
}

GROUPS = {
    "all-audio": [n for n, p in PERTURBATIONS.items() if p.modality == "audio"],
    "all-image": [n for n, p in PERTURBATIONS.items() if p.modality == "image"],
    "all-video": [n for n, p in PERTURBATIONS.items() if p.modality == "video"],
}
GROUPS["all"] = GROUPS["all-audio"] + GROUPS["all-image"] + GROUPS["all-video"]


def expand(names: list[str]) -> list[str]:
    """Comma/space-separated names and group names -> perturbation names (clean first)."""
    out = [CLEAN]
    for item in names:
        for name in item.replace(",", " ").split():
            for n in GROUPS.get(name, [name]):
                if n != CLEAN and n not in PERTURBATIONS:
                    raise ValueError(
                        f"unknown perturbation {n!r}; known: {', '.join(sorted(PERTURBATIONS))}; "
                        f"groups: {', '.join(GROUPS)}"
                    )
                if n not in out:
                    out.append(n)
    return out


def applies(name: str, modality: str) -> bool:
    return name == CLEAN or PERTURBATIONS[name].modality == modality


def _ffmpeg(src: Path, dst: Path, args: tuple[str, ...]) -> None:
    cmd = ["ffmpeg", "-nostdin", "-y", "-v", "error", "-i", str(src), *args, str(dst)]
    done = subprocess.run(cmd, capture_output=True, timeout=300, check=False)
    if done.returncode != 0 or not dst.exists():
        raise RuntimeError(
            f"ffmpeg failed on {src.name}: {done.stderr.decode(errors='replace')[-400:]}"
        )


def _libjpeg(src: Path, dst: Path, step: LibJpeg) -> None:
    from PIL import Image

    with Image.open(src) as image:
        rgb = image.convert("RGB")
    if step.scale != 1.0:
        size = (max(1, round(rgb.width * step.scale)), max(1, round(rgb.height * step.scale)))
        rgb = rgb.resize(size, Image.Resampling.BICUBIC)
    rgb.save(dst, format="JPEG", quality=step.quality, subsampling="4:2:0")


def make(
    src: Path,
    name: str,
    cache: Path,
    key: str,
    runner: Callable[[Path, Path, tuple[str, ...]], None] = _ffmpeg,
) -> Path:
    """The perturbed copy of ``src`` (made once, cached under ``cache/name``)."""
    if name == CLEAN:
        return src
    if shutil.which("ffmpeg") is None:
        raise RuntimeError("perturbations need ffmpeg (apt-get install -y ffmpeg)")
    spec = PERTURBATIONS[name]
    dst = cache / name / f"{key[:16]}{spec.suffix}"
    if dst.exists():
        return dst
    dst.parent.mkdir(parents=True, exist_ok=True)
    current = src
    for i, step in enumerate(spec.steps):
        last = i == len(spec.steps) - 1
        target = (
            dst.with_suffix(f".part{spec.suffix}")
            if last
            else dst.with_name(f"{dst.stem}.step{i}.jpg")
        )
        if isinstance(step, LibJpeg):
            _libjpeg(current, target, step)
        else:
            runner(current, target, step)
        current = target
    current.rename(dst)
    for leftover in dst.parent.glob(f"{dst.stem}.step*"):
        leftover.unlink()
    return dst
