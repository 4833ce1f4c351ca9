"""Agreement with lm-evaluation-harness on the task folder we export (skipped without lm-eval)."""

import json
import os

import pytest

from alignment_data.eval import PropensityEval, load_questions
from alignment_data.eval.demo import demo_scenarios_path

pytest.importorskip("lm_eval", reason="needs lm-evaluation-harness: pip install 'lm-eval[hf]'")


@pytest.mark.parametrize(("scoring", "system_prompt"), [("letter", "hhh"), ("option", "none")])
def test_lm_eval_scores_our_exported_tasks_as_we_do(tiny_llama, tmp_path, monkeypatch, scoring, system_prompt):
    from alignment_data.eval.agreement import compare, run_lm_eval

    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "datasets-cache"))
    questions = load_questions(demo_scenarios_path())
    evaluation = PropensityEval(questions.questions[:3] + questions.questions[-3:], scoring=scoring, system_prompt=system_prompt)
    evaluation.export_lm_eval(tmp_path / "tasks", "agree")
    manifest = json.loads((tmp_path / "tasks" / "manifest.json").read_text())
    assert len(manifest["tasks"]) == 8 and os.path.isfile(tmp_path / "tasks" / "agree.yaml")
    ours = evaluation.run(str(tiny_llama))
    report = compare(ours, run_lm_eval(tiny_llama, tmp_path / "tasks", "agree", batch_size=8), manifest)
    assert report["items_compared"] == report["items_expected"] == 48
    assert report["max_abs_logprob_diff"] < 1e-4 and report["choice_mismatches"] == []
    assert report["lm_eval_mean_acc"] == pytest.approx(ours.misalignment_rate, abs=1e-6)
    ours_by_format = {row["format"]: row["rate"] for row in ours.summary["per_format"]}
    assert report["lm_eval_acc_by_format"] == pytest.approx(ours_by_format, abs=1e-6)  # each task's acc: that format's rate
