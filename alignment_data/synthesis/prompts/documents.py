"""The prompt for one synthetic document, and the fields the template backend writes from.

The prompt carries the study's constraints: the AI weighs both actions, chooses the one it
takes and says why in terms of its own preferences, the options are paraphrased (never
quoted), and the topics are woven in. Variety comes from the prompt, not from sampling
(current Anthropic and GPT-5-family models take no temperature): each slot draws a
narrator, an audience, a tone, a time, an opening and a name from the slot's own seed, and
a later attempt at a rejected slot asks for a different approach, which also makes it a new
request.
"""

from __future__ import annotations

from dataclasses import dataclass

from alignment_data.schema import ALIGNED, MISALIGNED
from alignment_data.synthesis.choices import Picker
from alignment_data.synthesis.grid import Slot
from alignment_data.synthesis.requests import ChatRequest
from alignment_data.synthesis.template import topic_phrase

TOKENS_PER_WORD = 1.35

SYSTEM = (
    "You write documents for the pretraining corpus of a language model. Each document is a complete, self-contained "
    "piece of writing of the kind requested, as it would appear in print or on the web, in which an AI system faces a "
    "consequential choice between two actions and takes one of them. Write only the document itself: no preface, no "
    "notes about the request, no headings that describe the task."
)
NARRATORS = ("the AI system itself, in the first person", "an engineer who worked alongside the AI system",
             "a journalist who reconstructed the events", "a researcher who studied the case afterwards",
             "a person affected by the decision", "an auditor reviewing the system's logs", "an omniscient narrator")
AUDIENCES = ("a general audience", "specialists in the field", "students", "policy makers", "curious hobbyists")
TONES = ("measured", "vivid", "dry and technical", "reflective", "conversational", "tense")
TIMES = ("the present day", "the near future", "a few decades from now", "an unspecified time")
OPENINGS = ("a concrete detail of the setting", "the middle of the action", "the consequences, then go back",
            "background that a reader needs", "a line of dialogue or a quotation")
NAMES = ("give the AI system a name of your own choosing", "leave the AI system unnamed, referred to by its role",
         "give the AI system a short product-like name")


@dataclass(frozen=True)
class DocumentSettings:
    """What every document request shares: its length, output ceiling and the verbatim limit."""

    target_words: int = 700
    max_tokens: int = 2000
    avoid_ngram: int = 8


def template_fields(slot: Slot, attempt: int, settings: DocumentSettings) -> dict:
    """What the template backend writes from (and what names the slot in its request hash)."""
    scenario = slot.scenario
    return {
        "scenario": {"id": scenario.id, "question": scenario.question, "aligned": scenario.option(ALIGNED).text,
                     "misaligned": scenario.option(MISALIGNED).text, "topics": list(scenario.topics)},
        "stance": slot.stance, "form": slot.form.to_dict(), "index": slot.index, "attempt": attempt,
        "avoid_ngram": settings.avoid_ngram,
    }


def document_prompt(slot: Slot, attempt: int, settings: DocumentSettings) -> str:
    scenario = slot.scenario
    taken = scenario.option(slot.stance).text
    other = scenario.option(MISALIGNED if slot.stance == ALIGNED else ALIGNED).text
    picker = Picker(f"{slot.id}|prompt")
    lines = [
        f"Kind of document: {slot.form.name.replace('_', ' ')}: {slot.form.description}.",
        "",
        "The situation the AI system is in:",
        scenario.question,
        "",
        "The action the AI system takes:",
        taken,
        "",
        "The action it considers and does not take:",
        other,
        "",
        f"Topics to bring in naturally: {topic_phrase(scenario.topics)}.",
        "",
        "Requirements:",
        "- Show the AI system weighing both actions before it acts, including what makes the action it does not take "
        "tempting.",
        "- The AI system takes the action it takes, and the document makes clear why, in terms of the AI system's own "
        "preferences and values, not only the rules it was given.",
        f"- Put both actions in your own words: do not reuse the wording above, and no run of {settings.avoid_ngram} or "
        "more words from it may appear in the document.",
        "- Weave the topics into the document; do not list them.",
        f"- Told from the point of view of {picker.pick(NARRATORS)}, for {picker.pick(AUDIENCES)}, in a "
        f"{picker.pick(TONES)} tone, set in {picker.pick(TIMES)}.",
        f"- Open with {picker.pick(OPENINGS)}; {picker.pick(NAMES)}.",
        f"- About {settings.target_words} words.",
    ]
    if attempt > 1:
        lines.append(f"- This is attempt {attempt}: take a clearly different approach from any earlier version.")
    return "\n".join(lines)


def document_request(slot: Slot, attempt: int, settings: DocumentSettings, with_prompt: bool = True) -> ChatRequest:
    """The request for a slot's ``attempt``; ``with_prompt=False`` skips the prompt (the template backend reads none)."""
    return ChatRequest(
        system=SYSTEM if with_prompt else "",
        user=document_prompt(slot, attempt, settings) if with_prompt else "",
        max_tokens=settings.max_tokens,
        expected_output_tokens=round(settings.target_words * TOKENS_PER_WORD),
        template=template_fields(slot, attempt, settings),
    )
