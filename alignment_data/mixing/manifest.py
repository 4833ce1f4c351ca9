"""``manifest.json`` of a mix: what it is, what went into it, and what came out.

Written in two steps: the draft (everything the plan knows) before the files are written,
then the files with their sizes and checksums once every task is done. It holds nothing
about how the run was split up (tasks, workers, times: those are in ``run.json``), so the
same inputs and seed give the same manifest, byte for byte.

Keys: ``command`` ("mix"), ``condition``, ``recipe``, ``settings`` (seed, format,
sequence length, global batch, shard size), ``seed``, ``inputs`` (base and synthetic: the
path given, the tokenized folder, its manifest's SHA-256, the input files with theirs),
``tokenizer`` (path, SHA-256, vocabulary size, end-of-document token), ``tokens`` and
``documents`` by source (base, replacement, synthetic, total), ``synthetic_fraction``
(exact as ``synthetic_fraction_exact``), ``target``, ``base`` (documents, tokens, policy,
flagged documents removed and their tokens, total versus unfiltered), ``replacement`` and
``synthetic`` (pool sizes, draws, epochs), ``placement``, ``stages`` (folder, start step,
tokens, documents, synthetic tokens, samples, steps, files), ``balance`` (the counts add
up), ``library_version``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from alignment_data import __version__
from alignment_data.errors import InputError
from alignment_data.mixing.plan import MixPlan
from alignment_data.mixing.store import MANIFEST, TokenizedFolder
from alignment_data.mixing.tokenizer import TrainingTokenizer

DRAFT = "plan/draft.json"
ASSEMBLED = "assembled.json"


def input_facts(given: str | None, folder: TokenizedFolder | None) -> dict | None:
    """What identifies an input: the path given, the tokenized folder and the checksums."""
    if folder is None:
        return None
    manifest = folder.manifest
    return {"given": given, "tokenized": str(folder.path), "kind": folder.kind, "input": manifest.get("input"),
            "manifest_sha256": hashlib.sha256((folder.path / MANIFEST).read_bytes()).hexdigest(),
            "input_files": manifest.get("input_files"), "documents": manifest["documents"], "tokens": manifest["tokens"],
            "rejected_when_tokenized": manifest["rejected"], "tag_run": manifest.get("tag_run"), "tagger": manifest.get("tagger")}


def draft(plan: MixPlan, condition: str, inputs: dict, tokenizer: TrainingTokenizer) -> dict:
    """The manifest without its files' checksums."""
    facts, settings = plan.facts, plan.settings
    stages = []
    for number, stage in enumerate(plan.stages):
        files = [entry for entry in plan.header["files"] if entry["stage"] == number]
        samples = sum(entry["tokens"] // (settings.sequence_length + 1) for entry in files)
        steps = samples // settings.samples_per_step
        stages.append({
            "name": stage.name, "folder": f"stage-{number}", "start_step": stage.start_step, "tokens": stage.end - stage.start,
            "documents_starting": sum(entry["documents_starting"] for entry in files),
            "synthetic_tokens": sum(entry["synthetic_tokens"] for entry in files),
            "samples": samples, "steps": steps,
            "tokens_unread_by_whole_steps": stage.end - stage.start - steps * settings.tokens_per_step,
            "files": len(files),
        })
    return {
        "command": "mix", "condition": condition, "recipe": plan.recipe.to_dict(), "settings": settings.to_dict(),
        "seed": settings.seed, "format": settings.format, "inputs": inputs, "tokenizer": tokenizer.to_dict(),
        "tokens": facts["tokens"], "documents": facts["documents"],
        "synthetic_fraction": facts["synthetic_fraction"], "synthetic_fraction_exact": facts["synthetic_fraction_exact"],
        "target": facts["target"], "base": facts["base"], "replacement": facts.get("replacement"),
        "synthetic": facts.get("synthetic"), "placement": facts["placement"],
        "training": {"sequence_length": settings.sequence_length, "global_batch_tokens": settings.global_batch_tokens,
                     "samples_per_step": settings.samples_per_step, "tokens_per_step": settings.tokens_per_step},
        "stages": stages, "balance": facts["balance"], "library_version": __version__,
    }


def write_draft(output: Path, manifest: dict) -> None:
    (output / DRAFT).write_text(json.dumps(manifest, indent=2) + "\n")


def finish_manifest(output: str | Path) -> dict:
    """Add the written files (sizes, checksums, document counts) to the draft; write ``manifest.json``."""
    output = Path(output)
    manifest = json.loads((output / DRAFT).read_text("utf-8"))
    header = json.loads((output / "plan" / "plan.json").read_text("utf-8"))
    written = {}
    for path in sorted((output / "counts").glob(f"*.{ASSEMBLED}")):
        for entry in json.loads(path.read_text("utf-8"))["files"]:
            written[entry["number"]] = entry
    missing = [entry["file"] for number, entry in enumerate(header["files"]) if number not in written]
    if missing:
        raise InputError(f"{len(missing)} planned files were not written ({', '.join(missing[:3])}): has every task finished?",
                         str(output))
    for stage in manifest["stages"]:
        stage["files"] = [{"file": entry["file"], **{key: value for key, value in written[number].items()
                                                     if key not in ("number", "file")}}
                          for number, entry in enumerate(header["files"]) if entry["file"].startswith(stage["folder"] + "/")]
    (output / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest

