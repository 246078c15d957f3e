"""IoU tracker: one id per person, several people, missed samples."""

from __future__ import annotations

from dd_face.types import FaceBox
from dd_video.tracking import IouTracker, iou, similarity


def box(x: float, y: float, side: float = 100.0) -> FaceBox:
    return FaceBox(x, y, x + side, y + side, 0.99)


def test_iou() -> None:
    assert iou(box(0, 0), box(0, 0)) == 1.0
    assert iou(box(0, 0), box(200, 0)) == 0.0
    assert iou(box(0, 0), box(50, 0)) == 5000 / 15000


def test_slid_face_still_matches_but_a_far_one_does_not() -> None:
    assert similarity(box(0, 0), box(45, 0)) > 0  # IoU 0.38
    assert similarity(box(0, 0), box(0, 45, 110)) > 0
    assert similarity(box(0, 0), box(300, 0)) == 0
    assert similarity(box(0, 0), box(0, 0, 300)) == 0  # size too different


def test_one_moving_face_is_one_track() -> None:
    tracker = IouTracker()
    for k in range(6):
        faces = tracker.update(k, float(k), [box(100 + 30 * k, 50)])
        assert faces[0].track_id == 0
    assert list(tracker.tracks()) == [0]
    assert len(tracker.tracks()[0]) == 6


def test_two_people_keep_their_ids_even_in_swapped_detection_order() -> None:
    tracker = IouTracker()
    tracker.update(0, 0.0, [box(0, 0), box(500, 0)])
    faces = tracker.update(1, 1.0, [box(510, 5), box(10, 5)])
    assert [f.track_id for f in faces] == [1, 0]
    assert {k: len(v) for k, v in tracker.tracks().items()} == {0: 2, 1: 2}


def test_missed_samples_are_tolerated_up_to_the_limit() -> None:
    tracker = IouTracker(max_missed=2)
    tracker.update(0, 0.0, [box(0, 0)])
    tracker.update(1, 1.0, [])
    tracker.update(2, 2.0, [])
    assert tracker.update(3, 3.0, [box(5, 0)])[0].track_id == 0
    for k in (4, 5, 6):
        tracker.update(k, float(k), [])
    assert tracker.update(7, 7.0, [box(5, 0)])[0].track_id == 1
    assert {k: len(v) for k, v in tracker.tracks().items()} == {0: 2, 1: 1}


def test_new_person_entering_gets_a_new_id() -> None:
    tracker = IouTracker()
    tracker.update(0, 0.0, [box(0, 0)])
    faces = tracker.update(1, 1.0, [box(0, 0), box(400, 300)])
    assert sorted(f.track_id for f in faces) == [0, 1]
