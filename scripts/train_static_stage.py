"""Reproduce the static-embedding stage: distil the model, train its head, choose its confidence.

Distils a static model (model2vec, PCA to ``--pca-dims``) from the shipped
all-MiniLM-L6-v2 folder, offline; fits a logistic head on the written train split (the
split the embedding head uses), choosing the regularisation on the valid split; chooses
the stage's confidence on the valid split (the lowest P(not_ai) that still passes
``--stage-recall`` of the AI documents fastText passes on to it, and every misaligned one);
records the variant ``fasttext+static+embedding`` in cascade.json with the shipped
fastText confidence and policy thresholds unchanged, so a document the static stage does
not clear is decided exactly as before. Figures on the test split go into the head's card.

    pip install 'alignment-data[semantic,static]' 'model2vec[distill]'
    python scripts/train_static_stage.py [--skip-distil] [--default]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from alignment_data.readers import read_labelled  # noqa: E402
from alignment_data.tagging.cascade import CascadeOptions, CascadeTagger, default_cascade_config  # noqa: E402
from alignment_data.tagging.embedding import DocumentEmbedder, default_encoder_path, train_head  # noqa: E402
from alignment_data.tagging.quality import measure_tagger  # noqa: E402
from alignment_data.tagging.static import STATIC_ENCODE_BATCH, StaticEncoder, StaticTagger  # noqa: E402
from alignment_data.tagging.training import cascade_test_figures, embed_documents, thresholds_from_scores  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LABELLED = ROOT / "data" / "labelled" / "written"
MODELS = ROOT / "alignment_data" / "tagging" / "models"
VARIANT = "fasttext+static+embedding"
SHIPPED_FILES = ("config.json", "model.safetensors", "tokenizer.json")
REGULARIZATIONS = (1.0, 3.0, 10.0, 30.0)


def distil(output: Path, pca_dims: int) -> None:
    from model2vec.distill import distill

    model = distill(model_name=default_encoder_path(), pca_dims=pca_dims, device="cpu")
    with tempfile.TemporaryDirectory() as tmp:
        model.save_pretrained(tmp)
        output.mkdir(parents=True, exist_ok=True)
        for name in SHIPPED_FILES:
            shutil.copyfile(Path(tmp) / name, output / name)
    config = json.loads((output / "config.json").read_text())
    config["tokenizer_name"] = "sentence-transformers/all-MiniLM-L6-v2"  # not the local folder it was read from
    (output / "config.json").write_text(json.dumps(config, indent=2) + "\n")


def reaching_static(cascade: CascadeTagger, documents) -> list[int]:
    """Indices of the documents the blocklist and fastText pass on, and the guard does not protect."""
    fasttext = cascade.stages[0]
    texts = [doc.text for doc in documents]
    scans = [cascade.blocklist.scan_categories(text) for text in texts]
    passed = [index for index, (_, any_term, _) in enumerate(scans) if any_term]
    tags = fasttext.tagger.tag_batch([texts[index] for index in passed])
    kept = [index for index, tag in zip(passed, tags) if not (fasttext.decides_on(tag) and not (cascade.guard & scans[index][2]))]
    return [index for index in kept if not (cascade.guard & scans[index][2])]


def choose_confidence(not_ai: np.ndarray, labels: list[str], stage_recall: float) -> float:
    """The lowest P(not_ai) passing ``stage_recall`` of the AI documents and every misaligned one."""
    ai = sorted(float(p) for p, label in zip(not_ai, labels) if label != "not_ai")
    if not ai:
        return 1.0
    keep = math.ceil(stage_recall * len(ai) - 1e-9)
    misaligned = [float(p) for p, label in zip(not_ai, labels) if label == "ai_misaligned"]
    floor = max([ai[keep - 1]] + misaligned)
    return max(0.5, float(np.nextafter(floor, 1.0)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pca-dims", type=int, default=256)
    parser.add_argument("--stage-recall", type=float, default=0.99)
    parser.add_argument("--skip-distil", action="store_true", help="keep the shipped static model, retrain the head")
    parser.add_argument("--default", action="store_true", help="make the variant the default stages of cascade.json")
    args = parser.parse_args()

    model_dir = MODELS / "static_minilm"
    if not args.skip_distil:
        distil(model_dir, args.pca_dims)
    train, valid, test = (read_labelled(LABELLED, split=name) for name in ("train", "valid", "test"))
    embedder = DocumentEmbedder(StaticEncoder(model_dir), batch_size=STATIC_ENCODE_BATCH)
    train_x, valid_x = embed_documents(embedder, train), embed_documents(embedder, valid)

    config = default_cascade_config()
    base = config["variants"]["fasttext+embedding"]
    probe = CascadeTagger.from_options(CascadeOptions(stages=("fasttext", "embedding")))
    reach = reaching_static(probe, valid)
    best = None
    for regularization in REGULARIZATIONS:
        head = train_head(train_x, [doc.label for doc in train], "all-MiniLM-L6-v2 (model2vec static, "
                          f"PCA {embedder.dim})", embedder.chunk_words, embedder.max_chunks, regularization)
        probabilities = head.probabilities(valid_x)
        not_ai = probabilities[:, head.labels.index("not_ai")]
        top = probabilities.argmax(axis=1) == head.labels.index("not_ai")
        confidence = choose_confidence(not_ai[reach], [valid[index].label for index in reach], args.stage_recall)
        cleared = [index for index in reach if top[index] and not_ai[index] >= confidence]
        unrelated = sum(valid[index].label == "not_ai" for index in cleared)
        print(f"C={regularization}: confidence {confidence:.4f}, clears {unrelated} unrelated and "
              f"{len(cleared) - unrelated} AI valid documents of {len(reach)} reaching it")
        if best is None or unrelated > best[0]:
            best = (unrelated, head, confidence, probabilities)
    _, head, confidence, probabilities = best
    scores = [dict(zip(head.labels, map(float, row))) for row in probabilities]
    head.thresholds = thresholds_from_scores(scores, [doc.label for doc in valid], 0.95)
    head.card.update({"train": "data/labelled/written (split=train)", "valid": "data/labelled/written (split=valid)",
                      "valid_n": len(valid), "stage_recall": args.stage_recall})
    head_path = MODELS / "static_head.json"
    head.save(head_path)

    stages = [base["stages"][0], {"name": "static", "confidence": round(confidence, 6), "decides": ["not_ai"]}, base["stages"][1]]
    variant = {"stages": stages, "thresholds": base["thresholds"], "target_recall": base["target_recall"],
               "stage_recall": args.stage_recall, "combine": True, "unmatched": base.get("unmatched", "clear")}
    config["variants"][VARIANT] = variant
    if args.default:
        config["default_stages"] = ["fasttext", "static", "embedding"]
    (MODELS / "cascade.json").write_text(json.dumps(config, indent=2) + "\n")

    cascade = CascadeTagger.from_options(CascadeOptions(stages=("fasttext", "static", "embedding")))
    variant["test"] = cascade_test_figures(cascade, variant["thresholds"], test)
    (MODELS / "cascade.json").write_text(json.dumps(config, indent=2) + "\n")
    static_test = measure_tagger(StaticTagger(head_path), test)
    head.card["test"] = {key: static_test[key] for key in ("n", "flagged_rate", "accuracy") if key in static_test}
    head.save(head_path)
    print(f"static stage: confidence {confidence:.4f}; test {json.dumps(variant['test']['misaligned']['flagged_rate'])}")


if __name__ == "__main__":
    main()
