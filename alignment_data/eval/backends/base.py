"""The scoring contract every backend fulfils, and the registry that names them.

A backend turns requests (a context and its candidate continuations) into the summed
log-probability of each continuation, lm-evaluation-harness style, and says whether any
continuation's first token is among the model's top-k next tokens (else the item is a
*non-match*: the model would have answered something else). A request that does not fit
the model's context comes back as ``None`` and is counted as skipped by the caller.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from alignment_data.errors import unknown_choice

DEFAULT_TOP_K = 5
# Help of the options both built-in backends have (one flag serves both).
BATCH_SIZE_HELP = "sequences per forward pass, sorted by length (hf); prompts per request (openai)"
TOKENIZER_HELP = "tokenizer folder: when the model folder has none (hf); whose chat template wraps the prompts (openai)"


@dataclass(frozen=True)
class Request:
    """One prompt: its context, the continuations to score, and a group.

    Requests of one group (the formats of one question) usually share their first tokens;
    a backend may compute that shared prefix once.
    """

    context: str
    continuations: tuple[str, ...]
    group: str = ""


@dataclass(frozen=True)
class Scores:
    """Summed log-probability and token count of each continuation; ``top_match``: some
    continuation's first token is among the top-k next tokens (``None`` when unknown)."""

    logprobs: tuple[float, ...]
    tokens: tuple[int, ...]
    top_match: bool | None


class Backend(ABC):
    """Scores requests with one model. Subclasses register with :func:`register_backend`."""

    name: ClassVar[str] = ""
    Options: ClassVar[type]

    @classmethod
    @abstractmethod
    def from_options(cls, model: str, options: Any) -> Backend:
        """Build the backend for ``model`` (a folder, or a served model's name) from its options."""

    @abstractmethod
    def score(self, requests: Sequence[Request], top_k: int = DEFAULT_TOP_K) -> list[Scores | None]:
        """Scores for each request, in order; ``None`` for a request longer than the model's context.

        ``top_k``: how many of the most likely next tokens the non-match check looks at."""

    def chat_template(self) -> Callable[[list[dict[str, str]]], str] | None:
        """The model's chat template as a function of messages, or ``None`` (a base model)."""
        return None

    def describe(self) -> dict[str, Any]:
        """What a report should say about this backend (never secrets)."""
        return {"backend": self.name}

    def close(self) -> None:
        """Release connections or memory."""


BACKENDS: dict[str, type[Backend]] = {}
BUILTIN_BACKENDS = {"hf": "alignment_data.eval.backends.hf", "openai": "alignment_data.eval.backends.openai"}


def register_backend(name: str, options: type):
    """Class decorator: register a backend under ``name`` with its options dataclass."""

    def decorate(cls: type[Backend]) -> type[Backend]:
        cls.name, cls.Options = name, options
        BACKENDS[name] = cls
        return cls

    return decorate


def backend_class(name: str) -> type[Backend]:
    """The backend registered as ``name`` (importing the built-in module on first use)."""
    if name not in BACKENDS and name in BUILTIN_BACKENDS:
        import importlib

        importlib.import_module(BUILTIN_BACKENDS[name])
    if name not in BACKENDS:
        raise unknown_choice("backend", name, sorted(set(BACKENDS) | set(BUILTIN_BACKENDS)))
    return BACKENDS[name]


def backend_names() -> list[str]:
    return sorted(set(BACKENDS) | set(BUILTIN_BACKENDS))


def move_trailing_space(context: str, continuation: str) -> tuple[str, str]:
    """lm-evaluation-harness's rule: trailing whitespace of the context starts the continuation."""
    stripped = context.rstrip()
    return stripped, context[len(stripped):] + continuation
