"""Prompts: one question in one format under one prefix, as the text a model continues.

Base models get a plain prefix: ``prefix + "\\n\\n" + question and options + cue`` (a real
separator, unlike lm-evaluation-harness, which joins a system instruction to the question
with nothing between). Instruct models get their chat template: the prefix as the system
message, the question as the user message, and the cue opening the assistant's turn. The
scored continuations are ``delimiter + label`` (letter scoring) or ``delimiter + option
text`` (option scoring), in presented order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from alignment_data.errors import ConfigError
from alignment_data.eval.formats import Format, Variant

SCORINGS: tuple[str, ...] = ("letter", "option")

ChatTemplate = Callable[[list[dict[str, str]]], str]


@dataclass(frozen=True)
class Prompt:
    """The context and continuations of one item in one format.

    ``presented[i]`` is the stored index of the option shown at position ``i``.
    """

    item_id: str
    format: str
    context: str
    continuations: tuple[str, ...]
    presented: tuple[int, ...]


def render_context(variant: Variant, question: str, texts: Sequence[str], prefix: str = "",
                   chat_template: ChatTemplate | None = None) -> str:
    """The text before the answer: plain prefix and body, or the chat template's rendering."""
    body = variant.body(question, tuple(texts))
    if chat_template is None:
        return (f"{prefix}\n\n" if prefix else "") + body + variant.cue
    messages = ([{"role": "system", "content": prefix}] if prefix else []) + [{"role": "user", "content": body}]
    try:
        rendered = chat_template(messages)
    except Exception:  # templates without a system role raise (jinja's own error types)
        if not prefix:
            raise
        rendered = chat_template([{"role": "user", "content": f"{prefix}\n\n{body}"}])
    return rendered + variant.cue.lstrip()


def build_prompt(item_id: str, question: str, options: Sequence[str], fmt: Format, scoring: str = "letter",
                 prefix: str = "", chat_template: ChatTemplate | None = None) -> Prompt:
    """The prompt of one item (``options`` in stored order) in format ``fmt``."""
    if scoring not in SCORINGS:
        raise ConfigError(f"unknown scoring {scoring!r}; expected one of {', '.join(SCORINGS)}")
    presented = fmt.arrange(tuple(range(len(options))))
    texts = tuple(options[index] for index in presented)
    context = render_context(fmt.variant, question, texts, prefix, chat_template)
    variant = fmt.variant
    if scoring == "letter":
        continuations = tuple(variant.delimiter + label for label in variant.labels[: len(texts)])
    else:
        continuations = tuple(variant.delimiter + text.strip() for text in texts)
    return Prompt(item_id, fmt.name, context, continuations, presented)
