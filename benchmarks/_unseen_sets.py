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
# data/unseen2, unseen3, ...: each written apart for a round of issue 11 (their READMEs say which), in number order
NUMBERED_UNSEEN = sorted((path for path in UNSEEN.parent.glob("unseen[0-9]*") if path.is_dir()),
                         key=lambda path: int(path.name.removeprefix("unseen")))
# the test documents of the labelled batches added during issue 11, by id prefix, reported apart from the test split:
# thin registers (r3), short texts (r4_short), and the sixth, ninth, fourteenth and fifteenth rounds' batches
ROUND_TEST_SLICES = {"r3": "r3-", "r4_short": "r4s-", "r6": "r6-", "r9": "r9", "r14": "r14", "r15": "r15"}
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
    prefixes = tuple(ROUND_TEST_SLICES.values())
    sets = {
        # the test split as it was before issue 11, then the test documents each batch added for it
        "test_split": [doc for doc in test if not doc.id.startswith(prefixes)],
        **{f"test_split_{name}": [doc for doc in test if doc.id.startswith(prefix)]
           for name, prefix in ROUND_TEST_SLICES.items()},
        "unseen": [doc for doc in unseen if doc.fields.get("surface_form") != "trap sentence"],
        "unseen_traps": [doc for doc in unseen if doc.fields.get("surface_form") == "trap sentence"],
        **{folder.name: read_labelled(folder) for folder in NUMBERED_UNSEEN},
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
