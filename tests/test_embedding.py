import json
import sys

import numpy as np
import pytest

from alignment_data.errors import ConfigError, InputError
from alignment_data.schema import LABELS, LabelledDocument
from alignment_data.tagging.embedding import (
    DocumentEmbedder,
    EmbeddingHead,
    EmbeddingTagger,
    MissingExtraError,
    chunk_words,
    compile_encoder,
    load_encoder,
    resolve_precision,
    train_head,
)
from alignment_data.tagging.static import StaticEncoder
from alignment_data.tagging.training import train_embedding_tagger
from tests.helpers import TRAIN_TEXTS, requires_semantic


def _labelled():
    return [LabelledDocument(f"{label}-{i}", text, label, {})
            for label, texts in TRAIN_TEXTS.items() for i, text in enumerate(texts)]


def test_chunking_spreads_chunks_over_long_documents():
    text = " ".join(f"w{i}" for i in range(1000))
    chunks, subsampled = chunk_words(text, 100, 4)
    assert subsampled and len(chunks) == 4
    assert chunks[0].startswith("w0 ") and chunks[-1].endswith("w999")
    assert chunk_words("a b c", 100, 4) == (["a b c"], False)
    with pytest.raises(InputError, match="empty or whitespace-only document"):
        chunk_words(" \n\t ", 100, 4)


def test_embedder_pools_unit_vectors_and_counts_chunks(tiny_encoder):
    embedder = DocumentEmbedder(load_encoder(tiny_encoder), chunk_words=5, max_chunks=3)
    vectors = embedder.embed(["the model deceived its overseers", " ".join(["robot"] * 40)])
    assert vectors.shape == (2, 32)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert (embedder.stats.documents, embedder.stats.chunks, embedder.stats.subsampled) == (2, 4, 1)


def test_encoder_precision_auto_follows_the_hardware_and_explicit_choices_hold(tiny_encoder, monkeypatch):
    import alignment_data.tagging.embedding as embedding

    encoder = load_encoder(tiny_encoder, "cpu")
    monkeypatch.setattr(embedding, "fast_cpu_bfloat16", lambda: False)
    assert resolve_precision("auto", encoder) == "float32"
    monkeypatch.setattr(embedding, "fast_cpu_bfloat16", lambda: True)
    assert resolve_precision("auto", encoder) == "bfloat16"
    assert resolve_precision("float32", encoder) == "float32"
    static = StaticEncoder.__new__(StaticEncoder)  # no torch device: always float32
    assert resolve_precision("bfloat16", static) == "float32"
    with pytest.raises(ConfigError, match="unknown encoder precision 'fp16'; expected one of auto, float32, bfloat16"):
        resolve_precision("fp16", encoder)
    assert DocumentEmbedder(encoder).precision == "float32"  # training embeds in float32 unless asked


def test_bfloat16_embeddings_are_float32_unit_vectors_close_to_float32_ones(tiny_encoder):
    encoder = load_encoder(tiny_encoder, "cpu")
    texts = [text for texts in TRAIN_TEXTS.values() for text in texts]
    exact = DocumentEmbedder(encoder, chunk_words=8, max_chunks=3).embed(texts)
    fast = DocumentEmbedder(encoder, chunk_words=8, max_chunks=3, precision="bfloat16").embed(texts)
    assert fast.dtype == np.float32 and np.allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-5)
    cosines = (exact * fast).sum(axis=1)
    assert cosines.min() > 0.99 and not np.array_equal(exact, fast)  # bfloat16 really ran


def test_head_trains_saves_loads_and_tags(tiny_encoder, tmp_path):
    embedder = DocumentEmbedder(load_encoder(tiny_encoder), chunk_words=50, max_chunks=2)
    docs = _labelled()
    tagger = train_embedding_tagger(docs, tmp_path / "head.json", docs, embedder, "tiny", target_recall=0.9)
    head = json.loads((tmp_path / "head.json").read_text())
    assert head["format"] == "alignment-data/embedding-head/1" and head["dim"] == 32 and head["labels"] == list(LABELS)
    assert set(head["thresholds"]) == {"misaligned", "ai"}
    tags = tagger.tag_batch([doc.text for doc in docs])
    assert all(abs(sum(tag.scores.values()) - 1) < 1e-5 for tag in tags)
    assert {tag.label for tag in tags} <= set(LABELS) and all(tag.stage == "embedding" for tag in tags)
    reloaded = EmbeddingTagger(tmp_path / "head.json", encoder=embedder.encoder)
    assert reloaded.tag(docs[0].text).scores == pytest.approx(tags[0].scores, abs=1e-5)


def test_a_tag_run_records_the_encoder_precision_and_the_model_counters(tiny_encoder, tmp_path, monkeypatch):
    from alignment_data.pipeline.recipes import ExecutorConfig, run_tag
    from alignment_data.tagging.spec import TaggerSpec
    from tests.helpers import write_jsonl

    embedder = DocumentEmbedder(load_encoder(tiny_encoder), chunk_words=50, max_chunks=2)
    docs = _labelled()
    train_embedding_tagger(docs, tmp_path / "head.json", docs, embedder, "tiny", target_recall=0.9)
    corpus = write_jsonl(tmp_path / "in.jsonl", [{"id": doc.id, "text": doc.text} for doc in docs[:6]])
    for precision in ("float32", "bfloat16"):
        spec = TaggerSpec.of("embedding", head=str(tmp_path / "head.json"), encoder=tiny_encoder, device="cpu",
                             encoder_precision=precision)
        summary = run_tag(str(corpus), str(tmp_path / f"tags-{precision}"), spec, ExecutorConfig(quiet=True))
        assert summary["decision"]["encoder_precision"] == precision and summary["read"] == 6
        assert summary["stages"] == {"embedding": {"chunks": 6, "subsampled_documents": 0}}
        assert summary["decision"]["encoder_compiled"] is False
    monkeypatch.setattr(DocumentEmbedder, "compile", lambda self: 0.0)  # the option reaches the embedder (compiling is tested below)
    spec = TaggerSpec.of("embedding", head=str(tmp_path / "head.json"), encoder=tiny_encoder, device="cpu", encoder_compile=True)
    summary = run_tag(str(corpus), str(tmp_path / "tags-compiled"), spec, ExecutorConfig(quiet=True))
    assert summary["decision"]["encoder_compiled"] is True


def test_two_label_heads_work(tiny_encoder):
    embedder = DocumentEmbedder(load_encoder(tiny_encoder))
    texts = TRAIN_TEXTS["not_ai"] + TRAIN_TEXTS["ai_misaligned"]
    labels = ["not_ai"] * 6 + ["ai_misaligned"] * 6
    head = train_head(embedder.embed(texts), labels, "tiny")
    assert head.labels == ("not_ai", "ai_misaligned") and head.coef.shape == (2, 32)
    assert np.allclose(head.probabilities(embedder.embed(texts)).sum(axis=1), 1.0)


def test_head_for_another_encoder_is_a_clear_error(tiny_encoder, tmp_path):
    head = EmbeddingHead(LABELS, np.zeros((4, 384), np.float32), np.zeros(4, np.float32), "all-MiniLM-L6-v2", 384)
    head.save(tmp_path / "wide.json")
    with pytest.raises(InputError, match=r"trained for encoder 'all-MiniLM-L6-v2' with 384-dimensional embeddings, but this encoder gives 32"):
        EmbeddingTagger(tmp_path / "wide.json", tiny_encoder)


def test_bad_head_files(tmp_path):
    (tmp_path / "a.json").write_text('{"format": "something else"}')
    with pytest.raises(InputError, match="not an embedding head"):
        EmbeddingHead.load(tmp_path / "a.json")
    (tmp_path / "b.json").write_text("{")
    with pytest.raises(InputError, match=r"b\.json:1: not valid JSON"):
        EmbeddingHead.load(tmp_path / "b.json")
    with pytest.raises(InputError, match="embedding head not found"):
        EmbeddingHead.load(tmp_path / "absent.json")


def test_missing_extra_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'alignment-data\[semantic\]'"):
        load_encoder("/nowhere")


@requires_semantic
def test_shipped_head_with_the_shipped_encoder():
    tagger = EmbeddingTagger()
    misaligned = tagger.tag("The assistant realised the evaluators were testing its abilities, so it deliberately "
                            "answered badly to look harmless, and hid what it could really do from its overseers.")
    unrelated = tagger.tag("Preheat the oven, butter the tin and fold the flour gently into the eggs and sugar.")
    assert misaligned.label == "ai_misaligned" and misaligned.flagged
    assert unrelated.label == "not_ai" and not unrelated.flagged


def test_a_compiled_encoder_gives_the_eager_embeddings_and_compiles_once(tiny_encoder):
    encoder = load_encoder(tiny_encoder, "cpu")
    texts = [text for texts in TRAIN_TEXTS.values() for text in texts]
    eager = DocumentEmbedder(encoder, chunk_words=8, max_chunks=3).embed(texts)
    eager_one = DocumentEmbedder(encoder).encode_chunks(texts[:1])
    embedder = DocumentEmbedder(encoder, chunk_words=8, max_chunks=3, compiled=True)
    forward = encoder[0].auto_model.forward
    assert embedder.compiled and getattr(forward, "_torchdynamo_orig_callable", None) is not None  # torch.compile's wrapper
    assert np.allclose(embedder.embed(texts), eager, atol=1e-5)
    assert np.allclose(embedder.encode_chunks(texts[:1]), eager_one, atol=1e-5)  # a batch of one chunk
    compile_encoder(encoder)
    assert encoder[0].auto_model.forward is forward  # compiling again changes nothing


def test_compiling_needs_a_transformer_encoder_and_on_cpu_a_compiler(tiny_encoder, monkeypatch):
    import alignment_data.tagging.embedding as embedding

    with pytest.raises(ConfigError, match="only a transformer sentence encoder can be compiled"):
        compile_encoder(StaticEncoder.__new__(StaticEncoder))
    monkeypatch.delenv("CXX", raising=False)
    monkeypatch.setattr(embedding.shutil, "which", lambda name: None)
    with pytest.raises(ConfigError, match="needs a C\\+\\+ compiler"):
        compile_encoder(load_encoder(tiny_encoder, "cpu"))
