"""--sample: N for every modality, or MODALITY=N for one (the others taken whole)."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from dd_eval import dataset
from dd_eval.cli import _sample, parse_sample


def _items() -> list[dataset.Item]:
    out = []
    for modality in ("audio", "image"):
        for label in (0, 1):
            for i in range(10):
                out.append(
                    dataset.Item(
                        path=Path(f"{modality}/{label}/{i}.bin"),
                        label=label,
                        modality=modality,
                        split="test",
                        group=f"g{i % 3}",
                        sha256=f"{modality}{label}{i}",
                    )
                )
    return out


def _count(items: list[dataset.Item], modality: str, label: int) -> int:
    return sum(1 for i in items if i.modality == modality and i.label == label)


def test_one_limit_for_every_modality() -> None:
    picked = _sample(_items(), parse_sample(("3",)), seed=0)
    assert [_count(picked, m, c) for m in ("audio", "image") for c in (0, 1)] == [3, 3, 3, 3]
    # group round-robin: three groups, three picks -> one of each
    assert {i.group for i in picked if i.modality == "audio" and i.label == 0} == {"g0", "g1", "g2"}


def test_a_limit_for_one_modality_leaves_the_others_whole() -> None:
    picked = _sample(_items(), parse_sample(("audio=2",)), seed=0)
    assert [_count(picked, m, c) for m in ("audio", "image") for c in (0, 1)] == [2, 2, 10, 10]
    both = _sample(_items(), parse_sample(("4", "image=0")), seed=0)
    assert [_count(both, m, c) for m in ("audio", "image") for c in (0, 1)] == [4, 4, 10, 10]


def test_bad_sample_values_are_refused() -> None:
    with pytest.raises(click.BadParameter):
        parse_sample(("speech=3",))
    with pytest.raises(click.BadParameter):
        parse_sample(("audio=many",))
