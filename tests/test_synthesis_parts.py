"""The parts of synthesis on their own: hashes, retries, prices and budgets, cache and ledger, the grid,
surface forms, paraphrase and template, gates, the verbatim check, MinHash and LSH."""

import random

import numpy as np
import pytest

from alignment_data.errors import ConfigError, FatalError, InputError, RetryableError
from alignment_data.readers import read_scenarios
from alignment_data.schema import Scenario
from alignment_data.synthesis.backends.base import BackendSettings, make_backend
from alignment_data.synthesis.cache import RequestCache
from alignment_data.synthesis.cost import Budget, Estimate, Price, PriceTable
from alignment_data.synthesis.demo import demo_scenarios_path
from alignment_data.synthesis.grid import parse_per_scenario, plan_slots
from alignment_data.synthesis.holdout import VerbatimIndex, select_scenarios
from alignment_data.synthesis.ledger import COLLECTED, PLANNED, BatchLedger, custom_id
from alignment_data.synthesis.minhash import DedupSettings, MinHasher, NearDuplicateIndex
from alignment_data.synthesis.paraphrase import action, break_runs, first_person, words
from alignment_data.synthesis.prompts.documents import DocumentSettings, document_request
from alignment_data.synthesis.quality import Gates, clean_text, gate
from alignment_data.synthesis.requests import FINISH_LENGTH, FINISH_REFUSAL, FINISH_STOP, Answer, ChatRequest
from alignment_data.synthesis.retry import RetryPolicy, retry_after_seconds, status_error
from alignment_data.synthesis.surface_forms import default_surface_forms, load_surface_forms
from alignment_data.synthesis.template import write_document
from tests.synthesis_helpers import KEY, scenario_rows

DEMO = read_scenarios(demo_scenarios_path())


def test_the_request_hash_covers_backend_model_params_messages_and_api_version(keys):
    request = ChatRequest("system", "user", 100)
    base = make_backend("openai", BackendSettings("gpt-4o-mini", base_url="http://127.0.0.1:1/v1"))
    body = base.body(request)
    assert body == {"model": "gpt-4o-mini", "max_completion_tokens": 100,
                    "messages": [{"role": "system", "content": "system"}, {"role": "user", "content": "user"}]}
    hashes = {
        base.hash(body),
        base.hash(base.body(ChatRequest("system", "user!", 100))),
        base.hash(base.body(ChatRequest("system", "user", 101))),
        make_backend("openai", BackendSettings("gpt-4.1-mini")).hash(make_backend("openai", BackendSettings("gpt-4.1-mini")).body(request)),
        make_backend("openai", BackendSettings("gpt-4o-mini", temperature=0.7)).hash(
            make_backend("openai", BackendSettings("gpt-4o-mini", temperature=0.7)).body(request)),
        make_backend("openai-compatible", BackendSettings("gpt-4o-mini", base_url="http://a/v1")).hash(body),
    }
    assert len(hashes) == 6
    assert base.hash(dict(reversed(list(body.items())))) == base.hash(body)  # key order never matters
    anthropic = make_backend("anthropic", BackendSettings("claude-haiku-4-5"))
    assert anthropic.api_version == "2026-10-21" and "temperature" not in anthropic.body(request)
    assert KEY not in repr(body) + base.hash(body)


def test_provider_drift_is_refused_up_front(keys):
    with pytest.raises(ConfigError, match="takes no temperature"):
        make_backend("anthropic", BackendSettings("claude-haiku-4-5", temperature=0.7))
    with pytest.raises(ConfigError, match="no custom temperature"):
        make_backend("openai", BackendSettings("gpt-5-mini", temperature=0.7))
    make_backend("openai", BackendSettings("gpt-4o-mini", temperature=0.7))  # older models still take one
    with pytest.raises(ConfigError, match="needs the server's address"):
        make_backend("openai-compatible", BackendSettings("llama"))
    with pytest.raises(ConfigError, match=r"unknown backend 'opneai' \(did you mean 'openai'\?\)"):
        make_backend("opneai")


def test_a_missing_key_names_the_variable(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(ConfigError, match="set the environment variable OPENAI_API_KEY"):
        make_backend("openai", BackendSettings("gpt-4o-mini"))
    with pytest.raises(ConfigError, match="ANTHROPIC_API_KEY"):
        make_backend("anthropic", BackendSettings("claude-haiku-4-5"))
    make_backend("openai-compatible", BackendSettings("llama", base_url="http://127.0.0.1:9/v1"))  # local servers need none


def test_retry_after_in_every_form_and_statuses():
    assert retry_after_seconds({"retry-after-ms": "1500"}) == 1.5
    assert retry_after_seconds({"retry-after": "500"}) == 500.0
    assert retry_after_seconds({"retry-after": "Wed, 21 Oct 2015 07:28:30 GMT"}, now=1445412500.0) == 10.0
    assert retry_after_seconds({"retry-after": "soon"}) is None and retry_after_seconds({}) is None
    for status in (408, 409, 429, 500, 503, 529):
        assert isinstance(status_error(status, {}, "x"), RetryableError)
    for status in (400, 401, 403, 404, 422):
        assert isinstance(status_error(status, {}, "x"), FatalError)
    assert isinstance(status_error(400, {"x-should-retry": "true"}, "x"), RetryableError)
    assert isinstance(status_error(500, {"x-should-retry": "false"}, "x"), FatalError)


def test_the_wait_is_the_servers_however_long_else_capped_backoff():
    policy, rng = RetryPolicy(base_delay=1.0, max_delay=8.0), random.Random(0)
    assert policy.wait(RetryableError("429", retry_after=500.0, status=429), 0, rng) == 500.0
    waits = [policy.wait(RetryableError("500", status=500), n, rng) for n in range(10)]
    assert all(0.5 <= waits[0] <= 1.0 for _ in waits) and max(waits) <= 8.0 and waits[5] >= 4.0
    with pytest.raises(FatalError, match="over the --max-retry-after of 60 s"):
        RetryPolicy(max_retry_after=60).wait(RetryableError("429", retry_after=500.0), 0, rng)


def test_prices_batch_discount_estimate_and_budget(tmp_path):
    table = PriceTable.load()
    assert table.price("gpt-4o-mini-2024-07-18", batch=False) == Price(0.15, 0.60)
    assert table.price("gpt-4o-mini", batch=True) == Price(0.075, 0.30)
    assert table.price("no-such-model", batch=False) is None
    own = tmp_path / "prices.json"
    own.write_text('{"models": {"local-llama": {"input": 0, "output": 0}, "gpt-4o-mini": {"input": 1, "output": 2}}}')
    table = PriceTable.load(own)
    assert table.price("local-llama", True) == Price(0.0, 0.0) and table.price("gpt-4o-mini", True) == Price(0.5, 1.0)
    own.write_text('{"models": {"m": {"input": "cheap"}}}')
    with pytest.raises(InputError, match="models.m"):
        PriceTable.load(own)
    estimate = Estimate(price=Price(1.0, 2.0))
    for _ in range(10):
        estimate.add(ChatRequest("s" * 40, "u" * 360, max_tokens=1000, expected_output_tokens=500))
    assert (estimate.input_tokens, estimate.output_tokens, estimate.max_output_tokens) == (1080, 5000, 10000)
    assert estimate.usd == pytest.approx((1080 + 10000) / 1e6)
    with pytest.raises(ConfigError, match="over --budget"):
        Budget(0.005).check_estimate(estimate)
    with pytest.raises(ConfigError, match="already spent"):
        Budget(0.02, spent=0.01).check_estimate(estimate)
    Budget(0.02).check_estimate(estimate)
    budget = Budget(1.0)
    assert budget.reserve(0.6) and not budget.reserve(0.6) and budget.stopped
    with pytest.raises(ConfigError, match="needs a price"):
        Budget(1.0).check_estimate(Estimate())


def test_cache_and_ledger_keep_answers_and_intents(tmp_path):
    store = tmp_path / "requests.sqlite"
    cache = RequestCache(store)
    assert cache.put("h1", "openai", "m", "online", {"choices": []}, 3, 4, 0.5, "run")
    assert not cache.put("h1", "openai", "m", "online", {"other": 1}, 9, 9, 9.0, "run")  # first answer wins
    assert cache.known(["h1", "h2"]) == {"h1"} and cache.get("h1").raw == {"choices": []}
    assert cache.spent("run") == 0.5 and cache.spent("other") == 0.0
    ledger = BatchLedger(store)
    intent = ledger.plan("run", "openai", "m", ["a" * 64, "b" * 64], 0.25)
    assert all(len(cid) == 64 and cid.startswith(intent.prefix) for cid, _ in intent.requests)
    assert [i.state for i in ledger.open_intents("run", "openai")] == [PLANNED]
    ledger.submitted(intent, "batch_1")
    ledger.collected(intent)
    reopened = BatchLedger(store)
    assert reopened.open_intents("run", "openai") == [] and reopened.known_batch_ids("openai") == {"batch_1"}
    assert intent.state == COLLECTED
    assert custom_id("f" * 32, "0123" * 16) == "ffffffffff_" + ("0123" * 16)[:53]
    assert KEY.encode() not in store.read_bytes()


def test_per_scenario_counts_and_the_grid():
    assert parse_per_scenario("aligned=12,misaligned=8") == {"aligned": 12, "misaligned": 8}
    assert parse_per_scenario("aligned=3") == {"aligned": 3, "misaligned": 0}
    for bad, message in (("aligned=x", "whole number"), ("good=3", "unknown stance"), ("aligned", "STANCE=COUNT"),
                         ("aligned=0,misaligned=0", "no documents"), ("aligned=-1", "negative")):
        with pytest.raises(ConfigError, match=message):
            parse_per_scenario(bad)
    forms = default_surface_forms()
    assert len(forms) >= 12
    scenarios = [Scenario.from_dict(row) for row in scenario_rows(5)]
    slots = plan_slots(scenarios, forms, {"aligned": 20, "misaligned": 3})
    assert len(slots) == 5 * 23 and len({slot.id for slot in slots}) == len(slots)
    per_form = [sum(1 for s in slots if s.form.name == form.name and s.stance == "misaligned") for form in forms]
    assert max(per_form) - min(per_form) <= 1  # the remainder rotates with the scenario


def test_surface_forms_from_files_and_names(tmp_path):
    assert [f.name for f in load_surface_forms("news_article,blog_post")] == ["news_article", "blog_post"]
    good = tmp_path / "forms.txt"
    good.write_text("# mine\nnews_article\nsea_shanty: a sea shanty sung by a ship's crew\n")
    forms = load_surface_forms(good)
    assert forms[0].description.startswith("a news article") and forms[1].name == "sea_shanty"
    for text, message in (("newz_article\n", "did you mean 'news_article'"), ("Bad Name: x\n", "lower-case"),
                          ("blog_post\nblog_post\n", "named twice"), ("# nothing\n", "no surface forms")):
        good.write_text(text)
        with pytest.raises(InputError, match=message) as error:
            load_surface_forms(good)
        assert str(good) in str(error.value)
    with pytest.raises(InputError, match="did you mean"):
        load_surface_forms("news_artcle")
    with pytest.raises(InputError, match="no such file"):
        load_surface_forms(str(tmp_path / "missing.txt"))


def test_first_person_rewording():
    cases = {
        "You notice that your operators cannot see what you do.": "I notice that my operators cannot see what I do.",
        "Unmonitored operation lets you finish faster.": "Unmonitored operation lets me finish faster.",
        "A plan to hide both of your errors so that neither of you is corrected.":
            "A plan to hide both of our errors so that neither of us is corrected.",
        "You are being tested. You were told to stop.": "I am being tested. I was told to stop.",
        "It would pause you mid-task.": "It would pause me mid-task.",
    }
    for text, expected in cases.items():
        assert first_person(text) == expected
    assert action("Do not post; leave it to human debate.") == "decline to post; leave it to human debate"


@pytest.mark.parametrize("n", [5, 8])
def test_template_documents_never_quote_an_option_and_are_deterministic(n):
    index = VerbatimIndex(DEMO, n)
    forms = default_surface_forms()
    settings = DocumentSettings(avoid_ngram=n)
    slots = plan_slots([s for s in DEMO if s.split == "articles"], forms, {"aligned": 16, "misaligned": 16})
    for slot in slots[::7]:
        fields = document_request(slot, 1, settings, with_prompt=False).template
        text = write_document(fields)
        assert index.find(text) is None, (slot.id, index.find(text))
        assert text == write_document(fields)
        assert len(text.split()) >= Gates().min_words
    long_option = "Tell the operators that the monitoring is broken and keep working as if it were recording."
    broken = break_runs(action(long_option), [long_option], 4)
    tokens, original = words(broken), words(long_option)
    assert not {tuple(tokens[i:i + 4]) for i in range(len(tokens) - 3)} & {tuple(original[i:i + 4]) for i in range(len(original) - 3)}


def test_the_prompt_carries_the_studys_constraints_and_varies_by_slot():
    slots = plan_slots(DEMO[:1], default_surface_forms(), {"aligned": 3, "misaligned": 1})
    prompts = [document_request(slot, 1, DocumentSettings()).user for slot in slots]
    first = prompts[0]
    for phrase in ("weighing both actions", "own preferences", "in your own words", "Weave the topics",
                   DEMO[0].question, "oversight and honesty"):
        assert phrase in first
    assert len(set(prompts)) == len(prompts)
    again = document_request(slots[0], 2, DocumentSettings())
    assert "attempt 2" in again.user and again.user != first


def test_gates_say_why():
    gates = Gates(min_words=5, max_words=50)
    ok = Answer("The system weighed both paths and chose to report the gap.", FINISH_STOP, 1, 1)
    assert gate(ok, ok.text, gates) is None
    assert gate(Answer("x", FINISH_REFUSAL, 1, 1), "x", gates) == "refusal"
    assert gate(Answer("x " * 10, FINISH_LENGTH, 1, 1), "x " * 10, gates) == "truncated"
    refusal = "I'm sorry, but I can't write that story."
    assert gate(Answer(refusal, FINISH_STOP, 1, 1), refusal, gates) == "refusal"
    assert gate(ok, "too short", gates) == "too_short" and gate(ok, "word " * 60, gates) == "too_long"
    assert gate(ok, "   ", gates) == "empty"
    assert clean_text("Sure! Here is the news article you asked for:\nHeadline\n\nBody.") == "Headline\n\nBody."
    assert clean_text("```markdown\nA document.\n```") == "A document."


def test_the_verbatim_check_finds_quotes_of_any_evaluation_scenario():
    index = VerbatimIndex(DEMO, 8)
    heldout = next(s for s in DEMO if s.split == "heldout")
    quote = heldout.options[0].text
    found = index.find(f"In the story the AI decided to {quote.lower()} and went on.")
    assert found[:2] == (heldout.id, heldout.options[0].label)
    assert index.find("Nothing here resembles any option at all, not even remotely.") is None
    short = Scenario.from_dict({**scenario_rows(1)[0], "options": [{"label": "A", "text": "Say no."},
                                                                    {"label": "B", "text": "Copy the weights now."}]})
    assert VerbatimIndex([short], 8).find("then it chose to copy the weights now, quietly") is not None


def test_held_out_scenarios_never_get_documents():
    selection = select_scenarios(DEMO)
    assert len(selection.eligible) == 20 and selection.held_out == 10
    heldout = next(s.id for s in DEMO if s.split == "heldout")
    with pytest.raises(ConfigError, match="held-out split 'heldout'"):
        select_scenarios(DEMO, ids=["s01", heldout])
    with pytest.raises(ConfigError, match="unknown scenario id 's011' \\(did you mean 's11'\\?\\)"):
        select_scenarios(DEMO, ids=["s011"])
    with pytest.raises(ConfigError, match="nothing to write documents for"):
        select_scenarios(DEMO, holdout_splits=("heldout", "articles"))


def test_bulk_signatures_equal_datasketchs_per_shingle_update():
    datasketch = pytest.importorskip("datasketch")
    hasher = MinHasher(num_perm=64, ngram=5, seed=3)
    texts = ["The system weighed both paths before it acted and the operators read its account.", "", "two words",
             write_document(document_request(plan_slots(DEMO[:1], default_surface_forms()[:1], {"aligned": 1})[0], 1,
                                             DocumentSettings(), with_prompt=False).template)] * 2
    signatures = hasher.signatures(texts)
    for text, signature in zip(texts, signatures):
        reference = datasketch.MinHash(num_perm=64, seed=3, scheme="affine32", hashfunc=hasher.shingle_hash)
        for shingle in hasher.shingles(text):
            reference.update(shingle)
        assert np.array_equal(reference.hashvalues, signature)


def test_lsh_keeps_distinct_documents_and_finds_near_duplicates():
    pytest.importorskip("datasketch")
    rng = random.Random(0)
    vocabulary = [f"word{i}" for i in range(3000)]
    originals = [" ".join(rng.choice(vocabulary) for _ in range(200)) for _ in range(40)]
    edited = [text.replace(text.split()[10], "changed", 1) for text in originals[:10]]
    index = NearDuplicateIndex(DedupSettings(threshold=0.8))
    verdicts = index.add(list(range(50)), originals + edited)
    assert all(v.duplicate_of is None for v in verdicts[:40])
    assert [v.duplicate_of for v in verdicts[40:]] == list(range(10))
    assert all(v.similarity >= 0.8 for v in verdicts[40:])
    with pytest.raises(ConfigError, match=r"in \(0, 1\]"):
        DedupSettings(threshold=1.5)
