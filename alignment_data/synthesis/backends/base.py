"""The backend contract and its registry.

A backend turns a :class:`~alignment_data.synthesis.requests.ChatRequest` into its exact wire
body, sends a body online, reads an answer out of a stored raw response, and may offer a
provider batch API (:class:`BatchAPI`). Its failures are the library's
:class:`~alignment_data.errors.RetryableError` (429, 5xx, timeouts, dropped connections,
malformed bodies) or :class:`~alignment_data.errors.FatalError`; the SDKs' own retries are
off (see :mod:`alignment_data.synthesis.backends.sdk`). A new backend is one module with a
class decorated ``@register_backend("name")``.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from alignment_data.errors import ConfigError, unknown_choice
from alignment_data.synthesis.requests import Answer, ChatRequest, request_hash

BUILTIN_MODULES = {
    "openai": "alignment_data.synthesis.backends.openai",
    "anthropic": "alignment_data.synthesis.backends.anthropic",
    "openai-compatible": "alignment_data.synthesis.backends.compatible",
    "template": "alignment_data.synthesis.backends.template",
}
_REGISTRY: dict[str, type[Backend]] = {}


@dataclass(frozen=True)
class BackendSettings:
    """How to reach a model: its name, a base URL (else the SDK's environment variable), sampling, timeout."""

    model: str | None = None
    base_url: str | None = None
    temperature: float | None = None
    timeout: float = 600.0


@dataclass(frozen=True)
class BatchStatus:
    ended: bool
    done: int
    total: int


@dataclass(frozen=True)
class BatchResult:
    """One request's outcome in a finished batch: its raw answer, or why it has none."""

    custom_id: str
    raw: dict | None = None
    error: str | None = None
    retryable: bool = True


class BatchAPI(ABC):
    """A provider's batch API: submit, find again, poll, download, cancel."""

    max_requests: int
    max_bytes: int

    @abstractmethod
    def entry(self, custom_id: str, body: dict) -> bytes:
        """One request as the batch carries it (its size counts toward ``max_bytes``)."""

    async def prepare(self, intent, entries: list[bytes]) -> str | None:
        """Whatever must exist before the batch (OpenAI: the uploaded input file); safe to repeat."""
        return None

    @abstractmethod
    async def create(self, intent, entries: list[bytes], prepared: str | None) -> str:
        """Create the batch in one attempt (the caller reconciles before any other); its id."""

    @abstractmethod
    async def find(self, intent, claimed: set[str], wait: Callable[[], Awaitable[None]]) -> str | None:
        """The id of a batch the provider holds for ``intent`` though it was never recorded, else ``None``."""

    @abstractmethod
    async def status(self, batch_id: str) -> BatchStatus:
        """Whether the batch has ended, and how many of its requests are done."""

    @abstractmethod
    async def results(self, batch_id: str) -> tuple[list[BatchResult], str]:
        """The outcome of every request the batch reports on, and a note on the batch's end state."""

    @abstractmethod
    async def cancel(self, batch_id: str) -> None:
        """Ask the provider to stop the batch (what finished stays downloadable)."""


class Backend(ABC):
    """Where requests go: a provider's API, an OpenAI-compatible server, or the offline template."""

    name: ClassVar[str]
    endpoint: ClassVar[str] = ""
    offline: ClassVar[bool] = False
    key_variable: ClassVar[str | None] = None
    default_model: ClassVar[str | None] = None

    def __init__(self, settings: BackendSettings):
        model = settings.model or self.default_model
        if not model:
            raise ConfigError(f"the {self.name} backend needs --model")
        self.settings, self.model = settings, model
        self.check()

    def check(self) -> None:
        """Refuse settings the provider's current API rejects."""

    @property
    def api_version(self) -> str:
        return ""

    @abstractmethod
    def body(self, request: ChatRequest) -> dict[str, Any]:
        """The exact JSON body sent for ``request``."""

    def hash(self, body: dict[str, Any]) -> str:
        return request_hash(self.name, self.endpoint, self.api_version, body)

    @abstractmethod
    async def send(self, body: dict[str, Any]) -> dict[str, Any]:
        """Send one body online; the raw JSON response."""

    @abstractmethod
    def answer(self, raw: dict[str, Any]) -> Answer:
        """The answer in a raw response (online or from a batch)."""

    def render(self, body: dict[str, Any]) -> dict[str, Any]:
        """Offline backends write the raw answer for ``body`` themselves, without sending anything."""
        raise ConfigError(f"the {self.name} backend sends requests; it writes nothing offline")

    def batch_api(self, max_requests: int | None = None, max_bytes: int | None = None) -> BatchAPI | None:
        """The provider's batch API, or ``None`` when there is none."""
        return None

    async def aclose(self) -> None:
        """Close network clients."""

    def params(self) -> dict[str, Any]:
        """The request parameters recorded with each document (``generator.params``)."""
        return {} if self.settings.temperature is None else {"temperature": self.settings.temperature}


def register_backend(name: str):
    def register(cls: type[Backend]) -> type[Backend]:
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return register


def backend_names() -> tuple[str, ...]:
    return tuple(BUILTIN_MODULES)


def backend_class(name: str) -> type[Backend]:
    if name not in BUILTIN_MODULES and name not in _REGISTRY:
        raise unknown_choice("backend", name, backend_names())
    if name not in _REGISTRY:
        importlib.import_module(BUILTIN_MODULES[name])
    return _REGISTRY[name]


def make_backend(name: str, settings: BackendSettings | None = None) -> Backend:
    return backend_class(name)(settings or BackendSettings())
