"""make eval-data's building blocks: members of pinned source archives, animated stills."""

from __future__ import annotations

import hashlib
import io
import tarfile
from pathlib import Path

import av
from PIL import Image

from tests.script_loader import load_script

make_eval_data = load_script("make_eval_data")


def write_sdist(path: Path, members: dict[str, bytes], link: str | None = None) -> None:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        if link:
            info = tarfile.TarInfo(link)
            info.type = tarfile.SYMTYPE
            info.linkname = "/etc/passwd"
            tar.addfile(info)


def test_a_cached_archive_is_used_only_with_the_pinned_digest(tmp_path: Path) -> None:
    archive = tmp_path / "pkg-1.0.tar.gz"
    write_sdist(archive, {"pkg-1.0/data/a.wav": b"RIFF"})
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    assert make_eval_data.sdist_archive("pkg==1.0", archive.name, digest, tmp_path) == archive
    assert make_eval_data.sdist_archive("pkg==1.0", archive.name, "0" * 64, tmp_path) is None


def test_members_are_extracted_as_regular_files_only(tmp_path: Path) -> None:
    archive = tmp_path / "pkg.tar.gz"
    write_sdist(archive, {"pkg/data/a.wav": b"RIFFdata"}, link="pkg/data/link.wav")
    out = tmp_path / "out" / "a.wav"
    assert make_eval_data.extract_member(archive, "pkg/data/a.wav", out)
    assert out.read_bytes() == b"RIFFdata"
    assert not make_eval_data.extract_member(archive, "pkg/data/link.wav", tmp_path / "l.wav")
    assert not make_eval_data.extract_member(archive, "pkg/missing.wav", tmp_path / "m.wav")
    assert not (tmp_path / "l.wav").exists()


def test_a_picture_in_a_format_the_product_refuses_is_converted(tmp_path: Path) -> None:
    ppm = io.BytesIO()
    Image.new("RGB", (30, 20), (200, 40, 10)).save(ppm, format="PPM")
    archive = tmp_path / "pkg.tar.gz"
    write_sdist(archive, {"pkg/data/face.ppm": ppm.getvalue()})
    dst = tmp_path / "image" / "face.png"
    assert make_eval_data.extract_image(archive, "pkg/data/face.ppm", dst)
    with Image.open(dst) as image:
        assert (image.format, image.size) == ("PNG", (30, 20))
        assert image.convert("RGB").getpixel((5, 5)) == (200, 40, 10)


def test_a_still_is_animated_into_a_silent_four_second_clip(
    tmp_path: Path, shared_media: Path
) -> None:
    dst = tmp_path / "video" / "fake" / "clip.mp4"
    assert make_eval_data.animate_still(shared_media / "faces/mesonet_fake_df00204.jpg", dst)
    with av.open(str(dst)) as container:
        assert not container.streams.audio
        stream = container.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == (640, 640)
        frames = [f.to_ndarray(format="gray") for f in container.decode(stream)]
    assert len(frames) == 100
    # A zoom, not a frozen frame: the last frame differs from the first.
    assert abs(frames[0].astype(int) - frames[-1].astype(int)).mean() > 2
    assert not list(dst.parent.glob("*.part.mp4"))
