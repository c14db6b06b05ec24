"""Reports: the tables, the findings and the report files of `compare` and `sweep`.

compare   `runs_table` (means with 95% intervals, paired differences against none), `findings`
          (each claim the README makes: held, the opposite held, or not resolved) and
          `write_compare_report` (report.md, report.html, results.json, the figures)
sweep     `points_table` and `write_sweep_report`; `write_path_report` for `--model`
both      `html_page`: one self-contained page, the figures embedded; `write_atomic`: every text
          file here is written beside its place and renamed over it (a crash leaves the old one)
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..serialization import atomic_write
from .comparison import SMALL, Summary
from .paths import PathFit
from .recipes import L1_LAMBDA, Setting, augmentation
from .search import Knob
from .stats import Interval
from .trials import PointSummary


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` all or nothing (`serialization.atomic_write`)."""
    atomic_write(path, lambda f: f.write(text), text=True)


# --------------------------------------------------------------------------- compare
def _diff(s: Summary, metric: str) -> str:
    if metric not in s.versus_none:
        return "-"
    d = s.versus_none[metric]
    return d.format(3, sign=True) + (" *" if d.excludes_zero else "")


def runs_table(summaries: Sequence[Summary]) -> str:
    """compare's Markdown table: means with [95% intervals] over seeds; * marks a paired
    difference against none whose interval excludes 0."""
    lines = ["| run | test acc | vs none | test loss | vs none | train-val gap | best epoch "
             f"| exact zeros | abs(w) < {SMALL:g} | mean abs(w) | s/run |",
             "|---|---|---|---|---|---|---|---:|---:|---:|---:|"]  # fmt: skip
    for s in summaries:
        i = s.intervals
        lines.append(
            f"| {s.name} | {i['test_accuracy'].format()} | {_diff(s, 'test_accuracy')} | "
            f"{i['test_loss'].format()} | {_diff(s, 'test_loss')} | {i['gap'].format(3, True)} | "
            f"{i['best_epoch'].format(0)} | {i['exact_zeros'].mean:.1%} | "
            f"{i['small_weights'].mean:.1%} | {i['mean_abs_weight'].mean:.4f} | "
            f"{i['seconds'].mean:.1f} |"
        )
    return "\n".join(lines)


def _verdict(d: Interval, better_if_positive: bool = True) -> str:
    if not d.excludes_zero:
        return "not resolved (the interval includes 0)"
    return "held" if (d.mean > 0) == better_if_positive else "the opposite held"


def findings(summaries: Sequence[Summary], epochs: int) -> list[str]:
    """The claims a teaching tool makes, each checked against these numbers: held, the opposite
    held, or not resolved (the 95% interval of the paired difference includes 0)."""
    by = {s.name: s for s in summaries}
    out = []
    if "l1" in by and "l1_prox" in by:
        sub, prox = by["l1"].intervals, by["l1_prox"].intervals
        held = ("held" if prox["exact_zeros"].mean > 0 and sub["exact_zeros"].mean == 0
                else "did not hold")  # fmt: skip
        out.append(
            f"Proximal L1 gives exact zeros, the subgradient of the same L1 ({L1_LAMBDA:g}) does "
            f"not: {held} (exact zeros {prox['exact_zeros'].mean:.1%} vs "
            f"{sub['exact_zeros'].mean:.1%}; below {SMALL:g}: {prox['small_weights'].mean:.1%} "
            f"vs {sub['small_weights'].mean:.1%})."
        )
    for name in ("l1", "l2", "elastic_net"):
        if name in by and by[name].versus_none:
            d = by[name].versus_none["mean_abs_weight"]
            out.append(f"{name} shrinks the weights (mean |w| vs none {d.format(4, True)}): "
                       f"{_verdict(d, better_if_positive=False)}.")  # fmt: skip
    for s in summaries:
        if s.versus_none:
            d = s.versus_none["test_accuracy"]
            out.append(f"{s.name} raises test accuracy over none ({d.format(3, True)}): "
                       f"{_verdict(d)}.")  # fmt: skip
    for s in summaries:
        if s.versus_none:
            d = s.versus_none["gap"]
            out.append(f"{s.name} narrows the train-val gap ({d.format(3, True)}): "
                       f"{_verdict(d, better_if_positive=False)}.")  # fmt: skip
    if "early_stopping" in by and by["early_stopping"].versus_none:
        d = by["early_stopping"].versus_none["epochs_run"]
        out.append(f"Early stopping ends before the {epochs} epochs ({d.format(1, True)} epochs "
                   f"vs none): {_verdict(d, better_if_positive=False)}.")  # fmt: skip
    return out


def write_compare_report(summaries: Sequence[Summary], weights: Mapping[str, np.ndarray],
                         note: str, images_sample: np.ndarray | None, setting: Setting,
                         seeds: Sequence[int], out: Path) -> list[str]:  # fmt: skip
    """Write report.md, report.html (images embedded), results.json and the figures into `out`;
    returns the figure file names."""
    from . import plots

    out.mkdir(parents=True, exist_ok=True)
    curves = {s.name: [r["curves"] for r in s.per_seed] for s in summaries}
    figures = {
        "curves.png": plots.curves_over_seeds(curves, path=out / "curves.png"),
        "differences.png": plots.forest(
            {s.name: s.versus_none["test_accuracy"] for s in summaries if s.versus_none},
            "test accuracy minus none (95% interval over seeds)", path=out / "differences.png"),
        "weight_histograms.png": plots.weight_histograms(
            {n: weights[n] for n in ("none", "l1", "l1_prox", "l2") if n in weights},
            path=out / "weight_histograms.png"),
        "sparsity.png": plots.sparsity_curves(
            {s.name: [r["curves"]["sparsity"] for r in s.per_seed] for s in summaries},
            path=out / "sparsity.png"),
    }  # fmt: skip
    if images_sample is not None:
        figures["augmentation.png"] = plots.augmentation_grid(
            images_sample, augmentation()(images_sample), path=out / "augmentation.png"
        )
    names = list(figures)
    model = ("CNN, conv 5x5 1->8 and 8->16 (padding 2), each with ReLU and max-pool 2, then Dense "
             "784->10" if setting.dataset == "mnist" else
             f"MLP, two hidden layers of {setting.hidden} ReLU units")  # fmt: skip
    header = [f"# tinyreg compare: {setting.dataset}, {len(seeds)} seeds", "", note + ".", "",
              f"Model: {model}; SGD lr "
              f"{setting.lr}, momentum 0.9, batch {setting.batch_size}, up to {setting.epochs} "
              f"epochs; seeds {seeds[0]}-{seeds[-1]} (each seed draws the split, the initial "
              "weights, the dropout masks and the augmentation). Each run switches on:",
              ""]  # fmt: skip
    runs = [f"- **{s.name}**: {s.description}" for s in summaries]
    legend = ["", "Means over seeds with [95% intervals] (Student t). *vs none*: the paired "
              "difference against none over the same seeds; * marks an interval that excludes 0. "
              "train-val gap: training minus validation accuracy of the final (or restored) "
              "model in eval mode. best epoch: lowest validation loss, counted from 1. exact "
              f"zeros and abs(w) < {SMALL:g}: fractions of the Dense weights.", ""]  # fmt: skip
    claims = findings(summaries, setting.epochs)
    held = ["## What held on this data", "", *(f"- {f}" for f in claims), ""]
    body = [*header, *runs, *legend, runs_table(summaries), "", *held]
    write_atomic(out / "report.md", "\n".join([*body, *(f"![{n}]({n})" for n in names)]) + "\n")
    write_atomic(out / "report.html", html_page("\n".join(body), names, out))
    per_seed = [{k: v for k, v in r.items() if k != "weights"} for s in summaries
                for r in s.per_seed]  # fmt: skip
    payload = {"setting": vars(setting), "seeds": list(seeds), "results": per_seed}
    write_atomic(out / "results.json", json.dumps(payload, indent=1))
    return names


# --------------------------------------------------------------------------- sweep
def points_table(summaries: Sequence[PointSummary]) -> str:
    """The sweep's points as a Markdown table (mean [95% interval] over folds and seeds)."""
    lines = ["| point | val loss | val accuracy | exact zeros | trials | failed |",
             "|---|---|---|---:|---:|---:|"]  # fmt: skip
    for s in summaries:
        point = ", ".join(f"{k}={v:.3g}" for k, v in s.point.items())
        accuracy = s.val_accuracy.format() if s.val_accuracy else "-"
        lines.append(f"| {point} | {s.val_loss.format(4)} | {accuracy} | {s.zeros:.1%} | "
                     f"{s.trials} | {s.failures} |")  # fmt: skip
    return "\n".join(lines)


def write_sweep_report(records: Sequence[dict[str, Any]], summaries: Sequence[PointSummary],
                       space: Mapping[str, Knob], best: PointSummary, one_se: PointSummary,
                       dataset: str, out: Path) -> list[str]:  # fmt: skip
    """Write report.md, report.html and the figures (the validation curve of the first knob; a
    heat map when there are two knobs) into `out`; returns the figure file names."""
    from . import plots

    knob = next(iter(space))
    plots.validation_curve(summaries, knob, log=space[knob].log,
                           path=out / "validation_curve.png")  # fmt: skip
    names = ["validation_curve.png"]
    if len(space) == 2:
        plots.heat_map(summaries, knob, list(space)[1], path=out / "heat_map.png")
        names.append("heat_map.png")
    lines = [f"# tinyreg sweep on {dataset}", "", f"{len(records)} trials; knobs: "
             + ", ".join(f"{n} ({len(s.values)} values{', log' if s.log else ''})"
                         for n, s in space.items()), "", points_table(summaries[:10]), "",
             f"Best: {best.point}. One-standard-error choice: {one_se.point}.", ""]  # fmt: skip
    write_atomic(out / "report.md", "\n".join([*lines, *(f"![{n}]({n})" for n in names)]) + "\n")
    write_atomic(out / "report.html", html_page("\n".join(lines), names, out, "tinyreg sweep"))
    return names


def write_path_report(fit: PathFit, summary: str, out: Path) -> None:
    """`sweep --model`'s report: the path figure (coefficients, CV error, the two alphas marked),
    report.md and report.html in `out`."""
    from . import plots

    out.mkdir(parents=True, exist_ok=True)
    best, one_se = fit.alphas[fit.best], fit.alphas[fit.one_se]
    plots.regularization_path(fit.alphas, fit.coefs, fit.mean, fit.se, best, one_se, fit.metric,
                              path=out / "path.png")  # fmt: skip
    text = f"# tinyreg sweep --model {fit.model}\n\n{summary}."
    write_atomic(out / "report.md", f"{text}\n\n![path](path.png)\n")
    write_atomic(out / "report.html", html_page(text, ["path.png"], out, "tinyreg sweep"))


# --------------------------------------------------------------------------- html
def html_page(markdown: str, figures: Sequence[str], out: Path,
              title: str = "tinyreg compare") -> str:  # fmt: skip
    """A self-contained page: the report's text and table, and the figures (PNG files in `out`)
    embedded as base64."""
    rows: list[str] = []
    body: list[str] = []
    for line in markdown.splitlines():
        if line.startswith("|"):
            if set(line) <= set("|-: "):
                continue
            cells = [html.escape(c.strip()) for c in line.strip("|").split("|")]
            tag = "th" if not rows else "td"
            rows.append("<tr>" + "".join(f"<{tag}>{c}</{tag}>" for c in cells) + "</tr>")
            continue
        if rows:
            body.append("<table>" + "".join(rows) + "</table>")
            rows = []
        text = html.escape(line).replace("**", "")
        if line.startswith("# "):
            body.append(f"<h1>{text[2:]}</h1>")
        elif line.startswith("## "):
            body.append(f"<h2>{text[3:]}</h2>")
        elif line.startswith("- "):
            body.append(f"<li>{text[2:]}</li>")
        elif line:
            body.append(f"<p>{text}</p>")
    if rows:
        body.append("<table>" + "".join(rows) + "</table>")
    for name in figures:
        encoded = base64.b64encode((out / name).read_bytes()).decode()
        body.append(f'<p><img alt="{name}" src="data:image/png;base64,{encoded}"></p>')
    style = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto;line-height:1.4}"
             "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;"
             "padding:3px 6px;text-align:right}img{max-width:100%}")  # fmt: skip
    head = f"<meta charset='utf-8'><title>{html.escape(title)}</title><style>{style}</style>"
    return f"<!doctype html><html><head>{head}</head><body>{''.join(body)}</body></html>\n"
