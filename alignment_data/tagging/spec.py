"""Which tagger to build and how, as a small picklable value: the same spec builds the same
tagger in any process (the command line, a datatrove worker, a notebook)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from alignment_data.errors import ConfigError
from alignment_data.options import build
from alignment_data.tagging.base import BUILTIN_MODULES, Tagger, tagger_class


@dataclass(frozen=True)
class TaggerSpec:
    """A registered tagger's name and an instance of its options dataclass.

    ``TaggerSpec("cascade")`` is the default cascade; ``TaggerSpec.of("fasttext",
    model="m.bin")`` sets options by keyword; ``options`` may also be a dictionary. ``module``
    names the module that registers a tagger of another package, so workers can import it.
    """

    name: str = "cascade"
    options: Any = None
    module: str | None = None

    def __post_init__(self) -> None:
        cls = tagger_class(self.name, self.module)
        options = self.options
        if options is None:
            options = cls.Options()
        elif isinstance(options, dict):
            options = build(cls.Options, options, f"the {self.name} tagger")
        elif not isinstance(options, cls.Options):
            raise ConfigError(f"options of the {self.name} tagger must be {cls.Options.__name__}, got {type(options).__name__}")
        object.__setattr__(self, "options", options)
        if self.module is None and cls.__module__ not in BUILTIN_MODULES:
            object.__setattr__(self, "module", cls.__module__)

    @classmethod
    def of(cls, name: str = "cascade", **options: Any) -> TaggerSpec:
        return cls(name, options)

    @property
    def policy(self) -> str:
        """The filter policy the tagger's tags are decided by."""
        return getattr(self.options, "policy", "blocklist")

    def tagger_class(self) -> type[Tagger]:
        return tagger_class(self.name, self.module)

    def build(self) -> Tagger:
        return self.tagger_class().from_options(self.options)

    def to_dict(self) -> dict[str, Any]:
        data = {"name": self.name, "options": dataclasses.asdict(self.options)}
        if self.module:
            data["module"] = self.module
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TaggerSpec:
        options = {key: tuple(value) if isinstance(value, list) else value for key, value in data.get("options", {}).items()}
        return cls(data["name"], options, data.get("module"))
