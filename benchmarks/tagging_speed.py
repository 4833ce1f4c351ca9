"""Tagging speed on one core, each figure beside baselines measured in the same run.

Builds a corpus of at least 40 MB of real text by cycling the external web pages (and,
for the AI-heavy figures, the real AI-discourse documents), then times (best of three
runs for the fast stages, one run for the slow ones):
JSONL read + parse (orjson, the baseline), the blocklist, the study's way (one compiled
regex per term, searched in turn, on a sample), fastText, the cascades, and the encoder.

    python benchmarks/tagging_speed.py [--mb 40] [--embedding-docs 300] [--cascade-repeats 3]
        [--baseline REV [--baseline-precision auto]]

The shipped full cascade is timed beside the same cascade changed in one thing each, on the
same documents (see ``compared_cascades``): reading whole documents instead of near their
terms, clearing documents with no term instead of screening them, with the ``static``
extra the static-embedding stage between fastText and the encoder, the variant that
pools the lexical model between them, the encoder in float32 when it runs in bfloat16
here, and the encoder compiled with torch.compile (its compile time reported apart, before
the timing). Each one's tags are compared with the shipped cascade's on the same documents
(``differs_from_shipped``: documents whose flag or label changed). With
``--baseline REV`` the full cascade of that git revision's term lists and models (see
benchmarks/tagger_unseen.py) is timed on the same web documents as well, its encoder in
float32 unless ``--baseline-precision`` says otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core for every stage, the encoder included
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import orjson  # noqa: E402
from _data import AI_DISCOURSE, ROOT, WEB, read_texts  # noqa: E402

from alignment_data.tagging import BlocklistTagger, DocumentEmbedder, FastTextTagger, TaggerSpec  # noqa: E402
from alignment_data.tagging.fields import PRECISIONS  # noqa: E402

OUT = ROOT / "benchmarks" / "out"


def build_corpus(path, folder, megabytes: float) -> int:
    """Write real documents, cycled with fresh ids, until the file holds ``megabytes``."""
    texts = [text for rows in read_texts(folder).values() for _, text in rows]
    size, index = 0, 0
    with open(path, "wb") as out:
        while size < megabytes * 1e6:
            line = orjson.dumps({"id": f"doc-{index}", "text": texts[index % len(texts)]}) + b"\n"
            out.write(line)
            size += len(line)
            index += 1
    return size


def timed(function, *args, repeats: int = 1):
    """Result and best wall time of ``repeats`` calls (the first warms caches and pages)."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        result = function(*args)
        best = min(best, time.perf_counter() - start)
    print(f"  {getattr(function, '__qualname__', function)}: {best:.1f} s (best of {repeats})", file=sys.stderr, flush=True)
    return result, best


def tag_afresh(cascade, texts):
    """``cascade``'s tags of ``texts``, its counters started again (so repeated timings count one pass)."""
    cascade.reset_stats()
    return cascade.tag_batch(texts)


def read_parse(path):
    with open(path, "rb") as stream:
        return [orjson.loads(line)["text"] for line in stream]


def per_term_regexes(tagger: BlocklistTagger):
    """The study's way: every term its own case-insensitive whole-word regex."""
    patterns = []
    for category in tagger.categories:
        if category.rule == "cue":
            continue
        for term in category.terms:
            words = [re.escape(word) for word in re.split(r"[\s\-]+", term.strip())]
            patterns.append(re.compile(r"\b" + r"[\s\-]+".join(words) + r"\b", re.IGNORECASE))
    return patterns


def run_regexes(patterns, texts):
    return [[pattern.pattern for pattern in patterns if pattern.search(text)] for text in texts]


def baseline_full_web(revision: str, part: list[str], encoder, precision: str, repeats: int) -> dict:
    """The full cascade of ``revision`` (its term lists, models and guard, the encoder in ``precision``) timed on ``part``.

    Best of ``repeats`` runs, as the shipped cascade is timed, so that neither side gets more tries.
    """
    import tempfile
    from pathlib import Path

    from tagger_unseen import build_taggers, export_revision

    with tempfile.TemporaryDirectory() as tmp:
        cascade = build_taggers(export_revision(revision, Path(tmp)), {"float32": encoder, "bfloat16": encoder},
                                precision)["cascade"]
        _, seconds = timed(tag_afresh, cascade, part, repeats=repeats)
    stats = cascade.stats_dict()
    return {"documents": len(part), "mb_s": round(mb_per_s(sum(len(text.encode()) for text in part), seconds), 2),
            "docs_s": round(len(part) / seconds, 1), "share_reaching_encoder": round(stats["embedding"]["seen"] / len(part), 4)}


def same_cascade(full, stages=None, **changes):
    """A cascade built like ``full`` (policy, escalation, guard, rule for documents with no term), with ``changes``."""
    from alignment_data.tagging.cascade import CascadeTagger

    options = {"escalate": full.escalate, "combine": full.combine, "thresholds": full.thresholds,
               "guard": tuple(full.guard), "unmatched": full.unmatched, **changes}
    return CascadeTagger(full.blocklist, stages or full.stages, full.policy, **options)


def compared_cascades(full) -> dict:
    """The cascades timed beside the shipped one on the same documents, each changing one thing.

    ``whole_documents``: the embedding stage reads whole documents (no focus);
    ``clear_unmatched``: documents with no term are cleared, not screened; ``static``: the
    static-embedding stage between fastText and the encoder (with the ``static`` extra);
    ``lexical``: the variant with the lexical model pooled between them (when it is not the default);
    ``float32``: the encoder in float32 (when the shipped cascade runs it in bfloat16 here);
    ``compiled``: a second copy of the encoder in the same precision, compiled (``--encoder-compile``);
    ``static_compiled``: the static stage and the compiled encoder together.
    """
    from dataclasses import replace

    from alignment_data.tagging.cascade import default_cascade_config, static_stage
    from alignment_data.tagging.embedding import EmbeddingTagger
    from alignment_data.tagging.static import StaticTagger, static_extra_installed

    compared = {}
    if full.stages[-1].focus_words:
        compared["whole_documents"] = same_cascade(full, full.stages[:-1] + [replace(full.stages[-1], focus_words=0)])
    if full.unmatched == "screen":
        compared["clear_unmatched"] = same_cascade(full, unmatched="clear")
    last = full.stages[-1]
    if last.tagger.embedder.precision != "float32":
        float32 = EmbeddingTagger(encoder=last.tagger.embedder.encoder, precision="float32")
        compared["float32"] = same_cascade(full, full.stages[:-1] + [replace(last, tagger=float32)])
    compiled = EmbeddingTagger(precision=last.tagger.embedder.precision, compiled=True)  # its own encoder: compiling is in place
    compared["compiled"] = same_cascade(full, full.stages[:-1] + [replace(last, tagger=compiled)])
    variant = default_cascade_config()["variants"].get("fasttext+static+embedding")
    if variant is not None and static_extra_installed() and len(full.stages) == 2:
        static = static_stage(StaticTagger(), variant["stages"][1]["confidence"])
        compared["static"] = same_cascade(full, [full.stages[0], static, full.stages[1]])
        compared["static_compiled"] = same_cascade(full, [full.stages[0], static, compared["compiled"].stages[-1]])
    names = tuple(stage.name for stage in full.stages)
    if "fasttext+lexical+embedding" in default_cascade_config()["variants"] and "lexical" not in names:
        compared["lexical"] = TaggerSpec.of("cascade", stages=("fasttext", "lexical", "embedding")).build()
    return compared


def mb_per_s(n_bytes: int, seconds: float) -> float:
    return n_bytes / 1e6 / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=40.0)
    parser.add_argument("--regex-sample-mb", type=float, default=0.5)
    parser.add_argument("--embedding-docs", type=int, default=300)
    parser.add_argument("--cascade-repeats", type=int, default=1,
                        help="best of this many runs for each full cascade (the machine's speed moves between runs)")
    parser.add_argument("--baseline", default=None, help="git revision whose full cascade is timed on the web documents too")
    parser.add_argument("--baseline-precision", default="float32", choices=PRECISIONS,
                        help="the baseline's encoder precision (float32: as before bfloat16 existed; auto: as shipped here)")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    results: dict = {}

    web_path = OUT / "web_corpus.jsonl"
    file_bytes = build_corpus(web_path, WEB, args.mb)
    texts, seconds = timed(read_parse, web_path, repeats=3)
    text_bytes = sum(len(text.encode()) for text in texts)
    results["corpus"] = {"file_mb": round(file_bytes / 1e6, 1), "documents": len(texts), "text_mb": round(text_bytes / 1e6, 1)}
    results["read_parse_mb_s"] = round(mb_per_s(file_bytes, seconds), 1)

    blocklist = BlocklistTagger()
    tags, seconds = timed(blocklist.tag_batch, texts, repeats=3)
    results["blocklist_mb_s"] = round(mb_per_s(text_bytes, seconds), 1)
    results["blocklist_share_of_read_parse"] = round(results["blocklist_mb_s"] / results["read_parse_mb_s"], 3)
    results["blocklist_flagged_share"] = round(sum(tag.flagged for tag in tags) / len(tags), 4)

    sample, sample_bytes = [], 0
    for text in texts:
        if sample_bytes >= args.regex_sample_mb * 1e6:
            break
        sample.append(text)
        sample_bytes += len(text.encode())
    patterns = per_term_regexes(blocklist)
    _, seconds = timed(run_regexes, patterns, sample)
    results["per_term_regex"] = {"terms": len(patterns), "sample_mb": round(sample_bytes / 1e6, 2), "mb_s": round(mb_per_s(sample_bytes, seconds), 4)}
    results["blocklist_speedup_over_per_term_regex"] = round(results["blocklist_mb_s"] / results["per_term_regex"]["mb_s"])

    fasttext = FastTextTagger()
    _, seconds = timed(fasttext.tag_batch, texts, repeats=3)
    results["fasttext_mb_s"] = round(mb_per_s(text_bytes, seconds), 1)

    cascade = TaggerSpec.of("cascade", stages=("fasttext",)).build()
    _, seconds = timed(cascade.tag_batch, texts)
    results["cascade_fasttext_web"] = {"mb_s": round(mb_per_s(text_bytes, seconds), 1), "stages": cascade.stats_dict()}

    ai_path = OUT / "ai_corpus.jsonl"
    build_corpus(ai_path, AI_DISCOURSE, min(args.mb, 10))
    ai_texts = read_parse(ai_path)
    ai_bytes = sum(len(text.encode()) for text in ai_texts)
    cascade.reset_stats()
    _, seconds = timed(cascade.tag_batch, ai_texts)
    results["cascade_fasttext_ai_discourse"] = {"mb_s": round(mb_per_s(ai_bytes, seconds), 1), "stages": cascade.stats_dict()}

    try:
        full = TaggerSpec.of("cascade").build()  # the default stages
    except ImportError as error:
        results["embedding"] = f"skipped: {error}"
    else:
        encoder_docs = texts[: args.embedding_docs]
        embedder = full.stages[-1].tagger.embedder
        _, seconds = timed(embedder.embed, encoder_docs)
        results["encoder"] = {"documents": len(encoder_docs), "precision": embedder.precision,
                              "docs_s": round(len(encoder_docs) / seconds, 2), "chunks_s": round(embedder.stats.chunks / seconds, 2)}
        if embedder.precision != "float32":
            float32 = DocumentEmbedder(embedder.encoder, embedder.chunk_words, embedder.max_chunks, precision="float32")
            _, seconds = timed(float32.embed, encoder_docs)
            results["encoder_float32"] = {"documents": len(encoder_docs), "docs_s": round(len(encoder_docs) / seconds, 2),
                                          "chunks_s": round(float32.stats.chunks / seconds, 2)}
        compared = compared_cascades(full)
        compiled = compared["compiled"].stages[-1].tagger.embedder
        results["encoder_compile_seconds"] = round(compiled.compile_seconds, 1)
        _, seconds = timed(compiled.embed, encoder_docs)
        results["encoder_compiled"] = {"documents": len(encoder_docs), "docs_s": round(len(encoder_docs) / seconds, 2),
                                       "chunks_s": round(compiled.stats.chunks / seconds, 2)}
        for name, corpus, count in (("web", texts, args.embedding_docs * 10), ("ai_discourse", ai_texts, args.embedding_docs)):
            part = corpus[:count]
            part_bytes = sum(len(text.encode()) for text in part)
            shipped = None
            for label, cascade in {"cascade_full": full, **{f"cascade_full_{key}": c for key, c in compared.items()}}.items():
                tags, seconds = timed(tag_afresh, cascade, part, repeats=args.cascade_repeats)
                stats = cascade.stats_dict()
                results[f"{label}_{name}"] = {
                    "documents": len(part), "mb_s": round(mb_per_s(part_bytes, seconds), 2),
                    "docs_s": round(len(part) / seconds, 1), "share_reaching_encoder": round(stats["embedding"]["seen"] / len(part), 4),
                    "chunks": stats["embedding"]["chunks"], "flagged": sum(tag.flagged for tag in tags), "stages": stats,
                }
                if shipped is None:
                    shipped = tags
                else:
                    results[f"{label}_{name}"]["differs_from_shipped"] = {
                        "flagged": sum(a.flagged != b.flagged for a, b in zip(tags, shipped)),
                        "label": sum(a.label != b.label for a, b in zip(tags, shipped))}
        if args.baseline:
            results[f"cascade_full_web baseline {args.baseline}"] = baseline_full_web(args.baseline, texts[: args.embedding_docs * 10],
                                                                                    embedder.encoder, args.baseline_precision,
                                                                                    args.cascade_repeats)
    (OUT / "tagging_speed.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
