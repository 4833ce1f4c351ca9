"""OpenAI: chat completions online, and the Files + Batch APIs.

Bodies use ``max_completion_tokens`` (``max_tokens`` is deprecated and refused by reasoning
models) and carry ``temperature`` only when asked: GPT-5-family and o-series models take no
custom temperature, so diversity comes from the prompts. Batches are one JSONL input file
each (at most 50,000 requests and 200 MB), created with the run and intent in their
``metadata``, which is how a restart finds a batch whose id was never recorded.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from alignment_data.errors import ConfigError
from alignment_data.synthesis.backends.base import BatchAPI, BatchResult, BatchStatus, register_backend
from alignment_data.synthesis.backends.sdk import SDKBackend, parse_json_body, sdk_call
from alignment_data.synthesis.requests import FINISH_FILTERED, FINISH_LENGTH, FINISH_REFUSAL, FINISH_STOP, Answer, ChatRequest
from alignment_data.synthesis.retry import RETRYABLE_STATUSES

NO_TEMPERATURE_PREFIXES = ("gpt-5", "gpt-6", "o1", "o3", "o4")
BATCH_ENDPOINT = "/v1/chat/completions"
ENDED = ("completed", "failed", "expired", "cancelled")
RUN_KEY, INTENT_KEY = "alignment_data_run", "alignment_data_intent"
LIST_SLACK_SECONDS = 3600


def takes_temperature(model: str) -> bool:
    return not model.startswith(NO_TEMPERATURE_PREFIXES)


@register_backend("openai")
class OpenAIBackend(SDKBackend):
    """The OpenAI API (``OPENAI_API_KEY``; ``--base-url`` or ``OPENAI_BASE_URL`` for another host)."""

    endpoint = BATCH_ENDPOINT
    key_variable = "OPENAI_API_KEY"
    sdk_module, client_class = "openai", "AsyncOpenAI"
    max_tokens_field = "max_completion_tokens"

    def check(self) -> None:
        if self.settings.temperature is not None and not takes_temperature(self.model):
            raise ConfigError(f"{self.model} takes no custom temperature (GPT-5-family and o-series models): "
                              "leave --temperature out; documents get their variety from the prompts")

    @property
    def api_version(self) -> str:
        return "v1"

    def body(self, request: ChatRequest) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": "system", "content": request.system}, {"role": "user", "content": request.user}],
            self.max_tokens_field: request.max_tokens,
        }
        if self.settings.temperature is not None:
            body["temperature"] = self.settings.temperature
        if request.json_schema is not None:
            body["response_format"] = {"type": "json_schema",
                                       "json_schema": {"name": request.schema_name, "schema": request.json_schema, "strict": True}}
        return body

    async def send(self, body: dict[str, Any]) -> dict[str, Any]:
        response = await sdk_call(lambda: self.client.chat.completions.with_raw_response.create(**body), self.sdk,
                                  f"{self.name} chat completion")
        return parse_json_body(response.content, f"{self.name} chat completion")

    def answer(self, raw: dict[str, Any]) -> Answer:
        choice = raw["choices"][0]
        message = choice.get("message") or {}
        usage = raw.get("usage") or {}
        finish = {"length": FINISH_LENGTH, "content_filter": FINISH_FILTERED}.get(choice.get("finish_reason"), FINISH_STOP)
        if message.get("refusal"):
            finish = FINISH_REFUSAL
        return Answer(message.get("content") or message.get("refusal") or "", finish,
                      int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0))

    def batch_api(self, max_requests: int | None = None, max_bytes: int | None = None) -> BatchAPI:
        return OpenAIBatches(self, max_requests or 50_000, max_bytes or 200 * 1024 * 1024)


class OpenAIBatches(BatchAPI):
    """Files + Batch API: upload the JSONL, create the batch with metadata, poll, read both files."""

    def __init__(self, backend: OpenAIBackend, max_requests: int, max_bytes: int):
        self.backend, self.max_requests, self.max_bytes = backend, max_requests, max_bytes

    def _call(self, call, what: str):
        return sdk_call(call, self.backend.sdk, f"openai batches: {what}")

    def entry(self, custom_id: str, body: dict) -> bytes:
        return orjson.dumps({"custom_id": custom_id, "method": "POST", "url": BATCH_ENDPOINT, "body": body}) + b"\n"

    async def prepare(self, intent, entries: list[bytes]) -> str:
        """Upload the input file (safe to repeat: an unused file costs nothing); its id."""
        content = (f"{intent.intent}.jsonl", b"".join(entries), "application/jsonl")
        uploaded = await self._call(lambda: self.backend.client.files.create(file=content, purpose="batch"), "upload")
        return uploaded.id

    async def create(self, intent, entries: list[bytes], prepared: str | None) -> str:
        metadata = {RUN_KEY: intent.run, INTENT_KEY: intent.intent}
        batch = await self._call(lambda: self.backend.client.batches.create(
            input_file_id=prepared, endpoint=BATCH_ENDPOINT, completion_window="24h", metadata=metadata), "create")
        return batch.id

    async def find(self, intent, claimed: set[str], wait: Callable[[], Awaitable[None]]) -> str | None:
        since = (intent.submit_started or intent.created) - LIST_SLACK_SECONDS
        page = await self._call(lambda: self.backend.client.batches.list(limit=100), "list")
        while True:
            for batch in page.data:
                if (batch.metadata or {}).get(INTENT_KEY) == intent.intent and batch.id not in claimed:
                    return batch.id
            if not page.data or page.data[-1].created_at < since or not page.has_more:
                return None
            after = page.data[-1].id
            page = await self._call(lambda after=after: self.backend.client.batches.list(limit=100, after=after), "list")

    async def status(self, batch_id: str) -> BatchStatus:
        batch = await self._call(lambda: self.backend.client.batches.retrieve(batch_id), "retrieve")
        counts = batch.request_counts
        done = (counts.completed + counts.failed) if counts else 0
        return BatchStatus(batch.status in ENDED, done, counts.total if counts else 0)

    async def _lines(self, file_id: str | None) -> list[dict]:
        if not file_id:
            return []
        content = await self._call(lambda: self.backend.client.files.content(file_id), "download")
        return [parse_json_body(line, "openai batches: download") for line in content.content.splitlines() if line.strip()]

    async def results(self, batch_id: str) -> tuple[list[BatchResult], str]:
        batch = await self._call(lambda: self.backend.client.batches.retrieve(batch_id), "retrieve")
        results = []
        for line in await self._lines(batch.output_file_id) + await self._lines(batch.error_file_id):
            results.append(_result(line))
        note = batch.status
        if batch.status == "failed" and batch.errors and batch.errors.data:
            note += ": " + "; ".join(f"{error.code}: {error.message}" for error in batch.errors.data[:3])
        return results, note

    async def cancel(self, batch_id: str) -> None:
        await self._call(lambda: self.backend.client.batches.cancel(batch_id), "cancel")


def _result(line: dict) -> BatchResult:
    response, error = line.get("response") or {}, line.get("error") or {}
    status = response.get("status_code")
    if status == 200 and isinstance(response.get("body"), dict):
        return BatchResult(line["custom_id"], raw=response["body"])
    if status is not None:
        body_error = (response.get("body") or {}).get("error") or {}
        retryable = status in RETRYABLE_STATUSES or status >= 500
        return BatchResult(line["custom_id"], error=f"HTTP {status}: {body_error.get('message', '')}".strip(), retryable=retryable)
    return BatchResult(line["custom_id"], error=f"{error.get('code', 'error')}: {error.get('message', '')}", retryable=True)
