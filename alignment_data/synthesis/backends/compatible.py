"""Any OpenAI-compatible server (vLLM, llama.cpp's server, Ollama, hosted ones) by base URL.

The same client as the OpenAI backend, with ``max_tokens`` (what these servers all read),
a temperature when asked (they take one), no batch API, and a key only if the server wants
one (``OPENAI_API_KEY`` when set; a placeholder otherwise, since the SDK insists on one).
"""

from __future__ import annotations

import os

from alignment_data.errors import ConfigError
from alignment_data.synthesis.backends.base import BatchAPI, register_backend
from alignment_data.synthesis.backends.openai import OpenAIBackend


@register_backend("openai-compatible")
class OpenAICompatibleBackend(OpenAIBackend):
    """An OpenAI-compatible server at ``--base-url`` (or ``OPENAI_BASE_URL``)."""

    key_required = False
    max_tokens_field = "max_tokens"

    def check(self) -> None:
        if not (self.settings.base_url or os.environ.get("OPENAI_BASE_URL")):
            raise ConfigError("the openai-compatible backend needs the server's address: --base-url "
                              "http://HOST:PORT/v1 (or the environment variable OPENAI_BASE_URL)")

    @property
    def api_version(self) -> str:
        return f"v1@{self.settings.base_url or os.environ.get('OPENAI_BASE_URL', '')}"

    def batch_api(self, max_requests: int | None = None, max_bytes: int | None = None) -> BatchAPI | None:
        return None
