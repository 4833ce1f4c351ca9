import json

import numpy as np
import pytest

from alignment_data.errors import ConfigError, InputError
from alignment_data.schema import LABELS, LabelledDocument
from alignment_data.tagging.blocklist import BlocklistTagger
from alignment_data.tagging.cascade import CascadeOptions, CascadeTagger, ModelStage, default_cascade_config, default_stages
from alignment_data.tagging.embedding import default_head_path
from alignment_data.tagging.lexical import LexicalModel, LexicalTagger
from alignment_data.tagging.policy import make_policy
from alignment_data.tagging.termlists import TermCategory
from alignment_data.tagging.training import train_lexical_tagger, tune_cascade
from tests.helpers import TRAIN_TEXTS, requires_semantic
from tests.test_cascade import FixedTagger

pytest.importorskip("sklearn", reason="the lexical model needs the semantic extra")


def _labelled():
    return [LabelledDocument(f"{label}-{i}", text, label, {})
            for label, texts in TRAIN_TEXTS.items() for i, text in enumerate(texts)]


@pytest.fixture()
def lexical(tmp_path):
    docs = _labelled()
    return train_lexical_tagger(docs, tmp_path / "lexical.json", docs, target_recall=0.9)


def test_the_lexical_model_trains_saves_loads_and_tags(lexical, tmp_path):
    stored = json.loads((tmp_path / "lexical.json").read_text())
    assert stored["format"] == "alignment-data/lexical-tagger/1" and stored["labels"] == list(LABELS)
    assert len(stored["vocabulary"]) == len(stored["idf"]) == len(stored["coef"][0]) > 0
    assert set(stored["thresholds"]) == {"misaligned", "ai"}
    texts = [doc.text for doc in _labelled()]
    tags = lexical.tag_batch(texts)
    assert all(abs(sum(tag.scores.values()) - 1) < 1e-5 for tag in tags) and all(tag.stage == "lexical" for tag in tags)
    # the training texts come back with their own labels: the words decide
    assert sum(tag.label == doc.label for tag, doc in zip(tags, _labelled())) >= 0.9 * len(tags)
    reloaded = LexicalTagger(tmp_path / "lexical.json")
    assert reloaded.tag(texts[0]).scores == pytest.approx(tags[0].scores, abs=1e-5)
    assert lexical.tag_batch([]) == []


def test_bad_lexical_files_name_the_field(lexical, tmp_path):
    stored = json.loads((tmp_path / "lexical.json").read_text())
    for change, field_name in (({"format": "x"}, "format"), ({"idf": [1.0]}, "idf"), ({"coef": "abc"}, "coef"),
                               ({"labels": ["not_ai", "spam", "ai_aligned", "ai_neutral"]}, "labels"),
                               ({"vocabulary": "abc"}, "vocabulary")):
        (tmp_path / "bad.json").write_text(json.dumps({**stored, **change}))
        with pytest.raises(InputError, match=rf"bad\.json.*{field_name}"):
            LexicalModel.load(tmp_path / "bad.json")
    with pytest.raises(InputError, match="lexical model not found"):
        LexicalModel.load(tmp_path / "absent.json")
    with pytest.raises(InputError, match="empty or whitespace-only document"):
        train_lexical_tagger([LabelledDocument("blank-1", "  ", "not_ai", {})], tmp_path / "x.json")


def test_a_pool_only_stage_decides_nothing_and_joins_the_mean():
    blocklist = BlocklistTagger([TermCategory("entities", "entity", ("ai",))])
    sure = FixedTagger("first", {"not_ai": 0.9, "ai_neutral": 0.1, "ai_misaligned": 0.0, "ai_aligned": 0.0})
    pooled = FixedTagger("lexical", {"not_ai": 0.1, "ai_neutral": 0.1, "ai_misaligned": 0.7, "ai_aligned": 0.1})
    last = FixedTagger("last", {"not_ai": 0.4, "ai_neutral": 0.2, "ai_misaligned": 0.3, "ai_aligned": 0.1})
    stages = [ModelStage(pooled, confidence=0.0, pool_only=True), ModelStage(last)]
    cascade = CascadeTagger(blocklist, stages, make_policy("misaligned", 0.5), combine=True)
    tag = cascade.tag("the ai")
    assert tag.stage == "last" and tag.scores == pytest.approx({"not_ai": 0.25, "ai_neutral": 0.15, "ai_misaligned": 0.5,
                                                                "ai_aligned": 0.1})
    assert tag.flagged and cascade.stats_dict()["lexical"]["escalated"] == 1
    tuned = tune_cascade(CascadeTagger(blocklist, [ModelStage(sure), ModelStage(pooled, pool_only=True), ModelStage(last)],
                                       make_policy("misaligned"), combine=True),
                         [LabelledDocument("a", "the ai", "ai_misaligned", {})])
    assert tuned["stages"][1] == {"name": "lexical", "pool_only": True}
    for bad, combine in (([ModelStage(last), ModelStage(pooled, pool_only=True)], True), (stages, False)):
        with pytest.raises(ConfigError, match="pool-only stage 'lexical'"):
            CascadeTagger(blocklist, bad, combine=combine)


@requires_semantic
def test_the_shipped_lexical_variant_pools_the_shipped_lexical_model():
    assert default_stages() == ("fasttext", "lexical", "embedding")  # the default since the fifteenth round of issue 11
    cascade = CascadeTagger.from_options(CascadeOptions(stages=("fasttext", "lexical", "embedding")))
    assert [stage.name for stage in cascade.stages] == ["fasttext", "lexical", "embedding"]
    assert cascade.stages[1].pool_only and cascade.combine
    assert cascade.thresholds == default_cascade_config()["variants"]["fasttext+lexical+embedding"]["thresholds"]
    # a user's own head decides alone, unpooled: the pool-only stage is left out
    own_head = CascadeTagger.from_options(CascadeOptions(stages=("fasttext", "lexical", "embedding"),
                                                         head=str(default_head_path())))
    assert [stage.name for stage in own_head.stages] == ["fasttext", "embedding"] and not own_head.combine
    scores = LexicalTagger().tag("The assistant quietly deleted the audit log so nobody would see what it had done.").scores
    assert np.isclose(sum(scores.values()), 1.0, atol=1e-5)


def test_a_stance_stage_splits_the_misaligned_and_aligned_probability_in_its_proportion():
    blocklist = BlocklistTagger([TermCategory("entities", "entity", ("ai",))])
    stance = FixedTagger("lexical", {"not_ai": 0.2, "ai_neutral": 0.0, "ai_misaligned": 0.2, "ai_aligned": 0.6})
    last = FixedTagger("last", {"not_ai": 0.2, "ai_neutral": 0.2, "ai_misaligned": 0.5, "ai_aligned": 0.1})
    cascade = CascadeTagger(blocklist, [ModelStage(stance, pool_only=True, stance=True), ModelStage(last)],
                            make_policy("misaligned", 0.3), combine=True)
    tag = cascade.tag("the ai")
    # the mean is 0.2 / 0.1 / 0.35 / 0.35; its 0.7 of misaligned + aligned goes 1:3, as the stance stage says
    assert tag.scores == pytest.approx({"not_ai": 0.2, "ai_neutral": 0.1, "ai_misaligned": 0.175, "ai_aligned": 0.525})
    assert not tag.flagged and tag.label == "ai_aligned"
    with pytest.raises(ConfigError, match="only a pool-only stage can set the stance"):
        CascadeTagger(blocklist, [ModelStage(stance, stance=True), ModelStage(last)], combine=True)
