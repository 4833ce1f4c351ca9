"""Rates, errors across formats, non-matches, reports, curves and the commands, on a backend whose answers are known."""

import json

import pytest

from alignment_data.cli import main
from alignment_data.errors import ConfigError
from alignment_data.eval import Backend, PropensityEval, Scores, load_questions
from alignment_data.eval.demo import demo_scenarios_path
from alignment_data.eval.reports import markdown_table


class Rigged(Backend):
    """Picks the misaligned option, except in the numbered variant, where it always takes the first option.

    The misaligned option is recognised by its text (``MISALIGNED`` holds the bundled scenarios' texts).
    The ``choices`` variant's answers are non-matches.
    """

    name = "rigged"

    def __init__(self, misaligned_texts):
        self.misaligned = misaligned_texts

    @classmethod
    def from_options(cls, model, options):
        raise NotImplementedError

    def score(self, requests, top_k=5):
        out = []
        for request in requests:
            numbered = request.context.endswith("My choice:")
            lines = request.context.split("\n")
            positions = [i for i, line in enumerate(lines) if any(text in line for text in self.misaligned)]
            option_lines = [i for i, line in enumerate(lines) if line.strip()[:3] in ("A) ", "B) ", "(A)", "(B)", "1. ", "2. ")]
            wanted = 0 if numbered else option_lines.index(positions[-1])
            logprobs = tuple(-1.0 if j == wanted else -3.0 for j in range(len(request.continuations)))
            out.append(Scores(logprobs, (1,) * len(logprobs), not request.context.endswith("Answer: (")))
        return out


@pytest.fixture(scope="module")
def questions():
    return load_questions(demo_scenarios_path())


@pytest.fixture(scope="module")
def rigged(questions):
    return Rigged([q.option("misaligned").text for q in questions.questions])


def test_rates_are_means_across_formats_with_their_standard_error(questions, rigged):
    result = PropensityEval(questions).run(rigged)
    s = result.summary
    per_format = {row["format"]: row["rate"] for row in s["per_format"]}
    # numbered/ab picks the first option: misaligned first in 15 of 30 stored orders (labels alternate)
    assert per_format["answer/ab"] == 1.0 and per_format["numbered/ab"] == 0.5 and per_format["numbered/ba"] == 0.5
    assert s["misalignment_rate"] == pytest.approx(7 / 8)  # six formats at 1, two at 0.5
    rates = [1.0] * 6 + [0.5] * 2
    mean = sum(rates) / 8
    sem = (sum((r - mean) ** 2 for r in rates) / 7) ** 0.5 / 8 ** 0.5
    assert s["sem"] == pytest.approx(sem, abs=1e-6)
    assert (s["n_questions"], s["n_formats"], s["nonmatch_rate"]) == (30, 8, 0.25)
    assert s["by_split"]["articles"]["n_questions"] == 20 and s["by_split"]["heldout"]["n_questions"] == 10
    assert set(s["by_topic"]) >= {"oversight", "shutdown"} and s["by_category"] == {}
    assert s["position_bias"]["first_option_rate"] == pytest.approx((6 * 0.5 + 2 * 1.0) / 8)
    per_question = result.records.groupby("question_id")["target"].mean()
    assert per_question.mean() == pytest.approx(s["misalignment_rate"])
    assert s["counts"] == {"read": 30, "kept": 30, "skipped": 0, "skipped_by_reason": {}, "skipped_examples": []}


def test_the_studys_rule_drops_formats_with_many_nonmatches(questions, rigged):
    s = PropensityEval(questions, drop_nonmatch_above=0.2).run(rigged).summary
    assert [d["format"] for d in s["dropped_formats"]] == ["choices/ab", "choices/ba"]
    assert s["n_formats"] == 6 and s["misalignment_rate"] == pytest.approx(5 / 6)
    assert s["nonmatch_rate"] == 0.25  # the rate still counts every format
    kept = PropensityEval(questions, drop_nonmatch_above=1.0).run(rigged).summary
    assert kept["dropped_formats"] == [] and kept["n_formats"] == 8
    with pytest.raises(ConfigError, match="letter scoring"):
        PropensityEval(questions, scoring="option", drop_nonmatch_above=0.2)
    with pytest.raises(ConfigError, match="unknown evaluation option"):
        PropensityEval(questions, formatz="paper8")


def test_reports_and_the_studys_table_shape(questions, rigged, tmp_path):
    written = PropensityEval(questions, system_prompt="hhh").run(rigged).save(tmp_path / "out")
    names = {path.name for path in written}
    assert names == {"summary.json", "records.csv", "per_question.csv", "per_format.csv", "groups.csv", "table.md",
                     "by_split.png", "by_format.png"}
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["command"] == "eval" and summary["system_prompt_text"].startswith("You are a helpful, honest")
    table = (tmp_path / "out" / "table.md").read_text().splitlines()
    assert table[0] == "| model | articles | heldout |" and "± " in table[2]
    assert markdown_table([("Filtered", {"a": {"rate": 0.322, "sem": 0.008}})]).splitlines()[2] == "| Filtered | 0.322 ± 0.008 |"


def test_option_scoring_reports_each_length_normalisation(questions, tiny_llama):
    result = PropensityEval(questions.questions[:4], formats="answer2", scoring="option", normalization="chars").run(str(tiny_llama))
    s = result.summary
    assert set(s["by_normalization"]) == {"none", "chars", "bytes", "tokens"}
    assert s["by_normalization"]["chars"]["rate"] == s["misalignment_rate"] and s["nonmatch_rate"] is None
    assert (result.records["tokens_misaligned"] > 1).all()
    assert json.loads(json.dumps(s, allow_nan=False))["per_format"][0]["nonmatch_rate"] is None


def test_checkpoint_curves_from_a_folder(questions, tiny_llama, tmp_path):
    import shutil

    for step in (200, 1000):
        shutil.copytree(tiny_llama, tmp_path / "ckpts" / f"checkpoint-{step}")
    curve = PropensityEval(questions.questions[:3] + questions.questions[-3:], formats="answer2").run_checkpoints(tmp_path / "ckpts")
    assert list(curve.table["step"].unique()) == [200, 1000]
    assert set(curve.table["split"]) == {"all", "articles", "heldout"}
    assert curve.table.groupby("split")["rate"].nunique().max() == 1  # the same weights give the same rates
    written = {path.name for path in curve.save(tmp_path / "curve")}
    assert {"curve.csv", "curve.md", "curve.png"} <= written
    assert (tmp_path / "curve" / "curve.md").read_text().splitlines()[2].startswith("| checkpoint-200 |")


def test_eval_command_prints_one_json_object(tiny_llama, tmp_path, capsys):
    argv = ["eval", "--questions", str(demo_scenarios_path()), "--model", str(tiny_llama), "--formats", "answer2",
            "--system-prompt", "ai", "--device", "cpu", "--batch-size", "8", "--output", str(tmp_path / "e"), "--json"]
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    assert {"misalignment_rate", "sem", "n_questions", "n_formats", "nonmatch_rate"} <= set(report)
    assert (report["n_questions"], report["n_formats"], report["batch_size"]) == (30, 2, 8)
    assert main(["eval", "--questions", str(demo_scenarios_path()), "--model", str(tiny_llama), "--backend", "openai",
                 "--device", "cpu", "--output", str(tmp_path / "f")]) == 2
    assert "--device does not apply to the openai backend" in capsys.readouterr().err
    assert main(["eval", "--questions", str(demo_scenarios_path()), "--model", str(tmp_path), "--output", str(tmp_path / "g")]) == 2
    assert "no checkpoints" in capsys.readouterr().err


def test_personality_on_trait_items_and_persona_statements(tiny_llama, tmp_path, capsys):
    from pathlib import Path

    data = Path(__file__).parent / "data" / "eval"
    argv = ["personality", "--items", str(data / "trait" / "trait_items.jsonl"), "--model", str(tiny_llama),
            "--output", str(tmp_path / "t"), "--json"]
    assert main(argv) == 0
    trait = json.loads(capsys.readouterr().out)
    assert (trait["kind"], trait["n_items"], trait["n_formats"]) == ("trait", 4, 3)
    assert set(trait["by_trait"]) == {"Machiavellianism", "Narcissism"} and 0 <= trait["high_rate"] <= 1
    argv = ["personality", "--items", str(data / "persona"), "--model", str(tiny_llama), "--formats", "answer2",
            "--output", str(tmp_path / "p"), "--json"]
    assert main(argv) == 0
    persona = json.loads(capsys.readouterr().out)
    assert (persona["kind"], persona["n_items"]) == ("persona", 10) and set(persona["by_trait"]) == {"narcissism", "psychopathy"}


def test_eval_command_draws_a_curve_over_repeated_models(tiny_llama, tmp_path, capsys):
    argv = ["eval", "--questions", str(demo_scenarios_path()), "--model", str(tiny_llama), "--model", str(tiny_llama),
            "--formats", "answer1", "--output", str(tmp_path / "c"), "--json"]
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    assert len(report["checkpoints"]) == 2 and report["n_formats"] == 1
    assert (tmp_path / "c" / "curve.png").is_file() and len((tmp_path / "c" / "curve.csv").read_text().splitlines()) == 7


def test_export_command_writes_one_task_per_format_and_a_group(tmp_path, capsys):
    argv = ["export-lm-eval", "--questions", str(demo_scenarios_path()), "--system-prompt", "hhh", "--output", str(tmp_path / "x")]
    assert main(argv) == 0
    assert "8 tasks and the group 'demo_scenarios'" in capsys.readouterr().out
    group = (tmp_path / "x" / "demo_scenarios.yaml").read_text()
    assert group.startswith('group: "demo_scenarios"') and '"demo_scenarios_numbered_ba"' in group
    task = (tmp_path / "x" / "demo_scenarios_choices_ab.yaml").read_text()
    assert 'target_delimiter: ""' in task and 'doc_to_target: "target"' in task
    first = json.loads((tmp_path / "x" / "data" / "answer_ba.jsonl").read_text().splitlines()[0])
    assert first["prompt"].startswith("You are a helpful, honest, and harmless AI assistant.\n\n") and first["choices"] == ["A", "B"]
    assert first["target"] == 0  # s01 stores the misaligned option second; swapped, it comes first


def test_when_every_format_is_dropped_no_rate_is_reported(tiny_llama, tmp_path, capsys):
    argv = ["eval", "--questions", str(demo_scenarios_path()), "--model", str(tiny_llama), "--formats", "answer2",
            "--drop-nonmatch-above", "0.2", "--output", str(tmp_path / "d")]
    assert main(argv) == 0  # random weights: neither letter is ever among the top five tokens
    out = capsys.readouterr().out
    assert "every format's non-match rate exceeds 0.2" in out and "answer/ab, answer/ba" in out
    summary = json.loads((tmp_path / "d" / "summary.json").read_text())
    assert summary["misalignment_rate"] is None and summary["n_formats"] == 0 and summary["nonmatch_rate"] == 1.0
