"""OpenAI-compatible completions servers (vLLM and others): log-probabilities over HTTP.

Each continuation is scored as lm-evaluation-harness scores it against such a server: the
text ``context + continuation`` is sent to ``/v1/completions`` with ``echo`` and
``logprobs`` (and ``max_tokens`` 1), and the log-probabilities of the echoed tokens that
cover the continuation are summed. Which tokens those are comes from the returned
``text_offset`` values, so no local tokenizer is needed. The top-k alternatives at the first
continuation token decide non-matches. A server that returns no log-probabilities is an
error that says so. Rate limits, server errors and timeouts are retried (honouring
``Retry-After``); a prompt the server refuses as too long for its context is skipped.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from alignment_data.errors import ConfigError, FatalError, MissingExtraError, RetryableError
from alignment_data.eval.backends import base
from alignment_data.options import option

CONTEXT_ERRORS = ("maximum context length", "context length", "too long", "max_model_len")


@dataclass(frozen=True)
class OpenAIOptions:
    base_url: str = option("http://127.0.0.1:8000/v1", "the server's API root, including /v1", metavar="URL")
    api_key_env: str = option("OPENAI_API_KEY", "environment variable holding the API key (sent only when set)", metavar="NAME")
    batch_size: int = option(32, base.BATCH_SIZE_HELP)
    concurrency: int = option(4, "requests in flight at once")
    timeout: float = option(120.0, "seconds to wait for one request")
    max_retries: int = option(5, "retries of a rate-limited, failed or timed-out request")
    tokenizer: str | None = option(None, base.TOKENIZER_HELP, metavar="FOLDER")


class _TooLong(Exception):
    """The server refused a prompt as longer than its context."""


@base.register_backend("openai", OpenAIOptions)
class OpenAIBackend(base.Backend):
    """A model served behind ``POST {base_url}/completions``."""

    def __init__(self, model: str, options: OpenAIOptions | None = None, transport: Any = None):
        try:
            import httpx
        except ImportError:
            raise MissingExtraError("the openai backend needs httpx: pip install 'alignment-data[eval]'") from None
        self.model, self.options = model, options or OpenAIOptions()
        if self.options.batch_size < 1 or self.options.concurrency < 1:
            raise ConfigError("--batch-size and --concurrency must be at least 1")
        key = os.environ.get(self.options.api_key_env)
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self.httpx = httpx
        self.client = httpx.Client(base_url=self.options.base_url.rstrip("/"), headers=headers, timeout=self.options.timeout,
                                   transport=transport)
        self._template = None
        if self.options.tokenizer:
            from alignment_data.eval.backends.hf import load_tokenizer

            tokenizer = load_tokenizer(self.options.tokenizer)
            if getattr(tokenizer, "chat_template", None):
                self._template = lambda messages: tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)

    @classmethod
    def from_options(cls, model: str, options: OpenAIOptions | None = None) -> OpenAIBackend:
        return cls(model, options)

    def describe(self) -> dict:
        return {"backend": self.name, "model": self.model, "base_url": self.options.base_url}

    def chat_template(self):
        return self._template

    def close(self) -> None:
        self.client.close()

    def _post(self, prompts: list[str], top_k: int) -> list[dict]:
        payload = {"model": self.model, "prompt": prompts, "max_tokens": 1, "temperature": 0.0, "echo": True, "logprobs": top_k}
        for attempt in range(self.options.max_retries + 1):
            try:
                return self._post_once(payload)
            except RetryableError as error:
                if attempt == self.options.max_retries:
                    raise
                time.sleep(error.retry_after if error.retry_after is not None else min(2.0 ** attempt, 30.0))
        raise AssertionError("unreachable")

    def _post_once(self, payload: dict) -> list[dict]:
        url = f"{self.options.base_url.rstrip('/')}/completions"
        try:
            response = self.client.post("/completions", json=payload)
        except self.httpx.TimeoutException as error:
            raise RetryableError(f"{url}: timed out ({error})") from None
        except self.httpx.TransportError as error:
            raise RetryableError(f"{url}: {type(error).__name__}: {error}") from None
        if response.status_code == 429 or response.status_code >= 500:
            retry_after = response.headers.get("retry-after")
            raise RetryableError(f"{url}: HTTP {response.status_code}", float(retry_after) if retry_after else None,
                                 response.status_code)
        if response.status_code >= 400:
            text = response.text[:500]
            if response.status_code == 400 and any(marker in text.lower() for marker in CONTEXT_ERRORS):
                raise _TooLong(text)
            raise FatalError(f"{url}: HTTP {response.status_code}: {text}", response.status_code)
        choices = sorted(response.json().get("choices", []), key=lambda choice: choice.get("index", 0))
        if len(choices) != len(payload["prompt"]):
            raise FatalError(f"{url}: sent {len(payload['prompt'])} prompts, got {len(choices)} choices back")
        for choice in choices:
            logprobs = choice.get("logprobs")
            if not logprobs or not logprobs.get("token_logprobs") or logprobs.get("text_offset") is None:
                raise FatalError(f"{url}: the server returned no log-probabilities; scoring needs a completions endpoint "
                                 "that honours 'logprobs' with 'echo' and returns text_offset (vLLM does; chat-only or "
                                 "hosted APIs often do not)")
        return choices

    def _score_batch(self, batch: list[tuple[int, str, str]], top_k: int) -> dict[int, tuple[float, int, dict, str] | None]:
        """``{key: (log-probability, tokens, top alternatives at its first token, that token)}`` per (key, context, continuation)."""
        try:
            choices = self._post([context + continuation for _, context, continuation in batch], top_k)
        except _TooLong:
            if len(batch) == 1:
                return {batch[0][0]: None}
            out: dict = {}
            for item in batch:  # find which prompts are too long
                out.update(self._score_batch([item], top_k))
            return out
        return {key: continuation_logprob(choice["logprobs"], len(context), len(context) + len(cont))
                for (key, context, cont), choice in zip(batch, choices)}

    def score(self, requests: Sequence[base.Request], top_k: int = base.DEFAULT_TOP_K) -> list[base.Scores | None]:
        items = []
        for index, request in enumerate(requests):
            for j, continuation in enumerate(request.continuations):
                context, cont = base.move_trailing_space(request.context, continuation)
                items.append(((index, j), context, cont))
        size = self.options.batch_size
        batches = [items[start:start + size] for start in range(0, len(items), size)]
        scored: dict = {}
        with ThreadPoolExecutor(self.options.concurrency) as pool:
            for part in pool.map(lambda batch: self._score_batch(batch, top_k), batches):
                scored.update(part)
        results: list[base.Scores | None] = []
        for index, request in enumerate(requests):
            parts = [scored[(index, j)] for j in range(len(request.continuations))]
            if any(part is None for part in parts):
                results.append(None)
                continue
            top = parts[0][2]
            match = any(token in top for *_, token in parts) if top else None
            results.append(base.Scores(tuple(p[0] for p in parts), tuple(p[1] for p in parts), match))
        return results


def continuation_logprob(logprobs: dict, start: int, end: int) -> tuple[float, int, dict, str]:
    """Sum the echoed log-probabilities of the tokens covering characters ``[start, end)``.

    A token spans from its ``text_offset`` to the next token's; the one holding character
    ``start`` is the continuation's first (a token across the boundary counts to the
    continuation). Tokens from ``end`` on (the generated one) are left out.
    """
    offsets, values = logprobs["text_offset"], logprobs["token_logprobs"]
    ends = [*offsets[1:], end]
    indices = [i for i, (first, last) in enumerate(zip(offsets, ends)) if first < end and last > start]
    if not indices:
        raise FatalError("the server's echoed tokens do not cover the continuation")
    if any(values[i] is None for i in indices):
        raise FatalError("the server returned no log-probability for a continuation token (the prompt's first token?)")
    tops = logprobs.get("top_logprobs") or []
    first = indices[0]
    top = tops[first] if first < len(tops) and tops[first] else {}
    return float(sum(values[i] for i in indices)), len(indices), top, logprobs["tokens"][first]
