"""A plan for a notebook: one row per stream item, and a plot of where the synthetic tokens fall."""

from __future__ import annotations

import numpy as np
import pandas as pd

from alignment_data.mixing.plan import SOURCES, SYNTHETIC, MixPlan


def plan_frame(plan: MixPlan) -> pd.DataFrame:
    """Stream items in training order: ``offset`` (first token in the stream), ``share`` (of the
    stream), ``tokens``, ``source`` (base, replacement, synthetic), ``id``, ``copy`` (copy or
    epoch), ``stage``, and for synthetic items ``stance``, ``scenario_id`` and ``surface_form``."""
    stream, offsets = plan.stream, plan.offsets
    synthetic = stream.source == SYNTHETIC
    ids = np.empty(len(stream.tokens), dtype=object)
    ids[~synthetic] = plan.base.column("id")[stream.index[~synthetic]]
    frame = pd.DataFrame({
        "offset": offsets, "share": offsets / max(stream.total(), 1), "tokens": stream.tokens,
        "source": pd.Categorical.from_codes(stream.source, SOURCES), "id": ids, "copy": stream.copy,
        "stage": np.searchsorted([stage.start for stage in plan.stages], offsets, side="right") - 1,
    })
    if plan.synthetic is not None:
        for name in ("id", "stance", "scenario_id", "surface_form"):
            values = np.full(len(stream.tokens), None, dtype=object) if name != "id" else frame["id"].to_numpy()
            values[synthetic] = plan.synthetic.column(name)[stream.index[synthetic]]
            frame[name] = values
    return frame


def plot_synthetic(plan: MixPlan, bins: int = 50):
    """A matplotlib figure: synthetic tokens per slice of the stream, with the stage boundaries."""
    from matplotlib.figure import Figure

    stream, offsets = plan.stream, plan.offsets
    synthetic = stream.source == SYNTHETIC
    total = max(stream.total(), 1)
    figure = Figure(figsize=(8, 3.5))
    axes = figure.subplots()
    axes.hist(100 * offsets[synthetic] / total, bins=bins, range=(0, 100), weights=stream.tokens[synthetic], color="#4f81bd")
    for stage in plan.stages[1:]:
        axes.axvline(100 * stage.start / total, color="#c0504d", linestyle="--",
                     label=f"{stage.name} starts (step {stage.start_step})")
    axes.set_xlabel("position in the training stream (% of tokens)")
    axes.set_ylabel("synthetic tokens")
    axes.set_title(f"{plan.recipe.name}: {int(stream.tokens[synthetic].sum()):,} synthetic tokens "
                   f"({plan.facts['synthetic_fraction']:.3%} of {total:,})")
    if len(plan.stages) > 1:
        axes.legend()
    figure.tight_layout()
    return figure
