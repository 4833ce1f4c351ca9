"""Reference-trainer speed on CPU for the tiny preset, beside a bare loop of the same model in the same run.

The trainer reads a random-token mix (token files, stages, schedule, logging, one final
checkpoint whose saving is not counted); the baseline runs the same model, batch and micro
batches as forward + backward + AdamW step on random tokens already in memory, nothing else.
Both are timed over the same number of steps after two warm-up steps, alternately and best
of ``--repeats`` after one untimed warm-up loop (other work on a shared machine only slows a
run down), for a small and a study-sized vocabulary.

    python benchmarks/trainer_speed.py [--steps 30] [--repeats 3] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402

from trainers.random_mix import random_mix  # noqa: E402
from trainers.reference import TrainOptions, train  # noqa: E402
from trainers.reference.presets import PRESETS  # noqa: E402
from trainers.reference.trainer import build_model, shape_of  # noqa: E402

WARMUP = 2


def bare_loop(vocab_size: int, steps: int) -> float:
    """Tokens per second of forward + backward + AdamW on random tokens, the tiny preset's model and batch."""
    preset = PRESETS["tiny"]
    model = build_model(shape_of(preset, vocab_size), preset, seed=0)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.95), weight_decay=0.1)
    batch = torch.randint(0, vocab_size, (preset.global_batch_sequences, preset.sequence_length + 1))
    elapsed = 0.0
    for step in range(WARMUP + steps):
        began = time.perf_counter()
        for micro in batch.split(preset.micro_batch_size):
            logits = model(input_ids=micro[:, :-1]).logits
            torch.nn.functional.cross_entropy(logits.float().reshape(-1, vocab_size), micro[:, 1:].reshape(-1)).backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if step >= WARMUP:
            elapsed += time.perf_counter() - began
    return steps * preset.global_batch_sequences * preset.sequence_length / elapsed


def trainer_run(vocab_size: int, steps: int, scratch: Path, repeat: int) -> float:
    """Tokens per second of the reference trainer over the same steps (from its per-step log, warm-up steps left out)."""
    preset = PRESETS["tiny"]
    step_tokens = preset.global_batch_sequences * preset.sequence_length
    mix = scratch / f"mix-{vocab_size}"
    plan = random_mix(mix, vocab_size, {"stage-0": (WARMUP + steps + 1) * step_tokens * 2}) if not mix.exists() else None
    out = scratch / f"run-{vocab_size}-{repeat}"
    train(plan.folder if plan else mix / "mix", out, TrainOptions(steps=WARMUP + steps, checkpoint_every=WARMUP + steps, log_every=0))
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()][WARMUP:]
    return len(log) * step_tokens / sum(entry["seconds"] for entry in log)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for vocab in (128, 50_304):
            bare_loop(vocab, args.steps)  # untimed: the process's first runs are slower (allocator, caches)
            baseline = ours = 0.0
            for repeat in range(args.repeats):  # alternate which goes first
                if repeat % 2:
                    ours = max(ours, trainer_run(vocab, args.steps, Path(scratch), repeat))
                baseline = max(baseline, bare_loop(vocab, args.steps))
                if not repeat % 2:
                    ours = max(ours, trainer_run(vocab, args.steps, Path(scratch), repeat))
            rows.append({"vocab_size": vocab, "trainer_tokens_per_s": round(ours), "bare_loop_tokens_per_s": round(baseline),
                         "ratio": round(ours / baseline, 3)})
            print(f"vocabulary {vocab:>6,}: reference trainer {ours:>9,.0f} tokens/s, bare loop {baseline:>9,.0f} tokens/s, "
                  f"ratio {ours / baseline:.2f}", file=sys.stderr)
    print(json.dumps({"preset": "tiny", "steps": args.steps, "repeats": args.repeats, "threads": args.threads, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
