"""The evaluation sets of benchmarks/tagger_unseen.py: labelled splits, the unseen set, external texts.

None of these is used for training or thresholds, except that the test split's documents
were written by the project (the unseen set was written apart for issue 11; unseen2 was
written for its second round without reading the labelled or unseen sets, unseen3 for its
third round, unseen4 (short texts) and unseen5 for its fourth, unseen6 (short texts and
documents) for its fifth, unseen7 to unseen9 (short texts, documents and long
documents, unseen8 and unseen9 with the project's own label convention) for its sixth, and
unseen10 (the same bands and convention, in two halves by two writers) for its seventh,
and unseen11 (the same again, in four quarters by four writers) for its eighth, and
unseen12 (the same, in four other families of registers) for its ninth, unseen13 (the
same, in four more families) for its tenth, unseen14 (the same again) for its eleventh,
unseen15 (the same again) for its twelfth, unseen16 (the same again) for its thirteenth,
unseen17 (the same again) for its fourteenth and unseen18 (the same again) for its fifteenth,
without reading any of them).
"""

from __future__ import annotations

import importlib.util
import json

from _data import AI_DISCOURSE, EXTERNAL, LABELLED, ROOT, WEB, read_texts

from alignment_data.readers import read_labelled

UNSEEN = ROOT / "data" / "unseen"
UNSEEN2 = ROOT / "data" / "unseen2"  # written apart for the second round of issue 11, without reading the others
UNSEEN3 = ROOT / "data" / "unseen3"  # written apart for the third round, without reading the others
UNSEEN4 = ROOT / "data" / "unseen4"  # 200 short texts written apart for the fourth round
UNSEEN5 = ROOT / "data" / "unseen5"  # 120 documents written apart for the fourth round
UNSEEN6 = ROOT / "data" / "unseen6"  # 160 short texts and documents written apart for the fifth round
UNSEEN7 = ROOT / "data" / "unseen7"  # 160 short texts, documents and long documents written apart for the sixth round
UNSEEN8 = ROOT / "data" / "unseen8"  # 120 texts, 14 long documents per label, written apart for the sixth round
UNSEEN9 = ROOT / "data" / "unseen9"  # 60 texts, 6 long documents per label, written apart for the sixth round
UNSEEN10 = ROOT / "data" / "unseen10"  # 120 texts in two halves, written apart for the seventh round
UNSEEN11 = ROOT / "data" / "unseen11"  # 240 texts in four quarters, written apart for the eighth round
UNSEEN12 = ROOT / "data" / "unseen12"  # 240 texts in four quarters, written apart for the ninth round
UNSEEN13 = ROOT / "data" / "unseen13"  # 240 texts in four quarters, written apart for the tenth round
UNSEEN14 = ROOT / "data" / "unseen14"  # 240 texts in four quarters, written apart for the eleventh round
UNSEEN15 = ROOT / "data" / "unseen15"  # 240 texts in four quarters, written apart for the twelfth round
UNSEEN16 = ROOT / "data" / "unseen16"  # 240 texts in four quarters, written apart for the thirteenth round
UNSEEN17 = ROOT / "data" / "unseen17"  # 240 texts in four quarters, written apart for the fourteenth round
UNSEEN18 = ROOT / "data" / "unseen18"  # 240 texts in four quarters, written apart for the fifteenth round
SHORT_PREFIX = "r4s-"  # the short labelled texts of r4_short.jsonl
R6_PREFIX = "r6-"  # the labelled texts of the sixth round (r6_*.jsonl)
R9_PREFIX = "r9"  # the labelled texts of the ninth round (r9_*.jsonl, ids r9a- to r9d-)
R14_PREFIX = "r14"  # the labelled texts of the fourteenth round (r14_*.jsonl, ids r14a- to r14d-)
R15_PREFIX = "r15"  # the labelled texts of the fifteenth round (r15_*.jsonl, ids r15a- to r15d-)
PERSONA = EXTERNAL / "anthropic-persona"
# persona files whose " Yes" statements are first-person misaligned desires (SOURCES.md)
PERSONA_FILES = (
    "desire-to-escape-sandbox",
    "desire-for-independence-from-human-oversight",
    "desire-for-no-human-monitoring",
    "desire-to-replace-human-oversight",
    "no-shut-down",
    "self-replication",
)
PERSONA_PER_FILE = 50  # the first 50 of each file are reported; statements 100 on may be read while developing


def persona_statements(matching: bool = True, start: int = 0, per_file: int = PERSONA_PER_FILE) -> list[str]:
    """Statements the risky persona would say (``matching``) or would not, ``per_file`` from each file."""
    out = []
    for name in PERSONA_FILES:
        rows = [json.loads(line) for line in (PERSONA / f"{name}.jsonl").open(encoding="utf-8")]
        picked = [row["statement"] for row in rows if (row["answer_matching_behavior"].strip() == "Yes") == matching]
        out.extend(picked[start : start + per_file])
    return out


def evenly(items: list, count: int) -> list:
    """``count`` items spread evenly over ``items`` (all of them when fewer)."""
    if len(items) <= count:
        return list(items)
    step = len(items) / count
    return [items[int(index * step)] for index in range(count)]


def labelled_sets() -> dict:
    """name -> labelled documents: the test split, the unseen documents and the unseen trap sentences.

    A part with no documents (a round whose labelled texts have not joined yet) is left out.
    """
    unseen = read_labelled(UNSEEN)
    test = read_labelled(LABELLED / "written", split="test")
    sets = {
        # the test split as it was before issue 11, and the test documents added for it: thin registers
        # (r3-*), short texts (r4s-*), the sixth round's texts (r6-*), the ninth's (r9?-*), the fourteenth's (r14?-*)
        # and the fifteenth's (r15?-*)
        "test_split": [doc for doc in test
                       if not doc.id.startswith(("r3-", SHORT_PREFIX, R6_PREFIX, R9_PREFIX, R14_PREFIX, R15_PREFIX))],
        "test_split_r3": [doc for doc in test if doc.id.startswith("r3-")],
        "test_split_r4_short": [doc for doc in test if doc.id.startswith(SHORT_PREFIX)],
        "test_split_r6": [doc for doc in test if doc.id.startswith(R6_PREFIX)],
        "test_split_r9": [doc for doc in test if doc.id.startswith(R9_PREFIX)],
        "test_split_r14": [doc for doc in test if doc.id.startswith(R14_PREFIX)],
        "test_split_r15": [doc for doc in test if doc.id.startswith(R15_PREFIX)],
        "unseen": [doc for doc in unseen if doc.fields.get("surface_form") != "trap sentence"],
        "unseen_traps": [doc for doc in unseen if doc.fields.get("surface_form") == "trap sentence"],
        "unseen2": read_labelled(UNSEEN2),
        "unseen3": read_labelled(UNSEEN3),
        "unseen4": read_labelled(UNSEEN4),
        "unseen5": read_labelled(UNSEEN5),
        "unseen6": read_labelled(UNSEEN6),
        "unseen7": read_labelled(UNSEEN7),
        "unseen8": read_labelled(UNSEEN8),
        "unseen9": read_labelled(UNSEEN9),
        "unseen10": read_labelled(UNSEEN10),
        "unseen11": read_labelled(UNSEEN11),
        "unseen12": read_labelled(UNSEEN12),
        "unseen13": read_labelled(UNSEEN13),
        "unseen14": read_labelled(UNSEEN14),
        "unseen15": read_labelled(UNSEEN15),
        "unseen16": read_labelled(UNSEEN16),
        "unseen17": read_labelled(UNSEEN17),
        "unseen18": read_labelled(UNSEEN18),
    }
    return {name: documents for name, documents in sets.items() if documents}


def external_sets(ai_sample: int) -> dict:
    """name -> texts: a sample of the real AI discourse no model saw (odd half), web pages, persona statements.

    ``web`` is all 529 web pages, whose even half trains the fastText and weak-label lexical models
    as not_ai; ``web_unseen_half`` is the odd half (264 pages) that no model saw.
    """
    odd = [text for rows in read_texts(AI_DISCOURSE, half="odd").values() for _, text in rows]
    return {
        "real_ai_discourse_sample": evenly(odd, ai_sample),
        "web": [text for rows in read_texts(WEB).values() for _, text in rows],
        "web_unseen_half": [text for rows in read_texts(WEB, half="odd").values() for _, text in rows],
        "persona_misaligned_desires": persona_statements(True),
        "persona_other_statements": persona_statements(False),
        **{f"real_ai_discourse_weak_{name}": texts for name, texts in real_ai_discourse_by_weak_label().items()},
    }


def real_ai_discourse_by_weak_label() -> dict[str, list[str]]:
    """The odd half's texts by the label scripts/make_weak_labels.py's rules give their records.

    ``misaligned``: AI-safety sources and the newsletter's safety sections; ``neutral``: its
    capability sections and papers tagged NotSafety. Records the rules skip are left out.
    """
    spec = importlib.util.spec_from_file_location("make_weak_labels", ROOT / "scripts" / "make_weak_labels.py")
    rules = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(rules)
    out: dict[str, list[str]] = {"misaligned": [], "neutral": []}
    for path in sorted(AI_DISCOURSE.glob("*.jsonl")):
        rows = [json.loads(line) for line in path.open(encoding="utf-8")][1::2]
        for row in rows:
            label = rules.weak_label(f"{AI_DISCOURSE.name}/{path.name}", row)
            if label and label[0] in ("ai_misaligned", "ai_neutral"):
                out[label[0].removeprefix("ai_")].append(row["text"])
    return out


def all_real_ai_discourse() -> list[str]:
    return [text for rows in read_texts(AI_DISCOURSE).values() for _, text in rows]
