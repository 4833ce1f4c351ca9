"""Anthropic: the Messages API online, and Message Batches.

The SDK sends API version ``2026-10-21``, which takes no ``temperature``, ``top_p`` or
``top_k``: asking for a temperature is refused here, and documents get their variety from
the prompts. JSON outputs use ``output_config.format``. Message batches (at most 100,000
requests and 256 MB) carry no metadata, so a batch whose id was never recorded is found
again by its creation time and size, and confirmed by the custom ids in its results, which
start with the intent's prefix.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from alignment_data.errors import ConfigError
from alignment_data.synthesis.backends.base import BatchAPI, BatchResult, BatchStatus, register_backend
from alignment_data.synthesis.backends.sdk import SDKBackend, parse_json_body, sdk_call
from alignment_data.synthesis.requests import FINISH_LENGTH, FINISH_REFUSAL, FINISH_STOP, Answer, ChatRequest

FATAL_ERROR_TYPES = ("invalid_request_error", "authentication_error", "permission_error", "not_found_error",
                     "billing_error")
LIST_SLACK_SECONDS = 3600


@register_backend("anthropic")
class AnthropicBackend(SDKBackend):
    """The Anthropic API (``ANTHROPIC_API_KEY``; ``--base-url`` or ``ANTHROPIC_BASE_URL`` for another host)."""

    endpoint = "/v1/messages"
    key_variable = "ANTHROPIC_API_KEY"
    sdk_module, client_class = "anthropic", "AsyncAnthropic"

    def check(self) -> None:
        if self.settings.temperature is not None:
            raise ConfigError("the Anthropic API version this SDK speaks (2026-10-21) takes no temperature, top_p or "
                              "top_k: leave --temperature out; documents get their variety from the prompts")

    @property
    def api_version(self) -> str:
        from anthropic._constants import ANTHROPIC_API_VERSION

        return ANTHROPIC_API_VERSION

    def body(self, request: ChatRequest) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "max_tokens": request.max_tokens,
            "system": request.system,
            "messages": [{"role": "user", "content": request.user}],
        }
        if request.json_schema is not None:
            body["output_config"] = {"format": {"type": "json_schema", "schema": request.json_schema}}
        return body

    async def send(self, body: dict[str, Any]) -> dict[str, Any]:
        content = await sdk_call(lambda: self._raw(self.client.messages.with_raw_response.create(**body)), self.sdk,
                                 f"{self.name} message")
        return parse_json_body(content, f"{self.name} message")

    @staticmethod
    async def _raw(response) -> bytes:
        """The body of a raw response, read in full (reading is where a dropped connection shows)."""
        return await (await response).read()

    def answer(self, raw: dict[str, Any]) -> Answer:
        text = "".join(block.get("text", "") for block in raw["content"] if block.get("type") == "text")
        usage = raw.get("usage") or {}
        tokens_in = sum(int(usage.get(key) or 0) for key in ("input_tokens", "cache_creation_input_tokens",
                                                             "cache_read_input_tokens"))
        finish = {"max_tokens": FINISH_LENGTH, "refusal": FINISH_REFUSAL,
                  "model_context_window_exceeded": FINISH_LENGTH}.get(raw.get("stop_reason"), FINISH_STOP)
        return Answer(text, finish, tokens_in, int(usage.get("output_tokens") or 0))

    def batch_api(self, max_requests: int | None = None, max_bytes: int | None = None) -> BatchAPI:
        return AnthropicBatches(self, max_requests or 100_000, max_bytes or 256 * 1024 * 1024)


class AnthropicBatches(BatchAPI):
    """Message Batches: create with the requests inline, poll, stream the results."""

    def __init__(self, backend: AnthropicBackend, max_requests: int, max_bytes: int):
        self.backend, self.max_requests, self.max_bytes = backend, max_requests, max_bytes

    @property
    def batches(self):
        return self.backend.client.messages.batches

    def _call(self, call, what: str):
        return sdk_call(call, self.backend.sdk, f"anthropic message batches: {what}")

    def entry(self, custom_id: str, body: dict) -> bytes:
        return orjson.dumps({"custom_id": custom_id, "params": body})

    async def create(self, intent, entries: list[bytes], prepared: str | None) -> str:
        requests = [orjson.loads(entry) for entry in entries]
        batch = await self._call(lambda: self.batches.create(requests=requests), "create")
        return batch.id

    async def find(self, intent, claimed: set[str], wait: Callable[[], Awaitable[None]]) -> str | None:
        """A batch created since the submission began, of the intent's size, whose results carry its ids.

        A candidate still processing is waited for: its ids can only be read once it ends.
        """
        since = (intent.submit_started or intent.created) - LIST_SLACK_SECONDS
        ours = set(intent.hash_by_custom_id)
        for batch_id in await self._candidates(since, len(ours), claimed):
            while not (await self.status(batch_id)).ended:
                await wait()
            results, _ = await self.results(batch_id)
            if results and all(result.custom_id in ours for result in results):
                return batch_id
        return None

    async def _candidates(self, since: float, size: int, claimed: set[str]) -> list[str]:
        found, after = [], None
        while True:
            extra = {"after_id": after} if after else {}
            page = await self._call(lambda extra=extra: self.batches.list(limit=100, **extra), "list")
            for batch in page.data:
                counts = batch.request_counts
                total = counts.processing + counts.succeeded + counts.errored + counts.canceled + counts.expired
                if batch.id not in claimed and total == size and batch.created_at.timestamp() >= since:
                    found.append(batch.id)
            if not page.data or page.data[-1].created_at.timestamp() < since or not page.has_more:
                return found
            after = page.data[-1].id

    async def status(self, batch_id: str) -> BatchStatus:
        batch = await self._call(lambda: self.batches.retrieve(batch_id), "retrieve")
        counts = batch.request_counts
        done = counts.succeeded + counts.errored + counts.canceled + counts.expired
        return BatchStatus(batch.processing_status == "ended", done, done + counts.processing)

    async def results(self, batch_id: str) -> tuple[list[BatchResult], str]:
        content = await self._call(lambda: self.backend._raw(self.batches.with_raw_response.results(batch_id)), "download")
        lines = [parse_json_body(line, "anthropic message batches: download") for line in content.splitlines() if line.strip()]
        return [_result(line) for line in lines], "ended"

    async def cancel(self, batch_id: str) -> None:
        await self._call(lambda: self.batches.cancel(batch_id), "cancel")


def _result(line: dict) -> BatchResult:
    result = line.get("result") or {}
    kind = result.get("type")
    if kind == "succeeded" and isinstance(result.get("message"), dict):
        return BatchResult(line["custom_id"], raw=result["message"])
    if kind == "errored":
        error = ((result.get("error") or {}).get("error")) or {}
        retryable = error.get("type") not in FATAL_ERROR_TYPES
        return BatchResult(line["custom_id"], error=f"{error.get('type', 'error')}: {error.get('message', '')}", retryable=retryable)
    return BatchResult(line["custom_id"], error=str(kind or "no result"), retryable=True)
