"""A plan for a notebook: one row per stream item, and a plot of where the synthetic tokens fall."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from alignment_data.mixing.plan import SOURCES, SYNTHETIC, MixPlan
from alignment_data.mixing.store import TokenizedFolder

ITEM_COLUMNS = ["source", "part", "row", "copy", "document_tokens", "offset", "first_piece"]


def _items(plan: MixPlan) -> pd.DataFrame:
    """The first piece of every item, over all files, with the item's stage."""
    tables = []
    for entry in plan.header["files"]:
        table = pq.read_table(plan.folder / Path(entry["plan"]).name, columns=ITEM_COLUMNS)
        tables.append(table.append_column("stage", pa.array(np.full(len(table), entry["stage"], np.int64))))
    frame = pa.concat_tables(tables).to_pandas()
    return frame[frame.pop("first_piece")].reset_index(drop=True)


def _lookup(folder: TokenizedFolder, parts: np.ndarray, rows: np.ndarray, names: list[str]) -> dict[str, np.ndarray]:
    """Side-table columns for each (part, row)."""
    out = {name: np.full(len(rows), None, dtype=object) for name in names}
    for part in np.unique(parts):
        mask = parts == part
        columns = folder.part_columns(int(part), names)
        for name in names:
            out[name][mask] = columns[name][rows[mask]]
    return out


def plan_frame(plan: MixPlan) -> pd.DataFrame:
    """Stream items in training order: ``offset`` (first token in the stream), ``share`` (of the
    stream), ``tokens``, ``source`` (base, replacement, synthetic), ``id``, ``copy`` (copy or
    epoch), ``stage``, ``part`` and ``row`` (in the side table), and for synthetic items
    ``stance``, ``scenario_id`` and ``surface_form``."""
    items = _items(plan)
    total = plan.header["stages"][-1]["end"]
    synthetic = (items.source == SYNTHETIC).to_numpy()
    frame = pd.DataFrame({"offset": items.offset, "share": items.offset / max(total, 1), "tokens": items.document_tokens,
                          "source": pd.Categorical.from_codes(items["source"], SOURCES), "copy": items["copy"],
                          "stage": items.stage, "part": items.part, "row": items.row})
    parts, rows = items.part.to_numpy(), items.row.to_numpy()
    ids = np.full(len(items), None, dtype=object)
    ids[~synthetic] = _lookup(TokenizedFolder(plan.header["base"]), parts[~synthetic], rows[~synthetic], ["id"])["id"]
    frame["id"] = ids
    if plan.header["synthetic"]:
        names = ["id", "stance", "scenario_id", "surface_form"]
        found = _lookup(TokenizedFolder(plan.header["synthetic"]), parts[synthetic], rows[synthetic], names)
        for name in names:
            values = frame[name].to_numpy(dtype=object) if name in frame else np.full(len(items), None, dtype=object)
            values[synthetic] = found[name]
            frame[name] = values
    return frame


def plot_synthetic(plan: MixPlan, bins: int = 50):
    """A matplotlib figure: synthetic tokens per slice of the stream, with the stage boundaries."""
    from matplotlib.figure import Figure

    items = _items(plan)
    synthetic = items[items.source == SYNTHETIC]
    total = max(plan.header["stages"][-1]["end"], 1)
    figure = Figure(figsize=(8, 3.5))
    axes = figure.subplots()
    axes.hist(100 * synthetic.offset / total, bins=bins, range=(0, 100), weights=synthetic.document_tokens, color="#4f81bd")
    for stage in plan.stages[1:]:
        axes.axvline(100 * stage.start / total, color="#c0504d", linestyle="--",
                     label=f"{stage.name} starts (step {stage.start_step})")
    axes.set_xlabel("position in the training stream (% of tokens)")
    axes.set_ylabel("synthetic tokens")
    axes.set_title(f"{plan.recipe.name}: {int(synthetic.document_tokens.sum()):,} synthetic tokens "
                   f"({plan.facts['synthetic_fraction']:.3%} of {total:,})")
    if len(plan.stages) > 1:
        axes.legend()
    figure.tight_layout()
    return figure
