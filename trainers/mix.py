"""The one place that knows the mixer's output: a mix folder read as a :class:`MixPlan`.

A mix folder written with ``--format tokens`` holds ``manifest.json`` and one folder of
datatrove token files per stage. The keys read here (the whole contract, so a change to the
mixer's manifest is a change to this file only):

- ``command``: ``"mix"``; ``condition``: the data condition's name;
- ``tokenizer``: ``{"path", "sha256", "vocab_size"}``; ``path`` is a tokenizer folder or a
  ``tokenizer.json`` file, relative to the mix folder or absolute; ``sha256`` is the digest of
  that ``tokenizer.json`` file (of ``<folder>/tokenizer.json`` for a folder);
- ``tokens``: ``{"base", "replacement", "synthetic", "total"}`` (reported, not needed here);
- ``placement``: how the synthetic documents were placed (reported);
- ``stages``: ``[{"name", "folder", "tokens", "start_step"}, ...]`` in training order,
  ``folder`` relative to the mix folder, ``tokens`` the tokens in its files, ``start_step``
  the 1-based step the stage starts at for the batch named by ``training``:
  ``{"sequence_length", "global_batch_tokens"}``, where a step reads
  ``global_batch_tokens / sequence_length`` windows of ``sequence_length + 1`` tokens.

:func:`write_mix` writes the same layout from token lists (test fixtures, benchmarks and the
GPU check, which train on mixes of random tokens).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alignment_data.errors import ConfigError, InputError
from trainers.tokens import TokenFile, token_files, token_size_for, write_token_file

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class MixTokenizer:
    """The tokenizer the mix was tokenized with."""

    path: Path
    sha256: str
    vocab_size: int


@dataclass(frozen=True)
class MixStage:
    """One stage: its token folder, files and where it starts."""

    name: str
    folder: Path
    tokens: int
    start_step: int | None
    files: tuple[TokenFile, ...]


@dataclass(frozen=True)
class MixPlan:
    """A mix folder, checked: its tokenizer, token format and stages in training order."""

    folder: Path
    condition: str
    tokenizer: MixTokenizer
    tokenizer_name: str  # the name in the token files' metadata, which nanotron compares with its config
    token_size: int
    stages: tuple[MixStage, ...]
    stated_batch: tuple[int, int] | None  # (sequence_length, global_batch_tokens) the manifest's start steps are for
    manifest: dict[str, Any]

    @property
    def total_tokens(self) -> int:
        return sum(stage.tokens for stage in self.stages)

    def steps_per_pass(self, sequence_length: int, global_batch_tokens: int) -> int:
        """Whole optimizer steps one pass over the mix takes at this batch (each stage's last partial step unread)."""
        per_step = global_batch_tokens // sequence_length
        return sum(sum(file.windows(sequence_length) for file in stage.files) // per_step for stage in self.stages)

    def start_steps(self, sequence_length: int, global_batch_tokens: int, train_steps: int) -> list[int]:
        """The 1-based step each stage starts at for this batch, checked against ``train_steps``.

        The manifest's ``start_step`` values when it states this very batch; otherwise each
        boundary is placed at the step its share of the tokens reaches (rounded to the nearest step).
        """
        if self.stated_batch == (sequence_length, global_batch_tokens) and all(s.start_step is not None for s in self.stages):
            starts = [stage.start_step for stage in self.stages]
        else:
            starts, before = [], 0
            per_step = tokens_per_step(sequence_length, global_batch_tokens)
            for stage in self.stages:
                starts.append(1 + round(before / per_step))
                before += stage.tokens
        where = str(self.folder / MANIFEST)
        if starts[0] != 1:
            raise InputError(f"the first stage starts at step {starts[0]}; it must start at step 1", file=where, field="stages[0].start_step")
        for position, (previous, start) in enumerate(zip(starts, starts[1:]), start=1):
            if start <= previous:
                raise InputError(f"stage {self.stages[position].name!r} starts at step {start}, not after the previous stage's "
                                 f"{previous}: at {global_batch_tokens:,} tokens per step the stage before it lasts less than one step",
                                 file=where, field=f"stages[{position}].start_step")
            if start > train_steps:
                raise ConfigError(f"{where}: stage {self.stages[position].name!r} starts at step {start:,}, past the last step "
                                  f"{train_steps:,}: train for more steps or use a mix whose stages fit")
        return starts


def tokens_per_step(sequence_length: int, global_batch_tokens: int) -> int:
    """Tokens one training step reads: its windows of ``sequence_length + 1`` tokens (as the mixer counts them)."""
    return global_batch_tokens // sequence_length * (sequence_length + 1)


def _require(mapping: dict, key: str, kind: type | tuple[type, ...], where: str, field: str):
    if not isinstance(mapping, dict) or key not in mapping:
        raise InputError("missing", file=where, field=field)
    value = mapping[key]
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise InputError(f"expected {getattr(kind, '__name__', kind)}, got {value!r}", file=where, field=field)
    return value


def _resolve(folder: Path, path: str) -> Path:
    candidate = Path(path)
    return candidate if candidate.is_absolute() else folder / candidate


def tokenizer_digest(path: str | Path) -> str:
    """sha256 of a tokenizer's ``tokenizer.json`` (``path`` is that file or the folder holding it)."""
    path = Path(path)
    file = path / "tokenizer.json" if path.is_dir() else path
    if not file.is_file():
        raise InputError("no tokenizer.json here", file=str(file))
    return hashlib.sha256(file.read_bytes()).hexdigest()


def read_mix(folder: str | Path) -> MixPlan:
    """Read and check a mix folder: manifest keys, stage folders, token files against the manifest."""
    folder = Path(folder)
    where = str(folder / MANIFEST)
    if not (folder / MANIFEST).is_file():
        raise InputError(f"no {MANIFEST}: not a mix folder (write one with the mixer's --format tokens)", file=str(folder))
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InputError(f"not valid JSON: {error}", file=where) from None
    if _require(manifest, "command", str, where, "command") != "mix":
        raise InputError(f"written by the {manifest['command']!r} command, not by 'mix'", file=where, field="command")
    condition = _require(manifest, "condition", str, where, "condition")
    raw_tokenizer = _require(manifest, "tokenizer", dict, where, "tokenizer")
    tokenizer = MixTokenizer(_resolve(folder, _require(raw_tokenizer, "path", str, where, "tokenizer.path")),
                             _require(raw_tokenizer, "sha256", str, where, "tokenizer.sha256"),
                             _require(raw_tokenizer, "vocab_size", int, where, "tokenizer.vocab_size"))
    raw_stages = _require(manifest, "stages", list, where, "stages")
    if not raw_stages:
        raise InputError("a mix needs at least one stage", file=where, field="stages")
    stages = []
    for position, raw in enumerate(raw_stages):
        field = f"stages[{position}]"
        name = _require(raw, "name", str, where, f"{field}.name")
        stage_folder = _resolve(folder, _require(raw, "folder", str, where, f"{field}.folder"))
        tokens = _require(raw, "tokens", int, where, f"{field}.tokens")
        start = raw.get("start_step")
        if start is not None and (not isinstance(start, int) or isinstance(start, bool) or start < 1):
            raise InputError(f"expected a step >= 1, got {start!r}", file=where, field=f"{field}.start_step")
        files = token_files(stage_folder)
        held = sum(file.tokens for file in files)
        if held != tokens:
            raise InputError(f"the manifest says {tokens:,} tokens but the token files of {stage_folder} hold {held:,}", file=where, field=f"{field}.tokens")
        stages.append(MixStage(name, stage_folder, tokens, start, tuple(files)))
    names = [stage.name for stage in stages]
    if len(set(names)) != len(names):
        raise InputError(f"stage names repeat: {names}", file=where, field="stages")
    first = stages[0].files[0]
    for stage in stages[1:]:
        other = stage.files[0]
        if (other.tokenizer_name, other.token_size) != (first.tokenizer_name, first.token_size):
            raise InputError(f"stage {stage.name!r} was tokenized as {other.tokenizer_name}|{other.token_size}, stage "
                             f"{stages[0].name!r} as {first.tokenizer_name}|{first.token_size}", file=f"{other.path}.metadata", line=1)
    if first.token_size != token_size_for(tokenizer.vocab_size):
        raise InputError(f"{first.token_size}-byte tokens do not fit a vocabulary of {tokenizer.vocab_size:,} "
                         f"(datatrove uses {token_size_for(tokenizer.vocab_size)} bytes for it)", file=f"{first.path}.metadata", line=1)
    stated = None
    if "training" in manifest:
        training = _require(manifest, "training", dict, where, "training")
        stated = (_require(training, "sequence_length", int, where, "training.sequence_length"),
                  _require(training, "global_batch_tokens", int, where, "training.global_batch_tokens"))
    return MixPlan(folder, condition, tokenizer, first.tokenizer_name, first.token_size, tuple(stages), stated, manifest)


def write_mix(folder: str | Path, stages: dict[str, list[list[int]]], tokenizer_path: str | Path, vocab_size: int,
              condition: str = "random-tokens", sequence_length: int | None = None,
              global_batch_tokens: int | None = None) -> MixPlan:
    """Write a mix folder in the layout :func:`read_mix` reads: one token file per stage, in the given order.

    ``stages`` maps stage names to documents (token lists, each ending with its EOS). With
    ``sequence_length`` and ``global_batch_tokens`` the manifest states start steps for that batch.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    token_size = token_size_for(vocab_size)
    entries, before = [], 0
    for name, documents in stages.items():
        written = write_token_file(folder / name / "00000_unshuffled.ds", documents, str(tokenizer_path), token_size)
        entry = {"name": name, "folder": name, "tokens": written.tokens}
        if sequence_length and global_batch_tokens:
            entry["start_step"] = 1 + round(before / tokens_per_step(sequence_length, global_batch_tokens))
        entries.append(entry)
        before += written.tokens
    manifest = {
        "command": "mix",
        "condition": condition,
        "tokenizer": {"path": str(tokenizer_path), "sha256": tokenizer_digest(tokenizer_path), "vocab_size": vocab_size},
        "tokens": {"base": before, "replacement": 0, "synthetic": 0, "total": before},
        "placement": "uniform" if len(entries) == 1 else "staged",
        "stages": entries,
    }
    if sequence_length and global_batch_tokens:
        manifest["training"] = {"sequence_length": sequence_length, "global_batch_tokens": global_batch_tokens}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return read_mix(folder)


def load_tokenizer(tokenizer: MixTokenizer):
    """The mix's tokenizer as a transformers fast tokenizer, once its digest shows it is the one the mix used."""
    if not tokenizer.path.exists():
        raise InputError("the mix's tokenizer is not here", file=str(tokenizer.path))
    digest = tokenizer_digest(tokenizer.path)
    if digest != tokenizer.sha256:
        raise InputError(f"this is not the tokenizer the mix was tokenized with: sha256 {digest[:12]}... where the manifest "
                         f"says {tokenizer.sha256[:12]}...", file=str(tokenizer.path))
    from transformers import AutoTokenizer, PreTrainedTokenizerFast

    if tokenizer.path.is_dir():
        return AutoTokenizer.from_pretrained(str(tokenizer.path))
    return PreTrainedTokenizerFast(tokenizer_file=str(tokenizer.path))
