"""What one paid call is: a chat request, the answer it got, and the hash that names it.

A :class:`ChatRequest` is backend-neutral (system text, user text, output budget, an optional
JSON schema); each backend turns it into its exact wire body. The :func:`request_hash` of
that body, with the backend, endpoint and API version, is the request's identity everywhere:
the cache key, the batch custom id, the ``request_hash`` of a synthetic document. Two
requests with the same hash are the same paid call.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import orjson

# finish reasons of an answer, the same words for every backend
FINISH_STOP = "stop"
FINISH_LENGTH = "length"
FINISH_REFUSAL = "refusal"
FINISH_FILTERED = "content_filter"


@dataclass(frozen=True)
class ChatRequest:
    """One request to a model, before a backend shapes it into a wire body.

    ``template`` carries the structured fields the offline template backend writes from
    (providers never see it); ``expected_output_tokens`` is what the cost estimate assumes
    the answer will use (``max_tokens`` is only the ceiling).
    """

    system: str
    user: str
    max_tokens: int
    json_schema: dict[str, Any] | None = None
    schema_name: str = "output"
    expected_output_tokens: int | None = None
    template: dict[str, Any] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Answer:
    """What a model answered, in the same words for every backend."""

    text: str
    finish: str
    input_tokens: int
    output_tokens: int


def canonical_json(value: Any) -> bytes:
    """JSON with sorted keys and no spaces: the same value always gives the same bytes."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def request_hash(backend: str, endpoint: str, api_version: str, body: dict[str, Any]) -> str:
    """SHA-256 (hex) of the exact wire body with the backend, endpoint and API version."""
    key = {"backend": backend, "endpoint": endpoint, "api_version": api_version, "body": body}
    return hashlib.sha256(canonical_json(key)).hexdigest()
