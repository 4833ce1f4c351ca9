"""Per-task counts and the run summary, in which read = kept + flagged + rejected always holds."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from datatrove.io import DataFolderLike, get_datafolder

from alignment_data import __version__
from alignment_data.errors import InputError


@dataclass
class RunCounts:
    """What one task saw: every document read ends up kept, flagged or rejected."""

    read: int = 0
    kept: int = 0
    flagged: int = 0
    rejected: int = 0
    rejected_by_reason: Counter = field(default_factory=Counter)
    labels: Counter = field(default_factory=Counter)
    flagged_by_label: Counter = field(default_factory=Counter)
    flagged_by_reason: Counter = field(default_factory=Counter)
    decided_by_stage: Counter = field(default_factory=Counter)
    rejection_examples: list[str] = field(default_factory=list)

    MAX_EXAMPLES = 20

    def add_rejection(self, rejection: dict) -> None:
        self.read += 1
        self.rejected += 1
        self.rejected_by_reason[rejection["reason"]] += 1
        if len(self.rejection_examples) < self.MAX_EXAMPLES:
            field_part = f"{rejection['field']}: " if rejection.get("field") else ""
            detail = f" ({rejection['detail']})" if rejection.get("detail") else ""
            self.rejection_examples.append(f"{rejection['file']}:{rejection['line']}: {field_part}{rejection['reason']}{detail}")

    def add_tagged(self, tag: dict) -> None:
        self.read += 1
        label = tag.get("label") or "unlabelled"
        self.labels[label] += 1
        self.decided_by_stage[tag.get("stage") or "unknown"] += 1
        if tag["flagged"]:
            self.flagged += 1
            self.flagged_by_label[label] += 1
            self.flagged_by_reason.update(tag.get("reasons", ()))
        else:
            self.kept += 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "kept": self.kept,
            "flagged": self.flagged,
            "rejected": self.rejected,
            "rejected_by_reason": dict(sorted(self.rejected_by_reason.items())),
            "labels": dict(sorted(self.labels.items())),
            "flagged_by_label": dict(sorted(self.flagged_by_label.items())),
            "flagged_by_reason": dict(self.flagged_by_reason.most_common()),
            "decided_by_stage": dict(sorted(self.decided_by_stage.items())),
            "rejection_examples": self.rejection_examples,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunCounts:
        return cls(
            read=data["read"],
            kept=data["kept"],
            flagged=data["flagged"],
            rejected=data["rejected"],
            rejected_by_reason=Counter(data["rejected_by_reason"]),
            labels=Counter(data["labels"]),
            flagged_by_label=Counter(data["flagged_by_label"]),
            flagged_by_reason=Counter(data["flagged_by_reason"]),
            decided_by_stage=Counter(data.get("decided_by_stage", {})),
            rejection_examples=list(data["rejection_examples"]),
        )

    def merge(self, other: RunCounts) -> None:
        self.read += other.read
        self.kept += other.kept
        self.flagged += other.flagged
        self.rejected += other.rejected
        self.rejected_by_reason.update(other.rejected_by_reason)
        self.labels.update(other.labels)
        self.flagged_by_label.update(other.flagged_by_label)
        self.flagged_by_reason.update(other.flagged_by_reason)
        self.decided_by_stage.update(other.decided_by_stage)
        room = self.MAX_EXAMPLES - len(self.rejection_examples)
        self.rejection_examples.extend(other.rejection_examples[: max(room, 0)])


def write_json(folder: DataFolderLike, name: str, data: dict) -> None:
    with get_datafolder(folder).open(name, "w") as out:
        out.write(json.dumps(data, indent=2, sort_keys=False) + "\n")


def write_array(folder: DataFolderLike, name: str, values: np.ndarray) -> None:
    with get_datafolder(folder).open(name, "wb") as out:
        np.save(out, values)


def read_array(folder: DataFolderLike, name: str) -> np.ndarray:
    with get_datafolder(folder).open(name, "rb") as stream:
        return np.load(stream)


def read_task_files(folder: DataFolderLike, suffix: str) -> list[dict]:
    """Every ``NNNNN<suffix>`` JSON file in ``folder``, in rank order."""
    folder = get_datafolder(folder)
    if not folder.exists(""):
        return []
    names = sorted(name for name in folder.list_files(recursive=False) if name.endswith(suffix) and name[:5].isdigit())
    out = []
    for name in names:
        with folder.open(name, "r") as stream:
            out.append(json.load(stream))
    return out


def merge_stage_stats(parts: list[dict]) -> dict[str, dict]:
    """Sum the per-stage counts and seconds over tasks (a single model's counters are one stage)."""
    merged: dict[str, dict] = {}
    for part in parts:
        for stage, stats in part.items():
            into = merged.setdefault(stage, {})
            for key, value in stats.items():
                if key != "share_escalated":
                    into[key] = into.get(key, 0) + value
    for stats in merged.values():
        if "escalated" in stats:  # a cascade stage
            stats["share_escalated"] = round(stats["escalated"] / stats["seen"], 6) if stats["seen"] else 0.0
        if "seconds" in stats:
            stats["seconds"] = round(stats["seconds"], 3)
    return merged


def merged_counts(output: str, suffix: str) -> tuple[list[dict], RunCounts]:
    """Every task's counts file (``output/counts/NNNNN<suffix>``) and their merged :class:`RunCounts`."""
    parts = read_task_files(f"{output}/counts", suffix)
    if not parts:
        raise InputError("no task counts found: has the run finished?", f"{output}/counts")
    counts = RunCounts()
    for part in parts:
        counts.merge(RunCounts.from_dict(part))
    return parts, counts


def write_summary(output: str, info: dict | None = None) -> dict:
    """Merge the per-task counts of a finished run into ``summary.json`` and return it."""
    parts, counts = merged_counts(output, ".counts.json")
    summary: dict[str, Any] = dict(info or _previous_info(output))
    summary.update({"library_version": __version__, "tasks_reported": len(parts), **counts.to_dict()})
    summary["balanced"] = counts.read == counts.kept + counts.flagged + counts.rejected
    taggers = read_task_files(f"{output}/counts", ".tagger.json")
    if taggers:
        summary["decision"] = taggers[0]
    stages = merge_stage_stats(read_task_files(f"{output}/counts", ".stages.json"))
    if stages:
        summary["stages"] = stages
    replacements = read_task_files(f"{output}/counts", ".replace.json")
    if replacements:
        summary["replacements"] = {key: sum(part[key] for part in replacements) for key in ("wanted", "written", "unreplaced")}
    with get_datafolder(output).open("summary.json", "w") as out:
        out.write(json.dumps(summary, indent=2) + "\n")
    return summary


def read_json(folder: DataFolderLike, name: str) -> dict | None:
    """``folder/name`` parsed, or ``None`` when there is no such file."""
    folder = get_datafolder(folder)
    if not folder.exists(name):
        return None
    with folder.open(name, "r") as stream:
        try:
            return json.load(stream)
        except json.JSONDecodeError as error:
            raise InputError(f"not valid JSON: {error.msg}", folder.resolve_paths(name), error.lineno) from None


def _previous_info(output: str) -> dict:
    """What the run was (its ``run.json``), for a summary rebuilt by hand."""
    return read_json(output, "run.json") or {}


def check_not_all_rejected(summary: dict, output: str) -> None:
    """A run in which every record was rejected is an error: say why, with the keys the records had."""
    if not summary["read"] or summary["kept"] + summary["flagged"]:
        return
    reasons = ", ".join(f"{reason} {count}" for reason, count in summary["rejected_by_reason"].items())
    example = summary["rejection_examples"][0] if summary["rejection_examples"] else ""
    hint = " (is --text-key right?)" if "missing_text" in summary["rejected_by_reason"] else ""
    raise InputError(f"every one of the {summary['read']} records was rejected ({reasons}){hint}; the first: {example}; "
                     f"see {output}/summary.json and {output}/rejected/")
