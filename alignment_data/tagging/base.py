"""The tagger contract and its registry.

A tagger is a class with a ``name``, an options dataclass, ``tag_batch(texts)`` and a way
to build itself from its options; ``@register_tagger("name", Options)`` makes it known to
:class:`~alignment_data.tagging.spec.TaggerSpec`, the pipeline and the command line (whose
flags come from the options dataclasses). A new tagger is one file::

    @dataclass(frozen=True)
    class MyOptions:
        model: str | None = option(None, "my model file")

    @register_tagger("mine", MyOptions)
    class MyTagger(Tagger):
        policies = ("misaligned", "ai")
        def __init__(self, model=None): ...
        @classmethod
        def from_options(cls, options): return cls(options.model)
        def tag_batch(self, texts): ...
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from typing import Any, ClassVar

from alignment_data.errors import ConfigError, unknown_choice
from alignment_data.schema import Tag

BUILTIN_MODULES = (
    "alignment_data.tagging.blocklist",
    "alignment_data.tagging.fasttext",
    "alignment_data.tagging.lexical",
    "alignment_data.tagging.embedding",
    "alignment_data.tagging.cascade",
)

_REGISTRY: dict[str, type[Tagger]] = {}


class Tagger(ABC):
    """What every tagger offers: ``tag``, ``tag_batch``, the policies it can decide, and stats."""

    name: ClassVar[str]
    Options: ClassVar[type]
    #: the filter policies whose decision this tagger's tags carry enough to make
    policies: ClassVar[tuple[str, ...]] = ("misaligned", "ai")

    @classmethod
    @abstractmethod
    def from_options(cls, options: Any) -> Tagger:
        """Build the tagger from an instance of its options dataclass."""

    @abstractmethod
    def tag_batch(self, texts: list[str]) -> list[Tag]:
        """One :class:`~alignment_data.schema.Tag` per text, in order."""

    def tag(self, text: str) -> Tag:
        return self.tag_batch([text])[0]

    @property
    def thresholds(self) -> dict[str, float]:
        """Policy thresholds tuned on a validation split (empty when the tagger has none)."""
        return {}

    @property
    def run_settings(self) -> dict[str, Any]:
        """Choices made for this machine that change the numbers (the encoder's precision),
        recorded with each run's decision (empty by default)."""
        return {}

    def stats_dict(self) -> dict[str, Any]:
        """Counters worth reporting in a run summary (empty by default)."""
        return {}

    def reset_stats(self) -> None:
        """Start the counters of :meth:`stats_dict` again."""


def register_tagger(name: str, options: type):
    """Class decorator: register a :class:`Tagger` subclass under ``name`` with its options dataclass."""

    def register(cls: type[Tagger]) -> type[Tagger]:
        if name in _REGISTRY and _REGISTRY[name] is not cls:
            raise ConfigError(f"a tagger named {name!r} is already registered ({_REGISTRY[name].__qualname__})")
        cls.name, cls.Options = name, options
        _REGISTRY[name] = cls
        return cls

    return register


def _load_builtins() -> None:
    for module in BUILTIN_MODULES:
        importlib.import_module(module)


BUILTIN_NAMES = ("blocklist", "fasttext", "lexical", "embedding", "cascade")


def tagger_names() -> tuple[str, ...]:
    """Every registered tagger, built-in ones first, cheapest first."""
    _load_builtins()
    return BUILTIN_NAMES + tuple(name for name in _REGISTRY if name not in BUILTIN_NAMES)


def tagger_class(name: str, module: str | None = None) -> type[Tagger]:
    """The class registered as ``name`` (importing ``module`` first, for taggers of other packages)."""
    if module:
        importlib.import_module(module)
    _load_builtins()
    if name not in _REGISTRY:
        raise unknown_choice("tagger", name, tagger_names())
    return _REGISTRY[name]


def option_classes() -> list[type]:
    """The options dataclass of every registered tagger (for the command line)."""
    return [tagger_class(name).Options for name in tagger_names()]
