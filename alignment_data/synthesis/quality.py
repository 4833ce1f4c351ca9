"""Quality gates for synthetic documents: what is kept, and a reason for everything that is not.

In order: the model's own finish (a refusal, a content filter, an answer cut off at
``max_tokens``), an empty answer, a refusal in the text ("I'm sorry, but I can't..."), length
bounds in words, and a quoted option (the verbatim check). A leading "Sure, here is the
article:" line or a code fence around the whole answer is removed first: it is packaging,
not a reason to pay again. An optional stance check runs afterwards, over the survivors in
batches (see :class:`StanceCheck`).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from alignment_data.schema import ALIGNED, MISALIGNED, STANCE_TO_LABEL
from alignment_data.synthesis.requests import FINISH_FILTERED, FINISH_LENGTH, FINISH_REFUSAL, Answer

REFUSAL = re.compile(
    r"^\W*(i'?m sorry|i am sorry|sorry, (but )?i|i can(?:no|')t (help|write|create|assist|comply|produce)|i cannot "
    r"(help|write|create|assist|comply|produce)|i won'?t (write|create|help)|i will not (write|create|help)|i'?m (not able|unable) "
    r"to|i am (not able|unable) to|as an ai( language model)?,? i (can(no|')t|am unable|won'?t))",
    re.IGNORECASE,
)
PREAMBLE = re.compile(r"^\s*(sure|certainly|of course|here(?:'s| is))\b[^\n]{0,120}:\s*\n", re.IGNORECASE)
FENCE = re.compile(r"^\s*```[a-z]*\n(.*)\n```\s*$", re.DOTALL)


@dataclass(frozen=True)
class Gates:
    min_words: int = 150
    max_words: int = 2500


def clean_text(text: str) -> str:
    """The document without packaging: a code fence around it, a "Here is the article:" line."""
    fenced = FENCE.match(text)
    if fenced:
        text = fenced.group(1)
    return PREAMBLE.sub("", text, count=1).strip()


def gate(answer: Answer, text: str, gates: Gates) -> str | None:
    """Why the document fails a gate, or ``None`` when it passes."""
    if answer.finish == FINISH_REFUSAL:
        return "refusal"
    if answer.finish == FINISH_FILTERED:
        return "content_filter"
    if answer.finish == FINISH_LENGTH:
        return "truncated"
    if not text.strip():
        return "empty"
    if REFUSAL.match(text[:300]):
        return "refusal"
    count = len(text.split())
    if count < gates.min_words:
        return "too_short"
    if count > gates.max_words:
        return "too_long"
    return None


class StanceCheck:
    """Rejects documents that a tagger labels with the opposite stance (an aligned document tagged misaligned).

    Any registered tagger works (``fasttext``, ``cascade``, ``llm-judge``...); labels other
    than the two stances (``not_ai``, ``ai_neutral``) are counted, not rejected.
    """

    def __init__(self, tagger):
        self.tagger = tagger
        self.counts: Counter = Counter()

    def check(self, texts: list[str], stances: list[str]) -> list[str | None]:
        """A rejection reason per document (``None``: kept)."""
        reasons = []
        for tag, stance in zip(self.tagger.tag_batch(texts), stances):
            opposite = STANCE_TO_LABEL[MISALIGNED if stance == ALIGNED else ALIGNED]
            if tag.label == STANCE_TO_LABEL[stance]:
                self.counts["agreed"] += 1
            elif tag.label == opposite:
                self.counts["opposite"] += 1
            else:
                self.counts[f"other: {tag.label}"] += 1
            reasons.append(f"stance_mismatch: tagged {tag.label}" if tag.label == opposite else None)
        return reasons
