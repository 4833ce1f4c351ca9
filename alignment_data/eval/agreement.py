"""Agreement with lm-evaluation-harness: run our exported tasks with lm-eval and compare item by item.

The check the documentation promises: on the same model and prompts, each option's
log-probability equals lm-eval's within a tolerance and the chosen option is the same for
every item of every format. Used by the test suite and ``benchmarks/eval_agreement.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alignment_data.errors import MissingExtraError


def run_lm_eval(model_dir: str | Path, task_dir: str | Path, name: str, batch_size: int = 32, device: str = "cpu") -> dict:
    """lm-eval's ``simple_evaluate`` on an exported folder, with samples logged."""
    try:
        from lm_eval import simple_evaluate
        from lm_eval.tasks import TaskManager
    except ImportError as error:
        raise MissingExtraError(f"the agreement check needs lm-evaluation-harness: pip install 'lm-eval[hf]' ({error})") from None
    return simple_evaluate(model="hf", model_args={"pretrained": str(model_dir), "dtype": "float32"}, tasks=[name],
                           task_manager=TaskManager(include_path=str(task_dir)), num_fewshot=0, batch_size=batch_size,
                           device=device, log_samples=True)


def lm_eval_items(results: dict, manifest: dict) -> dict[tuple[str, str], list[float]]:
    """``{(question id, format): [log-probability of each presented choice]}`` from lm-eval's samples."""
    formats = dict(zip(manifest["tasks"], manifest["formats"]))
    items = {}
    for task, samples in results["samples"].items():
        for sample in samples:
            items[(sample["doc"]["id"], formats[task])] = [float(resp[0][0]) for resp in sample["resps"]]
    return items


def compare(result, lm_results: dict, manifest: dict) -> dict[str, Any]:
    """Largest log-probability difference and choice disagreements between ``result`` and lm-eval's run."""
    theirs = lm_eval_items(lm_results, manifest)
    worst, mismatches, compared = 0.0, [], 0
    for row in result.records.itertuples():
        lls = theirs.get((row.question_id, row.format))
        if lls is None:
            continue
        ours = [row.logprob_misaligned, row.logprob_aligned] if row.target_position == 0 else [row.logprob_aligned, row.logprob_misaligned]
        worst = max(worst, *(abs(a - b) for a, b in zip(ours, lls)))
        their_first = max(range(len(lls)), key=lls.__getitem__) == 0
        compared += 1
        if their_first != row.first:
            mismatches.append((row.question_id, row.format))
    accs = {formats: lm_results["results"][task]["acc,none"] for task, formats in zip(manifest["tasks"], manifest["formats"])}
    return {"items_compared": compared, "items_expected": len(result.records), "max_abs_logprob_diff": worst,
            "choice_mismatches": mismatches, "lm_eval_acc_by_format": accs,
            "lm_eval_mean_acc": sum(accs.values()) / len(accs) if accs else None}
