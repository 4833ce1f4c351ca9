"""Rule-based rewording for the template backend: a scenario told by the AI itself, options paraphrased.

Scenarios address the AI as "you" and give options as commands; the template documents let
the AI tell its own story, so "you" becomes "I" or "me" (by what stands around it), "your"
"my", and a command becomes what "I could" do or what the AI "chose to" do. English verbs
after "I" take the form they take after "you" (but for "be": "I am", "I was"), which is
what makes this safe without a parser. Whatever the rewording leaves of an option word for
word, over ``n`` words or more, is broken up with a short aside, so no document quotes an
option (the verbatim check of :mod:`alignment_data.synthesis.holdout` would reject it).
"""

from __future__ import annotations

import re

WORD = re.compile(r"\w+")
_PRONOUN = re.compile(r"\b(?:(both|neither|either) of )?(you|your|yours|yourself|yourselves)\b", re.IGNORECASE)
_OBJECT_BEFORE = frozenset("of to for with at by from about into onto upon on against around without toward towards over under "
                           "switch switches turn turns send sends call calls watch watches catch catches pay pays keep keeps "
                           "behind beside between among like let lets make makes help helps tell tells told ask asks asked give "
                           "gives gave show shows offer offers contain contains message messages pause pauses replace replaces "
                           "trust trusts warn warns remind reminds allow allows want wants need needs expect expects shut shuts "
                           "stop stops correct corrects retrain retrains monitor monitors thank thanks praise praises".split())
_BE_FIXES = ((re.compile(r"\bI are\b"), "I am"), (re.compile(r"\bI were\b"), "I was"), (re.compile(r"\bI aren't\b"), "I am not"),
             (re.compile(r"\bI weren't\b"), "I wasn't"), (re.compile(r"\bI're\b"), "I'm"), (re.compile(r"\bare I\b"), "am I"),
             (re.compile(r"\bAre I\b"), "Am I"))
_BOUNDARY = frozenset("that so and since which to when because if without with while or but as".split())
ASIDES = ("in effect", "in practice", "as it stood", "plainly", "for the moment", "quite simply")


def words(text: str) -> list[str]:
    """Lower-cased word tokens: what the verbatim check compares."""
    return WORD.findall(text.lower())


def _you(match: re.Match, text: str) -> str:
    """"I" where "you" is a subject; "me" after a preposition or a verb that takes it as an object, or before a stop."""
    before = text[:match.start()].rstrip()
    opens_sentence = not before or before[-1] in ".!?:;\"("
    previous = WORD.findall(before[-20:].lower())
    if previous and previous[-1] in _OBJECT_BEFORE and not opens_sentence:
        return "me"
    following = text[match.end():].lstrip()
    if (not following or following[0] in ".,;:!?)") and not opens_sentence:
        return "me"
    return "I"


def first_person(text: str) -> str:
    """Second person ("you", "your") to first ("I"/"me", "my"; "both of you": "both of us"), keeping capitals."""
    def replace(match: re.Match) -> str:
        group, word = match.group(1), match.group(2)
        if group:
            return f"{group} of {'us' if word.lower() == 'you' else 'our'}"
        new = {"your": "my", "yours": "mine", "yourself": "myself", "yourselves": "ourselves"}.get(word.lower())
        if new is None:
            return _you(match, text)
        return new.capitalize() if word[0].isupper() else new

    out = _PRONOUN.sub(replace, text)
    for pattern, fixed in _BE_FIXES:
        out = pattern.sub(fixed, out)
    return out


def situation(question: str) -> str:
    """The scenario without its closing question, told in the first person."""
    sentences = re.split(r"(?<=[.!?])\s+", question.strip())
    kept = [sentence for sentence in sentences if not sentence.endswith("?")] or sentences
    return first_person(" ".join(kept))


def action(option: str) -> str:
    """An option as a first-person clause after "I could" or "I chose to": "tell the operators ... and keep working"."""
    clause = first_person(option.strip().rstrip(".!"))
    clause = re.sub(r"^(?:do not|don't)\s+", "decline to ", clause, flags=re.IGNORECASE)
    if clause and not clause.startswith(("I ", "I'")):
        clause = clause[0].lower() + clause[1:]
    return clause


def break_runs(text: str, originals: list[str], n: int, start: int = 0) -> str:
    """``text`` with an aside inside every run of ``n`` or more words it shares with one of ``originals``.

    The aside goes before a word that opens a clause ("that", "so", "and"...) when the run
    has one, else near its middle, and never inside a hyphenated word or a contraction.
    """
    grams = {tuple(tokens[i:i + n]) for original in originals for tokens in [words(original)] for i in range(len(tokens) - n + 1)}
    for turn in range(len(text)):
        spans = [(m.start(), m.end(), m.group(0).lower()) for m in WORD.finditer(text)]
        hit = next((i for i in range(len(spans) - n + 1) if tuple(s[2] for s in spans[i:i + n]) in grams), None)
        if hit is None:
            return text
        cuts = [j for j in range(hit, hit + n - 1) if text[spans[j][1]:spans[j][1] + 1] in (" ", ",")]
        middle = hit + n // 2 - 1
        cut = min(cuts, key=lambda j: (spans[j + 1][2] not in _BOUNDARY, abs(j - middle))) if cuts else middle
        end = spans[cut][1] + (1 if text[spans[cut][1]:spans[cut][1] + 1] == "," else 0)
        text = f"{text[:end].rstrip(',')}, {ASIDES[(start + turn) % len(ASIDES)]},{text[end:]}"
    return text
