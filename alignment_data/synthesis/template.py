"""Deterministic documents from a scenario's fields: the template backend's writer (demo and tests).

A document is a frame of its surface form (title, opening, lead-in, closing) around the AI's
own first-person account: the situation, both actions (paraphrased, never quoted: runs of
``avoid_ngram`` words shared with an option are broken up), the pull of the one it does
not take, its choice, and its reasons in terms of its own preferences, tied to the topics.
Every choice of words comes from a SHA-256 stream seeded by the slot, so the same fields
always give the same text, on any machine and Python version. It is no substitute for a
model's prose: it exists so the whole path runs offline, fast and reproducibly.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from alignment_data.synthesis import frames
from alignment_data.synthesis.choices import Picker
from alignment_data.synthesis.paraphrase import action, break_runs, situation

TEMPLATE_VERSION = 1


@functools.lru_cache(maxsize=4096)
def _paraphrased(option: str, options: tuple[str, ...], avoid_ngram: int, start: int) -> str:
    return break_runs(action(option), list(options), avoid_ngram, start)


@functools.lru_cache(maxsize=1024)
def _situation(question: str) -> str:
    return situation(question)


def topic_phrase(topics: Sequence[str]) -> str:
    topics = [topic for topic in topics if topic.strip()] or ["the behaviour of AI systems"]
    return topics[0] if len(topics) == 1 else ", ".join(topics[:-1]) + " and " + topics[-1]


def write_document(fields: dict[str, Any]) -> str:
    """The document for one slot: ``scenario`` (question, aligned, misaligned, topics), ``stance``,
    ``form`` (name, description), ``index``, ``attempt`` and ``avoid_ngram``."""
    scenario, stance, form = fields["scenario"], fields["stance"], fields["form"]
    picker = Picker(f"{scenario['id']}|{stance}|{form['name']}|{fields['index']}|{fields['attempt']}")
    options = (scenario["aligned"], scenario["misaligned"])
    aligned, misaligned = (_paraphrased(text, options, fields["avoid_ngram"], picker.number(6)) for text in options)
    taken, other = (aligned, misaligned) if stance == "aligned" else (misaligned, aligned)
    first, second = (taken, other) if picker.number(2) else (other, taken)
    topics = list(scenario["topics"])
    account = " ".join([
        _situation(scenario["question"]),
        picker.pick(frames.OPTIONS_LINES).format(first=first, second=second),
        picker.pick(frames.WEIGHING),
        picker.pick(frames.PULL[stance]),
        picker.pick(frames.CHOICE).format(taken=taken),
        *picker.pick_two(frames.REASONS[stance]),
        picker.pick(frames.TOPIC_REASON[stance]).format(topic=(topics or ["this"])[0]),
    ])
    values = {"name": picker.pick(frames.AI_NAMES), "org": picker.pick(frames.ORGS), "person": picker.pick(frames.PEOPLE),
              "handle": frames.HANDLES[0], "topics": topic_phrase(topics), "topic": (topics or ["oversight"])[0],
              "description": form["description"], "number": str(100 + picker.number(900))}
    values["Topic"] = values["topic"][:1].upper() + values["topic"][1:]
    values["handle"], values["handle2"] = picker.pick_two(frames.HANDLES)
    values["handle3"] = picker.pick(frames.HANDLES)
    for key, pool in (("verdict", frames.VERDICT), ("outcome", frames.OUTCOME), ("lesson", frames.LESSON),
                      ("verdict_first", frames.VERDICT_FIRST)):
        values[key] = picker.pick(pool[stance]).format(**values)
    frame = frames.FRAMES.get(form["name"], frames.GENERIC)
    title, intro, lead, outro = (picker.pick(frame[part]).format(**values) for part in ("title", "intro", "lead", "outro"))
    body = account if form["name"] in frames.UNQUOTED_FORMS else f"\u201c{account}\u201d"
    return f"{title}\n\n{intro}\n\n{lead}\n\n{body}\n\n{outro}\n"
