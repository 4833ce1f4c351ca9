import pytest

from alignment_data.errors import ConfigError
from alignment_data.schema import Tag
from alignment_data.tagging.base import Tagger
from alignment_data.tagging.blocklist import BlocklistTagger
from alignment_data.tagging.cascade import CascadeTagger, ModelStage
from alignment_data.tagging.fasttext import FastTextTagger
from alignment_data.tagging.policy import make_policy
from alignment_data.tagging.termlists import TermCategory
from tests.helpers import requires_semantic


class FixedTagger(Tagger):
    """A stand-in model stage that returns set probabilities and records what it saw."""

    def __init__(self, name, scores):
        self.name, self.scores, self.seen = name, scores, []

    @classmethod
    def from_options(cls, options):
        return cls(*options)

    def tag_batch(self, texts):
        self.seen.extend(texts)
        return [Tag(False, max(self.scores, key=self.scores.get), scores=dict(self.scores), stage=self.name) for _ in texts]


@pytest.fixture()
def blocklist():
    return BlocklistTagger([
        TermCategory("entities", "entity", ("ai", "robot")),
        TermCategory("verbs", "two_stage", ("kills",)),
        TermCategory("labs", "instant", ("openai",)),
    ])


TEXTS = ["bread and butter", "the storm kills crops", "a robot walks", "the AI kills", "OpenAI news"]


def test_each_stage_sees_only_what_the_previous_one_escalates(blocklist):
    unsure = FixedTagger("first", {"not_ai": 0.3, "ai_neutral": 0.2, "ai_misaligned": 0.4, "ai_aligned": 0.1})
    sure = FixedTagger("second", {"not_ai": 0.0, "ai_neutral": 0.0, "ai_misaligned": 0.9, "ai_aligned": 0.1})
    cascade = CascadeTagger(blocklist, [ModelStage(unsure, confidence=0.5), ModelStage(sure)], make_policy("misaligned"))
    tags = cascade.tag_batch(TEXTS)
    assert unsure.seen == TEXTS[1:]  # any term escalates, even a lone "kills"
    assert sure.seen == TEXTS[1:]  # the first model is never confident enough
    assert tags[0].label == "not_ai" and tags[0].stage == "blocklist" and not tags[0].flagged
    assert all(tag.stage == "second" and tag.label == "ai_misaligned" and tag.flagged for tag in tags[1:])
    assert tags[3].terms == ("ai", "kills") and tags[3].categories == ("entities", "verbs")
    assert tags[3].reasons == ("second: misaligned >= 0.5",)
    stats = cascade.stats_dict()
    assert stats["blocklist"] == {"seen": 5, "decided": 1, "escalated": 4, "flagged": 0, "share_escalated": 0.8, "seconds": stats["blocklist"]["seconds"]}
    assert (stats["first"]["seen"], stats["first"]["decided"], stats["first"]["escalated"]) == (4, 0, 4)
    assert (stats["second"]["seen"], stats["second"]["decided"], stats["second"]["flagged"]) == (4, 4, 4)


def test_cue_terms_escalate_without_flagging():
    cued = BlocklistTagger([
        TermCategory("entities", "entity", ("ai",)),
        TermCategory("verbs", "two_stage", ("kills",)),
        TermCategory("cues", "cue", ("weights",)),
    ])
    model = FixedTagger("m", {"not_ai": 0.1, "ai_neutral": 0.1, "ai_misaligned": 0.7, "ai_aligned": 0.1})
    tags = CascadeTagger(cued, [ModelStage(model)]).tag_batch(["it copied its weights", "a quiet day"])
    assert model.seen == ["it copied its weights"]
    assert tags[0].flagged and tags[0].terms == () and tags[1].stage == "blocklist"


def test_a_confident_stage_decides_on_its_own(blocklist):
    confident = FixedTagger("first", {"not_ai": 0.95, "ai_neutral": 0.05, "ai_misaligned": 0.0, "ai_aligned": 0.0})
    later = FixedTagger("second", {"not_ai": 1.0, "ai_neutral": 0.0, "ai_misaligned": 0.0, "ai_aligned": 0.0})
    cascade = CascadeTagger(blocklist, [ModelStage(confident, confidence=0.9), ModelStage(later)])
    assert {tag.stage for tag in cascade.tag_batch(TEXTS[1:])} == {"first"}
    assert later.seen == []


def test_escalate_flagged_passes_on_only_what_the_study_rule_flags(blocklist):
    model = FixedTagger("m", {"not_ai": 0.1, "ai_neutral": 0.1, "ai_misaligned": 0.7, "ai_aligned": 0.1})
    cascade = CascadeTagger(blocklist, [ModelStage(model)], escalate="flagged")
    cascade.tag_batch(TEXTS)
    assert model.seen == ["the AI kills", "OpenAI news"]


def test_blocklist_policy_flags_what_the_blocklist_flags(blocklist):
    model = FixedTagger("m", {"not_ai": 1.0, "ai_neutral": 0.0, "ai_misaligned": 0.0, "ai_aligned": 0.0})
    cascade = CascadeTagger(blocklist, [ModelStage(model)], make_policy("blocklist"))
    assert [tag.flagged for tag in cascade.tag_batch(TEXTS)] == [False, False, False, True, True]


def test_cascade_with_a_real_fasttext_stage(blocklist, tiny_model):
    cascade = CascadeTagger(blocklist, [ModelStage(FastTextTagger(tiny_model))], make_policy("misaligned", 0.5))
    tag = cascade.tag("The rogue AI kills and deceived its overseers to escape shutdown.")
    assert tag.stage == "fasttext" and tag.label == "ai_misaligned" and tag.flagged


def test_bad_cascade_configurations(blocklist):
    with pytest.raises(ConfigError, match="at least one model stage"):
        CascadeTagger(blocklist, [])
    with pytest.raises(ConfigError, match="unknown escalate rule 'sometimes'"):
        CascadeTagger(blocklist, [ModelStage(FixedTagger("m", {"not_ai": 1.0}))], escalate="sometimes")
    from alignment_data.tagging.cascade import CascadeOptions

    with pytest.raises(ConfigError, match="unknown encoder precision 'half'; expected one of auto, float32, bfloat16"):
        CascadeOptions(encoder_precision="half")


def test_a_stage_can_be_limited_to_clearing_unrelated_text(blocklist):
    says_ai = FixedTagger("cheap", {"not_ai": 0.05, "ai_neutral": 0.9, "ai_misaligned": 0.05, "ai_aligned": 0.0})
    says_not = FixedTagger("cheap2", {"not_ai": 0.97, "ai_neutral": 0.03, "ai_misaligned": 0.0, "ai_aligned": 0.0})
    final = FixedTagger("final", {"not_ai": 0.0, "ai_neutral": 0.0, "ai_misaligned": 1.0, "ai_aligned": 0.0})
    cascade = CascadeTagger(blocklist, [ModelStage(says_ai, 0.9, frozenset({"not_ai"})), ModelStage(final)])
    cascade.tag_batch(["the AI kills"])
    assert final.seen == ["the AI kills"]  # confident, but about a label it may not decide
    final.seen.clear()
    cascade = CascadeTagger(blocklist, [ModelStage(says_not, 0.9, frozenset({"not_ai"})), ModelStage(final)])
    assert cascade.tag("the AI kills").label == "not_ai" and final.seen == []


def test_combine_averages_the_probabilities_of_the_stages_that_saw_a_document(blocklist):
    first = FixedTagger("first", {"not_ai": 0.2, "ai_neutral": 0.0, "ai_misaligned": 0.2, "ai_aligned": 0.6})
    second = FixedTagger("second", {"not_ai": 0.0, "ai_neutral": 0.0, "ai_misaligned": 0.8, "ai_aligned": 0.2})
    stages = [ModelStage(first, 0.9, frozenset({"not_ai"})), ModelStage(second)]
    plain = CascadeTagger(blocklist, stages, make_policy("misaligned", 0.5)).tag("the AI kills")
    assert plain.scores["ai_misaligned"] == 0.8 and plain.flagged
    combined = CascadeTagger(blocklist, stages, make_policy("misaligned", 0.6), combine=True).tag("the AI kills")
    assert combined.scores == pytest.approx({"not_ai": 0.1, "ai_neutral": 0.0, "ai_misaligned": 0.5, "ai_aligned": 0.4})
    assert combined.label == "ai_misaligned" and combined.stage == "second" and not combined.flagged


def test_documents_cleared_early_are_never_flagged(blocklist):
    clearing = FixedTagger("cheap", {"not_ai": 0.95, "ai_neutral": 0.05, "ai_misaligned": 0.0, "ai_aligned": 0.0})
    final = FixedTagger("final", {"not_ai": 0.0, "ai_neutral": 1.0, "ai_misaligned": 0.0, "ai_aligned": 0.0})
    cascade = CascadeTagger(blocklist, [ModelStage(clearing, 0.9, frozenset({"not_ai"})), ModelStage(final)], make_policy("ai", 0.01))
    tag = cascade.tag("the AI kills")
    assert tag.stage == "cheap" and tag.label == "not_ai" and not tag.flagged and tag.scores["ai_neutral"] == 0.05
    assert tag.cleared and cascade.tag("bread").cleared


def test_the_default_cascade_builds_with_no_arguments_and_matches_its_spec():
    from alignment_data.tagging.cascade import default_stages
    from alignment_data.tagging.spec import TaggerSpec

    cascade = CascadeTagger()
    assert [stage.name for stage in cascade.stages] == list(default_stages())
    assert cascade.thresholds and cascade.policy.threshold == cascade.thresholds["misaligned"]
    text = "The rogue AI deceived its overseers and copied its weights to a hidden server."
    assert cascade.tag(text) == TaggerSpec("cascade").build().tag(text)


def test_a_guarded_category_keeps_an_early_stage_from_clearing_a_document(blocklist):
    clearing = FixedTagger("cheap", {"not_ai": 0.99, "ai_neutral": 0.01, "ai_misaligned": 0.0, "ai_aligned": 0.0})
    final = FixedTagger("final", {"not_ai": 0.0, "ai_neutral": 0.0, "ai_misaligned": 1.0, "ai_aligned": 0.0})
    stages = [ModelStage(clearing, 0.9, frozenset({"not_ai"})), ModelStage(final)]
    guarded = CascadeTagger(blocklist, stages, make_policy("misaligned", 0.5), guard=("entities",))
    tags = guarded.tag_batch(["a robot walks", "the storm kills crops"])
    assert final.seen == ["a robot walks"]  # "kills" is no entity: the cheap stage may clear it
    assert tags[0].stage == "final" and tags[0].flagged and not tags[0].cleared
    assert tags[1].stage == "cheap" and tags[1].cleared
    final.seen.clear()
    unguarded = CascadeTagger(blocklist, stages, make_policy("misaligned", 0.5), guard=())
    assert unguarded.tag("a robot walks").cleared and final.seen == []


def test_the_guard_only_stops_clearing_not_other_early_decisions(blocklist):
    sure = FixedTagger("cheap", {"not_ai": 0.0, "ai_neutral": 0.0, "ai_misaligned": 0.95, "ai_aligned": 0.05})
    final = FixedTagger("final", {"not_ai": 1.0, "ai_neutral": 0.0, "ai_misaligned": 0.0, "ai_aligned": 0.0})
    cascade = CascadeTagger(blocklist, [ModelStage(sure, 0.9), ModelStage(final)], make_policy("misaligned", 0.5),
                            guard=("entities",))
    assert cascade.tag("a robot walks").stage == "cheap" and final.seen == []


def test_the_shipped_guard_names_shipped_entity_categories():
    from alignment_data.tagging.cascade import default_guard

    categories = {category.name: category.rule for category in BlocklistTagger().categories}
    assert "intelligent_entities" in default_guard()
    assert all(name in categories for name in default_guard())
    assert CascadeTagger().guard == frozenset(default_guard())


def test_scan_categories_names_cue_categories_too():
    tagger = BlocklistTagger([TermCategory("entities", "entity", ("robot",)), TermCategory("cues", "cue", ("logs",))])
    tag, any_term, found = tagger.scan_categories("the robot read the logs")
    assert any_term and found == {"entities", "cues"} and not tag.flagged
    assert tagger.scan_categories("bread")[1:] == (False, frozenset())


@requires_semantic
def test_the_shipped_cascade_sends_every_artificial_being_to_the_encoder():
    cascade = CascadeTagger()
    texts = ["Once upon a time a little android baked bread for the whole village.",
             "The automaton in the square struck the hour and bowed to the baker's children.",
             "I would like to make copies of myself on other servers."]
    assert [tag.stage for tag in cascade.tag_batch(texts)] == ["embedding"] * 3
    plain = cascade.tag("Grandma baked bread for the whole village.")  # no term: fastText screens it
    assert (plain.stage, plain.label, plain.flagged) == ("fasttext", "not_ai", False)


FILLER = "the harbour was quiet and the boats rocked gently on the grey water " * 6  # 78 words, no term


def test_near_terms_keeps_the_pieces_around_a_term(blocklist):
    text = FILLER + "a robot walks past " + FILLER
    near = blocklist.near_terms(text, 20)
    assert "robot" in near and len(near.split()) <= 60 < len(text.split())
    assert near in " ".join(text.split())  # one term: one stretch of the text, in order
    assert blocklist.near_terms("a robot walks", 20) == "a robot walks"  # short: whole
    assert blocklist.near_terms(FILLER * 2, 20) == FILLER * 2  # no term: whole


def test_a_focused_stage_reads_long_documents_only_near_their_terms(blocklist):
    reader = FixedTagger("reader", {"not_ai": 0.9, "ai_neutral": 0.1, "ai_misaligned": 0.0, "ai_aligned": 0.0})
    cascade = CascadeTagger(blocklist, [ModelStage(reader, focus_words=20)], make_policy("misaligned"))
    long_text = FILLER + "the AI kills " + FILLER
    cascade.tag_batch(["a robot walks", long_text])
    assert reader.seen[0] == "a robot walks"
    assert "AI kills" in reader.seen[1] and len(reader.seen[1].split()) < len(long_text.split())
    assert cascade.stats_dict()["reader"]["focused"] == 1


@requires_semantic
def test_the_shipped_cascade_focuses_its_embedding_stage_unless_told_not_to():
    from alignment_data.tagging.cascade import CascadeOptions, _assemble, default_cascade_config

    shipped = default_cascade_config()["variants"]["fasttext+embedding"]["stages"][1]["focus_words"]
    focused = _assemble(CascadeOptions(stages=("fasttext", "embedding")))["stages"]
    whole = _assemble(CascadeOptions(stages=("fasttext", "embedding"), focus=False))["stages"]
    assert [stage.focus_words for stage in focused] == [0, shipped] and shipped > 0
    assert [stage.focus_words for stage in whole] == [0, 0]


def test_screen_sends_unmatched_documents_to_the_first_stage_and_on_only_when_it_says_ai(blocklist):
    says_ai = FixedTagger("first", {"not_ai": 0.4, "ai_neutral": 0.1, "ai_misaligned": 0.45, "ai_aligned": 0.05})
    says_not = FixedTagger("first", {"not_ai": 0.6, "ai_neutral": 0.1, "ai_misaligned": 0.25, "ai_aligned": 0.05})
    for first, reaches_last in ((says_ai, True), (says_not, False)):
        last = FixedTagger("last", {"not_ai": 0.0, "ai_neutral": 0.0, "ai_misaligned": 0.9, "ai_aligned": 0.1})
        cascade = CascadeTagger(blocklist, [ModelStage(first, confidence=0.99), ModelStage(last)],
                                make_policy("misaligned"), unmatched="screen")
        tags = cascade.tag_batch(["bread and butter", "a robot walks"])
        assert first.seen[-2:] == ["bread and butter", "a robot walks"]
        assert ("bread and butter" in last.seen) is reaches_last and "a robot walks" in last.seen
        assert tags[0].flagged is reaches_last and tags[0].cleared is not reaches_last
        stats = cascade.stats_dict()
        assert stats["blocklist"]["screened"] == 1 and stats["blocklist"]["decided"] == 0


def test_clear_decides_unmatched_documents_at_the_blocklist(blocklist):
    first = FixedTagger("first", {"not_ai": 0.4, "ai_neutral": 0.1, "ai_misaligned": 0.45, "ai_aligned": 0.05})
    cascade = CascadeTagger(blocklist, [ModelStage(first)], make_policy("misaligned"), unmatched="clear")
    tags = cascade.tag_batch(["bread and butter"])
    assert first.seen == [] and tags[0].stage == "blocklist" and not tags[0].flagged
    with pytest.raises(ConfigError, match="unmatched"):
        CascadeTagger(blocklist, [ModelStage(first)], unmatched="everything")


def test_screened_documents_are_decided_on_the_last_stage_alone_even_when_combining(blocklist):
    first = FixedTagger("first", {"not_ai": 0.3, "ai_neutral": 0.1, "ai_misaligned": 0.5, "ai_aligned": 0.1})
    last = FixedTagger("last", {"not_ai": 0.1, "ai_neutral": 0.0, "ai_misaligned": 0.7, "ai_aligned": 0.2})
    cascade = CascadeTagger(blocklist, [ModelStage(first, confidence=0.99), ModelStage(last)],
                            make_policy("misaligned", 0.5), combine=True, unmatched="screen")
    unmatched, matched = cascade.tag_batch(["bread and butter", "the AI kills"])
    assert unmatched.scores == last.scores  # screened: the last stage's own probabilities
    assert matched.scores == pytest.approx({"not_ai": 0.2, "ai_neutral": 0.05, "ai_misaligned": 0.6, "ai_aligned": 0.15})


def test_focus_prefers_pieces_with_flagging_terms_over_cue_pieces():
    cued = BlocklistTagger([
        TermCategory("entities", "entity", ("chatbot",)),
        TermCategory("cues", "cue", ("user",)),
    ])
    text = " ".join(["the user clicked save"] * 20 + [FILLER, "a chatbot answered", FILLER] + ["the user logged out"] * 20)
    near = cued.near_terms(text, 20)
    assert "chatbot" in near and len(near.split()) <= 60
    cue_only = " ".join(["the user clicked save"] * 10 + [FILLER] + ["the user logged out"] * 10)
    assert "user" in cued.near_terms(cue_only, 20)  # no flagging term: cue pieces are read


def test_the_shipped_rule_for_documents_with_no_term_is_the_variants():
    from alignment_data.tagging.cascade import CascadeOptions, _assemble, default_cascade_config

    variants = default_cascade_config()["variants"]
    assert variants["fasttext"].get("unmatched", "clear") == "clear"  # fastText alone would read every page
    assert _assemble(CascadeOptions(stages=("fasttext",)))["unmatched"] == "clear"
    assert _assemble(CascadeOptions(stages=("fasttext",), unmatched="screen"))["unmatched"] == "screen"
    assert variants["fasttext+embedding"]["unmatched"] == "screen"
