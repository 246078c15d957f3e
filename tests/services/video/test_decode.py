"""Decoding: limits, error types, sampling by time, keyframe-only and range decoding,
rotation, odd sizes. Uses small videos written with PyAV (see conftest.py)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dd_inference import MediaRejected
from dd_video.decode import DecodeLimits, iter_samples, plan_samples, probe_video
from dd_video.sampling import SamplingConfig

LIMITS = DecodeLimits()
Make = Callable[..., Path]


def level_frame(i: int, size: tuple[int, int] = (96, 64)) -> np.ndarray:
    """A flat frame whose grey level encodes its index (survives compression)."""
    return np.full((size[1], size[0], 3), 20 + 7 * i, np.uint8)


def decoded_levels(path: Path, config: SamplingConfig) -> tuple[list[float], list[int], bool]:
    probe = probe_video(path, LIMITS)
    plan = plan_samples(probe, config)
    samples = list(iter_samples(probe, plan, LIMITS))
    levels = [round((float(s.rgb.mean()) - 20) / 7) for s in samples]
    return [s.t_s for s in samples], levels, plan.keyframes_only


def rejected(path: Path, limits: DecodeLimits = LIMITS) -> MediaRejected:
    with pytest.raises(MediaRejected) as info:
        probe = probe_video(path, limits)
        list(iter_samples(probe, plan_samples(probe, SamplingConfig()), limits))
    return info.value


def test_shared_clip_probe(shared_media: Path) -> None:
    probe = probe_video(shared_media / "astronaut_talk.mp4", LIMITS)
    assert probe.duration_s == pytest.approx(3.0, abs=0.05)
    assert probe.fps == pytest.approx(25.0, abs=0.5)
    assert (probe.coded_width, probe.coded_height) == (640, 640)
    assert probe.has_audio is True
    plan = plan_samples(probe, SamplingConfig(fps=1.0))
    assert plan.times == pytest.approx([0.5, 1.5, 2.5], abs=0.03)


def test_every_sample_is_the_frame_at_its_time(video_dir: Path, make_video: Make) -> None:
    # 10 fps, 3 s, one keyframe (x264 default GOP is longer than the clip).
    path = make_video(video_dir / "levels.mp4", level_frame, 30, fps=10)
    times, levels, keyframes_only = decoded_levels(path, SamplingConfig(fps=2.0))
    assert not keyframes_only
    assert levels == [round(t * 10) for t in times]
    assert times == pytest.approx([0.2, 0.7, 1.2, 1.7, 2.2, 2.7], abs=0.051)


def test_keyframe_only_when_keyframes_cover_the_grid(video_dir: Path, make_video: Make) -> None:
    path = make_video(video_dir / "gop10.mp4", level_frame, 30, fps=10, gop=10)
    times, levels, keyframes_only = decoded_levels(path, SamplingConfig(fps=1.0))
    assert keyframes_only
    assert levels == [0, 10, 20]
    assert times == pytest.approx([0.0, 1.0, 2.0])


def test_gaps_between_gops_are_skipped_and_frames_still_right(
    video_dir: Path, make_video: Make
) -> None:
    # 1 s GOPs sampled at 2 fps: two samples per keyframe, so not keyframe-only; each
    # GOP is decoded from its keyframe to its last sample, the decoder is flushed, and
    # the packets after that sample (up to the next keyframe) are never decoded.
    path = make_video(video_dir / "gop10b.mp4", level_frame, 30, fps=10, gop=10)
    probe = probe_video(path, LIMITS)
    plan = plan_samples(probe, SamplingConfig(fps=2.0))
    assert not plan.keyframes_only
    assert len(plan.ranges) == 3
    assert sum(end - start + 1 for start, end in plan.ranges) < probe.frame_count
    times, levels, _ = decoded_levels(path, SamplingConfig(fps=2.0))
    assert len(times) == 6
    assert levels == [round(t * 10) for t in times]


def test_variable_frame_rate_is_sampled_by_time(video_dir: Path, make_video: Make) -> None:
    times = [0.0, 0.05, 0.1, 0.15, 0.2, 1.4, 2.6, 2.65, 2.7, 3.9]
    path = make_video(video_dir / "vfr.mp4", level_frame, len(times), times=times)
    probe = probe_video(path, LIMITS)
    assert probe.frame_times == pytest.approx(times, abs=1e-3)
    got, levels, _ = decoded_levels(path, SamplingConfig(fps=1.0))
    # targets 0.5, 1.5, 2.5 (3.5 falls past 4 whole slots? no: 4 slots, 3.5 too)
    assert got == pytest.approx([0.2, 1.4, 2.6, 3.9], abs=1e-3)
    assert levels == [4, 5, 6, 9]


def test_rotation_metadata_is_applied(video_dir: Path, make_video: Make) -> None:
    def frame(_i: int) -> np.ndarray:
        img = np.zeros((64, 96, 3), np.uint8)
        img[:16, :16] = 255  # top-left marker on a landscape frame
        return img

    path = make_video(video_dir / "rot90.mp4", frame, 5, rotation=90)
    probe = probe_video(path, LIMITS)
    sample = next(iter_samples(probe, plan_samples(probe, SamplingConfig()), LIMITS))
    # Display matrix: 90° counter-clockwise, so the frame is shown portrait with the
    # marker bottom-left (checked against ffmpeg's own autorotate).
    assert sample.rgb.shape == (96, 64, 3)
    ys, xs = np.nonzero(sample.rgb[:, :, 0] > 200)
    assert ys.mean() > 70 and xs.mean() < 16


def test_odd_frame_size(video_dir: Path, make_video: Make) -> None:
    path = make_video(
        video_dir / "odd.mkv",
        lambda i: level_frame(i, (97, 63)),
        10,
        codec="ffv1",
        pix_fmt="yuv444p",
    )
    probe = probe_video(path, LIMITS)
    (sample,) = iter_samples(probe, plan_samples(probe, SamplingConfig()), LIMITS)
    assert sample.rgb.shape == (63, 97, 3)


def test_single_frame_clip_gives_one_sample(video_dir: Path, make_video: Make) -> None:
    path = make_video(video_dir / "one.mp4", level_frame, 1)
    times, levels, _ = decoded_levels(path, SamplingConfig(fps=1.0))
    assert times == [0.0] and levels == [0]


def test_empty_file(video_dir: Path) -> None:
    path = video_dir / "empty.mp4"
    path.write_bytes(b"")
    err = rejected(path)
    assert (err.type, err.status_code) == ("empty_media", 400)


def test_not_a_video(video_dir: Path) -> None:
    text = video_dir / "notes.mp4"
    text.write_text("just some words, not a movie\n" * 20)
    assert (rejected(text).type, rejected(text).status_code) == ("unsupported_media_type", 415)
    png = video_dir / "still.png"
    Image.fromarray(level_frame(3)).save(png)
    assert rejected(png).status_code == 415


def test_truncated_mp4_is_corrupt(video_dir: Path, shared_media: Path) -> None:
    source = shared_media / "astronaut_talk.mp4"
    data = source.read_bytes()
    for name, keep in (("cut_head.mp4", 0.6), ("cut_tail.mp4", 0.3)):
        path = video_dir / name
        path.write_bytes(data[: int(len(data) * keep)])
        err = rejected(path)
        assert (err.type, err.status_code) == ("corrupt_media", 422), name


def test_truncated_faststart_mp4_is_corrupt(video_dir: Path, make_video: Make) -> None:
    path = make_video(video_dir / "fast.mp4", level_frame, 30, options={"movflags": "faststart"})
    data = path.read_bytes()
    assert b"moov" in data[:200]  # index first, so the cut leaves it readable
    cut = video_dir / "fast_cut.mp4"
    cut.write_bytes(data[: int(len(data) * 0.7)])
    err = rejected(cut)
    assert (err.type, err.status_code) == ("corrupt_media", 422)


def test_audio_only_mp4(video_dir: Path, shared_media: Path) -> None:
    import av

    path = video_dir / "audio_only.mp4"
    with av.open(str(shared_media / "astronaut_talk.mp4")) as src, av.open(str(path), "w") as out:
        audio = src.streams.audio[0]
        stream = out.add_stream_from_template(audio)
        for packet in src.demux(audio):
            if packet.dts is None:
                continue
            packet.stream = stream
            out.mux(packet)
    err = rejected(path)
    assert (err.type, err.status_code) == ("no_video_stream", 422)


def test_one_pixel_video(video_dir: Path, make_video: Make) -> None:
    path = make_video(
        video_dir / "1x1.mkv", lambda i: level_frame(i, (1, 1)), 5, codec="ffv1", pix_fmt="yuv444p"
    )
    err = rejected(path)
    assert (err.type, err.status_code) == ("resolution_too_small", 422)


def test_4k_over_the_pixel_limit(video_dir: Path, make_video: Make) -> None:
    path = make_video(
        video_dir / "uhd.mp4", lambda i: level_frame(i, (3840, 2160)), 2, preset="ultrafast"
    )
    err = rejected(path)
    assert (err.type, err.status_code) == ("resolution_too_large", 413)
    # The same file passes under a limit that admits it: the size check is the reason.
    assert probe_video(path, DecodeLimits(max_pixels=3840 * 2160)).coded_width == 3840


def test_file_size_limit(video_dir: Path, shared_media: Path) -> None:
    err = rejected(shared_media / "astronaut_talk.mp4", DecodeLimits(max_bytes=10_000))
    assert (err.type, err.status_code) == ("payload_too_large", 413)


def test_container_that_lies_about_its_length(
    video_dir: Path, make_video: Make, lie_about_duration: Callable[[Path, float], None]
) -> None:
    path = make_video(
        video_dir / "long.mp4", lambda i: level_frame(i % 30), 60, fps=10
    )  # really 6 s
    liar = video_dir / "liar.mp4"
    shutil.copy(path, liar)
    lie_about_duration(liar, 1 / 6)
    limits = DecodeLimits(max_duration_s=3.0)
    err = rejected(liar, limits)
    assert (err.type, err.status_code) == ("duration_too_long", 413)
    assert "header says 1.0 s" in err.detail
    # Without the cap the real length comes from the frames, not the header.
    probe = probe_video(liar, LIMITS)
    assert probe.metadata_duration_s == pytest.approx(1.0, abs=0.05)
    assert probe.duration_s == pytest.approx(6.0, abs=0.05)
    assert len(plan_samples(probe, SamplingConfig()).times) == 6


def textured_frame(i: int, size: tuple[int, int] = (160, 96)) -> np.ndarray:
    """Moving texture plus fresh noise: P- and B-frames carry real residuals, so a frame
    decoded from the wrong references (a skipped frame that was needed) shows."""
    width, height = size
    ys, xs = np.mgrid[0:height, 0:width]
    wave = 128 + 60 * np.sin((xs + 3 * i) / 7.0) * np.cos((ys - 2 * i) / 5.0)
    noise = np.random.default_rng(i).normal(0, 6, (height, width))
    grey = np.clip(wave + noise, 0, 255).astype(np.uint8)
    return np.stack([grey, np.roll(grey, i, axis=1), 255 - grey], axis=-1)


def decode_everything(path: Path) -> dict[float, np.ndarray]:
    """Reference: every frame decoded in order (no skipping, no ranges), by pts time."""
    import av

    frames: dict[float, np.ndarray] = {}
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        decoded = [(f.pts, f.to_ndarray(format="rgb24")) for f in container.decode(stream)]
        time_base = stream.time_base
    first = min(pts for pts, _ in decoded)
    for pts, rgb in decoded:
        frames[float((pts - first) * time_base)] = rgb
    return frames


@pytest.mark.parametrize("lanes", [1, 2, 3])
@pytest.mark.parametrize(
    ("gop", "fps", "keyframes_only"),
    [(100, 1.0, False), (10, 1.0, True), (10, 2.0, False), (40, 1.0, False)],
    ids=["gop10s-1fps", "gop1s-1fps", "gop1s-2fps", "gop4s-1fps"],
)
def test_fast_path_picks_the_reference_frames_pixel_for_pixel(
    video_dir: Path, make_video: Make, gop: int, fps: float, keyframes_only: bool, lanes: int
) -> None:
    # 10 fps, 25 s: a 10 s GOP (x264's default of 250 frames at 25 fps, scaled), a 4 s
    # GOP and a 1 s GOP (phones). The fast path (ranges, non-reference frames skipped,
    # keyframes only where they cover the grid, GOPs decoded side by side in ``lanes``)
    # must hand back exactly the frames a decode of every frame shows at the planned
    # times, in time order.
    path = make_video(video_dir / f"textured_gop{gop}.mp4", textured_frame, 250, fps=10, gop=gop)
    probe = probe_video(path, LIMITS)
    plan = plan_samples(probe, SamplingConfig(fps=fps))
    assert plan.keyframes_only is keyframes_only
    reference = decode_everything(path)
    samples = list(iter_samples(probe, plan, LIMITS, lanes=lanes))
    assert [s.t_s for s in samples] == plan.times
    assert [s.index for s in samples] == list(range(len(plan.times)))
    for sample in samples:
        assert sample.t_s in reference
        np.testing.assert_array_equal(sample.rgb, reference[sample.t_s])
    # Non-trivial: the frames differ from each other, so a wrong pick would show.
    assert len({s.rgb.tobytes() for s in samples}) == len(samples)


def test_lanes_split_the_gops_and_change_nothing(video_dir: Path, make_video: Make) -> None:
    # 7 GOPs of 4 s (closed, x264 keyint 40 at 10 fps) sampled at 1 fps: every GOP is
    # its own range, the lanes share them out, and the samples are the same objects in
    # the same order whatever the number of lanes, also with one decoder thread each.
    path = make_video(video_dir / "textured_gop40.mp4", textured_frame, 250, fps=10, gop=40)
    probe = probe_video(path, LIMITS)
    plan = plan_samples(probe, SamplingConfig(fps=1.0))
    assert len(probe.keyframe_decode_idx) == 7 and len(plan.ranges) == 7
    runs = {
        (lanes, threads): list(iter_samples(probe, plan, LIMITS, threads=threads, lanes=lanes))
        for lanes, threads in [(1, 2), (2, 2), (3, 1), (7, 2), (9, 4)]
    }
    first = runs[(1, 2)]
    assert [s.t_s for s in first] == plan.times
    for key, samples in runs.items():
        assert [(s.index, s.t_s) for s in samples] == [(s.index, s.t_s) for s in first], key
        for a, b in zip(samples, first, strict=True):
            np.testing.assert_array_equal(a.rgb, b.rgb)


def test_lanes_still_refuse_a_stream_that_does_not_decode(
    video_dir: Path, make_video: Make
) -> None:
    # The plan of a good clip with six GOPs, then its frame data replaced by noise (the
    # container, its index and times intact): no frame decodes in any lane, so the file
    # is refused as a whole, once, not handed back as one lane's partial result.
    path = make_video(video_dir / "noise_payload.mp4", textured_frame, 120, fps=10, gop=20)
    probe = probe_video(path, LIMITS)
    plan = plan_samples(probe, SamplingConfig(fps=1.0))
    assert len(plan.ranges) == 6
    data = bytearray(path.read_bytes())
    box = data.index(b"mdat") - 4
    start, end = box + 8, box + int.from_bytes(data[box : box + 4], "big")
    data[start:end] = np.random.default_rng(7).integers(0, 256, end - start, np.uint8).tobytes()
    path.write_bytes(bytes(data))
    for lanes in (1, 2):
        with pytest.raises(MediaRejected) as info:
            list(iter_samples(probe, plan, LIMITS, lanes=lanes))
        assert (info.value.type, info.value.status_code) == ("corrupt_media", 422)
        assert "No frame of the video could be decoded" in info.value.detail
