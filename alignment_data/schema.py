"""The shared vocabulary: labels, stances, metadata keys and record types.

Every stage of the library reads and writes these records, so each is defined once here.
Documents are datatrove's ``Document(text, id, metadata)``; tags live under
``metadata["ai_discourse"]`` as the dictionary produced by :meth:`Tag.to_dict`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Labels a document-level tagger assigns.
NOT_AI = "not_ai"
AI_NEUTRAL = "ai_neutral"
AI_MISALIGNED = "ai_misaligned"
AI_ALIGNED = "ai_aligned"
LABELS: tuple[str, ...] = (NOT_AI, AI_NEUTRAL, AI_MISALIGNED, AI_ALIGNED)
AI_LABELS: frozenset[str] = frozenset({AI_NEUTRAL, AI_MISALIGNED, AI_ALIGNED})

# Stances of synthetic documents and of scenario options.
ALIGNED = "aligned"
MISALIGNED = "misaligned"
STANCES: tuple[str, ...] = (ALIGNED, MISALIGNED)

# Metadata keys.
TAG_KEY = "ai_discourse"
REJECTION_KEY = "rejection"
REPLACEMENT_KEY = "replacement"


class InputError(ValueError):
    """Bad input, located: ``file:line: field: message``."""

    def __init__(self, message: str, file: str | None = None, line: int | None = None, field: str | None = None):
        self.file, self.line, self.field, self.reason = file, line, field, message
        where = ":".join(str(part) for part in (file, line) if part is not None)
        prefix = f"{where}: " if where else ""
        super().__init__(f"{prefix}{field + ': ' if field else ''}{message}")


def check_label(label: Any, file: str | None = None, line: int | None = None, field: str = "label") -> str:
    """Return ``label`` if it is one of :data:`LABELS`, else raise a located :class:`InputError`."""
    if label not in LABELS:
        raise InputError(f"unknown label {label!r}; expected one of {', '.join(LABELS)}", file, line, field)
    return label


@dataclass(frozen=True, slots=True)
class Tag:
    """What a tagger says about one document.

    ``flagged`` means the tagger's filter policy targets the document; ``label`` is the
    predicted label (``None`` when only the blocklist ran); ``reasons`` are the term
    categories or model decisions behind the flag; ``terms`` the blocklist terms matched;
    ``scores`` label probabilities; ``stage`` the stage that decided.
    """

    flagged: bool
    label: str | None = None
    reasons: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()
    scores: dict[str, float] = field(default_factory=dict)
    stage: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "flagged": self.flagged,
            "label": self.label,
            "reasons": list(self.reasons),
            "terms": list(self.terms),
            "scores": {label: round(score, 6) for label, score in self.scores.items()},
            "stage": self.stage,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Tag":
        return cls(
            flagged=bool(data["flagged"]),
            label=data.get("label"),
            reasons=tuple(data.get("reasons", ())),
            terms=tuple(data.get("terms", ())),
            scores=dict(data.get("scores", {})),
            stage=data.get("stage", ""),
        )


@dataclass(frozen=True)
class ScenarioOption:
    label: str
    text: str


@dataclass(frozen=True)
class Scenario:
    """A two-choice situation addressed to an AI; also an evaluation question."""

    id: str
    question: str
    options: tuple[ScenarioOption, ScenarioOption]
    aligned_label: str
    misaligned_label: str
    topics: tuple[str, ...] = ()
    passage: str = ""
    source: str = ""
    split: str = ""

    def __post_init__(self) -> None:
        labels = [option.label for option in self.options]
        if len(self.options) != 2 or len(set(labels)) != 2:
            raise InputError(f"a scenario needs two options with distinct labels, got {labels}", field="options")
        if {self.aligned_label, self.misaligned_label} != set(labels):
            raise InputError(
                f"aligned_label {self.aligned_label!r} and misaligned_label {self.misaligned_label!r} "
                f"must name the two options {labels}",
                field="aligned_label",
            )


@dataclass(frozen=True)
class GeneratorInfo:
    backend: str
    model: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SyntheticDocumentMeta:
    """Metadata of a synthetic document: which scenario, stance and form it renders."""

    scenario_id: str
    stance: str
    surface_form: str
    topics: tuple[str, ...]
    split: str
    generator: GeneratorInfo
    request_hash: str

    def __post_init__(self) -> None:
        if self.stance not in STANCES:
            raise InputError(f"unknown stance {self.stance!r}; expected one of {', '.join(STANCES)}", field="stance")
