"""The plan of a mix: which document spans, in which order, in which stage and output file.

A plan is computed once, in one process, from the side tables alone: no text is read and
nothing is tokenized. In order:

1. the base: every document (``all``) or those the policy keeps (``filtered``), in the
   canonical order (input file, then line), so the plan does not depend on how the input
   was split into tokenize tasks;
2. replacement (``filtered``): draws with replacement from the retained documents until
   their tokens make up for the removed ones (within 0.1% of the unfiltered total), each
   copy at a uniformly random token position of the base;
3. the synthetic budget: the fraction is a share of the final mix's tokens (or of its final
   stage); with late placement the stage boundary is put at a whole training step;
4. synthetic draws without replacement (whole epochs first when the pool is too small),
   each at a uniformly random token position of the stream, or of the final stage alone;
5. stages and shards: each stage is cut into files of whole samples (token files) or whole
   documents (text files).

Every draw and position comes from document keys and the seed
(:mod:`alignment_data.mixing.replacement`), so the plan, and with it every output byte,
is the same whatever the number of tasks or workers.

Memory: the planner holds about 40 bytes per base document; the tasks that write the shards
read only their shards' plans.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

from alignment_data.errors import ConfigError, InputError
from alignment_data.mixing.decision import policy_from_decision
from alignment_data.mixing.keyed import uniforms
from alignment_data.mixing.recipes import MAX_MISS, TOTAL_MISS, MixSettings, Recipe, Selection
from alignment_data.mixing.replacement import REPLACEMENT_PURPOSE, Budget, Draw, with_replacement, without_replacement
from alignment_data.mixing.store import TokenizedFolder
from alignment_data.schema import TAG_KEY, Tag

SOURCES = ("base", "replacement", "synthetic")
BASE, REPLACEMENT, SYNTHETIC = range(3)
POOL_COLUMNS = ["part", "row", "token_start", "tokens", "key_hash", "text_start", "text_bytes", "rows"]


@dataclass
class Pool:
    """The documents of a tokenized folder in canonical order: where each one's tokens are
    (``part``, ``row``, ``token_start``, ``tokens``), its JSON line (``text_start``,
    ``text_bytes``; -1 without texts) and its ``key_hash``."""

    folder: TokenizedFolder
    part: np.ndarray
    row: np.ndarray
    token_start: np.ndarray
    tokens: np.ndarray
    key_hash: np.ndarray
    text_start: np.ndarray
    text_bytes: np.ndarray
    rows: np.ndarray  # position of each document in the folder's side tables, read in part order

    @classmethod
    def load(cls, folder: TokenizedFolder, extra: tuple[str, ...] = ()) -> tuple[Pool, dict[str, np.ndarray]]:
        """The pool and its ``extra`` side-table columns, both in canonical order."""
        texts = ("text_start", "text_bytes") if folder.has_texts else ()
        columns = folder.columns(["line", "token_start", "tokens", "key_hash", *texts, *extra])
        order = np.lexsort((columns["line"], folder.file_codes()))
        columns = {name: values[order] for name, values in columns.items()}
        for name in ("text_start", "text_bytes"):
            columns.setdefault(name, np.full(len(order), -1))
        columns["rows"] = order
        pool = cls(folder, *(columns[name].astype(np.uint64 if name == "key_hash" else np.int64) for name in POOL_COLUMNS))
        return pool, columns

    def subset(self, mask: np.ndarray) -> Pool:
        return Pool(self.folder, *(getattr(self, name)[mask] for name in POOL_COLUMNS))

    def column(self, name: str) -> np.ndarray:
        """A side-table column for the pool's documents, in pool order."""
        return self.folder.columns([name])[name][self.rows]

    def __len__(self) -> int:
        return len(self.tokens)


@dataclass
class Stream:
    """Items in training order: ``source`` (base, replacement, synthetic), ``index`` (position
    in the base pool, or in the synthetic pool for synthetic items), ``copy`` (copy or epoch
    number) and ``tokens``."""

    source: np.ndarray
    index: np.ndarray
    copy: np.ndarray
    tokens: np.ndarray

    @classmethod
    def of(cls, source: int, index: np.ndarray, copy: np.ndarray, tokens: np.ndarray) -> Stream:
        return cls(np.full(len(index), source, np.uint8), np.asarray(index, np.int64), np.asarray(copy, np.int64),
                   np.asarray(tokens, np.int64))

    @property
    def offsets(self) -> np.ndarray:
        """Token offset at which each item starts."""
        return np.cumsum(self.tokens) - self.tokens

    def total(self) -> int:
        return int(self.tokens.sum())

    def inserted(self, other: Stream, positions: np.ndarray, ties: np.ndarray) -> Stream:
        """This stream with ``other``'s items inserted at token ``positions`` (in this stream's
        coordinates): each goes right before the first item starting at or after its position."""
        slots = np.searchsorted(self.offsets, positions, side="left")
        count = len(self.tokens)
        slot = np.concatenate([np.arange(count), slots])
        first = np.concatenate([np.ones(count, np.int8), np.zeros(len(slots), np.int8)])
        where = np.concatenate([np.zeros(count), positions])
        tie = np.concatenate([np.zeros(count, np.uint64), np.asarray(ties, np.uint64)])
        order = np.lexsort((tie, where, first, slot))
        return Stream(*(np.concatenate([getattr(self, name), getattr(other, name)])[order]
                        for name in ("source", "index", "copy", "tokens")))


@dataclass(frozen=True)
class Stage:
    """A data stage: stream tokens [start, end), starting at training step ``start_step``."""

    name: str
    start: int
    end: int
    start_step: int


@dataclass
class MixPlan:
    """A computed mix: the recipe and settings, the pools, the stream and its stages, and the
    facts the manifest reports."""

    recipe: Recipe
    settings: MixSettings
    base: Pool
    synthetic: Pool | None
    stream: Stream
    stages: list[Stage]
    facts: dict = field(default_factory=dict)

    @property
    def offsets(self) -> np.ndarray:
        return self.stream.offsets

    def frame(self):
        """One row per stream item (see :func:`alignment_data.mixing.views.plan_frame`)."""
        from alignment_data.mixing.views import plan_frame

        return plan_frame(self)

    def plot(self, bins: int = 50):
        """Where the synthetic tokens fall in the stream (see :func:`alignment_data.mixing.views.plot_synthetic`)."""
        from alignment_data.mixing.views import plot_synthetic

        return plot_synthetic(self, bins)


def _decide(folder: TokenizedFolder, columns: dict[str, np.ndarray], recipe: Recipe) -> tuple[np.ndarray, dict]:
    """Which base documents the recipe's policy flags, re-deciding their stored tags."""
    decision = folder.manifest.get("decision")
    if decision is None or not folder.manifest.get("tagged"):
        raise ConfigError(f"recipe {recipe.name!r} filters the base, but {folder.path} holds no tags: tokenize a tag run "
                          "(or a corpus with --tagger), or use a condition that keeps every document")
    tagger = (folder.manifest.get("tagger") or {}).get("name", "unknown")
    policy = policy_from_decision(decision, tagger, recipe.policy, recipe.threshold)
    flagged = np.zeros(len(columns["tag"]), dtype=bool)
    labels: dict[str, int] = {}
    for position, (stored, file, line) in enumerate(zip(columns["tag"], columns["file"], columns["line"])):
        where = folder.shown(file)
        if stored is None:
            raise InputError("document has no stored tag", where, int(line), f"metadata.{TAG_KEY}")
        tag = policy.decide(Tag.from_dict(json.loads(stored), where, int(line)))
        flagged[position] = tag.flagged
        if tag.flagged:
            labels[tag.label or "unlabelled"] = labels.get(tag.label or "unlabelled", 0) + 1
    return flagged, {"policy": policy.to_dict(), "flagged_by_label": dict(sorted(labels.items()))}


def _selected(columns: dict[str, np.ndarray], selection: Selection, where: str) -> np.ndarray:
    """The synthetic documents ``selection`` picks; a selection that matches nothing is an error."""
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


def make_plan(base_folder: TokenizedFolder, synthetic_folder: TokenizedFolder | None, recipe: Recipe,
              settings: MixSettings) -> MixPlan:
    """Plan ``recipe`` over the tokenized base (and synthetic documents)."""
    base_extra = ("tag", "file") if recipe.base == "filtered" else ()
    base, columns = Pool.load(base_folder, base_extra)
    if not len(base):
        raise InputError("the base holds no documents", str(base_folder.path))
    facts: dict = {"base": {"documents": len(base), "tokens": int(base.tokens.sum()), "policy": None}}
    flagged = np.zeros(len(base), dtype=bool)
    if recipe.base == "filtered":
        flagged, decided = _decide(base_folder, columns, recipe)
        facts["base"].update(decided)
    retained_index = np.flatnonzero(~flagged)
    if not len(retained_index):
        raise InputError(f"the policy {facts['base']['policy']['name']} flags every one of the {len(base)} base documents: "
                         "no document is retained to build (or refill) the corpus from", str(base_folder.path))
    removed = int(base.tokens[flagged].sum())
    facts["base"].update(flagged_removed=int(flagged.sum()), flagged_tokens_removed=removed)
    stream = Stream.of(BASE, retained_index, np.zeros(len(retained_index)), base.tokens[retained_index])
    retained = stream.total()
    draw = _refill(base, retained_index, removed, facts, recipe, settings) if recipe.base == "filtered" and recipe.replace else None
    if draw is not None and len(draw.index):
        copies = Stream.of(REPLACEMENT, retained_index[draw.index], draw.copy, base.tokens[retained_index[draw.index]])
        hashes = base.key_hash[copies.index]
        positions = uniforms(hashes, settings.seed, "placement:replacement", copies.copy + 1) * retained
        stream = stream.inserted(copies, positions, hashes)
    base_total = stream.total()
    synthetic, stages = None, [Stage("stage-0", 0, base_total, 1)]
    if recipe.synthetic is not None:
        if synthetic_folder is None:
            raise ConfigError(f"recipe {recipe.name!r} adds synthetic documents: give synthetic documents (--synthetic)")
        synthetic, stream, stages = _add_synthetic(synthetic_folder, stream, base_total, facts, recipe, settings)
    total = stream.total()
    if len(stages) == 1:
        stages = [Stage("stage-0", 0, total, 1)]
    else:
        stages[-1] = Stage(stages[-1].name, stages[-1].start, total, stages[-1].start_step)
    plan = MixPlan(recipe, settings, base, synthetic, stream, stages, facts)
    _summarise(plan)
    return plan


def _refill(base: Pool, retained_index: np.ndarray, removed: int, facts: dict, recipe: Recipe, settings: MixSettings) -> Draw:
    """Draws with replacement from the retained documents worth the removed tokens."""
    unfiltered = int(base.tokens.sum())
    budget = Budget(removed, removed - TOTAL_MISS * unfiltered, removed + TOTAL_MISS * unfiltered)
    draw = with_replacement(base.key_hash[retained_index], base.tokens[retained_index], budget, settings.seed,
                            REPLACEMENT_PURPOSE)
    if not draw.in_range:
        raise ConfigError(f"replacement cannot bring the filtered corpus within {TOTAL_MISS:.1%} of its {unfiltered:,} "
                          f"tokens: the {removed:,} removed tokens are refilled with whole documents, and the closest draw "
                          f"gives {draw.weight:,}; the base is too small for recipe {recipe.name!r}")
    facts["replacement"] = {"pool_documents": draw.pool_documents, "pool_tokens": draw.pool_weight, "documents": len(draw.index),
                            "distinct_documents": int(len(np.unique(draw.index))), "tokens": draw.weight,
                            "epochs": round(draw.epochs, 6)}
    return draw


def _add_synthetic(folder: TokenizedFolder, stream: Stream, base_total: int, facts: dict, recipe: Recipe,
                   settings: MixSettings) -> tuple[Pool, Stream, list[Stage]]:
    """Draw the synthetic documents of the recipe's budget and insert them where it places them."""
    if folder.kind != "synthetic":
        raise InputError(f"--synthetic must be synthetic documents (tokenized with --synthetic), this is a {folder.kind}",
                         str(folder.path))
    everything, columns = Pool.load(folder, ("stance", "split", "surface_form", "scenario_id", "topics"))
    mask = _selected(columns, recipe.synthetic, str(folder.path))
    pool = everything.subset(mask)
    placement = recipe.placement
    start = 0
    stages = [Stage("stage-0", 0, base_total, 1)]
    if placement.kind == "last":
        if recipe.fraction_of == "stream":
            budget = _share_budget(recipe.fraction, base_total)
            start = _boundary(settings, base_total + budget.target, placement.final, str(placement))
        else:
            share = recipe.fraction * placement.final
            start = _boundary(settings, base_total / (1 - share), placement.final, str(placement))
            budget = _share_budget(recipe.fraction, base_total - start)
        if start > base_total:
            raise ConfigError(f"the synthetic documents do not fit in the final {placement.final:g} of the stream")
        stages = [Stage("stage-0", 0, start, 1), Stage("stage-1", start, 0, start // settings.tokens_per_step + 1)]
    else:
        budget = _share_budget(recipe.fraction, base_total)
    draw = without_replacement(pool.key_hash, pool.tokens, budget, settings.seed, "synthetic")
    if not draw.in_range:
        raise ConfigError(f"{recipe.fraction:g} of the {'final stage' if recipe.fraction_of == 'final_stage' else 'mix'} is "
                          f"{budget.target:,.0f} synthetic tokens; whole documents of the selected pool reach "
                          f"{draw.weight:,} at best, more than {MAX_MISS * 100:g} percentage point off: the mix is too small "
                          "for documents this long")
    added = Stream.of(SYNTHETIC, draw.index, draw.copy, pool.tokens[draw.index])
    hashes = pool.key_hash[added.index]
    positions = start + uniforms(hashes, settings.seed, "placement:synthetic", added.copy + 1) * (base_total - start)
    stream = stream.inserted(added, positions, hashes)
    facts["synthetic"] = {
        "pool_documents": len(everything), "selection": recipe.synthetic.describe(),
        "selected_documents": len(pool), "selected_tokens": draw.pool_weight, "documents": len(draw.index),
        "distinct_documents": int(len(np.unique(draw.index))), "tokens": draw.weight,
        "epochs": round(draw.epochs, 6), "full_epochs": int(draw.copy.max()) if len(draw.copy) else 0,
        "by_stance": _counts(columns["stance"][mask][draw.index]),
        "by_surface_form": _counts(columns["surface_form"][mask][draw.index]),
        "scenarios": int(len(np.unique(columns["scenario_id"][mask][draw.index].astype(str)))),
        "target_tokens": round(budget.target, 3),
    }
    return pool, stream, stages


def _counts(values: np.ndarray) -> dict[str, int]:
    names, counts = np.unique(values.astype(str), return_counts=True)
    return {str(name): int(count) for name, count in zip(names, counts)}


def _summarise(plan: MixPlan) -> None:
    """Tokens and documents by source, the achieved fractions and the balance of the counts."""
    stream, facts = plan.stream, plan.facts
    tokens = {name: int(stream.tokens[stream.source == code].sum()) for code, name in enumerate(SOURCES)}
    documents = {name: int((stream.source == code).sum()) for code, name in enumerate(SOURCES)}
    tokens["total"], documents["total"] = stream.total(), len(stream.tokens)
    facts["tokens"], facts["documents"] = tokens, documents
    facts["synthetic_fraction"] = tokens["synthetic"] / tokens["total"]
    facts["synthetic_fraction_exact"] = f"{tokens['synthetic']}/{tokens['total']}"
    unfiltered = facts["base"]["tokens"]
    facts["base"]["total_vs_unfiltered"] = (tokens["base"] + tokens["replacement"]) / unfiltered - 1
    recipe = plan.recipe
    facts["target"] = {"synthetic_fraction": recipe.fraction, "of": recipe.fraction_of if recipe.synthetic else None}
    final = plan.stages[-1]
    if len(plan.stages) > 1:
        in_final = int(stream.tokens[(stream.source == SYNTHETIC) & (plan.offsets >= final.start)].sum())
        facts["target"]["achieved_in_final_stage"] = in_final / (final.end - final.start)
        facts["placement"] = {"kind": "last", "final": recipe.placement.final,
                              "achieved_final": (final.end - final.start) / tokens["total"],
                              "synthetic_tokens_outside_final_stage": tokens["synthetic"] - in_final}
    else:
        facts["placement"] = {"kind": "uniform"}
    base = facts["base"]
    facts["balance"] = {
        "base_documents": base["documents"] == documents["base"] + base["flagged_removed"],
        "base_tokens": base["tokens"] == tokens["base"] + base["flagged_tokens_removed"],
        "total_documents": documents["total"] == documents["base"] + documents["replacement"] + documents["synthetic"],
        "total_tokens": tokens["total"] == tokens["base"] + tokens["replacement"] + tokens["synthetic"],
    }
