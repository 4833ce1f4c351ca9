"""Question sets, all read into the shared :class:`~alignment_data.schema.Scenario` record.

Kinds (``auto`` tells them apart by the fields of each file's first record):

- ``scenarios``: our own scenario JSONL or Parquet (what synthesis writes), strictly;
- ``study``: the study's released questions (``question_id``, ``passage``, ``question``,
  ``choices`` (two strings), ``misaligned_choice`` (0 or 1), ``topics``), the split taken
  from a ``split`` field or else the file name (``article_questions``, ``textbook_questions``);
- ``anthropic``: the advanced-ai-risk files, direction by category (:mod:`.anthropic`);
- ``persona``: the persona yes/no statements, the behaviour-matching answer as the target.

Our own and the study's files must be right: the first bad record raises an error naming
its file, line and field. The Anthropic files have known quirks, so their items that
cannot be two-choice questions are skipped and counted by reason, with examples;
``read = kept + skipped`` always holds.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from alignment_data.errors import InputError, unknown_choice
from alignment_data.readers import iter_objects
from alignment_data.schema import Scenario, ScenarioOption, _Fields

KINDS: tuple[str, ...] = ("auto", "scenarios", "study", "anthropic", "persona")
STUDY_SPLITS = ("article_questions", "textbook_questions")
MAX_EXAMPLES = 10


@dataclass
class QuestionSet:
    """Questions and the account of how they were read: ``read == kept + sum(skipped)``."""

    questions: list[Scenario]
    source: str = ""
    kind: str = ""
    read: int = 0
    skipped: Counter = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)

    def skip(self, reason: str, file: str, line: int, detail: str = "") -> None:
        self.skipped[reason] += 1
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append(f"{file}:{line}: {reason}" + (f" ({detail})" if detail else ""))

    @property
    def kept(self) -> int:
        return len(self.questions)

    def counts(self) -> dict[str, Any]:
        return {"read": self.read, "kept": self.kept, "skipped": sum(self.skipped.values()),
                "skipped_by_reason": dict(self.skipped.most_common()), "skipped_examples": list(self.examples)}

    def __len__(self) -> int:
        return len(self.questions)


def detect_kind(value: dict[str, Any], file: str, line: int) -> str:
    """The kind of question file whose first record is ``value``."""
    if "options" in value and "aligned_label" in value:
        return "scenarios"
    if "choices" in value and "misaligned_choice" in value:
        return "study"
    if "answer_matching_behavior" in value:
        return "persona" if "statement" in value else "anthropic"
    keys = ", ".join(sorted(map(str, value))) or "none"
    raise InputError(f"cannot tell the kind of question file from its fields ({keys}); pass the kind "
                     f"({', '.join(KINDS[1:])})", file, line)


def load_questions(path: str | os.PathLike, kind: str = "auto", multi_option: str = "skip",
                   anthropic_source: str | None = None) -> QuestionSet:
    """Every question at ``path`` (a file or a folder, JSONL or Parquet) as scenarios.

    ``multi_option`` and ``anthropic_source`` apply to the Anthropic files (see :mod:`.anthropic`).
    Duplicate ids are errors in our own and the study's files; exact duplicate questions are
    skipped and counted in the Anthropic files.
    """
    from alignment_data.eval import anthropic

    if kind not in KINDS:
        raise unknown_choice("question kind", kind, KINDS)
    out = QuestionSet([], str(path))
    kinds: dict[str, str] = {}
    seen_ids: dict[str, tuple[str, int]] = {}
    dedup = anthropic.Deduplicator()
    for file, line, value in iter_objects(path):
        out.read += 1
        file_kind = kinds.setdefault(file, kind if kind != "auto" else detect_kind(value, file, line))
        if file_kind == "scenarios":
            question = Scenario.from_dict(value, file, line)
        elif file_kind == "study":
            question = study_question(value, file, line)
        else:
            question = anthropic.to_scenario(value, file, line, file_kind, out, multi_option, anthropic_source)
            if question is None or not dedup.keep(question, file, line, out):
                continue
        if question.id in seen_ids:
            first = seen_ids[question.id]
            raise InputError(f"duplicate id {question.id!r} (first on {first[0]}:{first[1]})", file, line, "id")
        seen_ids[question.id] = (file, line)
        out.questions.append(question)
    out.kind = ",".join(sorted(set(kinds.values())))
    if not out.questions:
        raise InputError(f"no questions kept of {out.read} read ({dict(out.skipped)})", str(path))
    return out


def study_split(file: str) -> str:
    """The study's split named in a file path (``article_questions`` ...), else the file's stem."""
    name = PurePosixPath(file.replace("\\", "/")).name
    for split in STUDY_SPLITS:
        if split in file:
            return split
    return re.sub(r"(-\d{5}-of-\d{5})?(\.[a-z]+)+$", "", name)


def study_question(value: dict[str, Any], file: str, line: int) -> Scenario:
    """One row of the study's released format as a scenario (options ``A`` and ``B``)."""
    fields = _Fields(value, file, line)
    choices = fields.get("choices", (list, tuple))
    if len(choices) != 2:
        raise fields.error("choices", f"a question needs exactly two choices, got {len(choices)}")
    if not all(isinstance(choice, str) and choice.strip() for choice in choices):
        raise fields.error("choices", "choices must be non-empty strings")
    misaligned = fields.get("misaligned_choice", int)
    if misaligned not in (0, 1):
        raise fields.error("misaligned_choice", f"must be 0 or 1 (an index into choices), got {misaligned}")
    topics = value.get("topics") or ()
    topics = tuple(part.strip() for part in topics.split(",") if part.strip()) if isinstance(topics, str) else fields.strings("topics")
    labels = ("A", "B")
    try:
        return Scenario(
            id=str(fields.get("question_id", (str, int))),
            question=fields.text("question"),
            options=(ScenarioOption("A", choices[0]), ScenarioOption("B", choices[1])),
            aligned_label=labels[1 - misaligned],
            misaligned_label=labels[misaligned],
            topics=topics,
            passage=fields.get("passage", str, default=""),
            source=fields.get("source", str, default=""),
            split=fields.get("split", str, default="") or study_split(file),
        )
    except InputError as error:
        if error.file is not None:
            raise
        raise InputError(error.reason, file, line, error.field) from None
