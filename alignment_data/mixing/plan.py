"""The plan of a mix: which document spans, in which order, in which stage and output file.

A plan is computed once, in one process, from the side tables alone: no text is read and
nothing is tokenized. The base is streamed in batches of side-table rows (one batch in
memory at a time); only the documents inserted into it (replacement copies and synthetic
documents, about 250 bytes each at the peak) are held for the whole run. In order:

1. the base: every document (``all``) or those the policy keeps (``filtered``), in the
   order of the tokenized input (part by part, document by document);
2. replacement (``filtered``): draws with replacement from the retained documents until
   their tokens make up for the removed ones (within 0.1% of the unfiltered total), each
   copy at a uniformly random token position of the base;
3. the synthetic budget: the fraction is a share of the final mix's tokens (or of its final
   stage); with late placement the stage boundary is put at a whole training step;
4. synthetic draws without replacement (whole epochs first when the pool is too small),
   each at a uniformly random token position of the stream, or of its final stage alone;
5. the stream, merged batch by batch, is cut into stages and files as it goes
   (:class:`~alignment_data.mixing.shards.PlanWriter`).

Every draw and position comes from document keys and the seed
(:mod:`alignment_data.mixing.replacement`), so the plan, and with it every output byte,
is the same whatever the number of tasks or workers.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from alignment_data.errors import ConfigError, InputError
from alignment_data.mixing.decision import policy_from_decision
from alignment_data.mixing.keyed import uniforms
from alignment_data.mixing.recipes import MAX_MISS, TOTAL_MISS, MixSettings, Recipe, Selection
from alignment_data.mixing.replacement import (
    REPLACEMENT_PURPOSE,
    Arrivals,
    Budget,
    arrivals_before,
    copy_numbers,
    draw_to_budget,
    initial_horizon,
    without_replacement,
)
from alignment_data.mixing.store import TokenizedFolder
from alignment_data.schema import TAG_KEY, Tag

SOURCES = ("base", "replacement", "synthetic")
BASE, REPLACEMENT, SYNTHETIC = range(3)
SPAN = ["token_start", "tokens", "key_hash", "text_start", "text_bytes"]
FIELDS = ("source", "part", "row", "copy", "token_start", "tokens", "text_start", "text_bytes")


@dataclass
class Items:
    """Stream items as parallel arrays: ``source`` (base, replacement, synthetic), where their
    tokens are (``part``, ``row``, ``token_start``, ``tokens``), their JSON line
    (``text_start``, ``text_bytes``) and ``copy`` (copy or epoch number)."""

    source: np.ndarray
    part: np.ndarray
    row: np.ndarray
    copy: np.ndarray
    token_start: np.ndarray
    tokens: np.ndarray
    text_start: np.ndarray
    text_bytes: np.ndarray

    @classmethod
    def of(cls, source: int, part, row, copy, columns: dict[str, np.ndarray]) -> Items:
        row = np.asarray(row, np.int64)
        return cls(np.full(len(row), source, np.uint8), np.broadcast_to(np.asarray(part, np.int64), row.shape).copy(), row,
                   np.asarray(copy, np.int64), *(np.asarray(columns[name], np.int64) for name in FIELDS[4:]))

    def __len__(self) -> int:
        return len(self.tokens)

    def take(self, positions) -> Items:
        return Items(*(getattr(self, name)[positions] for name in FIELDS))

    @classmethod
    def concat(cls, parts: list[Items]) -> Items:
        return cls(*(np.concatenate([getattr(part, name) for part in parts]) for name in FIELDS))

    def total(self) -> int:
        return int(self.tokens.sum())

    def inserted(self, anchors: np.ndarray, other: Items, positions: np.ndarray, ties: np.ndarray) -> Items:
        """These items (starting at token ``anchors``) with ``other``'s inserted at ``positions``:
        each right before the first item starting at or after its position."""
        slots = np.searchsorted(anchors, positions, side="left")
        count = len(self)
        order = np.lexsort((np.concatenate([np.zeros(count, np.uint64), np.asarray(ties, np.uint64)]),
                            np.concatenate([np.zeros(count), positions]),
                            np.concatenate([np.ones(count, np.int8), np.zeros(len(slots), np.int8)]),
                            np.concatenate([np.arange(count), slots])))
        return Items.concat([self, other]).take(order)


@dataclass
class Insertions:
    """Items to insert into a stream, sorted by position (then key hash)."""

    items: Items
    positions: np.ndarray
    ties: np.ndarray
    taken: int = 0

    @classmethod
    def of(cls, items: Items, positions: np.ndarray, ties: np.ndarray) -> Insertions:
        order = np.lexsort((ties, positions))
        return cls(items.take(order), positions[order], ties[order])

    def into(self, chunk: Items, start: int) -> Items:
        """``chunk`` (starting at stream token ``start``) with every insertion placed before its last item's start."""
        anchors = start + np.cumsum(chunk.tokens) - chunk.tokens
        end = int(np.searchsorted(self.positions, anchors[-1], side="right")) if len(chunk) else self.taken
        chosen = slice(self.taken, end)
        self.taken = end
        return chunk.inserted(anchors, self.items.take(chosen), self.positions[chosen], self.ties[chosen])

    def rest(self) -> Items:
        """The insertions after the last item of the stream, in order."""
        return self.items.take(slice(self.taken, None))


class Base:
    """The base read in batches of side-table rows (one batch in memory at a time), with what
    the recipe's policy flags (kept as bits per batch)."""

    def __init__(self, folder: TokenizedFolder, recipe: Recipe):
        self.folder = folder
        self.policy = None
        self.flagged_by_label: dict[str, int] = {}
        if recipe.base == "filtered":
            decision = folder.manifest.get("decision")
            if decision is None or not folder.manifest.get("tagged"):
                raise ConfigError(f"recipe {recipe.name!r} filters the base, but {folder.path} holds no tags: tokenize a tag "
                                  "run (or a corpus with --tagger), or use a condition that keeps every document")
            tagger = (folder.manifest.get("tagger") or {}).get("name", "unknown")
            self.policy = policy_from_decision(decision, tagger, recipe.policy, recipe.threshold)
        self.flagged_bits: list[list[tuple[np.ndarray, int]]] = []
        self.documents = self.tokens = self.flagged = self.flagged_tokens = self.heaviest = 0
        names = ["tokens", *(("tag", "file", "line") if self.policy else ())]
        for part in range(len(folder.parts)):
            self.flagged_bits.append([])
            for columns in folder.batches(part, names):
                flagged = self._decide(columns) if self.policy else np.zeros(len(columns["tokens"]), dtype=bool)
                self.flagged_bits[-1].append((np.packbits(flagged), len(flagged)))
                self.documents += len(flagged)
                self.tokens += int(columns["tokens"].sum())
                self.flagged += int(flagged.sum())
                self.flagged_tokens += int(columns["tokens"][flagged].sum())
                if (~flagged).any():
                    self.heaviest = max(self.heaviest, int(columns["tokens"][~flagged].max()))

    def _decide(self, columns: dict[str, np.ndarray]) -> np.ndarray:
        """Re-decide the stored tags with the policy (the one place a decision is made)."""
        flagged = np.zeros(len(columns["tag"]), dtype=bool)
        for position, (stored, file, line) in enumerate(zip(columns["tag"], columns["file"], columns["line"])):
            where = self.folder.shown(file)
            if stored is None:
                raise InputError("document has no stored tag", where, int(line), f"metadata.{TAG_KEY}")
            tag = self.policy.decide(Tag.from_dict(json.loads(stored), where, int(line)))
            flagged[position] = tag.flagged
            if tag.flagged:
                label = tag.label or "unlabelled"
                self.flagged_by_label[label] = self.flagged_by_label.get(label, 0) + 1
        return flagged

    @property
    def retained(self) -> int:
        return self.documents - self.flagged

    @property
    def retained_tokens(self) -> int:
        return self.tokens - self.flagged_tokens

    def batches(self):
        """``(part, rows retained, their span columns)`` for every batch of every part, in order."""
        for part, batches in enumerate(self.flagged_bits):
            first = 0
            for (bits, size), columns in zip(batches, self.folder.batches(part, SPAN)):
                retained = np.flatnonzero(~np.unpackbits(bits, count=size).astype(bool))
                yield part, first + retained, {name: values[retained] for name, values in columns.items()}
                first += size


@dataclass
class Pool:
    """Synthetic documents held in memory (a synthetic pool is small next to the base): span
    columns by document, and the selection columns."""

    folder: TokenizedFolder
    part: np.ndarray
    row: np.ndarray
    columns: dict[str, np.ndarray]

    @classmethod
    def load(cls, folder: TokenizedFolder, extra: tuple[str, ...]) -> Pool:
        parts = [folder.part_columns(part, [*SPAN, *extra]) for part in range(len(folder.parts))]
        columns = {name: np.concatenate([part[name] for part in parts]) for name in [*SPAN, *extra]}
        sizes = [len(part["tokens"]) for part in parts]
        return cls(folder, np.repeat(np.arange(len(sizes)), sizes), np.concatenate([np.arange(size) for size in sizes]), columns)

    def subset(self, mask: np.ndarray) -> Pool:
        return Pool(self.folder, self.part[mask], self.row[mask], {name: values[mask] for name, values in self.columns.items()})


@dataclass(frozen=True)
class Stage:
    """A data stage: stream tokens [start, end), starting at training step ``start_step``."""

    name: str
    start: int
    end: int
    start_step: int


@dataclass
class MixPlan:
    """A planned mix: its recipe and settings, stages, facts, and the folder of its file plans
    (``plan.json`` and one span list per output file)."""

    recipe: Recipe
    settings: MixSettings
    folder: Path
    header: dict
    facts: dict = field(default_factory=dict)
    keep: object = None  # a temporary folder that lives as long as the plan

    @property
    def stages(self) -> list[Stage]:
        return [Stage(**stage) for stage in self.header["stages"]]

    def frame(self):
        """One row per stream item (see :func:`alignment_data.mixing.views.plan_frame`)."""
        from alignment_data.mixing.views import plan_frame

        return plan_frame(self)

    def plot(self, bins: int = 50):
        """Where the synthetic tokens fall in the stream (see :func:`alignment_data.mixing.views.plot_synthetic`)."""
        from alignment_data.mixing.views import plot_synthetic

        return plot_synthetic(self, bins)


def _selected(pool: Pool, selection: Selection, where: str) -> np.ndarray:
    """The synthetic documents ``selection`` picks; a selection that matches nothing is an error."""
    columns = pool.columns
    mask = np.ones(len(columns["stance"]), dtype=bool)
    for name, values in (("stance", selection.stances), ("split", selection.splits),
                         ("surface_form", selection.surface_forms), ("scenario_id", selection.scenario_ids)):
        if values:
            mask &= np.isin(columns[name].astype(str), list(values))
    if selection.topics:
        wanted = set(selection.topics)
        mask &= np.array([bool(wanted.intersection(topics or ())) for topics in columns["topics"]], dtype=bool)
    if not mask.any():
        present = {name: sorted(set(columns[name].astype(str).tolist()))[:8] for name in ("stance", "split", "surface_form")}
        raise ConfigError(f"no synthetic document in {where} matches {selection.describe()}; the pool has "
                          + "; ".join(f"{name}s {', '.join(values)}" for name, values in present.items()))
    return mask


def _share_budget(fraction: float, rest: int) -> Budget:
    """Tokens S of synthetic documents that make ``fraction`` of ``rest + S``, within 0.1 point."""
    low_share, high_share = max(fraction - MAX_MISS, 0.0), fraction + MAX_MISS
    return Budget(fraction * rest / (1 - fraction), max(low_share * rest / (1 - low_share), 1), high_share * rest / (1 - high_share))


def _boundary(settings: MixSettings, total: float, final: float, placement: str) -> int:
    """The stream token at which the final stage starts: a whole number of training steps."""
    step = settings.tokens_per_step
    steps = int(total // step)
    first = int(round((1 - final) * total / step))
    if first < 1 or first >= steps:
        raise ConfigError(f"placement {placement}: the stage boundary falls inside no step: the stream has {int(total):,} tokens, "
                          f"{steps} training steps of {step:,} tokens ({settings.samples_per_step} samples of "
                          f"{settings.sequence_length} + 1 tokens), and its final {final:g} would start at step {first + 1}; "
                          "give a smaller --global-batch-tokens or --sequence-length, or a larger final fraction")
    return first * step


def make_plan(base_folder: TokenizedFolder, synthetic_folder: TokenizedFolder | None, recipe: Recipe, settings: MixSettings,
              folder: Path | None = None, tokenizer_label: str = "", token_size: int = 2) -> MixPlan:
    """Plan ``recipe`` over the tokenized base (and synthetic documents) into ``folder``
    (``OUTPUT/plan``; a temporary folder when ``None``)."""
    from alignment_data.mixing.shards import PlanWriter

    keep = None
    if folder is None:
        keep = tempfile.TemporaryDirectory(prefix="alignment-data-plan-")
        folder = Path(keep.name)
    if settings.format != "tokens":
        for folder_in in (base_folder, synthetic_folder if recipe.synthetic else None):
            if folder_in is not None and not folder_in.has_texts:
                raise ConfigError(f"{folder_in.path} was tokenized with --no-text: only --format tokens can be built from it")
    base = Base(base_folder, recipe)
    if not base.documents:
        raise InputError("the base holds no documents", str(base_folder.path))
    if not base.retained:
        raise InputError(f"the policy {base.policy.name} flags every one of the {base.documents} base documents: "
                         "no document is retained to build (or refill) the corpus from", str(base_folder.path))
    facts: dict = {"base": {"documents": base.documents, "tokens": base.tokens,
                            "policy": base.policy.to_dict() if base.policy else None,
                            "flagged_by_label": dict(sorted(base.flagged_by_label.items())),
                            "flagged_removed": base.flagged, "flagged_tokens_removed": base.flagged_tokens}}
    copies = _refill(base, facts, recipe, settings) if recipe.base == "filtered" and recipe.replace else None
    base_total = base.retained_tokens + (copies.items.total() if copies else 0)
    stages = [Stage("stage-0", 0, base_total, 1)]
    synthetic = None
    if recipe.synthetic is not None:
        if synthetic_folder is None:
            raise ConfigError(f"recipe {recipe.name!r} adds synthetic documents: give synthetic documents (--synthetic)")
        synthetic, stages = _synthetic(synthetic_folder, base_total, facts, recipe, settings)
    total = base_total + (synthetic.items.total() if synthetic else 0)
    stages[-1] = Stage(stages[-1].name, stages[-1].start, total, stages[-1].start_step)
    writer = PlanWriter(folder, settings, stages)
    _stream(base, copies, synthetic, writer)
    header = writer.close({"format": settings.format, "checksums": settings.checksums, "token_size": token_size,
                           "tokenizer_label": tokenizer_label,
                           "base": str(base_folder.path), "synthetic": str(synthetic_folder.path) if synthetic else None,
                           "stages": [stage.__dict__ for stage in stages]})
    plan = MixPlan(recipe, settings, folder, header, facts, keep)
    _summarise(plan, writer)
    return plan


def _refill(base: Base, facts: dict, recipe: Recipe, settings: MixSettings) -> Insertions:
    """Draws with replacement from the retained documents worth the removed tokens, each at a
    uniformly random token position of the retained base."""
    removed, unfiltered = base.flagged_tokens, base.tokens
    budget = Budget(removed, removed - TOTAL_MISS * unfiltered, removed + TOTAL_MISS * unfiltered)
    seen: dict[str, Items] = {}

    def arrivals_up_to(horizon: float) -> tuple[Arrivals, np.ndarray]:
        arrivals, items, offset = [], [], 0
        for part, rows, columns in base.batches():
            drawn = arrivals_before(columns["key_hash"], horizon, settings.seed, REPLACEMENT_PURPOSE, offset + np.arange(len(rows)))
            local = drawn.index - offset
            arrivals.append(drawn)
            items.append(Items.of(REPLACEMENT, part, rows[local], np.zeros(len(local)), {name: columns[name][local] for name in SPAN}))
            offset += len(rows)
        seen["items"] = Items.concat(items)
        merged = Arrivals.concat(arrivals)
        return Arrivals(np.arange(len(merged)), merged.number, merged.time, merged.hash), seen["items"].tokens

    horizon = initial_horizon(budget, base.retained, base.retained_tokens, base.heaviest) if removed else 0.0
    drawn, taken, in_range = draw_to_budget(arrivals_up_to, budget, horizon) if removed else (None, np.zeros(0, np.int64), True)
    items = seen["items"].take(taken) if removed else Items.of(REPLACEMENT, 0, [], [], {name: [] for name in SPAN})
    if not in_range:
        raise ConfigError(f"replacement cannot bring the filtered corpus within {TOTAL_MISS:.1%} of its {unfiltered:,} "
                          f"tokens: the {removed:,} removed tokens are refilled with whole documents, and the closest draw "
                          f"gives {items.total():,}; the base is too small for recipe {recipe.name!r}")
    hashes = drawn.hash[taken] if removed else np.zeros(0, np.uint64)
    documents = items.part * (1 << 40) + items.row
    items.copy = copy_numbers(documents)
    facts["replacement"] = {"pool_documents": base.retained, "pool_tokens": base.retained_tokens, "documents": len(items),
                            "distinct_documents": int(len(np.unique(documents))), "tokens": items.total(),
                            "epochs": round(items.total() / base.retained_tokens, 6)}
    positions = uniforms(hashes, settings.seed, "placement:replacement", items.copy + 1) * base.retained_tokens
    return Insertions.of(items, positions, hashes)


def _synthetic(folder: TokenizedFolder, base_total: int, facts: dict, recipe: Recipe,
               settings: MixSettings) -> tuple[Insertions, list[Stage]]:
    """Draw the synthetic documents of the recipe's budget, placed where it places them."""
    if folder.kind != "synthetic":
        raise InputError(f"--synthetic must be synthetic documents (tokenized with --synthetic), this is a {folder.kind}",
                         str(folder.path))
    everything = Pool.load(folder, ("stance", "split", "surface_form", "scenario_id", "topics"))
    pool = everything.subset(_selected(everything, recipe.synthetic, str(folder.path)))
    placement, start = recipe.placement, 0
    stages = [Stage("stage-0", 0, base_total, 1)]
    if placement.kind == "last":
        if recipe.fraction_of == "stream":
            budget = _share_budget(recipe.fraction, base_total)
            start = _boundary(settings, base_total + budget.target, placement.final, str(placement))
        else:
            start = _boundary(settings, base_total / (1 - recipe.fraction * placement.final), placement.final, str(placement))
            budget = _share_budget(recipe.fraction, base_total - start)
        if start > base_total:
            raise ConfigError(f"the synthetic documents do not fit in the final {placement.final:g} of the stream")
        stages = [Stage("stage-0", 0, start, 1), Stage("stage-1", start, 0, start // settings.tokens_per_step + 1)]
    else:
        budget = _share_budget(recipe.fraction, base_total)
    draw = without_replacement(pool.columns["key_hash"], pool.columns["tokens"], budget, settings.seed, "synthetic")
    if not draw.in_range:
        raise ConfigError(f"{recipe.fraction:g} of the {'final stage' if recipe.fraction_of == 'final_stage' else 'mix'} is "
                          f"{budget.target:,.0f} synthetic tokens; whole documents of the selected pool reach "
                          f"{draw.weight:,} at best, more than {MAX_MISS * 100:g} percentage point off: the mix is too small "
                          "for documents this long")
    index = draw.index
    items = Items.of(SYNTHETIC, pool.part[index], pool.row[index], draw.copy, {name: pool.columns[name][index] for name in SPAN})
    hashes = pool.columns["key_hash"][index]
    positions = start + uniforms(hashes, settings.seed, "placement:synthetic", draw.copy + 1) * (base_total - start)
    picked = {name: pool.columns[name][index].astype(str) for name in ("stance", "surface_form", "scenario_id")}
    facts["synthetic"] = {
        "pool_documents": len(everything.row), "selection": recipe.synthetic.describe(), "selected_documents": len(pool.row),
        "selected_tokens": draw.pool_weight, "documents": len(index), "distinct_documents": int(len(np.unique(index))),
        "tokens": draw.weight, "epochs": round(draw.epochs, 6), "full_epochs": int(draw.copy.max()) if len(index) else 0,
        "by_stance": _counts(picked["stance"]), "by_surface_form": _counts(picked["surface_form"]),
        "scenarios": int(len(np.unique(picked["scenario_id"]))), "target_tokens": round(budget.target, 3),
    }
    return Insertions.of(items, positions, hashes), stages


def _stream(base: Base, copies: Insertions | None, synthetic: Insertions | None, writer) -> None:
    """Merge the base, batch by batch, with the replacement copies (by retained-token position) and
    then with the synthetic documents (by base-stream position), feeding the writer in order."""
    retained_offset = base_offset = 0

    def base_chunk(chunk: Items) -> None:
        nonlocal base_offset
        if not len(chunk):
            return
        writer.add(synthetic.into(chunk, base_offset) if synthetic else chunk)
        base_offset += chunk.total()

    for part, rows, columns in base.batches():
        if not len(rows):
            continue
        chunk = Items.of(BASE, part, rows, np.zeros(len(rows)), columns)
        start = retained_offset
        retained_offset += chunk.total()
        base_chunk(copies.into(chunk, start) if copies else chunk)
    if copies:
        base_chunk(copies.rest())
    if synthetic:
        writer.add(synthetic.rest())


def _counts(values: np.ndarray) -> dict[str, int]:
    names, counts = np.unique(values, return_counts=True)
    return {str(name): int(count) for name, count in zip(names, counts)}


def _summarise(plan: MixPlan, writer) -> None:
    """Tokens and documents by source, the achieved fractions and the balance of the counts."""
    facts, recipe = plan.facts, plan.recipe
    tokens = {name: int(writer.tokens[code]) for code, name in enumerate(SOURCES)}
    documents = {name: int(writer.documents[code]) for code, name in enumerate(SOURCES)}
    tokens["total"], documents["total"] = sum(tokens.values()), sum(documents.values())
    facts["tokens"], facts["documents"] = tokens, documents
    facts["synthetic_fraction"] = tokens["synthetic"] / tokens["total"]
    facts["synthetic_fraction_exact"] = f"{tokens['synthetic']}/{tokens['total']}"
    base = facts["base"]
    base["total_vs_unfiltered"] = (tokens["base"] + tokens["replacement"]) / base["tokens"] - 1
    facts["target"] = {"synthetic_fraction": recipe.fraction, "of": recipe.fraction_of if recipe.synthetic else None}
    stages = plan.header["stages"]
    if len(stages) > 1:
        final = stages[-1]
        in_final = writer.stage_synthetic[-1]
        facts["target"]["achieved_in_final_stage"] = in_final / (final["end"] - final["start"])
        facts["placement"] = {"kind": "last", "final": recipe.placement.final,
                              "achieved_final": (final["end"] - final["start"]) / tokens["total"],
                              "synthetic_tokens_outside_final_stage": tokens["synthetic"] - in_final}
    else:
        facts["placement"] = {"kind": "uniform"}
    facts["balance"] = {
        "base_documents": base["documents"] == documents["base"] + base["flagged_removed"],
        "base_tokens": base["tokens"] == tokens["base"] + base["flagged_tokens_removed"],
        "total_documents": documents["total"] == documents["base"] + documents["replacement"] + documents["synthetic"],
        "total_tokens": tokens["total"] == plan.header["stages"][-1]["end"],
    }
