"""PNG plots of a report (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from dd_eval import metrics


def _save(fig: plt.Figure, folder: Path, name: str) -> str:
    fig.tight_layout()
    fig.savefig(folder / name, dpi=80)
    plt.close(fig)
    return name


def all_plots(
    y: np.ndarray, p: np.ndarray, y_all: list[int], labels_all: list[str], folder: Path, prefix: str
) -> list[str]:
    """ROC, PR, reliability diagram, score histograms per class, confusion matrix."""
    made = []
    both = 0 < int(np.sum(y)) < len(y)
    if both:
        fpr, tpr, _ = metrics.roc_curve(y, p)
        fig, ax = plt.subplots(figsize=(4, 4))
        ax.plot(fpr, tpr, label=f"AUC {metrics.roc_auc(y, p):.3f}")
        ax.plot([0, 1], [0, 1], ":", color="grey")
        ax.set(xlabel="false-alarm rate", ylabel="detection rate", title=f"ROC ({prefix})")
        ax.legend(loc="lower right")
        made.append(_save(fig, folder, f"{prefix}_roc.png"))
        precision, recall = metrics.precision_recall_curve(y, p)
        fig, ax = plt.subplots(figsize=(4, 4))
        ax.step(
            np.r_[0, recall],
            np.r_[1, precision],
            where="post",
            label=f"AP {metrics.average_precision(y, p):.3f}",
        )
        ax.set(xlabel="recall", ylabel="precision", ylim=(0, 1.05), title=f"PR ({prefix})")
        ax.legend(loc="lower left")
        made.append(_save(fig, folder, f"{prefix}_pr.png"))
    bins = metrics.reliability(y, p)
    fig, ax = plt.subplots(figsize=(4, 4))
    ax.plot([0, 1], [0, 1], ":", color="grey")
    ax.plot([b["mean_p"] for b in bins], [b["share_fake"] for b in bins], "o-")
    for b in bins:
        ax.annotate(str(b["count"]), (b["mean_p"], b["share_fake"]), fontsize=7)
    ax.set(
        xlabel="predicted P(fake)",
        ylabel="share fake",
        title=f"reliability, ECE {metrics.ece(y, p):.3f}",
    )
    made.append(_save(fig, folder, f"{prefix}_reliability.png"))
    fig, ax = plt.subplots(figsize=(4, 3))
    edges = [i / 20 for i in range(21)]
    ax.hist(p[y == 0], bins=edges, alpha=0.6, label="real")
    ax.hist(p[y == 1], bins=edges, alpha=0.6, label="fake")
    ax.set(xlabel="P(fake)", ylabel="files", title=f"scores ({prefix})")
    ax.legend()
    made.append(_save(fig, folder, f"{prefix}_hist.png"))
    op = metrics.operating_point(y_all, labels_all)["confusion"]
    grid = np.array([[op[t][a] for a in ("real", "uncertain", "fake")] for t in ("real", "fake")])
    fig, ax = plt.subplots(figsize=(4, 2.6))
    ax.imshow(grid, cmap="Blues")
    for (i, j), v in np.ndenumerate(grid):
        ax.text(j, i, str(v), ha="center", va="center")
    ax.set(
        xticks=[0, 1, 2],
        xticklabels=["real", "uncertain", "fake"],
        yticks=[0, 1],
        yticklabels=["real", "fake"],
        xlabel="answer",
        ylabel="truth",
        title=f"confusion ({prefix})",
    )
    made.append(_save(fig, folder, f"{prefix}_confusion.png"))
    return made
