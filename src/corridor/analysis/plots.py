"""Plots of ensembles (bands), calibrations (fit against each target) and sensitivity (ranked indices)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")   # files only; no display needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402

from ..results.plots import MAIN_INDICATORS  # noqa: E402

__all__ = ["plot_bands", "plot_fit", "plot_sensitivity"]


def plot_bands(monthly: pa.Table, res: Any, path: Path) -> None:
    """Monthly median with 50% and 90% bands (all nationalities) of the main indicators (up to six)."""
    rows = [r for r in monthly.to_pylist() if r["nationality"] == "total"]
    present = list(dict.fromkeys(r["indicator"] for r in rows))
    # the corridor's main indicators; any other pack's (Flee: agents, arrivals, ...) as they come
    names = [n for n in MAIN_INDICATORS if n in present] or present[:6]
    n_rows = 1 if len(names) <= 3 else 2
    fig, axes = plt.subplots(n_rows, 3, figsize=(15, 4 * n_rows), sharex=True, squeeze=False)
    for ax, name in zip(axes.flat, names, strict=False):
        sel = [r for r in rows if r["indicator"] == name]
        x = [np.datetime64(r["period"]) for r in sel]
        q = {k: np.array([r[k] for r in sel]) for k in ("q05", "q25", "q50", "q75", "q95")}
        ax.fill_between(x, q["q05"], q["q95"], color="tab:blue", alpha=0.18, lw=0, label="90% band")
        ax.fill_between(x, q["q25"], q["q75"], color="tab:blue", alpha=0.38, lw=0, label="50% band")
        ax.plot(x, q["q50"], color="tab:blue", lw=1.6, label="median")
        kind = sel[0]["kind"] if sel else "flow"
        ax.set_title(name.replace("_", " ") + (" (monthly)" if kind == "flow" else " (mean/day)"))
        ax.grid(alpha=0.3)
        ax.tick_params(axis="x", rotation=30)
    for ax in list(axes.flat)[len(names):]:
        ax.set_visible(False)
    axes.flat[0].legend(loc="upper left", fontsize=8)
    fig.suptitle(f"{res.scenario}: {res.n} members (root seed {res.root_seed}), all nationalities")
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)


def plot_fit(labels: Sequence[str], observed: np.ndarray, sd: np.ndarray, initial: np.ndarray | None,
             fitted: np.ndarray, title: str, path: Path) -> None:
    """Each target: observed +/- 2 sd, and the modelled value before and after the fit,
    as a ratio to the observed value (1 = exact)."""
    n = len(labels)
    y = np.arange(n)[::-1]
    ref = np.where(observed != 0, observed, 1.0)
    fig, ax = plt.subplots(figsize=(12, 1.6 + 0.38 * n))
    ax.errorbar(np.ones(n), y, xerr=2 * sd / np.abs(ref), fmt="|", color="0.3", ms=14, capsize=3,
                label="observed \u00b1 2 sd")
    if initial is not None:
        ax.scatter(initial / ref, y, marker="o", facecolors="none", edgecolors="tab:orange", s=40,
                   label="before (scenario as given)", zorder=3)
    ax.scatter(fitted / ref, y, marker="D", color="tab:blue", s=30, label="fitted", zorder=4)
    ax.axvline(1.0, color="0.6", lw=0.8)
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xlabel("modelled / observed")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)


def plot_sensitivity(results: Sequence[dict[str, Any]], method: str, title: str, path: Path) -> None:
    """One panel per output: parameters ranked by their index, with its confidence interval."""
    n = len(results)
    cols = min(3, n)
    rows = (n + cols - 1) // cols
    n_par = len(results[0]["parameters"]) if results else 1
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 0.9 + (0.35 * n_par + 0.8) * rows), squeeze=False)
    for ax, res in zip(axes.flat, results, strict=False):
        par = res["parameters"]
        order = np.argsort(-np.nan_to_num(np.array([p["index"] for p in par], dtype=float)))[::-1]
        y = np.arange(len(par))
        idx = np.array([par[i]["index"] for i in order], dtype=float)
        conf = np.array([par[i]["conf"] for i in order], dtype=float)
        ax.barh(y, idx, xerr=np.nan_to_num(conf), color="tab:blue", alpha=0.8, capsize=2,
                label="ST (total)" if method == "sobol" else "\u03bc* (mean |effect|)")
        if method == "sobol":
            s1 = np.array([par[i]["first"] for i in order], dtype=float)
            ax.barh(y, s1, height=0.4, color="tab:orange", alpha=0.9, label="S1 (first order)")
        ax.set_yticks(y, [par[i]["name"] for i in order], fontsize=8)
        ax.set_title(res["output"], fontsize=9)
        ax.grid(axis="x", alpha=0.3)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    axes.flat[0].legend(loc="lower right", fontsize=7)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)
