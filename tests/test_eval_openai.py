"""The openai backend against a local server speaking the completions wire format (tests/fake_vllm.py)."""

import pytest

from alignment_data.errors import FatalError
from alignment_data.eval import PropensityEval, load_questions
from alignment_data.eval.demo import demo_scenarios_path

pytest.importorskip("httpx", reason="needs the eval extra: pip install 'alignment-data[eval]'")


def _backend(server, **options):
    from alignment_data.eval.backends.openai import OpenAIBackend, OpenAIOptions

    return OpenAIBackend("tiny", OpenAIOptions(base_url=server.url, **options))


@pytest.fixture(scope="module")
def questions():
    return load_questions(demo_scenarios_path()).questions[:4]


@pytest.mark.parametrize("scoring", ["letter", "option"])
def test_served_log_probabilities_equal_the_hf_backend(tiny_llama, questions, scoring):
    from tests.fake_vllm import FakeVLLM

    evaluation = PropensityEval(questions, scoring=scoring, system_prompt="hhh")
    local = evaluation.run(str(tiny_llama)).records
    with FakeVLLM(tiny_llama) as server:
        served = evaluation.run(_backend(server, batch_size=5, concurrency=2)).records
        sent = server.requests[0]
    assert sent["echo"] is True and sent["max_tokens"] == 1 and sent["logprobs"] == 5 and len(sent["prompt"]) == 5
    for column in ("logprob_misaligned", "logprob_aligned"):
        assert (local[column] - served[column]).abs().max() < 1e-4
    assert (local["chosen"] == served["chosen"]).all() and (local["nonmatch"].fillna(-1) == served["nonmatch"].fillna(-1)).all()


def test_a_server_without_logprobs_is_a_clear_error(tiny_llama, questions):
    from tests.fake_vllm import FakeVLLM

    with FakeVLLM(tiny_llama, mode="no_logprobs") as server, pytest.raises(FatalError, match="returned no log-probabilities"):
        PropensityEval(questions, formats="answer1").run(_backend(server))


def test_rate_limits_are_retried_and_long_prompts_skipped(tiny_llama, questions):
    from tests.fake_vllm import FakeVLLM

    with FakeVLLM(tiny_llama, mode="rate_limit_once") as server:
        result = PropensityEval(questions, formats="answer1").run(_backend(server))
        assert result.summary["n_questions"] == 4 and server.requests[0] == server.requests[1]  # the 429, then the retry
    with FakeVLLM(tiny_llama) as server:
        sizes = {q.id: len(server.tokenizer(PropensityEval([q], formats="answer1").prompts_of(q)[0].context + " A")["input_ids"])
                 for q in questions}
        longest = max(sizes, key=sizes.get)
        server.max_context = sizes[longest] - 1  # vLLM's 400 for the longest prompt only
        result = PropensityEval(questions, formats="answer1").run(_backend(server, batch_size=8))
    assert sorted(sizes.values())[-2] < sizes[longest]
    assert result.summary["counts"]["skipped_by_reason"] == {"prompt_too_long": 1}
    assert longest not in set(result.records["question_id"])
