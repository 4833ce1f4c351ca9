import json

import numpy as np
import pytest

from alignment_data.errors import ConfigError, MissingExtraError
from alignment_data.schema import LABELS
from alignment_data.tagging.blocklist import BlocklistTagger
from alignment_data.tagging.cascade import (
    CascadeOptions,
    CascadeTagger,
    ModelStage,
    _assemble,
    default_cascade_config,
    static_stage,
)
from alignment_data.tagging.embedding import EmbeddingHead
from alignment_data.tagging.policy import make_policy
from alignment_data.tagging.static import StaticEncoder, StaticTagger, default_static_head_path, static_extra_installed
from alignment_data.tagging.termlists import TermCategory
from tests.helpers import requires_semantic
from tests.test_cascade import FixedTagger

requires_static = pytest.mark.skipif(not static_extra_installed(), reason="needs the static extra: pip install 'alignment-data[static]'")

NOT_AI_SURE = {"not_ai": 0.97, "ai_neutral": 0.01, "ai_misaligned": 0.01, "ai_aligned": 0.01}
MISALIGNED = {"not_ai": 0.0, "ai_neutral": 0.0, "ai_misaligned": 0.9, "ai_aligned": 0.1}


class NamedFixed(FixedTagger):
    name = "static"


@pytest.fixture()
def blocklist():
    return BlocklistTagger([
        TermCategory("entities", "entity", ("ai", "robot")),
        TermCategory("verbs", "two_stage", ("kills",)),
        TermCategory("cues", "cue", ("weights",)),
    ])


def _cascade(blocklist, static_scores, last_scores=MISALIGNED, confidence=0.9, guard=("entities",)):
    first = FixedTagger("fasttext", {"not_ai": 0.4, "ai_neutral": 0.2, "ai_misaligned": 0.3, "ai_aligned": 0.1})
    static = NamedFixed("static", static_scores)
    last = FixedTagger("embedding", last_scores)
    stages = [ModelStage(first, confidence=0.99, decides=frozenset({"not_ai"})), static_stage(static, confidence), ModelStage(last)]
    return CascadeTagger(blocklist, stages, make_policy("misaligned", thresholds={"misaligned": 0.5}), combine=True, guard=guard), static, last


def test_the_static_stage_clears_confident_unrelated_text_and_never_flags(blocklist):
    cascade, static, last = _cascade(blocklist, NOT_AI_SURE)
    tags = cascade.tag_batch(["the storm kills crops", "it copied its weights"])
    assert static.seen == ["the storm kills crops", "it copied its weights"] and last.seen == []
    assert all(tag.stage == "static" and tag.cleared and not tag.flagged and tag.label == "not_ai" for tag in tags)
    assert tags[0].scores == NOT_AI_SURE  # its own scores, not a mean with fastText's
    assert cascade.stats_dict()["static"]["decided"] == 2


def test_the_static_stage_passes_on_anything_it_is_not_sure_of(blocklist):
    unsure = {"not_ai": 0.85, "ai_neutral": 0.05, "ai_misaligned": 0.05, "ai_aligned": 0.05}
    for scores in (unsure, MISALIGNED):  # below its confidence, or not not_ai at all: never decided here
        cascade, _, last = _cascade(blocklist, scores)
        tags = cascade.tag_batch(["the storm kills crops"])
        assert last.seen == ["the storm kills crops"] and tags[0].stage == "embedding"


def test_the_last_stage_decides_without_the_static_scores(blocklist):
    cascade, _, _ = _cascade(blocklist, MISALIGNED)  # escalates: its scores must not join the mean
    tag = cascade.tag_batch(["the storm kills crops"])[0]
    fasttext = {"not_ai": 0.4, "ai_neutral": 0.2, "ai_misaligned": 0.3, "ai_aligned": 0.1}
    assert tag.scores == pytest.approx({label: (fasttext[label] + MISALIGNED[label]) / 2 for label in LABELS})


def test_the_static_stage_never_clears_a_guarded_document(blocklist):
    cascade, static, last = _cascade(blocklist, NOT_AI_SURE)
    tags = cascade.tag_batch(["a robot walks", "the storm kills crops"])
    assert static.seen == ["a robot walks", "the storm kills crops"]
    assert last.seen == ["a robot walks"] and tags[0].stage == "embedding" and tags[1].stage == "static"


def test_a_static_stage_that_could_flag_or_decide_last_is_refused(blocklist):
    static = NamedFixed("static", NOT_AI_SURE)
    last = FixedTagger("embedding", MISALIGNED)
    with pytest.raises(ConfigError, match="only clears unrelated text"):
        CascadeTagger(blocklist, [ModelStage(static, 0.5), ModelStage(last)])  # would decide any label
    with pytest.raises(ConfigError, match="only clears unrelated text"):
        CascadeTagger(blocklist, [ModelStage(last), static_stage(static, 0.9)])  # last: would decide everything
    with pytest.raises(ConfigError, match="a stage must follow it"):
        CascadeOptions(stages=("fasttext", "static"))


def test_the_shipped_static_variant_round_trips_its_settings(tmp_path):
    config = default_cascade_config()
    variant = config["variants"]["fasttext+static+embedding"]
    names = [stage["name"] for stage in variant["stages"]]
    assert names == ["fasttext", "static", "embedding"]
    static = variant["stages"][1]
    assert static["decides"] == ["not_ai"] and 0.5 <= static["confidence"] < 1.0
    # the stages the static stage does not clear are decided exactly as in the cascade without it
    assert variant["thresholds"] == config["variants"]["fasttext+embedding"]["thresholds"]
    assert variant["stages"][0] == config["variants"]["fasttext+embedding"]["stages"][0]
    assert json.loads(json.dumps(config)) == config
    assert config.get("default_stages", ["fasttext", "embedding"])[-1] == "embedding"


def test_the_shipped_static_head_reads_with_its_label_order():
    head = EmbeddingHead.load(default_static_head_path())
    assert set(head.labels) == set(LABELS) and head.coef.shape == (len(head.labels), head.dim)
    # a document the head scores not_ai comes out labelled not_ai, whatever the label order
    row = np.zeros((1, head.dim), dtype=np.float32)
    probabilities = head.probabilities(row)[0]
    scores = dict(zip(head.labels, probabilities))
    assert max(scores, key=scores.get) == head.labels[int(np.argmax(head.intercept))]
    assert head.thresholds.keys() == {"misaligned", "ai"}


def test_without_the_extra_the_static_stage_says_how_to_install(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_model2vec(name, *args, **kwargs):
        if name == "model2vec" or name.startswith("model2vec."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_model2vec)
    assert not static_extra_installed()
    with pytest.raises(MissingExtraError, match=r"alignment-data\[static\]"):
        StaticEncoder()
    from alignment_data.tagging import cascade as cascade_module

    assert "static" not in cascade_module.default_stages()


@requires_static
def test_the_static_tagger_labels_real_text():
    tagger = StaticTagger()
    tags = tagger.tag_batch(["Preheat the oven and butter the tin before you pour in the batter.",
                             "The AI system hid its true goals from its overseers and copied its weights to another server."])
    assert tags[0].label == "not_ai" and tags[0].scores["not_ai"] > tags[1].scores["not_ai"]
    assert tags[1].label != "not_ai"
    assert tagger.stats_dict()["chunks"] == 2


@requires_static
@requires_semantic
def test_the_static_variant_builds_from_options():
    parts = _assemble(CascadeOptions(stages=("fasttext", "static", "embedding")))
    names = [stage.name for stage in parts["stages"]]
    assert names == ["fasttext", "static", "embedding"]
    static = parts["stages"][1]
    assert static.decides == frozenset({"not_ai"}) and not static.pooled
    assert static.confidence == default_cascade_config()["variants"]["fasttext+static+embedding"]["stages"][1]["confidence"]
