"""``dfd evaluate`` and ``dfd calibrate`` (click commands, registered in the ``dfd.commands``
entry-point group, so they appear in ``dfd`` only when dd_eval is installed).
Also runnable without the client: ``python -m dd_eval evaluate ...``."""

from __future__ import annotations

import json
import os
import random
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import click

from dd_eval import dataset, perturb, runner
from dd_eval.backends import Backend, BackendError, HttpBackend, InProcessBackend
from dd_eval.calibration import Calibration

DEFAULT_URL = "http://127.0.0.1:8000"
REPO_MODELS = Path(__file__).resolve().parents[3] / "models"


def _backend(
    url: str, api_key: str | None, in_process: bool, models_dir: Path, threads: int
) -> Backend:
    if in_process:
        return InProcessBackend(models_dir, threads)
    backend = HttpBackend(url, api_key)
    backend.check()
    return backend


def parse_sample(values: tuple[str, ...]) -> dict[str | None, int]:
    """``--sample 6`` -> every modality; ``--sample audio=6`` -> audio only (the others are
    taken whole). 0 means no limit."""
    limits: dict[str | None, int] = {}
    for value in values:
        for part in filter(None, (p.strip() for p in value.split(","))):
            name, _, count = part.rpartition("=")
            if name and name not in ("audio", "image", "video"):
                raise click.BadParameter(f"unknown modality {name!r} in --sample {value}")
            try:
                limits[name or None] = int(count)
            except ValueError:
                raise click.BadParameter(f"--sample takes N or MODALITY=N, got {part!r}") from None
    return limits


def _sample(
    items: list[dataset.Item], per_class: dict[str | None, int], seed: int
) -> list[dataset.Item]:
    """At most ``per_class`` items per (modality, label, split), drawn group-round-robin so
    every speaker / source keeps a share."""
    if not any(per_class.values()):
        return items
    rng = random.Random(seed)
    strata: dict[tuple[str, int, str], list[dataset.Item]] = defaultdict(list)
    for item in items:
        strata[(item.modality, item.label, item.split)].append(item)
    chosen = []
    for (modality, _, _), stratum in strata.items():
        limit = per_class.get(modality, per_class.get(None, 0)) or len(stratum)
        groups: dict[str, list[dataset.Item]] = defaultdict(list)
        for item in stratum:
            groups[item.group].append(item)
        for members in groups.values():
            rng.shuffle(members)
        order = sorted(groups)
        picked: list[dataset.Item] = []
        while len(picked) < min(limit, len(stratum)):
            for g in order:
                if groups[g] and len(picked) < limit:
                    picked.append(groups[g].pop())
        chosen += picked
    return sorted(chosen, key=lambda i: str(i.path))


def _items(
    data: tuple[Path, ...],
    modality: tuple[str, ...],
    split: str | None,
    sample: tuple[str, ...],
    seed: int,
) -> list[dataset.Item]:
    """Items of every DATA (each sampled on its own), without duplicates."""
    items: dict[tuple[str, str], dataset.Item] = {}
    for source in data:
        loaded = dataset.load(source, set(modality) or None, split)
        for item in _sample(loaded, parse_sample(sample), seed):
            items.setdefault((item.sha256, str(item.path)), item)
    if not items:
        raise click.ClickException(
            f"no media with a real/fake label found in {', '.join(map(str, data))}"
        )
    return list(items.values())


backend_options = [
    click.option(
        "--url",
        default=lambda: os.environ.get("DFD_URL", DEFAULT_URL),
        show_default=DEFAULT_URL,
        help="Gateway to evaluate through (the path users take).",
    ),
    click.option(
        "--api-key", envvar="DFD_API_KEY", default=None, help="Gateway API key, if it requires one."
    ),
    click.option(
        "--in-process",
        is_flag=True,
        help="Call the services' analyzers in this process instead of the gateway.",
    ),
    click.option(
        "--models-dir",
        type=click.Path(path_type=Path),
        default=REPO_MODELS,
        show_default=True,
        help="Weights folder for --in-process.",
    ),
    click.option(
        "--threads",
        type=int,
        default=1,
        show_default=True,
        help="Torch/TF threads for --in-process.",
    ),
    click.option(
        "--perturb",
        "perturbations",
        multiple=True,
        help="Perturbations (names or groups: all, all-audio, all-image, all-video), "
        "comma-separated or repeated; 'clean' is always included.",
    ),
    click.option(
        "--modality",
        multiple=True,
        type=click.Choice(["audio", "image", "video"]),
        help="Only these modalities.",
    ),
    click.option(
        "--sample",
        multiple=True,
        help="At most N files per (modality, label, split), spread over sources; "
        "MODALITY=N limits one modality only (e.g. audio=6).",
    ),
    click.option("--seed", type=int, default=0, show_default=True),
    click.option("--progress/--no-progress", default=True, show_default=True),
]


def _with_backend_options(fn: Any) -> Any:
    for option in reversed(backend_options):
        fn = option(fn)
    return fn


@click.command("evaluate")
@click.argument("data", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    required=True,
    help="Report folder (also the resumable cache).",
)
@click.option(
    "--split", default=None, help="Only this split of a corpus manifest (calibration / test)."
)
@click.option(
    "--calibration",
    "calibration_file",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    help="Also report metrics after this calibration file.",
)
@click.option(
    "--length-sweep",
    is_flag=True,
    help="Audio: also measure false alarms against recording length (1/5/20 joined "
    "real clips) and a spliced TTS passage.",
)
@_with_backend_options
def evaluate(
    data: tuple[Path, ...],
    out: Path,
    split: str | None,
    calibration_file: Path | None,
    length_sweep: bool,
    url: str,
    api_key: str | None,
    in_process: bool,
    models_dir: Path,
    threads: int,
    perturbations: tuple[str, ...],
    modality: tuple[str, ...],
    sample: tuple[str, ...],
    seed: int,
    progress: bool,
) -> None:
    """Evaluate the detectors on DATA (a folder with real/ and fake/, a CSV of path,label,
    or a corpus folder with manifest.csv); write metrics.json, plots, index.html and the
    robustness table into --out."""
    try:
        names = perturb.expand(list(perturbations))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--perturb") from exc
    items = _items(data, modality, split, sample, seed)
    try:
        backend = _backend(url, api_key, in_process, models_dir, threads)
    except BackendError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        records = runner.evaluate(items, names, backend, out, progress)
        extra: dict[str, Any] = {
            "backend": backend.name if in_process else f"gateway {url}",
            "data": [str(d) for d in data],
            "perturbations": names,
            "data_hash": dataset.data_hash(items),
        }
        if length_sweep:
            extra.update(_length_sweep(items, backend, out, seed))
    finally:
        backend.close()
    cal = Calibration.load(calibration_file) if calibration_file else None
    from dd_eval import report

    result = report.write(records, out, cal, extra)
    errors = sum(1 for r in records if r.get("error"))
    click.echo((out / "robustness.md").read_text())
    click.echo(f"{len(records)} results ({errors} errors) -> {out / 'index.html'}")
    if "length_sweep" in result:
        click.echo(json.dumps(result["length_sweep"]["summary"], indent=1))


def _length_sweep(
    items: list[dataset.Item], backend: Backend, out: Path, seed: int
) -> dict[str, Any]:
    from dd_eval import lengthsweep

    real = [i for i in items if i.modality == "audio" and i.label == 0]
    fake = [i for i in items if i.modality == "audio" and i.label == 1]
    if not real:
        return {}
    result: dict[str, Any] = {
        "length_sweep": lengthsweep.sweep(real, backend, out / "lengthsweep", seed=seed)
    }
    if fake:
        result["splice"] = lengthsweep.splice(real, fake[0], backend, out / "lengthsweep")
    return result


class _NoBackend:
    name = "cache"

    def analyze(self, path: Path, modality: str) -> dict[str, Any]:
        raise BackendError("--cached-only: not in the cache")

    def close(self) -> None:
        pass


@click.command("calibrate")
@click.argument("data", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    required=True,
    help="Calibration file to write (JSON).",
)
@click.option(
    "--work",
    type=click.Path(path_type=Path),
    default=None,
    help="Where the evaluation results are cached (default: <out>.work/).",
)
@click.option(
    "--cached-only",
    is_flag=True,
    help="Fit on the results already in --work only (analyse nothing new); no backend needed.",
)
@click.option(
    "--floor",
    type=float,
    default=0.02,
    show_default=True,
    help="False-alarm rate above which a condition is reported as unreliable.",
)
@_with_backend_options
def calibrate(
    data: tuple[Path, ...],
    out: Path,
    work: Path | None,
    cached_only: bool,
    floor: float,
    url: str,
    api_key: str | None,
    in_process: bool,
    models_dir: Path,
    threads: int,
    perturbations: tuple[str, ...],
    modality: tuple[str, ...],
    sample: tuple[str, ...],
    seed: int,
    progress: bool,
) -> None:
    """Fit per-detector, per-condition calibration (and the audio clip aggregation) on
    DATA's calibration split, choose the method on its test split, write --out."""
    from dd_eval import calibrate as fitting

    try:
        names = perturb.expand(list(perturbations))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--perturb") from exc
    items = _items(data, modality, None, sample, seed)
    if not any(i.split == "calibration" for i in items):
        raise click.ClickException(
            "DATA has no calibration split "
            "(a manifest.csv / CSV with a 'split' column of calibration/test)"
        )
    work = work or out.with_name(out.name + ".work")
    if cached_only:
        records = runner.evaluate(items, names, _NoBackend(), work, False, cached_only=True)
    else:
        try:
            backend = _backend(url, api_key, in_process, models_dir, threads)
        except BackendError as exc:
            raise click.ClickException(str(exc)) from exc
        try:
            records = runner.evaluate(items, names, backend, work, progress)
        finally:
            backend.close()
    if not records:
        raise click.ClickException(f"no results for DATA in {work}")
    cal = fitting.build(
        records, dataset.data_hash([i for i in items if i.split == "calibration"]), floor
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    cal.save(out)
    for detector, spec in cal.detectors.items():
        click.echo(f"{detector}: method {spec['method']}")
        for method, row in (spec.get("selection") or {}).get("methods", {}).items():
            click.echo(
                f"  {method:12s} held-out log-loss {row['held_out_log_loss']:.4f}  "
                f"ECE {row['held_out_ece']:.4f}"
            )
        for band_name, entry in spec["conditions"].items():
            if entry.get("reason"):
                click.echo(f"  {band_name}: {entry['reason']}")
    click.echo(f"wrote {out} (version {cal.version})")


@click.group()
def main() -> None:
    """DeepfakeDetective evaluation (the same commands as `dfd evaluate|calibrate`)."""


main.add_command(evaluate)
main.add_command(calibrate)


if __name__ == "__main__":
    sys.exit(main())
