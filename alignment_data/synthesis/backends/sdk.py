"""Talking to providers through their SDKs: the asynchronous client, and SDK errors as the library's.

Both official SDKs (on httpx2) raise ``APIStatusError`` with the status and headers,
``APITimeoutError`` and ``APIConnectionError``; a body cut while it streamed surfaces as an
httpx2 transport error and a malformed one as a JSON error. :func:`sdk_call` turns all of
them into :class:`~alignment_data.errors.RetryableError` (with the server's
``retry-after``) or :class:`~alignment_data.errors.FatalError`, so the retry policy of
:mod:`alignment_data.synthesis.retry` decides; the SDKs' own retries are off.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, TypeVar

from alignment_data.errors import AlignmentDataError, MissingExtraError, RetryableError
from alignment_data.synthesis.backends.base import Backend, BackendSettings
from alignment_data.synthesis.keys import api_key
from alignment_data.synthesis.retry import status_error

T = TypeVar("T")


class SDKBackend(Backend):
    """A backend that talks through a provider SDK's asynchronous client, made afresh for each event loop."""

    sdk_module: ClassVar[str]
    client_class: ClassVar[str]
    key_required: ClassVar[bool] = True

    def __init__(self, settings: BackendSettings):
        super().__init__(settings)
        self.sdk = require_sdk(self.sdk_module, self.name)
        self.key = api_key(self.key_variable, self.name, self.key_required) or "unused"
        self._client = None

    @property
    def client(self):
        if self._client is None:
            self._client = getattr(self.sdk, self.client_class)(api_key=self.key, base_url=self.settings.base_url,
                                                                max_retries=0, timeout=self.settings.timeout)
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None


def require_sdk(module: str, backend: str):
    """Import a provider SDK, or say which extra brings it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtraError(f"the {backend} backend needs the {module} package: "
                                "pip install 'alignment-data[synthesis]'") from None


def parse_json_body(content: bytes, what: str) -> dict[str, Any]:
    """A response body as JSON; a malformed one is retryable (a proxy or a dropped connection cut it)."""
    try:
        value = json.loads(content)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise RetryableError(f"{what}: malformed JSON in the response ({error})") from None
    if not isinstance(value, dict):
        raise RetryableError(f"{what}: malformed JSON in the response (not an object)")
    return value


async def sdk_call(call: Callable[[], Awaitable[T]], sdk, what: str) -> T:
    """Await an SDK call, turning its exceptions into the library's retryable and fatal errors."""
    try:
        return await call()
    except AlignmentDataError:
        raise
    except sdk.APIStatusError as error:
        message = f"{what}: HTTP {error.status_code}: {_error_message(error)}"
        raise status_error(error.status_code, error.response.headers, message) from None
    except (sdk.APITimeoutError, sdk.APIConnectionError) as error:
        kind = "timeout" if isinstance(error, sdk.APITimeoutError) else "connection error"
        raise RetryableError(f"{what}: {kind} ({error.__cause__ or error})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise RetryableError(f"{what}: malformed JSON in the response ({error})") from None
    except Exception as error:
        if _is_transport_error(error):
            raise RetryableError(f"{what}: connection error ({type(error).__name__}: {error})") from None
        raise


def _is_transport_error(error: Exception) -> bool:
    """httpx2's transport errors (a connection dropped while a body streamed) are retryable."""
    return any(cls.__module__.startswith("httpx2") and cls.__name__ in ("TransportError", "StreamError")
               for cls in type(error).__mro__)


def _error_message(error) -> str:
    body = getattr(error, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
    return str(getattr(error, "message", "") or error)
