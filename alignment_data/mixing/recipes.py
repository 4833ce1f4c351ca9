"""What a data condition is: a recipe (base policy x synthetic selection x token fraction x
placement) and the settings a build runs with (seed, output format, sequence length,
global batch, shard size). Recipes round-trip through YAML and JSON, and a mix's
``manifest.json`` holds its recipe and settings, so a run can be repeated from it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from alignment_data.errors import ConfigError, InputError, unknown_choice
from alignment_data.options import option

BASES = ("all", "filtered")
FRACTION_OF = ("stream", "final_stage")
FORMATS = ("tokens", "jsonl", "parquet")
MAX_MISS = 0.001  # the achieved synthetic fraction may miss the target by 0.1 percentage point
TOTAL_MISS = 0.001  # replacement brings the filtered total within 0.1% of the unfiltered one


@dataclass(frozen=True)
class Selection:
    """Which synthetic documents a recipe draws from; an empty field selects everything.
    ``topics`` selects documents with at least one of the topics."""

    stances: tuple[str, ...] = ()
    splits: tuple[str, ...] = ()
    surface_forms: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    scenario_ids: tuple[str, ...] = ()

    def describe(self) -> str:
        parts = [f"{item.name}={','.join(getattr(self, item.name))}" for item in fields(self) if getattr(self, item.name)]
        return ", ".join(parts) or "every synthetic document"


@dataclass(frozen=True)
class Placement:
    """Where synthetic documents go in the training order: ``uniform`` (interleaved through the
    whole stream) or ``last`` (only in the final ``final`` fraction, written as a second stage)."""

    kind: str = "uniform"
    final: float = 1.0

    def __post_init__(self) -> None:
        if self.kind not in ("uniform", "last"):
            raise unknown_choice("placement", self.kind, ("uniform", "last:F"))
        if self.kind == "last" and not 0.0 < self.final < 1.0:
            raise ConfigError(f"placement last:F needs F in (0, 1), got {self.final:g}")

    @classmethod
    def parse(cls, text: str) -> Placement:
        """``uniform`` or ``last:F`` (for example ``last:0.1``, the final 10%)."""
        kind, _, value = str(text).partition(":")
        if kind == "last":
            try:
                final = float(value)
            except ValueError:
                raise ConfigError(f"placement last:F needs a number F in (0, 1), got {text!r}") from None
            return cls("last", final)
        if value:
            raise ConfigError(f"placement {text!r}: expected uniform or last:F")
        return cls(kind)

    def __str__(self) -> str:
        return f"last:{self.final:g}" if self.kind == "last" else "uniform"


@dataclass(frozen=True)
class Recipe:
    """A data condition.

    - ``base``: ``all`` keeps every base document; ``filtered`` drops what ``policy`` flags
      (default: the policy the tags were decided with; ``threshold`` overrides) and, with
      ``replace``, refills the removed tokens with documents drawn with replacement from the
      retained ones, so the corpus keeps its token total.
    - ``synthetic``: the selection of synthetic documents, or ``None`` for none; they make up
      ``fraction`` of the tokens of the final mix (``fraction_of="stream"``) or of its final
      stage (``"final_stage"``, late placement only).
    - ``placement``: ``uniform`` or ``last:F``.
    """

    name: str
    base: str = "all"
    policy: str | None = None
    threshold: float | None = None
    replace: bool = True
    synthetic: Selection | None = None
    fraction: float | None = None
    fraction_of: str = "stream"
    placement: Placement = field(default_factory=Placement)
    description: str = ""

    def __post_init__(self) -> None:
        if self.base not in BASES:
            raise unknown_choice("base", self.base, BASES)
        if self.fraction_of not in FRACTION_OF:
            raise unknown_choice("fraction_of", self.fraction_of, FRACTION_OF)
        if self.synthetic is None:
            if self.fraction is not None:
                raise ConfigError(f"recipe {self.name!r} has a fraction but no synthetic selection")
            if self.placement.kind != "uniform":
                raise ConfigError(f"recipe {self.name!r}: late placement places synthetic documents, and it has none")
            return
        if self.fraction is None or not 0.0 < self.fraction < 1.0:
            raise ConfigError(f"the synthetic fraction must be in (0, 1), got {self.fraction}")
        if self.fraction_of == "final_stage" and self.placement.kind != "last":
            raise ConfigError("a fraction of the final stage needs late placement (last:F)")
        if self.fraction_of == "stream" and self.placement.kind == "last" and self.fraction >= self.placement.final:
            raise ConfigError(f"{self.fraction:g} of the stream cannot fit in its final {self.placement.final:g}")

    def with_changes(self, **changes: Any) -> Recipe:
        """This recipe with some fields changed (``None`` values leave a field as it is)."""
        changes = {key: value for key, value in changes.items() if value is not None}
        if isinstance(changes.get("placement"), str):
            changes["placement"] = Placement.parse(changes["placement"])
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["placement"] = str(self.placement)
        if self.synthetic is not None:
            data["synthetic"] = {key: list(value) for key, value in asdict(self.synthetic).items() if value}
        return data

    @classmethod
    def from_dict(cls, data: Any, file: str | None = None) -> Recipe:
        if not isinstance(data, dict):
            raise InputError(f"a recipe is a mapping, got {type(data).__name__}", file)
        known = {item.name for item in fields(cls)}
        for key in data:
            if key not in known:
                raise InputError(str(unknown_choice("recipe field", key, sorted(known))), file, field=key)
        if "name" not in data:
            raise InputError("missing", file, field="name")
        for key, kinds in _FIELD_TYPES.items():
            value = data.get(key)
            if value is not None and (not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds)):
                raise InputError(f"expected {' or '.join(kind.__name__ for kind in kinds)}, got {type(value).__name__}", file, field=key)
        values = dict(data)
        try:
            values["placement"] = Placement.parse(values.get("placement", "uniform"))
            if values.get("synthetic") is not None:
                values["synthetic"] = _selection(values["synthetic"], file)
            return cls(**values)
        except ConfigError as error:
            raise InputError(str(error), file) from None


_FIELD_TYPES = {"name": (str,), "base": (str,), "policy": (str,), "threshold": (int, float), "replace": (bool,),
                "fraction": (int, float), "fraction_of": (str,), "placement": (str,), "description": (str,)}


def _selection(data: Any, file: str | None) -> Selection:
    if not isinstance(data, dict):
        raise InputError(f"expected a mapping of selection fields, got {type(data).__name__}", file, field="synthetic")
    known = [item.name for item in fields(Selection)]
    values = {}
    for key, value in data.items():
        if key not in known:
            raise InputError(str(unknown_choice("selection field", key, known)), file, field=f"synthetic.{key}")
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
            raise InputError("expected a string or a list of strings", file, field=f"synthetic.{key}")
        values[key] = tuple(items)
    return Selection(**values)


@dataclass(frozen=True)
class MixSettings:
    """How a condition is built and written (not what it contains)."""

    seed: int = option(0, "seed of every draw and placement")
    format: str = option("tokens", "tokens (datatrove .ds token files by stage), jsonl or parquet text shards", choices=FORMATS)
    sequence_length: int = option(2048, "training sequence length: a sample is this + 1 tokens, as datatrove and nanotron read them")
    global_batch_tokens: int = option(4_194_304, "tokens per optimizer step (the study's 4,194,304)")
    shard_tokens: int = option(1 << 29, "tokens per output file (rounded down to whole samples)")
    checksums: bool = option(True, "record the SHA-256 of every output file in the manifest (it costs about what the copy does)")

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise unknown_choice("format", self.format, FORMATS)
        if self.sequence_length < 1 or self.global_batch_tokens % self.sequence_length:
            raise ConfigError(f"the global batch ({self.global_batch_tokens} tokens) must be a whole number of sequences "
                              f"of {self.sequence_length} tokens")
        if self.shard_tokens < self.sequence_length + 1:
            raise ConfigError(f"shard_tokens {self.shard_tokens} is less than one sample ({self.sequence_length + 1} tokens)")

    @property
    def samples_per_step(self) -> int:
        return self.global_batch_tokens // self.sequence_length

    @property
    def tokens_per_step(self) -> int:
        """Tokens a trainer reads from the files per step: samples of sequence length + 1."""
        return self.samples_per_step * (self.sequence_length + 1)

    @property
    def shard_size(self) -> int:
        return self.shard_tokens // (self.sequence_length + 1) * (self.sequence_length + 1)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def load_recipe(path: str | Path) -> tuple[Recipe, MixSettings | None]:
    """A recipe from a YAML or JSON file, or the recipe and settings of a mix's ``manifest.json``."""
    path = Path(path)
    if not path.is_file():
        raise InputError("no such recipe file", str(path))
    text = path.read_text("utf-8")
    if path.suffix in (".yaml", ".yml"):
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            raise InputError(f"not valid YAML: {getattr(error, 'problem', error)}", str(path), mark.line + 1 if mark else None) from None
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise InputError(f"not valid JSON: {error.msg}", str(path), error.lineno) from None
    if isinstance(data, dict) and data.get("command") == "mix":
        return Recipe.from_dict(data["recipe"], str(path)), MixSettings(**data["settings"])
    return Recipe.from_dict(data, str(path)), None


def save_recipe(recipe: Recipe, path: str | Path) -> Path:
    """Write ``recipe`` as YAML (``.yaml``/``.yml``) or JSON (anything else)."""
    path = Path(path)
    if path.suffix in (".yaml", ".yml"):
        import yaml

        path.write_text(yaml.safe_dump(recipe.to_dict(), sort_keys=False))
    else:
        path.write_text(json.dumps(recipe.to_dict(), indent=2) + "\n")
    return path
