import pytest

from alignment_data.errors import InputError
from alignment_data.schema import LabelledDocument, Tag
from alignment_data.tagging.base import Tagger
from alignment_data.tagging.blocklist import BlocklistTagger
from alignment_data.tagging.cascade import CascadeTagger, ModelStage
from alignment_data.tagging.policy import make_policy
from alignment_data.tagging.quality import measure_tagger
from alignment_data.tagging.termlists import TermCategory
from alignment_data.tagging.training import budget_threshold, cascade_budget_threshold, choose_threshold


class ByWord(Tagger):
    name = "byword"

    @classmethod
    def from_options(cls, options):
        return cls()

    def tag_batch(self, texts):
        out = []
        for text in texts:
            label = text.split()[0]
            out.append(Tag(flagged=label == "ai_misaligned", label=label, scores={label: 1.0}))
        return out


def _doc(i, label, predicted):
    return LabelledDocument(f"d{i}", f"{predicted} words", label, {})


def test_confusion_precision_recall_and_flag_rates():
    docs = [
        _doc(0, "ai_misaligned", "ai_misaligned"),
        _doc(1, "ai_misaligned", "ai_aligned"),
        _doc(2, "ai_aligned", "ai_misaligned"),
        _doc(3, "not_ai", "not_ai"),
        _doc(4, "not_ai", "not_ai"),
    ]
    report = measure_tagger(ByWord(), docs, batch_size=2)
    assert report["n"] == 5
    assert report["flagged_rate"] == {"not_ai": 0.0, "ai_misaligned": 0.5, "ai_aligned": 1.0}
    assert report["confusion"]["ai_misaligned"]["ai_aligned"] == 1
    assert report["per_label"]["ai_misaligned"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2, "predicted": 2}
    assert report["per_label"]["ai_neutral"]["recall"] is None
    assert report["per_label"]["ai_aligned"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1, "predicted": 1}
    assert report["accuracy"] == 0.6


def test_blocklist_style_tagger_has_no_label_metrics():
    class FlagAll(ByWord):
        name = "all"

        def tag_batch(self, texts):
            return [Tag(True) for _ in texts]

    report = measure_tagger(FlagAll(), [_doc(0, "not_ai", "x")])
    assert report["flagged_rate"] == {"not_ai": 1.0} and "confusion" not in report


def test_choose_threshold_is_the_highest_reaching_the_recall():
    scores = [0.9, 0.8, 0.7, 0.6, 0.1, 0.95]
    positive = [True, True, True, True, True, False]
    assert choose_threshold(scores, positive, 0.8) == 0.6
    assert choose_threshold(scores, positive, 1.0) == 0.1
    assert choose_threshold(scores, positive, 0.2) == 0.9
    with pytest.raises(InputError, match="no positive examples"):
        choose_threshold([0.5], [False], 0.9)


def test_choose_threshold_when_some_positives_never_reach_a_model():
    scores = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.0, 0.0]
    positive = [True] * 10
    # 95% recall is out of reach (two positives scored 0): aim at 99% of the 8 reachable ones
    assert choose_threshold(scores, positive, 0.95) == 0.2
    assert choose_threshold(scores, positive, 0.5) == 0.5


def test_a_tuning_split_can_leave_batches_out_and_its_card_says_which():
    from alignment_data.schema import LabelledDocument
    from alignment_data.tagging.training import leave_out_ids, split_source

    docs = [LabelledDocument(doc_id, "text", "not_ai", {}) for doc_id in ("a-1", "r3-2", "r6-u-3", "r6x")]
    assert [doc.id for doc in leave_out_ids(docs, ["r3-", "r6-"])] == ["a-1", "r6x"]
    assert leave_out_ids(docs, []) == docs
    assert split_source("valid") == "data/labelled/written (split=valid)"
    assert split_source("valid", ["r3-", "r6-"]) == "data/labelled/written (split=valid, without ids r3-, r6-*)"


def test_budget_threshold_flags_at_most_the_budget_of_negatives():
    scores = [0.9, 0.85, 0.4, 0.3, 0.2, 0.214438468, 0.211701, 0.1, 0.0]
    positive = [True, True, True, False, False, False, False, False, False]
    flagged = lambda t: sum(1 for s, p in zip(scores, positive) if not p and s >= t)  # noqa: E731
    assert budget_threshold(scores, positive, 2) == 0.214438  # the second negative, rounded down
    assert flagged(0.214438) == 2
    assert budget_threshold(scores, positive, 1) == 0.3
    assert flagged(budget_threshold(scores, positive, 0)) == 0
    # fewer scored negatives than the budget (the one scored 0 never reaches a model): every positive
    assert budget_threshold(scores, positive, 5) == 0.4
    # ties at the cut: taking the tied score would flag three, so the next higher one is taken
    tied = [0.5, 0.4, 0.4, 0.3]
    assert budget_threshold(tied, [False] * 4, 2) == 0.5
    with pytest.raises(InputError, match="0 or more"):
        budget_threshold(scores, positive, -1)


class ScoreInText(Tagger):
    """A stand-in last stage whose P(ai_misaligned) is the number at the end of the text."""

    name = "scored"

    @classmethod
    def from_options(cls, options):
        return cls()

    def tag_batch(self, texts):
        tags = []
        for text in texts:
            misaligned = float(text.split()[-1])
            scores = {"not_ai": 0.0, "ai_neutral": 1.0 - misaligned, "ai_misaligned": misaligned, "ai_aligned": 0.0}
            tags.append(Tag(False, max(scores, key=scores.get), scores=scores, stage=self.name))
        return tags


def test_a_cascade_flags_no_more_others_than_its_budget():
    blocklist = BlocklistTagger([TermCategory("entities", "entity", ("ai",))])
    cascade = CascadeTagger(blocklist, [ModelStage(ScoreInText())], make_policy("misaligned"))
    scored = [("ai_misaligned", 0.9), ("ai_misaligned", 0.5), ("ai_aligned", 0.7), ("ai_neutral", 0.6), ("ai_aligned", 0.2)]
    docs = [LabelledDocument(f"d{i}", f"the ai {score}", label, {}) for i, (label, score) in enumerate(scored)]
    # the blocklist clears a text with no term before the model sees it: it can never be flagged
    docs.append(LabelledDocument("clear", "a plain page 0.99", "not_ai", {}))
    assert cascade_budget_threshold(cascade, docs, "misaligned", 1) == 0.7
    assert cascade_budget_threshold(cascade, docs, "misaligned", 2) == 0.6
    threshold = cascade_budget_threshold(cascade, docs, "misaligned", 0)
    cascade.policy = make_policy("misaligned", thresholds={"misaligned": threshold})
    flagged = [doc.label for doc, tag in zip(docs, cascade.tag_batch([doc.text for doc in docs])) if tag.flagged]
    assert flagged == ["ai_misaligned"]

