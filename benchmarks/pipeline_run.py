"""Whole-run throughput and memory: `filter` against a plain datatrove copy, at two corpus sizes.

Each measurement runs in its own process (one task, one core) and reports its wall time and
peak resident memory, so the figures show both the cost of tagging, routing, counting and
replacing over merely reading and writing the corpus, and that memory does not grow with
the corpus (streaming).

    python benchmarks/pipeline_run.py [--sizes 10 40]
    python benchmarks/pipeline_run.py --sizes 10 --modes copy filter_cascade_full filter_cascade_full_float32
    python benchmarks/pipeline_run.py --sizes 10 --modes copy filter_cascade_full filter_cascade_full_compiled

The second line times the full cascade (the encoder in bfloat16 where the hardware runs it
natively) beside the same cascade with the encoder in float32; the third beside the same
cascade with the encoder compiled (``--encoder-compile``, its compiling included).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from _data import ROOT, WEB  # noqa: E402
from tagging_speed import build_corpus  # noqa: E402

OUT = ROOT / "benchmarks" / "out"


def child(mode: str, corpus: str, output: str) -> None:
    from alignment_data.pipeline.recipes import ExecutorConfig, run_filter
    from alignment_data.tagging import TaggerSpec

    start = time.perf_counter()
    if mode == "copy":
        from datatrove.executor import LocalPipelineExecutor
        from datatrove.pipeline.readers import JsonlReader
        from datatrove.pipeline.writers import JsonlWriter

        LocalPipelineExecutor([JsonlReader(os.path.dirname(corpus), glob_pattern=os.path.basename(corpus)),
                               JsonlWriter(output + "/copy")], tasks=1, logging_dir=output + "/logs").run()
    else:
        specs = {
            "filter_blocklist": TaggerSpec("blocklist"),
            "filter_cascade_fasttext": TaggerSpec.of("cascade", stages=("fasttext",)),
            "filter_cascade_full": TaggerSpec.of("cascade", stages=("fasttext", "embedding")),
            "filter_cascade_full_float32": TaggerSpec.of("cascade", stages=("fasttext", "embedding"), encoder_precision="float32"),
            "filter_cascade_full_compiled": TaggerSpec.of("cascade", stages=("fasttext", "embedding"), encoder_compile=True),
        }
        run_filter(corpus, output, specs[mode], ExecutorConfig(quiet=True))
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_rss_mb": peak_mb}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[10, 40])
    parser.add_argument("--modes", nargs="+", default=["copy", "filter_blocklist", "filter_cascade_fasttext"])
    parser.add_argument("--child", nargs=3, metavar=("MODE", "CORPUS", "OUTPUT"))
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    OUT.mkdir(parents=True, exist_ok=True)
    results = {}
    for size in args.sizes:
        corpus = OUT / f"pipeline_{size:g}mb.jsonl"
        corpus_bytes = build_corpus(corpus, WEB, size)
        for mode in args.modes:
            output = OUT / f"run_{mode}_{size:g}"
            shutil.rmtree(output, ignore_errors=True)
            done = subprocess.run([sys.executable, __file__, "--child", mode, str(corpus), str(output)],
                                  capture_output=True, text=True, check=True)
            measured = json.loads(done.stdout.strip().splitlines()[-1])
            measured["mb_s"] = round(corpus_bytes / 1e6 / measured["seconds"], 2)
            if mode != "copy":
                summary = json.loads((output / "summary.json").read_text())
                measured.update({key: summary[key] for key in ("read", "kept", "flagged", "rejected")})
            results[f"{mode}@{size:g}MB"] = {key: round(value, 2) if isinstance(value, float) else value for key, value in measured.items()}
            shutil.rmtree(output, ignore_errors=True)
            print(mode, size, results[f"{mode}@{size:g}MB"], flush=True)
    (OUT / "pipeline_run.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
