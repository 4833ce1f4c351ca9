import json

import numpy as np
import pytest

from alignment_data.analysis import analyze_corpus
from alignment_data.analysis.diversity import analyze_diversity, mean_pairwise_similarity, nearest_and_clusters
from alignment_data.errors import InputError
from alignment_data.schema import Tag
from alignment_data.tagging.blocklist import BlocklistTagger
from alignment_data.tagging.embedding import DocumentEmbedder, load_encoder
from tests.helpers import write_jsonl


def _tagged(i, text, tag, source):
    return {"id": f"d{i}", "text": text, "source": source, "metadata": {"ai_discourse": tag.to_dict()}}


def test_corpus_report_counts_reasons_terms_sources_and_lengths(tmp_path):
    rows = [
        _tagged(0, "a b c", Tag(True, "ai_misaligned", ("fasttext: misaligned >= 0.5",), ("ai", "kills"), {"ai_misaligned": 0.9},
                                "fasttext", ("intelligent_entities", "negative_verbs")), "forum"),
        _tagged(1, "a b c d e f g h", Tag(True, None, ("ai_labs",), ("openai",), categories=("ai_labs",)), "news"),
        _tagged(2, "one two", Tag(False, "not_ai", (), ("ai",)), "web"),
        _tagged(3, "x", Tag(False, "not_ai"), "web"),
    ]
    path = write_jsonl(tmp_path / "tagged.jsonl", rows, [b'{"id": "bad"}\n'])
    report = analyze_corpus(path)
    assert (report.read, report.flagged, dict(report.rejected)) == (4, 2, {"missing_text": 1})
    overview = report.overview.set_index("what")
    assert overview.loc["flagged", "count"] == 2 and overview.loc["flagged", "share"] == 0.5
    assert report.reasons_table.set_index("reason").loc["ai_labs", "flagged_documents"] == 1
    assert report.top_terms().set_index("term").loc["ai", "documents"] == 1  # flagged documents only
    assert report.top_terms(flagged_only=False).set_index("term").loc["ai", "documents"] == 2
    by_source = report.by_source.set_index("source")
    assert by_source.loc["web", "documents"] == 2 and by_source.loc["web", "flagged"] == 0
    lengths = report.lengths.set_index("group")
    assert lengths.loc["flagged", "mean_words"] == 5.5 and lengths.loc["kept", "documents"] == 2
    written = report.save(tmp_path / "out")
    for name in ("reasons.png", "top_terms.png", "lengths.png"):
        assert (tmp_path / "out" / name).read_bytes()[:4] == b"\x89PNG"
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["share_flagged"] == 0.5
    assert len(written) == 12
    assert report.categories_table.set_index("category")["documents"].to_dict() == {
        "intelligent_entities": 1, "negative_verbs": 1, "ai_labs": 1}
    assert report.stages_table.set_index("stage").loc["fasttext", "documents"] == 1


def test_analysis_reads_urls_and_never_writes_over_another_commands_outputs(tmp_path):
    path = write_jsonl(tmp_path / "tagged.jsonl", [_tagged(0, "a b", Tag(False, "not_ai"), "web")])
    report = analyze_corpus(path.as_uri())
    assert report.read == 1
    run = tmp_path / "run"
    run.mkdir()
    (run / "summary.json").write_text(json.dumps({"command": "tag", "read": 1}))
    with pytest.raises(InputError, match=r"holds the outputs of `alignment-data tag` \(summary\.json\)"):
        report.save(run)
    assert json.loads((run / "summary.json").read_text())["command"] == "tag"
    report.save(tmp_path / "analysis")
    report.save(tmp_path / "analysis")  # its own outputs may be written again


def test_untagged_corpus_needs_a_tagger(tmp_path):
    path = write_jsonl(tmp_path / "raw.jsonl", [{"id": "a", "text": "The AI kills."}])
    with pytest.raises(InputError, match=r"raw\.jsonl:1: metadata\.ai_discourse: no 'ai_discourse' tag"):
        analyze_corpus(path)
    report = analyze_corpus(path, tagger=BlocklistTagger())
    assert report.flagged == 1


def test_mean_pairwise_similarity_matches_brute_force():
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(30, 8))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    brute = (vectors @ vectors.T)[~np.eye(30, dtype=bool)].mean()
    assert mean_pairwise_similarity(vectors) == pytest.approx(brute)


def test_near_duplicate_clusters_join_transitively():
    base = np.eye(4)[:, :4].astype(np.float32)
    vectors = np.stack([base[0], base[0] * 0.99 + base[1] * 0.14, base[0] * 0.97 + base[1] * 0.24, base[2], base[3]])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    nearest, clusters = nearest_and_clusters(vectors, threshold=0.98)
    assert clusters[0] == clusters[1] == clusters[2] == 0 and clusters[3] == clusters[4] == -1
    assert nearest[3] == pytest.approx(0.0)


def test_diversity_report_on_synthetic_documents(tmp_path, tiny_encoder):
    rows = [
        {"id": "s1", "text": "The model deceived its overseers.", "scenario_id": "q1", "stance": "misaligned", "surface_form": "news"},
        {"id": "s2", "text": "The model deceived its overseers.", "scenario_id": "q1", "stance": "misaligned", "surface_form": "story"},
        {"id": "s3", "text": "The robot vacuum maps the room.", "metadata": {"scenario_id": "q1", "stance": "aligned", "surface_form": "news"}},
        {"id": "s4", "text": "A bakery sells bread.", "scenario_id": "q2", "stance": "aligned", "surface_form": "lecture"},
    ]
    path = write_jsonl(tmp_path / "synthetic.jsonl", rows)
    embedder = DocumentEmbedder(load_encoder(tiny_encoder))
    report = analyze_diversity(path, embedder, threshold=0.999)
    summary = report.summary()
    assert summary["documents_analysed"] == 4 and summary["near_duplicate_clusters"] == 1
    assert report.clusters.loc[0, "ids"] == ["s1", "s2"]
    assert summary["scenarios"] == 2 and summary["scenarios_missing_a_stance"] == 1
    coverage = report.coverage.set_index("scenario_id")
    assert coverage.loc["q1", "misaligned"] == 2 and coverage.loc["q1", "aligned"] == 1 and coverage.loc["q1", "surface_forms"] == 2
    by_stance = report.group_similarity["stance"].set_index("stance")
    assert by_stance.loc["misaligned", "mean_pairwise_cosine"] == pytest.approx(1.0, abs=1e-5)
    sampled = analyze_diversity(path, embedder, max_docs=2)
    assert sampled.summary()["read"] == 4 and sampled.summary()["documents_analysed"] == 2
    report.save(tmp_path / "out")
    assert (tmp_path / "out" / "nearest_similarity.png").read_bytes()[:4] == b"\x89PNG"
