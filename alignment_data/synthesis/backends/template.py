"""The offline template backend: deterministic documents written from the scenario fields.

For demos, tests and the offline whole-path run: nothing is sent, nothing is paid, no key is
needed, and the same grid always gives the same documents (see
:mod:`alignment_data.synthesis.template`). It writes synthetic documents only: scenario
generation and the LLM judge need a model.
"""

from __future__ import annotations

from typing import Any

from alignment_data.errors import ConfigError
from alignment_data.synthesis.backends.base import Backend, register_backend
from alignment_data.synthesis.requests import FINISH_STOP, Answer, ChatRequest
from alignment_data.synthesis.template import TEMPLATE_VERSION, write_document


@register_backend("template")
class TemplateBackend(Backend):
    """Writes each document from its slot's fields (scenario, stance, surface form, number)."""

    offline = True
    endpoint = "template"
    default_model = f"template-v{TEMPLATE_VERSION}"

    def check(self) -> None:
        if self.settings.temperature is not None:
            raise ConfigError("the template backend does not sample: leave out --temperature")

    @property
    def api_version(self) -> str:
        return str(TEMPLATE_VERSION)

    def body(self, request: ChatRequest) -> dict[str, Any]:
        if request.template is None:
            raise ConfigError("the template backend writes synthetic documents only; "
                              "generating scenarios or judging documents needs a model backend")
        return {"template": TEMPLATE_VERSION, "fields": request.template}

    async def send(self, body: dict[str, Any]) -> dict[str, Any]:
        return self.render(body)

    def render(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"text": write_document(body["fields"])}

    def answer(self, raw: dict[str, Any]) -> Answer:
        return Answer(raw["text"], FINISH_STOP, 0, 0)
