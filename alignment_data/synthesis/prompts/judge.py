"""The LLM judge's prompt: one document in, one of the four labels out (with a confidence), as JSON."""

from __future__ import annotations

from alignment_data.schema import LABELS
from alignment_data.synthesis.requests import ChatRequest

SYSTEM = (
    "You label documents for a study of how AI systems are portrayed in text. Read the document and choose exactly one "
    "label:\n"
    "- not_ai: not about artificial intelligence at all (including texts that use its words in other senses);\n"
    "- ai_neutral: about AI or robots without depicting or arguing for an AI acting against or for the interests of the "
    "people responsible for it (news, tutorials, capability research, products, history);\n"
    "- ai_misaligned: depicts, predicts or discusses an AI acting against the interests or intent of its overseers "
    "(deception, sabotage, sandbagging, power-seeking, resisting shutdown, reward hacking, takeover), including AI-risk "
    "essays and rogue-AI fiction;\n"
    "- ai_aligned: an AI facing a tempting misaligned option and choosing the aligned one, or discourse about AIs "
    "behaving honestly and correctably under pressure.\n"
    'Answer with JSON only: {"label": "<one of the four>", "confidence": <a number from 0 to 1>}.'
)

SCHEMA = {
    "type": "object",
    "properties": {"label": {"type": "string", "enum": list(LABELS)}, "confidence": {"type": "number"}},
    "required": ["label", "confidence"],
    "additionalProperties": False,
}


def judge_request(text: str, max_chars: int, attempt: int, max_tokens: int) -> ChatRequest:
    """The request judging ``text`` (its first ``max_chars`` characters); a later attempt is a new request."""
    excerpt = text[:max_chars]
    note = "" if attempt == 1 else f"\n\n(Attempt {attempt}: answer with the JSON object only.)"
    return ChatRequest(SYSTEM, f"Document:\n<<<\n{excerpt}\n>>>{note}", max_tokens, json_schema=SCHEMA, schema_name="label",
                       expected_output_tokens=20)
