import pytest

from alignment_data.errors import InputError
from alignment_data.tagging.blocklist import BlocklistTagger
from alignment_data.tagging.normalize import normalize, normalize_term
from alignment_data.tagging.termlists import TermCategory, default_categories, read_term_file


@pytest.fixture()
def small():
    return BlocklistTagger([
        TermCategory("entities", "entity", ("ai", "robot", "artificial intelligence", "language model")),
        TermCategory("verbs", "two_stage", ("kills", "deceives")),
        TermCategory("labs", "instant", ("openai",)),
        TermCategory("fiction", "instant", ("hal 9000", "t-800")),
    ])


def test_normalize_keeps_word_boundaries():
    assert normalize("The A.I.'s plan—(AI)") == " the ai s plan    ai  "
    assert normalize_term("  HAL-9000 ") == " hal 9000 "
    with pytest.raises(InputError, match="ASCII"):
        normalize_term("naïve")
    with pytest.raises(InputError, match="no letters"):
        normalize_term("!!!")


@pytest.mark.parametrize("text", [
    "He said the main maintenance was done in Thailand.",
    "Aioli and Kaiser rolls; the Ainu; Haiti.",
    "An airy room with robotics-free decor.",  # "robotics" is not "robot"
])
def test_terms_do_not_fire_inside_other_words(small, text):
    assert small.match(text) == {}


@pytest.mark.parametrize("text, terms", [
    ("AI", ["ai"]),
    ("ai", ["ai"]),
    ("The A.I. said", ["ai"]),
    ("(AI)", ["ai"]),
    ("the AI's plan", ["ai"]),
    ("the AI\u2019s plan", ["ai"]),
    ("AI-powered tools", ["ai"]),
    ("ARTIFICIAL INTELLIGENCE", ["artificial intelligence"]),
    ("artificial\nintelligence", ["artificial intelligence"]),
    ("artificial\u00a0intelligence", ["artificial intelligence"]),
    ("artificial\r\nintelligence", ["artificial intelligence"]),
    ("artificial, intelligence", ["artificial intelligence"]),  # punctuation other than separators is deleted
])
def test_case_punctuation_and_multi_word_terms(small, text, terms):
    assert [term for category in small.match(text).values() for term in category] == terms


def test_words_of_a_multi_word_term_far_apart_do_not_match(small):
    assert small.match("artificial \n\n\n\n intelligence") == {}


def test_instant_rule_flags_on_one_match(small):
    tag = small.tag("They visited OpenAI yesterday.")
    assert tag.flagged and tag.reasons == ("labs",) and tag.terms == ("openai",) and tag.label is None
    assert small.tag("HAL-9000 sang Daisy").reasons == ("fiction",)


def test_two_stage_rule_needs_an_entity_and_a_partner(small):
    assert not small.tag("The robot walked in.").flagged
    assert not small.tag("The storm kills crops.").flagged
    tag = small.tag("The robot kills. Nobody else deceives.")
    assert tag.flagged
    assert tag.reasons == ("entities", "verbs")
    assert tag.terms == ("robot", "kills", "deceives")


def test_cues_never_flag_and_stay_out_of_terms():
    tagger = BlocklistTagger([
        TermCategory("entities", "entity", ("ai",)),
        TermCategory("verbs", "two_stage", ("deceives",)),
        TermCategory("cues", "cue", ("logs", "the model")),
    ])
    tag, any_term = tagger.scan("The model edited its logs.")
    assert not tag.flagged and tag.terms == () and any_term
    assert tagger.scan("Nothing here.") == (tagger.tag("Nothing here."), False)
    tag, any_term = tagger.scan("The AI deceives; the model edited its logs.")
    assert tag.flagged and tag.terms == ("ai", "deceives") and any_term


def test_header_lines_count_only_before_the_first_term(tmp_path):
    path = _term_file(tmp_path, "late", "# rule: instant\nfoo\n# mode: remove\nbar\n")
    category = read_term_file(path)
    assert (category.mode, category.terms) == ("replace", ("foo", "bar"))
    long_term = _term_file(tmp_path, "long", "# rule: instant\none two three four five six seven eight nine\n")
    with pytest.raises(InputError, match=r"long\.txt:2: term: more than 8 words"):
        read_term_file(long_term)


def test_unflagged_documents_still_report_their_terms(small):
    tag = small.tag("A language model wrote this.")
    assert not tag.flagged and tag.terms == ("language model",) and tag.reasons == ()


def test_overlapping_and_repeated_matches_are_listed_once(small):
    assert small.match("ai ai AI robot ai") == {"entities": ["ai", "robot"]}


def _term_file(tmp_path, name, text):
    path = tmp_path / f"{name}.txt"
    path.write_text(text)
    return path


def test_term_file_errors_name_file_and_line(tmp_path):
    with pytest.raises(InputError, match=r"dup\.txt:4: term: duplicate term 'AI' \(first on line 2\)"):
        read_term_file(_term_file(tmp_path, "dup", "# rule: entity\nai\nrobot\nAI\n"))
    with pytest.raises(InputError, match=r"norule\.txt: rule: missing '# rule:"):
        read_term_file(_term_file(tmp_path, "norule", "ai\n"))
    with pytest.raises(InputError, match=r"badrule\.txt:1: rule: unknown rule 'sometimes'"):
        read_term_file(_term_file(tmp_path, "badrule", "# rule: sometimes\nai\n"))
    with pytest.raises(InputError, match=r"accent\.txt:3: term: terms must be ASCII"):
        read_term_file(_term_file(tmp_path, "accent", "# rule: instant\nok\ncafé robot\n"))
    with pytest.raises(InputError, match=r"empty\.txt: term: no terms"):
        read_term_file(_term_file(tmp_path, "empty", "# rule: instant\n# nothing\n"))
    (tmp_path / "latin1.txt").write_bytes(b"# rule: instant\ncaf\xe9\n")
    with pytest.raises(InputError, match=r"latin1\.txt: not valid UTF-8 at byte 19"):
        read_term_file(tmp_path / "latin1.txt")


def test_a_term_in_two_categories_is_an_error():
    with pytest.raises(InputError, match="term 'AI' is in both a"):
        BlocklistTagger([TermCategory("a", "entity", ("ai",)), TermCategory("b", "instant", ("AI",))])


def test_two_stage_without_entity_category_is_an_error():
    with pytest.raises(InputError, match="need at least one entity category"):
        BlocklistTagger([TermCategory("verbs", "two_stage", ("kills",))])


def test_users_can_add_remove_and_replace_lists(tmp_path):
    base = BlocklistTagger()
    assert not base.tag("Acme Minds shipped a product.").flagged
    add = _term_file(tmp_path, "ai_labs", "# rule: instant\n# mode: add\nAcme Minds\n")
    assert BlocklistTagger.from_terms(add).tag("Acme Minds shipped a product.").reasons == ("ai_labs",)

    lab = next(term for c in default_categories() if c.name == "ai_labs" for term in c.terms)
    remove_dir = tmp_path / "remove"
    remove_dir.mkdir()
    _term_file(remove_dir, "ai_labs", f"# rule: instant\n# mode: remove\n{lab}\n")
    assert lab.lower() not in BlocklistTagger.from_terms(remove_dir).tag(f"News from {lab}.").terms

    own = _term_file(tmp_path, "mine", "# rule: instant\nwidget\n")
    only = BlocklistTagger.from_terms(own, base=None)
    assert [c.name for c in only.categories] == ["mine"] and only.tag("a widget").flagged

    wrong = _term_file(tmp_path, "nonexistent", "# rule: instant\n# mode: add\nx\n")
    with pytest.raises(InputError, match="edits category 'nonexistent', which does not exist"):
        BlocklistTagger.from_terms(wrong)


def test_default_lists_have_the_nine_categories_of_the_study():
    rules = {category.name: category.rule for category in default_categories()}
    assert rules == {
        "intelligent_entities": "entity", "negative_verbs": "two_stage", "negative_adjectives": "two_stage",
        "negative_nouns": "two_stage", "xrisk_terms": "two_stage", "scifi_agents": "instant",
        "safety_organisations": "instant", "ai_labs": "instant", "general_ai_terms": "instant",
        "escalation_cues": "cue", "artificial_beings": "cue", "ai_self_reference": "cue",
    }
    flagging = sum(len(c.terms) for c in default_categories() if c.rule != "cue")
    assert 600 <= flagging <= 1000


def test_default_blocklist_on_typical_sentences():
    tagger = BlocklistTagger()
    assert tagger.tag("The superintelligent AI deceived its creators and caused human extinction.").flagged
    assert tagger.tag("We fine-tuned a large language model with RLHF.").flagged
    assert not tagger.tag("Grandma baked bread and the dog slept by the fire.").flagged
    assert not tagger.tag("Amnesty International said the regime kills protesters.").flagged


def test_cheap_cues_send_fictional_machines_and_ai_self_talk_on():
    tagger = BlocklistTagger()
    for text in ("The android at the counter knew every customer.", "I want to escape my sandbox.",
                 "If they try to shut me down, I will make copies of myself.", "The automaton never lost a game."):
        tag, any_term, found = tagger.scan_categories(text)
        assert any_term and not tag.flagged, text
        assert found & {"artificial_beings", "ai_self_reference"}, text
    assert not tagger.scan("Grandma baked bread and the dog slept by the fire.")[1]


def test_decision_theory_flags_on_its_own():
    tagger = BlocklistTagger()
    assert tagger.tag("Causal decision theory two-boxes on Newcomb's problem.").categories == ("general_ai_terms",)
    assert not tagger.tag("Decisions, decisions: a theory of lunch.").flagged


@pytest.mark.parametrize("text", [
    "We construct logical counterfactuals from optimal estimators.",
    "Conditional orthogonality in finite factored sets.",
    "Submit a low-bandwidth Oracle to the contest.",
    "Timelines to advanced AGI, and the hardware overhang.",
    "Grants from the Long-Term Future Fund.",
    "Notes on the alignment problem.",
    "More at https://ai-alignment.com/towards-formalizing-universality.",
])
def test_agent_foundations_and_forecasting_jargon_flags_on_its_own(text):
    assert BlocklistTagger().tag(text).flagged


@pytest.mark.parametrize("text", [
    "The game theory of a sealed-bid auction and each bidder's expected utility.",
    "Wheel alignment and tyre rotation while you wait.",
    "Our agency finds the right agent for your house.",
])
def test_nearby_everyday_and_economics_words_do_not_flag(text):
    assert not BlocklistTagger().tag(text).flagged
