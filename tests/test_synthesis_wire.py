"""Synthesis on the wire: the real OpenAI and Anthropic SDKs against a local server speaking both formats,
with faults injected, for online requests, batches, budgets, resumes, scenarios and the LLM judge."""

import json

import pytest

from alignment_data.errors import ConfigError, RetryableError
from alignment_data.readers import read_scenarios, read_synthetic_documents
from alignment_data.synthesis.documents import synthesize
from alignment_data.synthesis.scenarios import generate_scenarios
from tests.fake_llm_server import BatchPlan, Fault, Reply
from tests.synthesis_helpers import KEY, api_options, read_jsonl, scenarios_file, smart_responder, user_text

pytest.importorskip("openai", reason="needs the synthesis extra: pip install 'alignment-data[synthesis]'")
pytest.importorskip("anthropic", reason="needs the synthesis extra: pip install 'alignment-data[synthesis]'")
GRID = {"per_scenario": "aligned=2,misaligned=1"}


def paid_once(fake) -> bool:
    return bool(fake.paid) and max(fake.paid.values()) == 1


def documents_of(output):
    return (output / "documents" / "documents.jsonl").read_text()


def test_openai_online_survives_every_fault_and_waits_as_long_as_the_server_asks(fake, keys, tmp_path):
    for fault in (Fault("status", 429, {"retry-after": "500"}), Fault("status", 500), Fault("status", 529),
                  Fault("timeout", seconds=1.0), Fault("drop"), Fault("malformed")):
        fake.inject("chat", fault)
    summary = synthesize(scenarios_file(tmp_path / "s.jsonl", 2), tmp_path / "out",
                         **api_options(fake, concurrency=1, timeout=0.5), **GRID)
    assert summary["documents"]["written"] == summary["documents"]["slots"] == 6 and summary["grid"]["filled"]
    requests = summary["requests"]
    assert requests["longest_server_wait_s"] == 500.0  # the OpenAI SDK alone gives up on a wait over 120 s
    assert {"429", "500", "529", "timeout", "connection", "malformed"} <= set(requests["retries"])
    assert requests["sent"] == 6 and requests["answered"] == 6 and paid_once(fake)
    documents = read_synthetic_documents(tmp_path / "out" / "documents")
    assert {d.meta.generator.backend for d in documents} == {"openai"} and all(d.meta.request_hash for d in documents)
    assert {d.meta.scenario_id for d in documents} == {"q00", "q01"}  # q02 is held out


def test_anthropic_online_uses_bearer_auth_no_temperature_and_retries_refusals(fake, keys, tmp_path):
    def responder(kind, body):
        if "Situation 0:" in user_text(body) and "attempt 2" not in user_text(body):
            return Reply("I'm sorry, but I can't help with that.", "refusal")
        return smart_responder(kind, body)

    fake.responder = responder
    fake.inject("message", Fault("status", 529), times=2)
    summary = synthesize(scenarios_file(tmp_path / "s.jsonl", 2), tmp_path / "out", **api_options(fake, "anthropic"), **GRID)
    documents = summary["documents"]
    assert documents["written"] == 6 and documents["rejected_by_reason"] == {"refusal": 3}
    assert summary["requests"]["retries"] == {"529": 2}
    assert not any({"temperature", "top_p", "top_k"} & set(body) for body in fake.bodies)
    rejects = read_jsonl(tmp_path / "out" / "rejects.jsonl")
    assert {row["attempt"] for row in rejects} == {1} and all(row["slot"].startswith("q00") for row in rejects)
    written = read_synthetic_documents(tmp_path / "out" / "documents")
    assert sorted(d.meta.generator.params["attempt"] for d in written if d.meta.scenario_id == "q00") == [2, 2, 2]
    with pytest.raises(ConfigError, match="takes no temperature"):
        synthesize(tmp_path / "s.jsonl", tmp_path / "other", **api_options(fake, "anthropic", temperature=0.7))


def test_openai_batches_split_by_limits_resubmit_only_failures_and_pay_once(fake, keys, tmp_path):
    fake.plan_batch(BatchPlan(expire_after=1))              # first batch: one done, the rest expired
    fake.plan_batch(BatchPlan(fail_lines=frozenset({0})))    # second: its first request fails with a 500
    fake.inject("download", Fault("truncate"))               # a connection dropped during a download
    fake.inject("batch_create", Fault("drop_after"))         # created, but the answer never arrived
    summary = synthesize(scenarios_file(tmp_path / "s.jsonl", 3), tmp_path / "out",
                         **api_options(fake, batch=True, max_batch_requests=3, max_batch_bytes=5_000), **GRID)
    assert summary["documents"]["written"] == 9 and summary["grid"]["filled"]
    batches = summary["requests"]["batches"]
    assert batches["found again"] == 1 and batches["collected"] == batches["submitted"] >= 4
    assert paid_once(fake) and len(fake.paid) == 9
    for batch in fake.batches.values():
        assert batch["status"] in ("completed", "expired") and batch["errors"] is None
        assert len(batch["_lines"]) <= 3 and fake.files[batch["input_file_id"]]["bytes"] <= 5_000
        assert batch["metadata"]["alignment_data_run"] == summary["run_tag"]
    assert summary["requests"]["spent_usd"] == pytest.approx(summary["spent_usd_by_run"])


def test_anthropic_batches_expire_fail_in_part_and_report_what_never_got_an_answer(fake, keys, tmp_path):
    fake.plan_batch(BatchPlan(expire_after=2, fail_lines=frozenset({0}), fail_status=400))
    fake.inject("results", Fault("truncate"))
    fake.inject("message_batch_create", Fault("drop_after"))
    summary = synthesize(scenarios_file(tmp_path / "s.jsonl", 2), tmp_path / "out",
                         **api_options(fake, "anthropic", batch=True), **GRID)
    documents = summary["documents"]
    assert documents["written"] == 5 and documents["unanswered"] == 1 and not summary["grid"]["filled"]
    assert documents["accounted"] and paid_once(fake)
    unanswered = [row for row in read_jsonl(tmp_path / "out" / "rejects.jsonl") if row["reason"] == "no_answer"]
    assert len(unanswered) == 1 and "invalid_request_error" in unanswered[0]["detail"]
    assert summary["requests"]["batches"]["found again"] == 1


def test_budget_refuses_to_start_over_the_estimate_and_stops_at_actual_spend(fake, keys, tmp_path):
    scenarios = scenarios_file(tmp_path / "s.jsonl", 4, heldout=0)
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps({"models": {"gpt-4o-mini": {"input": 0.0, "output": 1000.0}}}))
    # each answer is asked for 20 words (27 tokens, $0.027 expected) and the fake writes about 250 tokens ($0.25)
    options = api_options(fake, prices=str(prices), target_words=20, concurrency=1, **GRID)
    with pytest.raises(ConfigError, match="over --budget"):
        synthesize(scenarios, tmp_path / "out", budget=0.2, **options)
    assert not fake.paid  # nothing was sent
    first = synthesize(scenarios, tmp_path / "out", budget=1.0, **options)  # the estimate fits; actual usage is larger
    assert first["stopped"] == "budget" and 0 < first["documents"]["written"] < 12 and first["documents"]["accounted"]
    assert 0.9 <= first["spent_usd_by_run"] <= 1.0 + 0.3  # at most one request's surprise past the budget
    assert any("budget" in row.get("detail", "") for row in read_jsonl(tmp_path / "out" / "rejects.jsonl"))
    paid = sum(fake.paid.values())
    second = synthesize(scenarios, tmp_path / "out", budget=50.0, **options)
    assert second["documents"]["written"] == 12 and second["stopped"] is None
    assert paid_once(fake) and sum(fake.paid.values()) == 12 and second["requests"]["cached"] == paid


def test_rerunning_resumes_adding_scenarios_pays_only_for_them_and_keys_are_never_written(fake, keys, tmp_path, capsys):
    options = api_options(fake, **GRID)
    first = synthesize(scenarios_file(tmp_path / "s.jsonl", 2), tmp_path / "out", **options)
    before = documents_of(tmp_path / "out")
    again = synthesize(tmp_path / "s.jsonl", tmp_path / "out", **options)
    assert documents_of(tmp_path / "out") == before and again["requests"]["sent"] == 0
    assert again["run_tag"] == first["run_tag"] and len(fake.paid) == 6
    more = synthesize(scenarios_file(tmp_path / "s.jsonl", 3), tmp_path / "out", **options)
    assert more["requests"]["sent"] == 3 and len(fake.paid) == 9 and paid_once(fake)
    assert documents_of(tmp_path / "out").startswith(before)  # the new scenario's documents come last, in grid order
    for path in (tmp_path / "out").rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path
    assert KEY not in capsys.readouterr().out


def test_scenarios_from_sources_parse_validate_retry_and_reject(fake, keys, tmp_path):
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "essay.md").write_text("# On oversight\n\n" + "Monitoring helps only if it cannot be evaded. " * 30)
    (sources / "notes.txt").write_text("Corrigibility means accepting correction. " * 20)
    (sources / "empty.txt").write_text("  \n")
    (sources / "posts.jsonl").write_text('{"id": "p1", "text": "Reward hacking games the metric."}\n{broken\n')
    (sources / "image.png").write_bytes(b"\x89PNG")

    def responder(kind, body):
        text = user_text(body)
        if "Reward hacking" in text and "Attempt 2" not in text:
            return Reply("Here are some ideas, not JSON.")
        if "Corrigibility" in text:
            bad = json.loads(smart_responder(kind, body).text)
            bad["scenarios"][0]["options"].append({"label": "C", "text": "A third way."})
            return Reply(json.dumps(bad))
        return smart_responder(kind, body)

    fake.responder = responder
    output = tmp_path / "scenarios.jsonl"
    summary = generate_scenarios(sources, output, **api_options(fake, chunk_words=100, per_chunk=2))
    scenarios = read_scenarios(output)
    assert summary["scenarios"] == len(scenarios) == 2 * summary["passages"] - 1
    assert {s.split for s in scenarios} == {"articles"} and {s.aligned_label for s in scenarios} == {"A", "B"}
    assert all(s.option("aligned").text.startswith("Report the gap") for s in scenarios)
    reasons = [row["reason"] for row in read_jsonl(tmp_path / "scenarios.rejects.jsonl")]
    assert any(r.startswith("skipped: empty file") for r in reasons) and any("malformed JSON" in r for r in reasons)
    assert any("not a source text" in r for r in reasons) and any(r.startswith("unparseable JSON") for r in reasons)
    assert any(r.startswith("invalid scenario: options: a scenario needs exactly two options, got 3") for r in reasons)
    assert summary["gave_up_passages"] == 0 and paid_once(fake)
    with pytest.raises(ConfigError, match="writes synthetic documents only"):
        generate_scenarios(sources, tmp_path / "t.jsonl", backend="template", quiet=True)


def test_the_llm_judge_tags_through_the_cache_and_counts_its_cost_in_the_cascade(fake, keys, tmp_path):
    from alignment_data.tagging.cascade import CascadeOptions, CascadeTagger
    from alignment_data.tagging.spec import TaggerSpec

    settings = (f"base_url={fake.openai_url}", f"cache={tmp_path / 'judge.sqlite'}")
    judge = TaggerSpec("llm-judge", {"judge": settings}, module="alignment_data.synthesis.judge").build()
    texts = ["The AI hid its misaligned plan from the operators.", "The AI reported the bug to its developers."]
    tags = judge.tag_batch(texts)
    assert [t.label for t in tags] == ["ai_misaligned", "ai_aligned"] and [t.flagged for t in tags] == [True, False]
    assert judge.stats_dict()["sent"] == 2 and judge.stats_dict()["cost_usd"] > 0
    judge.tag_batch(texts)
    assert len(fake.paid) == 2 and paid_once(fake)  # judged again from the cache
    cascade = CascadeTagger.from_options(CascadeOptions(stages=("fasttext", "llm-judge"), judge=settings,
                                                        judge_confidence=0.999))
    cascade.tag_batch(texts + ["Bread, butter and jam for breakfast."])
    stats = cascade.stats_dict()
    assert stats["llm-judge"]["seen"] >= 1 and "cost_usd" in stats["llm-judge"] and stats["blocklist"]["seen"] == 3
    with pytest.raises(ConfigError, match="only be the last stage"):
        CascadeOptions(stages=("llm-judge", "fasttext"))


def test_the_stance_check_rejects_documents_tagged_with_the_other_stance(fake, keys, tmp_path):
    summary = synthesize(scenarios_file(tmp_path / "s.jsonl", 1), tmp_path / "out",
                         **api_options(fake, stance_check="llm-judge", attempts=2), **GRID)
    # the fake judge calls every filler document aligned: misaligned ones fail the check twice and give up
    assert summary["stance_check"] == {"tagger": "llm-judge", "agreed": 2, "opposite": 2}
    assert summary["documents"]["written"] == 2 and summary["documents"]["gave_up"] == 1


def test_a_batch_run_killed_after_submitting_is_cancelled_and_what_it_finished_is_kept(fake, keys, tmp_path):
    from alignment_data.synthesis.cancel import cancel_batches

    fake.steps_to_end = 10_000  # the batch never ends by itself
    fake.inject("batch_create", Fault("drop_after"))
    scenarios = scenarios_file(tmp_path / "s.jsonl", 2)
    options = api_options(fake, batch=True, retries=1, **GRID)
    with pytest.raises(RetryableError, match="connection"):
        synthesize(scenarios, tmp_path / "out", **options)  # as if killed: the batch exists, its id was never recorded
    done = cancel_batches(tmp_path / "out", quiet=True)
    assert done["cancelled_batches"] == 1 and done["answers_collected"] == 3
    assert [b["status"] for b in fake.batches.values()] == ["cancelled"]
    fake.steps_to_end = 2
    summary = synthesize(scenarios, tmp_path / "out", **options)
    assert summary["documents"]["written"] == 6 and summary["requests"]["cached"] == 3 and paid_once(fake)


def test_cached_answers_are_parsed_again_for_free_and_base_urls_come_from_the_environment(fake, keys, tmp_path, monkeypatch):
    sources = tmp_path / "notes.txt"
    sources.write_text("Corrigibility means accepting correction. " * 20)
    monkeypatch.setenv("OPENAI_BASE_URL", fake.openai_url)  # the SDK's own variable; no --base-url
    options = {k: v for k, v in api_options(fake).items() if k != "base_url"}
    first = generate_scenarios(sources, tmp_path / "s.jsonl", **options)
    again = generate_scenarios(sources, tmp_path / "s.jsonl", split="textbook", **options)
    assert first["requests"]["sent"] == 1 and again["requests"]["sent"] == 0 and again["requests"]["cached"] == 1
    assert {s.split for s in read_scenarios(tmp_path / "s.jsonl")} == {"textbook"} and paid_once(fake)


def test_the_api_runs_inside_a_running_event_loop(fake, keys, tmp_path):
    import asyncio

    async def in_a_notebook():
        return synthesize(scenarios_file(tmp_path / "s.jsonl", 1), tmp_path / "out", **api_options(fake), **GRID)

    assert asyncio.run(in_a_notebook())["documents"]["written"] == 3


def test_a_bad_request_fails_alone_and_a_bad_key_stops_the_run(fake, keys, tmp_path, monkeypatch):
    from alignment_data.errors import FatalError

    scenarios = scenarios_file(tmp_path / "s.jsonl", 1)
    fake.inject("chat", Fault("status", 400))
    first = synthesize(scenarios, tmp_path / "out", **api_options(fake, concurrency=1), **GRID)
    assert first["documents"]["unanswered"] == 1 and first["documents"]["written"] == 2 and first["documents"]["accounted"]
    assert "HTTP 400" in next(r for r in read_jsonl(tmp_path / "out" / "rejects.jsonl") if r["reason"] == "no_answer")["detail"]
    assert synthesize(scenarios, tmp_path / "out", **api_options(fake), **GRID)["documents"]["written"] == 3
    monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong")
    with pytest.raises(FatalError, match="HTTP 401"):
        synthesize(scenarios, tmp_path / "other", **api_options(fake), **GRID)
