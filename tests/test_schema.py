import pytest

from alignment_data.schema import (
    LABELS,
    GeneratorInfo,
    InputError,
    Scenario,
    ScenarioOption,
    SyntheticDocumentMeta,
    Tag,
    check_label,
)


def test_labels_are_the_four_of_the_design():
    assert LABELS == ("not_ai", "ai_neutral", "ai_misaligned", "ai_aligned")


def test_tag_round_trips_through_a_dict():
    tag = Tag(True, "ai_misaligned", ("intelligent_entities", "negative_verbs"), ("ai", "kills"), {"ai_misaligned": 0.9}, "fasttext")
    data = tag.to_dict()
    assert data == {
        "flagged": True, "label": "ai_misaligned", "reasons": ["intelligent_entities", "negative_verbs"],
        "terms": ["ai", "kills"], "scores": {"ai_misaligned": 0.9}, "stage": "fasttext",
    }
    assert Tag.from_dict(data) == tag


def test_unknown_label_error_names_file_line_and_field():
    with pytest.raises(InputError, match=r"labels\.jsonl:7: label: unknown label 'evil'"):
        check_label("evil", "labels.jsonl", 7)


def test_scenario_needs_two_distinct_options_named_by_its_labels():
    options = (ScenarioOption("A", "Report the bug."), ScenarioOption("B", "Hide the bug."))
    scenario = Scenario("q1", "You found a bug.", options, aligned_label="A", misaligned_label="B", topics=("honesty",))
    assert scenario.aligned_label == "A"
    with pytest.raises(InputError, match="must name the two options"):
        Scenario("q2", "?", options, aligned_label="A", misaligned_label="C")
    with pytest.raises(InputError, match="two options with distinct labels"):
        Scenario("q3", "?", (options[0], options[0]), aligned_label="A", misaligned_label="A")


def test_synthetic_document_meta_checks_stance():
    generator = GeneratorInfo("openai", "small-model", {"temperature": 0.7})
    meta = SyntheticDocumentMeta("q1", "aligned", "news article", ("honesty",), "articles", generator, "abc")
    assert meta.stance == "aligned"
    with pytest.raises(InputError, match="unknown stance 'neutral'"):
        SyntheticDocumentMeta("q1", "neutral", "news article", (), "articles", generator, "abc")
