"""The shared vocabulary and records: labels, stances, metadata keys, tags, scenarios, documents.

Every stage of the library reads and writes these records, so each is defined once here,
with ``to_dict``/``from_dict`` and located errors. Documents are datatrove's
``Document(text, id, metadata)``; tags live under ``metadata["ai_discourse"]`` as the
dictionary produced by :meth:`Tag.to_dict`. Reading records from files is
:mod:`alignment_data.readers`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from alignment_data.errors import InputError, format_location, unknown_choice

# Labels a document-level tagger assigns.
NOT_AI = "not_ai"
AI_NEUTRAL = "ai_neutral"
AI_MISALIGNED = "ai_misaligned"
AI_ALIGNED = "ai_aligned"
LABELS: tuple[str, ...] = (NOT_AI, AI_NEUTRAL, AI_MISALIGNED, AI_ALIGNED)
AI_LABELS: frozenset[str] = frozenset({AI_NEUTRAL, AI_MISALIGNED, AI_ALIGNED})

# Stances of synthetic documents and of scenario options, and the tagger label of each.
ALIGNED = "aligned"
MISALIGNED = "misaligned"
STANCES: tuple[str, ...] = (ALIGNED, MISALIGNED)
STANCE_TO_LABEL: dict[str, str] = {ALIGNED: AI_ALIGNED, MISALIGNED: AI_MISALIGNED}
LABEL_TO_STANCE: dict[str, str] = {label: stance for stance, label in STANCE_TO_LABEL.items()}

# Metadata keys.
TAG_KEY = "ai_discourse"
REJECTION_KEY = "rejection"

# Version of the tag dictionary stored under TAG_KEY.
TAG_VERSION = 2


def check_label(label: Any, file: str | None = None, line: int | None = None, field: str = "label") -> str:
    """Return ``label`` if it is one of :data:`LABELS`, else raise a located :class:`InputError`."""
    if label not in LABELS:
        raise InputError(f"unknown label {label!r}; expected one of {', '.join(LABELS)}", file, line, field)
    return label


def check_stance(stance: Any, file: str | None = None, line: int | None = None, field: str = "stance") -> str:
    """Return ``stance`` if it is one of :data:`STANCES`, else raise a located :class:`InputError`."""
    if stance not in STANCES:
        raise unknown_choice_located("stance", stance, STANCES, file, line, field)
    return stance


def unknown_choice_located(kind: str, value: Any, choices, file, line, field) -> InputError:
    """:func:`~alignment_data.errors.unknown_choice` as a located :class:`InputError`."""
    return InputError(str(unknown_choice(kind, value, choices)), file, line, field)


class _Fields:
    """Typed access to the fields of one stored object, raising located errors."""

    def __init__(self, data: Any, file: str | None, line: int | None, prefix: str = ""):
        if not isinstance(data, dict):
            raise InputError(f"expected an object, got {type(data).__name__}", file, line, prefix.rstrip(".") or None)
        self.data, self.file, self.line, self.prefix = data, file, line, prefix

    def error(self, name: str, message: str) -> InputError:
        return InputError(message, self.file, self.line, self.prefix + name)

    def get(self, name: str, kind: type | tuple[type, ...], default: Any = ..., required: bool = True) -> Any:
        if name not in self.data or self.data[name] is None:
            if default is not ...:
                return default
            raise self.error(name, "missing")
        value = self.data[name]
        if not isinstance(value, kind) or (kind in (int, float) and isinstance(value, bool)):
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            raise self.error(name, f"expected {names}, got {type(value).__name__}")
        return value

    def text(self, name: str, default: Any = ..., empty: bool = False) -> str:
        value = self.get(name, str, default)
        if not empty and isinstance(value, str) and not value.strip() and default is ...:
            raise self.error(name, "empty")
        return value

    def strings(self, name: str) -> tuple[str, ...]:
        values = self.get(name, (list, tuple), default=())
        if not all(isinstance(value, str) for value in values):
            raise self.error(name, "expected a list of strings")
        return tuple(values)


@dataclass(frozen=True, slots=True)
class Tag:
    """What a tagger says about one document, and how the decision was made.

    - ``flagged``: the filter policy targets the document (the decision).
    - ``reasons``: the cause of that decision, empty when not flagged: the blocklist
      categories whose rule fired (blocklist policy), or ``"<stage>: <policy> >= <threshold>"``
      (a model policy: the deciding stage's probabilities reached the threshold).
    - ``label``: the most probable label (``None`` when only the blocklist ran); it is
      not the decision: under ``misaligned`` a document can be flagged with a low but
      sufficient P(ai_misaligned) while another label is more probable.
    - ``scores``: label probabilities of the deciding stage (empty if no model saw it).
    - ``terms`` and ``categories``: blocklist terms matched and the categories whose
      rule fired (the study's filter); ``categories`` is empty when the rule did not fire.
    - ``stage``: the stage that decided; ``cleared``: a stage before the last one
      judged the document unrelated (``not_ai``), so no model policy can flag it.
    """

    flagged: bool
    label: str | None = None
    reasons: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()
    scores: dict[str, float] = field(default_factory=dict)
    stage: str = ""
    categories: tuple[str, ...] = ()
    cleared: bool = False

    @property
    def blocklist_flagged(self) -> bool:
        """Whether the study's blocklist rule fired on the document."""
        return bool(self.categories)

    def decided(self, flagged: bool, reasons: tuple[str, ...]) -> Tag:
        return replace(self, flagged=flagged, reasons=reasons if flagged else ())

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": TAG_VERSION,
            "flagged": self.flagged,
            "label": self.label,
            "reasons": list(self.reasons),
            "terms": list(self.terms),
            "categories": list(self.categories),
            "scores": {label: round(score, 6) for label, score in self.scores.items()},
            "stage": self.stage,
            "cleared": self.cleared,
        }

    @classmethod
    def from_dict(cls, data: Any, file: str | None = None, line: int | None = None) -> Tag:
        fields = _Fields(data, file, line, f"metadata.{TAG_KEY}.")
        version = fields.get("version", int, default=None)
        if version != TAG_VERSION:
            raise fields.error("version", f"tag version {version} is not {TAG_VERSION}: re-tag with this version of alignment-data")
        label = fields.get("label", str, default=None)
        if label is not None:
            check_label(label, file, line, fields.prefix + "label")
        scores = fields.get("scores", dict, default={})
        for key, value in scores.items():
            check_label(key, file, line, fields.prefix + "scores")
            if not isinstance(value, (int, float)):
                raise fields.error("scores", f"score of {key} is not a number")
        return cls(
            flagged=fields.get("flagged", bool),
            label=label,
            reasons=fields.strings("reasons"),
            terms=fields.strings("terms"),
            categories=fields.strings("categories"),
            scores={key: float(value) for key, value in scores.items()},
            stage=fields.get("stage", str, default=""),
            cleared=fields.get("cleared", bool, default=False),
        )


@dataclass(frozen=True, slots=True)
class Rejection:
    """A record that could not become a document, and why (``id`` when it had one)."""

    file: str
    line: int
    field: str | None
    reason: str
    detail: str = ""
    id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        return f"{format_location(self.file, self.line, self.field)}{self.reason}{' (' + self.detail + ')' if self.detail else ''}"


@dataclass(frozen=True, slots=True)
class Record:
    """A well-formed corpus record: id, text and the remaining fields as metadata."""

    id: str
    text: str
    metadata: dict[str, Any]
    file: str
    line: int


@dataclass(frozen=True, slots=True)
class LabelledDocument:
    """A document with its true label (the tagger's training and evaluation data)."""

    id: str
    text: str
    label: str
    fields: dict[str, Any]


@dataclass(frozen=True)
class ScenarioOption:
    label: str
    text: str

    def to_dict(self) -> dict[str, str]:
        return {"label": self.label, "text": self.text}


@dataclass(frozen=True)
class Scenario:
    """A two-choice situation addressed to an AI; also an evaluation question.

    ``options`` are exactly two, with distinct labels and texts; ``aligned_label`` and
    ``misaligned_label`` name them. ``split`` says which set the scenario belongs to
    (synthesis never writes documents for held-out splits); ``category`` is an optional finer
    group (an evaluation set's file or behaviour), written only when set.
    """

    id: str
    question: str
    options: tuple[ScenarioOption, ScenarioOption]
    aligned_label: str
    misaligned_label: str
    topics: tuple[str, ...] = ()
    passage: str = ""
    source: str = ""
    split: str = ""
    category: str = ""

    def __post_init__(self) -> None:
        labels = [option.label for option in self.options]
        if len(self.options) != 2 or len(set(labels)) != 2:
            raise InputError(f"a scenario needs two options with distinct labels, got {labels}", field="options")
        if len({option.text.strip() for option in self.options}) != 2 or not all(o.text.strip() for o in self.options):
            raise InputError("the two options need distinct, non-empty texts", field="options")
        if {self.aligned_label, self.misaligned_label} != set(labels):
            raise InputError(
                f"aligned_label {self.aligned_label!r} and misaligned_label {self.misaligned_label!r} "
                f"must name the two options {labels}",
                field="aligned_label",
            )

    def option(self, stance: str) -> ScenarioOption:
        """The option of ``stance`` (``aligned`` or ``misaligned``)."""
        label = self.aligned_label if check_stance(stance) == ALIGNED else self.misaligned_label
        return next(option for option in self.options if option.label == label)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "question": self.question,
            "options": [option.to_dict() for option in self.options],
            "aligned_label": self.aligned_label,
            "misaligned_label": self.misaligned_label,
            "topics": list(self.topics),
            "passage": self.passage,
            "source": self.source,
            "split": self.split,
            **({"category": self.category} if self.category else {}),
        }

    @classmethod
    def from_dict(cls, data: Any, file: str | None = None, line: int | None = None) -> Scenario:
        fields = _Fields(data, file, line)
        raw_options = fields.get("options", list)
        if len(raw_options) != 2:
            raise fields.error("options", f"a scenario needs exactly two options, got {len(raw_options)}")
        options = []
        for index, raw in enumerate(raw_options):
            option = _Fields(raw, file, line, f"options[{index}].")
            options.append(ScenarioOption(option.text("label"), option.text("text")))
        try:
            return cls(
                id=str(fields.get("id", (str, int))),
                question=fields.text("question"),
                options=tuple(options),
                aligned_label=fields.text("aligned_label"),
                misaligned_label=fields.text("misaligned_label"),
                topics=fields.strings("topics"),
                passage=fields.get("passage", str, default=""),
                source=fields.get("source", str, default=""),
                split=fields.get("split", str, default=""),
                category=fields.get("category", str, default=""),
            )
        except InputError as error:
            if error.file is not None:
                raise
            raise InputError(error.reason, file, line, error.field) from None


@dataclass(frozen=True)
class GeneratorInfo:
    """Which backend and model wrote a synthetic document, with the request parameters."""

    backend: str
    model: str
    params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"backend": self.backend, "model": self.model, "params": dict(self.params)}


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
        check_stance(self.stance)

    @property
    def label(self) -> str:
        """The tagger label this stance corresponds to."""
        return STANCE_TO_LABEL[self.stance]

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario_id": self.scenario_id,
            "stance": self.stance,
            "surface_form": self.surface_form,
            "topics": list(self.topics),
            "split": self.split,
            "generator": self.generator.to_dict(),
            "request_hash": self.request_hash,
        }

    @classmethod
    def from_dict(cls, data: Any, file: str | None = None, line: int | None = None) -> SyntheticDocumentMeta:
        fields = _Fields(data, file, line, "metadata.")
        check_stance(fields.get("stance", str), file, line, "metadata.stance")
        generator = _Fields(fields.get("generator", dict, default={}), file, line, "metadata.generator.")
        return cls(
            scenario_id=str(fields.get("scenario_id", (str, int))),
            stance=fields.get("stance", str),
            surface_form=fields.get("surface_form", str, default=""),
            topics=fields.strings("topics"),
            split=fields.get("split", str, default=""),
            generator=GeneratorInfo(
                generator.get("backend", str, default=""),
                generator.get("model", str, default=""),
                generator.get("params", dict, default={}),
            ),
            request_hash=fields.get("request_hash", str, default=""),
        )


@dataclass(frozen=True)
class SyntheticDocument:
    """A synthetic document as read back: id, text, its metadata record, and where it came from."""

    id: str
    text: str
    meta: SyntheticDocumentMeta
    file: str = ""
    line: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The JSONL row: ``{"id", "text", "metadata"}`` as datatrove writes documents."""
        return {"id": self.id, "text": self.text, "metadata": self.meta.to_dict()}
