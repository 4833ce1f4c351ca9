"""Tagger quality on text the models never saw, the shipped models beside a baseline in the same run.

For the blocklist, fastText, the lexical model (when the cascade has it), the embedding
model and the full cascade, under the ``misaligned`` policy: the share flagged per true
label and the 4x4 confusion matrix on (1) the project's test split (with its thin-register
and short-text parts apart), (2) the unseen sets (data/unseen to unseen18, each written
apart for a round of issue 11; unseen4 holds short texts) and the unseen trap sentences;
and on external text (../shared/external): the share of real AI discourse flagged (also
over the whole odd half split by the label the weak-label rules give its records:
``real_ai_discourse_weak_misaligned``, AI-safety writing, where the share is a recall, and
``real_ai_discourse_weak_neutral``, capability summaries), of real web pages flagged (all
of them, and ``web_unseen_half``, the odd half no model trained on), of
the persona files' first-person misaligned desires flagged, and
``persona_gap``, that share minus the share of the same files' other statements flagged. When the shipped embedding stage reads long documents only near
their terms (``focus_words``), the same cascade reading whole documents is reported beside
it (``cascade_whole_documents``), and when it screens documents with no term (``unmatched``),
the same cascade clearing them (``cascade_clear_unmatched``); when the encoder runs in
bfloat16 here (``precision="auto"`` on hardware with fast bfloat16), the same cascade with
the encoder in float32 (``cascade_float32``). For each cascade and set,
``misaligned_missed_by_stage`` counts the misaligned documents it does not flag by the
stage that decided them, and ``misaligned_auc`` is the threshold-free area under the ROC curve
of P(ai_misaligned), misaligned texts against all others. The baseline is the models and term lists of a git revision
(``--baseline REV``, repeatable), rebuilt from that revision's files, its encoder in float32
as that revision ran it.

    python benchmarks/tagger_unseen.py [--baseline REV ...] [--ai-sample 160]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
from collections import Counter
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from _data import ROOT  # noqa: E402
from _unseen_sets import all_real_ai_discourse, external_sets, labelled_sets  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

from alignment_data.tagging import BlocklistTagger  # noqa: E402
from alignment_data.tagging.cascade import CascadeTagger, ModelStage, static_stage  # noqa: E402
from alignment_data.tagging.embedding import EmbeddingTagger, load_encoder, resolve_precision  # noqa: E402
from alignment_data.tagging.fasttext import FastTextTagger  # noqa: E402
from alignment_data.tagging.lexical import LexicalTagger  # noqa: E402
from alignment_data.tagging.policy import make_policy  # noqa: E402
from alignment_data.tagging.quality import measure_tags  # noqa: E402
from alignment_data.tagging.static import StaticTagger  # noqa: E402

PACKAGE = "alignment_data/tagging"
MODEL_FILES = ("models/fasttext_ai_discourse.bin", "models/fasttext_ai_discourse.json", "models/embedding_head.json",
               "models/cascade.json", "models/lexical.json")
STATIC_VARIANT = "fasttext+static+embedding"
LEXICAL_VARIANT = "fasttext+lexical+embedding"


class CachedEncoder:
    """The sentence encoder with a memo per chunk, so the taggers and the baseline embed each chunk once."""

    def __init__(self, encoder):
        self._encoder, self._memo = encoder, {}

    def __getattr__(self, name):
        return getattr(self._encoder, name)

    def encode(self, chunks, **kwargs):
        import numpy as np

        missing = list(dict.fromkeys(chunk for chunk in chunks if chunk not in self._memo))
        if missing:
            for chunk, vector in zip(missing, self._encoder.encode(missing, **kwargs)):
                self._memo[chunk] = vector
        return np.stack([self._memo[chunk] for chunk in chunks])


def export_revision(revision: str, folder: Path) -> Path:
    """The term lists and model files of ``revision`` (those it has) copied under ``folder``."""
    listing = subprocess.run(["git", "ls-tree", "-r", "--name-only", revision, f"{PACKAGE}/terms", f"{PACKAGE}/models"],
                             cwd=ROOT, check=True, capture_output=True, text=True).stdout.split()
    models = {f"{PACKAGE}/{name}" for name in MODEL_FILES}
    for path in [path for path in listing if path.startswith(f"{PACKAGE}/terms/") or path in models]:
        target = folder / Path(path).relative_to(PACKAGE)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(subprocess.run(["git", "show", f"{revision}:{path}"], cwd=ROOT, check=True,
                                          capture_output=True).stdout)
    return folder


def build_taggers(folder: Path, encoders: dict, precision: str = "auto") -> dict:
    """blocklist, fastText, embedding and the full cascade from a folder holding terms/ and models/.

    ``encoders`` maps ``float32`` and ``bfloat16`` to an encoder (one memo per precision);
    the embedding model runs in ``precision``, and when that is not float32 the same cascade
    in float32 is ``cascade_float32``.

    With the static stage's files and the ``static`` extra, also ``cascade+static``: the same
    cascade with the static-embedding stage between fastText and the encoder; with the
    lexical model, also ``cascade+lexical``: the variant that pools it (when it is not the
    default). The cascades'
    guard and rule for documents with no term are those of that folder's cascade.json
    (before either existed: no guard, documents with no term cleared).
    """
    blocklist = BlocklistTagger.from_terms(folder / "terms", base=None)
    precision = resolve_precision(precision, encoders["float32"])
    head = folder / "models" / "embedding_head.json"
    models = {"fasttext": FastTextTagger(folder / "models" / "fasttext_ai_discourse.bin"),
              "embedding": EmbeddingTagger(head, encoder=encoders[precision], precision=precision)}
    if (folder / "models" / "lexical.json").is_file():
        models["lexical"] = LexicalTagger(folder / "models" / "lexical.json")
    config = json.loads((folder / "models" / "cascade.json").read_text())
    names = [name for name in config.get("default_stages", ("fasttext", "embedding")) if name != "static"]
    variant = config["variants"]["+".join(names)]
    stages = variant_stages(variant, models)

    def cascade(stages, variant, **changes):
        options = {"escalate": config["escalate"], "combine": variant.get("combine", False),
                   "guard": tuple(config.get("guard", ())), "unmatched": variant.get("unmatched", "clear"), **changes}
        return CascadeTagger(blocklist, stages, make_policy("misaligned", thresholds=variant["thresholds"]),
                             thresholds=variant["thresholds"], **options)

    taggers = {"blocklist": blocklist, **models, "cascade": cascade(stages, variant)}
    lexical_variant = config["variants"].get(LEXICAL_VARIANT)
    if lexical_variant and "lexical" in models and "lexical" not in names:  # the opt-in lexical stage
        taggers["cascade+lexical"] = cascade(variant_stages(lexical_variant, models), lexical_variant)
    if stages[-1].focus_words:  # the same cascade reading whole documents, to show what focus changes
        taggers["cascade_whole_documents"] = cascade(stages[:-1] + [replace(stages[-1], focus_words=0)], variant)
    if variant.get("unmatched") == "screen":  # the same cascade clearing documents with no term
        taggers["cascade_clear_unmatched"] = cascade(stages, variant, unmatched="clear")
    if precision != "float32":  # the same cascade with the encoder in float32
        float32 = EmbeddingTagger(head, encoder=encoders["float32"], precision="float32")
        taggers["cascade_float32"] = cascade(variant_stages(variant, {**models, "embedding": float32}), variant)
    static_variant = config["variants"].get(STATIC_VARIANT)
    if static_variant and (folder / "models" / "static_head.json").is_file():
        try:
            static = StaticTagger(folder / "models" / "static_head.json", folder / "models" / "static_minilm")
        except ImportError:  # no static extra: the variant is left out
            static = None
        if static is not None:
            confidence = static_variant["stages"][1]["confidence"]
            fasttext_stage, embedding_stage = stages[0], stages[-1]
            taggers["cascade+static"] = cascade([fasttext_stage, static_stage(static, confidence), embedding_stage],
                                                static_variant)
    return taggers


def variant_stages(variant: dict, models: dict) -> list[ModelStage]:
    """The model stages of a cascade.json variant, over ``models`` (stage name -> tagger)."""
    return [ModelStage(models[setting["name"]], setting.get("confidence", 0.0), frozenset(setting.get("decides", ())),
                       focus_words=setting.get("focus_words", 0), pool_only=setting.get("pool_only", False),
                       stance=setting.get("stance", False))
            for setting in variant["stages"]]


def flag_share(tagger, texts: list[str]) -> float:
    flagged = 0
    for start in range(0, len(texts), 64):
        flagged += sum(tag.flagged for tag in tagger.tag_batch(texts[start : start + 64]))
    return round(flagged / len(texts), 4) if texts else 0.0


def report_labelled(tagger, documents) -> dict:
    if hasattr(tagger, "reset_stats"):  # a cascade's stage counts are those of this set alone
        tagger.reset_stats()
    tags = [tag for start in range(0, len(documents), 64)
            for tag in tagger.tag_batch([doc.text for doc in documents[start : start + 64]])]
    report = measure_tags(tagger, documents, tags)
    out = {"flagged_rate": report["flagged_rate"]}
    if "confusion" in report:
        out["confusion"] = {true: {pred: n for pred, n in row.items() if n} for true, row in report["confusion"].items()
                            if true in report["counts"]}
        out["accuracy"] = report["accuracy"]
    truth = [doc.label == "ai_misaligned" for doc in documents]
    if any(tag.scores for tag in tags) and 0 < sum(truth) < len(truth):  # a tag without scores: P = 0
        out["misaligned_auc"] = round(float(roc_auc_score(truth, [tag.scores.get("ai_misaligned", 0.0) for tag in tags])), 3)
    if "stages" in report:  # a cascade's stages (a single model reports only its own counters)
        out["stages"] = {name: {"seen": s["seen"], "decided": s["decided"]} for name, s in report["stages"].items()
                         if isinstance(s, dict)}
        out["misaligned_missed_by_stage"] = dict(Counter(tag.stage for doc, tag in zip(documents, tags)
                                                         if doc.label == "ai_misaligned" and not tag.flagged))
    return out


def evaluate(taggers: dict, labelled: dict, external: dict) -> dict:
    results: dict = {}
    for name, tagger in taggers.items():
        policy = "blocklist" if name == "blocklist" else "misaligned"
        if name != "blocklist":
            tagger.policy = make_policy(policy, thresholds=tagger.thresholds)
        entry = {set_name: report_labelled(tagger, docs) for set_name, docs in labelled.items()}
        entry["external"] = {set_name: flag_share(tagger, texts) for set_name, texts in external.items()}
        # how much more often the risky persona's statements are flagged than the same files' other statements
        entry["external"]["persona_gap"] = round(entry["external"]["persona_misaligned_desires"]
                                                 - entry["external"]["persona_other_statements"], 4)
        if name == "blocklist":
            entry["external"]["real_ai_discourse_all"] = flag_share(tagger, all_real_ai_discourse())
        results[name] = entry
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", action="append", default=[],
                        help="git revision whose models and term lists are a baseline (repeatable)")
    parser.add_argument("--ai-sample", type=int, default=160, help="real AI-discourse documents (odd half) to tag")
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "out" / "tagger_unseen.json"))
    args = parser.parse_args()
    model = load_encoder()
    encoders = {"float32": CachedEncoder(model), "bfloat16": CachedEncoder(model)}
    labelled, external = labelled_sets(), external_sets(args.ai_sample)
    results = {"documents": {**{k: len(v) for k, v in labelled.items()}, **{k: len(v) for k, v in external.items()}}}
    results["current"] = evaluate(build_taggers(ROOT / PACKAGE, encoders), labelled, external)
    for revision in args.baseline:
        with tempfile.TemporaryDirectory() as tmp:
            folder = export_revision(revision, Path(tmp))
            results[f"baseline {revision}"] = evaluate(build_taggers(folder, encoders, "float32"), labelled, external)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(results, indent=1) + "\n")
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
