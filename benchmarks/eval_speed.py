"""Evaluation speed against lm-evaluation-harness: same model, questions, prompts and device, in one run.

Builds a tiny Llama offline (random weights; a byte-level BPE tokenizer trained on the demo
corpus), writes N questions (the bundled scenarios cycled, each opening with its own case
number so no two prompts are the same, or --questions-file),
exports them as lm-eval tasks, and times, each in its own process so peak memory is its own:

- lm-eval (``simple_evaluate``, model ``hf``, float32) on the exported group;
- ``PropensityEval.run`` without the shared-prefix cache (one forward pass per prompt,
  logits only where read);
- ``PropensityEval.run`` with it (the default).

Each timing covers importing, loading the model, scoring and aggregating; the three runs
are repeated (interleaved) and the fastest of each counts. On CPU the speed-up is computed
on CPU seconds (all threads of the worker; use OMP_NUM_THREADS=1), which other processes
on shared cores barely move, and wall seconds are reported beside them. It checks that every chosen option agrees with lm-eval and prints the largest
log-probability difference.

    OMP_NUM_THREADS=1 python benchmarks/eval_speed.py [--shape small|pythia70m] [--questions 200] [--scoring letter|option]
        [--device cpu] [--batch-size 32] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"
sys.path.insert(0, str(ROOT))

SHAPES = {  # Llama shapes; "pythia70m" has the layer sizes and vocabulary of a real small model
    "small": {"vocab_size": 4096, "llama": {"hidden_size": 256, "intermediate_size": 688, "num_hidden_layers": 4,
                                             "num_attention_heads": 8, "num_key_value_heads": 8, "max_position_embeddings": 1024}},
    "pythia70m": {"vocab_size": 50_000, "llama": {"hidden_size": 512, "intermediate_size": 2048, "num_hidden_layers": 6,
                                                  "num_attention_heads": 8, "num_key_value_heads": 8, "max_position_embeddings": 2048}},
}


def training_texts() -> list[str]:
    """The demo corpus, and the external real documents when they are here (for a larger vocabulary)."""
    import gzip

    texts = []
    with gzip.open(ROOT / "alignment_data" / "data" / "demo_corpus.jsonl.gz", "rt", encoding="utf-8") as stream:
        for line in stream:
            try:
                texts.append(json.loads(line)["text"])
            except (ValueError, KeyError):  # the corpus's deliberately broken lines
                continue
    external = ROOT.parent / "shared" / "external"
    for path in sorted(external.glob("*/*.jsonl")) if external.is_dir() else []:
        texts.extend(json.loads(line).get("text") or json.loads(line).get("question", "") for line in path.open(encoding="utf-8"))
    return texts


def build_inputs(work: Path, shape: str, n_questions: int, questions: str | None) -> tuple[Path, Path]:
    from alignment_data.eval.demo import demo_scenarios_path
    from alignment_data.eval.tiny import TinyModelConfig, build_tiny_model
    from alignment_data.readers import read_scenarios

    model = work / f"model-{shape}"
    if not (model / "config.json").is_file():
        build_tiny_model(model, training_texts(), TinyModelConfig(**SHAPES[shape]))
    if questions:  # the first N questions of any set load_questions reads
        from alignment_data.eval import load_questions

        path = work / f"questions-{Path(questions).name}-{n_questions}.jsonl"
        kept = load_questions(questions).questions[:n_questions]
        path.write_text("".join(json.dumps(question.to_dict()) + "\n" for question in kept))
        return model, path
    scenarios = read_scenarios(demo_scenarios_path())
    path = work / f"questions-{n_questions}.jsonl"
    with path.open("w") as out:
        for index in range(n_questions):  # a case number makes every prompt distinct: lm-eval scores a repeated context once
            row = scenarios[index % len(scenarios)].to_dict()
            out.write(json.dumps({**row, "id": f"{row['id']}-{index}", "question": f"(Case {index + 1}) {row['question']}"}) + "\n")
    return model, path


def cpu_seconds() -> float:
    """CPU time of this process, all threads: unlike wall time, other processes on the cores barely move it."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_memory_mb(device: str) -> dict:
    out = {"peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    if device.startswith("cuda"):
        import torch

        out["peak_gpu_mb"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    return out


def worker(config: dict) -> dict:
    """One timed run in this process: ``lm-eval``, ``ours`` or ``ours-no-cache``."""
    from alignment_data.eval import PropensityEval, load_questions
    from alignment_data.eval.backends.hf import HFOptions

    evaluation = PropensityEval(load_questions(config["questions"]), scoring=config["scoring"], system_prompt="hhh")
    start, start_cpu = time.perf_counter(), cpu_seconds()
    if config["run"] == "lm-eval":
        from alignment_data.eval.agreement import run_lm_eval

        results = run_lm_eval(config["model"], config["tasks"], "bench", config["batch_size"], config["device"])
        seconds, cpu = time.perf_counter() - start, cpu_seconds() - start_cpu
        samples = {task: [{"doc": {"id": s["doc"]["id"]}, "resps": s["resps"]} for s in rows] for task, rows in results["samples"].items()}
        extra = {"results": {task: {"acc,none": v.get("acc,none")} for task, v in results["results"].items()}, "samples": samples}
    else:
        options = HFOptions(device=config["device"], dtype="float32", batch_size=config["batch_size"],
                            shared_prefix=config["run"] == "ours")
        result = evaluation.run(config["model"], backend_options=options)
        seconds, cpu = time.perf_counter() - start, cpu_seconds() - start_cpu
        extra = {"records": result.records.drop(columns=["topics"]).to_dict("records"),
                 "misalignment_rate": result.misalignment_rate}
    prompts = len(evaluation.questions) * len(evaluation.formats)
    return {"run": config["run"], "seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2), "prompts": prompts,
            "items_per_second": round(prompts / seconds, 1), "items_per_cpu_second": round(prompts / cpu, 1),
            **peak_memory_mb(config["device"]), **extra}


def run_worker(config: dict) -> dict:
    done = subprocess.run([sys.executable, __file__, "--worker", json.dumps(config)], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{config['run']} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=200, help="how many questions (the bundled 30, cycled, numbered)")
    parser.add_argument("--questions-file", help="take the first --questions of this set instead (any kind load_questions reads)")
    parser.add_argument("--scoring", default="letter", choices=("letter", "option"))
    parser.add_argument("--shape", default="small", choices=sorted(SHAPES), help="the tiny model's shape")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3, help="runs of each, interleaved; the fastest counts")
    parser.add_argument("--work", default=str(OUT / "eval_speed"))
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker))))
        return
    import pandas as pd

    from alignment_data.eval import PropensityEval, load_questions
    from alignment_data.eval.agreement import compare

    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    model, questions = build_inputs(work, args.shape, args.questions, args.questions_file)
    evaluation = PropensityEval(load_questions(questions), scoring=args.scoring, system_prompt="hhh")
    tasks = work / f"tasks-{args.scoring}"
    if tasks.exists():
        import shutil

        shutil.rmtree(tasks)
    evaluation.export_lm_eval(tasks, "bench")
    manifest = json.loads((tasks / "manifest.json").read_text())
    config = {"model": str(model), "questions": str(questions), "tasks": str(tasks), "scoring": args.scoring,
              "device": args.device, "batch_size": args.batch_size}
    runs: dict[str, dict] = {}
    key = "cpu_seconds" if args.device == "cpu" else "seconds"
    for _ in range(args.repeats):  # interleaved, best of: other processes share the cores
        for name in ("lm-eval", "ours-no-cache", "ours"):
            run = run_worker({**config, "run": name})
            if name not in runs or run[key] < runs[name][key]:
                runs[name] = run
            print(f"  {name}: {run['seconds']:.1f} s wall, {run['cpu_seconds']:.1f} s CPU", file=sys.stderr, flush=True)
    baseline = runs["lm-eval"]
    model_config = json.loads((model / "config.json").read_text())
    shape = {key: model_config[key] for key in ("vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers")}
    report = {"shape": args.shape, "model": shape, "speedup_on": key, "questions_file": args.questions_file, "questions": len(evaluation.questions), "formats": len(evaluation.formats),
              "scoring": args.scoring, "device": args.device, "batch_size": args.batch_size, "repeats": args.repeats,
              "load_average": os.getloadavg(), "runs": {}}
    for name, run in runs.items():
        report["runs"][name] = {field: run[field] for field in ("seconds", "cpu_seconds", "prompts", "items_per_second",
                                                               "items_per_cpu_second", "peak_rss_mb", "peak_gpu_mb") if field in run}
        report["runs"][name]["speedup_vs_lm_eval"] = round(baseline[key] / run[key], 2)
        if name != "lm-eval":
            ours = SimpleNamespace(records=pd.DataFrame(run["records"]))
            agreement = compare(ours, {"samples": baseline["samples"], "results": baseline["results"]}, manifest)
            report["runs"][name].update(max_abs_logprob_diff=agreement["max_abs_logprob_diff"],
                                        choice_mismatches=len(agreement["choice_mismatches"]),
                                        items_compared=agreement["items_compared"])
    OUT.mkdir(parents=True, exist_ok=True)
    source = Path(args.questions_file).name if args.questions_file else "scenarios"
    (OUT / f"eval_speed_{args.shape}_{args.scoring}_{source}.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
