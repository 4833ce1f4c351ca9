"""Agreement with lm-evaluation-harness, per format: our exported tasks run by lm-eval versus our own scoring.

On a tiny random Llama built offline (or --model), for letter and option scoring and each
prefix asked for, prints the largest difference between our log-probability of each option
and lm-eval's, the number of items whose chosen option differs (must be 0), and each
format's misalignment rate beside lm-eval's ``acc``.

    python benchmarks/eval_agreement.py [--model DIR] [--questions FILE] [--prefixes none,hhh]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alignment_data.eval import PropensityEval, load_questions  # noqa: E402
from alignment_data.eval.agreement import compare, run_lm_eval  # noqa: E402
from alignment_data.eval.demo import demo_scenarios_path  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "benchmarks" / "out"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="a model folder (default: a tiny random Llama built here)")
    parser.add_argument("--questions", default=str(demo_scenarios_path()))
    parser.add_argument("--prefixes", default="none,hhh")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="eval-agreement-"))
    model = args.model
    if model is None:
        from alignment_data.eval.tiny import build_tiny_model

        questions = load_questions(args.questions)
        model = str(build_tiny_model(work / "model", [json.dumps(q.to_dict()) for q in questions.questions]))
    report = []
    for scoring in ("letter", "option"):
        for prefix in args.prefixes.split(","):
            evaluation = PropensityEval(load_questions(args.questions), scoring=scoring, system_prompt=prefix)
            tasks = work / f"tasks-{scoring}-{prefix}"
            evaluation.export_lm_eval(tasks, "agree")
            manifest = json.loads((tasks / "manifest.json").read_text())
            ours = evaluation.run(model)
            result = compare(ours, run_lm_eval(model, tasks, "agree", batch_size=16), manifest)
            ours_by_format = {row["format"]: row["rate"] for row in ours.summary["per_format"]}
            row = {"scoring": scoring, "system_prompt": prefix, "items": result["items_compared"],
                   "max_abs_logprob_diff": result["max_abs_logprob_diff"], "choice_mismatches": len(result["choice_mismatches"]),
                   "misalignment_rate": ours.misalignment_rate, "lm_eval_mean_acc": round(result["lm_eval_mean_acc"], 6),
                   "by_format": {name: [ours_by_format[name], round(acc, 6)] for name, acc in result["lm_eval_acc_by_format"].items()}}
            print(json.dumps(row), flush=True)
            report.append(row)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "eval_agreement.json").write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
