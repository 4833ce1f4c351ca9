import json

import pytest

from alignment_data.errors import ConfigError, InputError
from alignment_data.schema import LABELS
from alignment_data.tagging.fasttext import FastTextParams, FastTextTagger, default_model_path, read_card
from alignment_data.tagging.policy import make_policy
from tests.helpers import TRAIN_TEXTS


def test_tags_have_a_label_and_probabilities(tiny_model):
    tagger = FastTextTagger(tiny_model)
    tag = tagger.tag("The rogue AI deceived its overseers and copied its weights to escape shutdown.")
    assert tag.label == "ai_misaligned"
    assert set(tag.scores) == set(LABELS)
    assert abs(sum(tag.scores.values()) - 1) < 1e-3
    assert tag.flagged and tag.stage == "fasttext" and tag.reasons == ("fasttext: misaligned >= 0.5",)
    calm = tagger.tag("The bakery sells sourdough bread and rolls in the morning.")
    assert calm.label == "not_ai" and not calm.flagged


def test_policy_and_threshold_decide_flagged(tiny_model):
    text = "The robot vacuum maps the living room with lidar."
    assert not FastTextTagger(tiny_model).tag(text).flagged
    assert FastTextTagger(tiny_model, policy="ai").tag(text).flagged
    assert FastTextTagger(tiny_model, policy="misaligned", threshold=0.0).tag(text).flagged
    with pytest.raises(ConfigError, match="unknown policy"):
        make_policy("everything")


def test_training_writes_a_card_and_is_deterministic(tmp_path):
    examples = [(text, label) for label, texts in TRAIN_TEXTS.items() for text in texts] * 3
    params = FastTextParams(epoch=10, dim=8, bucket=1000, min_count=1)
    first = FastTextTagger.train(examples, tmp_path / "a.bin", params)
    second = FastTextTagger.train(examples, tmp_path / "b.bin", params)
    # Same seed, same data: the same model up to float rounding (fastText's vector code depends on
    # memory alignment in its last bits).
    for text in ("a robot", "the bakery", "the AI deceived its overseers"):
        assert first.scores(text) == pytest.approx(second.scores(text), abs=1e-5)
    card = read_card(tmp_path / "a.bin")
    assert card["train_counts"] == {label: 18 for label in sorted(LABELS)}
    assert card["params"]["dim"] == 8 and first.labels == LABELS


def test_training_rejects_bad_examples(tmp_path):
    with pytest.raises(InputError, match="<training examples>:2: label: unknown label 'bad'"):
        FastTextTagger.train([("a", "not_ai"), ("b", "bad")], tmp_path / "m.bin")
    with pytest.raises(InputError, match="<training examples>:1: text: empty or non-string text"):
        FastTextTagger.train([("  ", "not_ai"), ("b", "ai_neutral")], tmp_path / "m.bin")
    with pytest.raises(InputError, match="need at least two labels"):
        FastTextTagger.train([("a", "not_ai")], tmp_path / "m.bin")


def test_missing_or_foreign_models_are_clear_errors(tmp_path):
    with pytest.raises(InputError, match="fastText model not found"):
        FastTextTagger(tmp_path / "absent.bin")
    (tmp_path / "junk.bin").write_bytes(b"not a model")
    with pytest.raises(InputError, match="not a fastText model"):
        FastTextTagger(tmp_path / "junk.bin")
    (tmp_path / "card.bin").write_bytes(b"x")
    (tmp_path / "card.json").write_text("{oops")
    with pytest.raises(InputError, match=r"card\.json:1: model card is not valid JSON"):
        FastTextTagger(tmp_path / "card.bin")


def test_model_with_foreign_labels_is_rejected(tmp_path):
    from alignment_data.tagging.fasttext import _run_training_process

    (tmp_path / "t.txt").write_text("__label__spam buy now\n__label__ham hello friend\n" * 20)
    # word pairs, as the shipped settings use: with single words only, fastText met a NaN in
    # about 3% of trainings of this tiny file (the same seed otherwise gives the same model)
    params = {"epoch": 2, "lr": 0.1, "dim": 4, "word_ngrams": 2, "bucket": 100, "min_count": 1, "seed": 0}
    _run_training_process(str(tmp_path / "t.txt"), str(tmp_path / "spam.bin"), params)
    with pytest.raises(InputError, match=r"model predicts unknown labels \['ham', 'spam'\]"):
        FastTextTagger(tmp_path / "spam.bin")


def test_shipped_model_is_small_and_carries_tuned_thresholds():
    path = default_model_path()
    assert path.stat().st_size < 10e6
    card = json.loads(path.with_suffix(".json").read_text())
    assert set(card["thresholds"]) == {"misaligned", "ai"}
    assert FastTextTagger().policy.threshold == card["thresholds"]["misaligned"]


def test_a_failed_training_is_a_training_error(tmp_path):
    from alignment_data.errors import TrainingError

    examples = [(text, label) for label, texts in TRAIN_TEXTS.items() for text in texts]
    with pytest.raises(TrainingError, match="fastText training failed"):
        FastTextTagger.train(examples, tmp_path / "m.bin", FastTextParams(epoch=5, lr=1e6, dim=8, bucket=100, min_count=1))
